#pragma once

#include "dg/HostTensor.h"
#include "dg/SafeFile.h"

#include <string>
#include <vector>

namespace dg {

// Tensor files are those Python's torch.save / torch.load read and write. Errors name the file.
// Files are checked before LibTorch reads them (core/TorchSaveCheck): only plain tensor data, every shape within the
// bytes stored. loadTensorFile wants a finite floating-point [N, ...]; loadLabelFile integer labels of any shape with N
// values (int64 [N] as Python writes them, or integral floats).
HostTensor loadTensorFile(const std::string& path);
HostTensor decodeTensorFile(const std::vector<char>& bytes, const std::string& path); // the same, from memory
std::vector<int64_t> loadLabelFile(const std::string& path);
void saveTensorFile(const HostTensor& tensor, const std::string& path); // atomic: written beside, then renamed

} // namespace dg
