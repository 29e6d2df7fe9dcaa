#include "TestSupport.h"

#include "dg/Image.h"
#include "dg/SampleRequest.h"
#include "dg/TensorFile.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QtTest>

#include <cmath>
#include <csignal>

using namespace dg;

namespace {

const QString kDg = QStringLiteral(DG_CLI_PATH);

// Splits a shell-like command line (single quotes only, as toCommandLine writes them).
QStringList splitCommand(const QString& line)
{
    QStringList out;
    QString cur;
    bool quoted = false, any = false;
    for (int i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (c == '\'') {
            quoted = !quoted;
            any = true;
        } else if (c == ' ' && !quoted) {
            if (any) out << cur;
            cur.clear();
            any = false;
        } else {
            cur += c;
            any = true;
        }
    }
    if (any) out << cur;
    return out;
}

} // namespace

class CliTest : public QObject
{
    Q_OBJECT
    test::ModelFolder m_dir;

    QString p(const QString& name) const { return m_dir.path(name); }
    QStringList expand(const QString& args) const { return m_dir.expand(args); }

private Q_SLOTS:
    void initTestCase()
    {
        const QString err = m_dir.init();
        QVERIFY2(err.isEmpty(), qPrintable(err));
    }

    void helpVersionModels()
    {
        auto r = test::runProcess(kDg, {"--help"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("sample") && r.out.contains("D_DG"));
        r = test::runProcess(kDg, {"sample", "--help"});
        QCOMPARE(r.exitCode, 0);
        for (const char* flag :
             {"--denoiser",     "--discriminator", "--noise",     "--seed",       "--count",         "--class",
              "--sampler",      "--steps",         "--sigma-min", "--sigma-max",  "--rho",           "--churn",
              "--s-min",        "--s-max",         "--s-noise",   "--dg-weight",  "--dg-weight-2nd", "--dg-sigma-min",
              "--dg-sigma-max", "--device",        "--out",       "--trajectory", "--grid"})
            QVERIFY2(r.out.contains(flag), flag);
        r = test::runProcess(kDg, {"--version"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.startsWith("dg 0.") && r.out.contains("(git ") && r.out.contains("LibTorch"));
        r = test::runProcess(kDg, {"models"});
        QCOMPARE(r.exitCode, 0);
        for (const char* m : {"builtin:ring8 ", "builtin:ring8-model", "builtin:ring8-disc", "builtin:moons-model"})
            QVERIFY2(r.out.contains(m), m);
    }

    // Help and parser come from one CLI11 table per command: every flag the help lists is a flag the parser knows,
    // with a value exactly when the help shows one, and a repeat is refused naming it. (A flag shared by several
    // commands comes from one shared table; it is tried on the first command that lists it, to keep this quick.)
    void helpAndParserAgree()
    {
        QSet<QString> tried;
        const QStringList commands{"sample",      "demo",       "train-score", "train-classifier",
                                   "train-judge", "train-disc", "gen-fakes",   "eval",
                                   "eval-disc",   "sweep",      "tune",        "export"};
        const QRegularExpression row(R"(^  (--[a-z0-9-]+)( ([A-Za-z|:.,_0-9-]+))?(\s|$))");
        for (const QString& command : commands) {
            const auto help = test::runProcess(kDg, {command, "--help"});
            QCOMPARE(help.exitCode, 0);
            QVERIFY2(help.out.startsWith("Usage: dg " + command + " [flags]"), qPrintable(help.out.left(80)));
            int flags = 0;
            for (const QString& line : help.out.split('\n')) {
                const auto m = row.match(line);
                if (!m.hasMatch() || m.captured(1) == "--help") continue;
                ++flags;
                const QString flag = m.captured(1);
                if (tried.contains(flag)) continue;
                tried.insert(flag);
                const bool takesValue = !m.captured(3).isEmpty();
                const QString prefix = "dg " + command + ": error: " + flag + ": ";
                auto r = test::runProcess(kDg, {command, takesValue ? flag : flag + "=1"});
                QCOMPARE(r.exitCode, 2);
                QCOMPARE(r.err.trimmed(), prefix + (takesValue ? "needs a value" : "takes no value"));
                if (flags > 1) continue;
                const QStringList twice =
                    takesValue ? QStringList{command, flag, "1", flag, "2"} : QStringList{command, flag, flag};
                r = test::runProcess(kDg, twice);
                QCOMPARE(r.exitCode, 2);
                QCOMPARE(r.err.trimmed(), prefix + "given more than once");
            }
            QVERIFY2(flags >= 3, qPrintable(command));
        }
    }

    // dg eval-disc with the toy's exact log-ratio: E_data[logit] = KL(data || model) >= 0 >= E_model[logit], the
    // separation fades as noise drowns both distributions, and the window column follows the preset.
    void evalDiscSeparatesWhereTheDataDiffer()
    {
        const auto r = test::runProcess(kDg, {"eval-disc", "--denoiser", "builtin:ring8-model", "--discriminator",
                                              "builtin:ring8-disc", "--count", "400", "--sigmas", "0.02,10",
                                              "--dg-preset", "official"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QRegularExpression row(
            R"(^\| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| ([0-9.]+) \| ([-+0-9.]+) \| ([-+0-9.]+) \| ([0-9.]+) \| (yes|no) \|$)");
        QList<QRegularExpressionMatch> rows;
        for (const QString& line : r.out.split('\n'))
            if (const auto m = row.match(line); m.hasMatch()) rows << m;
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows[0].captured(1), QString("0.02"));
        const double accLow = rows[0].captured(2).toDouble(), accHigh = rows[1].captured(2).toDouble();
        QVERIFY2(accLow > 0.7, qPrintable(r.out));
        QVERIFY2(std::abs(accHigh - 0.5) < 0.06, qPrintable(r.out));
        QVERIFY2(rows[0].captured(5).toDouble() > 0 && rows[0].captured(6).toDouble() < 0, qPrintable(r.out));
        // The exact log-ratio is calibrated (d = p / (p + q) with as many reals as fakes): its ECE is sampling noise.
        QVERIFY2(rows[1].captured(7).toDouble() < 0.1, qPrintable(r.out));
        QCOMPARE(rows[0].captured(8), QString("no")); // below the official window's 0.0447
        QCOMPARE(rows[1].captured(8), QString("yes"));
        const auto bad = test::runProcess(kDg, {"eval-disc", "--denoiser", "builtin:ring8-model", "--sigmas", "1,-2"});
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("--sigmas"), qPrintable(bad.err));
    }

    // The seeds are per sample and every network call sees at most 16 rows, so any --batch that is a multiple of that
    // bound gives the same samples bit for bit (other batches: within float rounding, docs/PERFORMANCE.md).
    void batchesOfTheCallBoundAreBitIdentical()
    {
        std::vector<std::vector<float>> runs;
        for (const char* batch : {"16", "48"}) {
            const QString out = p(QString("batch%1.pt").arg(batch));
            const auto r = test::runProcess(kDg, {"sample", "--denoiser", "builtin:fmnist", "--discriminator",
                                                  "builtin:fmnist-disc", "--dg-weight", "2", "--count", "40", "--steps",
                                                  "3", "--batch", batch, "--out", out, "--quiet"});
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
            runs.push_back(loadTensorFile(out.toStdString()).values);
        }
        QCOMPARE(runs[0].size(), size_t(40 * 28 * 28));
        QVERIFY(runs[0] == runs[1]);
    }

    void sampleWritesEverything()
    {
        const auto r = test::runProcess(kDg, {"sample",
                                              "--denoiser",
                                              "builtin:moons-model",
                                              "--discriminator",
                                              "builtin:moons-disc",
                                              "--seed",
                                              "5",
                                              "--count",
                                              "40",
                                              "--dg-weight",
                                              "1.5",
                                              "--dg-weight-2nd",
                                              "0",
                                              "--churn",
                                              "2",
                                              "--steps",
                                              "12",
                                              "--out",
                                              p("s.pt"),
                                              "--trajectory",
                                              p("t.pt"),
                                              "--grid",
                                              p("g.png")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.err.contains("step 12/12"));
        const auto samples = loadTensorFile(p("s.pt").toStdString());
        QVERIFY(samples.shape == (std::vector<int64_t>{40, 2}));

        const auto text = readPngText(p("g.png").toStdString());
        const auto settings = QJsonDocument::fromJson(QByteArray::fromStdString(text.at("dg.settings"))).object();
        QCOMPARE(settings["seed"].toInt(), 5);
        QCOMPARE(settings["dg_weight"].toDouble(), 1.5);
        QCOMPARE(settings["dg_weight_2nd"].toDouble(), 0.0);
        QCOMPARE(settings["churn"].toDouble(), 2.0);
        QCOMPARE(settings["steps"].toInt(), 12);
        QCOMPARE(settings["s_max"].toString(), QString("inf"));
        QCOMPARE(settings["denoiser"].toString(), QString("builtin:moons-model"));

        // The command in the metadata reproduces the samples exactly.
        QStringList replay = splitCommand(QString::fromStdString(text.at("dg.command")));
        QCOMPARE(replay.takeFirst(), QString("dg"));
        const int outAt = replay.indexOf("--out");
        QVERIFY(outAt > 0);
        replay[outAt + 1] = p("replay.pt");
        const auto again = test::runProcess(kDg, replay);
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        QVERIFY(loadTensorFile(p("replay.pt").toStdString()).values == samples.values);

        const auto json = test::describeWithPython({p("t.pt")});
        const auto traj = QJsonDocument::fromJson(json.toUtf8()).object()[p("t.pt")].toObject()["items"].toObject();
        QVERIFY2(traj.contains("correction") && traj.contains("logit"), qPrintable(json));
        QCOMPARE(traj["x"].toObject()["shape"].toArray().at(0).toInt(), 12);
    }

    void sampleImagesFromPythonNoise()
    {
        const auto r = test::runProcess(kDg, {"sample", "--denoiser", p("gauss_image.pt"), "--discriminator",
                                              p("image_disc.pt"), "--noise", p("image_noise.pt"), "--dg-weight", "1",
                                              "--out", p("img.pt"), "--grid", p("img.png"), "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.err.isEmpty());
        QVERIFY(loadTensorFile(p("img.pt").toStdString()).shape == (std::vector<int64_t>{3, 1, 8, 8}));
        const auto grid = readPng(p("img.png").toStdString());
        QCOMPARE(grid.width(), 2 * (8 * 3 + 2) + 2); // 3 images → 2 columns of 8×8 tiles at scale 3
    }

    void demoWritesComparison()
    {
        const auto r = test::runProcess(kDg, {"demo", "--count", "64", "--out", p("demo.png")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(p("demo.png")));
        const auto img = readPng(p("demo.png").toStdString());
        QVERIFY(img.width() > 3 * 400 && img.height() > 400);
        QVERIFY(readPngText(p("demo.png").toStdString()).count("dg.settings") == 1);
    }

    // The whole train → guide → evaluate loop through the command line, on a toy, in seconds.
    void toyPipeline()
    {
        auto r = test::runProcess(kDg, {"train-score", "--data", "toy:moons", "--iterations", "60", "--batch", "128",
                                        "--checkpoint", p("m-score.pt")});
        QVERIFY2(r.exitCode == 0 && r.out.contains("60 iterations"), qPrintable(r.err));
        r = test::runProcess(kDg, {"gen-fakes", "--denoiser", p("m-score.pt"), "--count", "600", "--batch", "300",
                                   "--out", p("m-fakes.pt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(loadTensorFile(p("m-fakes.pt").toStdString()).shape == (std::vector<int64_t>{600, 2}));
        r = test::runProcess(kDg, {"train-disc", "--data", "toy:moons", "--fakes", p("m-fakes.pt"), "--epochs", "2",
                                   "--checkpoint", p("m-disc.pt")});
        QVERIFY2(r.exitCode == 0 && r.err.contains("epoch 2") && r.out.contains("held-out accuracy"),
                 qPrintable(r.err));
        r = test::runProcess(kDg, {"sweep", "--denoiser", p("m-score.pt"), "--discriminator", p("m-disc.pt"), "--count",
                                   "300", "--weights", "0,1"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("| weight | SW2 | NLL |") && r.out.contains("\n| 0") && r.out.contains("\n| 1"),
                 qPrintable(r.out));
        r = test::runProcess(kDg, {"eval", "--samples", p("m-fakes.pt"), "--toy", "moons"});
        QVERIFY2(r.exitCode == 0 && r.out.contains("SW2"), qPrintable(r.err));
    }

    // Class-conditional: a conditional score network, fakes with balanced labels written beside them, a discriminator
    // d(x, σ, y) trained on them, guided sampling of every class; and the errors that name what is wrong.
    // --dg-preset official expands to the official values (read back from the PNG metadata), explicit flags override
    // them, and the recorded command reproduces the samples; bad preset/clip/boost values are bad command lines.
    void presetExpandsAndFlagsOverride()
    {
        const QStringList base{"sample",
                               "--denoiser",
                               "builtin:ring8-model",
                               "--discriminator",
                               "builtin:ring8-disc",
                               "--dg-weight",
                               "2",
                               "--count",
                               "30",
                               "--seed",
                               "3",
                               "--quiet"};
        auto r = test::runProcess(
            kDg, base + QStringList{"--dg-preset", "official", "--out", p("o.pt"), "--grid", p("o.png")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        auto text = readPngText(p("o.png").toStdString());
        auto g = QJsonDocument::fromJson(QByteArray::fromStdString(text.at("dg.settings"))).object();
        QCOMPARE(g["dg_preset"].toString(), QString("official"));
        QCOMPARE(g["dg_weight"].toDouble(), 2.0);
        QCOMPARE(g["dg_weight_2nd"].toDouble(), 0.0);
        QVERIFY(std::abs(g["dg_sigma_min"].toDouble() - 0.044688) < 1e-5);
        QVERIFY(std::abs(g["dg_sigma_max"].toDouble() - 152.17) < 0.01);
        QVERIFY(std::abs(g["dg_logit_clip"].toDouble() - 11.5129) < 1e-4);
        QCOMPARE(g["dg_boost"].toBool(), false);
        QStringList replay = splitCommand(QString::fromStdString(text.at("dg.command")));
        replay.takeFirst();
        QVERIFY(replay.contains("--dg-preset") && replay.contains("--dg-logit-clip"));
        const int outAt = replay.indexOf("--out");
        QVERIFY(outAt > 0);
        replay[outAt + 1] = p("o-replay.pt");
        r = test::runProcess(kDg, replay);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(loadTensorFile(p("o-replay.pt").toStdString()).values ==
                loadTensorFile(p("o.pt").toStdString()).values);

        r = test::runProcess(kDg,
                             base + QStringList{"--dg-preset", "official", "--dg-sigma-max", "10", "--dg-weight-2nd",
                                                "1", "--dg-logit-clip", "3", "--out", p("v.pt"), "--grid", p("v.png")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        text = readPngText(p("v.png").toStdString());
        g = QJsonDocument::fromJson(QByteArray::fromStdString(text.at("dg.settings"))).object();
        QCOMPARE(g["dg_weight_2nd"].toDouble(), 1.0);
        QCOMPARE(g["dg_sigma_max"].toDouble(), 10.0);
        QCOMPARE(g["dg_logit_clip"].toDouble(), 3.0);
        QCOMPARE(g["dg_preset"].toString(), QStringLiteral("none"));       // overridden values: recorded as custom
        QVERIFY(std::abs(g["dg_sigma_min"].toDouble() - 0.044688) < 1e-5); // not overridden: still the preset's
        QVERIFY(loadTensorFile(p("v.pt").toStdString()).values != loadTensorFile(p("o.pt").toStdString()).values);

        for (const QStringList& bad : {QStringList{"--dg-preset", "paper"}, QStringList{"--dg-logit-clip", "-1"},
                                       QStringList{"--dg-logit-clip", "nan"}, QStringList{"--dg-logit-clip", "0"}}) {
            r = test::runProcess(kDg, base + bad + QStringList{"--out", p("never.pt")});
            QVERIFY2(r.exitCode == 2, qPrintable(bad.join(' ') + ": " + r.err));
            QCOMPARE(r.err.trimmed().count('\n'), 0);
        }
        QVERIFY(!QFile::exists(p("never.pt")));

        // The default preset is per kind: a 2-D toy samples with none (w2 = w, every sigma), as --dg-preset none does.
        r = test::runProcess(kDg, base + QStringList{"--out", p("auto.pt"), "--grid", p("auto.png")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        g = QJsonDocument::fromJson(
                QByteArray::fromStdString(readPngText(p("auto.png").toStdString()).at("dg.settings")))
                .object();
        QCOMPARE(g["dg_preset"].toString(), QStringLiteral("none"));
        r = test::runProcess(kDg, base + QStringList{"--dg-preset", "none", "--out", p("none.pt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(loadTensorFile(p("auto.pt").toStdString()).values == loadTensorFile(p("none.pt").toStdString()).values);
        // Boosting is for any model with a discriminator, as in the official code: here an unconditional one.
        r = test::runProcess(kDg, base + QStringList{"--dg-boost", "--out", p("boost.pt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(loadTensorFile(p("boost.pt").toStdString()).values !=
                loadTensorFile(p("none.pt").toStdString()).values);
    }

    // Learned image models sample with the official recipe unless told otherwise (--dg-preset auto, the default).
    void imagePairsDefaultToTheOfficialRecipe()
    {
        const QStringList base{"sample", "--dg-weight", "2", "--count", "2", "--steps", "4", "--quiet"};
        auto r = test::runProcess(kDg, base + QStringList{"--out", p("img-auto.pt"), "--grid", p("img-auto.png")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto g = QJsonDocument::fromJson(
                           QByteArray::fromStdString(readPngText(p("img-auto.png").toStdString()).at("dg.settings")))
                           .object();
        QCOMPARE(g["dg_preset"].toString(), QStringLiteral("official"));
        QCOMPARE(g["dg_weight_2nd"].toDouble(), 0.0);
        QVERIFY(std::abs(g["dg_logit_clip"].toDouble() - 11.513) < 1e-3);
        r = test::runProcess(kDg, base + QStringList{"--dg-preset", "official", "--out", p("img-official.pt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(loadTensorFile(p("img-auto.pt").toStdString()).values ==
                loadTensorFile(p("img-official.pt").toStdString()).values);
    }

    void classConditionalPipeline()
    {
        const QString classifier = QStringLiteral(DG_SOURCE_MODELS_DIR) + "/fmnist-classifier.pt";
        if (!QFile::exists(classifier)) QSKIP("the shipped classifier is not in resources/models");
        auto r = test::runProcess(kDg, {"train-score", "--data", "fmnist", "--class-conditional", "--channels", "8",
                                        "--iterations", "4", "--batch", "8", "--checkpoint", p("c-score.pt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = test::runProcess(kDg, {"gen-fakes", "--denoiser", p("c-score.pt"), "--count", "40", "--batch", "25",
                                   "--steps", "3", "--out", p("c-fakes.pt")});
        QVERIFY2(r.exitCode == 0 && r.out.contains("c-fakes.labels.pt"), qPrintable(r.err + r.out));
        const auto labels = loadTensorFile(p("c-fakes.labels.pt").toStdString());
        QCOMPARE(labels.shape, (std::vector<int64_t>{40, 1}));
        for (int i = 0; i < 40; ++i)
            QCOMPARE(labels.values[i], float(i % 10)); // the batches continue the cycle
        // Fakes sit on the real images' 8-bit grid (v/127.5 - 1), as the official code's PNG fakes do.
        for (float v : loadTensorFile(p("c-fakes.pt").toStdString()).values) {
            const double level = (double(v) + 1.0) * 127.5;
            QVERIFY2(std::abs(level - std::round(level)) < 1e-3 && level > -0.5 && level < 255.5,
                     qPrintable(QString::number(v)));
        }

        const QStringList disc{
            "train-disc", "--data", "fmnist",  "--fakes", p("c-fakes.pt"),       "--features",   classifier,
            "--epochs",   "1",      "--batch", "16",      "--class-conditional", "--checkpoint", p("c-disc.pt")};
        r = test::runProcess(kDg, disc);
        QVERIFY2(r.exitCode == 0 && r.out.contains("held-out accuracy"), qPrintable(r.err));
        r = test::runProcess(kDg,
                             {"sample", "--denoiser", p("c-score.pt"), "--discriminator", p("c-disc.pt"), "--dg-weight",
                              "1", "--class", "all", "--count", "12", "--steps", "3", "--out", p("c.pt"), "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(loadTensorFile(p("c.pt").toStdString()).shape, (std::vector<int64_t>{12, 1, 28, 28}));
        // Official boosting runs on a class-conditional pair (12 steps: the boosted churn steps 5 and 10 come up).
        r = test::runProcess(kDg, {"sample", "--denoiser", p("c-score.pt"), "--discriminator", p("c-disc.pt"),
                                   "--dg-weight", "1", "--dg-preset", "official", "--dg-boost", "--class", "all",
                                   "--count", "12", "--steps", "12", "--out", p("c-boost.pt"), "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));

        auto fails = [&](const QStringList& args, const QString& message) {
            const auto f = test::runProcess(kDg, args);
            const QString err = f.err.trimmed();
            QVERIFY2(f.exitCode > 0 && err.split('\n').last().contains(message), qPrintable(err));
        };
        const QStringList sample{"sample", "--denoiser", p("c-score.pt"), "--count", "2", "--out", p("never.pt")};
        fails(sample, "is class-conditional; give a class label");
        fails(sample + QStringList{"--class", "10"}, "not a class of these models (0 … 9)");
        fails(sample + QStringList{"--class", "some"}, "--class");
        QFile::remove(p("c-disc.pt"));
        QVERIFY(QFile::copy(p("c-fakes.pt"), p("unlabelled.pt")));
        fails(QStringList(disc).replaceInStrings(p("c-fakes.pt"), p("unlabelled.pt")), "unlabelled.labels.pt");
        saveTensorFile(HostTensor{{3, 1}, {0.0f, 1.0f, 2.0f}}, p("three.labels.pt").toStdString());
        fails(disc + QStringList{"--fake-labels", p("three.labels.pt")}, "holds 3 labels for 40 fakes");
        saveTensorFile(HostTensor{{40, 1}, std::vector<float>(40, 11.0f)}, p("eleven.labels.pt").toStdString());
        fails(disc + QStringList{"--fake-labels", p("eleven.labels.pt")}, "not a class index 0 … 9");
        QVERIFY(!QFile::exists(p("never.pt")));
        QVERIFY(!QFile::exists(p("c-disc.pt")));
    }

    // The judge and the noise-aware classifier train (and resume) with one loop; eval reads the judge's space and
    // refuses a checkpoint of the wrong kind.
    void judgeAndClassifierTrainAndJudge()
    {
        auto r = test::runProcess(kDg, {"train-judge", "--iterations", "4", "--batch", "8", "--checkpoint", p("j.pt")});
        QVERIFY2(r.exitCode == 0 && r.out.contains("4 iterations") && r.out.contains("held-out accuracy"),
                 qPrintable(r.err));
        r = test::runProcess(kDg, {"train-judge", "--iterations", "6", "--batch", "8", "--checkpoint", p("j.pt")});
        QVERIFY2(r.exitCode == 0 && r.out.contains("6 iterations"), qPrintable(r.err + r.out));
        r = test::runProcess(kDg, {"train-classifier", "--iterations", "3", "--batch", "8", "--sigma-max", "150",
                                   "--channels", "8", "--checkpoint", p("cls.pt")});
        QVERIFY2(r.exitCode == 0 && r.out.contains("3 iterations"), qPrintable(r.err));
        r = test::runProcess(
            kDg, {"train-classifier", "--sigma-min", "0.1", "--sigma-max", "0.01", "--checkpoint", p("never.pt")});
        QVERIFY2(r.exitCode == 2 && r.err.contains("--sigma-max"), qPrintable(r.err));
        r = test::runProcess(kDg, {"train-judge", "--checkpoint", p("cls.pt"), "--iterations", "5"});
        QVERIFY2(r.exitCode == 1 && r.err.contains("holds a classifier model"), qPrintable(r.err));
        r = test::runProcess(kDg, {"sample", "--denoiser", "builtin:fmnist", "--count", "12", "--steps", "4", "--out",
                                   p("few.pt"), "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = test::runProcess(kDg, {"eval", "--samples", p("few.pt"), "--judge", p("j.pt"), "--classifier", p("cls.pt")},
                             600000);
        QVERIFY2(r.exitCode == 0 && r.out.contains("FD (judge)") && r.out.contains("quantized to 8 bits"),
                 qPrintable(r.err));
        r = test::runProcess(kDg, {"eval", "--samples", p("few.pt"), "--judge", p("cls.pt")}, 600000);
        QVERIFY2(r.exitCode == 1 && r.err.contains("not a judge"), qPrintable(r.err));
        QVERIFY(!QFile::exists(p("never.pt")));
    }

    // The shipped Fashion-MNIST pair is the default; CI loads it rather than training it.
    void shippedModels()
    {
        const QString models = QStringLiteral(DG_SOURCE_MODELS_DIR);
        for (const char* f : {"fmnist-score.pt", "fmnist-disc.pt", "fmnist-classifier.pt", "fmnist-judge.pt"})
            if (!QFile::exists(models + "/" + f)) QSKIP("shipped Fashion-MNIST models are not in resources/models yet");
        auto r = test::runProcess(kDg, {"models"});
        QVERIFY(r.out.contains("builtin:fmnist ") && r.out.contains("builtin:fmnist-disc"));
        r = test::runProcess(kDg, {"sample", "--count", "16", "--seed", "4", "--dg-weight", "1", "--out", p("f.pt"),
                                   "--grid", p("f.png"), "--quiet"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto samples = loadTensorFile(p("f.pt").toStdString());
        QVERIFY(samples.shape == (std::vector<int64_t>{16, 1, 28, 28}));
        float lo = 1e9f, hi = -1e9f;
        for (float v : samples.values) {
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
        QVERIFY2(lo < -0.8f && hi > 0.5f && lo > -1.6f && hi < 1.6f, qPrintable(QString("%1..%2").arg(lo).arg(hi)));
        const auto meta = readPngText(p("f.png").toStdString());
        QVERIFY(QString::fromStdString(meta.at("dg.command")).contains("--discriminator builtin:fmnist"));
        r = test::runProcess(kDg, {"eval", "--samples", p("f.pt")}, 600000); // features of the 10k test images
        QVERIFY2(r.exitCode == 0 && r.out.contains("FD (judge)") && r.out.contains("FD-cls"),
                 qPrintable(r.err + r.out));
    }

    void interruptCancels()
    {
        QProcess proc;
        proc.start(kDg, {"sample", "--denoiser", "builtin:ring8-model", "--discriminator", "builtin:ring8-disc",
                         "--dg-weight", "1", "--count", "20000", "--steps", "2000", "--out", p("long.pt")});
        QVERIFY(proc.waitForStarted());
        QByteArray err;
        // 20000 toy samples run in batches of 4096 (the default): the signal lands inside the first batch.
        QTRY_VERIFY_WITH_TIMEOUT((err += proc.readAllStandardError()).contains("in batches of 4096"), 20000);
        QTest::qWait(500);
        ::kill(proc.processId(), SIGINT);
        QVERIFY(proc.waitForFinished(20000));
        QCOMPARE(proc.exitCode(), 130);
        QVERIFY(!QFile::exists(p("long.pt")));
    }

    // Ctrl-C stops within about one network evaluation: measured on a deliberately slow denoiser (Euler: one
    // evaluation per step), the exit follows the signal within one evaluation's time plus process teardown.
    void interruptWithinOneEvaluation()
    {
        QProcess proc;
        proc.start(kDg, {"sample", "--denoiser", p("slow_denoiser.pt"), "--sampler", "euler", "--count", "4", "--steps",
                         "200", "--out", p("slow.pt")});
        QVERIFY(proc.waitForStarted());
        QByteArray err;
        QElapsedTimer clock;
        clock.start();
        QTRY_VERIFY_WITH_TIMEOUT((err += proc.readAllStandardError()).contains("step  2/"), 60000);
        const qint64 second = clock.elapsed();
        QTRY_VERIFY_WITH_TIMEOUT((err += proc.readAllStandardError()).contains("step  4/"), 60000);
        const double evaluation = (clock.elapsed() - second) / 2.0; // ms per evaluation (one per Euler step)
        QVERIFY2(evaluation > 200, qPrintable(QString("the slow model is not slow: %1 ms").arg(evaluation)));
        QElapsedTimer stop;
        stop.start();
        ::kill(proc.processId(), SIGINT);
        QVERIFY(proc.waitForFinished(60000));
        const qint64 took = stop.elapsed();
        QCOMPARE(proc.exitCode(), 130);
        QVERIFY(!QFile::exists(p("slow.pt")));
        QVERIFY2(
            took < evaluation + 500,
            qPrintable(QString("stopped %1 ms after SIGINT; one evaluation takes %2 ms").arg(took).arg(evaluation)));
    }
};

QTEST_GUILESS_MAIN(CliTest)
#include "CliTest.moc"
