#include "core/TorchDevice.h"
#include "data/FashionMnist.h"
#include "dg/Error.h"
#include "dg/SafeFile.h"
#include "dg/Training.h"
#include "models/Checkpoint.h"
#include "models/JudgeNet.h"
#include "training/LabelledTraining.h"

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
    if (c.checkpoint.empty()) throw Error("‹checkpoint›: required");
    const auto device = toTorchDevice(c.device);
    const WriteLock lock(c.checkpoint, "‹checkpoint›");
    const auto train = loadFashionMnist("train");
    const auto test = loadFashionMnist("test");
    const auto images = train.images.to(device), labels = train.labels.to(device);

    bool resuming = false;
    CheckpointMeta meta = labelledMeta(c, "judge", "judge-cnn", o.channels, &resuming);
    torch::manual_seed(c.seed); // the initial weights
    JudgeNet net(meta.net.channels);
    net->to(device);
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(c.lr));
    if (resuming) loadCheckpoint(c.checkpoint, {{"judge", net.ptr().get()}}, &optimizer);

    const int64_t n = c.batchSize;
    LabelledTraining t{
        c,
        meta,
        {{"judge", net.ptr().get()}},
        optimizer,
        104729,
        [&](int64_t it, at::Generator& gen) {
            const auto idx = at::randint(images.size(0), {n}, gen, at::TensorOptions().dtype(at::kLong)).to(device);
            auto x = images.index_select(0, idx);
            // Random horizontal flips: the only augmentation (garments, shoes and bags mirror well).
            const auto flip = (at::rand({n, 1, 1, 1}, gen, at::TensorOptions().dtype(at::kFloat)) < 0.5).to(device);
            x = at::where(flip, x.flip({3}), x);
            // Step decay: the last quarter of the iterations at a tenth of the rate.
            const double lr = it >= c.iterations * 3 / 4 ? c.lr * 0.1 : c.lr;
            for (auto& group : optimizer.param_groups())
                static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
            return at::cross_entropy_loss(net(x), labels.index_select(0, idx));
        },
        [&] { return testAccuracy(net, test, device); },
        "test accuracy"};
    return runLabelledTraining(t, progress, cancel);
}

} // namespace dg
