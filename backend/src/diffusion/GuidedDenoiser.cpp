#include "diffusion/GuidedDenoiser.h"

#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>

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

GuidedEval GuidedDenoiser::evaluate(const at::Tensor& x, double sigma, double weight, bool wantLogit,
                                    const CancelToken* cancel) const
{
    GuidedEval out;
    const auto sigmas = at::scalar_tensor(sigma, x.options()).expand({x.size(0)}); // one σ: see isUniformSigma
    checkCancel(cancel);
    {
        c10::InferenceMode inference; // no autograd bookkeeping at all (the output is only ever read)
        out.denoised = m_denoiser->denoise(x, sigmas, m_classLabels);
    }
    if (!m_discriminator) return out;

    checkCancel(cancel);
    if (weight != 0.0) {
        auto [logit, grad] = m_discriminator->logitWithGradient(x, sigmas, m_classLabels);
        out.correction = (weight * sigma * sigma) * grad;
        out.denoised = out.denoised + out.correction;
        out.logit = logit;
    } else if (wantLogit) {
        c10::NoGradGuard noGrad;
        out.logit = m_discriminator->logit(x, sigmas, m_classLabels);
    }
    return out;
}

} // namespace dg
