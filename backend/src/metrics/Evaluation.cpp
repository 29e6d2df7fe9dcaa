#include "dg/Evaluation.h"

#include "dg/Distributed.h"

#include "core/HostConversion.h"
#include "core/TorchDevice.h"
#include "data/FashionMnist.h"
#include "dg/Error.h"
#include "dg/Toys.h"
#include "metrics/MetricInputs.h"
#include "metrics/Metrics.h"
#include "models/Checkpoint.h"
#include "models/JudgeNet.h"
#include "models/ToyModels.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <optional>

namespace dg {
namespace {

constexpr int64_t kFeatureBatch = 500;

void pollCancel(const CancelToken* cancel)
{
    if (cancel) cancel->throwIfCancelled();
}

} // namespace

HostTensor quantize8(const HostTensor& samples)
{
    HostTensor out = samples;
    for (float& v : out.values) {
        // NaN stays NaN (callers reject it); ±inf clip to the grid's ends.
        if (std::isnan(v)) continue;
        const double level = std::clamp(std::floor(127.5 * static_cast<double>(v) + 128.0), 0.0, 255.0);
        v = static_cast<float>(level) / 127.5f - 1.0f;
    }
    return out;
}

struct FashionMnistEvaluator::Impl
{
    c10::Device device{c10::kCPU};
    const CancelToken* cancel = nullptr;
    mutable std::optional<JudgeNet> judge; // forward() is not const in LibTorch
    mutable std::optional<Encoder> encoder;
    mutable std::optional<ClassifierHead> head;
    at::Tensor realJudge;       // judge features of the 10k test images
    at::Tensor realJudgeSubset; // a fixed random 10k-or-fewer subset for precision/recall (all 10k today)
    at::Tensor realClassifier;  // classifier features of the test images (undefined without a classifier)
    at::Tensor testLabels;      // [10k] int64, in the order of realJudge
    int64_t references = 0;

    DistributedJob* job = nullptr;

    // features(rows) of every row, each rank of a job computing its share.
    at::Tensor spread(const at::Tensor& images, const std::function<at::Tensor(const at::Tensor&)>& features) const
    {
        if (!job) return features(images);
        const auto [begin, end] = job->shard(images.size(0), kFeatureBatch); // the single process's batches
        return fromHost(job->allGather(end > begin ? toHost(features(images.slice(0, begin, end))) : HostTensor{}));
    }

    at::Tensor judgeFeatures(const at::Tensor& images) const
    {
        return spread(images, [&](const at::Tensor& x) { return localJudgeFeatures(x); });
    }
    at::Tensor classifierFeatures(const at::Tensor& images) const
    {
        return spread(images, [&](const at::Tensor& x) { return localClassifierFeatures(x); });
    }

    at::Tensor localJudgeFeatures(const at::Tensor& images) const
    {
        c10::NoGradGuard noGrad;
        std::vector<at::Tensor> parts;
        for (int64_t i = 0; i < images.size(0); i += kFeatureBatch) {
            pollCancel(cancel);
            parts.push_back((*judge)->features(images.slice(0, i, i + kFeatureBatch).to(device)).cpu());
        }
        return at::cat(parts);
    }

