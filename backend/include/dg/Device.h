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
// How initRuntime picks LibTorch's intra-op threads when $DG_NUM_THREADS is unset. The count changes a result's last
// bits (the order of sums), so `dg` keeps AllCores — every core the process may use, the same bits from the same
// command on the same machine whatever else runs — and the sample cache keys carry it. The interactive front ends
// choose IdleCores before their first run: the cores other processes leave idle at start (threadsForIdleCores over
// 50 ms of /proc/stat; this process's own CPU time counts as idle). Two threads on a 2-core machine whose other core is
// busy wait on each other whenever one is descheduled: dg-studio's headless comparison took 65.6 s with 2 threads and
// 21.9 s with 1 there.
enum class ThreadPolicy
{
    AllCores,
    IdleCores,
};
void setThreadPolicy(ThreadPolicy policy); // before the first initRuntime; later calls change nothing
// Sets LibTorch's intra-op threads once per process: $DG_NUM_THREADS, else by the ThreadPolicy.
void initRuntime();
int intraOpThreads(); // after initRuntime: what the sample and score caches key on
// From the machine's idle and total CPU time over one interval (any unit), on `machineCpus` cores, for a process
// allowed `allowedCpus`: round(idle share × machineCpus), at least 1, at most allowedCpus.
int threadsForIdleCores(double idleTime, double totalTime, int machineCpus, int allowedCpus);
// For a front end's background job (training, tuning, diagnosis): the calling thread, and the LibTorch worker threads
// it starts from now on, yield the cores to the GUI and the live run (Linux nice 10 for this thread only). No effect
// elsewhere.
void lowerThreadPriority(int nice = 10);

} // namespace dg
