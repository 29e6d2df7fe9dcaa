#include "models/Networks.h"

#include "dg/Error.h"
#include "models/Denoiser.h"

#include <c10/core/InferenceMode.h>

#include <cmath>
#include <optional>

namespace dg {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride = 1)
{
    return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2));
}

nn::GroupNorm groupNorm(int64_t channels)
{
    return nn::GroupNorm(nn::GroupNormOptions(std::min<int64_t>(8, channels), channels));
}

// One σ for the batch (see isUniformSigma): σ-only terms are computed for one row and broadcast.
at::Tensor distinctSigmas(const at::Tensor& sigma)
{
    return isUniformSigma(sigma) ? sigma.narrow(0, 0, 1) : sigma;
}

// The sampler's one σ as a number when it lives on the CPU (reading it there costs nothing; on a GPU it would wait).
std::optional<double> uniformSigmaOnCpu(const at::Tensor& sigma)
{
    if (!isUniformSigma(sigma) || !sigma.is_cpu()) return std::nullopt;
    return sigma.select(0, 0).item<double>();
}

// SiLU and its derivative σ(a)·(1 + a·(1 − σ(a))) = σ(a) + h·(1 − σ(a)), for hand-written backward passes.
at::Tensor siluWithSlope(const at::Tensor& a, at::Tensor& slope)
{
    const auto sg = at::sigmoid(a);
    auto h = a * sg;
    slope = h * (1.0 - sg) + sg;
    return h;
}

at::Tensor upsample2(const at::Tensor& x)
{
    return x.repeat_interleave(2, 2).repeat_interleave(2, 3);
}

void zeroInit(nn::Conv2d& c)
{
    c->weight.data().zero_();
    c->bias.data().zero_();
}

} // namespace

std::map<std::string, int64_t> NetConfig::toMap() const
{
    return {{"channels", channels}, {"in_channels", inChannels}, {"num_classes", numClasses}, {"attention", attention}};
}

NetConfig NetConfig::fromMap(const std::string& arch, const std::map<std::string, int64_t>& v)
{
    NetConfig c;
    c.arch = arch;
    auto get = [&](const char* key, int64_t fallback) {
        const auto it = v.find(key);
        return it == v.end() ? fallback : it->second;
    };
    c.channels = get("channels", c.channels);
    c.inChannels = get("in_channels", c.inChannels);
    c.numClasses = get("num_classes", c.numClasses);
    c.attention = get("attention", c.attention) != 0;
    return c;
}

at::Tensor noiseFrequencies(int64_t dim, const at::TensorOptions& options)
{
    const int64_t half = dim / 2;
    // c_noise is O(1); the ×10 spread lets the lowest frequencies still vary across the σ range
    return (at::exp(at::arange(half, options) * (-std::log(10000.0) / half)) * (10.0 * 0.25)).reshape({1, -1});
}

at::Tensor noiseEmbedding(const at::Tensor& sigma, const at::Tensor& freqs)
{
    // The frequencies are kept on the CPU; on another device they are made there (no host-to-device copy per call).
    const bool here = freqs.device() == sigma.device() && freqs.scalar_type() == sigma.scalar_type();
    const auto f = here ? freqs : noiseFrequencies(2 * freqs.size(1), sigma.options());
    const auto args = sigma.log().reshape({-1, 1}) * f;
    return at::cat({args.cos(), args.sin()}, 1);
}

ResBlockImpl::ResBlockImpl(int64_t in, int64_t out, int64_t emb)
{
    m_norm1 = register_module("norm1", groupNorm(in));
    m_conv1 = register_module("conv1", conv(in, out, 3));
    m_emb = register_module("emb", nn::Linear(emb, out));
    m_norm2 = register_module("norm2", groupNorm(out));
    m_conv2 = register_module("conv2", conv(out, out, 3));
    zeroInit(m_conv2);
    if (in != out) m_skip = register_module("skip", conv(in, out, 1));
}

at::Tensor ResBlockImpl::forward(const at::Tensor& x, const at::Tensor& emb)
{
    auto h = m_conv1(at::silu(m_norm1(x)));
    h = h + m_emb(at::silu(emb)).unsqueeze(-1).unsqueeze(-1);
    h = m_conv2(at::silu(m_norm2(h)));
    return (m_skip ? m_skip(x) : x) + h;
}

