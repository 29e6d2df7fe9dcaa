#pragma once

#include "dg/HostTensor.h"

#include <string>
#include <vector>

namespace dg {

class Trajectory;

// Tensor files are those Python's torch.save / torch.load read and write. Errors name the file.
HostTensor loadTensorFile(const std::string& path);
void saveTensorFile(const HostTensor& tensor, const std::string& path); // atomic: written beside, then renamed

// A dict {sigma, sigma_next, weight, weight2, x, denoised, correction, [logit], final} readable by torch.load.
void saveTrajectoryFile(const Trajectory& trajectory, const std::string& path);

// Writes bytes to path through a temporary file and a rename, so readers never see half a file.
void writeFileAtomically(const std::string& path, const std::vector<char>& bytes);

} // namespace dg
