#pragma once

#include <vector>

namespace dg {

// Expected calibration error (Guo et al. 2017) of a discriminator read as d = sigmoid(logit) = P(real | x): the reals
// (label 1) and the fakes (label 0) pooled, split into `bins` equal-width bins of d, ECE = Σ_b (n_b / N) |mean label −
// mean d| over the bins. With as many reals as fakes the density-ratio d / (1 − d) that DG uses is exact only where d
// is calibrated, so 0 is the ideal; a d that says 0.9 where half the inputs are real scores 0.4. Non-finite logits
// are an error of the caller (checked before).
double expectedCalibrationError(const std::vector<double>& realLogits, const std::vector<double>& fakeLogits,
                                int bins = 10);

} // namespace dg
