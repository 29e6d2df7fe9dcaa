#include "dg/Tuning.h"

#include "dg/MetricTable.h"

#include "dg/Error.h"
#include "dg/Export.h"
#include "dg/Render.h"
#include "dg/SafeFile.h"
#include "dg/SamplerRegistry.h"
#include "dg/Sampling.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace dg {
namespace {

using Json = nlohmann::json;

std::string shortNumber(double v, int precision = 3)
{
    std::ostringstream s;
    s.precision(precision);
    s << v;
    return s.str();
}

} // namespace

const MetricInfo& primaryOf(const SampleScore& score)
{
    for (const auto& m : metricTable())
        if (m.bootstrap && std::isfinite(column(score, m.columns.front().name))) return m;
    return metricTable().front();
}

std::vector<std::string> tunePlotPanels(const SampleScore& score)
{
    std::vector<std::string> panels;
    for (const auto& m : metricTable())
        if (m.plot && std::isfinite(column(score, m.columns.front().name)) &&
            std::find(panels.begin(), panels.end(), m.plot) == panels.end())
            panels.push_back(m.plot);
    return panels;
}

std::string shortHeader(const MetricInfo& m)
{
    const auto& h = m.columns.front().header;
    return h.substr(0, h.find(' '));
}

std::string changePrefix(const MetricInfo& m)
{
    const auto& n = m.columns.front().name;
    return n.substr(0, n.find('_'));
}

void checkTuneWeights(const std::vector<double>& weights)
{
    if (weights.empty()) throw Error("‹weights›: give at least one guidance weight");
    for (double w : weights)
        if (!std::isfinite(w) || w < 0)
            throw Error("‹weights›: " + shortNumber(w) + " is not a guidance weight (a finite number >= 0)");
    for (size_t i = 1; i < weights.size(); ++i)
        if (!(weights[i] > weights[i - 1]))
            throw Error("‹weights›: give each weight once, in increasing order (" + shortNumber(weights[i - 1]) +
                        " is followed by " + shortNumber(weights[i]) + ")");
}

SampleRequest tuneRowRequest(const SampleRequest& base, double weight)
{
    SampleRequest r = base;
    r.settings.guidance.weight = weight;
    if (weight == 0.0 && base.settings.guidance.weight2.value_or(0.0) == 0.0) {
        r.discriminator.clear();
        r.settings.guidance = GuidanceSettings{};
    }
    return r;
}

namespace {

// A baseline row's request: the unguided row at its steps (and churn).
SampleRequest baselineRequest(const SampleRequest& base, const TuneRow& row)
{
    SampleRequest r = tuneRowRequest(base, 0.0);
    r.settings.sampler.schedule.steps = row.steps;
    if (!std::isnan(row.churn)) r.settings.sampler.churn.churn = row.churn;
    return r;
}

SampleRequest rowRequest(const SampleRequest& base, const TuneRow& row)
{
    return row.steps > 0 ? baselineRequest(base, row) : tuneRowRequest(base, row.weight);
}

} // namespace

// "26 steps", "26 steps, churn 10".
std::string baselineLabel(const TuneRow& row)
{
    return std::to_string(row.steps) + " steps" + (std::isnan(row.churn) ? "" : ", churn " + shortNumber(row.churn));
}

std::string tuneRowLabel(const TuneRow& row)
{
    return row.steps <= 0 ? shortNumber(row.weight) : shortNumber(row.weight) + ", " + baselineLabel(row);
}

