#include "models/Denoiser.h"
#include "dg/Error.h"

#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

namespace dg {

LogitGradient Discriminator::logitWithGradient(const at::Tensor& x, const at::Tensor& sigma,
                                               const std::optional<at::Tensor>& classLabels) const
{
    c10::AutoGradMode enableGrad(true);
    const auto xg = x.detach().requires_grad_(true);
    const auto logit = this->logit(xg, sigma, classLabels);
    const std::string notDifferentiable = "discriminator '" + info().spec +
                                          "': its logit is not differentiable in x (does forward detach x, use "
                                          "torch.no_grad or convert to numpy?); guidance needs grad_x logit";
    if (!logit.requires_grad()) throw Error(notDifferentiable);
    at::Tensor grad;
    try {
        grad = torch::autograd::grad({logit.sum()}, {xg}, {}, false, false, true)[0];
    } catch (const c10::Error& e) {
        throw Error(
            "discriminator '" + info().spec + "': the gradient of its logit failed: " +
            std::string(e.what_without_backtrace()).substr(0, std::string(e.what_without_backtrace()).find('\n')));
    }
    if (!grad.defined()) throw Error(notDifferentiable);
    return {logit.detach(), grad.detach()};
}

} // namespace dg
