#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace dg {

// EDM time discretisation (Karras et al. 2022, eq. 5).
struct ScheduleSettings
{
    int steps = 18;
    double sigmaMin = 0.002;
    double sigmaMax = 80.0;
    double rho = 7.0;
};

// EDM Algorithm 2 stochasticity: S_churn, S_tmin, S_tmax, S_noise.
struct ChurnSettings
{
    double churn = 0.0;
    double sMin = 0.0;
    double sMax = std::numeric_limits<double>::infinity();
    double sNoise = 1.0;
};

struct SamplerSettings
{
    std::string kind = "heun"; // a key of the sampler registry (dg/SamplerRegistry.h)
    ScheduleSettings schedule;
    ChurnSettings churn;
};

// Where a guidance configuration came from: the user's own values, or the official DG code's (see officialGuidance).
enum class GuidancePreset
{
    None,
    Official,
};

// D_DG(x;σ) = D(x;σ) + w·σ²·∇ₓ logit(x,σ) (Kim et al. 2023), on only inside [sigmaLo, sigmaHi].
struct GuidanceSettings
{
    bool enabled = true;
    double weight = 0.0;
    std::optional<double> weight2; // Heun corrector weight; unset = same as weight, 0 = official code (predictor only)
    double sigmaLo = 0.0;
    double sigmaHi = std::numeric_limits<double>::infinity();
    // A sample whose |logit| exceeds logitClip gets no guidance gradient: the official code clips d = sigmoid(logit)
    // to [1e-5, 1 − 1e-5], whose gradient is zero outside (kOfficialLogitClip). Infinite: no clip.
    double logitClip = std::numeric_limits<double>::infinity();
    // The official sampler's boosting for class-conditional models (alsdudrla10/DG generate.py, edm_sampler): on
    // steps k ≡ 0 (mod 5) samples whose last predictor logit was < 0 get churn S_churn = 4, S_noise = 1; on steps
    // k ≡ 0 (mod 2) the predictor's guidance of samples with logit < 0 is doubled.
    bool boost = false;
    GuidancePreset preset = GuidancePreset::None; // recorded with exports; the values above are what runs

    double predictorWeight() const { return enabled ? weight : 0.0; }
    double correctorWeight() const { return enabled ? weight2.value_or(weight) : 0.0; }
    bool activeAt(double sigma) const { return enabled && sigma >= sigmaLo && sigma <= sigmaHi; }
};

struct RunSettings
{
    SamplerSettings sampler;
    GuidanceSettings guidance;
    uint64_t seed = 0;
    int64_t count = 16;
    int64_t firstSample = 0; // sample indices are firstSample … firstSample + count − 1 (noise keys, for batching)
    std::optional<int64_t> classLabel; // one class for every sample, or kEveryClass
};

// ln((1 − 1e-5)/1e-5): the logit beyond which the official code's clip of d to [1e-5, 1 − 1e-5] stops the gradient.
constexpr double kOfficialLogitClip = 11.512915464920228;
// EDM's σ of a VP-SDE time τ (β_min = 0.1, β_max = 20; Song et al. 2021): σ = √(exp(β_min·τ + ½(β_max − β_min)·τ²) −
// 1).
double vpSigmaFromTau(double tau);
// The official DG sampler's guidance (Kim et al. 2023, alsdudrla10/DG): predictor only (w2 = 0), the VP-time window
// τ ∈ [0.01, 1] as σ ∈ [vpSigmaFromTau(0.01), vpSigmaFromTau(1)] ≈ [0.0447, 152.2], logit clip kOfficialLogitClip.
// Keeps enabled, weight and boost from base.
GuidanceSettings officialGuidance(GuidanceSettings base);
// Whether the window, w2 and clip are exactly the official preset's.
bool hasOfficialValues(const GuidanceSettings& g);
const char* toString(GuidancePreset preset);
std::optional<GuidancePreset> parseGuidancePreset(const std::string& text); // "none" | "official"

// --class all: sample i gets class i mod (the model's number of classes): every class, in equal shares.
constexpr int64_t kEveryClass = -1;
// The class sample i of a run gets (settings.classLabel must be set; numClasses > 0 for kEveryClass).
int64_t classOfSample(const RunSettings& settings, int64_t i, int64_t numClasses);

// Throws dg::Error naming the offending setting.
void validate(const RunSettings& settings);

// What a front end starts a kind of model with: 16 images or 256 points of a 2-D toy; w = 2 on images (the official
// code's CIFAR-10 weight, and in the shipped Fashion-MNIST pair's useful range), w = 1 on toys (with the exact ratio,
// w = 1 gives the data score). Learned image pairs sample with the official recipe (officialGuidance: w2 = 0, the σ
// window, the logit clip — Kim et al. 2023's sampler); the analytic 2-D toys keep the exact identity (w2 = w, every σ,
// no clip), where the optimal discriminator at w = 1 recovers the data score.
struct KindDefaults
{
    int64_t count;
    double weight;
    GuidancePreset preset;
};
KindDefaults kindDefaults(bool points2d);
// The guidance a kind starts with: kindDefaults' weight under its preset.
GuidanceSettings kindGuidance(bool points2d);

} // namespace dg
