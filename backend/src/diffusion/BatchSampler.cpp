#include "dg/Error.h"
#include "dg/Sampling.h"
#include "dg/TensorFile.h"
#include "dg/Trajectory.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace dg {
namespace {

// Bytes the system could give without swapping (/proc/meminfo MemAvailable); 0 when unknown.
uint64_t memoryAvailable()
{
    std::ifstream in("/proc/meminfo");
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string name;
        uint64_t kib = 0;
        if (fields >> name >> kib && name == "MemAvailable:") return kib * 1024;
    }
    return 0;
}

} // namespace

int64_t defaultBatchSize(const std::vector<int64_t>& sampleShape, Device device)
{
    // Measured on the CPU (docs/PERFORMANCE.md): the Fashion-MNIST U-Net costs least per row at 8-16 rows per call
    // (2.75 ms) and 50 % more at 64-128 (cache); a GPU wants far larger calls (not measured here).
    const int64_t kValuesPerBatch = device == Device::Cuda ? 1 << 20 : 1 << 14;
    constexpr int64_t kMaxBatch = 4096;
    constexpr uint64_t kWorkingCopies = 256; // activations of a U-Net call: ~100-200 copies of its input
    int64_t values = 1;
    for (int64_t d : sampleShape)
        values *= std::max<int64_t>(d, 1);
    int64_t batch = std::clamp<int64_t>(kValuesPerBatch / values, 1, kMaxBatch);
    int64_t pow2 = 1; // a power of two: the same batches for shapes of similar size
    while (pow2 * 2 <= batch)
        pow2 *= 2;
    batch = pow2;
    if (const uint64_t available = memoryAvailable(); available > 0) {
        const uint64_t perSample = static_cast<uint64_t>(values) * sizeof(float) * kWorkingCopies;
        batch = std::max<int64_t>(1, std::min<int64_t>(batch, static_cast<int64_t>(available / 4 / perSample)));
    }
    return batch;
}

int64_t resolveBatchSize(int64_t batch, const std::vector<int64_t>& sampleShape, Device device)
{
    if (batch < 0) throw Error("‹batch›: must be at least 1 (or 0 for the default)");
    return batch == 0 ? defaultBatchSize(sampleShape, device) : batch;
}

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
        throw ShapeError(std::string(e.what()) + " (the sample shape of ‹noise› '" + request.noiseFile + "')");
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
    if (batchSize < 0) throw Error("‹batch›: must be at least 1 (or 0 for the default)");
    return sampleInBatches(loadRequest(request), request, batchSize, progress, cancel);
}

HostTensor collectBatches(const LoadedRequest& loaded, const SampleRequest& request, int64_t batchSize,
                          const std::function<HostTensor(int64_t first, int64_t n)>& batch,
                          const std::function<void(int64_t, int64_t)>& progress)
{
    const auto& shape = loaded.sampleShape;
    batchSize = resolveBatchSize(batchSize, shape, loaded.device);
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
    return collectBatches(
        loaded, request, batchSize,
        [&](int64_t first, int64_t n) {
            RunSettings s = request.settings;
            s.count = n;
            s.firstSample = request.settings.firstSample + first;
            std::optional<HostTensor> part;
            if (loaded.noise) part = loaded.noise->slice(first, n);
            Trajectory t(loaded.denoiser, loaded.discriminator, s, loaded.device, part ? &*part : nullptr);
            t.setRecordStates(false);
            t.runToEnd(cancel);
            return t.state();
        },
        progress);
}

} // namespace dg
