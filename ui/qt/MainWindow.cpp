#include "MainWindow.h"
#include "dg/Error.h"

#include "BranchesPanel.h"
#include "ExportPanel.h"
#include "FieldLabels.h"
#include "GuidancePanel.h"
#include "ModelPanel.h"
#include "SamplerPanel.h"
#include "SigmaAxisWidget.h"
#include "SpinBoxRange.h"
#include "TimelineWidget.h"
#include "TrainingPanel.h"
#include "TunePanel.h"

#include "dg/Export.h"
#include "dg/Models.h"
#include "dg/Schedule.h"

#include <QAbstractSpinBox>
#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDialog>
#include <QDockWidget>
#include <QFile>
#include <QFontMetrics>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QPixmap>
#include <QScrollArea>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include <cmath>

namespace dg::studio {
namespace {

QString residentMemory()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) return QStringLiteral("?");
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith("VmRSS:")) {
            const double kb = line.mid(6).trimmed().split(' ').front().toDouble();
            return QStringLiteral("%1 MB").arg(kb / 1024.0, 0, 'f', 0);
        }
    return QStringLiteral("?");
}

} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(tr("DG Studio — Discriminator Guidance"));
    setAcceptDrops(true);
    m_controller = new StudioController(this);
    m_viewer = new ViewerWidget;
    m_timeline = new TimelineWidget;
    auto* centre = new QWidget;
    auto* v = new QVBoxLayout(centre);
    v->setContentsMargins(0, 0, 0, 0);
    v->setSpacing(0);
    v->addWidget(m_viewer, 1);
    v->addWidget(m_timeline);
    setCentralWidget(centre);
    m_baseFont = QApplication::font();
    buildDocks();
    buildActions();
    connectController();
    connectTune();

    m_deviceLabel = new QLabel(tr("no model"));
    m_stepLabel = new QLabel;
    m_memoryLabel = new QLabel;
    statusBar()->addPermanentWidget(m_stepLabel);
    statusBar()->addPermanentWidget(m_deviceLabel);
    statusBar()->addPermanentWidget(m_memoryLabel);
    connect(m_viewer, &ViewerWidget::hoverText, this, [this](const QString& t) {
        if (t.isEmpty())
            statusBar()->clearMessage();
        else
            showStatus(t);
    });
    connect(&m_memoryTimer, &QTimer::timeout, this, &MainWindow::updateStatus);
    m_memoryTimer.start(1000);
    m_replayClock.start();
    m_replay.setInterval(15);
    connect(&m_replay, &QTimer::timeout, this, [this] {
        if (cursor().tick(m_replayClock.elapsed() / 1000.0)) refreshView();
        cursorMoved(false);
    });
    loadSettings();
    updateSigmaAxis();
    updateStatus();
}

MainWindow::~MainWindow() = default;

bool MainWindow::eventFilter(QObject* watched, QEvent* event)
{
    // The wheel over a dock scrolls the dock: a spin box or combo box takes it only once clicked (focused), so
    // scrolling past σ_lo never edits it (or flips the preset to Custom).
    if (event->type() == QEvent::Wheel) {
        auto* widget = qobject_cast<QWidget*>(watched);
        if (widget && !widget->hasFocus() &&
            (qobject_cast<QAbstractSpinBox*>(widget) || qobject_cast<QComboBox*>(widget))) {
            for (QWidget* w = widget->parentWidget(); w; w = w->parentWidget())
                if (auto* area = qobject_cast<QAbstractScrollArea*>(w)) {
                    QApplication::sendEvent(area->viewport(), event);
                    break;
                }
            return true;
        }
    }
    if (event->type() == QEvent::KeyPress) {
        const int key = static_cast<QKeyEvent*>(event)->key();
        if (key == Qt::Key_Return || key == Qt::Key_Enter || key == Qt::Key_Escape)
            QTimer::singleShot(0, m_viewer, [this] { m_viewer->setFocus(Qt::OtherFocusReason); });
    }
    return QMainWindow::eventFilter(watched, event); // the box still commits (Enter) or reverts (Escape) its value
}

