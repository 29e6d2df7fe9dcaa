#include "dg/Error.h"
#include "dg/Sampling.h"
#include "dg/TensorFile.h"
#include "dg/Trajectory.h"

#include <algorithm>

namespace dg {

LoadedRequest loadRequest(const SampleRequest& request)
{
    initRuntime();
    LoadedRequest r;
    r.device = resolveDevice(request.device);
    if (!request.noiseFile.empty()) r.noise = loadTensorFile(request.noiseFile);
    const auto probeShape = r.noise ? std::optional(r.noise->sampleShape()) : std::nullopt;
    try {
        r.denoiser = loadDenoiser(request.denoiser, r.device, probeShape);
    } catch (const ShapeError& e) {
        // The shape the model was asked for came from the noise file: name it too.
        if (!probeShape) throw;
        throw ShapeError(std::string(e.what()) + " (the sample shape of --noise '" + request.noiseFile + "')");
    }
    r.sampleShape = probeShape ? *probeShape : modelInfo(*r.denoiser).sampleShape.value_or(std::vector<int64_t>{});
    if (!request.discriminator.empty())
        r.discriminator = loadDiscriminator(request.discriminator, r.device, r.sampleShape);
    return r;
}

std::pair<LoadedRequest, SampleRequest> requestPart(const LoadedRequest& loaded, const SampleRequest& request,
                                                    int64_t first, int64_t n)
{
    LoadedRequest l = loaded;
    SampleRequest r = request;
    r.settings.count = n;
    r.settings.firstSample = request.settings.firstSample + first;
    if (loaded.noise) l.noise = loaded.noise->slice(first, n);
    return {l, r};
}

int64_t sampleCount(const LoadedRequest& loaded, const SampleRequest& request)
{
    return loaded.noise ? loaded.noise->batch() : request.settings.count;
}

HostTensor sampleInBatches(const SampleRequest& request, int64_t batchSize,
                           const std::function<void(int64_t, int64_t)>& progress, const CancelToken* cancel)
{
    if (batchSize < 1) throw Error("--batch: must be at least 1");
    return sampleInBatches(loadRequest(request), request, batchSize, progress, cancel);
}

HostTensor collectBatches(const LoadedRequest& loaded, const SampleRequest& request, int64_t batchSize,
                          const std::function<HostTensor(int64_t first, int64_t n)>& batch,
                          const std::function<void(int64_t, int64_t)>& progress)
{
    if (batchSize < 1) throw Error("--batch: must be at least 1");
    const auto& shape = loaded.sampleShape;
    const int64_t total = sampleCount(loaded, request);
    HostTensor out;
    out.shape = {total};
    out.shape.insert(out.shape.end(), shape.begin(), shape.end());
    out.values.reserve(static_cast<size_t>(out.numel()));
    for (int64_t first = 0; first < total; first += batchSize) {
        const int64_t n = std::min(batchSize, total - first);
        const HostTensor x = batch(first, n);
        out.values.insert(out.values.end(), x.values.begin(), x.values.end());
        if (progress) progress(first + n, total);
    }
    return out;
}

HostTensor sampleInBatches(const LoadedRequest& loaded, const SampleRequest& request, int64_t batchSize,
                           const std::function<void(int64_t, int64_t)>& progress, const CancelToken* cancel)
{
    return collectBatches(loaded, request, batchSize, [&](int64_t first, int64_t n) {
        RunSettings s = request.settings;
        s.count = n;
        s.firstSample = request.settings.firstSample + first;
        std::optional<HostTensor> part;
        if (loaded.noise) part = loaded.noise->slice(first, n);
        Trajectory t(loaded.denoiser, loaded.discriminator, s, loaded.device, part ? &*part : nullptr);
        t.setRecordStates(false);
        t.runToEnd(cancel);
        return t.state();
    }, progress);
}

} // namespace dg
