#include "Commands.h"
#include "Format.h"
#include "Interrupt.h"
#include "Job.h"
#include "OutputPaths.h"
#include "SamplingFlags.h"
#include "Scoring.h"

#include "dg/Evaluation.h"
#include "dg/Export.h"
#include "dg/Image.h"
#include "dg/MetricTable.h"
#include "dg/Models.h"
#include "dg/SafeFile.h"
#include "dg/SampleCache.h"
#include "dg/Sampling.h"
#include "dg/TensorFile.h"
#include "dg/Toys.h"
#include "dg/Training.h"
#include "dg/Tuning.h"
#include "dg/Version.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

namespace dg::cli {
namespace {

const char* const kMetricsHelp = R"(Metrics:
  Fashion-MNIST, as the paper's pipeline scores samples: clipped to [-1, 1] and quantized to the 8-bit grid first,
  then against the 10k test images
    FD         the FID recipe (Frechet distance of Gaussian fits) in the features of the independent judge
               (--judge, default the shipped fmnist-judge.pt: a plain CNN classifier that no discriminator uses)
    precision, recall
               Kynkaanniemi et al. 2019, k = 3, in the judge's features, min(N, 10000) samples of each side
    FD-cls     FD in the noise-aware classifier's features (--classifier, default the shipped
               fmnist-classifier.pt). The discriminators are built on this encoder, so guidance moves samples in
               the space this number reads: it shares features with the discriminator. --classifier none skips it.
  2-D toys: sliced 2-Wasserstein distance to 20k data samples (SW2) and NLL under the true data mixture (nats).
)";

std::vector<FlagSpec> evaluationFlags()
{
    auto flags = samplingFlags();
    const std::string g = "Evaluation";
    flags.push_back(
        choiceFlag("--toy", {"ring8", "moons"}, "the toy 2-D samples should match (default: the denoiser's)", g));
    flags.push_back(
        textFlag("--judge", "FILE",
                 "the judge whose features FD, precision and recall use (default: the shipped fmnist-judge.pt)", g));
    flags.push_back(textFlag("--reference", "FILE.pt",
                             "images [M, C, H, W] (torch.save, e.g. a data set's test images) to score against instead "
                             "of Fashion-MNIST's; --judge is then a TorchScript feature network forward(x) -> [N, F] "
                             "(any image shape, colour included)",
                             g));
    flags.push_back(
        textFlag("--classifier", "FILE|none",
                 "the noise-aware classifier of the FD-cls column (default: the shipped fmnist-classifier.pt)", g));
    flags.push_back(batchFlag(g));
    flags.push_back(integerFlag("--bootstrap", "N",
                                "bootstrap rounds (resampling the generated samples): the judge FD's spread, and in a "
                                "sweep a 90 % paired band on each weight's change in FD (0: none)",
                                g, "0", 0, 10000));
    flags.push_back(textFlag("--cache", "DIR",
                             "keep each finished batch of samples in DIR (created if missing): a run that is stopped "
                             "resumes there, and a repeated one samples nothing (keyed by settings, device and the "
                             "models' file contents)",
                             g));
    flags.push_back(distTimeoutFlag());
    return flags;
}