AttentionImpl::AttentionImpl(int64_t channels)
{
    m_norm = register_module("norm", groupNorm(channels));
    m_qkv = register_module("qkv", conv(channels, 3 * channels, 1));
    m_out = register_module("out", conv(channels, channels, 1));
    zeroInit(m_out);
}

at::Tensor AttentionImpl::forward(const at::Tensor& x)
{
    // The batch dimension stays −1 so a traced graph (dg export) works at every batch size.
    const int64_t c = x.size(1), hw = x.size(2) * x.size(3);
    const auto qkv = m_qkv(m_norm(x)).reshape({-1, 3, c, hw});
    const auto q = qkv.select(1, 0), k = qkv.select(1, 1), v = qkv.select(1, 2);
    const auto weights = at::softmax(at::bmm(q.transpose(1, 2), k) / std::sqrt(double(c)), -1); // [n, hw, hw]
    const auto h = at::bmm(v, weights.transpose(1, 2)).reshape({-1, c, x.size(2), x.size(3)});
    return x + m_out(h);
}

EmbeddingImpl::EmbeddingImpl(int64_t dim, int64_t numClasses) : m_dim(dim), m_freqs(noiseFrequencies(dim, at::kFloat))
{
    m_fc1 = register_module("fc1", nn::Linear(dim, dim));
    m_fc2 = register_module("fc2", nn::Linear(dim, dim));
    if (numClasses > 0) m_classes = register_module("classes", nn::Embedding(numClasses, dim));
}

at::Tensor EmbeddingImpl::embedSigma(const at::Tensor& sigma)
{
    const auto compute = [&](const at::Tensor& s) { return m_fc2(at::silu(m_fc1(noiseEmbedding(s, m_freqs)))); };
    // Frozen weights (a loaded model; never one in training) and one σ on the CPU: reuse the embedding of a σ seen
    // in the last four calls.
    const auto v = uniformSigmaOnCpu(sigma);
    if (!v || is_training() || m_fc1->weight.requires_grad()) return compute(distinctSigmas(sigma));
    std::lock_guard lock(m_cacheMutex);
    for (const auto& c : m_cache)
        if (c.sigma == *v && c.embedding.scalar_type() == sigma.scalar_type() &&
            c.embedding.is_inference() == c10::InferenceMode::is_enabled()) // inference tensors stay in inference
            return c.embedding;
    c10::NoGradGuard noGrad;
    auto e = compute(sigma.narrow(0, 0, 1));
    if (m_cache.size() == 4) m_cache.erase(m_cache.begin());
    m_cache.push_back({*v, e});
    return e;
}

at::Tensor EmbeddingImpl::forward(const at::Tensor& sigma, const at::Tensor& labels)
{
    auto e = embedSigma(sigma); // [1, dim] for one σ
    if (m_classes) {
        if (!labels.defined()) throw Error("this network is class-conditional: class labels are required");
        e = e + m_classes(labels);
    }
    return e;
}

at::Tensor ScoreNetImpl::denoise(const at::Tensor& x, const at::Tensor& sigma, const at::Tensor& labels)
{
    const double sd2 = kSigmaData * kSigmaData;
    if (const auto v = uniformSigmaOnCpu(sigma)) { // EDM preconditioning as three numbers
        const double norm = std::sqrt(*v * *v + sd2);
        return x * (sd2 / (*v * *v + sd2)) + raw(x * (1.0 / norm), sigma, labels) * (*v * kSigmaData / norm);
    }
    std::vector<int64_t> shape(x.dim(), 1);
    shape[0] = -1;
    const auto s = sigma.reshape(shape);
    const auto cSkip = sd2 / (s * s + sd2);
    const auto cOut = s * kSigmaData / (s * s + sd2).sqrt();
    const auto cIn = 1.0 / (s * s + sd2).sqrt();
    return cSkip * x + cOut * raw(cIn * x, sigma, labels);
}

