#include "diffusion/GuidedDenoiser.h"

#include <torch/csrc/autograd/autograd.h>
#include <c10/core/GradMode.h>

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
    const auto sigmas = at::full({x.size(0)}, sigma, x.options());
    checkCancel(cancel);
    {
        c10::NoGradGuard noGrad;
        out.denoised = m_denoiser->denoise(x, sigmas, m_classLabels);
    }
    if (!m_discriminator) return out;

    checkCancel(cancel);
    if (weight != 0.0) {
        c10::AutoGradMode enableGrad(true);
        const auto xg = x.detach().requires_grad_(true);
        const auto logit = m_discriminator->logit(xg, sigmas, m_classLabels);
        const auto grad = torch::autograd::grad({logit.sum()}, {xg})[0];
        out.correction = (weight * sigma * sigma) * grad.detach();
        out.denoised = out.denoised + out.correction;
        out.logit = logit.detach();
    } else if (wantLogit) {
        c10::NoGradGuard noGrad;
        out.logit = m_discriminator->logit(x, sigmas, m_classLabels);
    }
    return out;
}

} // namespace dg
