#include "models/GaussianMixture.h"

#include <cmath>
#include <numbers>

namespace dg {

GaussianMixture::GaussianMixture(at::Tensor means, at::Tensor stds, at::Tensor weights)
    : m_means(means.to(at::kDouble)), m_stds(stds.to(at::kDouble)),
      m_logWeights((weights.to(at::kDouble) / weights.to(at::kDouble).sum()).log())
{
}

GaussianMixture GaussianMixture::to(const at::Device& device) const
{
    GaussianMixture moved = *this;
    moved.m_means = m_means.to(device);
    moved.m_stds = m_stds.to(device);
    moved.m_logWeights = m_logWeights.to(device);
    return moved;
}

at::Tensor GaussianMixture::componentLogTerms(const at::Tensor& x64, const at::Tensor& var) const
{
    // log π_k + log N(x; μ_k, v_k I) with v_k = s_k² + σ²; x64 [N, D], var [N, K].
    const auto diff = x64.unsqueeze(1) - m_means.unsqueeze(0); // [N, K, D]
    const auto sq = diff.pow(2).sum(-1);                      // [N, K]
    const double d = static_cast<double>(dim());
    return m_logWeights.unsqueeze(0) - 0.5 * d * (2.0 * std::numbers::pi * var).log() - 0.5 * sq / var;
}

at::Tensor GaussianMixture::logDensity(const at::Tensor& x, const at::Tensor& sigma) const
{
    const auto x64 = x.to(at::kDouble);
    const auto var = m_stds.pow(2).unsqueeze(0) + sigma.to(at::kDouble).pow(2).unsqueeze(1);
    return at::logsumexp(componentLogTerms(x64, var), 1).to(x.scalar_type());
}

at::Tensor GaussianMixture::denoise(const at::Tensor& x, const at::Tensor& sigma) const
{
    const auto x64 = x.to(at::kDouble);
    const auto s2 = m_stds.pow(2).unsqueeze(0);                        // [1, K]
    const auto var = s2 + sigma.to(at::kDouble).pow(2).unsqueeze(1);   // [N, K]
    const auto resp = at::softmax(componentLogTerms(x64, var), 1);     // posterior over components
    const auto shrink = (s2 / var).unsqueeze(-1);                      // [N, K, 1]
    const auto mu = m_means.unsqueeze(0);
    const auto posteriorMeans = mu + shrink * (x64.unsqueeze(1) - mu); // E[x₀ | x, k]
    return (resp.unsqueeze(-1) * posteriorMeans).sum(1).to(x.scalar_type());
}

at::Tensor GaussianMixture::sample(int64_t n, at::Generator gen) const
{
    const auto probs = m_logWeights.exp().cpu();
    const auto comp = at::multinomial(probs, n, true, gen);
    const auto eps = at::randn({n, dim()}, gen, at::TensorOptions().dtype(at::kDouble));
    const auto means = m_means.cpu().index_select(0, comp);
    const auto stds = m_stds.cpu().index_select(0, comp).unsqueeze(1);
    return (means + stds * eps).to(at::kFloat);
}

} // namespace dg
