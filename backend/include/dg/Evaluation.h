#pragma once

#include "dg/Device.h"
#include "dg/HostTensor.h"

#include <cmath>
#include <string>

namespace dg {

// FD-FMNIST: the FID recipe (Fréchet distance of Gaussian fits to features) with this project's own noise-aware
// Fashion-MNIST classifier as the feature network (Inception weights cannot be downloaded here), against the 10k
// test images; plus improved precision/recall (k = 3) in the same feature space.
struct ImageMetrics
{
    double fd = std::nan("");
    double precision = std::nan("");
    double recall = std::nan("");
    int64_t samples = 0;
    int64_t references = 0;
};
ImageMetrics evaluateFashionMnist(const HostTensor& samples, const std::string& classifierPath, Device device);

// For a built-in toy: sliced 2-Wasserstein distance to 20k data samples, and NLL under the true data mixture.
struct ToyMetrics
{
    double slicedWasserstein = std::nan("");
    double nll = std::nan("");
};
ToyMetrics evaluateToy(const std::string& toy, const HostTensor& samples);

} // namespace dg
