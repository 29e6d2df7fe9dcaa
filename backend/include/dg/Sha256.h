#pragma once

#include <string>
#include <vector>

namespace dg {

// SHA-256 (FIPS 180-4) as 64 lower-case hex digits: of bytes in memory, or of a file's contents (Error naming the file
// when it cannot be read). Exports record the models' files by it.
std::string sha256Hex(const void* data, size_t size);
std::string sha256File(const std::string& path);

} // namespace dg
