#pragma once

#include "dg/CancelToken.h"
#include "dg/HostTensor.h"
#include "dg/Models.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dg {

// How well a discriminator tells real from generated data at one noise level.
struct SigmaDiagnostic
{
    double sigma = 0.0;
    double accuracy = 0.0;      // over reals and fakes together (logit > 0 means "real")
    double realAccuracy = 0.0;  // reals called real
    double fakeAccuracy = 0.0;  // fakes called generated
    double meanLogitReal = 0.0; // mean log(d / (1 - d)) of the reals
    double meanLogitFake = 0.0;
};

// Where guidance can help (Kim et al. 2023: the correction is only as good as d's log-ratio): at each σ, the same
// number of held-out real samples (the Fashion-MNIST test split, or fresh draws of a toy's data) and of the given
// fakes, both diffused as x + σ·ε with noise seeded by `seed`, scored by the discriminator. dataset: "fmnist" or
// "toy:NAME"; fakeLabels: the fakes' classes for a class-conditional discriminator (the reals bring their own).
std::vector<SigmaDiagnostic> diagnoseDiscriminator(const DiscriminatorPtr& discriminator, const std::string& dataset,
                                                   const HostTensor& fakes, const std::vector<int64_t>& fakeLabels,
                                                   const std::vector<double>& sigmas, uint64_t seed, Device device,
                                                   const CancelToken* cancel = nullptr);

} // namespace dg
