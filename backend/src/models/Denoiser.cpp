#include "models/Denoiser.h"

#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

namespace dg {

LogitGradient Discriminator::logitWithGradient(const at::Tensor& x, const at::Tensor& sigma,
                                               const std::optional<at::Tensor>& classLabels) const
{
    c10::AutoGradMode enableGrad(true);
    const auto xg = x.detach().requires_grad_(true);
    const auto logit = this->logit(xg, sigma, classLabels);
    auto grad = torch::autograd::grad({logit.sum()}, {xg})[0];
    return {logit.detach(), grad.detach()};
}

} // namespace dg
