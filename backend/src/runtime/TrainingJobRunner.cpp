#include "runtime/TrainingJobRunner.h"

#include "dg/Device.h"
#include "dg/Error.h"
#include "dg/Progress.h"
#include "dg/Sampling.h"
#include "dg/TensorFile.h"
#include "dg/Toys.h"

#include <atomic>
#include <cmath>
#include <filesystem>
#include <unistd.h>

namespace dg {
namespace {

std::filesystem::path scratchFolder()
{
    static std::atomic<int> counter{0};
    auto folder = std::filesystem::temp_directory_path() /
                  ("dg-studio-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(folder);
    return folder;
}

} // namespace

TrainingJobRunner::TrainingJobRunner(std::function<void(const SessionEvent&)> emit) : m_emit(std::move(emit)) {}

TrainingJobRunner::~TrainingJobRunner()
{
    cancelAndJoin();
}

void TrainingJobRunner::start(const TrainingJob& job, const std::string& denoiserSpec, const std::string& dataset,
                              Device device)
{
    SessionEvent refused;
    refused.kind = SessionEvent::Kind::TrainingFailed;
    if (running()) {
        refused.message = "a training job is already running";
        m_emit(refused);
        return;
    }
    if (denoiserSpec.empty()) {
        refused.message = "no model loaded: load a denoiser before training its discriminator";
        m_emit(refused);
        return;
    }
    auto checkpoint = std::make_shared<std::string>();
    auto done = std::make_shared<SessionEvent>();
    m_jobs.start(
        [this, job, denoiserSpec, dataset, device, checkpoint, done](const JobTracker::Context& context) {
            lowerThreadPriority(); // the GUI and the live run come first on the cores (docs/PERFORMANCE.md)
            *done = run(job, denoiserSpec, dataset, device, context, *checkpoint);
        },
        [this, checkpoint, done](const JobTracker::Outcome& outcome) {
            if (!outcome.ok()) {
                done->kind = SessionEvent::Kind::TrainingFailed;
                done->message = !outcome.cancelled ? outcome.error
                                : checkpoint->empty() || !std::filesystem::exists(*checkpoint)
                                    ? std::string("cancelled")
                                    : "cancelled; the last checkpoint is kept at " + *checkpoint;
            }
            m_emit(*done);
        });
}

SessionEvent TrainingJobRunner::run(const TrainingJob& job, const std::string& denoiserSpec, const std::string& dataset,
                                    Device device, const JobTracker::Context& context, std::string& checkpoint)
{
    auto emit = [&](const SessionEvent& e) { context.report([this, e] { m_emit(e); }); };
    const bool toy = isToy(dataset);
    if (!toy && dataset != "fmnist")
        throw Error("training: the loaded denoiser '" + denoiserSpec +
                    "' declares no data set this trainer knows (fmnist or a built-in toy)");
    if (job.fakes < 16) throw Error("fakes: at least 16 samples");
    if (job.iterations < 1) throw Error("iterations: at least 1");
    if (job.batchSize < 2) throw Error("batch size: at least 2");

    // 1. Fakes: the score model alone (18 Heun steps), as dg gen-fakes.
    SampleRequest request;
    request.denoiser = denoiserSpec;
    request.device = device;
    request.settings.count = job.fakes;
    request.settings.seed = job.seed + 1000003; // not the seeds shown in the viewer
    request.settings.guidance.weight = 0.0;
    EtaEstimate eta;
    eta.update({"generating fakes", 0, job.fakes});
    const auto fakes = sampleInBatches(
        request, 0,
        [&](int64_t made, int64_t total) {
            SessionEvent e;
            e.kind = SessionEvent::Kind::TrainingProgress;
            e.message = "generating fakes";
            e.progress.iteration = made;
            e.progress.total = total;
            e.progress.etaSeconds = eta.update({e.message, made, total});
            emit(e);
        },
        &context.cancel());
    const auto folder = scratchFolder();
    checkpoint = job.checkpoint.empty() ? (folder / "disc.pt").string() : job.checkpoint;
    const std::string fakesFile = (folder / "fakes.pt").string();
    saveTensorFile(fakes, fakesFile);

    // 2. The discriminator (Kim et al. 2023), snapshots handed to the session as they appear.
    DiscriminatorTrainingOptions o;
    o.common.checkpoint = checkpoint;
    o.common.resume = false;
    o.common.batchSize = job.batchSize;
    o.common.lr = job.lr;
    o.common.seed = job.seed;
    o.common.device = device;
    o.dataset = toy ? "toy:" + dataset : "fmnist";
    o.fakes = fakesFile;
    if (!toy) o.features = modelsFolder() + "/fmnist-classifier.pt";
    const int64_t held = std::max<int64_t>(1, static_cast<int64_t>(job.fakes * o.heldOutFraction));
    const int64_t perEpoch = std::max<int64_t>(1, (job.fakes - held) / std::max<int64_t>(1, job.batchSize / 2));
    o.epochs = (job.iterations + perEpoch - 1) / perEpoch;
    o.snapshotEvery = job.snapshotEvery;
    o.onSnapshot = [&](DiscriminatorPtr snapshot, int64_t iteration) {
        SessionEvent e;
        e.kind = SessionEvent::Kind::TrainingSnapshot;
        e.snapshot = std::move(snapshot);
        e.snapshotIteration = iteration;
        emit(e);
    };
    const auto summary = trainDiscriminator(
        o,
        [&](const TrainingProgress& p) {
            SessionEvent e;
            e.kind = SessionEvent::Kind::TrainingProgress;
            e.message = "training";
            e.progress = p;
            emit(e);
        },
        &context.cancel());
    SessionEvent done;
    done.kind = SessionEvent::Kind::TrainingFinished;
    done.message = summary.checkpoint;
    done.progress.iteration = summary.iterations;
    done.progress.total = summary.iterations;
    done.progress.loss = summary.loss;
    done.progress.accuracy = summary.accuracy;
    return done;
}

} // namespace dg
