#include "data/FashionMnist.h"

#include "dg/Error.h"

#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sys/stat.h>

namespace dg {
namespace {

constexpr const char* kInstallHint =
    " (install Debian's dataset-fashion-mnist package: apt-get install dataset-fashion-mnist)";

} // namespace

std::string defaultFashionMnistFolder()
{
    const char* env = std::getenv("DG_FASHION_MNIST_DIR");
    return env && *env ? env : "/usr/share/datasets/fashion-mnist";
}

// IDX format (LeCun et al.): big-endian magic 0x00 0x00 type ndims, ndims big-endian u32 sizes, then the data.
IdxArray parseIdx(const std::vector<uint8_t>& data, const std::string& path)
{
    if (data.size() < 4 || data[0] != 0 || data[1] != 0 || data[2] != 0x08)
        throw Error("'" + path + "': not an unsigned-byte IDX file (bad magic number)");
    const int ndims = data[3];
    if (ndims < 1 || ndims > 4 || data.size() < 4 + 4 * size_t(ndims))
        throw Error("'" + path + "': corrupt IDX header");
    IdxArray out;
    uint64_t count = 1;
    for (int d = 0; d < ndims; ++d) {
        const uint8_t* p = &data[4 + 4 * d];
        out.dims.push_back((int64_t(p[0]) << 24) | (int64_t(p[1]) << 16) | (int64_t(p[2]) << 8) | int64_t(p[3]));
        if (__builtin_mul_overflow(count, static_cast<uint64_t>(out.dims.back()), &count))
            throw Error("'" + path + "': corrupt IDX header (its dimensions overflow)");
    }
    const size_t header = 4 + 4 * size_t(ndims);
    if (data.size() - header != count)
        throw Error("'" + path + "': truncated or corrupt IDX data (the header declares " + std::to_string(count) +
                    " values, the file holds " + std::to_string(data.size() - header) + ")");
    out.bytes.assign(data.begin() + static_cast<std::ptrdiff_t>(header), data.end());
    return out;
}

IdxArray readIdxGz(const std::string& path)
{
    struct stat st
    {
    };
    if (::stat(path.c_str(), &st) != 0) throw Error("'" + path + "': no such file" + kInstallHint);
    if (!S_ISREG(st.st_mode)) throw Error("'" + path + "': not a regular file");
    std::unique_ptr<gzFile_s, int (*)(gzFile)> gz(gzopen(path.c_str(), "rb"), gzclose);
    if (!gz) throw Error("'" + path + "': cannot be opened for reading");
    // Fashion-MNIST's largest file holds 47 MB; a file that inflates past 256 MB is not one of its files.
    constexpr size_t kMaxBytes = size_t{256} << 20;
    std::vector<uint8_t> data;
    uint8_t buffer[1 << 16];
    for (;;) {
        const int n = gzread(gz.get(), buffer, sizeof buffer);
        if (n < 0) throw Error("'" + path + "': corrupt or truncated gzip data" + kInstallHint);
        if (n == 0) break;
        data.insert(data.end(), buffer, buffer + n);
        if (data.size() > kMaxBytes) throw Error("'" + path + "': inflates past 256 MB; not a Fashion-MNIST file");
    }
    int err = Z_OK;
    gzerror(gz.get(), &err);
    if (err != Z_OK && err != Z_STREAM_END) throw Error("'" + path + "': corrupt or truncated gzip data");
    return parseIdx(data, path);
}

LabelledImages loadFashionMnist(const std::string& split, const std::string& folder)
{
    if (split != "train" && split != "test")
        throw Error("Fashion-MNIST split must be train or test, got '" + split + "'");
    const std::string prefix = folder + "/" + (split == "train" ? "train" : "t10k");
    const auto images = readIdxGz(prefix + "-images-idx3-ubyte.gz");
    const auto labels = readIdxGz(prefix + "-labels-idx1-ubyte.gz");
    if (images.dims.size() != 3 || images.dims[1] != 28 || images.dims[2] != 28)
        throw Error("'" + prefix + "-images-idx3-ubyte.gz': expected [N, 28, 28] images");
    if (labels.dims.size() != 1 || labels.dims[0] != images.dims[0])
        throw Error("'" + prefix + "-labels-idx1-ubyte.gz': label count does not match the images");
    const int64_t n = images.dims[0];
    if (n < 1) throw Error("'" + prefix + "-images-idx3-ubyte.gz': holds no images");
    LabelledImages out;
    out.images = at::from_blob(const_cast<uint8_t*>(images.bytes.data()), {n, 1, 28, 28}, at::kByte)
                     .to(at::kFloat)
                     .div_(127.5)
                     .sub_(1.0);
    out.labels = at::from_blob(const_cast<uint8_t*>(labels.bytes.data()), {n}, at::kByte).to(at::kLong);
    if (out.labels.max().item<int64_t>() > 9) throw Error("'" + prefix + "-labels-idx1-ubyte.gz': labels above 9");
    return out;
}

} // namespace dg
