// dg sample against an independent guided reference: tests/support/reference_sampler.py, an autograd DG loop in
// Python written the way the official DG code is (EDM Heun/Euler with churn, w and w2, the σ window, the logit clip,
// the official preset's VP-time window), run on models `dg export --torchscript` wrote, from the same --noise file.
#include "TestSupport.h"

#include "dg/TensorFile.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace dg;

namespace {

const QString kDg = QStringLiteral(DG_CLI_PATH);

} // namespace

class ReferenceTest : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString p(const QString& name) const { return m_dir.filePath(name); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        for (const auto& [name, den, disc] : {std::tuple{"toy", "builtin:ring8-mlp", "builtin:ring8-mlp-disc"},
                                              std::tuple{"fmnist", "builtin:fmnist", "builtin:fmnist-disc"}}) {
            const auto r = test::runProcess(
                kDg, {"export", "--torchscript", p(name), "--denoiser", den, "--discriminator", disc}, 300000);
            QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        }
        const auto py =
            test::runProcess(test::pythonExe(), {"-c",
                                                 "import sys, torch\n"
                                                 "g = torch.Generator().manual_seed(77)\n"
                                                 "torch.save(torch.randn(40, 2, generator=g), sys.argv[1])\n"
                                                 "torch.save(torch.randn(3, 1, 28, 28, generator=g), sys.argv[2])\n",
                                                 p("toy-noise.pt"), p("fmnist-noise.pt")});
        QVERIFY2(py.exitCode == 0, qPrintable(py.err));
    }

    void matchesIndependentReference_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QStringList>("flags");
        QTest::newRow("toy heun w=1.5") << "toy" << QStringList{"--dg-weight", "1.5"};
        QTest::newRow("toy heun w=2 w2=0.5 window churn")
            << "toy" << QStringList{"--dg-weight",    "2",  "--dg-weight-2nd", "0.5",  "--dg-sigma-min", "0.1",
                                    "--dg-sigma-max", "5",  "--churn",         "10",   "--s-min",        "0.05",
                                    "--s-max",        "20", "--s-noise",       "1.007"};
        QTest::newRow("toy euler w=1 churn")
            << "toy" << QStringList{"--sampler", "euler", "--dg-weight", "1", "--churn", "5"};
        QTest::newRow("toy logit clip 0.2") << "toy" << QStringList{"--dg-weight", "3", "--dg-logit-clip", "0.2"};
        QTest::newRow("toy preset official") << "toy" << QStringList{"--dg-weight", "2", "--dg-preset", "official"};
        QTest::newRow("fmnist preset official churn")
            << "fmnist" << QStringList{"--dg-weight", "2", "--dg-preset", "official", "--churn", "8", "--steps", "10"};
        QTest::newRow("fmnist w=1 w2=0 window")
            << "fmnist" << QStringList{"--dg-weight", "1", "--dg-weight-2nd", "0",   "--dg-sigma-max", "3",
                                       "--steps",     "8", "--dg-preset",     "none"};
    }
    void matchesIndependentReference()
    {
        QFETCH(QString, model);
        QFETCH(QStringList, flags);
        const QString tag = QString(QTest::currentDataTag()).replace(' ', '_');
        const QString den = p(model + "/denoiser.pt"), disc = p(model + "/discriminator.pt");
        const QString noise = p(model + "-noise.pt");
        auto r = test::runProcess(kDg,
                                  QStringList{"sample", "--denoiser", den, "--discriminator", disc, "--noise", noise,
                                              "--seed", "11", "--out", p(tag + ".pt"), "--grid", p(tag + ".png"),
                                              "--quiet"} +
                                      flags,
                                  300000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));

        // The reference reads the settings from flags parsed here, not from dg's own metadata writer.
        auto value = [&](const QString& flag, const QJsonValue& fallback) -> QJsonValue {
            const int at = static_cast<int>(flags.indexOf(flag));
            if (at < 0) return fallback;
            const QString v = flags[at + 1];
            bool ok = false;
            const double d = v.toDouble(&ok);
            return ok ? QJsonValue(d) : QJsonValue(v);
        };
        const bool official = value("--dg-preset", "none").toString() == "official";
        QJsonObject cfg;
        cfg["seed"] = 11;
        cfg["sampler"] = value("--sampler", "heun");
        cfg["steps"] = value("--steps", 18);
        cfg["sigma_min"] = 0.002;
        cfg["sigma_max"] = 80.0;
        cfg["rho"] = 7.0;
        cfg["churn"] = value("--churn", 0.0);
        cfg["s_min"] = value("--s-min", 0.0);
        cfg["s_max"] = value("--s-max", 1e300);
        cfg["s_noise"] = value("--s-noise", 1.0);
        cfg["w"] = value("--dg-weight", 0.0);
        cfg["w2"] = value("--dg-weight-2nd", official ? QJsonValue(0.0) : cfg["w"]);
        cfg["dg_sigma_min"] = value("--dg-sigma-min", QJsonValue::Null);
        cfg["dg_sigma_max"] = value("--dg-sigma-max", QJsonValue::Null);
        cfg["logit_clip"] = value("--dg-logit-clip", official ? QJsonValue(11.512915464920228) : QJsonValue::Null);
        cfg["preset"] = official ? "official" : "none";
        QFile f(p(tag + ".json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QJsonDocument(cfg).toJson());
        f.close();
        const auto py = test::runProcess(test::pythonExe(),
                                         {QStringLiteral(DG_TEST_SUPPORT_DIR "/reference_sampler.py"), den, disc, noise,
                                          p(tag + ".json"), p(tag + "-ref.pt")},
                                         300000);
        QVERIFY2(py.exitCode == 0, qPrintable(py.err));
        const auto ours = loadTensorFile(p(tag + ".pt").toStdString());
        const auto ref = loadTensorFile(p(tag + "-ref.pt").toStdString());
        const float diff = test::maxAbsDiff(ours, ref);
        QVERIFY2(diff <= 1e-5f, qPrintable(QString("max |dg - reference| = %1").arg(diff)));
        // And guidance did something: the unguided run from the same noise is far from it.
        QStringList samplerOnly; // the same flags without guidance
        for (int i = 0; i + 1 < flags.size(); i += 2)
            if (!flags[i].startsWith("--dg-")) samplerOnly << flags[i] << flags[i + 1];
        r = test::runProcess(kDg,
                             QStringList{"sample", "--denoiser", den, "--noise", noise, "--seed", "11", "--out",
                                         p(tag + "-plain.pt"), "--quiet"} +
                                 samplerOnly,
                             300000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const float gap = test::maxAbsDiff(loadTensorFile(p(tag + "-plain.pt").toStdString()), ours);
        QVERIFY2(gap > 1e-3f, qPrintable(QString("guided and unguided differ by only %1").arg(gap)));
    }
};

QTEST_GUILESS_MAIN(ReferenceTest)
#include "ReferenceTest.moc"
