#pragma once

#include "dg/HostTensor.h"
#include "dg/Models.h"

#include <ATen/ATen.h>

#include <optional>

namespace dg {

// The sampler evaluates one σ for the whole batch and passes it as a stride-0 (expanded) [N] tensor; a model may then
// compute its σ-only terms once. Any other sigma tensor is per sample.
inline bool isUniformSigma(const at::Tensor& sigma)
{
    return sigma.dim() == 1 && sigma.size(0) > 1 && sigma.stride(0) == 0;
}

// D(x, σ[, class]) → x̂₀ (EDM convention; the model does its own input scaling). x: [N, ...], sigma: [N] float32.
class Denoiser
{
public:
    virtual ~Denoiser() = default;
    virtual at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma,
                               const std::optional<at::Tensor>& classLabels) const = 0;
    virtual ModelInfo info() const = 0;
};

struct LogitGradient
{
    at::Tensor logit;    // [N]
    at::Tensor gradient; // ∇ₓ logit, shaped like x; no autograd history
};

// logit(x, σ[, class]) = log(d/(1−d)) → [N]. Must be differentiable in x.
class Discriminator
{
public:
    virtual ~Discriminator() = default;
    virtual at::Tensor logit(const at::Tensor& x, const at::Tensor& sigma,
                             const std::optional<at::Tensor>& classLabels) const = 0;
    // The logit and its input gradient (what guidance needs); by autograd unless a model has a cheaper closed form.
    virtual LogitGradient logitWithGradient(const at::Tensor& x, const at::Tensor& sigma,
                                            const std::optional<at::Tensor>& classLabels) const;
    virtual ModelInfo info() const = 0;
};

} // namespace dg