UNetImpl::UNetImpl(const NetConfig& c)
{
    const int64_t ch = c.channels, ch2 = 2 * c.channels, emb = 4 * c.channels;
    m_embed = register_module("embed", Embedding(emb, c.numClasses));
    m_in = register_module("stem", conv(c.inChannels, ch, 3));
    m_enc0 = register_module("enc0", ResBlock(ch, ch, emb));
    m_down0 = register_module("down0", conv(ch, ch2, 3, 2));
    m_enc1 = register_module("enc1", ResBlock(ch2, ch2, emb));
    m_down1 = register_module("down1", conv(ch2, ch2, 3, 2));
    m_enc2 = register_module("enc2", ResBlock(ch2, ch2, emb));
    m_mid0 = register_module("mid0", ResBlock(ch2, ch2, emb));
    if (c.attention) m_attn = register_module("attn", Attention(ch2));
    m_mid1 = register_module("mid1", ResBlock(ch2, ch2, emb));
    m_dec2 = register_module("dec2", ResBlock(2 * ch2, ch2, emb));
    m_up1 = register_module("up1", conv(ch2, ch2, 3));
    m_dec1 = register_module("dec1", ResBlock(2 * ch2, ch2, emb));
    m_up0 = register_module("up0", conv(ch2, ch, 3));
    m_dec0 = register_module("dec0", ResBlock(2 * ch, ch, emb));
    m_outNorm = register_module("out_norm", groupNorm(ch));
    m_out = register_module("out", conv(ch, c.inChannels, 3));
    zeroInit(m_out);
}

at::Tensor UNetImpl::raw(const at::Tensor& xIn, const at::Tensor& sigma, const at::Tensor& labels)
{
    const auto e = m_embed(sigma, labels);
    const int64_t h = xIn.size(2), w = xIn.size(3);
    const int64_t padH = (32 - h % 32) % 32, padW = (32 - w % 32) % 32; // 28 → 32
    const auto x = at::constant_pad_nd(xIn, {padW / 2, padW - padW / 2, padH / 2, padH - padH / 2}, 0.0);
    const auto h0 = m_enc0(m_in(x), e);
    const auto h1 = m_enc1(m_down0(h0), e);
    const auto h2 = m_enc2(m_down1(h1), e);
    auto m = m_mid0(h2, e);
    if (m_attn) m = m_attn(m);
    m = m_mid1(m, e);
    auto u = m_dec2(at::cat({m, h2}, 1), e);
    u = m_dec1(at::cat({m_up1(upsample2(u)), h1}, 1), e);
    u = m_dec0(at::cat({m_up0(upsample2(u)), h0}, 1), e);
    const auto out = m_out(at::silu(m_outNorm(u)));
    return out.slice(2, padH / 2, padH / 2 + h).slice(3, padW / 2, padW / 2 + w);
}

MlpScoreImpl::MlpScoreImpl(const NetConfig& c)
{
    const int64_t hidden = c.channels;
    m_embed = register_module("embed", Embedding(hidden, c.numClasses));
    m_in = register_module("stem", nn::Linear(c.inChannels, hidden));
    m_h1 = register_module("h1", nn::Linear(hidden, hidden));
    m_h2 = register_module("h2", nn::Linear(hidden, hidden));
    m_out = register_module("out", nn::Linear(hidden, c.inChannels));
    m_out->weight.data().zero_();
    m_out->bias.data().zero_();
}

at::Tensor MlpScoreImpl::raw(const at::Tensor& xIn, const at::Tensor& sigma, const at::Tensor& labels)
{
    auto h = at::silu(m_in(xIn) + m_embed(sigma, labels));
    h = at::silu(m_h1(h));
    h = at::silu(m_h2(h));
    return m_out(h);
}

EncoderImpl::EncoderImpl(const NetConfig& c) : m_featureChannels(2 * c.channels)
{
    const int64_t ch = c.channels, ch2 = 2 * c.channels, emb = 4 * c.channels;
    m_embed = register_module("embed", Embedding(emb, 0));
    m_in = register_module("stem", conv(c.inChannels, ch, 3));
    m_b0 = register_module("b0", ResBlock(ch, ch, emb));
    m_down0 = register_module("down0", conv(ch, ch2, 3, 2));
    m_b1 = register_module("b1", ResBlock(ch2, ch2, emb));
    m_down1 = register_module("down1", conv(ch2, ch2, 3, 2));
    m_b2 = register_module("b2", ResBlock(ch2, ch2, emb));
}

at::Tensor EncoderImpl::forward(const at::Tensor& xIn, const at::Tensor& sigma)
{
    const auto e = m_embed(sigma, at::Tensor());
    const auto s = distinctSigmas(sigma).reshape({-1, 1, 1, 1});
    const auto scaled = xIn / (s * s + kSigmaData * kSigmaData).sqrt();
    const int64_t h = xIn.size(2), w = xIn.size(3);
    const int64_t padH = (32 - h % 32) % 32, padW = (32 - w % 32) % 32;
    const auto x = at::constant_pad_nd(scaled, {padW / 2, padW - padW / 2, padH / 2, padH - padH / 2}, 0.0);
    auto f = m_b0(m_in(x), e);
    f = m_b1(m_down0(f), e);
    return m_b2(m_down1(f), e);
}

