#pragma once

// Plausible value ranges (docs/RELIABILITY.md, "Finite is not enough"). Data — Fashion-MNIST pixels and the toys'
// points — lie in [-1, 1] and a run starts from sigma_max * z with z standard normal, so every state and every
// denoiser estimate of a working model stays within ten times (1 + sigma_max): far outside, it is a broken file or
// model, not a sample (an undertrained model's samples beyond [-1, 1] are still allowed).
namespace dg::plausible {

constexpr double kNoiseBound = 10.0; // a standard-normal start: |z| > 10 has probability ~1e-23 per value

constexpr double stateBound(double sigmaMax)
{
    return 10.0 * (1.0 + sigmaMax);
}

// Cached fakes (dg train-disc): the bound of the default schedule (sigma_max = 80).
constexpr double kFakesBound = stateBound(80.0);

} // namespace dg::plausible
