#pragma once

#include "dg/HostTensor.h"

#include <ATen/ATen.h>

namespace dg {

HostTensor toHost(const at::Tensor& tensor);   // any device/dtype → float32 host copy
at::Tensor fromHost(const HostTensor& tensor); // float32 CPU tensor owning a copy

} // namespace dg