void MainWindow::buildDocks()
{
    auto dock = [this](const QString& title, QWidget* w, Qt::DockWidgetArea area, const QString& name) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name);
        auto* scroll = new QScrollArea;
        scroll->setWidget(w);
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        d->setWidget(scroll);
        addDockWidget(area, d);
        return d;
    };
    m_model = new ModelPanel;
    m_sampler = new SamplerPanel;
    m_guidance = new GuidancePanel;
    m_branches = new BranchesPanel;
    m_training = new TrainingPanel;
    m_export = new ExportPanel;
    m_tunePanel = new TunePanel;
    auto* model = dock(tr("Model"), m_model, Qt::LeftDockWidgetArea, QStringLiteral("ModelDock"));
    auto* sampler = dock(tr("Sampler"), m_sampler, Qt::LeftDockWidgetArea, QStringLiteral("SamplerDock"));
    auto* guidance = dock(tr("Guidance"), m_guidance, Qt::RightDockWidgetArea, QStringLiteral("GuidanceDock"));
    auto* branches = dock(tr("Branches"), m_branches, Qt::RightDockWidgetArea, QStringLiteral("BranchesDock"));
    auto* training = dock(tr("Training"), m_training, Qt::RightDockWidgetArea, QStringLiteral("TrainingDock"));
    auto* exports = dock(tr("Export"), m_export, Qt::LeftDockWidgetArea, QStringLiteral("ExportDock"));
    // Under the viewer, full width, closed until asked for (toolbar "Tune w…"): its plot wants width.
    auto* tune =
        dock(tr("Tune the guidance weight"), m_tunePanel, Qt::BottomDockWidgetArea, QStringLiteral("TuneDock"));
    tune->hide();
    for (QWidget* panel : std::initializer_list<QWidget*>{m_model, m_sampler, m_guidance, m_branches, m_training,
                                                          m_export, m_tunePanel}) {
        for (auto* box : panel->findChildren<QAbstractSpinBox*>()) {
            box->installEventFilter(this);
            box->setFocusPolicy(Qt::StrongFocus); // not focused by the wheel
            clampToRange(box, [this](const QString& message) { showStatus(message, 8000); });
        }
        for (auto* combo : panel->findChildren<QComboBox*>()) {
            combo->installEventFilter(this);
            combo->setFocusPolicy(Qt::StrongFocus);
        }
        for (auto* line : panel->findChildren<QLineEdit*>())
            line->installEventFilter(this);
    }
    tabifyDockWidget(sampler, exports);
    sampler->raise();
    tabifyDockWidget(branches, training);
    branches->raise();
    Q_UNUSED(model);
    Q_UNUSED(guidance);
    resizeDocks({model, guidance}, {300, 300}, Qt::Horizontal);

    connect(m_model, &ModelPanel::loadRequested, this,
            [this] { loadModels(m_model->denoiser(), m_model->discriminator(), m_model->device(), false); });
    connect(m_sampler, &SamplerPanel::sampleRequested, this, &MainWindow::sample);
    connect(m_sampler, &SamplerPanel::scheduleChanged, this, &MainWindow::updateSigmaAxis);
    connect(m_guidance, &GuidancePanel::guidanceChanged, this, [this] {
        if (m_controller->currentRun() == 0) return;
        const GuidanceSettings g = m_guidance->guidance();
        Playback& p = cursor();
        p.setGuidance(g);
        // The list says what the branch runs with now: its first weight, then the live change and where it applies.
        m_branches->setLabel(p.branch(),
                             branchLabel(p.branch()) + tr(", then %1 from step %2")
                                                           .arg(g.enabled ? tr("w = %1").arg(g.weight) : tr("DG off"))
                                                           .arg(p.frameCount()));
    });
    connect(m_branches, &BranchesPanel::branchSelected, this, [this](int id) {
        cursor().select(id);
        cursorMoved();
    });
    connect(m_branches, &BranchesPanel::branchRequested, this, &MainWindow::branchHere);
    connect(m_branches, &BranchesPanel::compareWithChanged, this, &MainWindow::refreshView);
    connect(m_training, &TrainingPanel::startRequested, this, [this] {
        m_training->started();
        m_controller->startTraining(m_training->job());
    });
    connect(m_training, &TrainingPanel::cancelRequested, m_controller, &StudioController::cancelTraining);
    connect(m_training, &TrainingPanel::adoptRequested, m_controller, &StudioController::adoptSnapshot);
    connect(m_export, &ExportPanel::exportGrid, this,
            [this] { findChild<QAction*>(QStringLiteral("exportGrid"))->trigger(); });
    connect(m_export, &ExportPanel::exportFilmstrip, this,
            [this] { findChild<QAction*>(QStringLiteral("exportFilmstrip"))->trigger(); });
    connect(m_export, &ExportPanel::exportAnimation, this,
            [this] { findChild<QAction*>(QStringLiteral("exportAnimation"))->trigger(); });
    connect(m_export, &ExportPanel::exportSweep, this,
            [this] { findChild<QAction*>(QStringLiteral("exportSweep"))->trigger(); });
    connect(m_export, &ExportPanel::openSettings, this,
            [this] { findChild<QAction*>(QStringLiteral("openSettings"))->trigger(); });

    connect(m_timeline, &TimelineWidget::playToggled, this, &MainWindow::togglePlay);
    connect(m_timeline, &TimelineWidget::stepForward, this, &MainWindow::stepForward);
    connect(m_timeline, &TimelineWidget::stepBack, this, &MainWindow::stepBack);
    connect(m_timeline, &TimelineWidget::scrubbed, this, &MainWindow::showStep);
    connect(m_timeline, &TimelineWidget::speedChanged, this, [this](int ms) {
        m_controller->setStepInterval(ms);
        cursor().setReplayInterval(ms);
    });
}

