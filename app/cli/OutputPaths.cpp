#include "OutputPaths.h"

#include "ArgParser.h"

#include "dg/SafeFile.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace dg::cli {

void checkOutputPath(const std::string& path, const std::string& flag)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw UsageError(flag + ": '" + path + "' is a directory, expected a file name");
    const fs::path target = resolveSymlinks(path); // a link is written through to its target: its folder counts
    const fs::path parent = target.parent_path();
    const fs::path folder = parent.empty() ? fs::path(".") : parent;
    if (!fs::is_directory(folder, ec)) throw UsageError(flag + ": folder '" + folder.string() + "' does not exist");
    if (::access(folder.c_str(), W_OK) != 0)
        throw UsageError(flag + ": folder '" + folder.string() + "' is not writable");
    try {
        checkOutputTarget(target.string(), flag);
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
}

void OutputPlan::plan(const std::string& path, const std::string& what)
{
    const std::string identity = fileIdentity(path);
    for (const auto& f : m_files)
        if (f.identity == identity)
            throw UsageError(what + ": '" + path + "' is the same file as " + f.what + " ('" + f.path +
                             "'); give each output its own file");
    m_files.push_back({path, what, identity});
}

void OutputPlan::add(const std::string& path, const std::string& flag)
{
    checkOutputPath(path, flag);
    plan(path, flag);
}

void OutputPlan::addSidecar(const std::string& sidecar, const std::string& png, const std::string& flag)
{
    const std::string what = flag + "'s JSON sidecar";
    checkOutputPath(sidecar, what);
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(sidecar, ec)) {
        // Replaced only when it is an earlier sidecar of this very image: {"kind":…,"png":"NAME.png",…}.
        std::ifstream in(sidecar, std::ios::binary);
        std::string head(4096, '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        head.resize(static_cast<size_t>(in.gcount()));
        const std::string name = fs::path(png).filename().string();
        if (head.find("\"png\":\"" + name + "\"") == std::string::npos)
            throw UsageError(flag + ": '" + sidecar +
                             "' (where the plot's JSON sidecar goes) exists and is not a "
                             "sidecar of '" +
                             name + "'; move it or choose another --plot name");
    }
    plan(sidecar, what);
}

void OutputPlan::addBeside(const std::string& path, const std::string& what)
{
    checkOutputPath(path, what);
    plan(path, what);
}

std::vector<WriteLock> OutputPlan::lock() const
{
    std::vector<WriteLock> locks;
    for (const auto& f : m_files)
        locks.emplace_back(f.path, f.what);
    return locks;
}

} // namespace dg::cli
