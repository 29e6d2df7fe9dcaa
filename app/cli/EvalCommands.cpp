#include "Commands.h"
#include "Format.h"
#include "Interrupt.h"
#include "SamplingFlags.h"

#include "dg/Evaluation.h"
#include "dg/Models.h"
#include "dg/Sampling.h"
#include "dg/TensorFile.h"
#include "dg/Toys.h"

#include <chrono>
#include <cmath>
#include <cstdio>
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
    flags.push_back(choiceFlag("--toy", {"ring8", "moons"}, "the toy 2-D samples should match (default: the denoiser's)", g));
    flags.push_back(textFlag("--judge", "FILE", "the judge whose features FD, precision and recall use (default: the shipped fmnist-judge.pt)", g));
    flags.push_back(textFlag("--classifier", "FILE|none", "the noise-aware classifier of the FD-cls column (default: the shipped fmnist-classifier.pt)", g));
    flags.push_back(integerFlag("--batch", "B", "samples per batch while sampling", g, "250", 1, 100000));
    return flags;
}

const char* const kImageHeader = "| FD (judge) | precision | recall | FD-cls (shares features with the discriminator) |";
const char* const kImageRule = "|---:|---:|---:|---:|";

std::string defaultClassifier() { return modelsFolder() + "/fmnist-classifier.pt"; }
std::string defaultJudge() { return modelsFolder() + "/fmnist-judge.pt"; }

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

struct Row
{
    double weight;
    std::string metrics; // formatted cells
    double primary;      // FD or SW2
};

// Scores sample sets; the judge, the classifier and the real images' features are loaded once, on first use.
class Scorer
{
public:
    Scorer(const ArgParser& a, const SampleRequest* r) : m_args(a), m_request(r) {}

    std::string score(const HostTensor& samples, double* primary)
    {
        std::ostringstream s;
        s.setf(std::ios::fixed);
        if (samples.isPoints2d()) {
            if (m_toy.empty()) m_toy = toyFor(m_args, m_request);
            const auto m = evaluateToy(m_toy, samples);
            s.precision(4);
            s << m.slicedWasserstein << " | " << m.nll;
            if (primary) *primary = m.slicedWasserstein;
        } else {
            FashionMnistEvaluator::checkSamples(samples); // before the judge and the test set are loaded
            if (!m_evaluator) {
                std::string classifier = m_args.text("--classifier", defaultClassifier());
                if (classifier == "none") classifier.clear();
                m_evaluator = std::make_unique<FashionMnistEvaluator>(
                    m_args.text("--judge", defaultJudge()), classifier,
                    m_request ? m_request->device : Device::Auto, &interruptToken());
            }
            const auto m = m_evaluator->evaluate(samples);
            s.precision(3);
            s << m.fd << " | " << m.precision << " | " << m.recall << " | ";
            if (std::isnan(m.fdClassifier))
                s << "-";
            else
                s << m.fdClassifier;
            if (primary) *primary = m.fd;
        }
        return s.str();
    }

private:
    const ArgParser& m_args;
    const SampleRequest* m_request;
    std::string m_toy;
    std::unique_ptr<FashionMnistEvaluator> m_evaluator;
};

HostTensor sampleWithProgress(const SampleRequest& r, int64_t batch, const char* label)
{
    const auto start = std::chrono::steady_clock::now();
    return sampleInBatches(r, batch, [&](int64_t done, int64_t total) {
        const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::fprintf(stderr, "  %s %lld/%lld samples  ETA %.0f s\n", label, static_cast<long long>(done),
                     static_cast<long long>(total), (total - done) * sec / done);
    }, &interruptToken());
}

} // namespace

