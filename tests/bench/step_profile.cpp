// Where the time of a guided Fashion-MNIST step goes, compare mode's one denoiser call against two, and the time from
// a session's startRun to its first frame (docs/PERFORMANCE.md "Interactive speed"). Not a test: it asserts nothing
// and prints measurements. Usage: dg-step-profile [REPEATS]
#include "core/HostConversion.h"
#include "dg/Models.h"
#include "dg/Render.h"
#include "dg/Session.h"
#include "dg/Trajectory.h"
#include "diffusion/GuidedDenoiser.h"
#include "diffusion/NoiseSource.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

using namespace dg;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point since)
{
    return std::chrono::duration<double>(Clock::now() - since).count();
}

template <typename F> double median(int repeats, F&& f)
{
    f(); // warm: the first call of a shape builds oneDNN primitives and grows the allocator
    std::vector<double> t;
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = Clock::now();
        f();
        t.push_back(seconds(t0));
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

RunSettings runSettings(int64_t count)
{
    RunSettings s;
    s.count = count;
    s.seed = 7;
    s.guidance.weight = 2.0;
    return s;
}

// Median step time over the first `steps` steps of fresh runs: the pair in one call per evaluation, then two runs.
void compareMode(const DenoiserPtr& d, const DiscriminatorPtr& disc, int repeats)
{
    std::printf("\ncompare mode, Fashion-MNIST pair, DG w=2, Heun, %d threads: seconds per step (median)\n",
                at::get_num_threads());
    std::printf(
        "| batch | one call (stepTogether) | two calls (guided, then unguided) | ratio |\n|---:|---:|---:|---:|\n");
    for (int64_t batch : {1, 16, 64}) {
        const RunSettings s = runSettings(batch);
        RunSettings off = s;
        off.guidance.enabled = false;
        const int steps = 6; // the first steps: all of them guided and with a corrector
        const double together = median(repeats,
                                       [&] {
                                           LockstepPair pair(d, disc, s, Device::Cpu);
                                           for (int k = 0; k < steps; ++k)
                                               pair.step();
                                       }) /
                                steps;
        const double apart = median(repeats,
                                    [&] {
                                        Trajectory g(d, disc, s, Device::Cpu), u(d, disc, off, Device::Cpu);
                                        for (int k = 0; k < steps; ++k) {
                                            g.step();
                                            u.step();
                                        }
                                    }) /
                             steps;
        std::printf("| %lld | %.3f | %.3f | %.2fx |\n", static_cast<long long>(batch), together, apart,
                    apart / together);
    }
}

// One guided Heun step at batch 16 taken apart: each network call timed alone, the rest is the sampler's arithmetic,
// checks and copies; then what a frame costs on its way to the screen (host copies, image grid).
void profile(const DenoiserPtr& d, const DiscriminatorPtr& disc, int repeats, int64_t batch)
{
    const std::vector<int64_t> shape{1, 28, 28};
    const auto x = NoiseSource::normal(7, 0, batch, shape, 0) * 2.0;
    const auto sigma = at::scalar_tensor(2.0, x.options()).expand({batch});
    const double den = median(repeats, [&] {
        c10::InferenceMode guard;
        d->denoise(x, sigma, std::nullopt);
    });
    const double fwd = median(repeats, [&] {
        at::NoGradGuard guard;
        disc->logit(x, sigma, std::nullopt);
    });
    const double fwdBwd = median(repeats, [&] { disc->logitWithGradient(x, sigma, std::nullopt); });
    const RunSettings s = runSettings(batch);
    const double step = median(repeats, [&] {
        Trajectory t(d, disc, s, Device::Cpu);
        t.setRecordStates(false);
        t.step();
    });
    const auto onDevice = x.clone();
    const double record = median(repeats, [&] {
        for (int k = 0; k < 3; ++k)
            toHost(onDevice);
    });
    Trajectory t(d, disc, s, Device::Cpu);
    t.step();
    const HostTensor xs = t.state();
    const double grid = median(repeats, [&] { renderImageGrid(xs, 3); });
    std::printf("\none guided Heun step, batch %lld, %d threads (median of %d), seconds:\n",
                static_cast<long long>(batch), at::get_num_threads(), repeats);
    std::printf("| part | s | share of the step |\n|---|---:|---:|\n");
    std::printf("| whole step, no host records | %.4f | 100%% |\n", step);
    std::printf("| denoiser forward x2 (predictor, corrector) | %.4f | %.0f%% |\n", 2 * den, 200 * den / step);
    std::printf("| discriminator forward + input gradient x2 | %.4f | %.0f%% |\n", 2 * fwdBwd, 200 * fwdBwd / step);
    std::printf("| (of which the forward alone) | %.4f | |\n", 2 * fwd);
    std::printf("| the rest: sampler arithmetic, checks, copies | %.4f | %.0f%% |\n", step - 2 * den - 2 * fwdBwd,
                100 * (step - 2 * den - 2 * fwdBwd) / step);
    std::printf("| host records for the viewer (x, D, correction) | %.4f | (on top) |\n", record);
    std::printf("| image grid of the batch (exports, animations) | %.4f | (on top) |\n", grid);
}

// Cost per row of each network call against the batch: where one call of 2N rows pays (or does not) over two of N.
void perRow(const DenoiserPtr& d, const DiscriminatorPtr& disc, int repeats)
{
    std::printf("\nnetwork calls against the batch, %d threads (median of %d), ms per row:\n", at::get_num_threads(),
                repeats);
    std::printf("| rows | denoiser forward | discriminator forward + input gradient |\n|---:|---:|---:|\n");
    for (int64_t b : {1, 2, 8, 16, 32, 64, 128}) {
        const auto x = NoiseSource::normal(7, 0, b, {1, 28, 28}, 0) * 2.0;
        const auto sigma = at::scalar_tensor(2.0, x.options()).expand({b});
        const double den = median(repeats, [&] {
            c10::InferenceMode guard;
            d->denoise(x, sigma, std::nullopt);
        });
        const double grad = median(repeats, [&] { disc->logitWithGradient(x, sigma, std::nullopt); });
        std::printf("| %lld | %.2f | %.2f |\n", static_cast<long long>(b), 1000 * den / b, 1000 * grad / b);
    }
}

// From startRun to the first frame event, models loaded (warm): what the GUIs wait for before their first image.
void firstFrame(const std::string& denoiser, const std::string& disc, int64_t batch, int repeats)
{
    std::mutex m;
    std::condition_variable cv;
    bool loaded = false;
    int frames = 0;
    Session session([&](const SessionEvent& e) {
        std::lock_guard lock(m);
        if (e.kind == SessionEvent::Kind::ModelsLoaded) loaded = true;
        if (e.kind == SessionEvent::Kind::Frame) ++frames;
        if (e.kind == SessionEvent::Kind::Failed) std::fprintf(stderr, "failed: %s\n", e.message.c_str());
        cv.notify_all();
    });
    const auto t0 = Clock::now();
    session.loadModels(denoiser, disc, Device::Cpu);
    {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return loaded; });
    }
    const double load = seconds(t0);
    std::vector<double> t;
    for (int r = 0; r < repeats; ++r) {
        RunSettings s = runSettings(batch);
        s.guidance.weight = 1.0;
        {
            std::lock_guard lock(m);
            frames = 0;
        }
        const auto start = Clock::now();
        session.startRun(s, true, true);
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return frames >= 1; }); // the first step's frame
        t.push_back(seconds(start));
    }
    std::sort(t.begin(), t.end());
    std::printf("%s, batch %lld, compare on: models loaded in %.3f s; startRun -> first step %.3f s (median of %d)\n",
                denoiser.c_str(), static_cast<long long>(batch), load, t[t.size() / 2], repeats);
}

} // namespace

int main(int argc, char** argv)
{
    const int repeats = argc > 1 ? std::atoi(argv[1]) : 5;
    initRuntime();
    const auto d = loadDenoiser("builtin:fmnist", Device::Cpu);
    const auto disc = loadDiscriminator("builtin:fmnist-disc", Device::Cpu, {1, 28, 28});
    std::printf("dg-step-profile, LibTorch %d threads\n", at::get_num_threads());
    profile(d, disc, repeats, 16);
    perRow(d, disc, repeats);
    compareMode(d, disc, repeats);
    std::printf("\nfirst frame (warm):\n");
    firstFrame("builtin:ring8-model", "builtin:ring8-disc", 16, repeats);
    firstFrame("builtin:fmnist", "builtin:fmnist-disc", 16, repeats);
    return 0;
}