    // Pooled features of the noise-aware classifier at σ = 0.002 (clean).
    at::Tensor localClassifierFeatures(const at::Tensor& images) const
    {
        c10::NoGradGuard noGrad;
        std::vector<at::Tensor> parts;
        for (int64_t i = 0; i < images.size(0); i += kFeatureBatch) {
            pollCancel(cancel);
            const auto x = images.slice(0, i, i + kFeatureBatch).to(device);
            parts.push_back((*head)->pooled((*encoder)(x, at::full({x.size(0)}, 0.002, x.options()))).cpu());
        }
        return at::cat(parts);
    }
};

FashionMnistEvaluator::FashionMnistEvaluator(const std::string& judgePath, const std::string& classifierPath, Device d,
                                             const CancelToken* cancel, DistributedJob* job)
    : m_impl(std::make_unique<Impl>())
{
    initRuntime();
    auto& m = *m_impl;
    m.job = job;
    m.device = toTorchDevice(d);
    m.cancel = cancel;
    const auto meta = readCheckpointMeta(judgePath);
    if (meta.kind != "judge")
        throw Error("‹judge›: '" + judgePath + "' holds a " + meta.kind + " model, not a judge (dg train-judge)");
    m.judge.emplace(meta.net.channels);
    loadCheckpoint(judgePath, {{"judge", m.judge->ptr().get()}});
    (*m.judge)->to(m.device);
    (*m.judge)->eval();
    if (!classifierPath.empty()) {
        const auto cmeta = readCheckpointMeta(classifierPath);
        if (cmeta.kind != "classifier")
            throw Error("‹classifier›: '" + classifierPath + "' holds a " + cmeta.kind + " model, not a classifier");
        m.encoder.emplace(cmeta.net);
        m.head.emplace((*m.encoder)->featureChannels(), 10);
        loadCheckpoint(classifierPath, {{"encoder", m.encoder->ptr().get()}, {"classifier", m.head->ptr().get()}});
        (*m.encoder)->to(m.device);
        (*m.head)->to(m.device);
        (*m.encoder)->eval();
        (*m.head)->eval();
    }
    const auto test = loadFashionMnist("test");
    m.references = test.images.size(0);
    m.testLabels = test.labels.to(at::kLong);
    m.realJudge = m.judgeFeatures(test.images);
    checkFeatures(m.realJudge, "‹judge› '" + judgePath + "' on the test images", true);
    if (m.encoder) m.realClassifier = m.classifierFeatures(test.images);
    // Precision/recall compare equal numbers: the first n samples against a fixed random order of the test images.
    auto gen = at::make_generator<at::CPUGeneratorImpl>(20230);
    m.realJudgeSubset = m.realJudge.index_select(0, at::randperm(m.references, gen, at::kLong));
}

FashionMnistEvaluator::~FashionMnistEvaluator() = default;

HostTensor fashionMnistTrainingBlock(int64_t first, int64_t count, uint64_t seed)
{
    const auto train = loadFashionMnist("train");
    const int64_t n = train.images.size(0);
    if (first < 0 || count < 1 || first + count > n)
        throw Error("real images " + std::to_string(first) + " ... " + std::to_string(first + count - 1) +
                    ": Fashion-MNIST has " + std::to_string(n) + " training images");
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto order = at::randperm(n, gen, at::kLong).slice(0, first, first + count);
    return toHost(train.images.index_select(0, order));
}

void FashionMnistEvaluator::checkSamples(const HostTensor& samples)
{
    if (samples.shape != std::vector<int64_t>{samples.batch(), 1, 28, 28})
        throw Error("‹samples›: expected Fashion-MNIST images [N, 1, 28, 28], got " + shapeToString(samples.shape));
    if (samples.batch() < 10) throw Error("‹samples›: at least 10 samples are needed for FD");
    for (float v : samples.values)
        if (std::isnan(v)) throw Error("‹samples›: the samples contain NaN");
}

double percentile(const std::vector<double>& sorted, double q)
{
    return sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5)];
}

MetricInputs FashionMnistEvaluator::inputs(const HostTensor& samples) const
{
    checkSamples(samples);
    const auto& m = *m_impl;
    const auto fakeImages = fromHost(quantize8(samples));
    MetricInputs in;
    in.space = kFashionMnistSpace;
    in.real = m.realJudge;
    in.realSubset = m.realJudgeSubset;
    in.fake = m.judgeFeatures(fakeImages);
    if (m.encoder) in.realClassifier = m.realClassifier, in.fakeClassifier = m.classifierFeatures(fakeImages);
    in.cancel = m.cancel;
    return in;
}

