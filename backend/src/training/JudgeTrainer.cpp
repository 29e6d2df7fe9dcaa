#include "dg/Error.h"
#include "dg/Training.h"
#include "data/FashionMnist.h"
#include "models/Checkpoint.h"
#include "models/JudgeNet.h"
#include "runtime/TorchDevice.h"
#include "training/ProgressMeter.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <torch/optim/adam.h>

#include <filesystem>

namespace dg {
namespace {

double testAccuracy(JudgeNet& net, const LabelledImages& test, const c10::Device& device)
{
    c10::NoGradGuard noGrad;
    net->eval();
    int64_t correct = 0;
    const int64_t n = test.images.size(0);
    for (int64_t i = 0; i < n; i += 500) {
        const auto x = test.images.slice(0, i, i + 500).to(device);
        correct += net(x).argmax(1).eq(test.labels.slice(0, i, i + 500).to(device)).sum().item<int64_t>();
    }
    net->train();
    return double(correct) / n;
}

} // namespace

TrainingSummary trainJudge(const JudgeTrainingOptions& o, const ProgressCallback& progress, const CancelToken* cancel)
{
    initRuntime();
    const auto& c = o.common;
    if (c.checkpoint.empty()) throw Error("--checkpoint: required");
    const auto device = toTorchDevice(c.device);
    const auto train = loadFashionMnist("train");
    const auto test = loadFashionMnist("test");
    const auto images = train.images.to(device), labels = train.labels.to(device);

    CheckpointMeta meta;
    meta.kind = "judge";
    meta.dataset = "fmnist";
    meta.net.arch = "judge-cnn";
    meta.net.channels = o.channels;
    meta.batchSize = c.batchSize;
    meta.lr = c.lr;
    meta.seed = c.seed;
    const bool resuming = c.resume && std::filesystem::exists(c.checkpoint);
    if (resuming) {
        meta = readCheckpointMeta(c.checkpoint);
        if (meta.kind != "judge")
            throw Error("--checkpoint: '" + c.checkpoint + "' holds a " + meta.kind + " model; pass --no-resume");
    }
    torch::manual_seed(c.seed); // the initial weights
    JudgeNet net(meta.net.channels);
    net->to(device);
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(c.lr));
    if (resuming) loadCheckpoint(c.checkpoint, {{"judge", net.ptr().get()}}, &optimizer);

    const int64_t start = meta.iterations;
    ProgressMeter meter(progress, start, c.iterations);
    const double baseSeconds = meta.seconds;
    auto save = [&](int64_t it, bool measure) {
        meta.iterations = it;
        meta.loss = meter.lastLoss();
        if (measure) meta.accuracy = testAccuracy(net, test, device);
        meta.seconds = baseSeconds + meter.elapsed();
        saveCheckpoint(c.checkpoint, meta, {{"judge", net.ptr().get()}}, &optimizer);
    };
    int64_t it = start;
    try {
        for (; it < c.iterations; ++it) {
            if (cancel) cancel->throwIfCancelled();
            auto gen = at::make_generator<at::CPUGeneratorImpl>(c.seed * 104729ull + static_cast<uint64_t>(it));
            const auto idx =
                at::randint(images.size(0), {c.batchSize}, gen, at::TensorOptions().dtype(at::kLong)).to(device);
            auto x = images.index_select(0, idx);
            // Random horizontal flips: the only augmentation (garments, shoes and bags are mirror-symmetric classes).
            const auto flip = (at::rand({c.batchSize, 1, 1, 1}, gen, at::TensorOptions().dtype(at::kFloat)) < 0.5).to(device);
            x = at::where(flip, x.flip({3}), x);
            // Step decay: the last quarter of the iterations at a tenth of the rate.
            const double lr = it >= c.iterations * 3 / 4 ? c.lr * 0.1 : c.lr;
            for (auto& group : optimizer.param_groups())
                static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
            const auto loss = at::cross_entropy_loss(net(x), labels.index_select(0, idx));
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            meter.addLoss(loss.item<double>());
            const bool checkpoint = (it + 1) % c.checkpointEvery == 0 && it + 1 < c.iterations;
            if (checkpoint) save(it + 1, true);
            meter.report(it + 1, checkpoint, checkpoint ? meta.accuracy : std::nan(""), checkpoint,
                         checkpoint ? "test accuracy" : "");
        }
    } catch (const Cancelled&) {
        if (it > start) save(it, false);
        throw;
    }
    save(c.iterations, true);
    meter.report(c.iterations, true, meta.accuracy, true, "test accuracy");
    return {meta.iterations, meta.loss, meta.accuracy, meta.seconds, parameterCount(*net), c.checkpoint};
}

} // namespace dg
