#pragma once

#include "StudioController.h"
#include "ViewerWidget.h"

#include <QElapsedTimer>
#include <QFont>
#include <QMainWindow>
#include <QTimer>

#include <functional>
#include <optional>

class QAction;
class QDialog;
class QLabel;

namespace dg::studio {

class BranchesPanel;
class ExportPanel;
class GuidancePanel;
class ModelPanel;
class SamplerPanel;
class TimelineWidget;
class TunePanel;
class TrainingPanel;

// dg-studio's window: the viewer and timeline in the centre, docks for model, sampler, guidance, branches, training
// and export. Holds the playback cursor (branch, step) over the controller's recorded frames.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    StudioController& controller() { return *m_controller; }
    ViewerWidget& viewer() { return *m_viewer; }
    TimelineWidget& timeline() { return *m_timeline; }
    GuidancePanel& guidancePanel() { return *m_guidance; }
    TrainingPanel& trainingPanel() { return *m_training; }
    SamplerPanel& samplerPanel() { return *m_sampler; }
    ModelPanel& modelPanel() { return *m_model; }
    ExportPanel& exportPanel() { return *m_export; }
    TunePanel& tunePanel() { return *m_tunePanel; }

    SampleRequest currentRequest() const;                         // the settings the panels show
    void applyRequest(const SampleRequest& request, bool sample); // fill the panels (and start a run)
    // The kind (2-D toy or not) the panels' batch and weight were chosen for; nullopt: take them as they are.
    std::optional<bool> settingsKind() const { return m_settingsToy; }
    void setSettingsKind(std::optional<bool> toy) { m_settingsToy = toy; }
    void sample(); // start a run with the panels' settings (loads models when they changed)
    // At start-up: sample the restored (or first-launch default) settings at once, unless Run → Sample on launch is
    // off; then only load the models in the background.
    void launch();
    int shownBranch() const;
    int shownStep() const;
    bool playing() const;
    void showStep(int step);
    void setViewMode(ViewMode mode);
    void setCompareView(bool on);
    void setToyAxis(gl::ToyAxis axis); // View → 2-D toy axes (saved)
    gl::ToyAxis toyAxis() const { return m_toyAxis; }
    void togglePlay();
    void stepForward();
    void stepBack();
    void resetLayout();
    // View → Text size: the application's fonts, the view's labels and title bands and the d(x_t) badges (saved).
    void setTextScale(double scale);
    double textScale() const { return m_textScale; }
    // Presenter mode (F5): full screen, docks hidden, text ≥ 30 px — readable from a lecture hall's last row; off
    // brings the window, docks and text size back as they were.
    void setPresenterMode(bool on);
    bool presenting() const { return m_presenting; }
    // Never a window that does not fit the screen: the start-up size (the saved one, else 1440 × 900), shrunk and moved
    // so that its frame lies inside the available geometry; a saved dock layout that had to shrink with it is replaced
    // by the default one. Returns whether anything changed.
    bool fitToScreen();
    // A status-bar message, elided so that it ends before the permanent labels (last step, device, memory) instead of
    // running under them; the whole text is the status bar's tooltip. timeoutMs 0: until replaced.
    void showStatus(const QString& text, int timeoutMs = 0);
    // Tune dock: a weight sweep of the current models and settings with the dock's weights, count, seed and guidance.
    void runTune();
    bool exportTuneTo(const QString& path, QString* error); // PNG + JSON sidecar + CSV
    void sampleAtTunedWeight(double weight);                // a clicked point: that weight, the sweep's seed
    void branchHere();
    void toggleGuidance();
    void setPlaybackSpeed(int index); // 0 max, 1: 4 steps/s, 2: 2 steps/s, 3: 1 step/s
    // Exports (no dialogs): false and a message on failure. The sweep sheet is written when its samples are ready
    // (sweepExported is emitted).
    bool exportGridTo(const QString& path, QString* error = nullptr);
    bool exportFilmstripTo(const QString& path, QString* error = nullptr);
    bool exportAnimationTo(const QString& path, QString* error = nullptr);
    bool exportSweepTo(const QString& path, QString* error = nullptr);
    bool openSettingsFile(const QString& path, QString* error = nullptr);

Q_SIGNALS:
    void shownFrameChanged(int branch, int step);
    void sweepExported(const QString& path, const QString& error);

protected:
    void closeEvent(QCloseEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    // Enter or Escape in a dock's number or text box hands the keyboard back to the view, so that the single-key
    // shortcuts (G, B, Space, arrows) work again at once.
    bool eventFilter(QObject* watched, QEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildDocks();
    void buildActions();
    void connectController();
    void connectTune();
    void refreshView();
    void updateStatus();
    void updateSigmaAxis();
    void loadSettings();
    void saveSettings() const;
    void reportError(const QString& message);
    Playback& cursor() { return m_controller->playback(); }
    const Playback& cursor() const { return m_controller->playback(); }
    // Loads the pair in the background (the session probes it) and remembers it; runAfter: sample once loaded.
    void loadModels(const QString& denoiser, const QString& discriminator, Device device, bool runAfter);
    // After a cursor action: the replay timer runs while the cursor replays, the play button shows its state.
    void cursorMoved(bool refresh = true);
    std::vector<ViewerPanel> shownPanels() const; // what the viewer shows of the cursor's frame (compare, branches)
    QString branchLabel(int branch) const;        // the Branches list's line for a branch as it started

    StudioController* m_controller;
    ViewerWidget* m_viewer;
    TimelineWidget* m_timeline;
    ModelPanel* m_model;
    SamplerPanel* m_sampler;
    GuidancePanel* m_guidance;
    BranchesPanel* m_branches;
    TrainingPanel* m_training;
    ExportPanel* m_export;
    TunePanel* m_tunePanel;
    QLabel* m_deviceLabel;
    QLabel* m_stepLabel;
    QLabel* m_memoryLabel;
    QTimer m_replay; // drives Playback::tick while replaying recorded steps
    QElapsedTimer m_replayClock;
    QTimer m_memoryTimer;
    QAction* m_compareAction = nullptr;
    QAction* m_badgesAction = nullptr;
    QAction* m_sampleOnLaunchAction = nullptr;
    QAction* m_presenterAction = nullptr;
    std::vector<QAction*> m_textScaleActions;
    QFont m_baseFont; // the application font at start-up (text size 100 %)
    double m_textScale = 1.0;
    bool m_presenting = false;
    struct BeforePresenting
    {
        QByteArray docks;
        bool fullScreen = false;
        double textScale = 1.0;
        QRect geometry;
    } m_beforePresenting;
    std::vector<QAction*> m_modeActions;
    QByteArray m_defaultState; // the docks as built, for View → Reset layout
    QByteArray m_roomyState;   // the docks at the last workable window size (see resizeEvent)
    bool m_squashed = false;
    bool roomy() const; // at least 1000 × 600
    QDialog* m_diagnosisWindow = nullptr;

    QString m_loadedDenoiser, m_loadedDiscriminator;
    Device m_loadedDevice = Device::Auto;
    bool m_runAfterLoad = false;
    // The kind of model (2-D toy or images) the panels' batch and weight were chosen for: a loaded model of the other
    // kind gets its own kind's defaults (256 points / 16 images, its weight and preset). Unknown after a request given
    // in full (applyRequest); saved with the settings.
    std::optional<bool> m_settingsToy;
    gl::ToyAxis m_toyAxis = gl::ToyAxis::WholeRunWhilePlaying;
    double m_lastStepSeconds = 0;
    QString m_pendingSweep;
};

} // namespace dg::studio
