#include "dg/Evaluation.h"

#include "dg/Error.h"
#include "dg/Toys.h"
#include "data/FashionMnist.h"
#include "diffusion/HostConversion.h"
#include "metrics/Metrics.h"
#include "models/Checkpoint.h"
#include "models/JudgeNet.h"
#include "models/ToyModels.h"
#include "runtime/TorchDevice.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>

namespace dg {
namespace {

constexpr int64_t kFeatureBatch = 500;

// Pooled features of the noise-aware classifier at σ = 0.002 (clean).
at::Tensor classifierFeatures(const std::string& path, const at::Tensor& real, const at::Tensor& fake,
                              const c10::Device& device, at::Tensor& realOut)
{
    const auto meta = readCheckpointMeta(path);
    if (meta.kind != "classifier")
        throw Error("--classifier: '" + path + "' holds a " + meta.kind + " model, not a classifier");
    Encoder encoder(meta.net);
    ClassifierHead head(encoder->featureChannels(), 10);
    loadCheckpoint(path, {{"encoder", encoder.ptr().get()}, {"classifier", head.ptr().get()}});
    encoder->to(device);
    head->to(device);
    encoder->eval();
    head->eval();
    auto run = [&](const at::Tensor& images) {
        c10::NoGradGuard noGrad;
        std::vector<at::Tensor> parts;
        for (int64_t i = 0; i < images.size(0); i += kFeatureBatch) {
            const auto x = images.slice(0, i, i + kFeatureBatch).to(device);
            parts.push_back(head->pooled(encoder(x, at::full({x.size(0)}, 0.002, x.options()))).cpu());
        }
        return at::cat(parts);
    };
    realOut = run(real);
    return run(fake);
}

at::Tensor judgeFeatures(JudgeNet& judge, const at::Tensor& images, const c10::Device& device)
{
    c10::NoGradGuard noGrad;
    std::vector<at::Tensor> parts;
    for (int64_t i = 0; i < images.size(0); i += kFeatureBatch)
        parts.push_back(judge->features(images.slice(0, i, i + kFeatureBatch).to(device)).cpu());
    return at::cat(parts);
}

} // namespace

HostTensor quantize8(const HostTensor& samples)
{
    HostTensor out = samples;
    for (float& v : out.values) {
        // NaN stays NaN (callers reject it); ±inf clip to the grid's ends.
        if (std::isnan(v)) continue;
        const double level = std::clamp(std::floor(127.5 * static_cast<double>(v) + 128.0), 0.0, 255.0);
        v = static_cast<float>(level) / 127.5f - 1.0f;
    }
    return out;
}

ImageMetrics evaluateFashionMnist(const HostTensor& samples, const std::string& judgePath,
                                  const std::string& classifierPath, Device d)
{
    if (samples.shape != std::vector<int64_t>{samples.batch(), 1, 28, 28})
        throw Error("--samples: expected Fashion-MNIST images [N, 1, 28, 28], got " + shapeToString(samples.shape));
    if (samples.batch() < 10) throw Error("--samples: at least 10 samples are needed for FD");
    for (float v : samples.values)
        if (std::isnan(v)) throw Error("--samples: the samples contain NaN");
    initRuntime();
    const auto device = toTorchDevice(d);
    const auto meta = readCheckpointMeta(judgePath);
    if (meta.kind != "judge")
        throw Error("--judge: '" + judgePath + "' holds a " + meta.kind + " model, not a judge (dg train-judge)");
    JudgeNet judge(meta.net.channels);
    loadCheckpoint(judgePath, {{"judge", judge.ptr().get()}});
    judge->to(device);
    judge->eval();

    const auto test = loadFashionMnist("test");
    const auto fakeImages = fromHost(quantize8(samples));
    const auto real = judgeFeatures(judge, test.images, device);
    const auto fake = judgeFeatures(judge, fakeImages, device);
    ImageMetrics m;
    m.fd = frechetDistance(real, fake);
    // Equal numbers on both sides: the first n samples against a fixed random subset of the test images.
    const int64_t n = std::min(fake.size(0), real.size(0));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(20230);
    const auto pick = at::randperm(real.size(0), gen, at::kLong).slice(0, 0, n);
    std::tie(m.precision, m.recall) = precisionRecall(real.index_select(0, pick), fake.slice(0, 0, n), 3);
    m.prSamples = n;
    m.samples = samples.batch();
    m.references = test.images.size(0);
    if (!classifierPath.empty()) {
        at::Tensor realC;
        const auto fakeC = classifierFeatures(classifierPath, test.images, fakeImages, device, realC);
        m.fdClassifier = frechetDistance(realC, fakeC);
    }
    return m;
}

ToyMetrics evaluateToy(const std::string& name, const HostTensor& samples)
{
    const auto* toy = findToy(name);
    if (!toy) throw Error("unknown toy '" + name + "'");
    if (!samples.isPoints2d()) throw Error("--samples: expected 2-D points [N, 2], got " + shapeToString(samples.shape));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(20231);
    const auto reference = toy->data.sample(20000, gen);
    ToyMetrics m;
    m.slicedWasserstein = slicedWasserstein(fromHost(samples), reference, 256, 7);
    m.nll = toyDataNll(name, samples);
    return m;
}

} // namespace dg
