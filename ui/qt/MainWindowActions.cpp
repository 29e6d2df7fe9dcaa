// MainWindow: menus, toolbar and shortcuts; exports; settings persistence; opening settings from PNG/JSON files.
#include "MainWindow.h"

#include "FieldLabels.h"
#include "dg/Animation.h"
#include "dg/Error.h"

#include "ExportPanel.h"
#include "GuidancePanel.h"
#include "ModelPanel.h"
#include "RequestJson.h"
#include "SamplerPanel.h"
#include "TimelineWidget.h"
#include "TrainingPanel.h"

#include "dg/Export.h"
#include "dg/Version.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QScreen>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QToolBar>

#include <algorithm>
#include <cmath>

namespace dg::studio {

void MainWindow::buildActions()
{
    auto action = [this](const QString& text, const QKeySequence& key, const QString& tip, auto slot,
                         const QString& name = {}) {
        auto* a = new QAction(text, this);
        if (!key.isEmpty()) a->setShortcut(key);
        a->setToolTip(tip + (key.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(key.toString())));
        a->setStatusTip(tip);
        if (!name.isEmpty()) a->setObjectName(name);
        connect(a, &QAction::triggered, this, slot);
        return a;
    };
    auto* openSettings = action(
        tr("&Open settings from PNG/JSON…"), QKeySequence::Open,
        tr("Restore the settings stored in an exported PNG or its JSON sidecar"),
        [this] {
            const QString f = QFileDialog::getOpenFileName(this, tr("Open settings"), QString(),
                                                           tr("DG Studio exports (*.png *.json)"));
            QString error;
            if (!f.isEmpty() && !openSettingsFile(f, &error)) reportError(error);
        },
        QStringLiteral("openSettings"));
    auto saveAs = [this](const QString& title) {
        return QFileDialog::getSaveFileName(this, title, QStringLiteral("dg-export.png"), tr("PNG images (*.png)"));
    };
    auto* exportGrid = action(
        tr("&Export grid PNG…"), QKeySequence(Qt::CTRL | Qt::Key_E),
        tr("The shown grid as PNG with its settings in the metadata and a JSON sidecar"),
        [this, saveAs] {
            const QString f = saveAs(tr("Export grid"));
            QString error;
            if (!f.isEmpty() && !exportGridTo(f, &error)) reportError(error);
        },
        QStringLiteral("exportGrid"));
    auto* exportFilm = action(
        tr("Export &filmstrip…"), {}, tr("Rows: samples; columns: steps"),
        [this, saveAs] {
            const QString f = saveAs(tr("Export filmstrip"));
            QString error;
            if (!f.isEmpty() && !exportFilmstripTo(f, &error)) reportError(error);
        },
        QStringLiteral("exportFilmstrip"));
    auto* exportSweep = action(
        tr("Export &sweep sheet…"), {}, tr("Rows: guidance weights; columns: seeds"),
        [this, saveAs] {
            const QString f = saveAs(tr("Export sweep sheet"));
            QString error;
            if (!f.isEmpty() && !exportSweepTo(f, &error)) reportError(error);
        },
        QStringLiteral("exportSweep"));
    auto* exportAnimation = action(
        tr("Export &animation…"), {}, tr("The run in motion as GIF or MP4, in the shown view"),
        [this] {
            QString selected;
            QString f = QFileDialog::getSaveFileName(this, tr("Export animation"), QStringLiteral("dg-run.gif"),
                                                     tr("Animated GIF (*.gif);;MP4 video (*.mp4)"), &selected);
            if (!f.isEmpty() && QFileInfo(f).suffix().isEmpty())
                f += selected.contains(QLatin1String("mp4")) ? ".mp4" : ".gif";
            QString error;
            if (!f.isEmpty() && !exportAnimationTo(f, &error)) reportError(error);
        },
        QStringLiteral("exportAnimation"));
    auto* quit = action(tr("&Quit"), QKeySequence::Quit, tr("Quit DG Studio"), [this] { close(); });

    auto* sampleAction = action(tr("&Sample"), QKeySequence(Qt::CTRL | Qt::Key_R),
                                tr("Start a new run with the panels' settings"), [this] { sample(); });
    sampleAction->setIcon(style()->standardIcon(QStyle::SP_BrowserReload));
    auto* play = action(tr("&Play / pause"), QKeySequence(Qt::Key_Space), tr("Play or pause the trajectory"),
                        [this] { togglePlay(); });
    play->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    auto* forward = action(tr("Step &forward"), QKeySequence(Qt::Key_Right), tr("Next step (computed if needed)"),
                           [this] { stepForward(); });
    auto* back =
        action(tr("Step &back"), QKeySequence(Qt::Key_Left), tr("Previous recorded step"), [this] { stepBack(); });
    auto* first = action(tr("First step"), QKeySequence(Qt::Key_Home), tr("Show the starting noise (step 0)"), [this] {
        cursor().first();
        cursorMoved();
    });
    auto* lastStep = action(tr("Last step"), QKeySequence(Qt::Key_End), tr("Show the last recorded step"), [this] {
        cursor().last();
        cursorMoved();
    });
    auto* branch =
        action(tr("&Branch here"), QKeySequence(Qt::Key_B),
               tr("Fork the run at the shown step and continue with the current guidance"), [this] { branchHere(); });
    auto* guidance = action(tr("Toggle &guidance"), QKeySequence(Qt::Key_G),
                            tr("Discriminator Guidance on/off from the next step: D_DG = D + w·σ²·∇ₓ log d/(1−d)"),
                            [this] { toggleGuidance(); });

    auto* modes = new QActionGroup(this);
    for (const auto& m : gl::viewModes()) {
        const int index = static_cast<int>(m_modeActions.size());
        auto* a = action(QString::fromUtf8(m.menu), QKeySequence(Qt::Key_1 + index),
                         tr("View: %1").arg(QString::fromUtf8(m.legend)), [this, mode = m.mode] { setViewMode(mode); });
        a->setIconText(QString::fromUtf8(m.shortName));
        a->setCheckable(true);
        a->setChecked(index == 0);
        modes->addAction(a);
        m_modeActions.push_back(a);
    }
    m_compareAction = action(tr("&Compare side by side"), QKeySequence(Qt::Key_C),
                             tr("Guided | unguided (or another branch) from the same noise, with shared zoom"),
                             [this] { refreshView(); });
    m_compareAction->setCheckable(true);
    m_badgesAction = action(tr("d(x_t) &badges"), {}, tr("Colour bar and value of the discriminator's d(x_t) per tile"),
                            [this](bool on) { m_viewer->setBadges(on); });
    m_badgesAction->setCheckable(true);
    m_badgesAction->setChecked(true);
    auto* resetZoom = action(tr("Reset &zoom"), QKeySequence(Qt::Key_0), tr("Fit the grid to the view"),
                             [this] { m_viewer->resetView(); });
    auto* axes = new QActionGroup(this);
    for (const auto& a : gl::toyAxes()) {
        auto* item = action(QString::fromUtf8(a.label), {},
                            tr("2-D toys: the plot's axes (the whole run's extent shows the cloud shrinking)"),
                            [this, axis = a.axis] { setToyAxis(axis); });
        item->setCheckable(true);
        item->setChecked(a.axis == m_toyAxis);
        item->setData(QString::fromUtf8(a.key));
        axes->addAction(item);
    }

    auto* file = menuBar()->addMenu(tr("&File"));
    file->addActions({openSettings, exportGrid, exportFilm, exportSweep, exportAnimation});
    file->addSeparator();
    file->addAction(quit);
    m_sampleOnLaunchAction =
        action(tr("Sample on &launch"), {}, tr("At start-up, load the last models and sample their settings at once"),
               [](bool on) { QSettings().setValue(QStringLiteral("sampleOnLaunch"), on); });
    m_sampleOnLaunchAction->setObjectName(QStringLiteral("sampleOnLaunch"));
    m_sampleOnLaunchAction->setCheckable(true);
    m_sampleOnLaunchAction->setChecked(QSettings().value(QStringLiteral("sampleOnLaunch"), true).toBool());
    auto* run = menuBar()->addMenu(tr("&Run"));
    run->addActions({sampleAction, play, forward, back, first, lastStep, branch, guidance});
    run->addSeparator();
    run->addAction(m_sampleOnLaunchAction);
    auto* view = menuBar()->addMenu(tr("&View"));
    view->addActions(modes->actions());
    view->addSeparator();
    view->addActions({m_compareAction, m_badgesAction, resetZoom});
    auto* axesMenu = view->addMenu(tr("2-D toy &axes"));
    axesMenu->addActions(axes->actions());
    auto* sizes = new QActionGroup(this);
    auto* sizeMenu = view->addMenu(tr("&Text size"));
    for (double scale : {1.0, 1.5, 2.0, 2.5}) {
        auto* a = action(tr("%1 %").arg(std::lround(scale * 100)), {}, tr("Fonts, view labels and d(x_t) badges"),
                         [this, scale] { setTextScale(scale); });
        a->setCheckable(true);
        a->setData(scale);
        sizes->addAction(a);
        sizeMenu->addAction(a);
        m_textScaleActions.push_back(a);
    }
    m_presenterAction =
        action(tr("&Presenter mode"), QKeySequence(Qt::Key_F5),
               tr("Full screen, docks hidden, large text and badges for a lecture hall (F5 again: back)"),
               [this](bool on) { setPresenterMode(on); });
    m_presenterAction->setCheckable(true);
    view->addAction(m_presenterAction);
    view->addSeparator();
    for (auto* dock : findChildren<QDockWidget*>())
        view->addAction(dock->toggleViewAction());
    view->addSeparator();
    view->addAction(action(
        tr("&Reset layout"), {}, tr("Every dock back in its place, the window fitted to the screen"),
        [this] { resetLayout(); }, QStringLiteral("resetLayout")));
    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(action(
        tr("&Keyboard shortcuts"), QKeySequence(Qt::Key_F1), tr("Every shortcut on one page"),
        [this] {
            QString rows;
            for (auto* a : findChildren<QAction*>()) {
                if (a->shortcut().isEmpty()) continue;
                rows += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>")
                            .arg(a->shortcut().toString(QKeySequence::NativeText).toHtmlEscaped(),
                                 a->text().remove(QLatin1Char('&')).toHtmlEscaped());
            }
            QMessageBox box(this);
            box.setWindowTitle(tr("Keyboard shortcuts"));
            box.setText(QStringLiteral("<table cellspacing=6>%1</table><p>%2</p>")
                            .arg(rows, tr("Enter or Escape in a number box returns the keys to the viewer.")));
            box.exec();
        },
        QStringLiteral("shortcuts")));
    help->addAction(action(tr("About Discriminator &Guidance"), {}, tr("What the tool shows"), [this] {
        QMessageBox::about(
            this, tr("Discriminator Guidance"),
            tr("<p><b>DG Studio</b> shows Discriminator Guidance (Kim et al., ICML 2023) at work.</p>"
               "<p>A discriminator d(x<sub>t</sub>, σ), trained after the fact to tell real diffused data "
               "from the model's own diffused samples, corrects the pre-trained denoiser:</p>"
               "<p align=center>D<sub>DG</sub>(x; σ) = D(x; σ) + w · σ² · ∇<sub>x</sub> log(d / (1 − d))</p>"
               "<p>With the optimal discriminator and w = 1 the corrected denoiser is the data's own.</p>"
               "<p>Version %1. Keyboard shortcuts: Help → Keyboard shortcuts (F1).</p>")
                .arg(QString::fromLatin1(versionString())));
    }));

    auto* bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("MainToolBar"));
    bar->addActions({sampleAction, play, back, forward, branch, guidance});
    bar->addSeparator();
    bar->addActions(modes->actions());
    bar->addAction(m_compareAction);
    bar->addSeparator();
    auto* tuneDock = findChild<QDockWidget*>(QStringLiteral("TuneDock"));
    QAction* tune = tuneDock->toggleViewAction();
    tune->setText(tr("Tune w…"));
    tune->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_T));
    tune->setToolTip(tr("Find the guidance weight with numbers: a sweep over weights, FD / precision / recall "
                        "against w (Ctrl+T)"));
    bar->addAction(tune);
    connect(tuneDock, &QDockWidget::visibilityChanged, this, [this, tuneDock](bool visible) {
        if (visible && !tuneDock->isFloating() && tuneDock->height() < 300)
            resizeDocks({tuneDock}, {std::max(300, height() / 3)}, Qt::Vertical);
    });
    bar->addAction(exportGrid);
}

