#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace dg {

enum class SamplerKind
{
    Euler,
    Heun,
};

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
    SamplerKind kind = SamplerKind::Heun;
    ScheduleSettings schedule;
    ChurnSettings churn;
};

// D_DG(x;σ) = D(x;σ) + w·σ²·∇ₓ logit(x,σ) (Kim et al. 2023), on only inside [sigmaLo, sigmaHi].
struct GuidanceSettings
{
    bool enabled = true;
    double weight = 0.0;
    std::optional<double> weight2; // Heun corrector weight; unset = same as weight, 0 = official code (predictor only)
    double sigmaLo = 0.0;
    double sigmaHi = std::numeric_limits<double>::infinity();

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

// --class all: sample i gets class i mod (the model's number of classes): every class, in equal shares.
constexpr int64_t kEveryClass = -1;
// The class sample i of a run gets (settings.classLabel must be set; numClasses > 0 for kEveryClass).
int64_t classOfSample(const RunSettings& settings, int64_t i, int64_t numClasses);

const char* toString(SamplerKind kind);
std::optional<SamplerKind> parseSamplerKind(const std::string& text);
// Throws dg::Error naming the offending setting.
void validate(const RunSettings& settings);

} // namespace dg
