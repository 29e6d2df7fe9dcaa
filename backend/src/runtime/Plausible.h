#pragma once

// Plausible value ranges (docs/RELIABILITY.md, "Finite is not enough"). Data — Fashion-MNIST pixels and the toys'
// points — lie in [-1, 1]; values far outside mean a broken file or model, not a sample.
namespace dg::plausible {

constexpr double kSampleBound = 4.0;    // finished samples and cached fakes: |x| <= 4
constexpr double kDenoisedBound = 10.0; // a denoiser's own estimate D(x; sigma) before guidance
constexpr double kStateBound = 5.0;     // a state x_t: |x| <= kStateBound + kStateNoise * sigma
constexpr double kStateNoise = 10.0;
constexpr double kNoiseBound = 10.0;    // a standard-normal start: |z| > 10 has probability ~1e-23 per value

} // namespace dg::plausible
