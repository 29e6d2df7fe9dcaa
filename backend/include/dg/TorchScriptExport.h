#pragma once

#include "dg/Models.h"

#include <string>

namespace dg {

// Writes a loaded model as a TorchScript file honouring docs/ARCHITECTURE.md §2 (forward(x, sigma) for an unconditional
// model, attributes sample_shape and description), so Python (torch.jit.load) runs the very same network. The model is
// traced once on the CPU with the given batch size; its weights become constants of the graph. Errors name the file.
void exportDenoiserTorchScript(const Denoiser& model, const std::string& path);
void exportDiscriminatorTorchScript(const Discriminator& model, const std::vector<int64_t>& sampleShape,
                                    const std::string& path);

} // namespace dg