// What the view shows — one panel, or both halves of the compare view labelled (gl::exportPanels, shared with dg-lab).
bool MainWindow::exportGridTo(const QString& path, QString* error)
{
    try {
        gl::exportPanels(path.toStdString(), shownPanels(), m_viewer->mode(), cursor().branch(),
                         cursor().exportRequest(m_controller->runRequest()));
    } catch (const std::exception& e) {
        if (error) *error = studioErrorMessage(e);
        return false;
    }
    showStatus(tr("wrote %1 and %2").arg(path, QString::fromStdString(sidecarPath(path.toStdString()))), 5000);
    return true;
}

// Every recorded frame of the shown branch in the shown view (gl::exportAnimation, shared with dg-lab).
bool MainWindow::exportAnimationTo(const QString& path, QString* error)
{
    const std::vector<FramePtr> frames = cursor().recorded();
    const SampleRequest r = cursor().exportRequest(m_controller->runRequest());
    const auto& models = m_controller->models();
    AnimationTiming timing;
    timing.fps = m_export->animationFps();
    timing.holdSeconds = m_export->animationHold();
    try {
        gl::exportAnimation(path.toStdString(), frames, m_viewer->mode(), r, models ? models->denoiser.dataset : "",
                            timing);
    } catch (const std::exception& e) {
        if (error) *error = studioErrorMessage(e);
        return false;
    }
    showStatus(tr("wrote %1 (%2 frames)").arg(path).arg(frames.size()), 5000);
    return true;
}

