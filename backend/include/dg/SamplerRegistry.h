#pragma once

#include <string>
#include <vector>

namespace dg {

// One sampler of the registry (backend/src/diffusion/SamplerRegistry.cpp): the CLI's --sampler choices, the settings
// JSON, dg-studio's and dg-lab's sampler lists and the docs iterate samplers(). A new sampler is one entry there, its
// step function and its test (docs/ARCHITECTURE.md, "How to add a sampler").
struct SamplerInfo
{
    std::string key;         // --sampler value and settings JSON ("heun")
    std::string label;       // in the front ends' lists
    int evaluationsPerStep;  // network evaluations of a step (a step that ends at σ = 0 may use fewer)
    bool deterministic;      // no fresh noise besides EDM's churn
    std::string description; // one line for --help and the docs
};

const std::vector<SamplerInfo>& samplers();
// The entry with this key; nullptr when there is none.
const SamplerInfo* findSampler(const std::string& key);
// "heun, euler, ..." for messages.
std::string samplerKeys();

} // namespace dg