void MainWindow::connectController()
{
    auto* c = m_controller;
    connect(c, &StudioController::modelsLoaded, this, [this] {
        m_viewer->setIdleText(m_runAfterLoad ? tr("Sampling …") : tr("Press Sample (Ctrl+R)"));
        const auto& m = *m_controller->models();
        QString info = QStringLiteral("<b>%1</b><br>%2<br>shape %3%4")
                           .arg(QString::fromStdString(m.denoiser.spec).toHtmlEscaped(),
                                QString::fromStdString(m.denoiser.description).toHtmlEscaped(),
                                QString::fromStdString(shapeToString(m.sampleShape)),
                                m.denoiser.classConditional ? tr(", class-conditional") : QString());
        info += m.discriminator ? QStringLiteral("<br><b>%1</b><br>%2")
                                      .arg(QString::fromStdString(m.discriminator->spec).toHtmlEscaped(),
                                           QString::fromStdString(m.discriminator->description).toHtmlEscaped())
                                : tr("<br>no discriminator: guidance has no effect");
        m_model->setInfo(info);
        m_training->setDenoiser(QString::fromStdString(m.denoiser.spec), QString::fromStdString(m.denoiser.dataset));
        m_sampler->fitClassTo(m.denoiser.classConditional || (m.discriminator && m.discriminator->classConditional));
        m_guidance->setBoostAvailable(m.discriminator.has_value());
        // Another kind of model (a 2-D toy after images, or back): its batch, weight and preset, not the previous
        // kind's.
        const bool toy = drawsPoints(m.denoiser); // the one rule (dg/Models.h)
        if (m_settingsToy && *m_settingsToy != toy) {
            m_sampler->setCount(kindDefaults(toy).count);
            GuidanceSettings g = kindGuidance(toy); // its weight under its preset (official for images)
            g.enabled = m_guidance->guidance().enabled;
            m_guidance->setGuidance(g);
        }
        m_settingsToy = toy;
        updateStatus();
        if (m_runAfterLoad) {
            m_runAfterLoad = false;
            sample();
        }
    });
    connect(c, &StudioController::runStarted, this, [this] {
        m_branches->clear();
        m_branches->addBranch(0, branchLabel(0), tr("main run"));
        m_branches->setCurrent(0);
        refreshView();
    });
    connect(c, &StudioController::frameAdded, this, [this](int branch, int step) {
        if (const auto f = m_controller->frame(branch, step); f && f->seconds > 0) m_lastStepSeconds = f->seconds;
        if (branch == cursor().branch()) m_branches->setCurrent(branch); // a new branch is shown from its first step
        refreshView();
        updateStatus();
    });
    connect(c, &StudioController::branchCreated, this, [this](int branch, int parent, int forkStep) {
        Q_UNUSED(parent);
        Q_UNUSED(forkStep);
        m_branches->addBranch(branch, branchLabel(branch), tr("branch %1").arg(branch));
    });
    connect(c, &StudioController::branchFinished, this, [this](int branch) {
        m_branches->setFinished(branch, true);
        cursorMoved(false);
    });
    connect(c, &StudioController::failed, this, [this](const QString& message) {
        if (!m_controller->modelsReady()) m_viewer->setIdleText(tr("Load a model and press Sample (Ctrl+R)"));
        reportError(message);
    });
    connect(c, &StudioController::discriminatorAdopted, this, [this](const QString& d, const QString& path) {
        showStatus(path.isEmpty() ? tr("guiding with %1 from the next step").arg(d)
                                  : tr("guiding with %1 from the next step (saved as %2)").arg(d, path),
                   8000);
        if (!path.isEmpty()) m_model->setModels(m_model->denoiser(), path, m_model->device());
        if (m_controller->models())
            m_model->setInfo(
                tr("<b>%1</b><br>%2<br><b>adopted discriminator</b><br>%3")
                    .arg(QString::fromStdString(m_controller->models()->denoiser.spec).toHtmlEscaped(),
                         QString::fromStdString(m_controller->models()->denoiser.description).toHtmlEscaped(),
                         d.toHtmlEscaped()));
    });
    connect(c, &StudioController::trainingProgress, m_training, &TrainingPanel::showProgress);
    connect(c, &StudioController::snapshotsCleared, m_training, &TrainingPanel::clearSnapshots);
    connect(m_training, &TrainingPanel::diagnoseRequested, this, [this] {
        m_training->diagnosisRunning(true);
        m_controller->diagnose();
    });
    connect(m_training, &TrainingPanel::diagnoseCancelRequested, c, &StudioController::cancelDiagnosis);
    connect(c, &StudioController::diagnosisProgress, m_training, &TrainingPanel::showDiagnosisProgress);
    connect(c, &StudioController::diagnosisFinished, this, [this](const QImage& figure, const QString& summary) {
        m_training->showDiagnosis(summary);
        if (figure.isNull()) return;
        // Its own window, so that it is readable at any window size and can stay open beside the run.
        if (!m_diagnosisWindow) {
            m_diagnosisWindow = new QDialog(this);
            m_diagnosisWindow->setObjectName(QStringLiteral("diagnosisWindow"));
            m_diagnosisWindow->setWindowTitle(tr("Where can the discriminator guide?"));
            auto* layout = new QVBoxLayout(m_diagnosisWindow);
            auto* image = new QLabel;
            image->setObjectName(QStringLiteral("figure"));
            auto* text = new QLabel;
            text->setObjectName(QStringLiteral("summary"));
            text->setWordWrap(true);
            layout->addWidget(image);
            layout->addWidget(text);
        }
        m_diagnosisWindow->findChild<QLabel*>(QStringLiteral("figure"))->setPixmap(QPixmap::fromImage(figure));
        m_diagnosisWindow->findChild<QLabel*>(QStringLiteral("summary"))
            ->setText(summary + tr(" Discriminator: %1; shaded: the σ window where guidance acts.")
                                    .arg(QString::fromStdString(m_controller->runRequest().discriminator)));
        m_diagnosisWindow->show();
        m_diagnosisWindow->raise();
    });
    connect(c, &StudioController::trainingSnapshot, this, [this](qint64 iteration) {
        m_training->addSnapshot(iteration);
        if (m_training->autoAdopt()) m_controller->adoptSnapshot(iteration);
    });
    connect(c, &StudioController::trainingFinished, this,
            [this](const QString& checkpoint) { m_training->finished(checkpoint, true); });
    connect(c, &StudioController::trainingFailed, this, [this](const QString& message) {
        m_training->finished(message, false);
        if (!message.startsWith(QLatin1String("cancelled"))) reportError(tr("training: %1").arg(message));
    });
    connect(c, &StudioController::sweepFinished, this,
            [this](const std::vector<double>& weights, const std::vector<HostTensor>& samples) {
                if (m_pendingSweep.isEmpty()) return;
                const QString path = std::exchange(m_pendingSweep, QString());
                QString error;
                try {
                    exportSweepSheet(path.toStdString(), weights, samples, m_controller->runRequest());
                    showStatus(tr("wrote %1").arg(path), 5000);
                } catch (const std::exception& e) {
                    error = studioErrorMessage(e);
                    reportError(error);
                }
                Q_EMIT sweepExported(path, error);
            });
}

