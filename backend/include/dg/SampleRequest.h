#pragma once

#include "dg/Device.h"
#include "dg/Settings.h"

#include <string>

namespace dg {

// Everything needed to reproduce a sampling run; what PNG metadata and JSON sidecars carry.
struct SampleRequest
{
    std::string denoiser;       // builtin:NAME or a TorchScript path
    std::string discriminator;  // empty: none
    std::string noiseFile;      // empty: noise from (seed, i)
    RunSettings settings;
    Device device = Device::Auto;
};

// One JSON object (infinite bounds written as the string "inf").
std::string toJson(const SampleRequest& request);
// The `dg sample …` arguments that reproduce it (shell-quoted where needed), without output flags.
std::string toCommandLine(const SampleRequest& request);

} // namespace dg
