#pragma once

#include "dg/CancelToken.h"
#include "dg/Evaluation.h"
#include "dg/HostTensor.h"
#include "dg/Image.h"
#include "dg/MetricTable.h"
#include "dg/SampleRequest.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dg {

class DistributedJob;

// One sample set's metrics: named values (CSV columns), their table cells, and the numbers behind the choice of a
// weight. Images: fd_judge [fd_judge_sd] precision recall fd_cls; toys: sw2 nll; a tune adds fd_change and its band.
struct SampleScore
{
    std::vector<std::string> names;
    std::vector<double> values;
    std::vector<std::string> cells;
    double primary = 0.0;          // FD (judge) or SW2: lower is better
    std::vector<double> bootstrap; // FD per bootstrap round (paired across sets of the same size)
    std::string header;            // the table header of its columns, "| FD (judge) | ... |"
};

// The value of a named column (NaN when absent).
double column(const SampleScore& score, const std::string& name);

// The metric table's view of a score (dg/MetricTable.h): its primary metric (FD, SW2), the tune plot's panels beyond
// the primary and its change (one per plot title of the measured metrics), the primary's short name ("FD") and the
// prefix of its change columns ("fd" → fd_change, fd_change_p05, fd_change_p95).
const MetricInfo& primaryOf(const SampleScore& score);
std::vector<std::string> tunePlotPanels(const SampleScore& score);
std::string shortHeader(const MetricInfo& metric);
std::string changePrefix(const MetricInfo& metric);

// How sample sets are scored (dg eval/sweep/tune flags, the Tune dock's fields).
struct ScoringSettings
{
    std::string judge;      // empty: the shipped fmnist-judge.pt
    std::string classifier; // empty: the shipped fmnist-classifier.pt; "none": no FD-cls column
    std::string toy;        // 2-D samples: the toy they should match; empty: the denoiser's data set
    // Images [M, C, H, W] (torch.save) to score against instead of Fashion-MNIST's test set; then `judge` is a
    // TorchScript feature network (evaluateAgainstReference) and there is no FD-cls column.
    std::string reference;
    int bootstrapRounds = 0;
    std::string cacheFolder;      // empty: no cache (see SampleCache)
    int64_t batch = 0;            // samples per batch; 0: defaultBatchSize (dg/Sampling.h)
    Device device = Device::Auto; // for the judge
    // A job of cooperating processes (dg under torchrun/Slurm): every rank samples its share of each set and
    // extracts the features of its share; all end with the same score. Null: this process alone.
    std::shared_ptr<DistributedJob> job;
};

// Progress of one sample set: done of total samples, and the seconds left from the rate of the batches sampled here
// (batches read from a cache cost nothing). Once sampled, sampleAndScore reports the scoring stage once, with
// etaSeconds = kScoringStage.
using SampleProgress = std::function<void(const std::string& label, int64_t done, int64_t total, double etaSeconds)>;
constexpr double kScoringStage = -1.0;
using ScoreLog = std::function<void(const std::string& line)>; // one-line notes (cache hits)

// Scores sample sets; the judge, the classifier and the real images' features are loaded once, on first use. With a
// cache folder, samples go through SampleCache batch by batch and each set's score is kept beside them, keyed by the
// samples' key and the scorer's settings, files and version, so a repeated row costs nothing. The cancel token is
// polled between batches (throws Cancelled).
class SampleScorer
{
public:
    SampleScorer(ScoringSettings settings, const CancelToken* cancel = nullptr);
    ~SampleScorer();
    SampleScorer(const SampleScorer&) = delete;
    SampleScorer& operator=(const SampleScorer&) = delete;

    SampleScore score(const HostTensor& samples, const SampleRequest* request = nullptr);
    SampleScore sampleAndScore(const SampleRequest& request, const std::string& label, const SampleProgress& progress,
                               const ScoreLog& log);
    HostTensor sample(const SampleRequest& request, const std::string& label, const SampleProgress& progress,
                      const ScoreLog& log);

