#include "metrics/ScoreFile.h"

#include <nlohmann/json.hpp>

#include <cmath>

namespace dg {
namespace {

// NaN (a metric not asked for) is stored as null.
nlohmann::json number(double v)
{
    return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
}
double number(const nlohmann::json& j)
{
    return j.is_null() ? std::nan("") : j.get<double>();
}

} // namespace

std::string encodeScore(const SampleScore& s)
{
    nlohmann::json j;
    j["format"] = "dg score 1";
    j["names"] = s.names;
    j["cells"] = s.cells;
    j["header"] = s.header;
    j["primary"] = number(s.primary);
    j["values"] = nlohmann::json::array();
    for (double v : s.values)
        j["values"].push_back(number(v));
    j["bootstrap"] = s.bootstrap;
    return j.dump() + "\n";
}

std::optional<SampleScore> decodeScore(const std::string& text)
{
    try {
        const auto j = nlohmann::json::parse(text);
        if (!j.is_object() || j.at("format") != "dg score 1") return std::nullopt;
        SampleScore s;
        s.names = j.at("names").get<std::vector<std::string>>();
        s.cells = j.at("cells").get<std::vector<std::string>>();
        s.header = j.at("header").get<std::string>();
        s.primary = number(j.at("primary"));
        if (!j.at("values").is_array()) return std::nullopt;
        for (const auto& v : j.at("values"))
            s.values.push_back(number(v));
        s.bootstrap = j.at("bootstrap").get<std::vector<double>>();
        if (s.names.size() != s.values.size() || s.cells.size() != s.values.size()) return std::nullopt;
        return s;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

} // namespace dg
