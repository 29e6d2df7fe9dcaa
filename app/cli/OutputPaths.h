#pragma once

#include "dg/SafeFile.h"

#include <string>
#include <vector>

namespace dg::cli {

// Fails before any work starts when the output's folder is missing or the path is a folder (UsageError naming flag).
void checkOutputPath(const std::string& path, const std::string& flag);

// Every file a command will write, planned before any work starts (docs/RELIABILITY.md, "Outputs"): each is checked
// (checkOutputPath); two outputs that name one file — after following symbolic links, derived files such as a plot's
// JSON sidecar included — are refused naming both; an existing derived file that dg did not write for its output
// (a sidecar whose "png" names another image) is refused rather than replaced. lock() holds a WriteLock on each.
class OutputPlan
{
public:
    void add(const std::string& path, const std::string& flag);
    // A JSON sidecar written beside the PNG `png` (named by `flag`).
    void addSidecar(const std::string& sidecar, const std::string& png, const std::string& flag);
    // Another file written beside an output (`what`: "the labels of --out").
    void addBeside(const std::string& path, const std::string& what);
    std::vector<WriteLock> lock() const;

private:
    struct Planned
    {
        std::string path, what, identity;
    };
    void plan(const std::string& path, const std::string& what);
    std::vector<Planned> m_files;
};

} // namespace dg::cli
