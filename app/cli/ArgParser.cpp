#include "ArgParser.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace dg::cli {

ArgParser::ArgParser(std::string command, std::vector<FlagSpec> flags)
    : m_command(std::move(command)), m_flags(std::move(flags))
{
}

void ArgParser::parse(const std::vector<std::string>& args)
{
    for (size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i];
        std::optional<std::string> inlineValue;
        if (name.rfind("--", 0) != 0)
            throw UsageError("unexpected argument '" + name + "' for 'dg " + m_command + "' (see dg " + m_command +
                             " --help)");
        if (const auto eq = name.find('='); eq != std::string::npos) {
            inlineValue = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        const FlagSpec* spec = nullptr;
        for (const auto& f : m_flags)
            if (f.name == name) spec = &f;
        if (!spec) throw UsageError("unknown flag " + name + " for 'dg " + m_command + "' (see dg " + m_command + " --help)");
        if (m_values.count(name)) throw UsageError(name + ": given more than once");
        if (!spec->takesValue) {
            if (inlineValue) throw UsageError(name + ": takes no value");
            m_values[name] = "1";
        } else if (inlineValue) {
            m_values[name] = *inlineValue;
        } else {
            if (i + 1 >= args.size()) throw UsageError(name + ": needs a value");
            m_values[name] = args[++i];
        }
    }
}

std::string ArgParser::text(const std::string& flag, const std::string& fallback) const
{
    const auto it = m_values.find(flag);
    if (it == m_values.end()) return fallback;
    if (it->second.empty()) throw UsageError(flag + ": needs a non-empty value");
    return it->second;
}

double ArgParser::number(const std::string& flag, double fallback) const
{
    const auto it = m_values.find(flag);
    if (it == m_values.end()) return fallback;
    const std::string& s = it->second;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || std::isnan(v))
        throw UsageError(flag + ": expected a number, got '" + s + "'");
    if (errno == ERANGE && std::isinf(v)) throw UsageError(flag + ": number out of range: '" + s + "'");
    return v;
}

int64_t ArgParser::integer(const std::string& flag, int64_t fallback) const
{
    const auto it = m_values.find(flag);
    if (it == m_values.end()) return fallback;
    const std::string& s = it->second;
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE)
        throw UsageError(flag + ": expected an integer, got '" + s + "'");
    return v;
}

uint64_t ArgParser::unsignedInteger(const std::string& flag, uint64_t fallback) const
{
    const auto it = m_values.find(flag);
    if (it == m_values.end()) return fallback;
    const std::string& s = it->second;
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || s[0] == '-' || end != s.c_str() + s.size() || errno == ERANGE)
        throw UsageError(flag + ": expected a non-negative integer, got '" + s + "'");
    return v;
}

} // namespace dg::cli