SampleRequest MainWindow::currentRequest() const
{
    SampleRequest r;
    r.denoiser = m_model->denoiser().toStdString();
    r.discriminator = m_model->discriminator().toStdString();
    r.device = m_model->device();
    m_sampler->readInto(r.settings);
    r.settings.guidance = m_guidance->guidance();
    return r;
}

void MainWindow::applyRequest(const SampleRequest& r, bool start)
{
    m_settingsToy.reset(); // a request given in full (a file, the command line) is taken as it is
    m_model->setModels(QString::fromStdString(r.denoiser), QString::fromStdString(r.discriminator), r.device);
    m_sampler->setFrom(r.settings);
    m_guidance->setGuidance(r.settings.guidance);
    updateSigmaAxis();
    if (start) sample();
}

void MainWindow::sample()
{
    const SampleRequest r = currentRequest();
    try {
        validate(r.settings);
    } catch (const std::exception& e) {
        reportError(studioErrorMessage(e));
        return;
    }
    const QString d = QString::fromStdString(r.denoiser), disc = QString::fromStdString(r.discriminator);
    if (!m_controller->modelsReady() || d != m_loadedDenoiser || disc != m_loadedDiscriminator ||
        r.device != m_loadedDevice) {
        loadModels(d, disc, r.device, true);
        return;
    }
    m_viewer->setSeed(r.settings.seed, r.settings.firstSample);
    m_controller->setStepInterval(m_timeline->stepIntervalMs());
    cursor().setReplayInterval(m_timeline->stepIntervalMs());
    m_controller->startRun(r, m_sampler->compare(), true);
    cursorMoved(false);
    updateSigmaAxis();
}

