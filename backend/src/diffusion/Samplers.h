#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace dg {

// A (possibly guided) denoiser as the samplers see it; evaluation is 0 for the predictor, 1 for the Heun corrector.
using DenoiseFn = std::function<at::Tensor(const at::Tensor& x, double sigma, int evaluation)>;

// EDM Algorithm 2 lines 5–6: raise the noise from t_cur to t̂ = (1 + γ)·t_cur with fresh noise eps (Karras et al. 2022).
std::pair<at::Tensor, double> churnUp(const at::Tensor& x, double tCur, double gamma, const at::Tensor& eps,
                                      double sNoise);
// Euler step of the probability-flow ODE dx/dσ = (x − D(x;σ))/σ from t̂ to t_next (EDM Algorithm 2 lines 7–8).
at::Tensor eulerStep(const DenoiseFn& denoise, const at::Tensor& xHat, double tHat, double tNext);
// Heun step: the Euler step plus the trapezoidal correction when t_next ≠ 0 (EDM Algorithm 2 lines 9–11).
at::Tensor heunStep(const DenoiseFn& denoise, const at::Tensor& xHat, double tHat, double tNext);

// What a multistep sampler carries from one step to the next, per sample (undefined before the first step).
struct SamplerMemory
{
    at::Tensor lastDenoised; // the (guided) denoiser output of the previous step's evaluation
    at::Tensor lastSigma;    // [N] float64: the σ it was evaluated at
};

// One step of a sampler from x̂ at t̂ (after any churn) to t_next, over the rows of one group of samples.
struct StepContext
{
    const DenoiseFn& denoise;
    const at::Tensor& xHat;
    double tHat;
    double tNext;
    const SamplerMemory& memory;       // the previous step's, these rows
    std::function<at::Tensor()> noise; // fresh standard-normal noise of this step, these rows, (seed, sample, step)
};

struct StepResult
{
    at::Tensor xNext;
    SamplerMemory memory; // what the next step reads; left undefined by one-step methods
};

// A registered sampler's step (backend/src/diffusion/SamplerRegistry.cpp); nullptr for an unknown key.
using SamplerStep = StepResult (*)(const StepContext& context);
SamplerStep samplerStep(const std::string& key);

// The deterministic sampler over a whole σ schedule (σ_N = 0), for tests and batch use.
at::Tensor sampleOde(const DenoiseFn& denoise, at::Tensor x, const std::vector<double>& sigmas, bool heun);

} // namespace dg
