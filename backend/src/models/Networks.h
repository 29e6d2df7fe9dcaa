#pragma once

#include <torch/nn/module.h>

#include <mutex>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <vector>

#include <cstdint>
#include <map>
#include <string>

namespace dg {

// Architecture hyper-parameters, stored in every checkpoint so it can be rebuilt.
struct NetConfig
{
    std::string arch;       // "unet", "mlp-score", "encoder", "disc-head", "mlp-disc"
    int64_t channels = 32;  // base width (conv nets) or hidden width (MLPs)
    int64_t inChannels = 1; // image channels, or point dimension for MLPs
    int64_t numClasses = 0; // > 0: class-conditional (label embedding added to the noise embedding)
    bool attention = true;  // self-attention at the lowest U-Net resolution

    std::map<std::string, int64_t> toMap() const;
    static NetConfig fromMap(const std::string& arch, const std::map<std::string, int64_t>& values);
};

constexpr double kSigmaData = 0.5; // EDM σ_data for data in [-1, 1]

// Sinusoidal embedding of EDM's c_noise = ln(σ)/4 (Vaswani et al. 2017 frequencies): [cos, sin](ln σ · freqs), with
// the frequencies of noiseFrequencies(dim) ([1, dim/2], c_noise's 1/4 and a ×10 spread folded in).
at::Tensor noiseFrequencies(int64_t dim, const at::TensorOptions& options);
at::Tensor noiseEmbedding(const at::Tensor& sigma, const at::Tensor& freqs);

// GroupNorm–SiLU–conv twice with the noise embedding added in between (Ho et al. 2020 / EDM DDPM++ style).
class ResBlockImpl : public torch::nn::Module
{
public:
    ResBlockImpl(int64_t in, int64_t out, int64_t emb);
    at::Tensor forward(const at::Tensor& x, const at::Tensor& emb);

private:
    torch::nn::GroupNorm m_norm1{nullptr}, m_norm2{nullptr};
    torch::nn::Conv2d m_conv1{nullptr}, m_conv2{nullptr}, m_skip{nullptr};
    torch::nn::Linear m_emb{nullptr};
};
TORCH_MODULE(ResBlock);

// Single-head self-attention over spatial positions.
class AttentionImpl : public torch::nn::Module
{
public:
    explicit AttentionImpl(int64_t channels);
    at::Tensor forward(const at::Tensor& x);

private:
    torch::nn::GroupNorm m_norm{nullptr};
    torch::nn::Conv2d m_qkv{nullptr}, m_out{nullptr};
};
TORCH_MODULE(Attention);

// Noise (and optional class) embedding shared by the networks below.
class EmbeddingImpl : public torch::nn::Module
{
public:
    EmbeddingImpl(int64_t dim, int64_t numClasses);
    at::Tensor forward(const at::Tensor& sigma, const at::Tensor& labels);
    int64_t dim() const { return m_dim; }

private:
    at::Tensor embedSigma(const at::Tensor& sigma);

    int64_t m_dim;
    at::Tensor m_freqs; // not a parameter or buffer: derived from m_dim
    // Inference with one σ per batch: the last few σ's embeddings (a Heun step's second σ is the next step's first).
    struct Cached
    {
        double sigma;
        at::Tensor embedding;
    };
    std::mutex m_cacheMutex;
    std::vector<Cached> m_cache;
    torch::nn::Linear m_fc1{nullptr}, m_fc2{nullptr};
    torch::nn::Embedding m_classes{nullptr};
};
TORCH_MODULE(Embedding);

// Raw network F of EDM's preconditioned denoiser D = c_skip·x + c_out·F(c_in·x; c_noise).
class ScoreNetImpl : public torch::nn::Module
{
public:
    virtual at::Tensor raw(const at::Tensor& xIn, const at::Tensor& sigma, const at::Tensor& labels) = 0;
    // EDM preconditioning (Karras et al. 2022, Table 1).
    at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma, const at::Tensor& labels);
};

