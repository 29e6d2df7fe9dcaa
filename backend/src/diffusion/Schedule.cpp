#include "dg/Schedule.h"

#include "dg/Error.h"
#include "diffusion/FormatSigma.h"

#include <algorithm>
#include <cmath>

namespace dg {

// EDM eq. 5 (Karras et al. 2022): σ_i = (σ_max^(1/ρ) + i/(N−1)·(σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ, then σ_N = 0.
std::vector<double> edmSigmas(const ScheduleSettings& s)
{
    std::vector<double> sigmas;
    sigmas.reserve(s.steps + 1);
    const double hi = std::pow(s.sigmaMax, 1.0 / s.rho);
    const double lo = std::pow(s.sigmaMin, 1.0 / s.rho);
    for (int i = 0; i < s.steps; ++i) {
        const double frac = s.steps > 1 ? static_cast<double>(i) / (s.steps - 1) : 0.0;
        sigmas.push_back(std::pow(hi + frac * (lo - hi), s.rho));
    }
    sigmas.push_back(0.0);
    return sigmas;
}

ScheduleSettings fitSchedule(ScheduleSettings s, double modelSigmaMin, double modelSigmaMax)
{
    const double lo = std::max(s.sigmaMin, modelSigmaMin), hi = std::min(s.sigmaMax, modelSigmaMax);
    if (!(lo < hi))
        throw Error("the denoiser supports sigma " + formatSigma(modelSigmaMin) + " ... " + formatSigma(modelSigmaMax) +
                    ", which leaves nothing of the schedule's " + formatSigma(s.sigmaMin) + " ... " +
                    formatSigma(s.sigmaMax));
    s.sigmaMin = lo;
    s.sigmaMax = hi;
    return s;
}

// EDM Algorithm 2 line 4: γ_i = min(S_churn/N, √2 − 1) if S_tmin ≤ t_i ≤ S_tmax, else 0.
double churnGamma(const ChurnSettings& c, int steps, double sigma)
{
    if (c.churn <= 0.0 || sigma < c.sMin || sigma > c.sMax) return 0.0;
    return std::min(c.churn / steps, std::sqrt(2.0) - 1.0);
}

} // namespace dg
