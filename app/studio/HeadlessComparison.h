#pragma once

#include <string>

namespace dg::studio {

// Without a display: the default model's guided and unguided samples from the same noise, side by side in one PNG
// (settings in its metadata). Returns the process exit status; prints what it wrote or one error line.
int writeHeadlessComparison(const std::string& path);

} // namespace dg::studio