    // The real-data floor at `count` samples (docs/RESULTS.md): the judge FD of `blocks` disjoint blocks of `count`
    // Fashion-MNIST training images (fashionMnistTrainingBlock, order seed 0) against the test set, scored as samples
    // are; its mean and s.d. Computed once per count. Nothing for toys, --reference, or blocks beyond the 60,000.
    struct RealFloor
    {
        double fd = 0.0, sd = 0.0;
        int64_t blocks = 0, count = 0;
    };
    std::optional<RealFloor> realFloor(int64_t count, int64_t blocks = 3);
    // Fashion-MNIST samples per class (FashionMnistEvaluator::evaluatePerClass): labels[i] is sample i's class.
    std::vector<ImageMetrics> scorePerClass(const HostTensor& samples, const std::vector<int64_t>& labels,
                                            const SampleRequest* request = nullptr);

    const ScoringSettings& settings() const { return m_settings; }
    const CancelToken* cancelToken() const { return m_cancel; }
    const std::string& header() const { return m_header; } // of the last scored set
    std::string rule(int extraColumns = 0) const;          // the Markdown rule line under header()

private:
    std::string key(bool points, const SampleRequest* request);
    std::string toyFor(const SampleRequest* request);
    FashionMnistEvaluator& evaluator(const SampleRequest* request);

    ScoringSettings m_settings;
    const CancelToken* m_cancel;
    std::string m_toy, m_header;
    std::unique_ptr<FashionMnistEvaluator> m_evaluator;
    std::optional<HostTensor> m_reference; // the --reference images, read once
    std::optional<RealFloor> m_floor;
};

// Is DG worth its compute? What one sample costs under a request on this machine: the network evaluations the sampler
// makes (denoiser calls and discriminator gradients, counted) and the wall time per sample of a probe of `probe`
// samples, at least one default batch (the fastest of three runs; no cache).
struct SamplingCost
{
    double denoiserEvaluations = 0.0, discriminatorGradients = 0.0, secondsPerSample = 0.0;
};
SamplingCost measureSamplingCost(const SampleRequest& request, int64_t probe = 32, const CancelToken* cancel = nullptr);
// Several requests timed in turn, round by round, so that a busy moment of the machine slows them alike.
std::vector<SamplingCost> measureSamplingCosts(const std::vector<SampleRequest>& requests, int64_t probe = 32,
                                               const CancelToken* cancel = nullptr);
// The steps at which the unguided sampler of `unguidedAtBase` (measured at baseSteps) costs at least `guided` per
// sample: its network evaluations grown until their time (at the unguided time per evaluation) reaches the guided
// sampler's wall time. Never fewer than baseSteps.
int matchedSteps(const SamplingCost& guided, const SamplingCost& unguidedAtBase, int baseSteps, int evaluationsPerStep);

// The paper's weight search done the measured way: the same seeds at each weight, one score per weight, the change
// against the unguided row with a paired bootstrap band (the rows share seeds and the resampling draws the same
// indices for each, so seed-to-seed noise cancels), the best weight the lowest FD (SW2 on toys).
struct TuneRow
{
    double weight = 0.0;
    // A matched-compute baseline (tuneWeights with matchedCompute): the unguided sampler at `steps` steps (and
    // `churn`, EDM's S_churn, when not NaN) instead of the base's. 0: the base's steps, a weight row.
    int steps = 0;
    double churn = std::nan("");
    SampleScore score;
    // Set by finishTune: false when the paired band of the change against the reference contains 0 — the row is
    // "not distinguishable from w = 0" at this sample count (always true without bands, and for the reference).
    bool distinguishable = true;
};

struct TuneResult
{
    std::vector<TuneRow> rows;
    // best: the lowest FD (SW2) among the rows whose paired band lies below 0 (any row without bands); the reference
    // itself when no weight beats it. reference: the w = 0 row, else the first.
    size_t best = 0, reference = 0;
    bool paired = false; // fd_change columns present
    std::string header;  // the scores' table header, "| FD (judge) | ... |"
    int64_t count = 0;   // samples per row (for the advice on how many would separate the rows)
    // The real-data floor at this count (SampleScorer::realFloor); with it, finishTune adds each row's share of the
    // gap between the reference and the floor that it closes (gap_closed).
    std::optional<SampleScorer::RealFloor> floor;
    // With matchedCompute: what a sample costs under the guided rows, the unguided row and the baseline rows.
    struct Costs
    {
        SamplingCost guided, unguided, baseline;
        int baseSteps = 0;
    };
    std::optional<Costs> costs;
};