int runEval(const std::vector<std::string>& argv)
{
    auto flags = evaluationFlags();
    flags.insert(flags.begin(), textFlag("--samples", "FILE.pt", "the samples to score (instead of sampling)", "Evaluation"));
    ArgParser a("dg eval", flags,
                "Scores samples: a file (--samples FILE.pt) or samples drawn here with the flags of dg sample "
                "(--denoiser ... --count 5000).", kMetricsHelp);
    if (!a.parse(argv)) return 0;
    HostTensor samples;
    std::optional<SampleRequest> r;
    if (a.has("--samples")) {
        if (a.has("--denoiser")) throw UsageError("--samples: give either --samples or --denoiser, not both");
        samples = loadTensorFile(a.text("--samples"));
    } else {
        if (!a.has("--count") && !a.has("--noise")) throw UsageError("--count: how many samples to evaluate (e.g. 5000)");
        r = requestFromFlags(a);
        samples = sampleWithProgress(*r, a.integer("--batch"), "sampling");
    }
    const bool points = samples.isPoints2d();
    std::cout << (points ? std::string("| SW2 | NLL |\n|---:|---:|\n")
                         : std::string(kImageHeader) + "\n" + kImageRule + "\n");
    Scorer scorer(a, r ? &*r : nullptr);
    std::cout << "| " << scorer.score(samples, nullptr) << " |\n";
    std::cout << "(" << samples.batch() << " samples" << (points ? "" : ", quantized to 8 bits before scoring") << ")\n";
    return 0;
}

int runSweep(const std::vector<std::string>& argv)
{
    auto flags = evaluationFlags();
    flags.insert(flags.begin(), textFlag("--weights", "W,W,...", "the guidance weights, comma-separated", "Sweep",
                                         "0,0.5,1,2,3"));
    ArgParser a("dg sweep", flags,
                "Samples the same seeds at each guidance weight (w2 follows --dg-weight-2nd if given, else w) and prints "
                "a table of the metrics: the tool for tuning the weight. --count defaults to 5000 here.",
                kMetricsHelp);
    if (!a.parse(argv)) return 0;
    SampleRequest base = requestFromFlags(a);
    if (base.discriminator.empty()) throw UsageError("--discriminator: a sweep over guidance weights needs one");
    if (!a.has("--count")) base.settings.count = 5000;
    std::vector<double> weights;
    std::stringstream list(a.text("--weights"));
    for (std::string item; std::getline(list, item, ',');) {
        char* end = nullptr;
        const double w = std::strtod(item.c_str(), &end);
        if (item.empty() || *end != '\0' || !std::isfinite(w))
            throw UsageError("--weights: expected comma-separated numbers, got '" + item + "'");
        weights.push_back(w);
    }
    const int64_t batch = a.integer("--batch");
    std::vector<Row> rows;
    Scorer scorer(a, &base);
    for (double w : weights) {
        SampleRequest r = base;
        r.settings.guidance.weight = w;
        if (w == 0.0 && base.settings.guidance.weight2.value_or(0.0) == 0.0) { // unguided: no discriminator cost
            r.discriminator.clear();
            r.settings.guidance.boost = false;
        }
        const std::string label = "w=" + formatNumber(w);
        const auto samples = sampleWithProgress(r, batch, label.c_str());
        Row row{w, "", 0.0};
        row.metrics = scorer.score(samples, &row.primary);
        std::fprintf(stderr, "  %s: %s\n", label.c_str(), row.metrics.c_str());
        rows.push_back(row);
    }
    double best = rows.front().primary;
    for (const auto& row : rows) best = std::min(best, row.primary);
    std::cout << "seed " << base.settings.seed << ", " << base.settings.count << " samples per row, "
              << toString(base.settings.sampler.kind) << " " << base.settings.sampler.schedule.steps << " steps\n";
    std::cout << (rows.front().metrics.find(" | ") == rows.front().metrics.rfind(" | ")
                      ? std::string("| weight | SW2 | NLL |\n|---:|---:|---:|\n")
                      : std::string("| weight ") + kImageHeader + "\n|---:" + kImageRule + "\n");
    for (const auto& row : rows)
        std::cout << "| " << formatNumber(row.weight) << (row.primary == best ? " (best)" : "") << " | " << row.metrics
                  << " |\n";
    return 0;
}

} // namespace dg::cli
