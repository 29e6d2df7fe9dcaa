#pragma once

#include "dg/HostTensor.h"
#include "dg/Models.h"
#include "dg/SampleRequest.h"
#include "dg/Settings.h"
#include "dg/Training.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dg {

// What a viewer shows for one step of one branch. Frame k is the state before step k: x at σ_k with the step's
// (guided) x₀ prediction, correction and logits; frame `steps` is the final sample (σ = 0).
struct Frame
{
    int branch = 0;
    int step = 0;
    int steps = 0;
    double sigma = 0.0;
    double weight = 0.0;  // predictor weight applied at this step (0: guidance off here)
    double weight2 = 0.0; // corrector weight
    HostTensor x;
    HostTensor denoised;
    HostTensor correction;
    std::vector<float> logit; // empty without a discriminator (and at the final frame)
    HostTensor unguidedX;     // the companion run from the same noise without guidance; empty when not comparing
    HostTensor unguidedDenoised;
    double unguidedSigma = 0.0; // the σ of the companion's step (equal to sigma: both runs step together)
    double seconds = 0.0;       // wall time of the step (guided + companion)
    // 2-D toys: log p_data,σ on a densityRes² grid over [-extent, extent]² (row 0 at y = +extent); else empty.
    std::vector<float> logDensity;
    int densityRes = 0;
    double extent = 0.0;
};
using FramePtr = std::shared_ptr<const Frame>;

struct LoadedModels
{
    ModelInfo denoiser;
    std::optional<ModelInfo> discriminator;
    std::vector<int64_t> sampleShape;
    std::string device; // describeDevice() of the resolved device
};

// Discriminator training started from a front end: fakes from the loaded denoiser, then trainDiscriminator.
struct TrainingJob
{
    int64_t fakes = 2000;     // unguided samples generated first (18 Heun steps)
    int64_t iterations = 600; // rounded up to whole epochs
    int64_t batchSize = 128;
    double lr = 3e-4;
    int64_t snapshotEvery = 100; // a frozen snapshot every K iterations
    std::string checkpoint;      // empty: a file in a temporary folder
    uint64_t seed = 0;
};

struct SessionEvent
{
    enum class Kind
    {
        ModelsLoaded,         // models
        RunStarted,           // frame == null; branch 0
        Frame,                // frame
        BranchCreated,        // branch, parentBranch, forkStep
        BranchFinished,       // branch
        Paused,               // computation stopped (cancel or pause); branch
        Failed,               // message (sampling side)
        DiscriminatorAdopted, // message = its description, path = the file it was saved as (empty: not saved)
        SweepFinished,        // sweepWeights, sweepSamples
        TrainingProgress,     // progress, message = phase
        TrainingSnapshot,     // snapshot, snapshotIteration
        TrainingFinished,     // message = checkpoint path
        TrainingFailed,       // message (also after a cancel: "cancelled")
    };
    Kind kind = Kind::Failed;
    uint64_t run = 0; // the run generation it belongs to (0: not tied to a run)
    int branch = 0;
    int parentBranch = -1;
    int forkStep = 0;
    std::string message;
    std::string path;
    FramePtr frame;
    std::optional<LoadedModels> models;
    TrainingProgress progress;
    DiscriminatorPtr snapshot;
    int64_t snapshotIteration = 0;
    std::vector<double> sweepWeights;
    std::vector<HostTensor> sweepSamples; // final samples per weight
};

// What a playback cursor (dg::Playback) asks of the engine: Session implements it; tests record the calls.
class PlaybackTarget
{
public:
    virtual ~PlaybackTarget() = default;
    virtual void play(int branch) = 0;
    virtual void pause() = 0;
    virtual void stepOnce(int branch) = 0;
    virtual void setGuidance(int branch, const GuidanceSettings& guidance) = 0;
    virtual void branch(int fromBranch, int atStep, const GuidanceSettings& guidance, bool play) = 0;
};

// The engine behind the front ends: one sampling worker thread owns the models and every trajectory (all torch work
// happens there or on the training thread); the owner sends requests from any one thread and receives events through
// the listener, called on those threads — marshal them to the UI. Requests never block on torch work.
class Session : public PlaybackTarget
{
public:
    using Listener = std::function<void(const SessionEvent&)>;
    explicit Session(Listener listener);
    ~Session(); // cancels everything and joins the threads
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Loads (and probes) the pair; cancels the current run. Events: ModelsLoaded or Failed.
    void loadModels(const std::string& denoiser, const std::string& discriminator, Device device);
    // A new run (new generation, returned) from the settings' seeds; the previous run is cancelled within one network
    // evaluation and its later events carry the old generation. compare: also run the unguided companion in lockstep.
    uint64_t startRun(const RunSettings& settings, bool compare, bool play);
    uint64_t currentRun() const;

    void play(int branch) override; // compute the branch's steps one after another (at most one per step interval)
    void pause() override;          // stops after the step in flight (which is cancelled)
    void stepOnce(int branch) override;
    void setStepInterval(int milliseconds); // minimum time between computed steps while playing (teaching pace)
    // Applies to the branch from its next step (and to branches created later from the current settings).
    void setGuidance(int branch, const GuidanceSettings& guidance) override;
    // A new branch continuing `fromBranch` from its state before step `atStep` with other guidance. Events:
    // BranchCreated (with the new id), then its frames while playing.
    void branch(int fromBranch, int atStep, const GuidanceSettings& guidance, bool play) override;
    // From the next step of every branch on; null: no discriminator (guidance then has no effect). With savePath the
    // discriminator is first written there as a TorchScript file (the contract of docs/ARCHITECTURE.md §2), so that
    // exports can name a file that reproduces it; DiscriminatorAdopted then carries the path. A failed save adopts
    // nothing (Failed).
    void adoptDiscriminator(DiscriminatorPtr discriminator, const std::string& savePath = {});
    // Final samples of the current run's first `count` seeds at each weight (w2 = w). Event: SweepFinished.
    void sweep(const std::vector<double>& weights, int64_t count);

    void startTraining(const TrainingJob& job); // with the loaded denoiser; one job at a time
    void cancelTraining();
    bool trainingRunning() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace dg