bool MainWindow::exportFilmstripTo(const QString& path, QString* error)
{
    const int count = cursor().frameCount();
    if (count == 0) {
        if (error) *error = tr("export: nothing to export yet; press Sample first");
        return false;
    }
    // At most N columns, evenly spaced over the recorded steps, always including the first and the last.
    const int columns = std::min(count, m_export->filmstripColumns());
    std::vector<HostTensor> states;
    std::vector<int> steps;
    std::vector<double> sigmas;
    for (int c = 0; c < columns; ++c) {
        const int k =
            columns == 1 ? 0 : static_cast<int>(std::lround(static_cast<double>(c) * (count - 1) / (columns - 1)));
        const FramePtr f = cursor().history().frame(cursor().branch(), k);
        states.push_back(f->x);
        steps.push_back(f->step);
        sigmas.push_back(f->sigma);
    }
    try {
        exportFilmstrip(path.toStdString(), states, steps, sigmas, m_export->filmstripSamples(),
                        cursor().exportRequest(m_controller->runRequest()));
    } catch (const std::exception& e) {
        if (error) *error = studioErrorMessage(e);
        return false;
    }
    showStatus(tr("wrote %1").arg(path), 5000);
    return true;
}

bool MainWindow::exportSweepTo(const QString& path, QString* error)
{
    if (m_controller->currentRun() == 0) {
        if (error)
            *error = tr("export: no run with the loaded models yet; press Sample (Ctrl+R) first (the sheet uses the "
                        "run's settings and seeds)");
        return false;
    }
    // A model loaded since the last run: the sheet would mix the new models with the old run's settings.
    const SampleRequest run = m_controller->runRequest(), shown = currentRequest();
    if (run.denoiser != shown.denoiser || run.discriminator != shown.discriminator) {
        if (error)
            *error = tr("export: the models changed since the last run; press Sample (Ctrl+R) first (the sheet uses "
                        "the run's settings and seeds)");
        return false;
    }
    const auto weights = m_export->sweepWeights(error);
    if (weights.empty()) return false;
    m_pendingSweep = path;
    m_controller->sweep(weights, m_export->sweepSeeds());
    showStatus(tr("sampling the sweep sheet (%1 weights)…").arg(weights.size()));
    return true;
}

