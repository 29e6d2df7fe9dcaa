#pragma once

#include <ATen/ATen.h>

namespace dg {

// Isotropic Gaussian mixture Σ_k π_k N(μ_k, s_k² I) and its closed forms under VE diffusion x_σ = x₀ + σ·ε.
// Computed in float64 internally; inputs and outputs keep their dtype.
class GaussianMixture
{
public:
    GaussianMixture(at::Tensor means, at::Tensor stds, at::Tensor weights); // [K, D], [K], [K] (weights normalised)

    int64_t dim() const { return m_means.size(1); }
    const at::Tensor& means() const { return m_means; }
    const at::Tensor& stds() const { return m_stds; }
    at::Tensor weights() const { return m_logWeights.exp(); }
    GaussianMixture to(const at::Device& device) const;
    // log p_σ(x): x [N, D], sigma [N] → [N]. Differentiable in x.
    at::Tensor logDensity(const at::Tensor& x, const at::Tensor& sigma) const;
    // E[x₀ | x_σ = x] (Tweedie: x + σ²∇log p_σ), computed in closed form.
    at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma) const;
    // Both at once (one pass over the components): {log p_σ(x), E[x₀ | x_σ = x]}.
    std::pair<at::Tensor, at::Tensor> logDensityAndDenoise(const at::Tensor& x, const at::Tensor& sigma) const;
    // n samples from p_0 using gen.
    at::Tensor sample(int64_t n, at::Generator gen) const;

private:
    at::Tensor variances(const at::Tensor& sigma) const;                              // s_k² + σ²: [N or 1, K]
    at::Tensor componentLogTerms(const at::Tensor& x64, const at::Tensor& var) const; // [N, K]
    at::Tensor posteriorMean(const at::Tensor& x64, const at::Tensor& var, const at::Tensor& resp) const;
    at::Tensor m_means;
    at::Tensor m_stds;
    at::Tensor m_logWeights;
};

} // namespace dg