// Throws InvalidInput naming "weights" unless they are non-empty, finite, >= 0 and strictly increasing.
void checkTuneWeights(const std::vector<double>& weights);

// Row w's request: the base with weight w; the unguided row (w = 0 with no w2) drops the discriminator and resets the
// guidance settings, which change nothing there, so every preset's unguided row is one cache entry.
SampleRequest tuneRowRequest(const SampleRequest& base, double weight);

// Fewer samples than this per weight make a bootstrap band meaningless (images with bootstrap rounds: refused).
constexpr int64_t kMinBootstrapSamples = 50;

// rowDone(index, soFar) after each row, with the rows so far finished (finishTune) — for live tables and plots.
// matchedCompute: then the matched-compute baseline — the costs measured (measureSamplingCost at the highest weight
// and at w = 0), and the unguided sampler at matchedSteps scored on the same seeds as a row of its own (steps set;
// with matchedChurn > 0 a second one with EDM's churn S_churn = matchedChurn), compared with the best weight by
// matchedComputeVerdict.
TuneResult tuneWeights(const SampleRequest& base, const std::vector<double>& weights, SampleScorer& scorer,
                       const SampleProgress& progress, const ScoreLog& log,
                       const std::function<void(size_t, const TuneResult&)>& rowDone = {}, bool matchedCompute = false,
                       double matchedChurn = 0.0);

// Sets the best row and the reference and (with bootstrap rounds) adds the paired change columns to finished rows,
// and the share of the gap to the floor closed when the result has a floor.
void finishTune(TuneResult& result);

// The sweep's conclusion in one line: "best w = X", or when bands exist and none lies below 0 "no weight beats w = 0
// at this sample count (every paired band contains 0); try --count N or more" with N from the bands' width.
std::string tuneVerdict(const TuneResult& result);

// With a matched-compute baseline: the costs, and the best weight (the highest when none is best) against each
// baseline with the paired 90 % band of the difference — "DG at w = 2 (…) vs unguided at 26 steps (…): FD −1.1 [−1.5,
// −0.7]: DG is better at equal compute". Empty without one.
std::string matchedComputeVerdict(const TuneResult& result);
// The same, per baseline row: DG's row (the best, else the highest weight), the primary's difference DG − baseline
// with its 90 % paired band (NaN without bands), and the conclusion in a few words.
struct MatchedComparison
{
    size_t baseline = 0, guided = 0;
    double change = std::nan(""), lo = std::nan(""), hi = std::nan("");
    std::string conclusion; // "DG is better at equal compute", "not distinguishable at this sample count", …
};
std::vector<MatchedComparison> matchedComparisons(const TuneResult& result);
// A row's label in tables and plots: "2", or "0, 26 steps" / "0, 26 steps, churn 10" for a baseline.
std::string tuneRowLabel(const TuneRow& row);

std::string tuneCsv(const TuneResult& result);
std::string tuneTable(const TuneResult& result); // the Markdown table of dg tune

// The metrics against the weight: images — judge FD with its ±1.645 s.d. band and the unguided value dashed, the
// change against the reference with its 90 % paired band, precision and recall; toys — SW2 and NLL. The best weight is
// marked. points: where each row's marker sits in the image (every panel), for clicking a weight. Panels side by side,
// or stacked (vertical) for a narrow dock.
struct TunePlotPoint
{
    size_t row = 0;
    float x = 0, y = 0;
};
struct TunePlot
{
    RgbImage image;
    std::vector<TunePlotPoint> points;
};
TunePlot tunePlot(const TuneResult& result, int panelWidth = 560, int panelHeight = 400, bool vertical = false);

// The row whose marker is nearest (x, y) within maxDistance pixels, or -1.
int tunePlotRowAt(const TunePlot& plot, float x, float y, float maxDistance = 14.0f);

// The weight-tuning plot (tunePlot) with the sweep's base request as settings, one cell per weight (its metrics and
// the request that drew it) and `about` (seed, count) as dg.tune; with csv, the table (tuneCsv) as x.csv beside it.
void exportTunePlot(const std::string& path, const TuneResult& result, const SampleRequest& base,
                    const std::string& about, bool csv);

std::string fixedDigits(double v, int digits); // "-" for NaN

} // namespace dg