// A small U-Net on 28×28 images (padded to 32×32 inside): 32→16→8 with attention at 8×8.
class UNetImpl : public ScoreNetImpl
{
public:
    explicit UNetImpl(const NetConfig& config);
    at::Tensor raw(const at::Tensor& xIn, const at::Tensor& sigma, const at::Tensor& labels) override;

private:
    Embedding m_embed{nullptr};
    torch::nn::Conv2d m_in{nullptr}, m_down0{nullptr}, m_down1{nullptr}, m_up1{nullptr}, m_up0{nullptr};
    torch::nn::Conv2d m_out{nullptr};
    ResBlock m_enc0{nullptr}, m_enc1{nullptr}, m_enc2{nullptr}, m_mid0{nullptr}, m_mid1{nullptr};
    ResBlock m_dec2{nullptr}, m_dec1{nullptr}, m_dec0{nullptr};
    Attention m_attn{nullptr};
    torch::nn::GroupNorm m_outNorm{nullptr};
};

// An MLP score network for 2-D points.
class MlpScoreImpl : public ScoreNetImpl
{
public:
    explicit MlpScoreImpl(const NetConfig& config);
    at::Tensor raw(const at::Tensor& xIn, const at::Tensor& sigma, const at::Tensor& labels) override;

private:
    Embedding m_embed{nullptr};
    torch::nn::Linear m_in{nullptr}, m_h1{nullptr}, m_h2{nullptr}, m_out{nullptr};
};

// Noise-aware image encoder (the classifier's trunk, later frozen as the discriminator's feature extractor):
// x/√(σ_data² + σ²) → features [N, 2C, 8, 8].
class EncoderImpl : public torch::nn::Module
{
public:
    explicit EncoderImpl(const NetConfig& config);
    at::Tensor forward(const at::Tensor& x, const at::Tensor& sigma);
    int64_t featureChannels() const { return m_featureChannels; }

private:
    int64_t m_featureChannels;
    Embedding m_embed{nullptr};
    torch::nn::Conv2d m_in{nullptr}, m_down0{nullptr}, m_down1{nullptr};
    ResBlock m_b0{nullptr}, m_b1{nullptr}, m_b2{nullptr};
};
TORCH_MODULE(Encoder);

// Pooled features → class logits (used to pre-train the encoder on labels; its features give dg eval's FD-cls column).
class ClassifierHeadImpl : public torch::nn::Module
{
public:
    ClassifierHeadImpl(int64_t featureChannels, int64_t numClasses);
    at::Tensor pooled(const at::Tensor& features); // [N, F]
    at::Tensor forward(const at::Tensor& features);

private:
    torch::nn::GroupNorm m_norm{nullptr};
    torch::nn::Linear m_fc{nullptr};
};
TORCH_MODULE(ClassifierHead);

// Trainable discriminator head on frozen encoder features (Kim et al. 2023: frozen classifier + small head).
class DiscHeadImpl : public torch::nn::Module
{
public:
    DiscHeadImpl(const NetConfig& config, int64_t featureChannels);
    at::Tensor forward(const at::Tensor& features, const at::Tensor& sigma, const at::Tensor& labels); // [N] logits

private:
    Embedding m_embed{nullptr};
    ResBlock m_block{nullptr};
    torch::nn::GroupNorm m_norm{nullptr};
    torch::nn::Linear m_fc{nullptr};
};
TORCH_MODULE(DiscHead);

// MLP discriminator for 2-D points: logit(x, σ).
class MlpDiscImpl : public torch::nn::Module
{
public:
    explicit MlpDiscImpl(const NetConfig& config);
    at::Tensor forward(const at::Tensor& x, const at::Tensor& sigma, const at::Tensor& labels);
    // forward() and ∇ₓ of its logits, by a hand-written backward pass (no autograd graph): what guidance needs.
    std::pair<at::Tensor, at::Tensor> forwardWithInputGradient(const at::Tensor& x, const at::Tensor& sigma,
                                                               const at::Tensor& labels);

private:
    Embedding m_embed{nullptr};
    torch::nn::Linear m_in{nullptr}, m_h1{nullptr}, m_h2{nullptr}, m_out{nullptr};
};
TORCH_MODULE(MlpDisc);

std::shared_ptr<ScoreNetImpl> makeScoreNet(const NetConfig& config);
int64_t parameterCount(const torch::nn::Module& module);

} // namespace dg
