#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace dg {

// Counter-based noise: sample i of a run with seed s draws from a generator keyed by (s, i, stream) only, so an image
// does not depend on batch size, batch position or device. Stream 0 is the starting noise, stream k+1 the churn of
// step k.
class NoiseSource
{
public:
    static uint64_t key(uint64_t seed, uint64_t sample, uint64_t stream);
    // [count, shape...] standard normal, float32 on the CPU; sample i uses firstSample + i.
    static at::Tensor normal(uint64_t seed, int64_t firstSample, int64_t count, const std::vector<int64_t>& shape,
                             uint64_t stream);
};

} // namespace dg
