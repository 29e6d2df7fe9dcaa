#include "dg/SampleRequest.h"

#include <cmath>
#include <sstream>

namespace dg {
namespace {

std::string number(double v)
{
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    std::ostringstream s;
    s.precision(10);
    s << v;
    return s.str();
}

std::string jsonNumber(double v) { return std::isinf(v) ? "\"" + number(v) + "\"" : number(v); }

std::string jsonString(const std::string& text)
{
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

std::string shellQuote(const std::string& text)
{
    if (!text.empty() && text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                "_-./:=+,@") == std::string::npos)
        return text;
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

const char* deviceName(Device d) { return d == Device::Cpu ? "cpu" : d == Device::Cuda ? "cuda" : "auto"; }

} // namespace

std::string toJson(const SampleRequest& r)
{
    const auto& s = r.settings;
    const auto& sch = s.sampler.schedule;
    const auto& c = s.sampler.churn;
    const auto& g = s.guidance;
    std::ostringstream j;
    j << "{\"denoiser\":" << jsonString(r.denoiser) << ",\"discriminator\":" << jsonString(r.discriminator)
      << ",\"noise\":" << jsonString(r.noiseFile) << ",\"seed\":" << s.seed << ",\"count\":" << s.count
      << ",\"class\":"
      << (!s.classLabel ? "null" : *s.classLabel == kEveryClass ? "\"all\"" : std::to_string(*s.classLabel))
      << ",\"sampler\":\""
      << toString(s.sampler.kind) << "\",\"steps\":" << sch.steps << ",\"sigma_min\":" << jsonNumber(sch.sigmaMin)
      << ",\"sigma_max\":" << jsonNumber(sch.sigmaMax) << ",\"rho\":" << jsonNumber(sch.rho)
      << ",\"churn\":" << jsonNumber(c.churn) << ",\"s_min\":" << jsonNumber(c.sMin)
      << ",\"s_max\":" << jsonNumber(c.sMax) << ",\"s_noise\":" << jsonNumber(c.sNoise)
      << ",\"dg_enabled\":" << (g.enabled ? "true" : "false") << ",\"dg_weight\":" << jsonNumber(g.weight)
      << ",\"dg_weight_2nd\":" << jsonNumber(g.weight2.value_or(g.weight))
      << ",\"dg_sigma_min\":" << jsonNumber(g.sigmaLo) << ",\"dg_sigma_max\":" << jsonNumber(g.sigmaHi)
      << ",\"dg_logit_clip\":" << jsonNumber(g.logitClip) << ",\"dg_boost\":" << (g.boost ? "true" : "false")
      << ",\"dg_preset\":\"" << toString(g.preset) << "\""
      << ",\"device\":\"" << deviceName(r.device) << "\"}";
    return j.str();
}

std::string toCommandLine(const SampleRequest& r)
{
    const auto& s = r.settings;
    const auto& sch = s.sampler.schedule;
    const auto& c = s.sampler.churn;
    const auto& g = s.guidance;
    std::ostringstream cmd;
    cmd << "dg sample --denoiser " << shellQuote(r.denoiser);
    if (!r.discriminator.empty()) cmd << " --discriminator " << shellQuote(r.discriminator);
    if (!r.noiseFile.empty())
        cmd << " --noise " << shellQuote(r.noiseFile) << " --seed " << s.seed;
    else
        cmd << " --seed " << s.seed << " --count " << s.count;
    if (s.classLabel) cmd << " --class " << (*s.classLabel == kEveryClass ? "all" : std::to_string(*s.classLabel));
    cmd << " --sampler " << toString(s.sampler.kind) << " --steps " << sch.steps << " --sigma-min "
        << number(sch.sigmaMin) << " --sigma-max " << number(sch.sigmaMax) << " --rho " << number(sch.rho)
        << " --churn " << number(c.churn) << " --s-min " << number(c.sMin) << " --s-max " << number(c.sMax)
        << " --s-noise " << number(c.sNoise) << " --dg-weight " << number(g.enabled ? g.weight : 0.0)
        << " --dg-weight-2nd " << number(g.enabled ? g.weight2.value_or(g.weight) : 0.0) << " --dg-sigma-min "
        << number(g.sigmaLo) << " --dg-sigma-max " << number(g.sigmaHi);
    // The preset is named for the reader; the explicit values that follow it override it, so they alone decide.
    if (g.preset != GuidancePreset::None) cmd << " --dg-preset " << toString(g.preset);
    if (std::isfinite(g.logitClip)) cmd << " --dg-logit-clip " << number(g.logitClip);
    if (g.boost && g.enabled) cmd << " --dg-boost";
    cmd << " --device " << deviceName(r.device);
    return cmd.str();
}

} // namespace dg
