#include "dg/SampleRequest.h"

#include "dg/Error.h"
#include "dg/SamplerRegistry.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
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

using Json = nlohmann::ordered_json;

// JSON has no infinity: infinite bounds travel as the strings "inf" / "-inf".
Json jsonNumber(double v)
{
    return std::isinf(v) ? Json(number(v)) : Json(v);
}

[[noreturn]] void fieldError(const std::string& key, const std::string& what, const Json& got)
{
    std::string shown = got.dump();
    if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
    throw Error("settings: field '" + key + "' " + what + ", got " + shown);
}

double readNumber(const Json& o, const std::string& key, double fallback)
{
    const auto it = o.find(key);
    if (it == o.end()) return fallback;
    if (it->is_number()) {
        const double v = it->get<double>();
        if (!std::isfinite(v)) fieldError(key, "must be a finite number or \"inf\"", *it);
        return v;
    }
    if (it->is_string()) {
        if (*it == "inf") return std::numeric_limits<double>::infinity();
        if (*it == "-inf") return -std::numeric_limits<double>::infinity();
    }
    fieldError(key, "must be a number (or \"inf\")", *it);
}

std::string readString(const Json& o, const std::string& key, const std::string& fallback)
{
    const auto it = o.find(key);
    if (it == o.end()) return fallback;
    if (!it->is_string()) fieldError(key, "must be a string", *it);
    return it->get<std::string>();
}

bool readBool(const Json& o, const std::string& key, bool fallback)
{
    const auto it = o.find(key);
    if (it == o.end()) return fallback;
    if (!it->is_boolean()) fieldError(key, "must be true or false", *it);
    return it->get<bool>();
}

// A whole number in [lo, hi]; JSON numbers written as 5.0 count when they are whole (seeds above 2^53 only exactly).
int64_t readInteger(const Json& o, const std::string& key, int64_t fallback, int64_t lo, int64_t hi)
{
    const auto it = o.find(key);
    if (it == o.end()) return fallback;
    int64_t v = 0;
    if (it->is_number_unsigned()) {
        const auto u = it->get<uint64_t>();
        if (u > static_cast<uint64_t>(hi)) fieldError(key, "must be at most " + std::to_string(hi), *it);
        v = static_cast<int64_t>(u);
    } else if (it->is_number_integer()) {
        v = it->get<int64_t>();
    } else if (it->is_number_float()) {
        const double d = it->get<double>();
        if (!(d == std::floor(d) && std::abs(d) <= 9007199254740992.0)) fieldError(key, "must be a whole number", *it);
        v = static_cast<int64_t>(d);
    } else {
        fieldError(key, "must be a whole number", *it);
    }
    if (v < lo || v > hi) fieldError(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi), *it);
    return v;
}

uint64_t readSeed(const Json& o)
{
    const auto it = o.find("seed");
    if (it == o.end()) return 0;
    if (it->is_number_unsigned()) return it->get<uint64_t>();
    if (it->is_number_float()) {
        const double d = it->get<double>();
        // JSON readers that hold numbers as doubles keep seeds up to 2^53 exact; others are refused, not rounded.
        if (d >= 0 && d <= 9007199254740992.0 && d == std::floor(d)) return static_cast<uint64_t>(d);
    }
    fieldError("seed", "must be a whole number from 0 to 2^64 - 1", *it);
}

std::string shellQuote(const std::string& text)
{
    if (!text.empty() && text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                "_-./:=+,@") == std::string::npos)
        return text;
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

const char* deviceName(Device d)
{
    return d == Device::Cpu ? "cpu" : d == Device::Cuda ? "cuda" : "auto";
}

} // namespace

