#pragma once

#include <string>
#include <vector>

namespace dg {

// Why the file at path cannot be a LibTorch zip archive (a checkpoint, a TorchScript file): "no such file",
// "is a directory", "not a regular file ...", "truncated ...", "not a zip archive ..."; empty when it may be one.
// Reads the whole file and verifies every stored record's CRC-32 (zipIntegrityProblem).
std::string archiveProblem(const std::string& path);
std::string zipIntegrityProblem(const std::vector<char>& bytes);

// The bytes end with a zip end-of-central-directory record (a cheap test for a truncated archive).
bool hasZipDirectory(const std::vector<char>& bytes);

} // namespace dg
