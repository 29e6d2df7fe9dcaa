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

SamplingCost measureSamplingCost(const SampleRequest& request, int64_t probe, const CancelToken* cancel)
{
    if (probe < 1) throw Error("‹count›: the cost probe needs at least 1 sample (got " + std::to_string(probe) + ")");
    LoadedRequest loaded = loadRequest(request);
    auto denoiser = std::make_shared<CountingDenoiser>(loaded.denoiser);
    loaded.denoiser = denoiser;
    std::shared_ptr<CountingDiscriminator> discriminator;
    if (loaded.discriminator)
        loaded.discriminator = discriminator = std::make_shared<CountingDiscriminator>(loaded.discriminator);
    SampleRequest r = request;
    const int64_t batch = resolveBatchSize(0, loaded.sampleShape, loaded.device);
    // At least one whole batch: a toy's 32 points take microseconds, too little to time.
    r.settings.count = loaded.noise ? r.settings.count : std::max(probe, batch);
    const int64_t n = r.settings.count;
    double fastest = std::numeric_limits<double>::infinity();
    SamplingCost cost;
    for (int run = 0; run < 3; ++run) { // the fastest of three: the first pays for warm-up, another process may cut in
        denoiser->rows = 0;
        if (discriminator) discriminator->gradientRows = 0;
        const auto start = std::chrono::steady_clock::now();
        sampleInBatches(loaded, r, batch, {}, cancel);
        fastest = std::min(fastest, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        cost.denoiserEvaluations = static_cast<double>(denoiser->rows.load()) / static_cast<double>(n);
        cost.discriminatorGradients =
            discriminator ? static_cast<double>(discriminator->gradientRows.load()) / static_cast<double>(n) : 0.0;
    }
    cost.secondsPerSample = fastest / static_cast<double>(n);
    return cost;
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
