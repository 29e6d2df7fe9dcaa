#include "dg/TensorFile.h"
#include "core/HostConversion.h"
#include "core/TorchSaveCheck.h"
#include "dg/Error.h"

#include <torch/serialize.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sys/stat.h>
#include <unistd.h>

namespace dg {

namespace {

// The bytes of a regular file (never a device or FIFO, which could hang or never end).
std::vector<char> readRegularFile(const std::string& path)
{
    struct stat st
    {
    };
    if (::stat(path.c_str(), &st) != 0)
        throw Error("'" + path + "': " + (errno == ENOENT ? std::string("no such file") : std::strerror(errno)));
    if (S_ISDIR(st.st_mode)) throw Error("'" + path + "': is a directory, expected a tensor file");
    if (!S_ISREG(st.st_mode)) throw Error("'" + path + "': not a regular file (a device, pipe or socket)");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("'" + path + "': cannot be opened for reading (" + std::strerror(errno) + ")");
    std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
    if (in.bad()) throw Error("'" + path + "': read error");
    return bytes;
}

at::Tensor unpickleTensor(const std::vector<char>& bytes, const std::string& path)
{
    try {
        return torch::pickle_load(bytes).toTensor();
    } catch (const std::exception&) {
        throw Error("'" + path + "': truncated or corrupt (LibTorch cannot rebuild the tensor)");
    }
}

} // namespace

HostTensor loadTensorFile(const std::string& path)
{
    return decodeTensorFile(readRegularFile(path), path);
}

HostTensor decodeTensorFile(const std::vector<char>& bytes, const std::string& path)
{
    const DeclaredContent content = checkTorchSave(bytes, path);
    if (content.kind != "tensor") throw Error("'" + path + "': holds a " + content.kind + ", not a single tensor");
    const auto& declared = content.tensors.back();
    if (declared.dtype.rfind("float", 0) != 0 && declared.dtype != "bfloat16")
        throw Error("'" + path + "': expected a floating-point tensor, got " + declared.dtype);
    if (declared.shape.size() < 2 || declared.shape[0] < 1)
        throw Error("'" + path + "': expected a tensor [N, ...] with N >= 1, got " + shapeToString(declared.shape));
    for (size_t d = 1; d < declared.shape.size(); ++d)
        if (declared.shape[d] < 1)
            throw Error("'" + path + "': expected a tensor [N, ...] without empty dimensions, got " +
                        shapeToString(declared.shape));
    const auto t = unpickleTensor(bytes, path);
    if (!at::isfinite(t).all().item<bool>()) throw Error("'" + path + "': contains NaN or Inf values");
    return toHost(t);
}

std::vector<int64_t> loadLabelFile(const std::string& path)
{
    const auto bytes = readRegularFile(path);
    const DeclaredContent content = checkTorchSave(bytes, path);
    if (content.kind != "tensor")
        throw Error("'" + path + "': holds a " + content.kind + ", expected a tensor of labels");
    const auto& declared = content.tensors.back();
    int64_t n = 1;
    for (int64_t s : declared.shape)
        n *= s;
    if (n < 1) throw Error("'" + path + "': holds no labels (shape " + shapeToString(declared.shape) + ")");
    if (declared.dtype == "bool") throw Error("'" + path + "': expected integer class labels, got bool");
    auto t = unpickleTensor(bytes, path).reshape({-1});
    if (t.is_floating_point()) {
        if (!at::isfinite(t).all().item<bool>()) throw Error("'" + path + "': contains NaN or Inf values");
        if (!at::equal(t, t.round())) throw Error("'" + path + "': expected integer class labels, got fractions");
        if (t.abs().max().item<double>() > 1e15)
            throw Error("'" + path + "': holds values too large to be class labels");
    }
    t = t.to(at::kLong).contiguous();
    return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

void saveTensorFile(const HostTensor& tensor, const std::string& path)
{
    // A view of the host values, not a copy: pickling reads them once (peak memory: the values and the file's bytes).
    const auto view = at::from_blob(const_cast<float*>(tensor.values.data()), tensor.shape, at::kFloat);
    writeFileAtomically(path, torch::pickle_save(view));
}

} // namespace dg
