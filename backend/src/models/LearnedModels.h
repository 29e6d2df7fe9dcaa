#pragma once

#include "models/Checkpoint.h"
#include "models/Denoiser.h"

#include <mutex>

namespace dg {

// A score network trained by this project (EMA weights), as a Denoiser.
class ScoreNetDenoiser : public Denoiser
{
public:
    ScoreNetDenoiser(const std::string& path, const c10::Device& device, const std::string& spec);
    at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma,
                       const std::optional<at::Tensor>& classLabels) const override;
    ModelInfo info() const override { return m_info; }
    const CheckpointMeta& meta() const { return m_meta; }

private:
    CheckpointMeta m_meta;
    std::shared_ptr<ScoreNetImpl> m_net;
    ModelInfo m_info;
};

// A discriminator trained by this project: frozen encoder + head on images, or an MLP on toy points.
class LearnedDiscriminator : public Discriminator
{
public:
    LearnedDiscriminator(const std::string& path, const c10::Device& device, const std::string& spec);
    at::Tensor logit(const at::Tensor& x, const at::Tensor& sigma,
                     const std::optional<at::Tensor>& classLabels) const override;
    LogitGradient logitWithGradient(const at::Tensor& x, const at::Tensor& sigma,
                                    const std::optional<at::Tensor>& classLabels) const override;
    ModelInfo info() const override { return m_info; }

private:
    CheckpointMeta m_meta;
    Encoder m_encoder{nullptr};
    DiscHead m_head{nullptr};
    MlpDisc m_mlp{nullptr};
    ModelInfo m_info;
};

std::vector<int64_t> datasetSampleShape(const std::string& dataset);
// The ModelInfo of a model trained by this project, from its checkpoint metadata.
ModelInfo learnedModelInfo(const CheckpointMeta& meta, const std::string& spec, ModelRole role,
                           const std::string& description);

} // namespace dg
