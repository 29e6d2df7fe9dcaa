#pragma once

#include "FrameView.h"

#include "dg/Diagnostics.h"
#include "dg/JobTracker.h"
#include "dg/Models.h"
#include "dg/Playback.h"
#include "dg/SampleRequest.h"
#include "dg/Session.h"

#include <cmath>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace dg::lab {

// dg-lab's state and logic, free of GL and ImGui (tested headless). The session's worker threads and the diagnosis job
// (a dg::JobTracker) push what they report into one queue; the UI thread drains it once per frame, so a finishing step
// never stalls a frame. The cursor, the recorded
// frames and the stale-run filter are dg::Playback, shared with dg-studio.
class LabController
{
public:
    LabController();
    ~LabController();

    SampleRequest request; // what the panels edit; applied by sample()
    bool compare = true;   // record the unguided companion (lockstep)
    bool compareView = false;
    gl::ViewMode mode = gl::ViewMode::State;
    int stepIntervalMs = 0; // playback pace (0: as fast as computed)

    // A model pair chosen by name (the Model panel's buttons, the command line): the batch follows the kind — 256
    // points for a 2-D toy, 16 images otherwise — unless keepCount; the Model panel's buttons also set the kind's
    // weight (kindDefaults). The models load with the next sample().
    void choosePair(const std::string& denoiser, const std::string& discriminator, bool keepCount = false);
    static KindDefaults defaultsFor(const std::string& denoiser);
    // A Model-panel button: that pair with its kind's batch, weight and preset (official for images), guidance kept on
    // or off as it was, loaded and sampled at once — no separate Sample press.
    void pickPair(const std::string& denoiser, const std::string& discriminator);
    void sample();                               // loads the models first when the specs changed
    void togglePlay();                           // Sample when nothing runs yet
    Playback& playback() { return *m_playback; } // play, step, scrub, first/last (keys and the timeline)
    const Playback& playback() const { return *m_playback; }
    void applyGuidance(); // request.settings.guidance, from the next step of the shown branch
    void toggleGuidance();
    void setStepInterval(int milliseconds);

    int drain(); // applies queued events and job reports (UI thread, once per frame); returns how many
    // Called on a worker thread whenever an event is queued (dg-lab: glfwPostEmptyEvent, so that an idle loop that
    // waits for input wakes for a new step too). Set before the first sample().
    std::function<void()> wake;
    // Something moves on screen without input: a replay paced by time, a model loading, a diagnosis running.
    bool animating() const { return playing() || m_loading || diagnosing(); }
    void tick(double seconds); // replay pacing (monotonic seconds)

    const RunHistory& history() const { return m_playback->history(); }
    const std::optional<LoadedModels>& models() const { return m_models; }
    bool loading() const { return m_loading; }
    bool running() const { return m_playback->running(); }
    bool playing() const { return m_playback->playing(); }
    int branch() const { return m_playback->branch(); }
    int step() const { return m_playback->step(); }
    FramePtr shownFrame() const { return m_playback->shown(); }
    std::vector<gl::FramePanel> panels() const;
    const std::string& error() const { return m_error; }
    const std::string& status() const { return m_status; }
    const SampleRequest& runRequest() const { return m_runRequest; }
    double lastStepSeconds() const { return m_lastStepSeconds; }
    // Mean d(x_t) = mean sigmoid(logit) of the shown frame (narration); NaN without logits.
    double meanD() const;
    bool exportGrid(const std::string& path, std::string* error) const;
    // "Where can it guide?": the run's discriminator against `count` of the run's own unguided samples at each probe σ
    // (backend diagnoseAgainstOwnSamples) on a background thread; the result arrives with drain(). One at a time.
    void diagnose(int count = 300);
    bool diagnosing() const { return m_diagnosisJob.running(); }
    void cancelDiagnosis(); // ends it with the error "diagnosis cancelled" (at the next drain)
    // Its stage ("sampling", "scoring"), how far, and the seconds left in the stage (NaN until known).
    struct DiagnosisProgress
    {
        StageProgress stage;
        double etaSeconds = std::nan("");
    };
    const DiagnosisProgress& diagnosisProgress() const { return m_diagnosisProgress; }
    const std::optional<DiscriminatorDiagnosis>& diagnosis() const { return m_diagnosis; }
    const std::string& diagnosisError() const { return m_diagnosisError; }
    GuidanceSettings diagnosisGuidance() const { return m_diagnosisGuidance; } // the σ window it was run for
    // The shown branch's recorded steps as GIF/MP4 (gl::exportAnimation).
    bool exportAnimation(const std::string& path, const AnimationTiming& timing, std::string* error) const;

private:
    void handle(const SessionEvent& e);
    void startRun();
    void post(std::function<void()> callback); // any thread: queued for drain()

    std::mutex m_mutex; // guards m_queue (filled on the session's and the diagnosis job's threads)
    std::deque<std::function<void()>> m_queue;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<Playback> m_playback; // drives *m_session

    std::optional<LoadedModels> m_models;
    std::string m_loadedDenoiser, m_loadedDiscriminator;
    Device m_loadedDevice = Device::Auto;
    bool m_loading = false;
    bool m_runAfterLoad = false;
    SampleRequest m_runRequest;
    double m_lastStepSeconds = 0;
    std::string m_error;
    std::string m_status;
    std::optional<DiscriminatorDiagnosis> m_diagnosis;
    std::string m_diagnosisError;
    DiagnosisProgress m_diagnosisProgress;
    GuidanceSettings m_diagnosisGuidance;
    JobTracker m_diagnosisJob; // last: joined before the members its reports touch go away
};

} // namespace dg::lab
