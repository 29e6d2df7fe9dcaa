#include "dg/Error.h"
#include "dg/Sampling.h"
#include "dg/TensorFile.h"
#include "dg/Trajectory.h"

#include <algorithm>

namespace dg {

HostTensor sampleInBatches(const SampleRequest& request, int64_t batchSize,
                           const std::function<void(int64_t, int64_t)>& progress, const CancelToken* cancel)
{
    if (batchSize < 1) throw Error("--batch: must be at least 1");
    initRuntime();
    const Device device = resolveDevice(request.device);
    std::optional<HostTensor> noise;
    if (!request.noiseFile.empty()) noise = loadTensorFile(request.noiseFile);
    const auto probeShape = noise ? std::optional(noise->sampleShape()) : std::nullopt;
    const auto denoiser = loadDenoiser(request.denoiser, device, probeShape);
    const auto shape = probeShape ? *probeShape : modelInfo(*denoiser).sampleShape.value_or(std::vector<int64_t>{});
    DiscriminatorPtr disc;
    if (!request.discriminator.empty()) disc = loadDiscriminator(request.discriminator, device, shape);

    const int64_t total = noise ? noise->batch() : request.settings.count;
    HostTensor out;
    out.shape = {total};
    out.shape.insert(out.shape.end(), shape.begin(), shape.end());
    out.values.reserve(static_cast<size_t>(out.numel()));
    for (int64_t first = 0; first < total; first += batchSize) {
        const int64_t n = std::min(batchSize, total - first);
        RunSettings s = request.settings;
        s.count = n;
        s.firstSample = request.settings.firstSample + first;
        std::optional<HostTensor> part;
        if (noise) part = noise->slice(first, n);
        Trajectory t(denoiser, disc, s, device, part ? &*part : nullptr);
        t.runToEnd(cancel);
        const auto x = t.state();
        out.values.insert(out.values.end(), x.values.begin(), x.values.end());
        if (progress) progress(first + n, total);
    }
    return out;
}

} // namespace dg
