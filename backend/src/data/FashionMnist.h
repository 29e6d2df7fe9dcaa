#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dg {

struct LabelledImages
{
    at::Tensor images; // [N, 1, 28, 28] float32 in [-1, 1]
    at::Tensor labels; // [N] int64
};

std::string defaultFashionMnistFolder(); // $DG_FASHION_MNIST_DIR or /usr/share/datasets/fashion-mnist
// Fashion-MNIST from Debian's dataset-fashion-mnist package (gzipped IDX files, read with zlib).
// split: "train" (60k) or "test" (10k). Errors name the file and say what to install.
LabelledImages loadFashionMnist(const std::string& split, const std::string& folder = defaultFashionMnistFolder());

// One gzipped IDX file as raw bytes with its dimensions (magic 0x0801 labels, 0x0803 images).
struct IdxArray
{
    std::vector<int64_t> dims;
    std::vector<uint8_t> bytes;
};
IdxArray readIdxGz(const std::string& path);
// The IDX bytes after decompression (the fuzzed part of readIdxGz); errors name path.
IdxArray parseIdx(const std::vector<uint8_t>& data, const std::string& path);

} // namespace dg
