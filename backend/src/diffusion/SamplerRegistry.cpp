#include "dg/SamplerRegistry.h"

#include "diffusion/Samplers.h"

#include <algorithm>
#include <cmath>

namespace dg {
namespace {

StepResult heun(const StepContext& c)
{
    return {heunStep(c.denoise, c.xHat, c.tHat, c.tNext), {}};
}

StepResult euler(const StepContext& c)
{
    return {eulerStep(c.denoise, c.xHat, c.tHat, c.tNext), {}};
}

// DPM-Solver++(2M) (Lu et al. 2022, arXiv 2211.01095) in EDM's σ (t = −ln σ, h = t_next − t), as k-diffusion's
// sample_dpmpp_2m computes it: first order on the first step and on the step to σ = 0, else the second-order
// combination of this and the previous denoiser output with r = h_last / h.
StepResult dpmpp2m(const StepContext& c)
{
    const auto denoised = c.denoise(c.xHat, c.tHat, 0);
    SamplerMemory next{denoised, at::full({c.xHat.size(0)}, c.tHat, c.xHat.options().dtype(at::kDouble))};
    if (c.tNext == 0.0) return {denoised, next};
    const double h = std::log(c.tHat) - std::log(c.tNext);
    const double ratio = c.tNext / c.tHat; // σ_next/σ = e^{−h}
    const double blend = -std::expm1(-h);  // 1 − e^{−h}
    if (!c.memory.lastDenoised.defined()) return {ratio * c.xHat + blend * denoised, next};
    std::vector<int64_t> shape(c.xHat.dim(), 1);
    shape[0] = -1;
    const auto hLast = at::log(c.memory.lastSigma) - std::log(c.tHat); // per sample: churn may differ between groups
    const auto halfInverseR = (h / (2.0 * hLast)).to(c.xHat.scalar_type()).reshape(shape);
    const auto combined = denoised + halfInverseR * (denoised - c.memory.lastDenoised);
    return {ratio * c.xHat + blend * combined, next};
}

// Euler ancestral with η = 1 (k-diffusion's sample_euler_ancestral; Song et al. 2021's ancestral step in EDM's σ):
// an Euler step down to σ_down, then fresh noise of σ_up, σ_up = min(σ_next, √(σ_next²(σ² − σ_next²)/σ²)),
// σ_down = √(σ_next² − σ_up²). The noise comes from the (seed, sample, step) generator.
StepResult eulerAncestral(const StepContext& c)
{
    const auto denoised = c.denoise(c.xHat, c.tHat, 0);
    const double s = c.tHat, n = c.tNext;
    const double up = std::min(n, std::sqrt(std::max(0.0, n * n * (s * s - n * n) / (s * s))));
    const double down = std::sqrt(std::max(0.0, n * n - up * up));
    auto x = c.xHat + (down - s) * ((c.xHat - denoised) / s);
    if (n > 0.0 && up > 0.0) x = x + up * c.noise();
    return {x, {}};
}

struct Entry
{
    SamplerInfo info;
    SamplerStep step;
};

const std::vector<Entry>& entries()
{
    static const std::vector<Entry> table = {
        {{"heun", "Heun (EDM)", 2, true,
          "EDM Algorithm 2: Euler predictor + trapezoidal corrector (Karras et al. 2022)"},
         heun},
        {{"euler", "Euler", 1, true, "first-order Euler steps of the probability-flow ODE"}, euler},
        {{"dpmpp-2m", "DPM-Solver++(2M)", 1, true,
          "second-order multistep solver (Lu et al. 2022), as k-diffusion's sample_dpmpp_2m"},
         dpmpp2m},
        {{"euler-ancestral", "Euler ancestral", 1, false,
          "Euler step plus fresh noise each step (eta = 1), as k-diffusion's sample_euler_ancestral"},
         eulerAncestral},
    };
    return table;
}

} // namespace

const std::vector<SamplerInfo>& samplers()
{
    static const std::vector<SamplerInfo> infos = [] {
        std::vector<SamplerInfo> out;
        for (const auto& e : entries())
            out.push_back(e.info);
        return out;
    }();
    return infos;
}

const SamplerInfo* findSampler(const std::string& key)
{
    for (const auto& info : samplers())
        if (info.key == key) return &info;
    return nullptr;
}

std::string samplerKeys()
{
    std::string out;
    for (const auto& info : samplers())
        out += (out.empty() ? "" : ", ") + info.key;
    return out;
}

SamplerStep samplerStep(const std::string& key)
{
    for (const auto& e : entries())
        if (e.info.key == key) return e.step;
    return nullptr;
}

} // namespace dg
