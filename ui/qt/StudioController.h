#pragma once

#include "dg/JobTracker.h"
#include "dg/Playback.h"
#include "dg/SampleRequest.h"
#include "dg/Session.h"
#include "dg/Tuning.h"

#include <QElapsedTimer>
#include <QImage>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace dg::studio {

// The Qt ↔ backend adapter. Owns the dg::Session (whose worker threads do all torch work), marshals its events to
// the GUI thread with queued invocations, throttles training progress to ~30 updates/s, and owns the playback engine
// (dg::Playback: the current run's frames, the stale-run filter and the cursor), whose requests it forwards to the
// session. GUI thread only.
class StudioController : public QObject, public PlaybackTarget
{
    Q_OBJECT
public:
    explicit StudioController(QObject* parent = nullptr);
    ~StudioController() override;

    void loadModels(const QString& denoiser, const QString& discriminator, Device device);
    bool modelsReady() const { return m_models.has_value(); }
    const std::optional<LoadedModels>& models() const { return m_models; }

    // Starts a run with the request's settings (models must be loaded with the request's specs).
    void startRun(const SampleRequest& request, bool compare, bool play);
    uint64_t currentRun() const { return m_playback.run(); }
    const SampleRequest& runRequest() const { return m_request; }
    bool comparing() const { return m_compare; }

    Playback& playback() { return m_playback; }
    const Playback& playback() const { return m_playback; }
    // PlaybackTarget: the cursor's requests; guidance changes and branches also become the run request's guidance.
    void play(int branch) override;
    void pause() override;
    void stepOnce(int branch) override;
    void setGuidance(int branch, const GuidanceSettings& guidance) override;
    void branch(int fromBranch, int atStep, const GuidanceSettings& guidance, bool play) override;
    void setStepInterval(int milliseconds);
    // A snapshot published by the running training job: saved as a TorchScript file beside the job's checkpoint (or in
    // the application's data folder) so that exports name a file that reproduces it, then adopted.
    void adoptSnapshot(int64_t iteration);
    void sweep(const std::vector<double>& weights, int count);
    void startTraining(const TrainingJob& job);
    void cancelTraining();
    // Diagnoses the run's discriminator (its file, a built-in, or an adopted snapshot's saved file) against `count`
    // unguided samples of the loaded denoiser on a background thread (backend diagnoseAgainstOwnSamples); ends in
    // diagnosisFinished. One at a time (m_diagnosisJob: a new request replaces a running one); the destructor cancels
    // it.
    void diagnose(int count = 300);
    void cancelDiagnosis(); // ends in diagnosisFinished with an empty figure and "cancelled"
    bool diagnosing() const { return m_diagnosisJob.running(); }
    // The Tune dock's sweep (backend tuneWeights) on a background thread: base's models and settings at each weight,
    // scored with `scoring` (its cache folder makes a repeat free). Progress, each finished row, then tuneFinished.
    // One at a time; cancelTune() stops it within one batch; the destructor cancels it.
    // matchedCompute: then the unguided sampler at the guided sampler's cost as a last row (tuneWeights), and with
    // matchedChurn > 0 the same with EDM's churn S_churn = matchedChurn after it.
    void tune(const SampleRequest& base, const std::vector<double>& weights, const ScoringSettings& scoring,
              bool matchedCompute = false, double matchedChurn = 0.0);
    void cancelTune();
    bool tuning() const { return m_tuneJob.running(); }
    // The rows finished so far (all of them after tuneFinished), with best, reference and paired change filled in.
    const TuneResult& tuneResult() const { return m_tuneResult; }
    const SampleRequest& tuneRequest() const { return m_tuneRequest; }
    bool trainingRunning() const;

    const RunHistory& history() const { return m_playback.history(); }
    const std::vector<BranchRecord>& branches() const { return history().branches(); }
    int stepCount() const { return history().steps(); } // frames per complete branch: stepCount() + 1
    int frameCount(int branch) const { return history().frameCount(branch); }
    FramePtr frame(int branch, int step) const { return history().frame(branch, step); }
    std::vector<int64_t> snapshotIterations() const;

Q_SIGNALS:
    void modelsLoaded();
    void runStarted(quint64 run);
    void frameAdded(int branch, int step);
    void branchCreated(int branch, int parent, int forkStep);
    void branchFinished(int branch);
    void failed(const QString& message);
    // path: the file the adopted snapshot was saved as (the run request now names it); empty when not saved.
    void discriminatorAdopted(const QString& description, const QString& path);
    void sweepFinished(const std::vector<double>& weights, const std::vector<dg::HostTensor>& samples);
    void trainingProgress(const QString& phase, const dg::TrainingProgress& progress);
    void trainingSnapshot(qint64 iteration);
    void snapshotsCleared(); // another denoiser was loaded: the listed snapshots no longer apply
    // figure: accuracy against σ (null on failure); summary: a sentence, or the error.
    void diagnosisFinished(const QImage& figure, const QString& summary);
    // Stage "sampling" (the model's own samples) or "scoring" (σ levels); etaSeconds NaN until a rate is known.
    void diagnosisProgress(const QString& stage, qint64 done, qint64 total, double etaSeconds);
    // row of rows is being sampled: done of total samples, ETA of the whole sweep (from the rate of fresh batches).
    void tuneProgress(int row, int rows, qint64 done, qint64 total, double etaSeconds);
    void tuneRowFinished(int row);
    void tuneFinished(const QString& error); // empty: done; "cancelled" when cancelled
    void trainingFinished(const QString& checkpoint, const dg::TrainingProgress& summary);
    void trainingFailed(const QString& message);

private:
    void handle(const SessionEvent& event);     // GUI thread
    void deliver(std::function<void()> report); // a background job's report, queued to the GUI thread

    std::unique_ptr<Session> m_session;
    std::optional<LoadedModels> m_models;
    SampleRequest m_request;
    bool m_compare = false;
    Playback m_playback{*this};
    std::vector<std::pair<int64_t, DiscriminatorPtr>> m_snapshots;
    std::string m_trainingCheckpoint;
    std::string m_snapshotDenoiser;       // the denoiser the snapshots' discriminator is trained for
    JobTracker m_diagnosisJob, m_tuneJob; // the Diagnose and Tune docks' background jobs
    TuneResult m_tuneResult;
    SampleRequest m_tuneRequest;
    QElapsedTimer m_progressClock;
};

} // namespace dg::studio
