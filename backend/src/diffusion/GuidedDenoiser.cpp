#include "diffusion/GuidedDenoiser.h"

#include "dg/Error.h"

#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

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
    return GuidedDenoiser(m_denoiser, m_discriminator, labels);
}

GuidedEval GuidedDenoiser::evaluate(const at::Tensor& x, double sigma, const EvalGuidance& g, bool wantLogit,
                                    const CancelToken* cancel) const
{
    GuidedEval out;
    const auto sigmas = at::scalar_tensor(sigma, x.options()).expand({x.size(0)}); // one σ: see isUniformSigma
    checkCancel(cancel);
    {
        c10::InferenceMode inference; // no autograd bookkeeping at all (the output is only ever read)
        out.denoised = m_denoiser->denoise(x, sigmas, m_classLabels);
    }
    out.raw = out.denoised;
    if (!m_discriminator) return out;

    checkCancel(cancel);
    if (g.weight != 0.0) {
        auto [logit, grad] = m_discriminator->logitWithGradient(x, sigmas, m_classLabels);
        out.gradientFinite = at::isfinite(grad).all().item<bool>(); // judged by the trajectory (the input may be at fault)
        std::vector<int64_t> perSample(x.dim(), 1);
        perSample[0] = -1;
        // Official DG: log(p/(1−p)) of p clipped to [1e-5, 1 − 1e-5] — zero gradient where |logit| exceeds the clip.
        if (std::isfinite(g.logitClip))
            grad = grad * logit.detach().abs().le(g.logitClip).to(grad.scalar_type()).reshape(perSample);
        // Official boosting: twice the guidance for the samples the discriminator judges fake.
        if (g.doubleFakes) grad = grad * (1.0 + logit.detach().lt(0.0).to(grad.scalar_type())).reshape(perSample);
        out.correction = (g.weight * sigma * sigma) * grad;
        out.denoised = out.denoised + out.correction;
        out.logit = logit;
    } else if (wantLogit) {
        c10::NoGradGuard noGrad;
        out.logit = m_discriminator->logit(x, sigmas, m_classLabels);
    }
    return out;
}

} // namespace dg
