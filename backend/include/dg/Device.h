#pragma once

#include <string>

namespace dg {

enum class Device
{
    Auto,
    Cpu,
    Cuda,
};

Device parseDevice(const std::string& text); // throws dg::Error for anything but auto|cpu|cuda
// Auto → Cuda when the linked LibTorch has CUDA and a GPU is present; Cuda without one throws dg::Error.
Device resolveDevice(Device requested);
std::string describeDevice(Device device);
bool cudaAvailable();
// Sets LibTorch's intra-op threads to the number of cores, or $DG_NUM_THREADS (once per process).
void initRuntime();

} // namespace dg
