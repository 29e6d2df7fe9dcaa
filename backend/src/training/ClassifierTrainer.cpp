#include "core/TorchDevice.h"
#include "data/FashionMnist.h"
#include "dg/Error.h"
#include "dg/SafeFile.h"
#include "dg/Training.h"
#include "models/Checkpoint.h"
#include "training/LabelledTraining.h"

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
    if (c.checkpoint.empty()) throw Error("‹checkpoint›: required");
    if (!(o.sigmaMin > 0 && o.sigmaMax > o.sigmaMin && std::isfinite(o.sigmaMax)))
        throw Error("‹sigma-min›/‹sigma-max›: need 0 < sigma-min < sigma-max < inf");
    const auto device = toTorchDevice(c.device);
    const WriteLock lock(c.checkpoint, "‹checkpoint›");
    const auto train = loadFashionMnist("train");
    const auto test = loadFashionMnist("test");
    const auto images = train.images.to(device), labels = train.labels.to(device);

    bool resuming = false;
    CheckpointMeta meta = labelledMeta(c, "classifier", "encoder", o.channels, &resuming);
    Encoder encoder(meta.net);
    ClassifierHead head(encoder->featureChannels(), 10);
    encoder->to(device);
    head->to(device);
    std::vector<at::Tensor> params = encoder->parameters();
    for (const auto& p : head->parameters())
        params.push_back(p);
    torch::optim::Adam optimizer(params, torch::optim::AdamOptions(c.lr));
    if (resuming)
        loadCheckpoint(c.checkpoint, {{"encoder", encoder.ptr().get()}, {"classifier", head.ptr().get()}}, &optimizer);

    const int64_t n = c.batchSize;
    LabelledTraining t{c,
                       meta,
                       {{"encoder", encoder.ptr().get()}, {"classifier", head.ptr().get()}},
                       optimizer,
                       7919,
                       [&](int64_t, at::Generator& gen) {
                           const auto idx =
                               at::randint(images.size(0), {n}, gen, at::TensorOptions().dtype(at::kLong)).to(device);
                           const auto x = images.index_select(0, idx);
                           // Noise-aware: ln σ uniform on [ln σ_min, ln σ_max] (default the discriminator's [0.001,
                           // 150]).
                           const auto sigma = (at::rand({n}, gen, at::TensorOptions().dtype(at::kFloat)) *
                                                   (std::log(o.sigmaMax) - std::log(o.sigmaMin)) +
                                               std::log(o.sigmaMin))
                                                  .exp()
                                                  .to(device);
                           const auto noise =
                               at::randn(x.sizes(), gen, at::TensorOptions().dtype(at::kFloat)).to(device);
                           const auto logits = head(encoder(x + noise * sigma.reshape({-1, 1, 1, 1}), sigma));
                           return at::cross_entropy_loss(logits, labels.index_select(0, idx));
                       },
                       [&] { return cleanAccuracy(encoder, head, test, 10000, device); },
                       "clean test accuracy"};
    return runLabelledTraining(t, progress, cancel);
}

} // namespace dg
