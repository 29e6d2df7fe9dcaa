#pragma once

#include "dg/Settings.h"

#include <vector>

namespace dg {

// σ_0 > … > σ_{N-1} = σ_min, followed by σ_N = 0 (EDM eq. 5): steps + 1 values.
std::vector<double> edmSigmas(const ScheduleSettings& schedule);

// γ_i of EDM Algorithm 2 for a step starting at sigma.
double churnGamma(const ChurnSettings& churn, int steps, double sigma);

} // namespace dg
