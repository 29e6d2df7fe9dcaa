#pragma once

#include "dg/Device.h"
#include "dg/Settings.h"

#include <string>

namespace dg {

// Everything needed to reproduce a sampling run; what PNG metadata and JSON sidecars carry.
struct SampleRequest
{
    std::string denoiser;      // builtin:NAME or a TorchScript path
    std::string discriminator; // empty: none
    std::string noiseFile;     // empty: noise from (seed, i)
    RunSettings settings;
    Device device = Device::Auto;
};

// One JSON object (infinite bounds written as the string "inf").
std::string toJson(const SampleRequest& request);
// Reads toJson's object, or an export sidecar holding it under "settings". Strict (docs/RELIABILITY.md): every field
// present is type- and range-checked and an unknown field is refused — a wrong field is an Error naming it, never a
// silent default; absent fields take the defaults of dg sample.
SampleRequest requestFromJson(const std::string& json);
// The JSON key of the first field in which two requests differ (numbers within 1e-9 relative count as equal); empty
// when they agree. A front end that cannot show a value exactly finds out here instead of silently changing it.
std::string firstDifference(const SampleRequest& a, const SampleRequest& b);
// The `dg sample …` arguments that reproduce it (shell-quoted where needed), without output flags.
std::string toCommandLine(const SampleRequest& request);

} // namespace dg
