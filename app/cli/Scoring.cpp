#include "Scoring.h"

#include "Format.h"
#include "Interrupt.h"

#include "dg/Error.h"
#include "dg/Models.h"
#include "dg/Render.h"
#include "dg/SafeFile.h"
#include "dg/SampleCache.h"
#include "dg/Sampling.h"
#include "dg/Toys.h"
#include "dg/Version.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace dg::cli {
namespace {

std::string defaultClassifier() { return modelsFolder() + "/fmnist-classifier.pt"; }
std::string defaultJudge() { return modelsFolder() + "/fmnist-judge.pt"; }

std::string classifierPath(const ArgParser& a)
{
    std::string classifier = a.text("--classifier", defaultClassifier());
    return classifier == "none" ? std::string() : classifier;
}

// Which toy a set of points belongs to: --toy, else the denoiser's data set.
std::string toyFor(const ArgParser& a, const SampleRequest* r)
{
    std::string toy = a.text("--toy");
    if (toy.empty() && r) {
        initRuntime();
        const auto info = modelInfo(*loadDenoiser(r->denoiser, Device::Cpu));
        toy = info.dataset;
    }
    if (!isToy(toy)) throw UsageError("--toy: 2-D samples need the toy they should match (ring8 or moons)");
    return toy;
}

// NaN (a metric not asked for) is stored as null.
nlohmann::json number(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }
double number(const nlohmann::json& j) { return j.is_null() ? std::nan("") : j.get<double>(); }

void writeScore(const std::string& path, const Score& s)
{
    nlohmann::json j;
    j["format"] = "dg score 1";
    j["names"] = s.names;
    j["cells"] = s.cells;
    j["header"] = s.header;
    j["primary"] = number(s.primary);
    j["values"] = nlohmann::json::array();
    for (double v : s.values) j["values"].push_back(number(v));
    j["bootstrap"] = s.bootstrap;
    const std::string text = j.dump() + "\n";
    writeFileAtomically(path, std::vector<char>(text.begin(), text.end()));
}

// A cached score, or nothing when the file is missing or not one (then it is computed again and replaced).
std::optional<Score> readScore(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    try {
        const auto j = nlohmann::json::parse(in);
        if (j.at("format") != "dg score 1") return std::nullopt;
        Score s;
        s.names = j.at("names").get<std::vector<std::string>>();
        s.cells = j.at("cells").get<std::vector<std::string>>();
        s.header = j.at("header").get<std::string>();
        s.primary = number(j.at("primary"));
        for (const auto& v : j.at("values")) s.values.push_back(number(v));
        s.bootstrap = j.at("bootstrap").get<std::vector<double>>();
        if (s.names.size() != s.values.size() || s.cells.size() != s.values.size()) return std::nullopt;
        return s;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

} // namespace

std::string fixed(double v, int digits)
{
    if (std::isnan(v)) return "-";
    std::ostringstream s;
    s.setf(std::ios::fixed);
    s.precision(digits);
    s << v;
    return s.str();
}

double column(const Score& score, const std::string& name)
{
    for (size_t i = 0; i < score.names.size(); ++i)
        if (score.names[i] == name) return score.values[i];
    return std::nan("");
}

RgbImage tunePlot(const std::vector<std::pair<double, Score>>& rows, size_t best)
{
    const Rgb red{200, 50, 40}, blue{40, 90, 200}, green{30, 140, 70};
    auto series = [&](const std::string& name, const std::string& key, Rgb color) {
        PlotSeries s{name, {}, {}, {}, {}, color};
        for (const auto& [w, score] : rows) s.x.push_back(w), s.y.push_back(column(score, key));
        return s;
    };
    const double bestW = rows.at(best).first;
    const std::string bestLabel = "BEST W=" + formatNumber(bestW);
    std::vector<RgbImage> panels;
    if (std::isfinite(column(rows.front().second, "sw2"))) {
        LinePlotOptions o;
        o.xLabel = "GUIDANCE WEIGHT W";
        o.title = "SW2 (LOWER IS BETTER)";
        o.markX = bestW;
        o.markLabel = bestLabel;
        panels.push_back(renderLinePlot({series("", "sw2", red)}, o));
        o.title = "NLL (NATS)";
        o.markX = std::nan("");
        panels.push_back(renderLinePlot({series("", "nll", blue)}, o));
        return joinHorizontally(panels, 12);
    }
    LinePlotOptions o;
    o.xLabel = "GUIDANCE WEIGHT W";
    o.title = "FD (JUDGE), LOWER IS BETTER";
    o.markX = bestW;
    o.markLabel = bestLabel;
    PlotSeries fd = series("", "fd_judge", red);
    bool bands = true;
    for (const auto& [w, score] : rows) {
        const double sd = column(score, "fd_judge_sd"), v = column(score, "fd_judge");
        bands = bands && std::isfinite(sd);
        fd.lo.push_back(v - 1.645 * sd);
        fd.hi.push_back(v + 1.645 * sd);
        if (w == 0.0) o.referenceY = {v}, o.referenceLabels = {"UNGUIDED"};
    }
    if (!bands) fd.lo.clear(), fd.hi.clear();
    else fd.name = "90% BOOTSTRAP BAND";
    panels.push_back(renderLinePlot({fd}, o));
    if (std::isfinite(column(rows.front().second, "fd_change"))) {
        LinePlotOptions c;
        c.xLabel = o.xLabel;
        c.title = "CHANGE IN FD VS UNGUIDED";
        c.referenceY = {0.0};
        c.referenceLabels = {"NO CHANGE"};
        PlotSeries change = series("90% PAIRED BAND", "fd_change", red);
        for (const auto& [w, score] : rows) {
            change.lo.push_back(column(score, "fd_change_p05"));
            change.hi.push_back(column(score, "fd_change_p95"));
        }
        panels.push_back(renderLinePlot({change}, c));
    }
    LinePlotOptions pr;
    pr.xLabel = o.xLabel;
    pr.title = "PRECISION, RECALL (K=3)";
    panels.push_back(renderLinePlot({series("PRECISION", "precision", green), series("RECALL", "recall", blue)}, pr));
    return joinHorizontally(panels, 12);
}

std::string joinCells(const std::vector<std::string>& cells)
{
    std::string out;
    for (const auto& c : cells) out += (out.empty() ? "" : " | ") + c;
    return out;
}

Scorer::Scorer(const ArgParser& a, const SampleRequest* r) : m_args(a), m_request(r) {}
Scorer::~Scorer() = default;

Score Scorer::score(const HostTensor& samples)
{
    Score out;
    if (samples.isPoints2d()) {
        if (m_toy.empty()) m_toy = toyFor(m_args, m_request);
        const auto m = evaluateToy(m_toy, samples);
        out.names = {"sw2", "nll"};
        out.values = {m.slicedWasserstein, m.nll};
        out.cells = {fixed(m.slicedWasserstein, 4), fixed(m.nll, 4)};
        out.primary = m.slicedWasserstein;
        out.header = m_header = "| SW2 | NLL |";
        return out;
    }
    FashionMnistEvaluator::checkSamples(samples); // before the judge and the test set are loaded
    if (!m_evaluator)
        m_evaluator = std::make_unique<FashionMnistEvaluator>(m_args.text("--judge", defaultJudge()),
                                                              classifierPath(m_args),
                                                              m_request ? m_request->device : Device::Auto,
                                                              &interruptToken());
    const int rounds = static_cast<int>(m_args.integer("--bootstrap"));
    const auto m = m_evaluator->evaluate(samples, rounds);
    out.names = {"fd_judge", "precision", "recall", "fd_cls"};
    out.values = {m.fd, m.precision, m.recall, m.fdClassifier};
    out.cells = {fixed(m.fd, 3), fixed(m.precision, 3), fixed(m.recall, 3), fixed(m.fdClassifier, 3)};
    m_header = "| FD (judge) | precision | recall | FD-cls (shares features with the discriminator) |";
    if (rounds > 0) {
        out.names.insert(out.names.begin() + 1, "fd_judge_sd");
        out.values.insert(out.values.begin() + 1, m.fdSpread);
        out.cells.insert(out.cells.begin() + 1, fixed(m.fdSpread, 3));
        m_header = "| FD (judge) | FD s.d. (" + std::to_string(rounds) +
                   " bootstraps) | precision | recall | FD-cls (shares features with the discriminator) |";
    }
    out.header = m_header;
    out.primary = m.fd;
    out.bootstrap = m.fdBootstrap;
    return out;
}

// What a score depends on besides the samples: the metric's files and settings, and the program's version.
std::string Scorer::key(bool points)
{
    std::string k = std::string("v") + versionString();
    if (points) {
        if (m_toy.empty()) m_toy = toyFor(m_args, m_request);
        return k + " toy " + m_toy;
    }
    const std::string classifier = classifierPath(m_args);
    return k + " judge " + fileHash(m_args.text("--judge", defaultJudge())) + " classifier " +
           (classifier.empty() ? "none" : fileHash(classifier)) + " bootstrap " +
           std::to_string(m_args.integer("--bootstrap"));
}

Score Scorer::sampleAndScore(const SampleRequest& r, const std::string& label)
{
    if (!m_args.has("--cache")) return score(sampleWithProgress(m_args, r, label.c_str()));
    SampleCache cache(m_args.text("--cache"));
    const auto loaded = loadRequest(r);
    const bool points = loaded.sampleShape == std::vector<int64_t>{2};
    const int64_t count = loaded.noise ? loaded.noise->batch() : r.settings.count;
    const std::string file = cache.folder() + "/" + SampleCache::key(loaded, r) + "-" +
                             std::to_string(r.settings.firstSample) + "-" + std::to_string(count) + "-score-" +
                             textHash(key(points)) + ".json";
    if (auto cached = readScore(file)) {
        std::fprintf(stderr, "  %s: score read from the cache %s\n", label.c_str(), cache.folder().c_str());
        m_header = cached->header;
        return *cached;
    }
    Score s = score(sampleCached(m_args, cache, loaded, r, label.c_str()));
    writeScore(file, s);
    return s;
}

std::string Scorer::rule(int extraColumns) const
{
    std::string r = "|";
    const auto columns = std::count(m_header.begin(), m_header.end(), '|') - 1 + extraColumns;
    for (int i = 0; i < columns; ++i) r += "---:|";
    return r;
}

namespace {

// Time left from the rate of the batches sampled here (those read from a cache cost nothing).
class Progress
{
public:
    explicit Progress(const char* label) : m_label(label) {}
    void operator()(int64_t done, int64_t total, bool sampled)
    {
        if (sampled) m_fresh += done - m_last;
        m_last = done;
        const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
        std::fprintf(stderr, "  %s %lld/%lld samples  ETA %.0f s\n", m_label, static_cast<long long>(done),
                     static_cast<long long>(total), m_fresh > 0 ? (total - done) * sec / m_fresh : 0.0);
    }

private:
    const char* m_label;
    const std::chrono::steady_clock::time_point m_start = std::chrono::steady_clock::now();
    int64_t m_fresh = 0, m_last = 0;
};

} // namespace

HostTensor sampleCached(const ArgParser& a, SampleCache& cache, const LoadedRequest& loaded, const SampleRequest& r,
                        const char* label)
{
    Progress progress(label);
    int64_t sampledBefore = 0;
    auto out = cache.sample(loaded, r, a.integer("--batch"), [&](int64_t done, int64_t total) {
        progress(done, total, cache.batchesSampled() > sampledBefore);
        sampledBefore = cache.batchesSampled();
    }, &interruptToken());
    std::string replaced;
    if (cache.batchesReplaced() > 0)
        replaced = " (" + std::to_string(cache.batchesReplaced()) + " unreadable ones sampled again)";
    std::fprintf(stderr, "  %s: %lld batches read from the cache %s, %lld sampled%s\n", label,
                 static_cast<long long>(cache.batchesRead()), cache.folder().c_str(),
                 static_cast<long long>(cache.batchesSampled()), replaced.c_str());
    return out;
}

HostTensor sampleWithProgress(const ArgParser& a, const SampleRequest& r, const char* label)
{
    if (a.has("--cache")) {
        SampleCache cache(a.text("--cache"));
        return sampleCached(a, cache, loadRequest(r), r, label);
    }
    Progress progress(label);
    return sampleInBatches(r, a.integer("--batch"),
                           [&](int64_t done, int64_t total) { progress(done, total, true); }, &interruptToken());
}

} // namespace dg::cli
