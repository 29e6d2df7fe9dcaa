#include "diffusion/GuidedDenoiser.h"

#include "dg/Error.h"

#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace dg {
namespace {

void checkCancel(const CancelToken* cancel)
{
    if (cancel) cancel->throwIfCancelled();
}

} // namespace

GuidedDenoiser::GuidedDenoiser(DenoiserPtr denoiser, DiscriminatorPtr discriminator,
                               std::optional<at::Tensor> classLabels)
    : m_denoiser(std::move(denoiser)), m_discriminator(std::move(discriminator)), m_classLabels(std::move(classLabels))
{
}

GuidedDenoiser GuidedDenoiser::subset(const at::Tensor& index) const
{
    std::optional<at::Tensor> labels;
    if (m_classLabels) labels = m_classLabels->index_select(0, index.to(m_classLabels->device()));
    GuidedDenoiser out(m_denoiser, m_discriminator, labels);
    out.m_chunkRows = m_chunkRows;
    return out;
}

GuidedEval GuidedDenoiser::evaluate(const at::Tensor& x, double sigma, const EvalGuidance& g, bool wantLogit,
                                    const CancelToken* cancel) const
{
    return guide(x, denoise(x, sigma, m_classLabels, cancel), sigma, g, wantLogit, cancel);
}

at::Tensor GuidedDenoiser::denoise(const at::Tensor& x, double sigma, const std::optional<at::Tensor>& labels,
                                   const CancelToken* cancel) const
{
    std::vector<at::Tensor> parts;
    forChunks(x.size(0), [&](int64_t first, int64_t rows) {
        const auto xs = rows == x.size(0) ? x : x.narrow(0, first, rows);
        std::optional<at::Tensor> ls;
        if (labels) ls = rows == x.size(0) ? *labels : labels->narrow(0, first, rows);
        const auto sigmas = at::scalar_tensor(sigma, x.options()).expand({rows}); // one σ: see isUniformSigma
        checkCancel(cancel);
        c10::InferenceMode inference; // no autograd bookkeeping at all (the output is only ever read)
        parts.push_back(m_denoiser->denoise(xs, sigmas, ls));
    });
    return parts.size() == 1 ? parts.front() : at::cat(parts);
}

GuidedEval GuidedDenoiser::guide(const at::Tensor& x, const at::Tensor& raw, double sigma, const EvalGuidance& g,
                                 bool wantLogit, const CancelToken* cancel) const
{
    GuidedEval out;
    out.raw = raw;
    out.denoised = raw;
    if (!m_discriminator || (g.weight == 0.0 && !wantLogit)) return out;
    std::vector<at::Tensor> logits, grads;
    forChunks(x.size(0), [&](int64_t first, int64_t rows) {
        const auto xs = rows == x.size(0) ? x : x.narrow(0, first, rows);
        std::optional<at::Tensor> ls;
        if (m_classLabels) ls = rows == x.size(0) ? *m_classLabels : m_classLabels->narrow(0, first, rows);
        const auto sigmas = at::scalar_tensor(sigma, x.options()).expand({rows});
        checkCancel(cancel);
        if (g.weight != 0.0) {
            auto [logit, grad] = m_discriminator->logitWithGradient(xs, sigmas, ls);
            logits.push_back(logit.detach());
            grads.push_back(grad);
        } else {
            c10::NoGradGuard noGrad;
            logits.push_back(m_discriminator->logit(xs, sigmas, ls));
        }
    });
    out.logit = logits.size() == 1 ? logits.front() : at::cat(logits);
    if (g.weight == 0.0) return out;
    auto grad = grads.size() == 1 ? grads.front() : at::cat(grads);
    const auto& logit = out.logit;
    out.gradientFinite = at::isfinite(grad).all().item<bool>(); // judged by the trajectory (the input may be at fault)
    std::vector<int64_t> perSample(x.dim(), 1);
    perSample[0] = -1;
    // Official DG: log(p/(1−p)) of p clipped to [1e-5, 1 − 1e-5] — zero gradient where |logit| exceeds the clip.
    if (std::isfinite(g.logitClip)) grad = grad * logit.abs().le(g.logitClip).to(grad.scalar_type()).reshape(perSample);
    // Official boosting: twice the guidance for the samples the discriminator judges fake.
    if (g.doubleFakes) grad = grad * (1.0 + logit.lt(0.0).to(grad.scalar_type())).reshape(perSample);
    out.correction = (g.weight * sigma * sigma) * grad;
    out.denoised = raw + out.correction;
    return out;
}

void GuidedDenoiser::forChunks(int64_t n, const std::function<void(int64_t, int64_t)>& chunk) const
{
    const int64_t size = m_chunkRows > 0 ? m_chunkRows : std::max<int64_t>(n, 1);
    for (int64_t first = 0; first < n; first += size)
        chunk(first, std::min(size, n - first));
}

} // namespace dg
