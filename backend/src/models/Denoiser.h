#pragma once

#include "dg/HostTensor.h"
#include "dg/Models.h"

#include <ATen/ATen.h>

#include <optional>

namespace dg {

// D(x, σ[, class]) → x̂₀ (EDM convention; the model does its own input scaling). x: [N, ...], sigma: [N] float32.
class Denoiser
{
public:
    virtual ~Denoiser() = default;
    virtual at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma,
                               const std::optional<at::Tensor>& classLabels) const = 0;
    virtual ModelInfo info() const = 0;
};

// logit(x, σ[, class]) = log(d/(1−d)) → [N]. Must be differentiable in x.
class Discriminator
{
public:
    virtual ~Discriminator() = default;
    virtual at::Tensor logit(const at::Tensor& x, const at::Tensor& sigma,
                             const std::optional<at::Tensor>& classLabels) const = 0;
    virtual ModelInfo info() const = 0;
};

} // namespace dg
