#include "dg/Device.h"
#include "core/TorchDevice.h"
#include "dg/Error.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>

#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <thread>

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
    default:
        return "cpu (" + std::to_string(at::get_num_threads()) + " threads)";
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

void initRuntime()
{
    static std::once_flag once;
    std::call_once(once, [] {
        int threads = static_cast<int>(std::thread::hardware_concurrency());
        if (const char* env = std::getenv("DG_NUM_THREADS"); env && std::atoi(env) > 0) threads = std::atoi(env);
        if (threads > 0) at::set_num_threads(threads);
        // LibTorch parallelises over its own threads; an OpenBLAS with threads of its own (Debian's
        // libopenblas0-pthread behind libblas.so.3) then oversubscribes the cores: small matrix products ran 3.5×
        // slower. One BLAS thread per caller, unless the user set OPENBLAS_NUM_THREADS.
        if (const char* set = std::getenv("OPENBLAS_NUM_THREADS"); !set || !*set)
            if (auto* setBlasThreads = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
                setBlasThreads(1);
    });
}

} // namespace dg
