#pragma once

#include <string>

namespace dg {

class Trajectory;

// A dict {sigma, sigma_next, weight, weight2, x, denoised, correction, [logit], final} readable by torch.load; written
// atomically (dg/SafeFile.h).
void saveTrajectoryFile(const Trajectory& trajectory, const std::string& path);

} // namespace dg