// dg eval --real-floor: real training images scored like samples, block by block.
int realFloor(const ArgParser& a, const std::shared_ptr<DistributedJob>& job)
{
    for (const char* flag :
         {"--samples", "--denoiser", "--discriminator", "--reference", "--noise", "--cache", "--per-class"})
        if (a.has(flag))
            throw UsageError(std::string("--real-floor: scores Fashion-MNIST training images; not with ") + flag);
    const int64_t blocks = a.integer("--real-floor");
    const int64_t count = a.has("--count") ? a.integer("--count") : 5000;
    if (count < 10) throw UsageError("--count: at least 10 images per block are needed for FD");
    if (blocks * count > 60000)
        throw UsageError("--real-floor: " + std::to_string(blocks) + " blocks of " + std::to_string(count) +
                         " images need more than Fashion-MNIST's 60,000 training images");
    const uint64_t seed = a.unsignedInteger("--seed");
    SampleScorer scorer(scoringSettings(a, nullptr, job), &interruptToken());
    std::vector<SampleScore> scores;
    for (int64_t b = 0; b < blocks; ++b) {
        std::fprintf(stderr, "dg eval: real block %lld of %lld (%lld training images)\n", static_cast<long long>(b + 1),
                     static_cast<long long>(blocks), static_cast<long long>(count));
        scores.push_back(scorer.score(fashionMnistTrainingBlock(b * count, count, seed)));
        if (scores.size() == 1) std::cout << "| real images " << scorer.header() << "\n" << scorer.rule(1) << "\n";
        std::cout << "| " << b * count << " ... " << (b + 1) * count - 1 << " | " << joinCells(scores.back().cells)
                  << " |" << std::endl;
    }
    const auto& names = scores.front().names;
    std::vector<std::string> mean, spread;
    for (size_t c = 0; c < names.size(); ++c) {
        double m = 0.0, v = 0.0;
        for (const auto& s : scores)
            m += s.values[c] / static_cast<double>(blocks);
        for (const auto& s : scores)
            v += (s.values[c] - m) * (s.values[c] - m) / std::max<double>(1.0, double(blocks - 1));
        mean.push_back(formatNumber(m));
        spread.push_back(blocks > 1 ? formatNumber(std::sqrt(v)) : "-");
    }
    std::cout << "| mean | " << joinCells(mean) << " |\n| s.d. | " << joinCells(spread) << " |\n";
    std::cout << "(" << blocks << " disjoint blocks of " << count << " training images, order seed " << seed
              << "; 8-bit, scored against the 10k test images as samples are)\n";
    return 0;
}

// The class of every sample for --per-class: the run's classes (--class K or all) or the labels written beside a
// --samples file by dg gen-fakes (FILE.labels.pt).
std::vector<int64_t> perClassLabels(const ArgParser& a, const std::optional<SampleRequest>& r, int64_t n)
{
    std::vector<int64_t> labels;
    if (r) {
        if (!r->settings.classLabel)
            throw UsageError("--per-class: needs classes: --class K or --class all with a class-conditional denoiser");
        for (int64_t i = 0; i < n; ++i)
            labels.push_back(classOfSample(r->settings, i, 10));
        return labels;
    }
    const std::string path = fakeLabelsPath(a.text("--samples"));
    if (!std::filesystem::exists(path))
        throw UsageError("--per-class: '" + path +
                         "' (the labels dg gen-fakes writes beside class-conditional "
                         "samples) does not exist");
    labels = loadLabelFile(path);
    if (static_cast<int64_t>(labels.size()) != n)
        throw UsageError("--per-class: '" + path + "' holds " + std::to_string(labels.size()) + " labels for " +
                         std::to_string(n) + " samples");
    return labels;
}

void printPerClass(SampleScorer& scorer, const HostTensor& samples, const std::vector<int64_t>& labels,
                   const SampleRequest* request)
{
    static const char* const names[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                        "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    const auto per = scorer.scorePerClass(samples, labels, request);
    std::vector<MetricColumn> columns; // the metric table's per-class columns
    for (const auto& m : metricTable())
        if (m.perClass && (m.spaces & kFashionMnistSpace))
            columns.insert(columns.end(), m.columns.begin(), m.columns.end());
    std::cout << "\n| class | samples | test images |";
    for (const auto& c : columns)
        std::cout << " " << c.header << " |";
    std::cout << "\n|---|---:|---:|";
    for (size_t i = 0; i < columns.size(); ++i)
        std::cout << "---:|";
    std::cout << "\n";
    for (size_t c = 0; c < per.size(); ++c) {
        std::vector<std::string> cells;
        for (const auto& col : columns)
            cells.push_back(fixedDigits(per[c].value(col.name), col.digits));
        std::cout << "| " << c << " " << names[c] << " | " << per[c].samples << " | " << per[c].references << " | "
                  << joinCells(cells) << " |\n";
    }
    std::cout << "(each class's samples against the test images of that class, in the judge's features; FD at a "
                 "few hundred samples per class is biased upwards against the all-class FD)\n";
}

} // namespace

