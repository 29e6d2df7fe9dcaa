#pragma once

#include "core/ZipCheck.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dg {

// What a torch.save file declares, read without building anything: the tensors' dtype, shape and the storage they
// view. checkTorchSave walks the archive's pickle with a restricted interpreter (the opcodes torch.save emits,
// protocols 2-4) and checks every tensor against the bytes its storage record really holds — before LibTorch
// allocates anything (its loader grows a too-small storage to fit the declared shape, reading garbage).
struct DeclaredTensor
{
    std::string dtype; // "float32", "int64", ...
    std::vector<int64_t> shape;
    int64_t numel = 0;
};

struct DeclaredContent
{
    std::string kind; // "tensor", "dict", "list", "tuple", "number", "string", "none", "bool"
    std::vector<DeclaredTensor> tensors;
};

// Throws Error naming `path` and what is wrong: not a zip archive, truncated, a missing or short storage record, a
// negative or overflowing shape, a view outside its storage, an object that is not plain data.
DeclaredContent checkTorchSave(const std::vector<char>& bytes, const std::string& path);

} // namespace dg
