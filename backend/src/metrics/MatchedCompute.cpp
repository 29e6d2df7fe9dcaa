// Is DG worth its compute? (issue "DG in the paper's regime", item 5): the cost of a sample, counted and timed, and
// the unguided sampler's steps at which it costs as much as the guided one.
#include "dg/Error.h"
#include "dg/Sampling.h"
#include "dg/Tuning.h"
#include "models/Denoiser.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>

namespace dg {
namespace {

// Forwards every call to the model it wraps and counts the rows it was asked for.
class CountingDenoiser : public Denoiser
{
public:
    explicit CountingDenoiser(DenoiserPtr inner) : m_inner(std::move(inner)) {}
    at::Tensor denoise(const at::Tensor& x, const at::Tensor& sigma,
                       const std::optional<at::Tensor>& classLabels) const override
    {
        rows += x.size(0);
        return m_inner->denoise(x, sigma, classLabels);
    }
    ModelInfo info() const override { return m_inner->info(); }
    mutable std::atomic<int64_t> rows{0};

private:
    DenoiserPtr m_inner;
};

class CountingDiscriminator : public Discriminator
{
public:
    explicit CountingDiscriminator(DiscriminatorPtr inner) : m_inner(std::move(inner)) {}
    at::Tensor logit(const at::Tensor& x, const at::Tensor& sigma,
                     const std::optional<at::Tensor>& classLabels) const override
    {
        return m_inner->logit(x, sigma, classLabels);
    }
    LogitGradient logitWithGradient(const at::Tensor& x, const at::Tensor& sigma,
                                    const std::optional<at::Tensor>& classLabels) const override
    {
        gradientRows += x.size(0);
        return m_inner->logitWithGradient(x, sigma, classLabels);
    }
    ModelInfo info() const override { return m_inner->info(); }
    mutable std::atomic<int64_t> gradientRows{0};

private:
    DiscriminatorPtr m_inner;
};

} // namespace

std::vector<SamplingCost> measureSamplingCosts(const std::vector<SampleRequest>& requests, int64_t probe,
                                               const CancelToken* cancel)
{
    if (probe < 1) throw Error("‹count›: the cost probe needs at least 1 sample (got " + std::to_string(probe) + ")");
    struct Probe
    {
        LoadedRequest loaded;
        std::shared_ptr<CountingDenoiser> denoiser;
        std::shared_ptr<CountingDiscriminator> discriminator;
        SampleRequest request;
        int64_t batch = 0;
        double fastest = std::numeric_limits<double>::infinity(); // seconds per sample
        SamplingCost cost;
    };
    std::vector<Probe> probes;
    for (const auto& request : requests) {
        Probe p;
        p.loaded = loadRequest(request);
        p.loaded.denoiser = p.denoiser = std::make_shared<CountingDenoiser>(p.loaded.denoiser);
        if (p.loaded.discriminator)
            p.loaded.discriminator = p.discriminator = std::make_shared<CountingDiscriminator>(p.loaded.discriminator);
        p.request = request;
        p.batch = resolveBatchSize(0, p.loaded.sampleShape, p.loaded.device);
        // At least one whole batch: a toy's 32 points take microseconds, too little to time.
        if (!p.loaded.noise) p.request.settings.count = std::max(probe, p.batch);
        probes.push_back(std::move(p));
    }
    // Three rounds, the requests in turn within each, the fastest round of each kept: the first round pays for
    // warm-up, and whatever else the machine does in a moment slows the requests alike rather than one of them. A
    // round repeats its request until it has run kMinRoundSeconds: a toy's batch takes milliseconds, and a timing that
    // short moved the matched steps of one toy pair between 71 and 242 from run to run on a busy machine.
    constexpr double kMinRoundSeconds = 0.25;
    for (int round = 0; round < 3; ++round)
        for (auto& p : probes) {
            p.denoiser->rows = 0;
            if (p.discriminator) p.discriminator->gradientRows = 0;
            const auto start = std::chrono::steady_clock::now();
            double seconds = 0.0, made = 0.0;
            do {
                sampleInBatches(p.loaded, p.request, p.batch, {}, cancel);
                made += static_cast<double>(p.request.settings.count);
                seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            } while (seconds < kMinRoundSeconds);
            p.fastest = std::min(p.fastest, seconds / made);
            p.cost.denoiserEvaluations = static_cast<double>(p.denoiser->rows.load()) / made;
            p.cost.discriminatorGradients =
                p.discriminator ? static_cast<double>(p.discriminator->gradientRows.load()) / made : 0.0;
            p.cost.secondsPerSample = p.fastest;
        }
    std::vector<SamplingCost> out;
    for (const auto& p : probes)
        out.push_back(p.cost);
    return out;
}

SamplingCost measureSamplingCost(const SampleRequest& request, int64_t probe, const CancelToken* cancel)
{
    return measureSamplingCosts({request}, probe, cancel).front();
}

int matchedSteps(const SamplingCost& guided, const SamplingCost& unguidedAtBase, int baseSteps, int evaluationsPerStep)
{
    if (baseSteps < 1 || evaluationsPerStep < 1 || !(unguidedAtBase.secondsPerSample > 0))
        throw Error("matched compute: nothing measured to match (" + std::to_string(baseSteps) + " steps)");
    // A sampler of e evaluations per step makes e·N − (e − 1) of them in N steps (its last step, to σ = 0, one).
    auto evaluations = [evaluationsPerStep](int steps) {
        return static_cast<double>(evaluationsPerStep) * steps - (evaluationsPerStep - 1);
    };
    const double perEvaluation = unguidedAtBase.secondsPerSample / evaluations(baseSteps);
    int steps = baseSteps;
    while (evaluations(steps) * perEvaluation < guided.secondsPerSample && steps < 100000)
        ++steps;
    return steps;
}

} // namespace dg