bool MainWindow::openSettingsFile(const QString& path, QString* error)
{
    const auto request = requestFromFile(path, error);
    if (!request) return false;
    // The panels' ranges and decimals must hold every value exactly; a value they would clamp or round is refused,
    // and the panels go back to what they showed.
    const SampleRequest before = currentRequest();
    applyRequest(*request, false);
    if (const std::string field = firstDifference(*request, currentRequest()); !field.empty()) {
        applyRequest(before, false);
        if (error)
            *error = tr("%1: settings field '%2' has a value dg-studio's controls cannot show exactly (outside their "
                        "range or finer than their precision); use dg sample for it")
                         .arg(path, QString::fromStdString(field));
        return false;
    }
    sample();
    showStatus(tr("settings restored from %1").arg(path), 5000);
    return true;
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const auto urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.front().isLocalFile()) return;
    QString error;
    if (!openSettingsFile(urls.front().toLocalFile(), &error)) reportError(error);
}

void MainWindow::launch()
{
    if (m_sampleOnLaunchAction->isChecked()) {
        sample(); // loads the models in the background, then plays the run
        return;
    }
    // Not sampling: the models are still loaded and probed now, in the background, so that Sample answers at once.
    const SampleRequest r = currentRequest();
    loadModels(QString::fromStdString(r.denoiser), QString::fromStdString(r.discriminator), r.device, false);
}