ClassifierHeadImpl::ClassifierHeadImpl(int64_t featureChannels, int64_t numClasses)
{
    m_norm = register_module("norm", groupNorm(featureChannels));
    m_fc = register_module("fc", nn::Linear(featureChannels, numClasses));
}

at::Tensor ClassifierHeadImpl::pooled(const at::Tensor& features)
{
    return at::silu(m_norm(features)).mean({2, 3});
}
at::Tensor ClassifierHeadImpl::forward(const at::Tensor& features)
{
    return m_fc(pooled(features));
}

DiscHeadImpl::DiscHeadImpl(const NetConfig& c, int64_t featureChannels)
{
    const int64_t emb = 4 * c.channels;
    m_embed = register_module("embed", Embedding(emb, c.numClasses));
    m_block = register_module("block", ResBlock(featureChannels, featureChannels, emb));
    m_norm = register_module("norm", groupNorm(featureChannels));
    m_fc = register_module("fc", nn::Linear(featureChannels, 1));
}

at::Tensor DiscHeadImpl::forward(const at::Tensor& features, const at::Tensor& sigma, const at::Tensor& labels)
{
    const auto h = m_block(features, m_embed(sigma, labels));
    return m_fc(at::silu(m_norm(h)).mean({2, 3})).reshape({-1});
}

MlpDiscImpl::MlpDiscImpl(const NetConfig& c)
{
    const int64_t hidden = c.channels;
    m_embed = register_module("embed", Embedding(hidden, c.numClasses));
    m_in = register_module("stem", nn::Linear(c.inChannels, hidden));
    m_h1 = register_module("h1", nn::Linear(hidden, hidden));
    m_h2 = register_module("h2", nn::Linear(hidden, hidden));
    m_out = register_module("out", nn::Linear(hidden, 1));
}

at::Tensor MlpDiscImpl::forward(const at::Tensor& x, const at::Tensor& sigma, const at::Tensor& labels)
{
    const auto s = distinctSigmas(sigma).reshape({-1, 1});
    auto h = at::silu(m_in(x / (s * s + kSigmaData * kSigmaData).sqrt()) + m_embed(sigma, labels));
    h = at::silu(m_h1(h));
    h = at::silu(m_h2(h));
    return m_out(h).reshape({-1});
}

std::pair<at::Tensor, at::Tensor> MlpDiscImpl::forwardWithInputGradient(const at::Tensor& x, const at::Tensor& sigma,
                                                                        const at::Tensor& labels)
{
    c10::InferenceMode inference;
    const auto s = distinctSigmas(sigma).reshape({-1, 1});
    const auto scale = (s * s + kSigmaData * kSigmaData).sqrt();
    at::Tensor d1, d2, d3;
    const auto h1 = siluWithSlope(m_in(x / scale) + m_embed(sigma, labels), d1);
    const auto h2 = siluWithSlope(m_h1(h1), d2);
    const auto h3 = siluWithSlope(m_h2(h2), d3);
    const auto logit = m_out(h3).reshape({-1});
    // Backward of the summed logits: through out, h2, h1 and the stem, each a product with the layer's weight.
    auto g = d3.mul_(m_out->weight);      // ∂/∂(h2 pre-activation) [N, H]
    g = at::mm(g, m_h2->weight).mul_(d2); // ∂/∂(h1 pre-activation)
    g = at::mm(g, m_h1->weight).mul_(d1); // ∂/∂(stem pre-activation)
    return {logit, at::mm(g, m_in->weight).div_(scale)};
}

std::shared_ptr<ScoreNetImpl> makeScoreNet(const NetConfig& config)
{
    if (config.arch == "unet") return std::make_shared<UNetImpl>(config);
    if (config.arch == "mlp-score") return std::make_shared<MlpScoreImpl>(config);
    throw Error("unknown score network architecture '" + config.arch + "'");
}

int64_t parameterCount(const torch::nn::Module& module)
{
    int64_t n = 0;
    for (const auto& p : module.parameters())
        n += p.numel();
    return n;
}

} // namespace dg
