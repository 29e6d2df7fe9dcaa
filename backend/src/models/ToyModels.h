#pragma once

#include "models/Denoiser.h"
#include "models/GaussianMixture.h"

#include <string>
#include <vector>

namespace dg {

// A built-in 2-D toy: the data mixture and a deliberately imperfect "pre-trained" model mixture.
struct ToyDefinition
{
    std::string name;
    std::string description;
    GaussianMixture data;
    GaussianMixture model;
};

const std::vector<ToyDefinition>& toyDefinitions();
const ToyDefinition* findToy(const std::string& name);

// The exact denoiser of a mixture (for data: the ideal; for the model mixture: the imperfect "pre-trained" one).
class MixtureDenoiser : public Denoiser
{
public:
    MixtureDenoiser(GaussianMixture mixture, ModelInfo info) : m_mixture(std::move(mixture)), m_info(std::move(info)) {}
    at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma,
                       const std::optional<at::Tensor>& classLabels) const override;
    ModelInfo info() const override { return m_info; }

private:
    GaussianMixture m_mixture;
    ModelInfo m_info;
};

// The optimal discriminator between data p and model q: logit = log p_σ(x) − log q_σ(x).
class MixtureRatioDiscriminator : public Discriminator
{
public:
    MixtureRatioDiscriminator(GaussianMixture data, GaussianMixture model, ModelInfo info)
        : m_data(std::move(data)), m_model(std::move(model)), m_info(std::move(info))
    {
    }
    at::Tensor logit(const at::Tensor& x, const at::Tensor& sigma,
                     const std::optional<at::Tensor>& classLabels) const override;
    LogitGradient logitWithGradient(const at::Tensor& x, const at::Tensor& sigma,
                                    const std::optional<at::Tensor>& classLabels) const override;
    ModelInfo info() const override { return m_info; }

private:
    GaussianMixture m_data;
    GaussianMixture m_model;
    ModelInfo m_info;
};

} // namespace dg
