// dg-studio's window against bugs found by users (issue 28, item 2 and earlier issues), each a test that fails without
// its fix: squashed docks, a window larger than the screen, the sweep sheet after a model switch, the training dock
// after a model switch, long status messages, values typed outside a spin box's range. Under xvfb-run.
#include "MainWindow.h"
#include "ModelPanel.h"
#include "PlotWidget.h"
#include "StudioTestSupport.h"
#include "TrainingPanel.h"
#include "ViewerWidget.h"

#include <QApplication>
#include <QDockWidget>
#include <QFontInfo>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QScreen>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>

using namespace dg;
using namespace dg::studio;
using namespace dg::studio::uitest;

class StudioFixesTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("DG Studio tests"));
        QCoreApplication::setApplicationName(QStringLiteral("StudioFixesTest"));
        QSettings().clear();
    }

    // Issue 13, item 7: shrinking the window to 800 × 500 and back gives the docks their sizes back, and a relaunch
    // from the small window does not bring the squashed layout back either.
    void squashedDocksRecover()
    {
        QSettings().clear();
        auto widths = [](MainWindow& w) {
            return std::pair{w.findChild<QDockWidget*>(QStringLiteral("GuidanceDock"))->width(),
                             w.findChild<QDockWidget*>(QStringLiteral("ModelDock"))->width()};
        };
        std::pair<int, int> roomy;
        {
            MainWindow w;
            w.resize(1280, 800);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            QTest::qWait(200);
            roomy = widths(w);
            w.resize(800, 500);
            QTest::qWait(200);
            QVERIFY(widths(w).first < roomy.first || widths(w).second < roomy.second); // squashed meanwhile
            w.resize(1280, 800);
            QTest::qWait(300);
            QVERIFY2(std::abs(widths(w).first - roomy.first) <= 8 && std::abs(widths(w).second - roomy.second) <= 8,
                     qPrintable(QString("%1, %2 (were %3, %4)")
                                    .arg(widths(w).first)
                                    .arg(widths(w).second)
                                    .arg(roomy.first)
                                    .arg(roomy.second)));
            w.resize(800, 500);
            QTest::qWait(200);
            w.close(); // saves while small
        }
        MainWindow again;
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        again.resize(1280, 800);
        QTest::qWait(300);
        QVERIFY2(std::abs(widths(again).first - roomy.first) <= 8 && std::abs(widths(again).second - roomy.second) <= 8,
                 qPrintable(QString("%1, %2 (were %3, %4)")
                                .arg(widths(again).first)
                                .arg(widths(again).second)
                                .arg(roomy.first)
                                .arg(roomy.second)));
        again.close();
        QSettings().clear();
    }

    // 2.3: a window restored at +0+20 with the screen's full height (what a window manager's title bar does to a saved
    // full-height window) is moved and shrunk inside the screen; View → Reset layout refits a window that was moved off
    // the screen, not only the docks.
    void windowFitsTheScreen()
    {
        QSettings().clear();
        MainWindow w;
        const QRect available = w.screen()->availableGeometry();
        w.resize(available.size());
        w.move(available.left(), available.top() + 20);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.fitToScreen());
        QTRY_VERIFY2(available.contains(w.frameGeometry()), qPrintable(QStringLiteral("%1,%2 %3x%4")
                                                                           .arg(w.frameGeometry().x())
                                                                           .arg(w.frameGeometry().y())
                                                                           .arg(w.frameGeometry().width())
                                                                           .arg(w.frameGeometry().height())));
        QVERIFY(!w.fitToScreen()); // nothing left to fix
        w.move(available.left() + 300, available.top() + 400);
        QTRY_VERIFY(!available.contains(w.frameGeometry()));
        w.resetLayout();
        QTRY_VERIFY(available.contains(w.frameGeometry()));
        w.close();
        QSettings().clear();
    }

    // 2.6: Export → sweep sheet after another model was loaded and before a run says why it does nothing.
    void sweepSheetAfterAModelSwitchSaysWhy()
    {
        QTemporaryDir dir;
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.applyRequest(toy(1.0, 4, 16), true);
        QVERIFY(waitUntil([&] { return finished(w, 0); }));
        QSignalSpy loaded(&w.controller(), &StudioController::modelsLoaded);
        w.modelPanel().setModels(QStringLiteral("builtin:moons-model"), QStringLiteral("builtin:moons-disc"),
                                 Device::Cpu);
        Q_EMIT w.modelPanel().loadRequested();
        QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), 30000);
        QString error;
        QVERIFY(!w.exportSweepTo(dir.filePath(QStringLiteral("sheet.png")), &error));
        QVERIFY2(error.contains(QStringLiteral("loaded models")) && error.contains(QStringLiteral("press Sample")),
                 qPrintable(error));
    }

    // 2.8: switching to another model clears the last training job's curve, snapshots and "done: …"; a long
    // adoption message ends before "last step …" in the status bar instead of running under it.
    void modelSwitchClearsTrainingAndMessagesFit()
    {
        MainWindow w;
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.applyRequest(toy(1.0, 4, 16), true);
        QVERIFY(waitUntil([&] { return finished(w, 0); }));
        TrainingPanel& t = w.trainingPanel();
        t.started();
        TrainingProgress p;
        p.iteration = 10;
        p.total = 20;
        p.loss = 0.6;
        p.accuracy = 0.55;
        t.showProgress(QStringLiteral("training"), p);
        t.addSnapshot(10);
        t.finished(QStringLiteral("/tmp/ring8-disc.pt"), true);
        QCOMPARE(t.snapshotCount(), 1);
        QVERIFY(t.plot()->pointCount(0) > 0);
        auto lastStep = [&] {
            for (auto* l : w.statusBar()->findChildren<QLabel*>())
                if (l->text().startsWith(QStringLiteral("last step"))) return l;
            return static_cast<QLabel*>(nullptr);
        };
        QTRY_VERIFY(lastStep() != nullptr);
        const QString longPath = QStringLiteral("/home/someone/experiments/") + QString(120, QLatin1Char('x')) +
                                 QStringLiteral("/disc-snapshot-000600.pt");
        Q_EMIT w.controller().discriminatorAdopted(QStringLiteral("snapshot @ iteration 600"), longPath);
        const QString shown = w.statusBar()->currentMessage();
        QVERIFY(shown.endsWith(QChar(0x2026))); // elided
        QVERIFY2(QFontMetrics(w.statusBar()->font()).horizontalAdvance(shown) < lastStep()->x(),
                 qPrintable(QStringLiteral("%1 px of message, 'last step' at %2")
                                .arg(QFontMetrics(w.statusBar()->font()).horizontalAdvance(shown))
                                .arg(lastStep()->x())));
        QVERIFY(w.statusBar()->toolTip().contains(longPath)); // the whole text stays readable

        QSignalSpy loaded(&w.controller(), &StudioController::modelsLoaded);
        w.modelPanel().setModels(QStringLiteral("builtin:moons-model"), QStringLiteral("builtin:moons-disc"),
                                 Device::Cpu);
        Q_EMIT w.modelPanel().loadRequested();
        QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), 30000);
        QCOMPARE(t.snapshotCount(), 0);
        for (auto* l : t.findChildren<QLabel*>())
            QVERIFY2(!l->text().contains(QStringLiteral("ring8-disc.pt")), qPrintable(l->text()));
        QCOMPARE(t.plot()->pointCount(0) + t.plot()->pointCount(1), 0);
    }

    // Item 4: kind defaults apply on the first load after launch too: a fresh window (the Fashion-MNIST pair, 16
    // images) switched to the ring toy before anything loaded samples the toy's 256 particles at its weight, and the
    // kind is remembered with the settings.
    void kindDefaultsOnTheFirstLoad()
    {
        QSettings().clear();
        {
            MainWindow w;
            if (w.currentRequest().settings.count != 16) QSKIP("the Fashion-MNIST pair is not shipped");
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            w.modelPanel().setModels(QStringLiteral("builtin:ring8-model"), QStringLiteral("builtin:ring8-disc"),
                                     Device::Cpu);
            w.sample();
            QVERIFY(waitUntil([&] { return finished(w, 0); }));
            QCOMPARE(w.controller().runRequest().settings.count, int64_t(256));
            QCOMPARE(w.controller().runRequest().settings.guidance.weight, kindGuidance(true).weight);
            QCOMPARE(w.controller().runRequest().settings.guidance.preset, GuidancePreset::None);
            w.close();
        }
        MainWindow again; // restored: a toy request, known to be one
        QCOMPARE(again.settingsKind(), std::optional<bool>(true));
        QSettings().clear();
    }

    // Item 4: presenter mode (F5) — text of at least 28 px in the docks' font and the view's labels, d(x_t) badges of
    // at least 24 px on a 200 px tile, docks hidden; F5 again brings the docks and the text size back. The text size
    // of View → Text size is saved.
    void presenterModeIsReadableFromTheBackRow()
    {
        QSettings().clear();
        {
            MainWindow w;
            w.resize(1280, 800);
            w.show();
            QVERIFY(QTest::qWaitForWindowExposed(&w));
            const int before = QFontInfo(QApplication::font()).pixelSize();
            auto* guidance = w.findChild<QDockWidget*>(QStringLiteral("GuidanceDock"));
            QVERIFY(guidance->isVisible());
            QVERIFY(activate(w));
            QTest::keyClick(&w, Qt::Key_F5);
            QVERIFY(w.presenting());
            QVERIFY2(QFontInfo(QApplication::font()).pixelSize() >= 28,
                     qPrintable(QString::number(QFontInfo(QApplication::font()).pixelSize())));
            QVERIFY(QFontInfo(w.viewer().labelFont()).pixelSize() >= 28);
            QVERIFY(gl::badgeHeight(200, w.viewer().textScale()) >= 24);
            QTRY_VERIFY(!guidance->isVisible());
            QTest::keyClick(&w, Qt::Key_F5);
            QVERIFY(!w.presenting());
            QTRY_VERIFY(guidance->isVisible());
            QCOMPARE(QFontInfo(QApplication::font()).pixelSize(), before);
            w.setTextScale(1.5);
            w.close();
        }
        MainWindow again;
        QCOMPARE(again.textScale(), 1.5);
        again.setTextScale(1.0);
        QSettings().clear();
    }

    // 2.9: a value typed outside a spin box's range is clamped to the nearest allowed one and the status bar says so
    // (it used to revert silently: 10 samples came back as 1000, 1 fake as 2000).
    void outOfRangeValuesClampAndSay()
    {
        MainWindow w;
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSpinBox* fakes = nullptr;
        for (auto* box : w.trainingPanel().findChildren<QSpinBox*>())
            if (box->maximum() == 60000) fakes = box;
        QVERIFY(fakes);
        fakes->setValue(2000);
        fakes->setFocus();
        auto* edit = fakes->findChild<QLineEdit*>();
        edit->selectAll();
        QTest::keyClicks(edit, QStringLiteral("1"));
        QTest::keyClick(edit, Qt::Key_Return);
        QCOMPARE(fakes->value(), fakes->minimum());
        const QString said = w.statusBar()->currentMessage();
        QVERIFY2(said.contains(QStringLiteral("Fake samples")) && said.contains(QString::number(fakes->minimum())),
                 qPrintable(said));
        QVERIFY(fakes->toolTip().contains(QStringLiteral("Allowed")));
    }
};

QTEST_MAIN(StudioFixesTest)
#include "StudioFixesTest.moc"
