#pragma once

#include "dg/Device.h"

#include <c10/core/Device.h>

namespace dg {

// The resolved device as LibTorch's (Auto is resolved first).
c10::Device toTorchDevice(Device device);

} // namespace dg
