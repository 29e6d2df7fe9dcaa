#include "OutputPaths.h"

#include "ArgParser.h"

#include "dg/SafeFile.h"

#include <filesystem>
#include <unistd.h>

namespace dg::cli {

void checkOutputPath(const std::string& path, const std::string& flag)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw UsageError(flag + ": '" + path + "' is a directory, expected a file name");
    const fs::path parent = fs::path(path).parent_path();
    const fs::path folder = parent.empty() ? fs::path(".") : parent;
    if (!fs::is_directory(folder, ec))
        throw UsageError(flag + ": folder '" + folder.string() + "' does not exist");
    if (::access(folder.c_str(), W_OK) != 0)
        throw UsageError(flag + ": folder '" + folder.string() + "' is not writable");
    try {
        checkOutputTarget(path, flag);
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
}

} // namespace dg::cli
