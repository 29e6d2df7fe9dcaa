// dg tune: the best weight named alike in table, last line, CSV and plot; --cache resumes and repeats for free.
#include "TestSupport.h"

#include "dg/Error.h"
#include "dg/Image.h"
#include "dg/SampleRequest.h"
#include "dg/Tuning.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace dg;

namespace {

const QString kDg = QStringLiteral(DG_CLI_PATH);

} // namespace

class TuneTest : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    QString p(const QString& name) const { return m_dir.path() + "/" + name; }

private Q_SLOTS:
    // The steps at which the unguided sampler costs what the guided one does: evaluations e·N − (e − 1) at the
    // unguided time per evaluation, never fewer than the base's steps.
    void matchedStepsFollowTheMeasuredTimes()
    {
        // Heun (2 evaluations per step), 18 steps = 35 evaluations in 0.1 s unguided; guided 0.2 s needs 70: 36 steps.
        QCOMPARE(matchedSteps({35, 35, 0.2}, {35, 0, 0.1}, 18, 2), 36);
        QCOMPARE(matchedSteps({35, 35, 0.1}, {35, 0, 0.1}, 18, 2), 18); // free guidance: the base's steps
        QCOMPARE(matchedSteps({18, 18, 0.3}, {18, 0, 0.1}, 18, 1), 54); // one evaluation per step: 3× the steps
        QVERIFY_THROWS_EXCEPTION(Error, matchedSteps({35, 35, 0.2}, {35, 0, 0.0}, 18, 2));
    }

    // dg tune --matched-compute: the costs counted (Heun, 18 steps: 35 denoiser evaluations; preset none on a toy
    // guides both), the baseline rows at the matched steps (and with churn) in the table and the CSV, never the best,
    // and a verdict against the best weight with a paired band.
    void matchedComputeBaseline()
    {
        const auto r =
            test::runProcess(kDg, {"tune", "--denoiser", "builtin:ring8-model", "--weights", "0,1", "--count", "400",
                                   "--matched-compute", "--matched-churn", "10", "--csv", p("matched.csv")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("cost per sample at 18 steps: guided 35 denoiser + 35 discriminator-gradient "
                                "evaluations"),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains("; unguided 35 denoiser + 0 discriminator-gradient evaluations"), qPrintable(r.out));
        QFile csv(p("matched.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QStringList rows = QString(csv.readAll()).trimmed().split('\n');
        QCOMPARE(rows.size(), 5);
        QVERIFY2(rows[0].startsWith("weight,steps,churn,sw2,"), qPrintable(rows[0]));
        QVERIFY(rows[1].startsWith("0,,,") && rows[2].startsWith("1,,,"));
        const QStringList plain = rows[3].split(','), churned = rows[4].split(',');
        QCOMPARE(plain[0], QString("0"));
        const int steps = plain[1].toInt();
        QVERIFY2(steps >= 18, qPrintable(rows[3])); // guidance costs something: never fewer steps than the base's
        QCOMPARE(churned[1].toInt(), steps);
        QVERIFY(plain[2].isEmpty());
        QCOMPARE(churned[2], QString("10"));
        const QString label = QString("| 0, %1 steps (matched compute) |").arg(steps);
        QVERIFY2(r.out.contains(label), qPrintable(r.out));
        QVERIFY2(r.out.contains(QString("| 0, %1 steps, churn 10 (matched compute) |").arg(steps)), qPrintable(r.out));
        QVERIFY2(!r.out.contains("steps (best)"), qPrintable(r.out));
        const QString verdict = QString("matched compute: unguided at %1 steps (").arg(steps);
        QCOMPARE(r.out.count(verdict), 1);
        QCOMPARE(r.out.count("matched compute: unguided at"), 2);
        QVERIFY2(r.out.contains("DG - baseline "), qPrintable(r.out));
        QVERIFY2(r.out.contains("DG is better at equal compute") || r.out.contains("not distinguishable") ||
                     r.out.contains("the extra steps are better"),
                 qPrintable(r.out));

        // Refused before any sampling, naming the flag.
        const auto lone = test::runProcess(kDg, {"tune", "--denoiser", "builtin:ring8-model", "--weights", "0,1",
                                                 "--count", "400", "--matched-churn", "10"});
        QVERIFY(lone.exitCode != 0);
        QVERIFY2(lone.err.contains("--matched-churn: needs --matched-compute"), qPrintable(lone.err));
        const auto unguided = test::runProcess(kDg, {"tune", "--denoiser", "builtin:ring8-model", "--weights", "0",
                                                     "--count", "400", "--matched-compute"});
        QVERIFY(unguided.exitCode != 0);
        QVERIFY2(unguided.err.contains("--matched-compute: needs a guided weight above 0"), qPrintable(unguided.err));
    }

    // dg tune: the table's "(best)" row, the last line and the CSV agree, and the CSV holds every weight.
    // Too few images per weight for a bootstrap band: one line naming the count, before any sampling.
    void tooFewSamplesForABootstrap()
    {
        const auto r =
            test::runProcess(kDg, {"tune", "--denoiser", "builtin:fmnist", "--weights", "0,1", "--count", "20"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("count: 20 samples per weight are too few for a bootstrap band"), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count('\n'), 0);
    }

    void tuneNamesTheBestWeight()
    {
        const auto r = test::runProcess(kDg, {"tune", "--denoiser", "builtin:ring8-model", "--weights", "0,1,3",
                                              "--count", "400", "--csv", p("tune.csv"), "--plot", p("tune.png")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList lines = r.out.trimmed().split('\n');
        QVERIFY(lines.last().startsWith("best w = "));
        const QString best = lines.last().mid(9);
        QVERIFY2(r.out.contains("| " + best + " (best) |"), qPrintable(r.out));
        QFile csv(p("tune.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QStringList rows = QString(csv.readAll()).trimmed().split('\n');
        QCOMPARE(rows.size(), 4);
        QCOMPARE(rows[0], QString("weight,sw2,sw2_sd,nll,sw2_change,sw2_change_p05,sw2_change_p95"));
        double bestSw2 = 1e9;
        QString bestWeight;
        for (int i = 1; i < rows.size(); ++i) {
            const auto cells = rows[i].split(',');
            if (cells[1].toDouble() < bestSw2) {
                bestSw2 = cells[1].toDouble();
                bestWeight = cells[0];
            }
        }
        QCOMPARE(bestWeight, best);
        // The plot: a PNG with the sweep's settings in its metadata, and the best weight's label drawn in green.
        const auto text = readPngText(p("tune.png").toStdString());
        QVERIFY(requestFromJson(text.at("dg.settings")).denoiser == "builtin:ring8-model");
        const RgbImage plot = readPng(p("tune.png").toStdString());
        QVERIFY(plot.width() > 800 && plot.height() > 300);
        int green = 0;
        for (int y = 0; y < plot.height(); ++y)
            for (int x = 0; x < plot.width(); ++x) {
                const Rgb c = plot.pixel(x, y);
                green += c.r == 20 && c.g == 120 && c.b == 60;
            }
        QVERIFY2(green > 50, qPrintable(QString("%1 marker pixels").arg(green)));
    }

    // dg tune --cache: a repeated sweep reads every score; a run whose batches were partly lost (deleted, damaged or
    // swapped) or whose score was edited samples and scores only those again, with a warning for what fails its
    // seal, and prints the same table as the first run; another weight samples anew.
    void tuneCacheResumesAndRepeats()
    {
        const QStringList base = {"tune",    "--denoiser", "builtin:ring8-model", "--count", "800",
                                  "--batch", "200",        "--bootstrap",         "0",       "--cache",
                                  p("cache")};
        const auto first = test::runProcess(kDg, base + QStringList{"--weights", "0,1"});
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        QCOMPARE(first.err.count("0 batches read from the cache"), 2);
        QCOMPARE(first.err.count("4 sampled"), 2);
        QDir dir(p("cache"));
        const QStringList scores = dir.entryList({"*-score-*.json"});
        QCOMPARE(scores.size(), 2);
        const QStringList batches = dir.entryList({"*-*-200.pt"});
        QCOMPARE(batches.size(), 8);

        const auto again = test::runProcess(kDg, base + QStringList{"--weights", "0,1"});
        QVERIFY2(again.exitCode == 0, qPrintable(again.err));
        QCOMPARE(again.err.count("score read from the cache"), 2);
        QVERIFY2(!again.err.contains("sampled"), qPrintable(again.err));
        QCOMPARE(again.out, first.out);

        // A score whose numbers were edited is not believed (issue: trusted inputs that are not checked).
        {
            QFile score(dir.filePath(scores[0]));
            QVERIFY(score.open(QIODevice::ReadOnly));
            QByteArray text = score.readAll();
            score.close();
            const qsizetype at = text.indexOf("\"values\":[") + 10;
            QVERIFY(at > 10);
            text.replace(at, text.indexOf(',', at) - at, "1e30"); // the first metric's value
            QVERIFY(score.open(QIODevice::WriteOnly | QIODevice::Truncate));
            score.write(text);
            score.close();
            const auto edited = test::runProcess(kDg, base + QStringList{"--weights", "0,1"});
            QVERIFY2(edited.exitCode == 0, qPrintable(edited.err));
            QCOMPARE(edited.err.count("does not match its checksum or key"), 1);
            QCOMPARE(edited.err.count("score read from the cache"), 1);
            QCOMPARE(edited.out, first.out);
        }

        for (const auto& f : scores)
            QVERIFY(dir.remove(f));
        QVERIFY(dir.remove(batches[0]));
        // One batch damaged, another replaced by a well-formed batch of other samples (the first run's batch 2):
        // both fail their seal and are sampled again, with a warning.
        QFile damaged(dir.filePath(batches[5]));
        QVERIFY(damaged.open(QIODevice::WriteOnly | QIODevice::Truncate));
        damaged.write("not a tensor");
        damaged.close();
        QVERIFY(QFile::remove(dir.filePath(batches[6])));
        QVERIFY(QFile::copy(dir.filePath(batches[2]), dir.filePath(batches[6])));
        const auto resumed = test::runProcess(kDg, base + QStringList{"--weights", "0,1"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        QCOMPARE(resumed.err.count("batches read from the cache"), 2);
        QCOMPARE(resumed.err.count("warning: 2 cached batches did not match their checksum or key"), 1);
        QCOMPARE(
            resumed.err.count("2 batches read from the cache") + resumed.err.count("3 batches read from the cache"), 2);
        QCOMPARE(resumed.out, first.out);

        const auto other = test::runProcess(kDg, base + QStringList{"--weights", "0,2"});
        QVERIFY2(other.exitCode == 0, qPrintable(other.err));
        QCOMPARE(other.err.count("score read from the cache"), 1);
        QCOMPARE(other.err.count("0 batches read from the cache"), 1);
    }
};

QTEST_GUILESS_MAIN(TuneTest)
#include "TuneTest.moc"
