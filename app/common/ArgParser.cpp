#include "ArgParser.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace dg::cli {
namespace {

std::string formatBound(double v)
{
    if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    std::ostringstream s;
    s << v;
    return s.str();
}

constexpr size_t kHelpWidth = 110;

// Words of text on lines of at most width columns, each continuation line indented by indent spaces; "\n" kept.
std::string wrap(const std::string& text, size_t width, size_t indent)
{
    std::string out, line;
    auto flush = [&] {
        out += line;
        line.clear();
    };
    std::istringstream paragraphs(text);
    std::string paragraph;
    bool firstParagraph = true;
    while (std::getline(paragraphs, paragraph)) {
        if (!firstParagraph) out += "\n" + std::string(indent, ' ');
        firstParagraph = false;
        std::istringstream words(paragraph);
        size_t column = 0;
        for (std::string word; words >> word;) {
            if (column > 0 && column + 1 + word.size() > width) {
                flush();
                out += "\n" + std::string(indent, ' ');
                column = 0;
            }
            if (column > 0) {
                line += ' ';
                ++column;
            }
            line += word;
            column += word.size();
        }
        flush();
    }
    return out;
}

// CLI11's help with wrapped descriptions, the usage line first and one blank line between groups.
class HelpFormatter : public CLI::Formatter
{
public:
    std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override
    {
        std::string out = "Usage: " + name + " [flags]\n";
        if (!app->get_description().empty()) out += "\n" + wrap(app->get_description(), kHelpWidth, 0) + "\n";
        out += "\n" + make_groups(app, mode);
        if (!app->get_footer().empty()) out += "\n" + app->get_footer() + "\n";
        return out;
    }

    std::string make_group(std::string group, bool, std::vector<const CLI::Option*> opts) const override
    {
        std::string out = group + ":\n";
        for (const auto* o : opts)
            out += make_option(o, false);
        return out;
    }

    std::string make_option(const CLI::Option* o, bool) const override
    {
        std::string left = "  " + make_option_name(o, false);
        if (o->get_type_size() != 0 && !o->get_type_name().empty()) left += " " + o->get_type_name();
        const size_t column = get_column_width();
        const std::string desc = wrap(o->get_description(), kHelpWidth - column, column);
        if (desc.empty()) return left + "\n";
        if (left.size() + 1 > column) return left + "\n" + std::string(column, ' ') + desc + "\n";
        return left + std::string(column - left.size(), ' ') + desc + "\n";
    }
};

std::optional<double> parseNumber(const std::string& s, bool allowInfinity)
{
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || std::isnan(v)) return std::nullopt;
    if (std::isinf(v) && (errno == ERANGE || !allowInfinity)) return std::nullopt;
    if (std::isfinite(v) && std::abs(v) > std::numeric_limits<float>::max()) return std::nullopt; // sampled in float32
    return v;
}

std::optional<int64_t> parseInteger(const std::string& s)
{
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE) return std::nullopt;
    return v;
}

std::optional<uint64_t> parseUnsigned(const std::string& s)
{
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(s.c_str(), &end, 10);
    if (s.empty() || s[0] == '-' || end != s.c_str() + s.size() || errno == ERANGE) return std::nullopt;
    return v;
}

std::string rangeText(const FlagSpec& f)
{
    if (f.min && f.max) return "between " + formatBound(*f.min) + " and " + formatBound(*f.max);
    if (f.min) return "at least " + formatBound(*f.min);
    if (f.max) return "at most " + formatBound(*f.max);
    return {};
}

// The value check of one row of the table; "" when the value is fine.
std::string checkValue(const FlagSpec& f, const std::string& v)
{
    double x = 0.0;
    switch (f.kind) {
    case FlagKind::Switch:
        return {};
    case FlagKind::Text:
        if (v.empty()) return "needs a non-empty value";
        if (!f.choices.empty() && std::find(f.choices.begin(), f.choices.end(), v) == f.choices.end()) {
            std::string list;
            for (size_t i = 0; i < f.choices.size(); ++i)
                list += (i == 0 ? "" : i + 1 == f.choices.size() ? " or " : ", ") + f.choices[i];
            return "expected " + list + ", got '" + v + "'";
        }
        return {};
    case FlagKind::Number: {
        const auto n = parseNumber(v, f.allowInfinity);
        if (!n)
            return "expected a " + std::string(f.allowInfinity ? "number or inf" : "finite number") +
                   " within single precision (|x| <= 3.4e38), got '" + v + "'";
        x = *n;
        break;
    }
    case FlagKind::Integer: {
        const auto n = parseInteger(v);
        if (!n) return "expected an integer, got '" + v + "'";
        x = static_cast<double>(*n);
        break;
    }
    case FlagKind::Unsigned:
        if (!parseUnsigned(v)) return "expected an integer from 0 to 2^64 - 1, got '" + v + "'";
        return {};
    }
    if ((f.min && x < *f.min) || (f.max && x > *f.max)) return "must be " + rangeText(f) + " (got " + v + ")";
    return {};
}

