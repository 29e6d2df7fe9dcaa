// dg-studio's window end to end (under xvfb-run): a guidance edit reaches the next step, keyboard shortcuts, branch,
// exports carry their settings and re-open to the same settings, and the GUI thread stays responsive while sampling
// and training (the probe behind docs/PERFORMANCE.md).
#include "ExportPanel.h"
#include "GuidancePanel.h"
#include "MainWindow.h"
#include "ModelPanel.h"
#include "RequestJson.h"
#include "SamplerPanel.h"
#include "TimelineWidget.h"
#include "TrainingPanel.h"
#include "TunePanel.h"

#include "StudioTestSupport.h"
#include "TestSupport.h"
#include "dg/Animation.h"
#include "dg/Export.h"
#include "dg/Image.h"

#include <QComboBox>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QScreen>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QtTest>

using namespace dg;
using namespace dg::studio;
using namespace dg::studio::uitest;

class StudioWindowTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("DG Studio tests"));
        QCoreApplication::setApplicationName(QStringLiteral("StudioWindowTest"));
        QSettings().clear();
    }

    void settingsPersistBetweenLaunches()
    {
        SampleRequest r = toy(0.75, 9, 40);
        r.settings.guidance.sigmaHi = 12.5;
        r.settings.sampler.churn.churn = 0.3;
        {
            MainWindow w;
            w.applyRequest(r, false);
            w.setViewMode(ViewMode::Denoised);
            w.close(); // saves
        }
        MainWindow again;
        QCOMPARE(QString::fromStdString(toJson(again.currentRequest())), QString::fromStdString(toJson(r)));
        QCOMPARE(again.viewer().mode(), ViewMode::Denoised);
        QSettings().clear();
    }

    // A launch samples by itself (issue: the first five minutes): with no saved settings the default pair plays a run
    // with its companion, no click; a later launch samples the restored settings; with Run > Sample on launch off it
    // only loads the models (in the background), and Sample then runs at once.
    void launchSamplesWithoutAClick()
    {
        QSettings().clear();
        {
            MainWindow w;
            w.show();
            QSignalSpy frames(&w.controller(), &StudioController::frameAdded);
            w.launch();
            QTRY_VERIFY_WITH_TIMEOUT(!frames.isEmpty(), 60000);
            QVERIFY(w.controller().modelsReady());
            const auto f = w.controller().frame(0, frames.front().at(1).toInt());
            QVERIFY(f && !f->unguidedX.values.empty()); // guided | unguided: the companion came along
            w.applyRequest(toy(0.5, 3, 24), false);
            w.close(); // saves the toy request
        }
        {
            MainWindow w;
            QSignalSpy frames(&w.controller(), &StudioController::frameAdded);
            w.launch();
            QTRY_VERIFY_WITH_TIMEOUT(!frames.isEmpty(), 60000);
            QCOMPARE(w.controller().runRequest().denoiser, std::string("builtin:ring8-model"));
            auto* pref = w.findChild<QAction*>(QStringLiteral("sampleOnLaunch"));
            QVERIFY(pref && pref->isChecked());
            pref->trigger(); // off, saved at once
            w.close();
        }
        MainWindow w;
        QSignalSpy loaded(&w.controller(), &StudioController::modelsLoaded);
        QSignalSpy frames(&w.controller(), &StudioController::frameAdded);
        w.launch();
        QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), 60000);
        QTest::qWait(300);
        QVERIFY(frames.isEmpty()); // loaded, not sampled
        w.sample();
        QTRY_VERIFY_WITH_TIMEOUT(!frames.isEmpty(), 60000);
        QSettings().clear();
    }

    void guidanceEditAppliesToTheNextStep()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.applyRequest(toy(0.0, 8, 64), false);
        w.samplerPanel().setCompare(true);
        w.setPlaybackSpeed(3); // one step per second: time to pause mid-run
        w.sample();
        QVERIFY(waitUntil([&] { return w.controller().frameCount(0) >= 1; }));
        w.togglePlay(); // pause
        QVERIFY(waitUntil([&] { return !w.playing(); }));
        QTest::qWait(100);
        const int done = w.controller().frameCount(0);
        QVERIFY(done < 9);
        // The scrubber spans the whole run, not only the steps computed so far; dragging past them stops at the last.
        QCOMPARE(w.timeline().rangeEnd(), 8);
        w.timeline().findChild<QSlider*>()->setValue(8);
        QCOMPARE(w.shownStep(), done - 1);
        w.setPlaybackSpeed(0);
        w.guidancePanel().setWeight(1.25); // what moving the slider / spin box does
        w.stepForward();
        QVERIFY(waitUntil([&] { return w.controller().frameCount(0) == done + 1; }));
        QCOMPARE(w.controller().frame(0, done)->weight, 1.25);
        QCOMPARE(w.shownStep(), done); // the cursor follows the computed step
        // The wheel over an unfocused spin box scrolls the dock instead of editing the value.
        auto* w2Box = w.guidancePanel().findChild<QDoubleSpinBox*>(QStringLiteral("weight"));
        w2Box->clearFocus();
        const double beforeWheel = w2Box->value();
        const QPointF at(w2Box->width() / 2.0, w2Box->height() / 2.0);
        QWheelEvent wheel(at, w2Box->mapToGlobal(at), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
                          Qt::NoScrollPhase, false);
        QApplication::sendEvent(w2Box, &wheel);
        QCOMPARE(w2Box->value(), beforeWheel);
        // The main run keeps the weight it was sampled with in its label; the live change is appended.
        auto* list = w.findChild<QListWidget*>(QStringLiteral("branchList"));
        QVERIFY(list && list->count() >= 1);
        const QString label = list->item(0)->text();
        QVERIFY2(label.startsWith(QStringLiteral("main run (w = 0)")) &&
                     label.contains(QStringLiteral("then w = 1.25")),
                 qPrintable(label));

        QVERIFY(activate(w));
        QTest::keyClick(&w, Qt::Key_G); // toggles guidance off for the next step
        QVERIFY(!w.guidancePanel().guidance().enabled);
        w.stepForward();
        QVERIFY(waitUntil([&] { return w.controller().frameCount(0) == done + 2; }));
        QCOMPARE(w.controller().frame(0, done + 1)->weight, 0.0);

        QTest::keyClick(&w, Qt::Key_Left);
        QCOMPARE(w.shownStep(), done);
        QTest::keyClick(&w, Qt::Key_Right);
        QCOMPARE(w.shownStep(), done + 1);

        // Typing a weight and Enter, then G: the shortcut works without clicking the view first.
        auto* weightBox = w.guidancePanel().findChild<QDoubleSpinBox*>(QStringLiteral("weight"));
        QVERIFY(weightBox);
        weightBox->setFocus();
        QVERIFY(waitUntil([&] { return weightBox->hasFocus(); }, 2000));
        weightBox->selectAll();
        QTest::keyClicks(weightBox, "0.5");
        QTest::keyClick(weightBox, Qt::Key_Return);
        QVERIFY(waitUntil([&] { return w.viewer().hasFocus(); }, 2000));
        const bool before = w.guidancePanel().guidance().enabled;
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_G);
        QCOMPARE(w.guidancePanel().guidance().enabled, !before);
        QCOMPARE(w.guidancePanel().guidance().weight, 0.5);
    }

    // Home/End jump to the first and last recorded step; View → Reset layout brings a closed dock back.
    void homeEndAndResetLayout()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.applyRequest(toy(1.0, 6, 64), true);
        // While the pair loads the empty view says so, not "Load a model".
        QVERIFY2(w.viewer().idleText().startsWith(QStringLiteral("Loading builtin:ring8-model")),
                 qPrintable(w.viewer().idleText()));
        QVERIFY(waitUntil([&] { return finished(w, 0); }));
        w.showStep(3);
        QVERIFY(activate(w));
        QTest::keyClick(&w, Qt::Key_Home);
        QCOMPARE(w.shownStep(), 0);
        QTest::keyClick(&w, Qt::Key_End);
        QCOMPARE(w.shownStep(), 6);
        // The disabled w₂ box follows w (the corrector's weight without a separate w₂), never showing an old value.
        w.guidancePanel().setWeight(2.5);
        QCOMPARE(w.findChild<QDoubleSpinBox*>(QStringLiteral("weight2"))->value(), 2.5);
        QVERIFY(!w.guidancePanel().guidance().weight2.has_value());

        auto* dock = w.findChild<QDockWidget*>(QStringLiteral("ExportDock"));
        QVERIFY(dock);
        dock->close();
        QVERIFY(!dock->toggleViewAction()->isChecked());
        w.findChild<QAction*>(QStringLiteral("resetLayout"))->trigger();
        QVERIFY(dock->toggleViewAction()->isChecked()); // shown again (possibly as a tab)
        QVERIFY(w.width() <= w.screen()->availableGeometry().width());

        // Another kind of model chosen in the Model dock takes its own batch and weight (issue 13): Fashion-MNIST
        // after the toy's 64 points at w = 2.5 samples 16 images at w = 2 — not 64 images. (A request applied in full,
        // from a file or the command line, is taken as it is; StudioFixesTest covers that side.)
        QSignalSpy loaded(&w.controller(), &StudioController::modelsLoaded);
        w.modelPanel().setModels(QStringLiteral("builtin:fmnist"), QStringLiteral("builtin:fmnist-disc"), Device::Cpu);
        w.sample();
        QVERIFY(loaded.wait(60000));
        QCOMPARE(w.currentRequest().settings.count, int64_t(16));
        QCOMPARE(w.currentRequest().settings.guidance.weight, 2.0);
        QVERIFY(waitUntil([&] { return w.controller().frameCount(0) > 0; }));
        QCOMPARE(w.controller().frame(0, 0)->x.batch(), int64_t(16));

        // A request given in full (a file, the command line) switching back to the toy is taken as it is: 24 points.
        QVERIFY(waitUntil([&] { return finished(w, 0); }));
        SampleRequest full = w.currentRequest();
        full.denoiser = "builtin:ring8-model";
        full.discriminator = "builtin:ring8-disc";
        full.settings.count = 24;
        w.applyRequest(full, true);
        QVERIFY(waitUntil([&] { return w.controller().runRequest().denoiser == full.denoiser && finished(w, 0); }));
        QCOMPARE(w.controller().runRequest().settings.count, int64_t(24));
        QCOMPARE(w.currentRequest().settings.count, int64_t(24));
    }

    void branchKeyForksTheShownStep()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.applyRequest(toy(0.0, 6, 64), true);
        QVERIFY(waitUntil([&] { return finished(w, 0); }));
        w.showStep(2);
        w.guidancePanel().setWeight(1.0);
        QSignalSpy created(&w.controller(), &StudioController::branchCreated);
        QVERIFY(activate(w));
        QTest::keyClick(&w, Qt::Key_B);
        QVERIFY(created.wait(10000));
        QCOMPARE(created.front().at(2).toInt(), 2);
        QVERIFY2(w.shownStep() >= 2, qPrintable(QString::number(w.shownStep()))); // never back to step 1
        QVERIFY(waitUntil([&] { return finished(w, 1); }));
        QCOMPARE(w.shownBranch(), 1);
        // Names say what each branch is: the list names the parent and the weight, the compare box "main run".
        auto* list = w.findChild<QListWidget*>(QStringLiteral("branchList"));
        QVERIFY(list && list->count() == 2);
        QVERIFY2(list->item(1)->text().startsWith(QStringLiteral("branch 1: from the main run at step 2, w = 1")),
                 qPrintable(list->item(1)->text()));
        auto* compareWith = w.findChild<QComboBox*>(QStringLiteral("compareWith"));
        QVERIFY(compareWith && compareWith->findText(QStringLiteral("main run")) >= 0);
        QCOMPARE(w.controller().frame(1, 2)->weight, 1.0);
        QCOMPARE(w.controller().frame(0, 2)->weight, 0.0);
    }

    void exportsCarrySettingsAndReopen()
    {
        QTemporaryDir dir;
        dir.setAutoRemove(qEnvironmentVariableIsEmpty("DG_KEEP_EXPORTS")); // to look at the files
        qInfo("exports in %s", qPrintable(dir.path()));
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        SampleRequest r = toy(1.5, 5, 48);
        r.settings.guidance.sigmaLo = 0.05;
        r.settings.guidance.weight2 = 0.0;
        w.applyRequest(r, true);
        QVERIFY(waitUntil([&] { return finished(w, 0); }));
        const SampleRequest used = w.controller().runRequest();

        const QString grid = dir.filePath(QStringLiteral("grid.png"));
        QString error;
        QVERIFY2(w.exportGridTo(grid, &error), qPrintable(error));
        const auto text = readPngText(grid.toStdString());
        QCOMPARE(QString::fromStdString(text.at("dg.settings")), QString::fromStdString(toJson(used)));
        QVERIFY(text.at("dg.command").rfind("dg sample", 0) == 0);
        QVERIFY(text.count("dg.view"));
        QFile sidecar(dir.filePath(QStringLiteral("grid.json")));
        QVERIFY(sidecar.open(QIODevice::ReadOnly));
        const auto json = QJsonDocument::fromJson(sidecar.readAll()).object();
        QCOMPARE(json.value(QStringLiteral("kind")).toString(), QStringLiteral("grid"));
        QCOMPARE(json.value(QStringLiteral("view")).toObject().value(QStringLiteral("step")).toInt(), 5);

        // Re-opening restores the same settings (and samples again).
        MainWindow other;
        QVERIFY(other.openSettingsFile(grid, &error));
        QCOMPARE(QString::fromStdString(toJson(other.currentRequest())), QString::fromStdString(toJson(used)));
        QVERIFY(other.openSettingsFile(dir.filePath(QStringLiteral("grid.json")), &error));
        QCOMPARE(QString::fromStdString(toJson(other.currentRequest())), QString::fromStdString(toJson(used)));
        QVERIFY(waitUntil([&] { return finished(other, 0); }));
        QCOMPARE(other.controller().frame(0, 5)->x.values, w.controller().frame(0, 5)->x.values);

        // The animation: one frame per recorded step, the run's settings as its comment; a wrong extension refused.
        const QString gif = dir.filePath(QStringLiteral("run.gif"));
        QVERIFY2(w.exportAnimationTo(gif, &error), qPrintable(error));
        const auto animation = readAnimation(gif.toStdString());
        QCOMPARE(static_cast<int>(animation.frames.size()), w.controller().frameCount(0));
        QCOMPARE(QString::fromStdString(animation.metadata), QString::fromStdString(toJson(used)));
        QVERIFY(!w.exportAnimationTo(dir.filePath(QStringLiteral("run.avi")), &error));
        QVERIFY2(error.contains(QStringLiteral(".gif or .mp4")), qPrintable(error));

        const QString film = dir.filePath(QStringLiteral("film.png"));
        QVERIFY2(w.exportFilmstripTo(film, &error), qPrintable(error));
        const auto filmText = readPngText(film.toStdString());
        QVERIFY(filmText.count("dg.settings") && filmText.count("dg.cell.0.0"));
        QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("film.json"))));

        w.exportPanel().setSweepWeights(QStringLiteral("0, 1, 2"));
        QSignalSpy swept(&w, &MainWindow::sweepExported);
        const QString sweep = dir.filePath(QStringLiteral("sweep.png"));
        QVERIFY2(w.exportSweepTo(sweep, &error), qPrintable(error));
        QVERIFY(swept.wait(60000));
        QVERIFY2(swept.front().at(1).toString().isEmpty(), qPrintable(swept.front().at(1).toString()));
        const auto sweepText = readPngText(sweep.toStdString());
        QVERIFY(sweepText.count("dg.cell.2.0"));
        // The sheet's settings say how many samples each cell shows (the sweep's seeds), not the run's count.
        QCOMPARE(requestFromJson(sweepText.at("dg.settings")).settings.count, int64_t(w.exportPanel().sweepSeeds()));
        QVERIFY(QString::fromStdString(sweepText.at("dg.cell.2.0")).contains(QStringLiteral("\"weight\":2")));

        w.exportPanel().setSweepWeights(QStringLiteral("0, x"));
        QVERIFY(!w.exportSweepTo(sweep, &error));
        QVERIFY2(error.contains(QStringLiteral("'x'")), qPrintable(error));
        QVERIFY(!w.openSettingsFile(dir.filePath(QStringLiteral("missing.png")), &error));
        QVERIFY2(error.contains(QStringLiteral("missing.png")), qPrintable(error));
    }

    // Every field off its default, CLI-only values included, written by dg sample into a PNG, opened in dg-studio
    // and compared field by field against the values given on the command line; then dg-studio's own export with DG
    // disabled, read back with a plain JSON parser (not the writer's serializer) and reopened.
    void fullFieldRoundTrip()
    {
        if (!QFile::exists(QStringLiteral(DG_SOURCE_MODELS_DIR "/fmnist-cond-score.pt")))
            QSKIP("fmnist-cond not shipped");
        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("cli.png"));
        const auto r = test::runProcess(QStringLiteral(DG_CLI_PATH),
                                        {"sample",
                                         "--denoiser",
                                         "builtin:fmnist-cond",
                                         "--discriminator",
                                         "builtin:fmnist-cond-disc",
                                         "--class",
                                         "3",
                                         "--sampler",
                                         "euler",
                                         "--steps",
                                         "7",
                                         "--sigma-min",
                                         "0.005",
                                         "--sigma-max",
                                         "60",
                                         "--rho",
                                         "5",
                                         "--churn",
                                         "3",
                                         "--s-min",
                                         "0.01",
                                         "--s-max",
                                         "30",
                                         "--s-noise",
                                         "1.007",
                                         "--seed",
                                         "5000000000",
                                         "--count",
                                         "6",
                                         "--dg-weight",
                                         "1.2345",
                                         "--dg-weight-2nd",
                                         "0.5",
                                         "--dg-sigma-min",
                                         "0.02",
                                         "--dg-sigma-max",
                                         "40",
                                         "--dg-logit-clip",
                                         "2.5",
                                         "--device",
                                         "cpu",
                                         "--out",
                                         dir.filePath(QStringLiteral("cli.pt")),
                                         "--grid",
                                         png,
                                         "--quiet"},
                                        300000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        auto check = [](const SampleRequest& q, bool enabled) {
            const auto& s = q.settings;
            QCOMPARE(q.denoiser, std::string("builtin:fmnist-cond"));
            QCOMPARE(q.discriminator, std::string("builtin:fmnist-cond-disc"));
            QVERIFY(s.classLabel && *s.classLabel == 3);
            QVERIFY(s.sampler.kind == "euler");
            QCOMPARE(s.sampler.schedule.steps, 7);
            QCOMPARE(s.sampler.schedule.sigmaMin, 0.005);
            QCOMPARE(s.sampler.schedule.sigmaMax, 60.0);
            QCOMPARE(s.sampler.schedule.rho, 5.0);
            QCOMPARE(s.sampler.churn.churn, 3.0);
            QCOMPARE(s.sampler.churn.sMin, 0.01);
            QCOMPARE(s.sampler.churn.sMax, 30.0);
            QCOMPARE(s.sampler.churn.sNoise, 1.007);
            QCOMPARE(s.seed, uint64_t(5000000000));
            QCOMPARE(s.count, int64_t(6));
            QCOMPARE(s.guidance.enabled, enabled);
            QCOMPARE(s.guidance.weight, 1.2345);
            QCOMPARE(s.guidance.weight2.value_or(-1), 0.5);
            QCOMPARE(s.guidance.sigmaLo, 0.02);
            QCOMPARE(s.guidance.sigmaHi, 40.0);
            QCOMPARE(s.guidance.logitClip, 2.5);
        };
        MainWindow w;
        QString error;
        QVERIFY2(w.openSettingsFile(png, &error), qPrintable(error));
        check(w.currentRequest(), true);

        w.guidancePanel().setEnabledChecked(false);
        QVERIFY(waitUntil([&] { return finished(w, 0); }, 300000));
        const QString exported = dir.filePath(QStringLiteral("studio.png"));
        QVERIFY2(w.exportGridTo(exported, &error), qPrintable(error));
        const auto json =
            QJsonDocument::fromJson(QByteArray::fromStdString(readPngText(exported.toStdString()).at("dg.settings")))
                .object();
        QCOMPARE(json["dg_enabled"].toBool(true), false);
        QCOMPARE(json["seed"].toDouble(), 5e9);
        QCOMPARE(json["sampler"].toString(), QStringLiteral("euler"));
        QCOMPARE(json["rho"].toDouble(), 5.0);
        QCOMPARE(json["s_noise"].toDouble(), 1.007);
        QCOMPARE(json["class"].toInt(), 3);
        QCOMPARE(json["dg_weight"].toDouble(), 1.2345);
        QCOMPARE(json["dg_logit_clip"].toDouble(), 2.5);
        MainWindow again;
        QVERIFY2(again.openSettingsFile(exported, &error), qPrintable(error));
        check(again.currentRequest(), false);
    }

    void guiThreadStaysResponsive()
    {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        // The shipped Fashion-MNIST pair when present (the heavier case), else the toy.
        SampleRequest r = toy(2.0, 18, 16);
        const auto builtins = builtinModels();
        if (std::any_of(builtins.begin(), builtins.end(), [](const BuiltinModel& m) { return m.name == "fmnist"; })) {
            r.denoiser = "builtin:fmnist";
            r.discriminator = "builtin:fmnist-disc";
        }
        w.applyRequest(r, false);
        w.samplerPanel().setCompare(true);
        {
            StallProbe probe;
            QElapsedTimer firstStep;
            firstStep.start();
            w.sample();
            QVERIFY(waitUntil([&] { return w.controller().frameCount(0) >= 1; }, 120000));
            const qint64 loadAndFirst = firstStep.elapsed();
            firstStep.restart();
            const int before = w.controller().frameCount(0);
            QVERIFY(waitUntil([&] { return finished(w, 0); }, 300000));
            qInfo("sampling %s batch 16 (compare on): first step on screen %lld ms after Sample (incl. model load); "
                  "worst GUI stall %lld ms over %d ticks; %d steps in %lld ms",
                  r.denoiser.c_str(), static_cast<long long>(loadAndFirst), static_cast<long long>(probe.worst),
                  probe.ticks, w.controller().frameCount(0) - before, static_cast<long long>(firstStep.elapsed()));
            // The goal, 50 ms, is a benchmark figure (the qInfo lines above, docs/PERFORMANCE.md), not asserted here:
            // on a loaded 2-core machine stalls reach ~300 ms without any fault. What is asserted is that the GUI
            // never freezes: torch work on the GUI thread (a model load, a run of steps) would take far longer.
            QVERIFY2(probe.worst < 600, qPrintable(QString("worst GUI stall %1 ms (goal 50)").arg(probe.worst)));
            QVERIFY(probe.ticks > 20);
        }
        {
            // A second run with the models loaded: Sample → first step on screen.
            QElapsedTimer firstStep;
            firstStep.start();
            w.sample();
            QVERIFY(waitUntil([&] { return w.controller().frameCount(0) >= 1; }, 60000));
            qInfo("first step on screen %lld ms after Sample (models loaded, compare on)",
                  static_cast<long long>(firstStep.elapsed()));
            QVERIFY(waitUntil([&] { return finished(w, 0); }, 300000));
            w.samplerPanel().setCompare(false);
            firstStep.restart();
            w.sample();
            QVERIFY(waitUntil([&] { return w.controller().frameCount(0) >= 1; }, 60000));
            qInfo("first step on screen %lld ms after Sample (models loaded, compare off)",
                  static_cast<long long>(firstStep.elapsed()));
            QVERIFY(waitUntil([&] { return finished(w, 0); }, 300000));
        }
        {
            w.applyRequest(toy(1.0, 18, 256), false);
            StallProbe probe;
            TrainingJob job;
            job.fakes = 2048;
            job.iterations = 300;
            job.batchSize = 128;
            job.snapshotEvery = 50;
            w.trainingPanel().setJob(job);
            w.trainingPanel().setAutoAdopt(true);
            w.sample();
            QVERIFY(waitUntil([&] { return finished(w, 0); }, 60000));
            QSignalSpy done(&w.controller(), &StudioController::trainingFinished);
            Q_EMIT w.trainingPanel().startRequested();
            w.sample(); // sampling while training
            QVERIFY(done.wait(180000));
            qInfo("training a toy discriminator (2048 fakes, 300 iterations) while sampling: worst GUI stall %lld ms "
                  "over %d ticks",
                  static_cast<long long>(probe.worst), probe.ticks);
            QVERIFY2(probe.worst < 600,
                     qPrintable(QString("worst GUI stall %1 ms while training (goal 50)").arg(probe.worst)));
            QVERIFY(w.trainingPanel().snapshotCount() >= 5);
        }
    }
};

QTEST_MAIN(StudioWindowTest)
#include "StudioWindowTest.moc"
