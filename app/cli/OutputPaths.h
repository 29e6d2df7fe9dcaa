#pragma once

#include <string>

namespace dg::cli {

// Fails before any work starts when the output's folder is missing or the path is a folder (UsageError naming flag).
void checkOutputPath(const std::string& path, const std::string& flag);

} // namespace dg::cli
