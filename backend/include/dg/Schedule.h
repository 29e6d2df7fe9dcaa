#pragma once

#include "dg/Settings.h"

#include <vector>

namespace dg {

// σ_0 > … > σ_{N-1} = σ_min, followed by σ_N = 0 (EDM eq. 5): steps + 1 values.
std::vector<double> edmSigmas(const ScheduleSettings& schedule);

// The schedule a denoiser supporting σ ∈ [modelSigmaMin, modelSigmaMax] samples with: σ_min raised to modelSigmaMin
// and σ_max lowered to modelSigmaMax, as EDM's sampler does (NVlabs/edm generate.py, edm_sampler). Throws dg::Error
// when nothing of the requested range is left.
ScheduleSettings fitSchedule(ScheduleSettings schedule, double modelSigmaMin, double modelSigmaMax);

// γ_i of EDM Algorithm 2 for a step starting at sigma.
double churnGamma(const ChurnSettings& churn, int steps, double sigma);

} // namespace dg
