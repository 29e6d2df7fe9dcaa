#pragma once

#include "dg/CancelToken.h"
#include "dg/HostTensor.h"
#include "dg/SampleRequest.h"

#include "dg/Models.h"

#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace dg {

// A request's models and noise, loaded once: device resolved, noise file read, models probed with its shape.
struct LoadedRequest
{
    Device device = Device::Cpu;
    std::optional<HostTensor> noise;
    DenoiserPtr denoiser;
    DiscriminatorPtr discriminator; // null without one
    std::vector<int64_t> sampleShape;
};
LoadedRequest loadRequest(const SampleRequest& request);

// The default batch of every command that samples (--batch auto): on the CPU, the power of two of samples that hold
// at most 16,384 values (Fashion-MNIST 16, 3×32×32 4, 2-D points 4096), on CUDA 64× that; fewer when the memory
// available (MemAvailable) could not hold 256 working copies of them in a quarter of it. Networks are also called
// with at most this many rows at a time whatever --batch is (Trajectory), so a cancel is noticed within one call.
int64_t defaultBatchSize(const std::vector<int64_t>& sampleShape, Device device = Device::Cpu);
// batch, or defaultBatchSize when batch is 0 (auto); a negative batch is an error.
int64_t resolveBatchSize(int64_t batch, const std::vector<int64_t>& sampleShape, Device device = Device::Cpu);

// Loads the request's models once (Auto device resolved) and samples request.settings.count samples in batches of
// batchSize (0: defaultBatchSize). Sample i still depends only on (seed, i). progress(done, total) after each batch.
HostTensor sampleInBatches(const SampleRequest& request, int64_t batchSize,
                           const std::function<void(int64_t, int64_t)>& progress, const CancelToken* cancel);
// The batches of a request in order: batch(first, n) returns samples first … first + n − 1 of the run (indices relative
// to request.settings.firstSample) as [n, ...]; their concatenation is returned. progress(done, total) after each.
HostTensor collectBatches(const LoadedRequest& loaded, const SampleRequest& request, int64_t batchSize,
                          const std::function<HostTensor(int64_t first, int64_t n)>& batch,
                          const std::function<void(int64_t, int64_t)>& progress);
// Samples first … first + n − 1 of a run (relative to request.settings.firstSample) as a run of their own: the
// settings' count and first sample moved, the noise file's rows sliced. Sample i still depends only on (seed, i).
std::pair<LoadedRequest, SampleRequest> requestPart(const LoadedRequest& loaded, const SampleRequest& request,
                                                    int64_t first, int64_t n);
// How many samples a request draws (the noise file's rows, else settings.count).
int64_t sampleCount(const LoadedRequest& loaded, const SampleRequest& request);
// The same with the request's models already loaded (loadRequest).
HostTensor sampleInBatches(const LoadedRequest& loaded, const SampleRequest& request, int64_t batchSize,
                           const std::function<void(int64_t, int64_t)>& progress, const CancelToken* cancel);

} // namespace dg
