#include "SamplingFlags.h"

#include "dg/Models.h"
#include "dg/SamplerRegistry.h"
#include "dg/Settings.h"
#include "dg/TensorFile.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

namespace dg::cli {

namespace {

// A default as the help prints it, from the one place defaults live (dg/Settings.h): 0.002, 80, inf.
std::string shown(double v)
{
    if (std::isinf(v)) return "inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

} // namespace

std::vector<FlagSpec> samplingFlags()
{
    const RunSettings d;
    const auto& sch = d.sampler.schedule;
    const auto& ch = d.sampler.churn;
    const std::string models = "Models", start = "Start", sampler = "Sampler (EDM, Karras et al. 2022)",
                      guidance = "Discriminator Guidance (Kim et al. 2023): D_DG = D + w * sigma^2 * grad_x logit";
    return {
        textFlag(
            "--denoiser", "PATH|builtin:NAME",
            "score model: a checkpoint from dg train-score, a TorchScript file (forward(x, sigma[, class_labels])) "
            "or a built-in (see dg models; default builtin:fmnist)",
            models),
        textFlag("--discriminator", "PATH|builtin:NAME",
                 "discriminator returning logit = log(d/(1-d)); needed for --dg-weight != 0 (default with the default "
                 "denoiser: builtin:fmnist's discriminator)",
                 models),
        textFlag("--noise", "FILE.pt",
                 "standard-normal start [N, ...] saved by torch.save (the start is noise * sigma_max)", start),
        unsignedFlag("--seed", "S", "sample i starts from noise derived from (S, i) only", start, "0"),
        integerFlag("--count", "N", "number of samples (not with --noise)", start, std::to_string(d.count), 1, 1000000),
        textFlag("--class", "K|all",
                 "class label for class-conditional models (all: sample i gets class i mod the number of classes)",
                 start),
        [&] { // the sampler registry's entries
            std::vector<std::string> keys;
            std::string help;
            for (const auto& info : samplers()) {
                keys.push_back(info.key);
                help += (help.empty() ? "" : "; ") + info.key + ": " + info.description;
            }
            return choiceFlag("--sampler", keys, help + " (DG guides every evaluation of each)", sampler,
                              d.sampler.kind);
        }(),
        integerFlag("--steps", "N", "sampling steps", sampler, std::to_string(sch.steps), 1, 10000),
        numberFlag("--sigma-min", "X", "smallest noise level of the schedule", sampler, shown(sch.sigmaMin)),
        numberFlag("--sigma-max", "X", "largest noise level of the schedule", sampler, shown(sch.sigmaMax)),
        numberFlag("--rho", "X", "schedule exponent", sampler, shown(sch.rho)),
        numberFlag("--churn", "X", "stochasticity S_churn (0 = deterministic ODE)", sampler, shown(ch.churn), 0),
        numberFlag("--s-min", "X", "churn only for sigma >= X", sampler, shown(ch.sMin)),
        [&] {
            auto f = numberFlag("--s-max", "X", "churn only for sigma <= X", sampler, shown(ch.sMax));
            f.allowInfinity = true;
            return f;
        }(),
        numberFlag("--s-noise", "X", "noise inflation S_noise of the churn", sampler, shown(ch.sNoise)),
        numberFlag("--dg-weight", "W", "w for the Euler predictor (0 = no guidance)", guidance, "0"),
        numberFlag("--dg-weight-2nd", "W", "w2 for the Heun corrector (default: W; 0 = official code, predictor only)",
                   guidance),
        numberFlag("--dg-sigma-min", "X", "guidance only for sigma >= X (default: always)", guidance),
        [&] {
            auto f = numberFlag("--dg-sigma-max", "X", "guidance only for sigma <= X (default: always)", guidance);
            f.allowInfinity = true;
            return f;
        }(),
        numberFlag("--dg-logit-clip", "L",
                   "no guidance gradient for a sample whose |logit| > L, as the official code's clip of d to "
                   "[1e-5, 1 - 1e-5] does (L = 11.513); default: no clip",
                   guidance),
        choiceFlag("--dg-preset", {"auto", "none", "official"},
                   "official: the official DG sampler (alsdudrla10/DG) - w2 = 0 (predictor only), sigma window "
                   "[0.0447, 152.2] (VP time [0.01, 1], beta 0.1..20), logit clip 11.513; none: w2 = w at every "
                   "sigma, no clip (the exact identity D + w sigma^2 grad log d/(1-d)); auto: official for image "
                   "models, none for 2-D toys; flags given explicitly override the preset's values",
                   guidance, "auto"),
        switchFlag("--dg-boost",
                   "the official boosting (any model; the paper boosts its class-conditional ImageNet "
                   "runs): every 5th step samples with logit < 0 get churn 4, every 2nd step their "
                   "guidance is doubled",
                   guidance),
        choiceFlag("--device", {"auto", "cpu", "cuda"}, "auto: CUDA when the linked LibTorch has it", "Device", "auto"),
    };
}

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
    s.seed = a.unsignedInteger("--seed");
    s.count = a.integer("--count");
    if (a.has("--class")) {
        if (a.text("--class") == "all") {
            s.classLabel = kEveryClass;
        } else {
            s.classLabel = a.integer("--class", 0);
            if (*s.classLabel < 0)
                throw UsageError("--class: expected a class index >= 0 or all, got " + a.text("--class"));
        }
    }
    const std::string sampler = a.text("--sampler");
    if (!findSampler(sampler))
        throw UsageError("--sampler: expected one of " + samplerKeys() + ", got '" + sampler + "'");
    s.sampler.kind = sampler;
    s.sampler.schedule.steps = static_cast<int>(a.integer("--steps"));
    s.sampler.schedule.sigmaMin = a.number("--sigma-min");
    s.sampler.schedule.sigmaMax = a.number("--sigma-max");
    s.sampler.schedule.rho = a.number("--rho");
    s.sampler.churn.churn = a.number("--churn");
    s.sampler.churn.sMin = a.number("--s-min");
    s.sampler.churn.sMax = a.number("--s-max");
    s.sampler.churn.sNoise = a.number("--s-noise");
    s.guidance.weight = a.number("--dg-weight");
    std::string preset = a.text("--dg-preset");
    if (preset == "auto") { // per kind (kindDefaults): the official recipe for images, the exact identity for toys
        initRuntime();
        std::optional<bool> points; // the noise file's shape decides when there is one (a bad one is reported later)
        if (a.has("--noise")) try {
                points = loadTensorFile(a.text("--noise")).sampleShape() == std::vector<int64_t>{2};
            } catch (const std::exception&) {
            }
        if (!points) points = drawsPoints(r.denoiser);
        preset = toString(kindDefaults(*points).preset);
    }
    const auto parsedPreset = parseGuidancePreset(preset);
    if (!parsedPreset) throw UsageError("--dg-preset: expected auto, none or official, got '" + preset + "'");
    if (*parsedPreset == GuidancePreset::Official) s.guidance = officialGuidance(s.guidance);
    // Explicit flags override the preset's values.
    if (a.has("--dg-weight-2nd")) s.guidance.weight2 = a.number("--dg-weight-2nd", 0.0);
    s.guidance.sigmaLo = a.number("--dg-sigma-min", s.guidance.sigmaLo);
    s.guidance.sigmaHi = a.number("--dg-sigma-max", s.guidance.sigmaHi);
    s.guidance.logitClip = a.number("--dg-logit-clip", s.guidance.logitClip);
    if (!(s.guidance.logitClip > 0))
        throw UsageError("--dg-logit-clip: must be a positive number (got " + a.text("--dg-logit-clip") + ")");
    // A preset whose values were overridden is recorded as custom (none), as dg-studio's preset box shows it.
    if (s.guidance.preset == GuidancePreset::Official && !hasOfficialValues(s.guidance))
        s.guidance.preset = GuidancePreset::None;
    s.guidance.boost = a.has("--dg-boost");
    try {
        r.device = parseDevice(a.text("--device"));
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
    if (wantsGuidance && r.discriminator.empty()) throw UsageError("--dg-weight: guidance needs a --discriminator");
    if (s.guidance.boost && r.discriminator.empty()) throw UsageError("--dg-boost: boosting needs a --discriminator");
    return r;
}

FlagSpec batchFlag(const std::string& group)
{
    return integerFlag(
        "--batch", "B",
        "samples sampled together (default on the CPU: at most 16,384 values per batch - Fashion-MNIST 16, 3x32x32 "
        "4, 2-D points 4096 - fewer when memory is short; docs/PERFORMANCE.md); results do not depend "
        "on it",
        group, "", 1, 100000);
}

int64_t batchFromFlags(const ArgParser& args)
{
    return args.integer("--batch", 0);
}

} // namespace dg::cli