void MainWindow::loadSettings()
{
    QSettings s;
    const QByteArray json = s.value(QStringLiteral("request")).toByteArray();
    SampleRequest r;
    QString error;
    std::optional<bool> kind;
    if (auto saved = json.isEmpty() ? std::nullopt : requestFromJson(json, &error)) {
        r = *saved;
        if (s.contains(QStringLiteral("requestToy"))) kind = s.value(QStringLiteral("requestToy")).toBool();
    } else {
        // First launch: the shipped Fashion-MNIST pair when it is installed, else the ring toy.
        const auto d = defaultModels();
        r.denoiser = d.denoiser;
        r.discriminator = d.discriminator;
        r.settings.count = kindDefaults(!d.images).count;
        r.settings.guidance = kindGuidance(!d.images); // images: the official recipe
        kind = !d.images;
    }
    applyRequest(r, false);
    m_settingsToy = kind;
    m_sampler->setCompare(s.value(QStringLiteral("compare"), true).toBool());
    m_timeline->setSpeedIndex(s.value(QStringLiteral("speed"), 0).toInt());
    m_compareAction->setChecked(s.value(QStringLiteral("compareView"), false).toBool());
    // The view by its key ("x_t", "denoised", …); settings written before keys held the table's index.
    const QVariant savedMode = s.value(QStringLiteral("viewMode"), 0);
    setViewMode(gl::viewModeFromKey(savedMode.toString().toStdString()).value_or(gl::viewModeAt(savedMode.toInt())));
    setTextScale(s.value(QStringLiteral("textScale"), 1.0).toDouble());
    setToyAxis(gl::toyAxisFromKey(s.value(QStringLiteral("toyAxis")).toString().toStdString())
                   .value_or(gl::ToyAxis::WholeRunWhilePlaying));
    m_export->setSweepWeights(s.value(QStringLiteral("sweepWeights"), m_export->sweepWeightsText()).toString());
    TrainingJob job = m_training->job();
    job.fakes = s.value(QStringLiteral("training/fakes"), static_cast<qlonglong>(job.fakes)).toLongLong();
    job.iterations =
        s.value(QStringLiteral("training/iterations"), static_cast<qlonglong>(job.iterations)).toLongLong();
    job.batchSize = s.value(QStringLiteral("training/batch"), static_cast<qlonglong>(job.batchSize)).toLongLong();
    job.lr = s.value(QStringLiteral("training/lr"), job.lr).toDouble();
    job.snapshotEvery =
        s.value(QStringLiteral("training/snapshotEvery"), static_cast<qlonglong>(job.snapshotEvery)).toLongLong();
    m_training->setJob(job);
    m_training->setAutoAdopt(s.value(QStringLiteral("training/autoAdopt"), false).toBool());
    m_defaultState = saveState();
    restoreGeometry(s.value(QStringLiteral("geometry")).toByteArray());
    m_roomyState = s.value(QStringLiteral("windowState")).toByteArray(); // saved at a workable size
    restoreState(m_roomyState);
    m_squashed = !roomy();
}