int runEval(const std::vector<std::string>& argv)
{
    auto flags = evaluationFlags();
    flags.insert(flags.begin(),
                 textFlag("--samples", "FILE.pt", "the samples to score (instead of sampling)", "Evaluation"));
    flags.insert(flags.begin() + 1,
                 integerFlag("--real-floor", "BLOCKS",
                             "score real images instead of samples: BLOCKS disjoint blocks of --count (default 5000) "
                             "Fashion-MNIST training images (a fixed random order of --seed) against the test set, "
                             "each like a set of samples, then their mean and standard deviation: the floor every "
                             "model's numbers are measured against",
                             "Evaluation", {}, 1, 60));
    flags.insert(flags.begin() + 2,
                 switchFlag("--per-class",
                            "also score each Fashion-MNIST class on its own: the samples of class c "
                            "(--class all or K, or the labels dg gen-fakes wrote beside --samples) against the test "
                            "images of class c",
                            "Evaluation"));
    ArgParser a("dg eval", flags,
                "Scores samples: a file (--samples FILE.pt) or samples drawn here with the flags of dg sample "
                "(--denoiser ... --count 5000).",
                kMetricsHelp);
    if (!a.parse(argv)) return 0;
    const auto job = joinJob(a); // as one of several processes: sampling and features spread over the ranks
    if (a.has("--real-floor")) return realFloor(a, job);
    HostTensor samples;
    std::optional<SampleRequest> r;
    if (a.has("--samples")) {
        if (a.has("--denoiser")) throw UsageError("--samples: give either --samples or --denoiser, not both");
        if (a.has("--cache")) throw UsageError("--cache: keeps samples drawn here; not with --samples");
        samples = loadTensorFile(a.text("--samples"));
    } else {
        if (!a.has("--count") && !a.has("--noise"))
            throw UsageError("--count: how many samples to evaluate (e.g. 5000)");
        r = requestFromFlags(a);
        if (a.has("--per-class") && !r->settings.classLabel) // before sampling anything
            throw UsageError("--per-class: needs classes: --class K or --class all with a class-conditional denoiser");
        samples = sampleWithProgress(a, *r, "sampling", job);
    }
    const bool points = samples.isPoints2d();
    if (points && !r && !a.has("--toy"))
        throw UsageError("--toy: 2-D samples need the toy they should match (ring8 or moons)");
    SampleScorer scorer(scoringSettings(a, r ? &*r : nullptr, job), &interruptToken());
    const SampleScore score = scorer.score(samples, r ? &*r : nullptr);
    std::cout << scorer.header() << "\n" << scorer.rule() << "\n| " << joinCells(score.cells) << " |\n";
    std::cout << "(" << samples.batch() << " samples" << (points ? "" : ", quantized to 8 bits before scoring")
              << ")\n";
    if (a.has("--per-class")) printPerClass(scorer, samples, perClassLabels(a, r, samples.batch()), r ? &*r : nullptr);
    return 0;
}