void MainWindow::loadModels(const QString& denoiser, const QString& discriminator, Device device, bool runAfter)
{
    m_loadedDenoiser = denoiser;
    m_loadedDiscriminator = discriminator;
    m_loadedDevice = device;
    m_runAfterLoad = runAfter;
    m_model->setInfo(tr("loading…"));
    m_viewer->setIdleText(tr("Loading %1 …").arg(denoiser));
    m_controller->loadModels(denoiser, discriminator, device);
}

void MainWindow::cursorMoved(bool refresh)
{
    const Playback& p = cursor();
    if (p.replaying() != m_replay.isActive()) p.replaying() ? m_replay.start() : m_replay.stop();
    m_timeline->setPlaying(p.playing());
    m_viewer->setToyAxis(m_toyAxis, p.playing());
    if (refresh) refreshView();
}

void MainWindow::setToyAxis(gl::ToyAxis axis)
{
    m_toyAxis = axis;
    for (auto* a : findChildren<QAction*>())
        if (a->data().toString() == QString::fromUtf8(gl::toyAxisInfo(axis).key)) a->setChecked(true);
    cursorMoved(false);
}

int MainWindow::shownBranch() const
{
    return cursor().branch();
}
int MainWindow::shownStep() const
{
    return cursor().step();
}
bool MainWindow::playing() const
{
    return cursor().playing();
}

void MainWindow::togglePlay()
{
    if (!cursor().running()) {
        sample();
        return;
    }
    cursor().togglePlay();
    cursorMoved();
}

void MainWindow::stepForward()
{
    cursor().stepForward();
    cursorMoved();
}

void MainWindow::stepBack()
{
    cursor().stepBack();
    cursorMoved();
}

void MainWindow::showStep(int step)
{
    cursor().scrub(step);
    cursorMoved();
}

void MainWindow::branchHere()
{
    cursor().branchHere(m_guidance->guidance());
    cursorMoved(false);
}

void MainWindow::setPlaybackSpeed(int index)
{
    m_timeline->setSpeedIndex(index);
}

void MainWindow::toggleGuidance()
{
    m_guidance->setEnabledChecked(!m_guidance->guidance().enabled);
}

void MainWindow::setViewMode(ViewMode mode)
{
    m_viewer->setMode(mode);
    for (size_t i = 0; i < m_modeActions.size(); ++i)
        m_modeActions[i]->setChecked(gl::viewModes()[i].mode == mode);
    refreshView();
}

void MainWindow::setCompareView(bool on)
{
    m_compareAction->setChecked(on);
    refreshView();
}

