#include "MainWindow.h"
#include "RequestJson.h"
#include "TrainingPanel.h"
#include "TunePanel.h"

#include "dg/Comparison.h"
#include "dg/Device.h"
#include "dg/Error.h"
#include "dg/SafeFile.h"
#include "dg/Version.h"

#include <QApplication>
#include <QBuffer>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QImage>
#include <QOpenGLWidget>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QStandardPaths>
#include <QSurfaceFormat>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>

namespace {

// Where QSettings keeps dg-studio's settings (the organisation's file and the application's), checked before it reads
// them: a reason to leave them alone, or empty.
QString unusableSettingsFile()
{
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) + QLatin1Char('/') +
                        QCoreApplication::organizationName();
    for (const QString& path : {dir + QLatin1Char('/') + QCoreApplication::applicationName() + QStringLiteral(".conf"),
                                dir + QStringLiteral(".conf")}) {
        const QFileInfo f(path);
        if (!f.exists()) continue;
        if (!f.isFile() || !f.isReadable())
            return QStringLiteral("the settings file '%1' is %2; starting from the defaults, and this session's "
                                  "settings are not saved (move it away to save them again)")
                .arg(path, f.isDir()     ? QStringLiteral("a folder")
                           : !f.isFile() ? QStringLiteral("not a regular file")
                                         : QStringLiteral("not readable"));
    }
    return {};
}

bool hasDisplay(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "-platform") == 0 || std::strncmp(argv[i], "--platform", 10) == 0) return true;
    const char* platform = std::getenv("QT_QPA_PLATFORM");
    if (platform && *platform) return true;
    const char* x = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    return (x && *x) || (wayland && *wayland);
}

} // namespace