FlagSpec row(std::string name, FlagKind kind, std::string valueName, std::string help, std::string group,
             std::string defaultText)
{
    FlagSpec f;
    f.name = std::move(name);
    f.kind = kind;
    f.valueName = std::move(valueName);
    f.help = std::move(help);
    f.group = std::move(group);
    f.defaultText = std::move(defaultText);
    return f;
}

} // namespace

FlagSpec textFlag(std::string name, std::string valueName, std::string help, std::string group, std::string defaultText)
{
    return row(std::move(name), FlagKind::Text, std::move(valueName), std::move(help), std::move(group),
               std::move(defaultText));
}

FlagSpec choiceFlag(std::string name, std::vector<std::string> choices, std::string help, std::string group,
                    std::string defaultText)
{
    std::string valueName;
    for (const auto& c : choices)
        valueName += (valueName.empty() ? "" : "|") + c;
    FlagSpec f =
        row(std::move(name), FlagKind::Text, valueName, std::move(help), std::move(group), std::move(defaultText));
    f.choices = std::move(choices);
    return f;
}

FlagSpec numberFlag(std::string name, std::string valueName, std::string help, std::string group,
                    std::string defaultText, std::optional<double> min, std::optional<double> max)
{
    FlagSpec f = row(std::move(name), FlagKind::Number, std::move(valueName), std::move(help), std::move(group),
                     std::move(defaultText));
    f.min = min;
    f.max = max;
    return f;
}

FlagSpec integerFlag(std::string name, std::string valueName, std::string help, std::string group,
                     std::string defaultText, std::optional<double> min, std::optional<double> max)
{
    FlagSpec f = numberFlag(std::move(name), std::move(valueName), std::move(help), std::move(group),
                            std::move(defaultText), min, max);
    f.kind = FlagKind::Integer;
    return f;
}

FlagSpec unsignedFlag(std::string name, std::string valueName, std::string help, std::string group,
                      std::string defaultText)
{
    return row(std::move(name), FlagKind::Unsigned, std::move(valueName), std::move(help), std::move(group),
               std::move(defaultText));
}

FlagSpec switchFlag(std::string name, std::string help, std::string group)
{
    return row(std::move(name), FlagKind::Switch, {}, std::move(help), std::move(group), {});
}

ArgParser::ArgParser(std::string program, std::vector<FlagSpec> flags, std::string usage, std::string footer)
    : m_program(std::move(program)), m_flags(std::move(flags)), m_usage(std::move(usage)), m_footer(std::move(footer))
{
}

namespace {

// The CLI11 parser for a table. values must not move while the app is alive (options write into it).
void build(CLI::App& app, const std::vector<FlagSpec>& flags, std::map<std::string, std::string>& values)
{
    auto formatter = std::make_shared<HelpFormatter>();
    formatter->column_width(36);
    app.formatter(formatter);
    app.allow_extras(true); // reported by parse() with the command's own wording
    for (const auto& f : flags) {
        CLI::Option* o = nullptr;
        std::string help = f.help;
        if (f.kind == FlagKind::Switch) {
            o = app.add_flag(f.name);
            o->disable_flag_override();
        } else {
            if (!rangeText(f).empty()) help += " (" + rangeText(f) + ")";
            if (!f.defaultText.empty()) help += " [default " + f.defaultText + "]";
            o = app.add_option(f.name, values[f.name]);
            o->type_name(f.valueName.empty() ? "VALUE" : f.valueName);
            o->multi_option_policy(CLI::MultiOptionPolicy::Throw);
            o->check(CLI::Validator([f](std::string& v) { return checkValue(f, v); }, "", ""));
        }
        o->description(help);
        o->group(f.group.empty() ? "Flags" : f.group);
    }
    app.set_help_flag("-h,--help", "print this help and exit")->group("Help");
}

} // namespace