std::vector<ViewerPanel> MainWindow::shownPanels() const
{
    const Playback& p = cursor();
    const FramePtr frame = p.shown();
    if (!frame) return {};
    const int b = p.branch();
    const bool guided = frame->weight != 0.0 || frame->weight2 != 0.0 || frame->step >= frame->steps;
    const std::string name = (b == 0 ? (guided ? tr("guided") : tr("DG off")) : tr("branch %1").arg(b)).toStdString();
    if (!m_compareAction->isChecked()) return {{frame, false, name, p.trail(b), std::nullopt}};
    const int other = m_branches->compareWith();
    if (other < 0 || other == b || gl::viewModeInfo(m_viewer->mode()).needsCompanion)
        return gl::comparePanels(frame, name, p.trail(b), m_viewer->mode()); // the difference is vs unguided
    std::vector<ViewerPanel> panels{{frame, false, name, p.trail(b), std::nullopt}};
    if (auto f = p.shownOf(other))
        panels.push_back({f, false, tr("branch %1").arg(other).toStdString(), p.trail(other), std::nullopt});
    return panels;
}

void MainWindow::refreshView()
{
    const Playback& p = cursor();
    m_timeline->setRange(p.frameCount(), m_controller->stepCount());
    const FramePtr frame = p.shown();
    m_viewer->setPanels(shownPanels());
    if (!frame) return;
    m_timeline->setPosition(p.step());
    m_guidance->axis()->setCurrent(frame->step < frame->steps ? frame->sigma : -1.0);
    Q_EMIT shownFrameChanged(p.branch(), p.step());
}

QString MainWindow::branchLabel(int branch) const
{
    const auto& b = m_controller->branches();
    if (branch < 0 || branch >= static_cast<int>(b.size())) return {};
    const BranchRecord& r = b[static_cast<size_t>(branch)];
    // The weight it was sampled (or forked) with; live changes are appended by the caller ("then … from step k").
    const QString how = r.startGuidance.enabled ? tr("w = %1").arg(r.startGuidance.weight) : tr("DG off");
    if (branch == 0) return tr("main run (%1)").arg(how);
    const QString parent = r.parent == 0 ? tr("the main run") : tr("branch %1").arg(r.parent);
    return tr("branch %1: from %2 at step %3, %4").arg(branch).arg(parent).arg(r.forkStep).arg(how);
}

void MainWindow::updateSigmaAxis()
{
    RunSettings s;
    m_sampler->readInto(s);
    m_guidance->axis()->setRange(s.sampler.schedule.sigmaMin * 0.5, s.sampler.schedule.sigmaMax * 1.5);
    try {
        m_guidance->axis()->setSteps(edmSigmas(s.sampler.schedule));
    } catch (const std::exception&) {
        m_guidance->axis()->setSteps({});
    }
}

void MainWindow::updateStatus()
{
    m_deviceLabel->setText(m_controller->models()
                               ? tr("device: %1").arg(QString::fromStdString(m_controller->models()->device))
                               : tr("no model"));
    m_stepLabel->setText(m_lastStepSeconds > 0 ? tr("last step %1 ms").arg(m_lastStepSeconds * 1000, 0, 'f', 0)
                                               : QString());
    m_memoryLabel->setText(tr("memory %1").arg(residentMemory()));
}

void MainWindow::showStatus(const QString& text, int timeoutMs)
{
    QStatusBar* bar = statusBar();
    int right = bar->width() - 12;
    for (const QLabel* label : {m_stepLabel, m_deviceLabel, m_memoryLabel})
        if (label && label->isVisible() && label->x() > 0) right = std::min(right, label->x() - 2);
    const int room = std::max(40, right - 6 - 6);
    bar->setToolTip(text);
    bar->showMessage(QFontMetrics(bar->font()).elidedText(text, Qt::ElideRight, room), timeoutMs);
}

void MainWindow::reportError(const QString& message)
{
    cursor().stop();
    cursorMoved(false);
    showStatus(tr("Error: %1").arg(message), 15000);
    if (!m_controller->modelsReady())
        m_model->setInfo(tr("<span style='color:#c33'>error: %1</span>").arg(message.toHtmlEscaped()));
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    setPresenterMode(false); // the settings keep the window, docks and text size from before presenting
    saveSettings();
    event->accept();
}

} // namespace dg::studio
