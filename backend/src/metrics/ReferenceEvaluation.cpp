#include "dg/Evaluation.h"

#include "dg/Error.h"
#include "diffusion/HostConversion.h"
#include "metrics/Metrics.h"
#include "runtime/TorchDevice.h"

#include <c10/core/GradMode.h>
#include <torch/script.h>

#include <algorithm>
#include <cmath>

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

} // namespace

ImageMetrics evaluateAgainstReference(const HostTensor& samples, const HostTensor& reference,
                                      const std::string& featuresPath, Device device, const CancelToken* cancel)
{
    checkImages(samples, "--samples");
    checkImages(reference, "--reference");
    if (std::vector<int64_t>(samples.shape.begin() + 1, samples.shape.end()) !=
        std::vector<int64_t>(reference.shape.begin() + 1, reference.shape.end()))
        throw Error("--reference: images of shape " + shapeToString(reference.shape) + " do not match the samples' " +
                    shapeToString(samples.shape));
    const c10::Device dev = toTorchDevice(device);
    torch::jit::Module net;
    try {
        net = torch::jit::load(featuresPath, dev);
    } catch (const std::exception&) {
        throw Error("--judge '" + featuresPath + "': not a TorchScript feature network (torch.jit.save)");
    }
    net.eval();
    c10::NoGradGuard noGrad;
    auto features = [&](const HostTensor& images) {
        const at::Tensor all = fromHost(quantize8(images)); // the paper's protocol: 8-bit images first
        std::vector<at::Tensor> parts;
        for (int64_t i = 0; i < all.size(0); i += kBatch) {
            if (cancel) cancel->throwIfCancelled();
            at::Tensor f;
            try {
                f = net.forward({all.slice(0, i, std::min(i + kBatch, all.size(0))).to(dev)}).toTensor();
            } catch (const std::exception& e) {
                throw Error("--judge '" + featuresPath + "': fails on images " + shapeToString(images.shape) + ": " +
                            errorMessage(e));
            }
            if (f.dim() != 2 || f.size(0) != std::min(kBatch, all.size(0) - i))
                throw Error("--judge '" + featuresPath + "': must return features [N, F], returned " +
                            shapeToString(f.sizes().vec()));
            parts.push_back(f.to(at::kDouble).cpu());
        }
        return at::cat(parts);
    };
    const at::Tensor real = features(reference), fake = features(samples);
    ImageMetrics out;
    out.fd = frechetDistance(real, fake);
    const int64_t n = std::min<int64_t>({real.size(0), fake.size(0), 10000});
    std::tie(out.precision, out.recall) = precisionRecall(real.slice(0, 0, n), fake.slice(0, 0, n), 3);
    out.prSamples = n;
    const auto kid = kernelInceptionDistance(real, fake);
    out.kid = kid.value;
    out.kidStandardError = kid.standardError;
    out.samples = samples.batch();
    out.references = reference.batch();
    return out;
}

} // namespace dg
