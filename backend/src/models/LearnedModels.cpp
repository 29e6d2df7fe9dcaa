#include "models/LearnedModels.h"

#include "dg/Error.h"

#include <sstream>

namespace dg {
namespace {

std::string describe(const CheckpointMeta& m, const char* what)
{
    std::ostringstream s;
    s << what << " for " << m.dataset << " (" << m.net.arch << ", " << m.iterations << " iterations";
    if (std::isfinite(m.accuracy)) s << ", held-out accuracy " << m.accuracy;
    s << ")";
    return s.str();
}

at::Tensor labelsOrEmpty(const std::optional<at::Tensor>& labels)
{
    return labels ? *labels : at::Tensor();
}

} // namespace

std::vector<int64_t> datasetSampleShape(const std::string& dataset)
{
    if (dataset == "fmnist") return {1, 28, 28};
    return {2};
}

ModelInfo learnedModelInfo(const CheckpointMeta& meta, const std::string& spec, ModelRole role,
                           const std::string& description)
{
    ModelInfo info;
    info.spec = spec;
    info.role = role;
    info.description = description;
    info.sampleShape = datasetSampleShape(meta.dataset);
    info.classConditional = meta.net.numClasses > 0;
    info.numClasses = meta.net.numClasses;
    info.dataset = meta.dataset.rfind("toy:", 0) == 0 ? meta.dataset.substr(4) : meta.dataset;
    return info;
}

ScoreNetDenoiser::ScoreNetDenoiser(const std::string& path, const c10::Device& device, const std::string& spec)
    : m_meta(readCheckpointMeta(path))
{
    if (m_meta.kind != "score")
        throw Error("denoiser '" + spec + "': checkpoint holds a " + m_meta.kind + " model, not a score network");
    m_net = makeScoreNet(m_meta.net);
    loadCheckpoint(path, {{"ema", m_net.get()}});
    m_net->to(device);
    m_net->eval();
    for (auto& p : m_net->parameters())
        p.set_requires_grad(false);
    m_info = learnedModelInfo(m_meta, spec, ModelRole::Denoiser, describe(m_meta, "EDM score network"));
}

at::Tensor ScoreNetDenoiser::denoise(const at::Tensor& x, const at::Tensor& sigma,
                                     const std::optional<at::Tensor>& classLabels) const
{
    return m_net->denoise(x, sigma, labelsOrEmpty(classLabels));
}

LearnedDiscriminator::LearnedDiscriminator(const std::string& path, const c10::Device& device, const std::string& spec)
    : m_meta(readCheckpointMeta(path))
{
    if (m_meta.kind != "disc")
        throw Error("discriminator '" + spec + "': checkpoint holds a " + m_meta.kind + " model, not a discriminator");
    if (m_meta.net.arch == "mlp-disc") {
        m_mlp = MlpDisc(m_meta.net);
        loadCheckpoint(path, {{"head", m_mlp.ptr().get()}});
        m_mlp->to(device);
        m_mlp->eval();
    } else {
        m_encoder = Encoder(m_meta.encoder);
        m_head = DiscHead(m_meta.net, m_encoder->featureChannels());
        loadCheckpoint(path, {{"encoder", m_encoder.ptr().get()}, {"head", m_head.ptr().get()}});
        m_encoder->to(device);
        m_head->to(device);
        m_encoder->eval();
        m_head->eval();
    }
    // Inference only: guidance differentiates with respect to x, never the weights (and export needs constants).
    std::vector<at::Tensor> weights;
    if (m_mlp) weights = m_mlp->parameters();
    if (m_encoder) weights = m_encoder->parameters();
    if (m_head)
        for (const auto& p : m_head->parameters())
            weights.push_back(p);
    for (auto& p : weights)
        p.set_requires_grad(false);
    m_info = learnedModelInfo(m_meta, spec, ModelRole::Discriminator, describe(m_meta, "discriminator"));
}

at::Tensor LearnedDiscriminator::logit(const at::Tensor& x, const at::Tensor& sigma,
                                       const std::optional<at::Tensor>& classLabels) const
{
    if (m_mlp) return m_mlp.ptr()->forward(x, sigma, labelsOrEmpty(classLabels));
    return m_head.ptr()->forward(m_encoder.ptr()->forward(x, sigma), sigma, labelsOrEmpty(classLabels));
}

LogitGradient LearnedDiscriminator::logitWithGradient(const at::Tensor& x, const at::Tensor& sigma,
                                                      const std::optional<at::Tensor>& classLabels) const
{
    if (!m_mlp) return Discriminator::logitWithGradient(x, sigma, classLabels);
    auto [logit, grad] = m_mlp.ptr()->forwardWithInputGradient(x, sigma, labelsOrEmpty(classLabels));
    return {logit, grad};
}

} // namespace dg
