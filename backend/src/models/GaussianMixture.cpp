#include "models/GaussianMixture.h"

#include "models/Denoiser.h"

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

at::Tensor GaussianMixture::variances(const at::Tensor& sigma) const
{
    const auto s = (isUniformSigma(sigma) ? sigma.narrow(0, 0, 1) : sigma).to(at::kDouble);
    return m_stds.pow(2).unsqueeze(0) + s.pow(2).unsqueeze(1);
}

at::Tensor GaussianMixture::componentLogTerms(const at::Tensor& x64, const at::Tensor& var) const
{
    // log π_k + log N(x; μ_k, v_k I) with v_k = s_k² + σ²; x64 [N, D], var [N or 1, K].
    const auto diff = x64.unsqueeze(1) - m_means.unsqueeze(0); // [N, K, D]
    const auto sq = diff.pow(2).sum(-1);                       // [N, K]
    const double d = static_cast<double>(dim());
    return m_logWeights.unsqueeze(0) - 0.5 * d * (2.0 * std::numbers::pi * var).log() - 0.5 * sq / var;
}

at::Tensor GaussianMixture::posteriorMean(const at::Tensor& x64, const at::Tensor& var, const at::Tensor& resp) const
{
    const auto shrink = (m_stds.pow(2).unsqueeze(0) / var).unsqueeze(-1); // [N or 1, K, 1]
    const auto mu = m_means.unsqueeze(0);
    const auto posteriorMeans = mu + shrink * (x64.unsqueeze(1) - mu); // E[x₀ | x, k]
    return (resp.unsqueeze(-1) * posteriorMeans).sum(1);
}

at::Tensor GaussianMixture::logDensity(const at::Tensor& x, const at::Tensor& sigma) const
{
    return at::logsumexp(componentLogTerms(x.to(at::kDouble), variances(sigma)), 1).to(x.scalar_type());
}

at::Tensor GaussianMixture::denoise(const at::Tensor& x, const at::Tensor& sigma) const
{
    const auto x64 = x.to(at::kDouble);
    const auto var = variances(sigma);
    const auto resp = at::softmax(componentLogTerms(x64, var), 1); // posterior over components
    return posteriorMean(x64, var, resp).to(x.scalar_type());
}

std::pair<at::Tensor, at::Tensor> GaussianMixture::logDensityAndDenoise(const at::Tensor& x,
                                                                        const at::Tensor& sigma) const
{
    const auto x64 = x.to(at::kDouble);
    const auto var = variances(sigma);
    const auto terms = componentLogTerms(x64, var);
    const auto logp = at::logsumexp(terms, 1);
    const auto resp = (terms - logp.unsqueeze(1)).exp();
    return {logp.to(x.scalar_type()), posteriorMean(x64, var, resp).to(x.scalar_type())};
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