// The docks where they were built, every dock shown, and a window that fits the screen (1440 × 900 at most).
void MainWindow::resetLayout()
{
    restoreState(m_defaultState);
    for (auto* dock : findChildren<QDockWidget*>())
        if (dock->objectName() != QLatin1String("TuneDock")) dock->show(); // Tune opens when asked for
    showNormal();
    resize(1440, 900);
    fitToScreen();
}

bool MainWindow::fitToScreen()
{
    const QRect available = screen()->availableGeometry();
    const QRect frame = frameGeometry();
    const QSize margins = frame.size() - geometry().size(); // title bar and borders, once a window manager drew them
    const QSize size = geometry().size().boundedTo(available.size() - margins);
    QRect fitted(frame.topLeft(), size + margins);
    if (fitted.right() > available.right()) fitted.moveRight(available.right());
    if (fitted.bottom() > available.bottom()) fitted.moveBottom(available.bottom());
    if (fitted.left() < available.left()) fitted.moveLeft(available.left());
    if (fitted.top() < available.top()) fitted.moveTop(available.top());
    if (fitted == frame) return false;
    const bool shrunk = size != geometry().size();
    resize(size);
    move(fitted.topLeft()); // a top-level widget's position is its frame's
    if (shrunk) {
        restoreState(m_defaultState); // docks sized for a larger window would come back squashed
        m_roomyState.clear();
    }
    return true;
}

void MainWindow::saveSettings() const
{
    QSettings s;
    s.setValue(QStringLiteral("request"), QByteArray::fromStdString(toJson(currentRequest())));
    if (m_settingsToy)
        s.setValue(QStringLiteral("requestToy"), *m_settingsToy);
    else
        s.remove(QStringLiteral("requestToy"));
    s.setValue(QStringLiteral("compare"), m_sampler->compare());
    s.setValue(QStringLiteral("speed"), m_timeline->speedIndex());
    s.setValue(QStringLiteral("compareView"), m_compareAction->isChecked());
    s.setValue(QStringLiteral("viewMode"), QString::fromUtf8(gl::viewModeInfo(m_viewer->mode()).key));
    s.setValue(QStringLiteral("textScale"), m_textScale);
    s.setValue(QStringLiteral("toyAxis"), QString::fromUtf8(gl::toyAxisInfo(m_toyAxis).key));
    s.setValue(QStringLiteral("sweepWeights"), m_export->sweepWeightsText());
    const TrainingJob job = m_training->job();
    s.setValue(QStringLiteral("training/fakes"), static_cast<qlonglong>(job.fakes));
    s.setValue(QStringLiteral("training/iterations"), static_cast<qlonglong>(job.iterations));
    s.setValue(QStringLiteral("training/batch"), static_cast<qlonglong>(job.batchSize));
    s.setValue(QStringLiteral("training/lr"), job.lr);
    s.setValue(QStringLiteral("training/snapshotEvery"), static_cast<qlonglong>(job.snapshotEvery));
    s.setValue(QStringLiteral("training/autoAdopt"), m_training->autoAdopt());
    s.setValue(QStringLiteral("geometry"), saveGeometry());
    // A layout squashed by a small window is not kept: the last one at a workable size is.
    s.setValue(QStringLiteral("windowState"), roomy() || m_roomyState.isEmpty() ? saveState() : m_roomyState);
}

bool MainWindow::roomy() const
{
    return width() >= 1000 && height() >= 600;
}

// Shrinking the window squashes the docks, and growing it again does not give their sizes back (Qt keeps the squashed
// proportions): the dock layout of the last workable size is kept and restored when the window is workable again.
void MainWindow::resizeEvent(QResizeEvent* event)
{
    QMainWindow::resizeEvent(event);
    if (!roomy()) {
        m_squashed = true;
        return;
    }
    if (m_squashed && !m_roomyState.isEmpty()) {
        m_squashed = false;
        QTimer::singleShot(0, this, [this] { restoreState(m_roomyState); });
        return;
    }
    m_squashed = false;
    QTimer::singleShot(0, this, [this] {
        if (roomy() && !m_squashed) m_roomyState = saveState();
    });
}

} // namespace dg::studio
