#pragma once

#include "dg/HostTensor.h"

#include <string>
#include <vector>

namespace dg {

// Facts about the built-in 2-D Gaussian-mixture toys (ring8, moons), for plots and summaries.
std::vector<std::string> toyNames();
bool isToy(const std::string& name);

// log p_data,σ on a res×res grid over [-extent, extent]², row 0 at the top.
std::vector<float> toyLogDensityGrid(const std::string& name, double sigma, double extent, int res);
// Mean negative log-likelihood of points [N, 2] under the toy's data mixture (nats).
double toyDataNll(const std::string& name, const HostTensor& points);

} // namespace dg