ImageMetrics imageMetrics(const MeasuredColumns& c, int64_t samples, int64_t references)
{
    ImageMetrics out;
    for (const auto& col : c.columns)
        out.names.push_back(col.name);
    out.values = c.values;
    out.fd = c.value("fd_judge");
    out.precision = c.value("precision");
    out.recall = c.value("recall");
    out.kid = c.value("kid");
    out.kidStandardError = c.value("kid_se");
    out.fdClassifier = c.value("fd_cls");
    out.samples = samples;
    out.references = references;
    out.prSamples = std::min<int64_t>({samples, references, 10000});
    out.fdBootstrap = c.bootstrap;
    if (!c.bootstrap.empty()) out.fdSpread = bootstrapSpread(c.bootstrap);
    return out;
}

double bootstrapSpread(const std::vector<double>& rounds)
{
    double mean = 0.0, var = 0.0;
    for (double f : rounds)
        mean += f / static_cast<double>(rounds.size());
    for (double f : rounds)
        var += (f - mean) * (f - mean) / static_cast<double>(std::max<size_t>(1, rounds.size() - 1));
    return std::sqrt(var);
}

double ImageMetrics::value(const std::string& name) const
{
    for (size_t i = 0; i < names.size(); ++i)
        if (names[i] == name) return values[i];
    return std::nan("");
}

ImageMetrics FashionMnistEvaluator::evaluate(const HostTensor& samples, int bootstrapRounds) const
{
    return imageMetrics(measure(inputs(samples), bootstrapRounds), samples.batch(), m_impl->references);
}

std::vector<ImageMetrics> FashionMnistEvaluator::evaluatePerClass(const HostTensor& samples,
                                                                  const std::vector<int64_t>& labels) const
{
    checkSamples(samples);
    if (static_cast<int64_t>(labels.size()) != samples.batch())
        throw Error("‹per-class›: " + std::to_string(labels.size()) + " labels for " + std::to_string(samples.batch()) +
                    " samples");
    for (int64_t l : labels)
        if (l < 0 || l > 9)
            throw Error("‹per-class›: label " + std::to_string(l) + " is not a Fashion-MNIST class (0 … 9)");
    const auto& m = *m_impl;
    const auto fake = m.judgeFeatures(fromHost(quantize8(samples)));
    const auto fakeLabels = at::tensor(labels, at::kLong);
    std::vector<ImageMetrics> out;
    for (int64_t c = 0; c < 10; ++c) {
        pollCancel(m.cancel);
        MetricInputs in;
        in.space = kFashionMnistSpace;
        in.fake = fake.index_select(0, fakeLabels.eq(c).nonzero().flatten());
        in.real = m.realJudge.index_select(0, m.testLabels.eq(c).nonzero().flatten());
        in.cancel = m.cancel;
        ImageMetrics k;
        if (in.fake.size(0) >= 10) k = imageMetrics(measure(in, 0, true), in.fake.size(0), in.real.size(0));
        k.samples = in.fake.size(0);
        k.references = in.real.size(0);
        out.push_back(k);
    }
    return out;
}

ImageMetrics evaluateFashionMnist(const HostTensor& samples, const std::string& judgePath,
                                  const std::string& classifierPath, Device device)
{
    return FashionMnistEvaluator(judgePath, classifierPath, device).evaluate(samples);
}

ToyMetrics evaluateToy(const std::string& name, const HostTensor& samples, int bootstrapRounds)
{
    const auto* toy = findToy(name);
    if (!toy) throw Error("unknown toy '" + name + "'");
    if (!samples.isPoints2d())
        throw Error("‹samples›: expected 2-D points [N, 2], got " + shapeToString(samples.shape));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(20231);
    MetricInputs in;
    in.space = kToySpace;
    in.data = toy->data.sample(20000, gen);
    in.points = fromHost(samples);
    in.samples = &samples;
    in.toy = name;
    const auto c = measure(in, bootstrapRounds);
    ToyMetrics m;
    for (const auto& col : c.columns)
        m.names.push_back(col.name);
    m.values = c.values;
    m.slicedWasserstein = c.value("sw2");
    m.nll = c.value("nll");
    m.swBootstrap = c.bootstrap;
    if (!c.bootstrap.empty()) m.swSpread = bootstrapSpread(c.bootstrap);
    return m;
}

} // namespace dg
