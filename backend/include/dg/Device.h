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
// The GPU that Cuda means in this process: cuda:(localRank mod GPUs) — one process per GPU in a job of several
// (LOCAL_RANK). Without a call, or without CUDA, cuda:0.
void useGpuOfLocalRank(int localRank);
// Sets LibTorch's intra-op threads to the number of cores, or $DG_NUM_THREADS (once per process).
void initRuntime();
// For a front end's background job (training, tuning, diagnosis): the calling thread, and the LibTorch worker threads
// it starts from now on, yield the cores to the GUI and the live run (Linux nice 10 for this thread only). No effect
// elsewhere.
void lowerThreadPriority(int nice = 10);

} // namespace dg
