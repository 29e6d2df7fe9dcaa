#pragma once

#include "dg/CancelToken.h"
#include "dg/Device.h"
#include "dg/Models.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace dg {

class DistributedJob;

// Reported on the training thread, at most every few iterations and at every checkpoint.
struct TrainingProgress
{
    int64_t iteration = 0;
    int64_t total = 0;
    double loss = std::nan("");     // running mean since the last report
    double accuracy = std::nan(""); // held-out accuracy when measured (classifier, discriminator), else NaN
    double itPerSecond = 0.0;
    double etaSeconds = 0.0;
    bool checkpointed = false; // a checkpoint was written at this iteration
    std::string note;          // e.g. "epoch 3" or "held-out"
};
using ProgressCallback = std::function<void(const TrainingProgress&)>;

struct TrainingSummary
{
    int64_t iterations = 0;
    double loss = std::nan("");
    double accuracy = std::nan("");
    double seconds = 0.0;
    int64_t parameters = 0;
    std::string checkpoint;
    bool unchanged = false; // the checkpoint already held the asked-for training: nothing was trained or written
};

struct TrainingCommon
{
    std::string checkpoint; // where to write (atomically); resumed from when it exists and resume is set
    bool resume = true;
    int64_t iterations = 1000;
    int64_t batchSize = 64;
    double lr = 1e-3;
    int64_t checkpointEvery = 500;
    uint64_t seed = 0;
    Device device = Device::Auto;
    // Data parallel over a job of cooperating processes (score and discriminator training): every rank draws the same
    // global batch and takes its rows of it, gradients are summed over the ranks every step, so N processes train as
    // one with the same global batch. Rank 0 alone writes checkpoints. Null: this process alone.
    std::shared_ptr<DistributedJob> job;
};

// Each trainer's defaults live in its options (the command line's help and the front ends read them there).
inline TrainingCommon trainingDefaults(int64_t iterations, int64_t batchSize, double lr)
{
    TrainingCommon c;
    c.iterations = iterations;
    c.batchSize = batchSize;
    c.lr = lr;
    return c;
}

// EDM score network (Karras et al. 2022): log-normal σ (P_mean, P_std), λ(σ)-weighted L2, Adam, EMA weights.
struct ScoreTrainingOptions
{
    TrainingCommon common = trainingDefaults(6000, 64, 1e-3);
    std::string dataset = "fmnist"; // fmnist | toy:NAME
    // U-Net base width (images) or hidden width (toy MLP); 0: 32 for images, 128 for toys. A resumed run keeps its
    // checkpoint's network and refuses another width given here.
    int64_t channels = 0;
    bool classConditional = false;
    double emaDecay = 0.999;
    double pMean = -1.2;
    double pStd = 1.2;
    // From this iteration to the last the learning rate follows a half cosine from lr down to 0 (SGDR-style annealing,
    // Loshchilov & Hutter 2017); 0: constant after the warm-up. Resuming with another value changes only the future.
    int64_t lrDecayFrom = 0;
};
TrainingSummary trainScoreModel(const ScoreTrainingOptions& options, const ProgressCallback& progress,
                                const CancelToken* cancel);

// A score checkpoint holds two weight sets: the last iterate ("raw") and its EMA, which sampling uses. After a
// learning-rate decay to 0 the raw weights can be the better sampler, as the EMA still averages iterates of the
// high-rate phase. Writes `out` (atomically) as a copy of the score checkpoint `in` whose sampling weights are its raw
// ones; the meta's EMA decay becomes 0 and the training state is kept, so `out` resumes like `in`.
void writeRawWeightsCheckpoint(const std::string& in, const std::string& out);

// Noise-aware Fashion-MNIST classifier: the discriminator's frozen feature extractor and FD-FMNIST's feature map.
struct ClassifierTrainingOptions
{
    TrainingCommon common = trainingDefaults(2000, 128, 1e-3);
    int64_t channels = 0; // 0: 32; a resumed run keeps its checkpoint's (and refuses another)
    // ln σ uniform on [ln sigmaMin, ln sigmaMax]: by default the range the discriminator is trained on, so that the
    // frozen encoder has seen every σ the discriminator (and guidance) asks it about.
    double sigmaMin = 0.001;
    double sigmaMax = 150.0;
};
TrainingSummary trainClassifier(const ClassifierTrainingOptions& options, const ProgressCallback& progress,
                                const CancelToken* cancel);

// The independent Fashion-MNIST judge (evaluation network, models/JudgeNet.h): a plain CNN classifier on clean
// images whose features FD, precision and recall are measured in. Used by no discriminator and no training command.
struct JudgeTrainingOptions
{
    TrainingCommon common = trainingDefaults(3000, 128, 1e-3);
    int64_t channels = 0; // 0: 32; a resumed run keeps its checkpoint's (and refuses another)
};
TrainingSummary trainJudge(const JudgeTrainingOptions& options, const ProgressCallback& progress,
                           const CancelToken* cancel);

// A discriminator as in Kim et al. 2023: real vs generated at noise level σ (x + σ·ε, ln σ uniform on
// [ln 0.001, ln 150]), BCE with logits, Adam; on images a small head on the frozen classifier encoder, on toys an MLP.
// The σ law is the official code's: its importance-sampled VP time (t ∈ [1e-5, 1], β ∈ [0.1, 20]) is ln σ uniform on
// [ln 0.0010, ln 152.2] (checked against alsdudrla10/DG's vpsde.get_diffusion_time, docs/MODELS.md); the top end is
// the classifier encoder's 150. One checkpoint per epoch; held-out accuracy and ECE per σ decade per epoch.
struct DiscriminatorTrainingOptions
{
    TrainingCommon common = trainingDefaults(0, 128, 3e-4); // common.iterations is unused: see epochs
    std::string dataset = "fmnist";                         // fmnist | toy:NAME
    std::string fakes;                                      // tensor file of generated samples [N, ...] (dg gen-fakes)
    std::string features; // classifier checkpoint whose frozen encoder feeds the head (images only)
    // Class-conditional discriminator d(x, σ, y) (Kim et al. 2023 on ImageNet): real images carry their labels, fakes
    // the labels they were generated with (fakeLabels; default fakeLabelsPath(fakes)). Images only.
    bool classConditional = false;
    std::string fakeLabels;
    int64_t epochs = 10;
    int64_t hidden = 0; // toy MLP width; 0: 128, or the checkpoint's when resuming (another is refused)
    double heldOutFraction = 0.1;
    double sigmaMin = 0.001;
    double sigmaMax = 150.0;
    // Every snapshotEvery iterations (0: never) a frozen copy of the discriminator is handed to onSnapshot, on the
    // training thread; a running sampler can adopt it with Trajectory::setDiscriminator.
    int64_t snapshotEvery = 0;
    std::function<void(DiscriminatorPtr snapshot, int64_t iteration)> onSnapshot;
};
TrainingSummary trainDiscriminator(const DiscriminatorTrainingOptions& options, const ProgressCallback& progress,
                                   const CancelToken* cancel);
// Where dg gen-fakes writes the class labels of fakes drawn from a class-conditional model: FAKES.labels.pt.
std::string fakeLabelsPath(const std::string& fakesPath);

} // namespace dg
