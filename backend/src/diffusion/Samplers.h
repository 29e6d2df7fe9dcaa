#pragma once

#include <ATen/ATen.h>

#include <functional>
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

// The deterministic sampler over a whole σ schedule (σ_N = 0), for tests and batch use.
at::Tensor sampleOde(const DenoiseFn& denoise, at::Tensor x, const std::vector<double>& sigmas, bool heun);

} // namespace dg
