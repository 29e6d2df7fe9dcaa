#include "SamplingFlags.h"

#include "dg/Models.h"

#include <filesystem>
#include <limits>

namespace dg::cli {

std::vector<FlagSpec> samplingFlags()
{
    std::vector<FlagSpec> flags;
    for (const char* name : {"--denoiser", "--discriminator", "--noise", "--seed", "--count", "--class", "--sampler",
                             "--steps", "--sigma-min", "--sigma-max", "--rho", "--churn", "--s-min", "--s-max",
                             "--s-noise", "--dg-weight", "--dg-weight-2nd", "--dg-sigma-min", "--dg-sigma-max",
                             "--dg-logit-clip", "--dg-preset", "--device"})
        flags.push_back({name, true});
    flags.push_back({"--dg-boost", false});
    return flags;
}

const char* const kSamplingFlagsHelp = R"(Models:
  --denoiser PATH|builtin:NAME     score model: a checkpoint from dg train-score, a TorchScript file
                                   (forward(x, sigma[, class_labels])) or a built-in (default builtin:fmnist)
  --discriminator PATH|builtin:NAME
                                   discriminator returning logit = log(d/(1-d)); needed for --dg-weight != 0
                                   (default with the default denoiser: builtin:fmnist's discriminator)
Start:
  --noise FILE.pt                  standard-normal start [N, ...] saved by torch.save (the start is noise * sigma_max)
  --seed S                         seed (default 0): sample i starts from noise derived from (S, i) only
  --count N                        number of samples (default 16; not with --noise)
  --class K|all                    class label for class-conditional models (all: sample i gets class i mod
                                   the number of classes)
Sampler (EDM, Karras et al. 2022):
  --sampler heun|euler             default heun (EDM Algorithm 2)
  --steps N                        default 18
  --sigma-min X --sigma-max X --rho X
                                   schedule, defaults 0.002, 80, 7
  --churn X --s-min X --s-max X --s-noise X
                                   stochasticity, defaults 0, 0, inf, 1 (0 churn = deterministic ODE)
Discriminator Guidance (Kim et al. 2023): D_DG = D + w * sigma^2 * grad_x logit
  --dg-weight W                    w for the Euler predictor (default 0 = off)
  --dg-weight-2nd W                w2 for the Heun corrector (default: W; 0 = official code, predictor only)
  --dg-sigma-min X --dg-sigma-max X
                                   guidance only for sigma in [X, Y] (default: always)
  --dg-logit-clip L                no guidance gradient for a sample whose |logit| > L, as the official code's clip
                                   of d to [1e-5, 1 - 1e-5] does (L = 11.513); default: no clip
  --dg-preset none|official        official: the official DG sampler (alsdudrla10/DG) - w2 = 0 (predictor only),
                                   sigma window [0.0447, 152.2] (VP time [0.01, 1], beta 0.1..20), logit clip
                                   11.513; flags given explicitly override the preset's values. Default none.
  --dg-boost                       the official boosting for class-conditional models: every 5th step samples
                                   with logit < 0 get churn 4, every 2nd step their guidance is doubled
  --device auto|cpu|cuda           default auto (CUDA when the linked LibTorch has it)
)";

SampleRequest requestFromFlags(const ArgParser& a)
{
    SampleRequest r;
    r.denoiser = a.text("--denoiser");
    r.discriminator = a.text("--discriminator");
    // Default: the shipped Fashion-MNIST pair (its discriminator only when guidance is asked for).
    const bool shipped = std::filesystem::exists(modelsFolder() + "/fmnist-score.pt");
    if (r.denoiser.empty() && !shipped)
        throw UsageError("--denoiser: required (a TorchScript file or builtin:NAME; see dg models)");
    const bool defaulted = r.denoiser.empty();
    if (defaulted) r.denoiser = "builtin:fmnist";
    r.noiseFile = a.text("--noise");
    if (!r.noiseFile.empty() && a.has("--count"))
        throw UsageError("--count: cannot be combined with --noise (the noise file fixes the number of samples)");

    auto& s = r.settings;
    s.seed = a.unsignedInteger("--seed", 0);
    s.count = a.integer("--count", 16);
    if (a.has("--class")) {
        if (a.text("--class") == "all") {
            s.classLabel = kEveryClass;
        } else {
            s.classLabel = a.integer("--class", 0);
            if (*s.classLabel < 0) throw UsageError("--class: expected a class index >= 0 or all, got " + a.text("--class"));
        }
    }
    const std::string sampler = a.text("--sampler", "heun");
    const auto kind = parseSamplerKind(sampler);
    if (!kind) throw UsageError("--sampler: expected heun or euler, got '" + sampler + "'");
    s.sampler.kind = *kind;
    const int64_t steps = a.integer("--steps", 18);
    if (steps < 1 || steps > 10000) throw UsageError("--steps: must be between 1 and 10000 (got " + std::to_string(steps) + ")");
    s.sampler.schedule.steps = static_cast<int>(steps);
    s.sampler.schedule.sigmaMin = a.number("--sigma-min", 0.002);
    s.sampler.schedule.sigmaMax = a.number("--sigma-max", 80.0);
    s.sampler.schedule.rho = a.number("--rho", 7.0);
    s.sampler.churn.churn = a.number("--churn", 0.0);
    s.sampler.churn.sMin = a.number("--s-min", 0.0);
    s.sampler.churn.sMax = a.number("--s-max", std::numeric_limits<double>::infinity());
    s.sampler.churn.sNoise = a.number("--s-noise", 1.0);
    s.guidance.weight = a.number("--dg-weight", 0.0);
    const std::string preset = a.text("--dg-preset", "none");
    const auto parsedPreset = parseGuidancePreset(preset);
    if (!parsedPreset) throw UsageError("--dg-preset: expected none or official, got '" + preset + "'");
    if (*parsedPreset == GuidancePreset::Official) s.guidance = officialGuidance(s.guidance);
    // Explicit flags override the preset's values.
    if (a.has("--dg-weight-2nd")) s.guidance.weight2 = a.number("--dg-weight-2nd", 0.0);
    s.guidance.sigmaLo = a.number("--dg-sigma-min", s.guidance.sigmaLo);
    s.guidance.sigmaHi = a.number("--dg-sigma-max", s.guidance.sigmaHi);
    s.guidance.logitClip = a.number("--dg-logit-clip", s.guidance.logitClip);
    if (!(s.guidance.logitClip > 0))
        throw UsageError("--dg-logit-clip: must be a positive number (got " + a.text("--dg-logit-clip") + ")");
    s.guidance.boost = a.has("--dg-boost");
    try {
        r.device = parseDevice(a.text("--device", "auto"));
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    try {
        validate(s);
    } catch (const Error& e) { // a bad value of a valid flag is a bad command line
        throw UsageError(e.what());
    }

    const bool wantsGuidance = s.guidance.weight != 0.0 || s.guidance.weight2.value_or(0.0) != 0.0;
    if (defaulted && wantsGuidance && r.discriminator.empty() &&
        std::filesystem::exists(modelsFolder() + "/fmnist-disc.pt"))
        r.discriminator = "builtin:fmnist";
    if (wantsGuidance && r.discriminator.empty())
        throw UsageError("--dg-weight: guidance needs a --discriminator");
    if (s.guidance.boost) {
        if (r.discriminator.empty()) throw UsageError("--dg-boost: boosting needs a --discriminator");
        initRuntime();
        if (!modelInfo(*loadDenoiser(r.denoiser, Device::Cpu)).classConditional)
            throw UsageError("--dg-boost: the official boosting is for class-conditional models; '" + r.denoiser +
                             "' is unconditional");
    }
    return r;
}

} // namespace dg::cli
