// dg-studio's Tune dock end to end (under xvfb-run): a weight sweep in the background, clicking a point, exporting
// the plot, and the matched-compute baselines (more steps, and EDM's churn).
#include "GuidancePanel.h"
#include "MainWindow.h"
#include "TunePanel.h"

#include "StudioTestSupport.h"
#include "TestSupport.h"
#include "dg/Export.h"
#include "dg/Image.h"

#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace dg;
using namespace dg::studio;
using namespace dg::studio::uitest;

class TuneDockTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("DG Studio tests"));
        QCoreApplication::setApplicationName(QStringLiteral("TuneDockTest"));
        QSettings().clear();
    }

    // The Tune dock: Ctrl+T opens it; bad weights are refused with a message; a sweep of the analytic ring8 pair runs
    // in the background and marks w = 1 best; clicking the w = 3 point samples there with the sweep's seed; the plot
    // exports as PNG + JSON sidecar + CSV.
    void tuneDockSweepsClicksAndExports()
    {
        QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/tune-cache").removeRecursively();
        QTemporaryDir dir;
        MainWindow w;
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.applyRequest(toy(0.0, 18, 16), false);
        auto* dock = w.findChild<QDockWidget*>(QStringLiteral("TuneDock"));
        QVERIFY(dock && !dock->isVisible());
        QVERIFY(activate(w));
        QTest::keyClick(&w, Qt::Key_T, Qt::ControlModifier);
        QVERIFY(dock->isVisible());

        auto* status = w.findChild<QLabel*>(QStringLiteral("tuneStatus"));
        w.tunePanel().setFields(QStringLiteral("0, 2, 1"), 1500, 3);
        w.runTune();
        QVERIFY(!w.controller().tuning());
        QVERIFY2(status->text().startsWith(QStringLiteral("Weights: ")), qPrintable(status->text()));

        w.tunePanel().setFields(QStringLiteral("0, 1, 3"), 1500, 3);
        w.runTune();
        QVERIFY(w.controller().tuning());
        QVERIFY(waitUntil([&] { return !w.controller().tuning(); }, 120000));
        const TuneResult& result = w.controller().tuneResult();
        QCOMPARE(result.rows.size(), size_t(3));
        QCOMPARE(result.rows[result.best].weight, 1.0);

        auto* view = w.tunePanel().plot();
        QVERIFY(!view->image().isNull());
        const auto& points = view->drawn().points;
        const auto three =
            std::find_if(points.begin(), points.end(), [](const TunePlotPoint& p) { return p.row == 2; });
        QVERIFY(three != points.end());
        QCOMPARE(view->rowAt(QPointF(three->x, three->y)), 2);
        QTest::mouseClick(view, Qt::LeftButton, {}, QPoint(qRound(three->x), qRound(three->y)));
        QCOMPARE(w.guidancePanel().guidance().weight, 3.0);
        QCOMPARE(w.currentRequest().settings.seed, quint64(3));
        QVERIFY(waitUntil([&] { return w.controller().runRequest().settings.guidance.weight == 3.0; }));

        const QString png = dir.filePath(QStringLiteral("tune.png"));
        QString error;
        QVERIFY2(w.exportTuneTo(png, &error), qPrintable(error));
        QFile sidecar(dir.filePath(QStringLiteral("tune.json")));
        QVERIFY(sidecar.open(QIODevice::ReadOnly));
        const QJsonObject j = QJsonDocument::fromJson(sidecar.readAll()).object();
        QCOMPARE(j.value("kind").toString(), QString("tune"));
        const QJsonArray cells = j.value("cells").toArray();
        QCOMPARE(cells.size(), 3);
        QCOMPARE(cells[1].toObject().value("weight").toDouble(), 1.0);
        QVERIFY(cells[1].toObject().value("best").toBool());
        QCOMPARE(cells[2].toObject().value("metrics").toObject().value("sw2").toDouble(),
                 column(result.rows[2].score, "sw2"));
        QCOMPARE(j.value("settings").toObject().value("count").toInt(), 1500);
        QFile csv(dir.filePath(QStringLiteral("tune.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QStringList lines = QString(csv.readAll()).trimmed().split('\n');
        QCOMPARE(lines.size(), 4);
        QCOMPARE(lines[0], QString("weight,sw2,sw2_sd,nll,sw2_change,sw2_change_p05,sw2_change_p95"));
        QVERIFY(lines[2].startsWith(QStringLiteral("1,")));
        QVERIFY(readPngText(png.toStdString()).count("dg.tune") == 1);
    }

    // The Tune dock's matched compute with a churn baseline: the churn box follows the checkbox; a sweep of the
    // analytic ring8 pair ends with the deterministic baseline and the churned one at the same matched steps, both in
    // the verdict and the status line.
    void tuneDockMatchedComputeWithChurnBaseline()
    {
        QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/tune-cache").removeRecursively();
        MainWindow w;
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.applyRequest(toy(0.0, 18, 16), false);
        auto* churn = w.findChild<QDoubleSpinBox*>(QStringLiteral("tuneMatchedChurn"));
        QVERIFY(churn && !churn->isEnabled());
        w.tunePanel().setMatchedChurn(10.0);
        QCOMPARE(w.tunePanel().matchedChurn(), 0.0); // no matched compute, no churn baseline
        w.tunePanel().setMatchedCompute(true);
        QVERIFY(churn->isEnabled());
        QCOMPARE(w.tunePanel().matchedChurn(), 10.0);

        w.tunePanel().setFields(QStringLiteral("0, 1"), 1000, 5);
        w.runTune();
        QVERIFY(w.controller().tuning());
        QVERIFY(waitUntil([&] { return !w.controller().tuning(); }, 180000));
        const TuneResult& result = w.controller().tuneResult();
        QCOMPARE(result.rows.size(), size_t(4));
        QVERIFY(result.costs.has_value());
        const TuneRow &plain = result.rows[2], &churned = result.rows[3];
        QVERIFY2(plain.steps >= 18, qPrintable(QString::number(plain.steps)));
        QVERIFY(std::isnan(plain.churn));
        QCOMPARE(churned.steps, plain.steps);
        QCOMPARE(churned.churn, 10.0);
        auto* status = w.findChild<QLabel*>(QStringLiteral("tuneStatus"));
        QVERIFY2(status->text().contains(QStringLiteral("2 matched-compute baselines × 1000 samples")),
                 qPrintable(status->text()));
        const QString best = w.findChild<QLabel*>(QStringLiteral("tuneBest"))->text();
        QVERIFY2(best.count(QStringLiteral("matched compute: unguided at")) == 2, qPrintable(best));
        QVERIFY2(best.contains(QStringLiteral("steps, churn 10 (")), qPrintable(best));
    }
};

QTEST_MAIN(TuneDockTest)
#include "TuneDockTest.moc"
