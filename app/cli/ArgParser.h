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

struct FlagSpec
{
    std::string name;  // "--steps"
    bool takesValue = true;
};

// Parses `--flag value`, `--flag=value` and boolean `--flag`; every problem is a UsageError naming the flag.
class ArgParser
{
public:
    ArgParser(std::string command, std::vector<FlagSpec> flags);
    void parse(const std::vector<std::string>& args);

    bool has(const std::string& flag) const { return m_values.count(flag) > 0; }
    std::string text(const std::string& flag, const std::string& fallback = {}) const;
    double number(const std::string& flag, double fallback) const; // accepts inf
    int64_t integer(const std::string& flag, int64_t fallback) const;
    uint64_t unsignedInteger(const std::string& flag, uint64_t fallback) const;

private:
    std::string m_command;
    std::vector<FlagSpec> m_flags;
    std::map<std::string, std::string> m_values;
};

} // namespace dg::cli