namespace {

// dg sweep and dg tune: the same seeds at each weight, one table; tune adds the FD band, a CSV and a last line
// "best w = X" for scripts.
int sweepWeights(const std::vector<std::string>& argv, bool tune)
{
    auto flags = evaluationFlags();
    flags.insert(flags.begin(), textFlag("--weights", "W,W,...", "the guidance weights, comma-separated", "Sweep",
                                         tune ? "0,0.5,1,1.5,2,3" : "0,0.5,1,2,3"));
    flags.insert(flags.begin() + 1, textFlag("--csv", "FILE.csv", "also write the table as CSV", "Sweep"));
    flags.insert(flags.begin() + 2, textFlag("--plot", "FILE.png",
                                             "also draw the metrics against the weight (bands, the unguided value, the "
                                             "best weight marked); the settings go into the PNG's text metadata",
                                             "Sweep"));
    if (tune) {
        for (auto& f : flags)
            if (f.name == "--bootstrap") f.defaultText = "200";
        flags.insert(
            flags.begin() + 3,
            switchFlag("--matched-compute",
                       "also measure what a sample costs (network evaluations, wall time) guided and unguided, "
                       "and score the unguided sampler at the steps that cost as much as the guided one: is DG "
                       "better than spending its compute on more steps?",
                       "Sweep"));
        flags.insert(flags.begin() + 4,
                     numberFlag("--matched-churn", "S",
                                "with --matched-compute, a second baseline with EDM's stochastic churn S_churn = S "
                                "(--s-min/--s-max/--s-noise as given); 0: none",
                                "Sweep", "0", 0.0));
    }
    const std::string program = tune ? "dg tune" : "dg sweep";
    ArgParser a(program, flags,
                std::string(tune ? "Finds the guidance weight: " : "") +
                    "Samples the same seeds at each guidance weight (w2 follows --dg-weight-2nd if given, else w) and "
                    "prints a table of the metrics" +
                    (tune ? " with the change in judge FD against w = 0 and its 90 % paired bootstrap band (the same "
                            "seeds and resampled indices for every weight), then a last line 'best w = X' (the lowest "
                            "FD, or SW2 on a toy, among the weights whose band lies below 0; 'no weight beats w = 0 "
                            "... try --count N' when none does). Fashion-MNIST tables add the real-data floor and "
                            "each weight's share of the gap to it that DG closes."
                          : ": the tool for tuning the weight.") +
                    " --count defaults to 5000 here.",
                kMetricsHelp);
    if (!a.parse(argv)) return 0;
    SampleRequest base = requestFromFlags(a);
    if (base.discriminator.empty()) base.discriminator = matchingDiscriminator(base.denoiser); // a built-in's own
    if (base.discriminator.empty()) throw UsageError("--discriminator: a sweep over guidance weights needs one");
    if (!a.has("--count")) base.settings.count = 5000;
    const std::vector<double> weights = a.numbers("--weights");
    try {
        checkTuneWeights(weights);
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    const std::string csvPath = a.text("--csv"), plotPath = a.text("--plot");
    OutputPlan outputs;
    if (!csvPath.empty()) outputs.add(csvPath, "--csv");
    if (!plotPath.empty()) {
        outputs.add(plotPath, "--plot");
        outputs.addSidecar(sidecarPath(plotPath), plotPath, "--plot");
    }
    const auto job = joinJob(a); // as one of several processes: every row's sampling and features spread over ranks
    std::vector<WriteLock> locks;
    if (isMainRank(job)) locks = outputs.lock();
    SampleScorer scorer(scoringSettings(a, &base, job), &interruptToken());
    const bool matched = tune && a.has("--matched-compute");
    const double churn = tune ? a.number("--matched-churn") : 0.0;
    if (tune && !(churn >= 0.0 && std::isfinite(churn)))
        throw UsageError("--matched-churn: expected a finite S_churn >= 0, got " + a.text("--matched-churn"));
    if (tune && churn > 0.0 && !matched) throw UsageError("--matched-churn: needs --matched-compute");
    if (matched && weights.back() == 0.0)
        throw UsageError("--matched-compute: needs a guided weight above 0 in --weights to match");
    const TuneResult result = tuneWeights(
        base, weights, scorer, printProgress, printNote,
        [](size_t index, const TuneResult& soFar) {
            const auto& row = soFar.rows[index];
            std::fprintf(stderr, "  w=%s: %s\n", tuneRowLabel(row).c_str(), joinCells(row.score.cells).c_str());
        },
        matched, churn);
    std::cout << "seed " << base.settings.seed << ", " << base.settings.count << " samples per row, "
              << base.settings.sampler.kind << " " << base.settings.sampler.schedule.steps << " steps\n"
              << tuneTable(result);
    if (!isMainRank(job)) return 0; // rank 0 writes
    if (!csvPath.empty()) {
        const std::string csv = tuneCsv(result);
        writeFileAtomically(csvPath, std::vector<char>(csv.begin(), csv.end()));
        std::cerr << program << ": wrote " << csvPath << "\n";
    }
    if (!plotPath.empty()) {
        exportTunePlot(plotPath, result, base,
                       "seed " + std::to_string(base.settings.seed) + ", " + std::to_string(base.settings.count) +
                           " samples per weight",
                       false);
        std::cerr << program << ": wrote " << plotPath << "\n";
    }
    if (result.floor)
        std::cout << "real-data floor: FD " << formatNumber(result.floor->fd) << " (s.d. "
                  << formatNumber(result.floor->sd) << " over " << result.floor->blocks << " blocks of "
                  << result.floor->count
                  << " training images); gap_closed = (FD(w = 0) - FD(w)) / (FD(w = 0) - floor)\n";
    if (tune) std::cout << cliFields(tuneVerdict(result)) << "\n";
    if (result.costs) std::cout << cliFields(matchedComputeVerdict(result)) << "\n";
    return 0;
}

} // namespace

int runSweep(const std::vector<std::string>& argv)
{
    return sweepWeights(argv, false);
}
int runTune(const std::vector<std::string>& argv)
{
    return sweepWeights(argv, true);
}

} // namespace dg::cli
