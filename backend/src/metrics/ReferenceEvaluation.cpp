#include "dg/Evaluation.h"

#include "core/HostConversion.h"
#include "core/TorchDevice.h"
#include "dg/Error.h"
#include "metrics/MetricInputs.h"
#include "metrics/Metrics.h"
#include "models/Checkpoint.h"
#include "models/JudgeNet.h"

#include <c10/core/GradMode.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <optional>

namespace dg {
namespace {

constexpr int64_t kBatch = 250;

void checkImages(const HostTensor& t, const char* what)
{
    if (!t.isImages()) throw Error(std::string(what) + ": expected images [N, C, H, W], got " + shapeToString(t.shape));
    if (t.batch() < 10) throw Error(std::string(what) + ": at least 10 images are needed for FD");
    for (float v : t.values)
        if (std::isnan(v)) throw Error(std::string(what) + ": the images contain NaN");
}

// Images are in [−1, 1] (x / 127.5 − 1). A reference set in [0, 1] or [0, 255] would be clamped and quantized into
// something else and scored without a word; such a set is refused, naming the range it holds.
void checkReferenceRange(const HostTensor& t)
{
    const auto [lo, hi] = std::minmax_element(t.values.begin(), t.values.end());
    const bool outside = *lo < -1.02f || *hi > 1.02f;
    const bool nonNegative = *lo >= 0.0f; // real images in [−1, 1] have dark pixels below 0
    if (!outside && !nonNegative) return;
    const std::string fix = nonNegative && *hi <= 1.02f ? "from [0, 1]: 2x - 1" : "from 8 bits: x / 127.5 - 1";
    throw Error("‹reference›: its images hold values in [" + std::to_string(*lo) + ", " + std::to_string(*hi) +
                "]; images are expected in [-1, 1] (" + fix + ")");
}

// The judge's features of a batch: a TorchScript network's forward(x), or the features of a judge trained by
// dg train-judge (the shipped resources/models/fmnist-judge.pt is one).
std::function<at::Tensor(const at::Tensor&)> loadFeatureNetwork(const std::string& path, c10::Device dev)
{
    std::optional<CheckpointMeta> meta;
    try {
        meta = readCheckpointMeta(path);
    } catch (const std::exception&) {
        // not a dg checkpoint: a TorchScript network, below
    }
    if (meta) {
        if (meta->kind != "judge")
            throw Error("‹judge› '" + path + "': holds a dg " + meta->kind +
                        " model, not a feature network (a TorchScript network, or a judge of dg train-judge)");
        auto judge = std::make_shared<JudgeNet>(meta->net.channels);
        loadCheckpoint(path, {{"judge", judge->ptr().get()}});
        (*judge)->to(dev);
        (*judge)->eval();
        return [judge](const at::Tensor& x) { return (*judge)->features(x); };
    }
    auto net = std::make_shared<torch::jit::Module>();
    try {
        *net = torch::jit::load(path, dev);
    } catch (const std::exception&) {
        throw Error("‹judge› '" + path + "': not a TorchScript feature network (torch.jit.save)");
    }
    if (!net->find_method("forward"))
        throw Error("‹judge› '" + path +
                    "': a TorchScript file without a forward method (forward(x) must return "
                    "features [N, F])");
    net->eval();
    return [net](const at::Tensor& x) { return net->forward({x}).toTensor(); };
}

} // namespace

ImageMetrics evaluateAgainstReference(const HostTensor& samples, const HostTensor& reference,
                                      const std::string& featuresPath, Device device, const CancelToken* cancel)
{
    checkImages(samples, "‹samples›");
    checkImages(reference, "‹reference›");
    if (std::vector<int64_t>(samples.shape.begin() + 1, samples.shape.end()) !=
        std::vector<int64_t>(reference.shape.begin() + 1, reference.shape.end()))
        throw Error("‹reference›: images of shape " + shapeToString(reference.shape) + " do not match the samples' " +
                    shapeToString(samples.shape));
    checkReferenceRange(reference);
    const c10::Device dev = toTorchDevice(device);
    const auto net = loadFeatureNetwork(featuresPath, dev);
    c10::NoGradGuard noGrad;
    auto features = [&](const HostTensor& images) {
        const at::Tensor all = fromHost(quantize8(images)); // the paper's protocol: 8-bit images first
        std::vector<at::Tensor> parts;
        for (int64_t i = 0; i < all.size(0); i += kBatch) {
            if (cancel) cancel->throwIfCancelled();
            at::Tensor f;
            try {
                f = net(all.slice(0, i, std::min(i + kBatch, all.size(0))).to(dev));
            } catch (const std::exception& e) {
                throw Error("‹judge› '" + featuresPath + "': fails on images " + shapeToString(images.shape) + ": " +
                            errorMessage(e));
            }
            if (f.dim() != 2 || f.size(0) != std::min(kBatch, all.size(0) - i))
                throw Error("‹judge› '" + featuresPath + "': must return features [N, F], returned " +
                            shapeToString(f.sizes().vec()));
            parts.push_back(f.to(at::kDouble).cpu());
        }
        return at::cat(parts);
    };
    const at::Tensor real = features(reference);
    checkFeatures(real, "‹judge› '" + featuresPath + "' on the reference images", true);
    const at::Tensor fake = features(samples);
    checkFeatures(fake, "‹judge› '" + featuresPath + "' on the samples", false);
    MetricInputs in;
    in.space = kReferenceSpace;
    in.real = real;
    in.fake = fake;
    in.cancel = cancel;
    ImageMetrics out = imageMetrics(measure(in, 0), samples.batch(), reference.batch());
    return out;
}

} // namespace dg