TuneResult tuneWeights(const SampleRequest& base, const std::vector<double>& weights, SampleScorer& scorer,
                       const SampleProgress& progress, const ScoreLog& log,
                       const std::function<void(size_t, const TuneResult&)>& rowDone, bool matchedCompute,
                       double matchedChurn)
{
    checkTuneWeights(weights);
    if (!(matchedChurn >= 0.0) || !std::isfinite(matchedChurn))
        throw Error("‹matched-churn›: expected a finite S_churn >= 0 (got " + shortNumber(matchedChurn) + ")");
    const int64_t count = base.settings.count;
    const auto shape = loadRequest(tuneRowRequest(base, 0.0)).sampleShape; // loaded once: the kind of samples
    if (scorer.settings().bootstrapRounds > 0 && count < kMinBootstrapSamples && base.noiseFile.empty())
        throw Error("‹count›: " + std::to_string(count) +
                    " samples per weight are too few for a bootstrap band (at least " +
                    std::to_string(kMinBootstrapSamples) + ", or ‹bootstrap› 0)");
    TuneResult result;
    result.count = base.noiseFile.empty() ? count : 0;
    if (shape == std::vector<int64_t>{1, 28, 28} && result.count > 0) result.floor = scorer.realFloor(result.count);
    auto addRow = [&](TuneRow row, const std::string& label) {
        row.score = scorer.sampleAndScore(rowRequest(base, row), label, progress, log);
        result.rows.push_back(std::move(row));
        result.header = scorer.header();
        if (rowDone) { // the rows so far, finished: the paired changes against the reference measured yet
            TuneResult soFar = result;
            finishTune(soFar);
            rowDone(result.rows.size() - 1, soFar);
        }
    };
    for (double w : weights) {
        TuneRow row;
        row.weight = w;
        addRow(row, "w=" + shortNumber(w));
    }
    if (matchedCompute) {
        // The guided sampler at the highest weight (every guided weight makes the same evaluations), the unguided
        // one, then the unguided one at the steps that cost as much (EDM: more steps, and its tuned churn).
        if (weights.back() == 0.0) throw Error("‹matched-compute›: needs a guided weight above 0 to match");
        const int baseSteps = base.settings.sampler.schedule.steps;
        const SampleRequest guided = tuneRowRequest(base, weights.back()), unguided = tuneRowRequest(base, 0.0);
        if (log) log("measuring the cost of a sample (guided, unguided) for the matched-compute baseline");
        TuneResult::Costs costs;
        costs.baseSteps = baseSteps;
        const auto measured = measureSamplingCosts({guided, unguided}, 32, scorer.cancelToken());
        costs.guided = measured[0];
        costs.unguided = measured[1];
        const SamplerInfo* sampler = findSampler(base.settings.sampler.kind);
        TuneRow row;
        row.steps = matchedSteps(costs.guided, costs.unguided, baseSteps, sampler ? sampler->evaluationsPerStep : 1);
        costs.baseline = measureSamplingCost(baselineRequest(base, row), 32, scorer.cancelToken());
        result.costs = costs;
        addRow(row, "w=0, " + std::to_string(row.steps) + " steps");
        if (matchedChurn > 0.0) {
            row.churn = matchedChurn;
            addRow(row, "w=0, " + std::to_string(row.steps) + " steps, churn " + shortNumber(matchedChurn));
        }
    }
    finishTune(result);
    return result;
}

namespace {

// The sample count at which the largest improvement measured would have a paired band clear of 0: the band's
// half-width shrinks as 1/√N.
int64_t countToSeparate(const TuneResult& result)
{
    double need = 0.0;
    for (const auto& row : result.rows) {
        const auto& s = row.score;
        const std::string metric = std::isfinite(column(s, "sw2")) ? "sw2" : "fd";
        const double delta = column(s, metric + "_change"), hi = column(s, metric + "_change_p95");
        if (!(delta < 0) || !std::isfinite(hi)) continue;
        const double half = hi - delta; // the band's upper half
        const double n = double(result.count) * (half / -delta) * (half / -delta);
        need = need == 0.0 ? n : std::min(need, n);
    }
    if (need == 0.0) return 0;
    return static_cast<int64_t>(std::ceil(need / 1000.0)) * 1000;
}

} // namespace

std::string tuneVerdict(const TuneResult& result)
{
    if (result.rows.empty()) return {};
    const auto& best = result.rows[result.best];
    if (!result.paired || result.best != result.reference || result.rows.size() < 2)
        return "best w = " + shortNumber(best.weight);
    const std::string ref = "w = " + shortNumber(best.weight);
    const int64_t n = result.count > 0 ? countToSeparate(result) : 0;
    if (n == 0)
        return "no weight beats " + ref + " (none lowers the " +
               (std::isfinite(column(best.score, "sw2")) ? "SW2" : "FD") + ")";
    return "no weight beats " + ref + " at this sample count (every paired band contains 0); try ‹count› " +
           std::to_string(std::max<int64_t>(n, result.count + 1000)) + " or more";
}

