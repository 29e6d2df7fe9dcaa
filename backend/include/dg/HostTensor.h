#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dg {

// A dense float32 array in host memory, row-major: what the backend hands to front ends and files.
struct HostTensor
{
    std::vector<int64_t> shape;
    std::vector<float> values;

    int64_t numel() const;
    int64_t batch() const { return shape.empty() ? 0 : shape.front(); }
    int64_t sampleSize() const; // elements per sample (product of shape[1:])
    std::vector<int64_t> sampleShape() const
    {
        return shape.empty() ? shape : std::vector(shape.begin() + 1, shape.end());
    }
    const float* sample(int64_t i) const { return values.data() + i * sampleSize(); }
    // Samples [first, first + count) as a new tensor.
    HostTensor slice(int64_t first, int64_t count) const;
    bool isPoints2d() const { return shape.size() == 2 && shape[1] == 2; }
    bool isImages() const { return shape.size() == 4 && (shape[1] == 1 || shape[1] == 3); }
};

std::string shapeToString(const std::vector<int64_t>& shape);

} // namespace dg