std::string toJson(const SampleRequest& r)
{
    const auto& s = r.settings;
    const auto& sch = s.sampler.schedule;
    const auto& c = s.sampler.churn;
    const auto& g = s.guidance;
    Json j;
    j["denoiser"] = r.denoiser;
    j["discriminator"] = r.discriminator;
    j["noise"] = r.noiseFile;
    j["seed"] = s.seed;
    j["count"] = s.count;
    j["class"] = !s.classLabel ? Json(nullptr) : *s.classLabel == kEveryClass ? Json("all") : Json(*s.classLabel);
    j["sampler"] = s.sampler.kind;
    j["steps"] = sch.steps;
    j["sigma_min"] = jsonNumber(sch.sigmaMin);
    j["sigma_max"] = jsonNumber(sch.sigmaMax);
    j["rho"] = jsonNumber(sch.rho);
    j["churn"] = jsonNumber(c.churn);
    j["s_min"] = jsonNumber(c.sMin);
    j["s_max"] = jsonNumber(c.sMax);
    j["s_noise"] = jsonNumber(c.sNoise);
    j["dg_enabled"] = g.enabled;
    j["dg_weight"] = jsonNumber(g.weight);
    j["dg_weight_2nd"] = jsonNumber(g.weight2.value_or(g.weight));
    j["dg_sigma_min"] = jsonNumber(g.sigmaLo);
    j["dg_sigma_max"] = jsonNumber(g.sigmaHi);
    j["dg_logit_clip"] = jsonNumber(g.logitClip);
    j["dg_boost"] = g.boost;
    j["dg_preset"] = toString(g.preset);
    j["device"] = deviceName(r.device);
    return j.dump();
}

SampleRequest requestFromJson(const std::string& text)
{
    Json doc;
    try {
        doc = Json::parse(text);
    } catch (const Json::parse_error& e) {
        std::string why = e.what();
        if (const auto colon = why.find("parse error"); colon != std::string::npos) why = why.substr(colon);
        throw Error("settings: not valid JSON (" + why + ")");
    } catch (const Json::exception& e) { // e.g. out_of_range.406: a number literal beyond double's range
        std::string why = e.what();
        if (const auto close = why.find("] "); close != std::string::npos) why = why.substr(close + 2);
        if (why.size() > 120) why = why.substr(0, 120) + "...";
        throw Error("settings: not valid JSON (" + why + ")");
    }
    if (!doc.is_object()) throw Error("settings: expected a JSON object, got " + std::string(doc.type_name()));
    const Json* o = &doc;
    if (const auto it = doc.find("settings"); it != doc.end()) { // an export sidecar
        if (!it->is_object()) fieldError("settings", "must be an object", *it);
        o = &*it;
    }
    static const char* const known[] = {
        "denoiser",     "discriminator", "noise",         "seed",       "count",     "class",
        "sampler",      "steps",         "sigma_min",     "sigma_max",  "rho",       "churn",
        "s_min",        "s_max",         "s_noise",       "dg_enabled", "dg_weight", "dg_weight_2nd",
        "dg_sigma_min", "dg_sigma_max",  "dg_logit_clip", "dg_boost",   "dg_preset", "device"};
    for (const auto& item : o->items()) {
        bool ok = false;
        for (const char* k : known)
            ok = ok || item.key() == k;
        if (!ok) throw Error("settings: unknown field '" + item.key() + "'");
    }
    SampleRequest r;
    r.denoiser = readString(*o, "denoiser", "");
    if (r.denoiser.empty()) throw Error("settings: field 'denoiser' is missing or empty");
    r.discriminator = readString(*o, "discriminator", "");
    r.noiseFile = readString(*o, "noise", "");
    auto& s = r.settings;
    s.seed = readSeed(*o);
    const RunSettings d; // the defaults, once (dg/Settings.h)
    s.count = readInteger(*o, "count", d.count, 1, 1000000);
    if (const auto it = o->find("class"); it != o->end() && !it->is_null()) {
        if (*it == "all")
            s.classLabel = kEveryClass;
        else
            s.classLabel = readInteger(*o, "class", 0, 0, 1000000);
    }
    const std::string sampler = readString(*o, "sampler", d.sampler.kind);
    if (!findSampler(sampler)) fieldError("sampler", "must be one of " + samplerKeys(), Json(sampler));
    s.sampler.kind = sampler;
    auto& sch = s.sampler.schedule;
    sch.steps = static_cast<int>(readInteger(*o, "steps", d.sampler.schedule.steps, 1, 10000));
    sch.sigmaMin = readNumber(*o, "sigma_min", d.sampler.schedule.sigmaMin);
    sch.sigmaMax = readNumber(*o, "sigma_max", d.sampler.schedule.sigmaMax);
    sch.rho = readNumber(*o, "rho", d.sampler.schedule.rho);
    auto& c = s.sampler.churn;
    c.churn = readNumber(*o, "churn", d.sampler.churn.churn);
    c.sMin = readNumber(*o, "s_min", d.sampler.churn.sMin);
    c.sMax = readNumber(*o, "s_max", d.sampler.churn.sMax);
    c.sNoise = readNumber(*o, "s_noise", d.sampler.churn.sNoise);
    auto& g = s.guidance;
    g.enabled = readBool(*o, "dg_enabled", true);
    g.weight = readNumber(*o, "dg_weight", 0.0);
    const double w2 = readNumber(*o, "dg_weight_2nd", g.weight);
    if (w2 != g.weight) g.weight2 = w2;
    g.sigmaLo = readNumber(*o, "dg_sigma_min", d.guidance.sigmaLo);
    g.sigmaHi = readNumber(*o, "dg_sigma_max", d.guidance.sigmaHi);
    g.logitClip = readNumber(*o, "dg_logit_clip", d.guidance.logitClip);
    g.boost = readBool(*o, "dg_boost", false);
    const std::string preset = readString(*o, "dg_preset", "none");
    const auto parsedPreset = parseGuidancePreset(preset);
    if (!parsedPreset) fieldError("dg_preset", "must be \"none\" or \"official\"", Json(preset));
    g.preset = *parsedPreset;
    const std::string device = readString(*o, "device", "auto");
    try {
        r.device = parseDevice(device);
        validate(s);
    } catch (const Error& e) {
        // validate() names fields by id; in a settings file the JSON field is what the reader can find.
        throw Error("settings: " + renameFields(e.what(), [](std::string id) {
                        for (char& ch : id)
                            ch = ch == '-' ? '_' : ch;
                        return "field '" + id + "'";
                    }));
    }
    return r;
}

