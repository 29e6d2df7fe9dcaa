#pragma once

#include "models/Denoiser.h"

#include <torch/script.h>

#include <string>
#include <vector>

namespace dg {

// A TorchScript file honouring docs/ARCHITECTURE.md §2: forward(x, sigma[, class_labels]). Loading validates the file,
// the forward schema and (by one probe call) the output shape; every problem is a one-line dg::Error naming the file.
class TorchScriptModule
{
public:
    TorchScriptModule(const std::string& path, ModelRole role, const at::Device& device,
                      const std::optional<std::vector<int64_t>>& probeShape);

    at::Tensor call(const at::Tensor& x, const at::Tensor& sigma, const std::optional<at::Tensor>& classLabels) const;
    const ModelInfo& info() const { return m_info; }

private:
    at::Tensor checkedOutput(const c10::IValue& out, const at::Tensor& x) const;
    mutable torch::jit::Module m_module; // forward() is non-const in LibTorch; calls do not mutate state
    std::string m_path;
    ModelInfo m_info;
};

class TorchScriptDenoiser : public Denoiser
{
public:
    TorchScriptDenoiser(const std::string& path, const at::Device& device,
                        const std::optional<std::vector<int64_t>>& probeShape)
        : m_module(path, ModelRole::Denoiser, device, probeShape)
    {
    }
    at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma,
                       const std::optional<at::Tensor>& classLabels) const override
    {
        return m_module.call(x, sigma, classLabels);
    }
    ModelInfo info() const override { return m_module.info(); }

private:
    TorchScriptModule m_module;
};

class TorchScriptDiscriminator : public Discriminator
{
public:
    TorchScriptDiscriminator(const std::string& path, const at::Device& device, const std::vector<int64_t>& shape)
        : m_module(path, ModelRole::Discriminator, device, shape)
    {
    }
    at::Tensor logit(const at::Tensor& x, const at::Tensor& sigma,
                     const std::optional<at::Tensor>& classLabels) const override
    {
        return m_module.call(x, sigma, classLabels);
    }
    ModelInfo info() const override { return m_module.info(); }

private:
    TorchScriptModule m_module;
};

} // namespace dg