void finishTune(TuneResult& result)
{
    auto& rows = result.rows;
    if (rows.empty()) return;
    result.reference = 0;
    for (size_t i = 0; i < rows.size(); ++i)
        if (rows[i].weight == 0.0 && rows[i].steps == 0) result.reference = i;
    const auto& ref = rows[result.reference].score;
    if (result.floor && ref.primary > result.floor->fd)
        for (auto& row : rows) { // the share of the gap between the reference and the real-data floor it closes
            const double share = (ref.primary - row.score.primary) / (ref.primary - result.floor->fd);
            row.score.names.push_back("gap_closed");
            row.score.values.push_back(share);
            row.score.cells.push_back(fixedDigits(100.0 * share, 1) + " %");
        }
    // The change against the reference with a paired bootstrap band: the rows share their seeds, and the resampling
    // draws the same indices for each, so seed-to-seed noise cancels.
    result.paired = rows.size() > 1 && !ref.bootstrap.empty();
    const std::string metric = changePrefix(primaryOf(ref)); // "fd", "sw2"
    if (result.paired)
        for (size_t i = 0; i < rows.size(); ++i) {
            auto& score = rows[i].score;
            if (score.bootstrap.size() != ref.bootstrap.size()) throw Error("tune: rows of different bootstrap sizes");
            std::vector<double> d(score.bootstrap.size());
            for (size_t k = 0; k < d.size(); ++k)
                d[k] = score.bootstrap[k] - ref.bootstrap[k];
            std::sort(d.begin(), d.end());
            const double delta = score.primary - ref.primary, lo = percentile(d, 0.05), hi = percentile(d, 0.95);
            rows[i].distinguishable = i == result.reference || lo > 0 || hi < 0;
            score.names.insert(score.names.end(), {metric + "_change", metric + "_change_p05", metric + "_change_p95"});
            score.values.insert(score.values.end(), {delta, lo, hi});
            score.cells.push_back(fixedDigits(delta, 3) + " [" + fixedDigits(lo, 2) + ", " + fixedDigits(hi, 2) + "]" +
                                  (rows[i].distinguishable ? ""
                                                           : " not distinguishable from w = " +
                                                                 shortNumber(rows[result.reference].weight)));
        }
    // The best row: the lowest among those measurably below the reference (any row without bands).
    result.best = result.reference;
    for (size_t i = 0; i < rows.size(); ++i) {
        const bool below = !result.paired || column(rows[i].score, metric + "_change_p95") < 0;
        if (below && rows[i].steps == 0 && rows[i].score.primary < rows[result.best].score.primary) result.best = i;
    }
}

std::vector<MatchedComparison> matchedComparisons(const TuneResult& result)
{
    std::vector<MatchedComparison> out;
    const auto& rows = result.rows;
    if (rows.empty()) return out;
    // DG's row: the best weight, else the highest (what the guided cost was measured at).
    size_t dg = result.best;
    if (dg == result.reference)
        for (size_t i = 0; i < rows.size(); ++i)
            if (rows[i].steps == 0 && rows[i].weight > 0.0) dg = i;
    for (size_t i = 0; i < rows.size(); ++i) {
        if (rows[i].steps == 0) continue;
        MatchedComparison c;
        c.baseline = i;
        c.guided = dg;
        c.change = rows[dg].score.primary - rows[i].score.primary;
        const auto& a = rows[dg].score.bootstrap;
        const auto& b = rows[i].score.bootstrap;
        if (!a.empty() && a.size() == b.size()) {
            std::vector<double> d(a.size());
            for (size_t k = 0; k < d.size(); ++k)
                d[k] = a[k] - b[k];
            std::sort(d.begin(), d.end());
            c.lo = percentile(d, 0.05);
            c.hi = percentile(d, 0.95);
            c.conclusion = c.hi < 0   ? "DG is better at equal compute"
                           : c.lo > 0 ? "the extra steps are better than DG at equal compute"
                                      : "not distinguishable at this sample count";
        } else {
            c.conclusion = c.change < 0 ? "DG scores lower (no bands)" : "the extra steps score lower (no bands)";
        }
        out.push_back(c);
    }
    return out;
}

std::string matchedComputeVerdict(const TuneResult& result)
{
    if (!result.costs || result.rows.empty()) return {};
    const auto& c = *result.costs;
    auto cost = [](const SamplingCost& k) {
        return shortNumber(k.denoiserEvaluations) + " denoiser + " + shortNumber(k.discriminatorGradients) +
               " discriminator-gradient evaluations, " + shortNumber(1000.0 * k.secondsPerSample) + " ms";
    };
    const auto& rows = result.rows;
    std::string out = "cost per sample at " + std::to_string(c.baseSteps) + " steps: guided " + cost(c.guided) +
                      "; unguided " + cost(c.unguided);
    for (const auto& m : matchedComparisons(result)) {
        const auto& row = rows[m.baseline];
        const std::string name = shortHeader(primaryOf(row.score));
        out += "\nmatched compute: unguided at " + baselineLabel(row) + " (" + cost(c.baseline) + ") " + name + " " +
               fixedDigits(row.score.primary, 3) + "; DG at w = " + shortNumber(rows[m.guided].weight) + " " + name +
               " " + fixedDigits(rows[m.guided].score.primary, 3) + "; DG - baseline " + fixedDigits(m.change, 3);
        if (std::isfinite(m.lo))
            out += " [" + fixedDigits(m.lo, 2) + ", " + fixedDigits(m.hi, 2) + "] (90 % paired band)";
        out += ": " + m.conclusion;
    }
    return out;
}

