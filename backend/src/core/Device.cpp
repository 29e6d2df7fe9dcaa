#include "dg/Device.h"
#include "core/TorchDevice.h"
#include "dg/Error.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <dlfcn.h>
#include <fstream>
#include <mutex>
#include <sched.h>
#include <sstream>
#include <string>
#include <thread>
#include <time.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace dg {

Device parseDevice(const std::string& text)
{
    if (text == "auto") return Device::Auto;
    if (text == "cpu") return Device::Cpu;
    if (text == "cuda") return Device::Cuda;
    throw Error("‹device›: expected auto, cpu or cuda, got '" + text + "'");
}

bool cudaAvailable()
{
    return at::hasCUDA();
}

void lowerThreadPriority(int nice)
{
#ifdef __linux__
    // A Linux thread has its own nice value, and threads it creates (its OpenMP team) inherit it.
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), nice);
#endif
}

Device resolveDevice(Device requested)
{
    if (requested == Device::Auto) return cudaAvailable() ? Device::Cuda : Device::Cpu;
    if (requested == Device::Cuda && !cudaAvailable())
        throw Error("‹device› cuda: this LibTorch build has no CUDA support or no GPU is visible; use ‹device› cpu");
    return requested;
}

std::string describeDevice(Device device)
{
    switch (resolveDevice(device)) {
    case Device::Cuda:
        return "cuda";
    default: {
        const int threads = at::get_num_threads();
        return "cpu (" + std::to_string(threads) + (threads == 1 ? " thread)" : " threads)");
    }
    }
}

namespace {
int g_gpu = 0;
}

void useGpuOfLocalRank(int localRank)
{
    const int gpus = cudaAvailable() ? static_cast<int>(at::getNumGPUs()) : 0;
    g_gpu = gpus > 0 ? localRank % gpus : 0;
}

c10::Device toTorchDevice(Device device)
{
    return resolveDevice(device) == Device::Cuda ? c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(g_gpu))
                                                 : c10::Device(c10::kCPU);
}

int threadsForIdleCores(double idleTime, double totalTime, int machineCpus, int allowedCpus)
{
    const int allowed = std::max(1, allowedCpus);
    if (!(totalTime > 0) || !(idleTime >= 0) || machineCpus < 1) return allowed;
    const double idleCores = std::min(idleTime, totalTime) / totalTime * machineCpus;
    return std::clamp(static_cast<int>(std::lround(idleCores)), 1, allowed);
}

namespace {

struct CpuTimes
{
    double idle = 0, total = 0;
    bool valid = false;
};

// The first line of /proc/stat: user nice system idle iowait irq softirq steal (guest time is inside user).
CpuTimes readCpuTimes()
{
    CpuTimes t;
    std::ifstream in("/proc/stat");
    std::string line, label;
    if (!in || !std::getline(in, line)) return t;
    std::istringstream fields(line);
    fields >> label;
    if (label != "cpu") return t;
    double v[8] = {};
    for (double& x : v)
        if (!(fields >> x)) return t;
    t.idle = v[3] + v[4];
    for (double x : v)
        t.total += x;
    t.valid = true;
    return t;
}

int allowedCpus()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

std::atomic<ThreadPolicy> g_threadPolicy{ThreadPolicy::AllCores};

int idleCoresNow()
{
    const int allowed = allowedCpus();
    const int machine = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    if (allowed == 1) return 1;
    // This process's own CPU time counts as idle: a GUI thread busy starting up is no other process's load.
    const auto ownTicks = [] {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9) * static_cast<double>(sysconf(_SC_CLK_TCK));
    };
    const double ownBefore = ownTicks();
    const CpuTimes before = readCpuTimes();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const CpuTimes after = readCpuTimes();
    const double own = ownTicks() - ownBefore;
    if (!before.valid || !after.valid) return allowed;
    return threadsForIdleCores(after.idle - before.idle + own, after.total - before.total, machine, allowed);
}

} // namespace

void setThreadPolicy(ThreadPolicy policy)
{
    g_threadPolicy = policy;
}

void initRuntime()
{
    static std::once_flag once;
    std::call_once(once, [] {
        int threads = 0;
        if (const char* env = std::getenv("DG_NUM_THREADS"); env && std::atoi(env) > 0)
            threads = std::atoi(env);
        else
            threads = g_threadPolicy.load() == ThreadPolicy::IdleCores ? idleCoresNow() : allowedCpus();
        if (threads > 0) at::set_num_threads(threads);
        // LibTorch parallelises over its own threads; an OpenBLAS with threads of its own (Debian's
        // libopenblas0-pthread behind libblas.so.3) then oversubscribes the cores: small matrix products ran 3.5×
        // slower. One BLAS thread per caller, unless the user set OPENBLAS_NUM_THREADS.
        if (const char* set = std::getenv("OPENBLAS_NUM_THREADS"); !set || !*set)
            if (auto* setBlasThreads = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
                setBlasThreads(1);
    });
}

int intraOpThreads()
{
    initRuntime();
    return at::get_num_threads();
}

} // namespace dg