int main(int argc, char** argv)
{
    dg::setThreadPolicy(dg::ThreadPolicy::IdleCores); // a window stays responsive beside another busy process
    // Without a display the window cannot open: the options are still parsed (--help, --version), then the
    // headless comparison is written instead.
    const bool display = hasDisplay(argc, argv);
    std::unique_ptr<QCoreApplication> application;
    if (display) {
        QSurfaceFormat format;
        format.setVersion(3, 3);
        format.setProfile(QSurfaceFormat::CoreProfile);
        QSurfaceFormat::setDefaultFormat(format);
        application = std::make_unique<QApplication>(argc, argv);
    } else {
        application = std::make_unique<QCoreApplication>(argc, argv);
    }
    QCoreApplication& app = *application;
    QApplication::setOrganizationName(QStringLiteral("DG Studio"));
    QApplication::setApplicationName(QStringLiteral("dg-studio"));
    QApplication::setApplicationVersion(QString::fromStdString(dg::versionString()));

    QCommandLineParser cli;
    cli.setApplicationDescription(QStringLiteral("See and steer Discriminator Guidance in diffusion models."));
    cli.addHelpOption();
    cli.addVersionOption();
    cli.addPositionalArgument(QStringLiteral("file"),
                              QStringLiteral("an exported PNG or JSON sidecar whose settings to open"));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("sample, grab the window into FILE, quit"),
                                        QStringLiteral("FILE"));
    const QCommandLineOption view(QStringLiteral("view"),
                                  QString::fromStdString("view mode: " + dg::gl::viewModeKeys("|")),
                                  QStringLiteral("MODE"));
    const QCommandLineOption compare(QStringLiteral("compare"), QStringLiteral("compare view (guided | unguided)"));
    const QCommandLineOption step(QStringLiteral("show-step"), QStringLiteral("show this step once the run is done"),
                                  QStringLiteral("N"));
    const QCommandLineOption diagnose(
        QStringLiteral("diagnose"),
        QStringLiteral("with --screenshot: diagnose the discriminator first (Training dock)"));
    const QCommandLineOption tune(QStringLiteral("tune"),
                                  QStringLiteral("with --screenshot: run a weight sweep in the Tune dock first"),
                                  QStringLiteral("W,W,..."));
    const QCommandLineOption tuneCount(QStringLiteral("tune-count"),
                                       QStringLiteral("samples per weight of --tune (default 500)"),
                                       QStringLiteral("N"));
    const QCommandLineOption tuneMatched(QStringLiteral("tune-matched-compute"),
                                         QStringLiteral("with --tune: also the matched-compute baseline (Tune dock)"));
    const QCommandLineOption tuneMatchedChurn(
        QStringLiteral("tune-matched-churn"),
        QStringLiteral("with --tune-matched-compute: a second baseline with EDM's churn S_churn = S"),
        QStringLiteral("S"));
    const QCommandLineOption train(
        QStringLiteral("train"),
        QStringLiteral("with --screenshot: train a discriminator first and adopt its snapshots"));
    const QCommandLineOption denoiser(QStringLiteral("denoiser"), QStringLiteral("denoiser (builtin:NAME or file)"),
                                      QStringLiteral("SPEC"));
    const QCommandLineOption discriminator(QStringLiteral("discriminator"),
                                           QStringLiteral("discriminator (builtin:NAME, file or none)"),
                                           QStringLiteral("SPEC"));
    const QCommandLineOption weight(QStringLiteral("dg-weight"), QStringLiteral("guidance weight"),
                                    QStringLiteral("W"));
    const QCommandLineOption preset(QStringLiteral("dg-preset"), QStringLiteral("guidance preset: none|official"),
                                    QStringLiteral("P"));
    const QCommandLineOption count(QStringLiteral("count"), QStringLiteral("batch size"), QStringLiteral("N"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("seed"), QStringLiteral("S"));
    const QCommandLineOption presenter(QStringLiteral("presenter"),
                                       QStringLiteral("presenter mode (F5): full screen, docks hidden, large text"));
    const QCommandLineOption fresh(QStringLiteral("reset-settings"),
                                   QStringLiteral("start from the defaults, not the saved settings"));
    const QCommandLineOption dock(
        QStringLiteral("raise-dock"),
        QStringLiteral("bring a dock to the front: model|sampler|guidance|branches|training|export|tune"),
        QStringLiteral("NAME"));
    const QCommandLineOption firstImage(QStringLiteral("first-image-timing"),
                                        QStringLiteral("print when the first sampled image was on screen (ms after the "
                                                       "window was shown, then after a second Sample), then quit "
                                                       "(docs/PERFORMANCE.md)"));
    const QCommandLineOption headless(QStringLiteral("headless-out"),
                                      QStringLiteral("where the no-display comparison goes"), QStringLiteral("FILE"));
    cli.addOptions(
        {screenshot,       view,     compare,       presenter, step,   train, diagnose, tune,  tuneCount, tuneMatched,
         tuneMatchedChurn, denoiser, discriminator, weight,    preset, count, seed,     fresh, dock,      headless,
         firstImage});
    cli.process(app);
    if (!display) { // the default pair's guided-vs-unguided comparison from one noise (dg/Comparison.h)
        const std::string out =
            cli.isSet(headless) ? cli.value(headless).toStdString() : std::string("dg-studio-comparison.png");
        try {
            dg::writeGuidedComparison(out);
        } catch (const std::exception& e) {
            std::cerr << "dg-studio: " << dg::cliFields(dg::errorMessage(e)) << "\n";
            return 1;
        }
        std::cout << "dg-studio: no display; wrote the guided-vs-unguided comparison to "
                  << QFileInfo(QString::fromStdString(out)).absoluteFilePath().toStdString() << "\n";
        return 0;
    }
    // A settings file that is not a plain readable file (a FIFO would block QSettings for ever; a folder cannot be
    // read) is left alone: this session starts from the defaults and keeps its settings in a private folder.
    QTemporaryDir privateSettings;
    const QString settingsProblem = unusableSettingsFile();
    if (!settingsProblem.isEmpty()) {
        std::cerr << "dg-studio: " << settingsProblem.toStdString() << "\n";
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, privateSettings.path());
    }
    if (cli.isSet(fresh)) QSettings().clear();

    auto fail = [](const QString& message) {
        std::cerr << "dg-studio: " << message.toStdString() << "\n";
        return 2;
    };
    dg::studio::MainWindow window;
    dg::SampleRequest request = window.currentRequest();
    bool ok = true;
    if (cli.isSet(denoiser)) {
        request.denoiser = cli.value(denoiser).toStdString();
        request.discriminator = dg::matchingDiscriminator(request.denoiser);
    }
    if (cli.isSet(discriminator))
        request.discriminator =
            cli.value(discriminator) == QLatin1String("none") ? std::string() : cli.value(discriminator).toStdString();
    if (cli.isSet(weight)) request.settings.guidance.weight = cli.value(weight).toDouble(&ok);
    if (!ok) return fail(QStringLiteral("--dg-weight: '%1' is not a number").arg(cli.value(weight)));
    if (cli.isSet(preset)) {
        const auto p = dg::parseGuidancePreset(cli.value(preset).toStdString());
        if (!p) return fail(QStringLiteral("--dg-preset: '%1' is not none or official").arg(cli.value(preset)));
        request.settings.guidance.preset = *p;
        if (*p == dg::GuidancePreset::Official)
            request.settings.guidance = dg::officialGuidance(request.settings.guidance);
    }
    if (cli.isSet(count)) request.settings.count = cli.value(count).toInt(&ok);
    if (!ok || request.settings.count < 1)
        return fail(QStringLiteral("--count: '%1' is not a positive integer").arg(cli.value(count)));
    if (cli.isSet(seed)) request.settings.seed = cli.value(seed).toULongLong(&ok);
    if (!ok) return fail(QStringLiteral("--seed: '%1' is not a non-negative integer").arg(cli.value(seed)));
    const auto mode =
        cli.isSet(view) ? dg::gl::viewModeFromKey(cli.value(view).toStdString()) : dg::gl::ViewMode::State;
    if (!mode)
        return fail(QStringLiteral("--view: '%1' is not one of %2")
                        .arg(cli.value(view), QString::fromStdString(dg::gl::viewModeKeys(", "))));
    const auto kind = window.settingsKind();
    window.applyRequest(request, false);
    // Only another model named: it still gets its kind's batch and weight when it loads (a toy after images: 256
    // points, not the saved 16), unless the batch or the weight was given too.
    if (!cli.isSet(count) && !cli.isSet(weight) && !cli.isSet(preset)) window.setSettingsKind(kind);
    // A value the panels would clamp or round (--count 100000, --dg-weight 1e9, NaN) is refused, not changed.
    if (const std::string field = dg::firstDifference(request, window.currentRequest()); !field.empty()) {
        QString flag = QString::fromStdString(field).replace(QLatin1Char('_'), QLatin1Char('-'));
        return fail(QStringLiteral("--%1: the value is outside what dg-studio's controls take").arg(flag));
    }
    window.setViewMode(*mode);
    if (cli.isSet(compare)) window.setCompareView(true);
    if (cli.isSet(dock)) {
        QString name = cli.value(dock).toLower();
        if (!name.isEmpty()) name[0] = name[0].toUpper();
        auto* d = name.isEmpty() ? nullptr : window.findChild<QDockWidget*>(name + QStringLiteral("Dock"));
        if (!d) return fail(QStringLiteral("--raise-dock: no dock named '%1'").arg(cli.value(dock)));
        d->show();
        d->raise();
    }
    // First launch: 1440 x 900 or the screen, whichever is smaller; a saved geometry is kept when it fits the screen,
    // else shrunk and moved inside it (again once shown, when the window manager's frame is known).
    if (!QSettings().contains(QStringLiteral("geometry"))) window.resize(1440, 900);
    window.fitToScreen();
    QElapsedTimer sinceShown;
    sinceShown.start();
    window.show();
    if (!settingsProblem.isEmpty()) window.showStatus(settingsProblem, 30000);
    QTimer::singleShot(0, &window, [&window] { window.fitToScreen(); });
    if (cli.isSet(presenter)) window.setPresenterMode(true);

    if (!cli.positionalArguments().isEmpty()) {
        QString error;
        if (!window.openSettingsFile(cli.positionalArguments().front(), &error)) return fail(error);
    }
    if (!cli.isSet(screenshot)) {
        if (cli.isSet(firstImage)) {
            // The first buffer swap after a run's first step reached the viewer is its first image on screen: once
            // from the window appearing (models loaded at start-up), then from pressing Sample again (warm).
            auto* viewer = window.findChild<QOpenGLWidget*>();
            bool stepArrived = false;
            int phase = 0;
            QElapsedTimer sincePress;
            QObject::connect(&window.controller(), &dg::studio::StudioController::frameAdded, &window,
                             [&stepArrived, &phase] { stepArrived = phase != 1; }); // phase 1: waiting to press
            QObject::connect(viewer, &QOpenGLWidget::frameSwapped, &window, [&] {
                if (!stepArrived || phase == 1) return;
                stepArrived = false;
                if (phase == 0) {
                    phase = 1;
                    std::cout << "first image on screen " << sinceShown.elapsed() << " ms after the window was shown\n";
                    QTimer::singleShot(1500, &window, [&] { // the first run plays on; a new one replaces it
                        phase = 2;
                        stepArrived = false;
                        sincePress.start();
                        window.sample();
                    });
                    return;
                }
                std::cout << "first image on screen " << sincePress.elapsed() << " ms after Sample (models loaded)\n";
                QApplication::exit(0);
            });
            QObject::connect(&window.controller(), &dg::studio::StudioController::failed, &app, [](const QString& m) {
                std::cerr << "dg-studio: " << m.toStdString() << "\n";
                QApplication::exit(1);
            });
        }
        window.launch(); // the opened file's settings too
        return app.exec();
    }

    // Screenshot mode (docs/screenshots): sample, optionally train + adopt, show the requested step, grab, quit.
    const QString out = cli.value(screenshot);
    bool stepOk = true;
    const int showStep = cli.isSet(step) ? cli.value(step).toInt(&stepOk) : -1;
    if (!stepOk ||
        (cli.isSet(step) && (showStep < 0 || showStep > window.currentRequest().settings.sampler.schedule.steps)))
        return fail(QStringLiteral("--show-step: '%1' is not a step of this run (0 ... %2)")
                        .arg(cli.value(step))
                        .arg(window.currentRequest().settings.sampler.schedule.steps));
    auto& controller = window.controller();
    const bool wholeScreen = cli.isSet(diagnose); // the diagnosis opens its own window
    auto grab = [&window, out, showStep, wholeScreen] {
        if (showStep >= 0) window.showStep(showStep);
        QTimer::singleShot(400, &window, [&window, out, wholeScreen] {
            // What the X server shows (QWidget::grab misses QPainter text drawn over a QOpenGLWidget), encoded in
            // memory and written atomically: a full disk never truncates an existing PNG.
            QByteArray png;
            QBuffer buffer(&png);
            buffer.open(QIODevice::WriteOnly);
            bool saved = window.screen()->grabWindow(wholeScreen ? 0 : window.winId()).save(&buffer, "PNG");
            try {
                if (saved) dg::writeFileAtomically(out.toStdString(), std::vector<char>(png.begin(), png.end()));
            } catch (const std::exception& e) {
                std::cerr << "dg-studio: --screenshot: " << dg::cliFields(dg::errorMessage(e)) << "\n";
                QApplication::exit(1);
                return;
            }
            std::cout << (saved ? "wrote " : "could not write ") << out.toStdString() << "\n";
            QApplication::exit(saved ? 0 : 1);
        });
    };
    QObject::connect(&controller, &dg::studio::StudioController::failed, &app, [&](const QString& message) {
        std::cerr << "dg-studio: " << message.toStdString() << "\n";
        QApplication::exit(1);
    });
    if (cli.isSet(train)) {
        window.trainingPanel().setAutoAdopt(true);
        QObject::connect(&controller, &dg::studio::StudioController::trainingFinished, &window, [&window] {
            window.sample(); // a fresh run guided by the last adopted snapshot
        });
        QObject::connect(&controller, &dg::studio::StudioController::trainingFailed, &app, [](const QString& m) {
            std::cerr << "dg-studio: training: " << m.toStdString() << "\n";
            QApplication::exit(1);
        });
        bool trained = false;
        QObject::connect(&controller, &dg::studio::StudioController::branchFinished, &window, [&, grab](int branch) {
            if (branch != 0) return;
            if (!trained) {
                trained = true;
                window.trainingPanel().started();
                controller.startTraining(window.trainingPanel().job());
                return;
            }
            if (!controller.trainingRunning()) grab();
        });
    } else if (cli.isSet(tune)) {
        bool countOk = true;
        const int n = cli.isSet(tuneCount) ? cli.value(tuneCount).toInt(&countOk) : 500;
        if (!countOk || n < 10)
            return fail(QStringLiteral("--tune-count: '%1' is not a count >= 10").arg(cli.value(tuneCount)));
        window.tunePanel().setFields(cli.value(tune), n, 0);
        window.tunePanel().setMatchedCompute(cli.isSet(tuneMatched));
        if (cli.isSet(tuneMatchedChurn)) {
            bool churnOk = true;
            const double s = cli.value(tuneMatchedChurn).toDouble(&churnOk);
            if (!churnOk || !std::isfinite(s) || s < 0.0 || s > 200.0)
                return fail(QStringLiteral("--tune-matched-churn: '%1' is not an S_churn between 0 and 200")
                                .arg(cli.value(tuneMatchedChurn)));
            if (!cli.isSet(tuneMatched))
                return fail(QStringLiteral("--tune-matched-churn: needs --tune-matched-compute"));
            window.tunePanel().setMatchedChurn(s);
        }
        if (!window.tunePanel().weights()) // NaN, a repeated weight: refused before anything runs
            return fail(QStringLiteral("--tune: %1").arg(window.tunePanel().statusText()));
        window.findChild<QDockWidget*>(QStringLiteral("TuneDock"))->show();
        QObject::connect(
            &controller, &dg::studio::StudioController::tuneFinished, &window, [&, grab](const QString& e) {
                if (e.isEmpty()) return grab();
                std::cerr << "dg-studio: tune: " << e.toStdString() << "\n"; // a failed sweep is an error, exit 1
                QApplication::exit(1);
            });
        bool started = false;
        QObject::connect(&controller, &dg::studio::StudioController::branchFinished, &window, [&](int branch) {
            if (branch == 0 && !started) started = true, window.runTune();
        });
    } else if (cli.isSet(diagnose)) {
        QObject::connect(&controller, &dg::studio::StudioController::diagnosisFinished, &window, [grab] { grab(); });
        QObject::connect(&controller, &dg::studio::StudioController::branchFinished, &window, [&window](int branch) {
            if (branch == 0) window.findChild<QPushButton*>(QStringLiteral("diagnose"))->click();
        });
    } else {
        QObject::connect(&controller, &dg::studio::StudioController::branchFinished, &window, [grab](int branch) {
            if (branch == 0) grab();
        });
    }
    QTimer::singleShot(0, &window, [&window] { window.sample(); });
    return app.exec();
}
