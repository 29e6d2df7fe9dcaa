#include "dg/Evaluation.h"

#include "dg/Distributed.h"

#include "dg/Error.h"
#include "dg/Toys.h"
#include "data/FashionMnist.h"
#include "diffusion/HostConversion.h"
#include "metrics/Metrics.h"
#include "models/Checkpoint.h"
#include "models/JudgeNet.h"
#include "models/ToyModels.h"
#include "runtime/TorchDevice.h"

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
    at::Tensor realJudge;      // judge features of the 10k test images
    at::Tensor realJudgeSubset; // a fixed random 10k-or-fewer subset for precision/recall (all 10k today)
    at::Tensor realClassifier; // classifier features of the test images (undefined without a classifier)
    at::Tensor testLabels;     // [10k] int64, in the order of realJudge
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

FashionMnistEvaluator::FashionMnistEvaluator(const std::string& judgePath, const std::string& classifierPath,
                                             Device d, const CancelToken* cancel, DistributedJob* job)
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

ImageMetrics FashionMnistEvaluator::evaluate(const HostTensor& samples, int bootstrapRounds) const
{
    checkSamples(samples);
    const auto& m = *m_impl;
    const auto fakeImages = fromHost(quantize8(samples));
    const auto fake = m.judgeFeatures(fakeImages);
    ImageMetrics out;
    out.fd = frechetDistance(m.realJudge, fake);
    if (bootstrapRounds > 0) {
        // Efron's bootstrap over the generated samples and the test images alike (fixed seeds: repeatable, and
        // paired between sets of the same size), so a band covers the test set's sampling noise as well.
        auto gen = at::make_generator<at::CPUGeneratorImpl>(4242);
        auto realGen = at::make_generator<at::CPUGeneratorImpl>(4243);
        const auto longs = at::TensorOptions().dtype(at::kLong);
        std::vector<double> fds;
        for (int b = 0; b < bootstrapRounds; ++b) {
            pollCancel(m.cancel);
            const auto idx = at::randint(fake.size(0), {fake.size(0)}, gen, longs);
            const auto realIdx = at::randint(m.references, {m.references}, realGen, longs);
            fds.push_back(frechetDistance(m.realJudge.index_select(0, realIdx), fake.index_select(0, idx)));
        }
        out.fdBootstrap = fds;
        double mean = 0.0, var = 0.0;
        for (double f : fds) mean += f / static_cast<double>(fds.size());
        for (double f : fds) var += (f - mean) * (f - mean) / static_cast<double>(std::max<size_t>(1, fds.size() - 1));
        out.fdSpread = std::sqrt(var);
    }
    const int64_t n = std::min(fake.size(0), m.references);
    pollCancel(m.cancel);
    std::tie(out.precision, out.recall) = precisionRecall(m.realJudgeSubset.slice(0, 0, n), fake.slice(0, 0, n), 3);
    out.prSamples = n;
    const auto kid = kernelInceptionDistance(m.realJudgeSubset, fake);
    out.kid = kid.value;
    out.kidStandardError = kid.standardError;
    out.samples = samples.batch();
    out.references = m.references;
    if (m.encoder) out.fdClassifier = frechetDistance(m.realClassifier, m.classifierFeatures(fakeImages));
    return out;
}

std::vector<ImageMetrics> FashionMnistEvaluator::evaluatePerClass(const HostTensor& samples,
                                                                  const std::vector<int64_t>& labels) const
{
    checkSamples(samples);
    if (static_cast<int64_t>(labels.size()) != samples.batch())
        throw Error("‹per-class›: " + std::to_string(labels.size()) + " labels for " + std::to_string(samples.batch()) +
                    " samples");
    for (int64_t l : labels)
        if (l < 0 || l > 9) throw Error("‹per-class›: label " + std::to_string(l) + " is not a Fashion-MNIST class (0 … 9)");
    const auto& m = *m_impl;
    const auto fake = m.judgeFeatures(fromHost(quantize8(samples)));
    const auto fakeLabels = at::tensor(labels, at::kLong);
    std::vector<ImageMetrics> out;
    for (int64_t c = 0; c < 10; ++c) {
        pollCancel(m.cancel);
        const auto f = fake.index_select(0, fakeLabels.eq(c).nonzero().flatten());
        const auto r = m.realJudge.index_select(0, m.testLabels.eq(c).nonzero().flatten());
        ImageMetrics k;
        k.samples = f.size(0);
        k.references = r.size(0);
        if (f.size(0) >= 10) {
            k.fd = frechetDistance(r, f);
            const int64_t n = std::min(f.size(0), r.size(0));
            std::tie(k.precision, k.recall) = precisionRecall(r.slice(0, 0, n), f.slice(0, 0, n), 3);
            k.prSamples = n;
            const auto kid = kernelInceptionDistance(r, f);
            k.kid = kid.value;
            k.kidStandardError = kid.standardError;
        }
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
    if (!samples.isPoints2d()) throw Error("‹samples›: expected 2-D points [N, 2], got " + shapeToString(samples.shape));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(20231);
    const auto reference = toy->data.sample(20000, gen);
    const auto points = fromHost(samples);
    ToyMetrics m;
    m.slicedWasserstein = slicedWasserstein(points, reference, 256, 7);
    m.nll = toyDataNll(name, samples);
    if (bootstrapRounds > 0) { // Efron's bootstrap over the points, as for the images' FD (fixed seed: paired)
        auto boot = at::make_generator<at::CPUGeneratorImpl>(4242);
        const int64_t n = std::min(points.size(0), reference.size(0));
        const SlicedWassersteinReference sw(reference, n, 256, 7);
        double mean = 0.0, var = 0.0;
        for (int b = 0; b < bootstrapRounds; ++b) {
            const auto idx = at::randint(points.size(0), {n}, boot, at::TensorOptions().dtype(at::kLong));
            m.swBootstrap.push_back(sw.distance(points.index_select(0, idx)));
            mean += m.swBootstrap.back() / bootstrapRounds;
        }
        for (double v : m.swBootstrap) var += (v - mean) * (v - mean) / std::max(1, bootstrapRounds - 1);
        m.swSpread = std::sqrt(var);
    }
    return m;
}

} // namespace dg
