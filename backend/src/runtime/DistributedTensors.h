#pragma once

#include "dg/Distributed.h"

#include <ATen/ATen.h>

#include <vector>

namespace dg {

// Sums the tensors over the job's ranks in place (one collective for all, through host memory): data-parallel
// training's gradient exchange.
void allReduceSumTensors(DistributedJob& job, std::vector<at::Tensor>& tensors);

// Data-parallel step: each rank's loss is its rows' sum divided by the global batch, so the sums over the ranks of
// the gradients and losses are the global batch's. Sums both in place (a missing gradient counts as zero) and
// returns the global loss.
double sumGradients(DistributedJob& job, const std::vector<at::Tensor>& parameters, const at::Tensor& loss);

} // namespace dg
