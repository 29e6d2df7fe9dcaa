#pragma once

#include "dg/CancelToken.h"
#include "dg/HostTensor.h"
#include "dg/SampleRequest.h"

#include <functional>

namespace dg {

// Loads the request's models once (Auto device resolved) and samples request.settings.count samples in batches of
// batchSize. Sample i still depends only on (seed, i). progress(done, total) after each batch.
HostTensor sampleInBatches(const SampleRequest& request, int64_t batchSize,
                           const std::function<void(int64_t, int64_t)>& progress, const CancelToken* cancel);

} // namespace dg