bool ArgParser::parse(const std::vector<std::string>& args)
{
    // CLI11 reports a repeated flag and a missing value in its own words; these two are said here, naming the flag.
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string name = args[i].substr(0, args[i].find('='));
        if (name.rfind("--", 0) != 0 || name.size() == 2) continue;
        const auto it = std::find_if(m_flags.begin(), m_flags.end(), [&](const FlagSpec& f) { return f.name == name; });
        if (it == m_flags.end()) continue;
        for (size_t j = i + 1; j < args.size(); ++j)
            if (args[j].substr(0, args[j].find('=')) == name) throw UsageError(name + ": given more than once");
        const auto eq = args[i].find('=');
        if (it->kind == FlagKind::Switch) {
            if (eq != std::string::npos) throw UsageError(name + ": takes no value");
            continue;
        }
        std::string value;
        if (eq != std::string::npos) {
            value = args[i].substr(eq + 1);
        } else {
            if (i + 1 >= args.size()) throw UsageError(name + ": needs a value");
            value = args[++i]; // the value, whatever it looks like ("-1", "--")
        }
        if (value.empty()) throw UsageError(name + ": needs a non-empty value");
    }
    CLI::App app("", m_program);
    std::map<std::string, std::string> values;
    build(app, m_flags, values);
    // CLI11 takes "--flag -1" as a flag followed by a value only for numbers; pass every value as "--flag=value".
    std::vector<std::string> joined;
    for (size_t i = 0; i < args.size(); ++i) {
        const auto it =
            std::find_if(m_flags.begin(), m_flags.end(), [&](const FlagSpec& f) { return f.name == args[i]; });
        if (it != m_flags.end() && it->kind != FlagKind::Switch && i + 1 < args.size()) {
            joined.push_back(args[i] + "=" + args[i + 1]);
            ++i;
        } else
            joined.push_back(args[i]);
    }
    std::vector<std::string> reversed(joined.rbegin(), joined.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        std::fputs(help().c_str(), stdout);
        return false;
    } catch (const CLI::ParseError& e) {
        throw UsageError(e.what());
    }
    const auto extras = app.remaining();
    if (!extras.empty()) {
        const std::string& x = extras.front();
        if (x.rfind("-", 0) == 0)
            throw UsageError("unknown flag " + x.substr(0, x.find('=')) + " for '" + m_program + "' (see " + m_program +
                             " --help)");
        throw UsageError("unexpected argument '" + x + "' for '" + m_program + "' (see " + m_program + " --help)");
    }
    for (const auto& f : m_flags) {
        const CLI::Option* o = app.get_option(f.name);
        if (o->count() == 0) continue;
        m_values[f.name] = f.kind == FlagKind::Switch ? "1" : values[f.name];
    }
    return true;
}

std::string ArgParser::help() const
{
    CLI::App app(m_usage, m_program);
    std::map<std::string, std::string> values;
    build(app, m_flags, values);
    app.footer(m_footer);
    return app.help();
}

bool ArgParser::knows(const std::string& flag) const
{
    return std::any_of(m_flags.begin(), m_flags.end(), [&](const FlagSpec& f) { return f.name == flag; });
}

const FlagSpec& ArgParser::spec(const std::string& flag) const
{
    for (const auto& f : m_flags)
        if (f.name == flag) return f;
    throw std::logic_error("ArgParser: '" + flag + "' is not in the flag table of " + m_program);
}

std::optional<std::string> ArgParser::raw(const std::string& flag) const
{
    const FlagSpec& f = spec(flag);
    if (const auto it = m_values.find(flag); it != m_values.end()) return it->second;
    if (!f.defaultText.empty()) return f.defaultText;
    return std::nullopt;
}

std::string ArgParser::text(const std::string& flag, const std::string& fallback) const
{
    if (!has(flag) && !fallback.empty()) return fallback;
    return raw(flag).value_or(std::string());
}

namespace {

// A typed value: the given or default text parsed, else the fallback; v is empty when neither was given.
template <typename T, typename Parse>
T convert(const std::string& flag, const std::optional<std::string>& v, const std::optional<T>& fallback, Parse parse,
          const char* expected)
{
    if (!v) {
        if (!fallback) throw std::logic_error("ArgParser: " + flag + " has no default");
        return *fallback;
    }
    const auto n = parse(*v);
    if (!n) throw UsageError(flag + ": expected " + expected + ", got '" + *v + "'");
    return *n;
}

} // namespace

double ArgParser::number(const std::string& flag, std::optional<double> fallback) const
{
    const bool infinity = spec(flag).allowInfinity || !has(flag); // a default may be "inf"
    return convert<double>(
        flag, has(flag) || !fallback ? raw(flag) : std::nullopt, fallback,
        [&](const std::string& t) { return parseNumber(t, infinity); }, "a number");
}

int64_t ArgParser::integer(const std::string& flag, std::optional<int64_t> fallback) const
{
    return convert<int64_t>(flag, has(flag) || !fallback ? raw(flag) : std::nullopt, fallback, parseInteger,
                            "an integer");
}

uint64_t ArgParser::unsignedInteger(const std::string& flag, std::optional<uint64_t> fallback) const
{
    return convert<uint64_t>(flag, has(flag) || !fallback ? raw(flag) : std::nullopt, fallback, parseUnsigned,
                             "a non-negative integer");
}

std::vector<double> ArgParser::numbers(const std::string& flag, bool positive) const
{
    std::vector<double> out;
    std::stringstream list(text(flag));
    for (std::string item; std::getline(list, item, ',');) {
        const auto v = parseNumber(item, false);
        if (!v || (positive && !(*v > 0)))
            throw UsageError(flag + ": expected comma-separated " + (positive ? "positive " : "") +
                             "finite numbers (|x| <= 3.4e38), got '" + item + "'");
        out.push_back(*v);
    }
    if (out.empty()) throw UsageError(flag + ": expected comma-separated numbers");
    return out;
}

} // namespace dg::cli
