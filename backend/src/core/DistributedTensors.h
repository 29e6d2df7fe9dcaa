#pragma once

#include "dg/Distributed.h"

#include <ATen/ATen.h>

#include <vector>

namespace dg {

// Sums the tensors over the job's ranks in place (one collective for all, through host memory): data-parallel
// training's gradient exchange.
void allReduceSumTensors(DistributedJob& job, std::vector<at::Tensor>& tensors);

// Data-parallel step: each rank's loss is its rows' sum divided by the global batch, so the sums over the ranks of
// the gradients and losses are the global batch's. Sums both in place (a missing gradient counts as zero). The same
// collective carries each rank's wish to stop (its cancel token): when any rank asks, every rank stops before this
// step's update, so all end on the same iteration. Returns the global loss and whether to stop.
struct GradientSum
{
    double loss = 0.0;
    bool stop = false;
};
GradientSum sumGradients(DistributedJob& job, std::vector<at::Tensor> parameters, const at::Tensor& loss,
                         bool stopHere);

} // namespace dg