std::string tuneCsv(const TuneResult& result)
{
    if (result.rows.empty()) return {};
    // A matched-compute baseline adds its steps and churn (empty on the weight rows: the base's).
    const bool baselines =
        std::any_of(result.rows.begin(), result.rows.end(), [](const TuneRow& r) { return r.steps > 0; });
    std::string csv = baselines ? "weight,steps,churn" : "weight";
    for (const auto& n : result.rows.front().score.names)
        csv += "," + n;
    csv += "\n";
    for (const auto& row : result.rows) {
        csv += shortNumber(row.weight);
        if (baselines)
            csv += "," + (row.steps > 0 ? std::to_string(row.steps) : std::string()) + "," +
                   (std::isnan(row.churn) ? std::string() : shortNumber(row.churn));
        for (double v : row.score.values) {
            csv += ',';
            if (!std::isnan(v)) csv += shortNumber(v, 6);
        }
        csv += "\n";
    }
    return csv;
}

std::string tuneTable(const TuneResult& result)
{
    if (result.rows.empty()) return {};
    std::string header = "| weight " + result.header;
    if (std::isfinite(column(result.rows.front().score, "gap_closed")))
        header += " share of the gap to the real-data floor closed |";
    if (result.paired)
        header += " change in " + shortHeader(primaryOf(result.rows.front().score)) +
                  " vs w = " + shortNumber(result.rows[result.reference].weight) + " (90 % paired band) |";
    std::string out = header + "\n|";
    const auto columns = std::count(header.begin(), header.end(), '|') - 1;
    for (int i = 0; i < columns; ++i)
        out += "---:|";
    out += "\n";
    for (size_t i = 0; i < result.rows.size(); ++i) {
        const bool best = i == result.best && (i != result.reference || !result.paired);
        out += "| " + tuneRowLabel(result.rows[i]) + (best ? " (best)" : "") +
               (result.rows[i].steps > 0 ? " (matched compute)" : "") + " |";
        for (const auto& c : result.rows[i].score.cells)
            out += " " + c + " |";
        out += "\n";
    }
    return out;
}

