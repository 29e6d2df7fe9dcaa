#include "dg/Evaluation.h"

#include "dg/Error.h"
#include "dg/Toys.h"
#include "data/FashionMnist.h"
#include "diffusion/HostConversion.h"
#include "metrics/Metrics.h"
#include "models/Checkpoint.h"
#include "models/ToyModels.h"
#include "runtime/TorchDevice.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>

namespace dg {
namespace {

at::Tensor features(Encoder& encoder, ClassifierHead& head, const at::Tensor& images, const c10::Device& device)
{
    c10::NoGradGuard noGrad;
    std::vector<at::Tensor> parts;
    for (int64_t i = 0; i < images.size(0); i += 500) {
        const auto x = images.slice(0, i, i + 500).to(device);
        parts.push_back(head->pooled(encoder(x, at::full({x.size(0)}, 0.002, x.options()))).cpu());
    }
    return at::cat(parts);
}

} // namespace

ImageMetrics evaluateFashionMnist(const HostTensor& samples, const std::string& classifierPath, Device d)
{
    if (samples.shape != std::vector<int64_t>{samples.batch(), 1, 28, 28})
        throw Error("--samples: expected Fashion-MNIST images [N, 1, 28, 28], got " + shapeToString(samples.shape));
    if (samples.batch() < 10) throw Error("--samples: at least 10 samples are needed for FD-FMNIST");
    initRuntime();
    const auto device = toTorchDevice(d);
    const auto meta = readCheckpointMeta(classifierPath);
    if (meta.kind != "classifier")
        throw Error("--classifier: '" + classifierPath + "' holds a " + meta.kind + " model, not a classifier");
    Encoder encoder(meta.net);
    ClassifierHead head(encoder->featureChannels(), 10);
    loadCheckpoint(classifierPath, {{"encoder", encoder.ptr().get()}, {"classifier", head.ptr().get()}});
    encoder->to(device);
    head->to(device);
    encoder->eval();
    head->eval();
    const auto test = loadFashionMnist("test");
    const auto real = features(encoder, head, test.images, device);
    const auto fake = features(encoder, head, fromHost(samples), device);
    ImageMetrics m;
    m.fd = frechetDistance(real, fake);
    std::tie(m.precision, m.recall) = precisionRecall(real, fake, 3);
    m.samples = samples.batch();
    m.references = test.images.size(0);
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
