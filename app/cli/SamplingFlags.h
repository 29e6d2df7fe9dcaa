#pragma once

#include "ArgParser.h"
#include "dg/SampleRequest.h"

#include <vector>

namespace dg::cli {

// The model, noise, sampler and guidance flags shared by every command that samples.
std::vector<FlagSpec> samplingFlags();
// Throws UsageError for inconsistent combinations; value ranges are checked by dg::validate.
SampleRequest requestFromFlags(const ArgParser& args);
// --batch B of every command that samples; batchFromFlags gives 0 (dg::defaultBatchSize) when it is not given.
FlagSpec batchFlag(const std::string& group);
int64_t batchFromFlags(const ArgParser& args);

} // namespace dg::cli