std::string firstDifference(const SampleRequest& a, const SampleRequest& b)
{
    const auto ja = Json::parse(toJson(a)), jb = Json::parse(toJson(b));
    for (const auto& item : ja.items()) {
        const auto& other = jb[item.key()];
        const auto& mine = item.value();
        if (mine.is_number() && other.is_number()) {
            const double x = mine.get<double>(), y = other.get<double>();
            if (x == y || std::abs(x - y) <= 1e-9 * std::max(std::abs(x), std::abs(y))) continue;
            // Seeds and counts are integers: compare them exactly.
            if (mine.is_number_integer() && other.is_number_integer() && mine == other) continue;
            return item.key();
        }
        if (mine != other) return item.key();
    }
    return {};
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
    cmd << " --sampler " << s.sampler.kind << " --steps " << sch.steps << " --sigma-min " << number(sch.sigmaMin)
        << " --sigma-max " << number(sch.sigmaMax) << " --rho " << number(sch.rho) << " --churn " << number(c.churn)
        << " --s-min " << number(c.sMin) << " --s-max " << number(c.sMax) << " --s-noise " << number(c.sNoise)
        << " --dg-weight " << number(g.enabled ? g.weight : 0.0) << " --dg-weight-2nd "
        << number(g.enabled ? g.weight2.value_or(g.weight) : 0.0) << " --dg-sigma-min " << number(g.sigmaLo)
        << " --dg-sigma-max " << number(g.sigmaHi);
    // The preset is named always (the CLI's default, auto, depends on the model's kind); the explicit values that
    // follow override it, so they alone decide.
    cmd << " --dg-preset " << toString(g.preset);
    if (std::isfinite(g.logitClip)) cmd << " --dg-logit-clip " << number(g.logitClip);
    if (g.boost && g.enabled) cmd << " --dg-boost";
    cmd << " --device " << deviceName(r.device);
    return cmd.str();
}

} // namespace dg
