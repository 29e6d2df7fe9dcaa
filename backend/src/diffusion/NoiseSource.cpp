#include "diffusion/NoiseSource.h"

#include <ATen/CPUGeneratorImpl.h>

namespace dg {
namespace {

// SplitMix64 finaliser (Steele, Lea & Flood 2014): decorrelates nearby keys.
uint64_t mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

} // namespace

uint64_t NoiseSource::key(uint64_t seed, uint64_t sample, uint64_t stream)
{
    return mix(mix(mix(seed) ^ sample) ^ (stream * 0xD1B54A32D192ED03ull));
}

at::Tensor NoiseSource::normal(uint64_t seed, int64_t firstSample, int64_t count, const std::vector<int64_t>& shape,
                               uint64_t stream)
{
    std::vector<int64_t> dims{count};
    dims.insert(dims.end(), shape.begin(), shape.end());
    auto out = at::empty(dims, at::kFloat);
    for (int64_t i = 0; i < count; ++i) {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(key(seed, static_cast<uint64_t>(firstSample + i), stream));
        out[i].copy_(at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat)));
    }
    return out;
}

} // namespace dg