TunePlot tunePlot(const TuneResult& result, int panelWidth, int panelHeight, bool vertical)
{
    if (result.rows.empty()) throw Error("tune plot: no rows");
    // The weight rows are the curves; a matched-compute baseline is a level line (its x is no weight).
    std::vector<TuneRow> rows, baselines;
    std::vector<size_t> rowIndex;
    for (size_t i = 0; i < result.rows.size(); ++i)
        if (result.rows[i].steps > 0)
            baselines.push_back(result.rows[i]);
        else
            rows.push_back(result.rows[i]), rowIndex.push_back(i);
    if (rows.empty()) throw Error("tune plot: no weight rows");
    const Rgb red{200, 50, 40}, blue{40, 90, 200}, green{30, 140, 70};
    auto series = [&](const std::string& name, const std::string& key, Rgb color) {
        PlotSeries s{name, {}, {}, {}, {}, color};
        for (const auto& row : rows)
            s.x.push_back(row.weight), s.y.push_back(column(row.score, key));
        return s;
    };
    const double bestW = result.rows.at(result.best).weight;
    const bool narrow = panelWidth < 480; // the figure font's titles must fit beside the y axis
    auto title = [narrow](const std::string& full, const std::string& brief) { return narrow ? brief : full; };
    auto options = [&](const std::string& title, bool mark) {
        LinePlotOptions o;
        o.width = panelWidth;
        o.height = panelHeight;
        o.xLabel = "guidance weight w";
        o.title = title;
        if (mark)
            o.markX = bestW, o.markLabel = result.paired && result.best == result.reference
                                               ? "no w beats w = " + shortNumber(bestW)
                                               : "best w = " + shortNumber(bestW);
        return o;
    };
    std::vector<RgbImage> panels;
    TunePlot plot;
    const int gap = 12;
    int offset = 0;
    auto add = [&](const std::vector<PlotSeries>& s, const LinePlotOptions& o) {
        std::vector<std::vector<std::pair<float, float>>> markers;
        panels.push_back(renderLinePlot(s, o, &markers));
        for (const auto& m : markers)
            for (size_t i = 0; i < m.size(); ++i)
                if (std::isfinite(m[i].first))
                    plot.points.push_back(
                        {rowIndex.at(i), m[i].first + (vertical ? 0 : offset), m[i].second + (vertical ? offset : 0)});
        offset += (vertical ? panels.back().height() : panels.back().width()) + gap;
    };
    auto join = [&] { return vertical ? joinVertically(panels, gap) : joinHorizontally(panels, gap); };
    // The primary metric with its bootstrap band and the unguided value, then its change against w = 0 with the paired
    // band, then one panel per plot title of the metric table (images: precision and recall; toys: NLL).
    const MetricInfo& first = primaryOf(rows.front().score);
    const std::string key = first.columns.front().name, name = shortHeader(first);
    const std::string changeKey = changePrefix(first) + "_change";
    LinePlotOptions o = options(title(first.columns.front().header + ", lower is better", name), true);
    PlotSeries primary = series("", key, red);
    bool bands = true;
    for (const auto& row : rows) {
        const double sd = column(row.score, key + "_sd"), v = column(row.score, key);
        bands = bands && std::isfinite(sd);
        primary.lo.push_back(v - 1.645 * sd);
        primary.hi.push_back(v + 1.645 * sd);
        if (row.weight == 0.0) o.referenceY = {v}, o.referenceLabels = {"unguided"};
    }
    for (const auto& b : baselines) {
        o.referenceY.push_back(column(b.score, key));
        o.referenceLabels.push_back("unguided, " + baselineLabel(b) + " (DG's compute)");
    }
    if (!bands)
        primary.lo.clear(), primary.hi.clear();
    else
        primary.name = "90 % bootstrap band";
    add({primary}, o);
    if (std::isfinite(column(rows.front().score, changeKey))) {
        LinePlotOptions c = options(title("change in " + name + " vs unguided", "change in " + name), false);
        c.referenceY = {0.0};
        c.referenceLabels = {"no change"};
        for (const auto& b : baselines) {
            c.referenceY.push_back(column(b.score, changeKey));
            c.referenceLabels.push_back("unguided, " + baselineLabel(b));
        }
        PlotSeries change = series("90 % paired band", changeKey, red);
        for (const auto& row : rows) {
            change.lo.push_back(column(row.score, changeKey + "_p05"));
            change.hi.push_back(column(row.score, changeKey + "_p95"));
        }
        add({change}, c);
    }
    for (const std::string& panel : tunePlotPanels(rows.front().score)) {
        const Rgb colors[] = {green, blue, red};
        std::vector<PlotSeries> lines;
        for (const auto& m : metricTable())
            if (m.plot && m.plot == panel)
                for (const auto& col : m.columns)
                    if (std::isfinite(column(rows.front().score, col.name)))
                        lines.push_back(
                            series(m.columns.size() > 1 ? col.header : "", col.name, colors[lines.size() % 3]));
        const std::string brief = panel.substr(0, panel.find(" ("));
        add(lines, options(title(panel, brief), false));
    }
    plot.image = join();
    return plot;
}

int tunePlotRowAt(const TunePlot& plot, float x, float y, float maxDistance)
{
    int best = -1;
    float bestD = maxDistance * maxDistance;
    for (const auto& p : plot.points) {
        const float d = (p.x - x) * (p.x - x) + (p.y - y) * (p.y - y);
        if (d <= bestD) bestD = d, best = static_cast<int>(p.row);
    }
    return best;
}

void exportTunePlot(const std::string& path, const TuneResult& result, const SampleRequest& base,
                    const std::string& about, bool csv)
{
    if (result.rows.empty()) throw Error("export: '" + path + "': no tuning results to export");
    std::vector<std::string> cells;
    for (size_t r = 0; r < result.rows.size(); ++r) {
        const auto& row = result.rows[r];
        Json metrics = Json::object();
        for (size_t i = 0; i < row.score.names.size(); ++i) {
            const double v = row.score.values[i]; // JSON has no NaN or infinity: those travel as strings
            metrics[row.score.names[i]] = std::isfinite(v) ? Json(v)
                                                           : Json(std::isnan(v) ? "nan"
                                                                  : v > 0       ? "inf"
                                                                                : "-inf");
        }
        Json cell{{"weight", row.weight},
                  {"best", r == result.best},
                  {"metrics", metrics},
                  {"settings", Json::parse(toJson(rowRequest(base, row)))}};
        if (row.steps > 0) cell["matched_compute"] = true;
        cells.push_back(cell.dump());
    }
    if (csv) {
        const std::string text = tuneCsv(result);
        writeFileAtomically(csvPathBeside(path), std::vector<char>(text.begin(), text.end()));
    }
    exportFigure(path, tunePlot(result).image, base, "DG Studio weight tuning: metrics against the guidance weight",
                 "tune", {{"dg.tune", about}}, cells);
}

} // namespace dg
