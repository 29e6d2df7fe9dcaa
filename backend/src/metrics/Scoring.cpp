#include "dg/Tuning.h"

#include "dg/Device.h"
#include "dg/Distributed.h"
#include "dg/Error.h"
#include "dg/MetricTable.h"
#include "dg/Models.h"
#include "dg/SafeFile.h"
#include "dg/SampleCache.h"
#include "dg/Sampling.h"
#include "dg/TensorFile.h"
#include "dg/Toys.h"
#include "dg/Version.h"
#include "metrics/ScoreFile.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>

namespace dg {
namespace {

std::string judgePath(const ScoringSettings& s)
{
    return s.judge.empty() ? modelsFolder() + "/fmnist-judge.pt" : s.judge;
}

std::string classifierPath(const ScoringSettings& s)
{
    if (s.classifier == "none") return {};
    return s.classifier.empty() ? modelsFolder() + "/fmnist-classifier.pt" : s.classifier;
}

void writeScore(const std::string& path, const SampleScore& s)
{
    const std::string text = encodeScore(s);
    writeFileAtomically(path, std::vector<char>(text.begin(), text.end()));
}

std::optional<SampleScore> readScore(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return decodeScore(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
}

// A set's score in the metric table's order (dg/MetricTable.h): every column of the space's metrics, the primary's
// bootstrap s.d. beside it when there are rounds. primaryHeader replaces the primary's header when given.
SampleScore tableScore(MetricSpace space, const std::vector<std::string>& names, const std::vector<double>& values,
                       std::vector<double> bootstrap, double spread, int rounds, const std::string& primaryHeader)
{
    const auto valueOf = [&](const std::string& name) {
        for (size_t i = 0; i < names.size(); ++i)
            if (names[i] == name) return values[i];
        return std::nan("");
    };
    SampleScore out;
    out.header.assign(1, '|');
    auto add = [&](const std::string& name, const std::string& header, double v, int digits) {
        out.names.push_back(name);
        out.values.push_back(v);
        out.cells.push_back(fixedDigits(v, digits));
        out.header += " " + header + " |";
    };
    for (const auto& m : metricTable()) {
        if (!(m.spaces & space)) continue;
        for (const auto& col : m.columns) {
            const bool primary = m.bootstrap && &col == &m.columns.front();
            add(col.name, primary && !primaryHeader.empty() ? primaryHeader : col.header, valueOf(col.name),
                col.digits);
            if (primary) out.primary = valueOf(col.name);
            if (primary && rounds > 0) // "FD s.d. (200 bootstraps)": the header's first word names the metric
                add(col.name + "_sd",
                    col.header.substr(0, col.header.find(' ')) + " s.d. (" + std::to_string(rounds) + " bootstraps)",
                    spread, col.digits);
        }
    }
    out.bootstrap = std::move(bootstrap);
    return out;
}

// Time left from the rate of the batches sampled here (those read from a cache cost nothing).
class Eta
{
public:
    double operator()(int64_t done, int64_t total, bool sampled)
    {
        if (sampled) m_fresh += done - m_last;
        m_last = done;
        const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
        return m_fresh > 0 ? (total - done) * sec / m_fresh : 0.0;
    }

private:
    const std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
    int64_t m_fresh = 0, m_last = 0;
};

} // namespace

std::string fixedDigits(double v, int digits)
{
    if (std::isnan(v)) return "-";
    std::ostringstream s;
    s.setf(std::ios::fixed);
    s.precision(digits);
    s << v;
    return s.str();
}

double column(const SampleScore& score, const std::string& name)
{
    for (size_t i = 0; i < score.names.size(); ++i)
        if (score.names[i] == name) return score.values[i];
    return std::nan("");
}

SampleScorer::SampleScorer(ScoringSettings settings, const CancelToken* cancel)
    : m_settings(std::move(settings)), m_cancel(cancel)
{
}

SampleScorer::~SampleScorer() = default;

// The toy a set of points belongs to: the settings', else the denoiser's data set.
std::string SampleScorer::toyFor(const SampleRequest* request)
{
    if (!m_toy.empty()) return m_toy;
    std::string toy = m_settings.toy;
    if (toy.empty() && request) {
        initRuntime();
        toy = modelInfo(*loadDenoiser(request->denoiser, Device::Cpu)).dataset;
    }
    if (!isToy(toy)) throw Error("toy: 2-D samples need the toy they should match (ring8 or moons)");
    return m_toy = toy;
}

SampleScore SampleScorer::score(const HostTensor& samples, const SampleRequest* request)
{
    SampleScore out;
    const int rounds = m_settings.bootstrapRounds;
    if (rounds > 0 && !m_settings.reference.empty())
        throw Error("‹bootstrap›: not with ‹reference› (one FD against the reference images)");
    if (rounds > 0 && samples.batch() < kMinBootstrapSamples) // a band over 1 or 2 points would be a zero-width lie
        throw Error("‹bootstrap›: " + std::to_string(samples.batch()) +
                    " samples are too few for a bootstrap band (at least " + std::to_string(kMinBootstrapSamples) +
                    ", or ‹bootstrap› 0)");
    if (samples.isPoints2d()) {
        if (!m_settings.reference.empty() || !m_settings.judge.empty())
            throw Error(std::string(m_settings.reference.empty() ? "‹judge›" : "‹reference›") +
                        ": scores images; 2-D toy samples are scored against their toy's own mixture (SW2, NLL)");
        const auto m = evaluateToy(toyFor(request), samples, rounds);
        out = tableScore(kToySpace, m.names, m.values, m.swBootstrap, m.swSpread, rounds, {});
    } else if (!m_settings.reference.empty()) {
        if (m_settings.judge.empty())
            throw Error("‹reference›: give ‹judge›, a TorchScript feature network (forward(x) returning [N, F])");
        if (!m_reference) m_reference = loadTensorFile(m_settings.reference);
        const auto m = evaluateAgainstReference(samples, *m_reference, m_settings.judge,
                                                request ? request->device : m_settings.device, m_cancel);
        out = tableScore(kReferenceSpace, m.names, m.values, {}, m.fdSpread, 0,
                         "FD (" + m_settings.judge + " vs " + std::to_string(m.references) + " references)");
    } else {
        FashionMnistEvaluator::checkSamples(samples); // before the judge and the test set are loaded
        const auto m = evaluator(request).evaluate(samples, rounds);
        out = tableScore(kFashionMnistSpace, m.names, m.values, m.fdBootstrap, m.fdSpread, rounds, {});
    }
    m_header = out.header;
    return out;
}

FashionMnistEvaluator& SampleScorer::evaluator(const SampleRequest* request)
{
    if (!m_evaluator)
        m_evaluator = std::make_unique<FashionMnistEvaluator>(judgePath(m_settings), classifierPath(m_settings),
                                                              request ? request->device : m_settings.device, m_cancel,
                                                              m_settings.job.get());
    return *m_evaluator;
}

std::vector<ImageMetrics> SampleScorer::scorePerClass(const HostTensor& samples, const std::vector<int64_t>& labels,
                                                      const SampleRequest* request)
{
    if (!m_settings.reference.empty())
        throw Error("‹per-class›: scores against Fashion-MNIST's test set; not with ‹reference›");
    FashionMnistEvaluator::checkSamples(samples);
    return evaluator(request).evaluatePerClass(samples, labels);
}

std::optional<SampleScorer::RealFloor> SampleScorer::realFloor(int64_t count, int64_t blocks)
{
    if (!m_settings.reference.empty() || count < 10 || blocks < 1 || count * blocks > 60000) return std::nullopt;
    if (m_floor && m_floor->count == count && m_floor->blocks == blocks) return m_floor;
    std::vector<double> fds;
    for (int64_t b = 0; b < blocks; ++b)
        fds.push_back(evaluator(nullptr).evaluate(fashionMnistTrainingBlock(b * count, count, 0)).fd);
    RealFloor f;
    f.blocks = blocks;
    f.count = count;
    for (double v : fds)
        f.fd += v / double(blocks);
    for (double v : fds)
        f.sd += (v - f.fd) * (v - f.fd) / double(std::max<int64_t>(1, blocks - 1));
    f.sd = std::sqrt(f.sd);
    m_floor = f;
    return f;
}

// What a score depends on besides the samples: the metric's files and settings, the program's version and its
// intra-op threads.
std::string SampleScorer::key(bool points, const SampleRequest* request)
{
    std::string k = std::string("v") + codeVersion() + " threads " + std::to_string(intraOpThreads());
    if (points) return k + " toy " + toyFor(request) + " bootstrap " + std::to_string(m_settings.bootstrapRounds);
    if (!m_settings.reference.empty())
        return k + " judge " + fileHash(m_settings.judge) + " reference " + fileHash(m_settings.reference);
    const std::string classifier = classifierPath(m_settings);
    return k + " judge " + fileHash(judgePath(m_settings)) + " classifier " +
           (classifier.empty() ? "none" : fileHash(classifier)) + " bootstrap " +
           std::to_string(m_settings.bootstrapRounds);
}

namespace {

// The set's samples, through the cache when there is one, each rank of a job drawing its share (spreadSampling).
HostTensor sampleThroughCache(SampleCache* cache, const LoadedRequest& loaded, const SampleRequest& r,
                              const ScoringSettings& settings, const std::string& label, const SampleProgress& progress,
                              const ScoreLog& log, const CancelToken* cancel)
{
    Eta eta;
    int64_t sampledBefore = 0;
    const int64_t batch = resolveBatchSize(settings.batch, loaded.sampleShape, loaded.device);
    auto out = spreadSampling(
        settings.job.get(), sampleCount(loaded, r), batch,
        [&](int64_t first, int64_t n, const std::function<void(int64_t)>& batchDone) {
            const auto [partLoaded, part] = requestPart(loaded, r, first, n);
            const auto done = [&](int64_t d, int64_t) { batchDone(d); };
            return cache ? cache->sample(partLoaded, part, batch, done, cancel)
                         : sampleInBatches(partLoaded, part, batch, done, cancel);
        },
        [&](int64_t done, int64_t total) {
            const bool sampled = !cache || cache->batchesSampled() > sampledBefore;
            if (cache) sampledBefore = cache->batchesSampled();
            if (progress) progress(label, done, total, eta(done, total, sampled));
        });
    if (log && cache) {
        std::string line = label + ": " + std::to_string(cache->batchesRead()) + " batches read from the cache " +
                           cache->folder() + ", " + std::to_string(cache->batchesSampled()) + " sampled";
        if (cache->batchesReplaced() > 0)
            line += " (" + std::to_string(cache->batchesReplaced()) + " unreadable ones sampled again)";
        if (cache->batchesUnsealed() > 0)
            line += "; warning: " + std::to_string(cache->batchesUnsealed()) +
                    " cached batches did not match their checksum or key (edited or copied in?) and were sampled again";
        if (settings.job) line += " on this rank";
        log(line);
    }
    return out;
}

} // namespace

HostTensor SampleScorer::sample(const SampleRequest& r, const std::string& label, const SampleProgress& progress,
                                const ScoreLog& log)
{
    std::optional<SampleCache> cache;
    if (!m_settings.cacheFolder.empty()) cache.emplace(m_settings.cacheFolder);
    return sampleThroughCache(cache ? &*cache : nullptr, loadRequest(r), r, m_settings, label, progress, log, m_cancel);
}

SampleScore SampleScorer::sampleAndScore(const SampleRequest& r, const std::string& label,
                                         const SampleProgress& progress, const ScoreLog& log)
{
    if (m_settings.cacheFolder.empty()) {
        const auto samples = sample(r, label, progress, log);
        if (progress) progress(label, samples.batch(), samples.batch(), kScoringStage);
        return score(samples, &r);
    }
    SampleCache cache(m_settings.cacheFolder);
    const auto loaded = loadRequest(r);
    const bool points = loaded.sampleShape == std::vector<int64_t>{2};
    const int64_t count = loaded.noise ? loaded.noise->batch() : r.settings.count;
    const std::string file = cache.folder() + "/" + SampleCache::key(loaded, r) + "-" +
                             std::to_string(r.settings.firstSample) + "-" + std::to_string(count) + "-score-" +
                             textHash(key(points, &r)) + ".json";
    const std::string scoreKey = SampleCache::key(loaded, r) + " " + key(points, &r);
    const auto seal = checkCacheSeal(file, scoreKey);
    if (seal == CacheSeal::Broken && log)
        log(label + ": warning: the cached score " + file +
            " does not match its checksum or key (edited or copied in?); scoring again");
    if (auto cached = seal == CacheSeal::Valid ? readScore(file) : std::nullopt) {
        if (log) log(label + ": score read from the cache " + cache.folder());
        m_header = cached->header;
        if (progress) progress(label, count, count, 0.0);
        return *cached;
    }
    const auto samples = sampleThroughCache(&cache, loaded, r, m_settings, label, progress, log, m_cancel);
    if (progress) progress(label, count, count, kScoringStage);
    SampleScore s = score(samples, &r);
    if (!m_settings.job || m_settings.job->isMain()) {
        writeScore(file, s);
        sealCacheFile(file, scoreKey);
    }
    return s;
}

std::string SampleScorer::rule(int extraColumns) const
{
    std::string r = "|";
    const auto columns = std::count(m_header.begin(), m_header.end(), '|') - 1 + extraColumns;
    for (int i = 0; i < columns; ++i)
        r += "---:|";
    return r;
}

} // namespace dg
