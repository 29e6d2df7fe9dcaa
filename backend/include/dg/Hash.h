#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace dg {

// SHA-256 (FIPS 180-4, computed by nettle) as 64 lower-case hex digits: of bytes in memory, or of a file's contents
// (Error naming the file when it cannot be read). Exports and caches record the models' files by it.
std::string sha256Hex(const void* data, size_t size);
std::string sha256File(const std::string& path);

// FNV-1a, 64 bit (Fowler, Noll, Vo), continuing from h: short names and checksums that catch a flipped bit or a
// swapped file, not an attacker (that is SHA-256's job).
constexpr uint64_t kFnvOffset = 1469598103934665603ull;
uint64_t fnv1a64(const void* data, size_t size, uint64_t h = kFnvOffset);

} // namespace dg
