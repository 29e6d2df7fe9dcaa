#include "dg/Error.h"
#include "dg/Training.h"
#include "data/FashionMnist.h"
#include "models/Checkpoint.h"
#include "runtime/TorchDevice.h"
#include "training/ProgressMeter.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <torch/optim/adam.h>

#include <cmath>
#include <filesystem>

namespace dg {
namespace {

// Accuracy on the first n test images at σ = 0.002 (clean), in batches.
double cleanAccuracy(Encoder& encoder, ClassifierHead& head, const LabelledImages& test, int64_t n,
                     const c10::Device& device)
{
    c10::NoGradGuard noGrad;
    encoder->eval();
    head->eval();
    int64_t correct = 0;
    for (int64_t i = 0; i < n; i += 500) {
        const int64_t m = std::min<int64_t>(500, n - i);
        const auto x = test.images.slice(0, i, i + m).to(device);
        const auto pred = head(encoder(x, at::full({m}, 0.002, x.options()))).argmax(1);
        correct += pred.eq(test.labels.slice(0, i, i + m).to(device)).sum().item<int64_t>();
    }
    encoder->train();
    head->train();
    return double(correct) / n;
}

} // namespace

TrainingSummary trainClassifier(const ClassifierTrainingOptions& o, const ProgressCallback& progress,
                                const CancelToken* cancel)
{
    initRuntime();
    const auto& c = o.common;
    if (c.checkpoint.empty()) throw Error("--checkpoint: required");
    if (!(o.sigmaMin > 0 && o.sigmaMax > o.sigmaMin && std::isfinite(o.sigmaMax)))
        throw Error("--sigma-min/--sigma-max: need 0 < sigma-min < sigma-max < inf");
    const auto device = toTorchDevice(c.device);
    const auto train = loadFashionMnist("train");
    const auto test = loadFashionMnist("test");
    const auto images = train.images.to(device), labels = train.labels.to(device);

    CheckpointMeta meta;
    meta.kind = "classifier";
    meta.dataset = "fmnist";
    meta.net.arch = "encoder";
    meta.net.channels = o.channels;
    meta.batchSize = c.batchSize;
    meta.lr = c.lr;
    meta.seed = c.seed;
    const bool resuming = c.resume && std::filesystem::exists(c.checkpoint);
    if (resuming) {
        meta = readCheckpointMeta(c.checkpoint);
        if (meta.kind != "classifier")
            throw Error("--checkpoint: '" + c.checkpoint + "' holds a " + meta.kind + " model; pass --no-resume");
    }
    Encoder encoder(meta.net);
    ClassifierHead head(encoder->featureChannels(), 10);
    encoder->to(device);
    head->to(device);
    std::vector<at::Tensor> params = encoder->parameters();
    for (const auto& p : head->parameters()) params.push_back(p);
    torch::optim::Adam optimizer(params, torch::optim::AdamOptions(c.lr));
    if (resuming) loadCheckpoint(c.checkpoint, {{"encoder", encoder.ptr().get()}, {"classifier", head.ptr().get()}}, &optimizer);

    const int64_t start = meta.iterations;
    ProgressMeter meter(progress, start, c.iterations);
    const double baseSeconds = meta.seconds;
    auto save = [&](int64_t it, bool measure) {
        meta.iterations = it;
        meta.loss = meter.lastLoss();
        if (measure) meta.accuracy = cleanAccuracy(encoder, head, test, 10000, device);
        meta.seconds = baseSeconds + meter.elapsed();
        saveCheckpoint(c.checkpoint, meta, {{"encoder", encoder.ptr().get()}, {"classifier", head.ptr().get()}},
                       &optimizer);
    };
    int64_t it = start;
    try {
        for (; it < c.iterations; ++it) {
            if (cancel) cancel->throwIfCancelled();
            auto gen = at::make_generator<at::CPUGeneratorImpl>(c.seed * 7919ull + static_cast<uint64_t>(it));
            const auto idx = at::randint(images.size(0), {c.batchSize}, gen, at::TensorOptions().dtype(at::kLong)).to(device);
            const auto x = images.index_select(0, idx);
            // Noise-aware: ln σ uniform on [ln σ_min, ln σ_max] (default the discriminator's [0.001, 150]).
            const auto sigma = (at::rand({c.batchSize}, gen, at::TensorOptions().dtype(at::kFloat)) *
                                    (std::log(o.sigmaMax) - std::log(o.sigmaMin)) + std::log(o.sigmaMin))
                                   .exp()
                                   .to(device);
            const auto noise = at::randn(x.sizes(), gen, at::TensorOptions().dtype(at::kFloat)).to(device);
            const auto logits = head(encoder(x + noise * sigma.reshape({-1, 1, 1, 1}), sigma));
            const auto loss = at::cross_entropy_loss(logits, labels.index_select(0, idx));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            meter.addLoss(loss.item<double>());
            const bool checkpoint = (it + 1) % c.checkpointEvery == 0 && it + 1 < c.iterations;
            if (checkpoint) save(it + 1, true);
            meter.report(it + 1, checkpoint, checkpoint ? meta.accuracy : std::nan(""), checkpoint,
                         checkpoint ? "clean test accuracy" : "");
        }
    } catch (const Cancelled&) {
        if (it > start) save(it, false);
        throw;
    }
    save(c.iterations, true);
    meter.report(c.iterations, true, meta.accuracy, true, "clean test accuracy");
    return {meta.iterations, meta.loss, meta.accuracy, meta.seconds,
            parameterCount(*encoder) + parameterCount(*head), c.checkpoint};
}

} // namespace dg
