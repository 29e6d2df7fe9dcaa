#pragma once

#include "dg/Error.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dg::cli {

// A bad command line: exit status 2.
class UsageError : public Error
{
public:
    using Error::Error;
};

enum class FlagKind
{
    Text,
    Number,
    Integer,
    Unsigned,
    Switch
};

// One row of a command's flag table: CLI11 builds the parser, the type and range checks and the help from it.
struct FlagSpec
{
    std::string name; // "--steps"
    FlagKind kind = FlagKind::Text;
    std::string valueName; // "N" in the help
    std::string help;
    std::string group;                // help section; empty: "Options"
    std::string defaultText;          // shown in the help, and the value when the flag is absent
    std::optional<double> min, max;   // inclusive range of Number / Integer values
    std::vector<std::string> choices; // the allowed values of a Text flag (empty: any non-empty text)
    bool allowInfinity = false;       // Number: "inf" is a value (e.g. --s-max)
};

// Shorthands for the tables.
FlagSpec textFlag(std::string name, std::string valueName, std::string help, std::string group = {},
                  std::string defaultText = {});
FlagSpec choiceFlag(std::string name, std::vector<std::string> choices, std::string help, std::string group = {},
                    std::string defaultText = {});
FlagSpec numberFlag(std::string name, std::string valueName, std::string help, std::string group = {},
                    std::string defaultText = {}, std::optional<double> min = {}, std::optional<double> max = {});
FlagSpec integerFlag(std::string name, std::string valueName, std::string help, std::string group = {},
                     std::string defaultText = {}, std::optional<double> min = {}, std::optional<double> max = {});
FlagSpec unsignedFlag(std::string name, std::string valueName, std::string help, std::string group = {},
                      std::string defaultText = {});
FlagSpec switchFlag(std::string name, std::string help, std::string group = {});

// Parses `--flag value`, `--flag=value` and switches with CLI11 (libcli11-dev); every problem is a UsageError naming
// the flag. Values are checked for their type and range while parsing.
class ArgParser
{
public:
    // program: "dg sample" or "dg-lab"; usage: the synopsis and description printed above the flag table;
    // footer: printed below it.
    ArgParser(std::string program, std::vector<FlagSpec> flags, std::string usage = {}, std::string footer = {});

    // False when --help was asked for: the help is printed to stdout and the caller exits 0.
    bool parse(const std::vector<std::string>& args);
    std::string help() const;

    bool has(const std::string& flag) const { return m_values.count(flag) > 0; }
    bool knows(const std::string& flag) const;
    // The value given, else the fallback (a default that depends on other flags), else the table's default.
    std::string text(const std::string& flag, const std::string& fallback = {}) const;
    double number(const std::string& flag, std::optional<double> fallback = {}) const;
    int64_t integer(const std::string& flag, std::optional<int64_t> fallback = {}) const;
    uint64_t unsignedInteger(const std::string& flag, std::optional<uint64_t> fallback = {}) const;
    // A comma-separated list of finite numbers (each > 0 when positive), e.g. --weights 0,0.5,1.
    std::vector<double> numbers(const std::string& flag, bool positive = false) const;

private:
    const FlagSpec& spec(const std::string& flag) const;
    std::optional<std::string> raw(const std::string& flag) const;

    std::string m_program;
    std::vector<FlagSpec> m_flags;
    std::string m_usage, m_footer;
    std::map<std::string, std::string> m_values;
};

} // namespace dg::cli
