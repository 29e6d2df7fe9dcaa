#include "dg/Settings.h"
#include "dg/Error.h"
#include "dg/SamplerRegistry.h"

#include <cmath>
#include <sstream>

namespace dg {
namespace {

std::string num(double v)
{
    std::ostringstream s;
    s << v;
    return s.str();
}

void require(bool ok, const std::string& flag, const std::string& problem, double value)
{
    if (!ok) throw Error(flag + ": " + problem + " (got " + num(value) + ")");
}

} // namespace

double vpSigmaFromTau(double tau)
{
    constexpr double betaMin = 0.1, betaMax = 20.0;
    return std::sqrt(std::expm1(betaMin * tau + 0.5 * (betaMax - betaMin) * tau * tau));
}

GuidanceSettings officialGuidance(GuidanceSettings g)
{
    g.weight2 = 0.0;
    g.sigmaLo = vpSigmaFromTau(0.01);
    g.sigmaHi = vpSigmaFromTau(1.0);
    g.logitClip = kOfficialLogitClip;
    g.preset = GuidancePreset::Official;
    return g;
}

bool hasOfficialValues(const GuidanceSettings& g)
{
    const auto o = officialGuidance(g);
    return g.weight2 == o.weight2 && g.sigmaLo == o.sigmaLo && g.sigmaHi == o.sigmaHi && g.logitClip == o.logitClip;
}

const char* toString(GuidancePreset p)
{
    return p == GuidancePreset::Official ? "official" : "none";
}

std::optional<GuidancePreset> parseGuidancePreset(const std::string& text)
{
    if (text == "none") return GuidancePreset::None;
    if (text == "official") return GuidancePreset::Official;
    return std::nullopt;
}

int64_t classOfSample(const RunSettings& s, int64_t i, int64_t numClasses)
{
    return *s.classLabel == kEveryClass ? (s.firstSample + i) % numClasses : *s.classLabel;
}

void validate(const RunSettings& r)
{
    const auto& s = r.sampler.schedule;
    const auto& c = r.sampler.churn;
    const auto& g = r.guidance;
    if (!findSampler(r.sampler.kind))
        throw Error("‹sampler›: unknown sampler '" + r.sampler.kind + "' (one of " + samplerKeys() + ")");
    require(s.steps >= 1 && s.steps <= 10000, "‹steps›", "must be between 1 and 10000", s.steps);
    require(std::isfinite(s.sigmaMin) && s.sigmaMin > 0, "‹sigma-min›", "must be a positive number", s.sigmaMin);
    require(std::isfinite(s.sigmaMax) && s.sigmaMax > s.sigmaMin, "‹sigma-max›", "must be finite and above ‹sigma-min›",
            s.sigmaMax);
    require(std::isfinite(s.rho) && s.rho > 0, "‹rho›", "must be a positive number", s.rho);
    require(std::isfinite(c.churn) && c.churn >= 0, "‹churn›", "must be zero or positive", c.churn);
    require(!std::isnan(c.sMin) && c.sMin >= 0, "‹s-min›", "must be zero or positive", c.sMin);
    require(!std::isnan(c.sMax) && c.sMax >= c.sMin, "‹s-max›", "must be at least ‹s-min›", c.sMax);
    require(std::isfinite(c.sNoise) && c.sNoise >= 0, "‹s-noise›", "must be zero or positive", c.sNoise);
    require(std::isfinite(g.weight), "‹dg-weight›", "must be a finite number", g.weight);
    if (g.weight2) require(std::isfinite(*g.weight2), "‹dg-weight-2nd›", "must be a finite number", *g.weight2);
    require(!std::isnan(g.sigmaLo) && g.sigmaLo >= 0, "‹dg-sigma-min›", "must be zero or positive", g.sigmaLo);
    require(!std::isnan(g.sigmaHi) && g.sigmaHi >= g.sigmaLo, "‹dg-sigma-max›", "must be at least ‹dg-sigma-min›",
            g.sigmaHi);
    require(!std::isnan(g.logitClip) && g.logitClip > 0, "‹dg-logit-clip›", "must be a positive number", g.logitClip);
    require(r.count >= 1 && r.count <= 1000000, "‹count›", "must be between 1 and 1000000",
            static_cast<double>(r.count));
    if (r.classLabel)
        require(*r.classLabel >= 0 || *r.classLabel == kEveryClass, "‹class›", "must be zero or positive, or all",
                static_cast<double>(*r.classLabel));
}

KindDefaults kindDefaults(bool points2d)
{
    return points2d ? KindDefaults{256, 1.0, GuidancePreset::None} : KindDefaults{16, 2.0, GuidancePreset::Official};
}

GuidanceSettings kindGuidance(bool points2d)
{
    const auto d = kindDefaults(points2d);
    GuidanceSettings g;
    g.weight = d.weight;
    return d.preset == GuidancePreset::Official ? officialGuidance(g) : g;
}

} // namespace dg
