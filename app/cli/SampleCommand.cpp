#include "Commands.h"
#include "Format.h"
#include "Interrupt.h"
#include "Job.h"
#include "OutputPaths.h"
#include "SamplingFlags.h"

#include "dg/Animation.h"
#include "dg/Distributed.h"
#include "dg/Render.h"
#include "dg/SafeFile.h"
#include "dg/Sampling.h"
#include "dg/TensorFile.h"
#include "dg/Toys.h"
#include "dg/Trajectory.h"
#include "dg/TrajectoryFile.h"
#include "dg/Version.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <tuple>

namespace dg::cli {
namespace {

const char* const kAbout =
    "Samples with the EDM sampler, optionally with Discriminator Guidance, and writes the final samples.\n"
    "Example: dg sample --denoiser builtin:fmnist --dg-weight 2 --count 64 --out s.pt --grid s.png";

std::vector<FlagSpec> sampleFlags()
{
    auto flags = samplingFlags();
    const std::string out = "Output";
    flags.push_back(
        textFlag("--out", "FILE.pt", "final samples, float32 [N, ...], readable by torch.load (required)", out));
    flags.push_back(
        textFlag("--trajectory", "FILE.pt",
                 "per-step records: dict of sigma, sigma_next, weight, weight2 [S], x, denoised, correction "
                 "[S, N, ...], logit [S, N], final [N, ...]",
                 out));
    flags.push_back(textFlag("--grid", "FILE.png",
                             "images as tiles, 2-D points as a scatter plot; PNG text metadata holds the settings "
                             "(dg.settings JSON, dg.command)",
                             out));
    flags.push_back(switchFlag("--quiet", "no per-step progress on stderr", out));
    flags.push_back(batchFlag("Sampler"));
    const std::string anim = "Animation";
    flags.push_back(textFlag("--animation", "FILE.gif|FILE.mp4",
                             "the trajectory in motion: frame k shows the run after k steps (steps + 1 frames), "
                             "captioned with step, sigma and w; MP4 is H.264 (else MPEG-4 Part 2)",
                             anim));
    flags.push_back(choiceFlag("--animation-view", {"x_t", "denoised"},
                               "x_t: the noisy sample; denoised: the guided denoiser's prediction D_DG", anim, "x_t"));
    flags.push_back(
        switchFlag("--compare", "guided | unguided side by side, from the same noise (needs a guidance weight)", anim));
    flags.push_back(
        integerFlag("--animation-samples", "N", "samples shown (default 16 images, 2000 points)", anim, "", 1, 100000));
    flags.push_back(integerFlag("--fps", "N", "frames per second", anim, "4", 1, 60));
    flags.push_back(numberFlag("--hold", "SECONDS", "how long the last frame stays", anim, "2", 0, 60));
    flags.push_back(distTimeoutFlag());
    return flags;
}

RgbImage renderSamples(const HostTensor& samples, const ModelInfo& info, const std::string& title)
{
    if (samples.isImages()) return renderImageGrid(samples, samples.shape[2] <= 32 ? 3 : 1);
    ScatterOptions o;
    o.title = title;
    if (isToy(info.dataset)) {
        o.backgroundRes = 160;
        o.background = toyLogDensityGrid(info.dataset, 0.03, o.extent, o.backgroundRes);
    }
    return renderScatter(samples, o);
}

} // namespace

int runSample(const std::vector<std::string>& argv)
{
    ArgParser args("dg sample", sampleFlags(), kAbout);
    if (!args.parse(argv)) return 0;
    const SampleRequest request = requestFromFlags(args);
    const std::string outPath = args.text("--out");
    if (outPath.empty()) throw UsageError("--out: required (where to write the samples, FILE.pt)");
    const std::string trajectoryPath = args.text("--trajectory");
    const std::string gridPath = args.text("--grid");
    OutputPlan outputs; // every file this run writes, checked and told apart before any work
    outputs.add(outPath, "--out");
    if (!trajectoryPath.empty()) outputs.add(trajectoryPath, "--trajectory");
    if (!gridPath.empty()) outputs.add(gridPath, "--grid");
    const std::string animationPath = args.text("--animation");
    const bool compare = args.has("--compare");
    if (!animationPath.empty()) {
        checkAnimationPath(animationPath, "--animation");
        outputs.add(animationPath, "--animation");
    } else {
        for (const char* f : {"--animation-view", "--compare", "--animation-samples", "--fps", "--hold"})
            if (args.has(f)) throw UsageError(std::string(f) + ": only with --animation FILE.gif|FILE.mp4");
    }
    if (compare && (request.discriminator.empty() || request.settings.guidance.weight == 0.0))
        throw UsageError("--compare: needs guidance to compare with (--discriminator and --dg-weight != 0)");
    const auto view = args.text("--animation-view") == "denoised" ? AnimationView::Denoised : AnimationView::State;
    const bool quiet = args.has("--quiet");
    const auto job = joinJob(args); // as one of several processes: each samples its share, rank 0 writes
    if (job)
        for (const char* f : {"--trajectory", "--animation", "--compare"})
            if (args.has(f))
                throw UsageError(std::string(f) +
                                 ": records every step of every sample in one process; run it "
                                 "alone (this is rank " +
                                 std::to_string(job->rank()) + " of " + std::to_string(job->size()) + ")");
    // Held until the files are written: a second dg writing the same file fails at once, naming this process.
    std::vector<WriteLock> locks;
    if (isMainRank(job)) locks = outputs.lock();

    const LoadedRequest full = loadRequest(request);
    LoadedRequest loaded = full;
    const int64_t total = sampleCount(loaded, request);
    SampleRequest own = request; // this rank's share of the samples (all of them when alone)
    if (job) {
        if (total < job->size())
            throw UsageError("--count: " + std::to_string(total) + " samples cannot be shared by " +
                             std::to_string(job->size()) + " ranks");
        const auto [first, last] = job->shard(total);
        std::tie(loaded, own) = requestPart(loaded, request, first, last - first);
    }
    const Device device = loaded.device;
    const auto info = modelInfo(*loaded.denoiser);
    const auto& shape = loaded.sampleShape;
    const int64_t batch = resolveBatchSize(batchFromFlags(args), shape, loaded.device);
    if (!gridPath.empty()) {
        HostTensor probe;
        probe.shape = {1};
        probe.shape.insert(probe.shape.end(), shape.begin(), shape.end());
        if (!probe.isImages() && !probe.isPoints2d())
            throw UsageError("--grid: samples of shape " + shapeToString(shape) +
                             " are neither images [1|3, H, W] nor 2-D points [2]");
    }
    const auto writeSamples = [&](const HostTensor& samples, double seconds) {
        saveTensorFile(samples, outPath);
        std::cout << "wrote " << shapeToString(samples.shape) << " samples to " << outPath << " (" << seconds
                  << " s)\n";
        if (!gridPath.empty()) {
            const double w = request.settings.guidance.weight;
            const std::string title = request.denoiser + (w != 0.0 ? "  DG W=" + formatNumber(w) : "  NO GUIDANCE");
            writePng(gridPath, renderSamples(samples, info, title),
                     {{"Software", std::string("dg ") + codeVersion()},
                      {"dg.settings", toJson(request)},
                      {"dg.command", toCommandLine(request) + " --out " + outPath}});
            std::cout << "wrote the grid to " << gridPath << "\n";
        }
    };
    // --trajectory and --animation keep every step of every sample, so they run as one trajectory (its network calls
    // still see at most `batch` rows at a time); otherwise batch after batch, so memory stays flat at any count.
    const bool recordAll = !trajectoryPath.empty() || !animationPath.empty();
    if (!recordAll && (job || sampleCount(loaded, own) > batch)) {
        if (!quiet)
            std::cerr << "dg sample: " << total << " samples " << shapeToString(shape) << " in batches of " << batch
                      << ", " << request.settings.sampler.kind << ", DG w=" << request.settings.guidance.weight
                      << " on " << describeDevice(device) << "\n";
        const auto start = std::chrono::steady_clock::now();
        const HostTensor samples = spreadSampling(
            job.get(), total, batch,
            [&](int64_t first, int64_t n, const std::function<void(int64_t)>& batchDone) {
                const auto [partLoaded, part] = requestPart(full, request, first, n);
                return sampleInBatches(
                    partLoaded, part, batch, [&](int64_t d, int64_t) { batchDone(d); }, &interruptToken());
            },
            [&](int64_t done, int64_t all) {
                if (quiet) return;
                const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                std::fprintf(stderr, "  %lld/%lld samples  %.1f samples/s  ETA %.0f s\n", static_cast<long long>(done),
                             static_cast<long long>(all), done / s, (all - done) * s / done);
            });
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (!isMainRank(job)) {
            job->barrier();
            return 0;
        }
        writeSamples(samples, seconds);
        if (job) job->barrier();
        return 0;
    }
    // With --compare the guided run steps in lockstep with an unguided one (the same start and churn noise).
    std::optional<LockstepPair> pair;
    std::optional<Trajectory> single;
    if (compare)
        pair.emplace(loaded.denoiser, loaded.discriminator, own.settings, device,
                     loaded.noise ? &*loaded.noise : nullptr);
    else
        single.emplace(loaded.denoiser, loaded.discriminator, own.settings, device,
                       loaded.noise ? &*loaded.noise : nullptr);
    Trajectory& run = pair ? pair->guided() : *single;
    const bool recordStates = !trajectoryPath.empty() || (!animationPath.empty() && view == AnimationView::Denoised);
    run.setRecordStates(recordStates);
    run.setEvaluationRows(batch);
    if (pair) {
        pair->unguided().setRecordStates(recordStates);
        pair->unguided().setEvaluationRows(batch);
    }
    if (!quiet)
        std::cerr << "dg sample: " << total << " samples " << shapeToString(shape) << ", "
                  << request.settings.sampler.kind << " " << run.stepCount()
                  << " steps, DG w=" << request.settings.guidance.weight << " on " << describeDevice(device) << "\n";
    const auto& asked = request.settings.sampler.schedule;
    const auto& fitted = run.settings().sampler.schedule;
    if (!quiet && (fitted.sigmaMin != asked.sigmaMin || fitted.sigmaMax != asked.sigmaMax))
        std::cerr << "dg sample: note: the denoiser supports sigma " << info.sigmaMin << " ... " << info.sigmaMax
                  << "; sampling from sigma " << fitted.sigmaMax << " down to " << fitted.sigmaMin
                  << " (as EDM's sampler clamps its schedule)\n";
    double seconds = 0.0;
    while (!run.finished()) {
        if (pair) pair->step(&interruptToken());
        const auto& rec = pair ? *run.records().back() : run.step(&interruptToken());
        seconds += rec.seconds;
        if (job) job->allReduceSum({rec.seconds}); // in step with the other ranks (and notices a lost one)
        if (!quiet)
            std::fprintf(stderr, "  step %2d/%d  sigma %9.4f -> %9.4f  w %.3g  %.3f s\n", rec.step + 1, run.stepCount(),
                         rec.sigma, rec.sigmaNext, rec.weight, rec.seconds);
    }

    const HostTensor samples = job ? job->allGather(run.state()) : run.state();
    if (!isMainRank(job)) {
        job->barrier(); // returns once rank 0 has written (or names it when it could not)
        return 0;
    }
    writeSamples(samples, seconds);
    if (!trajectoryPath.empty()) {
        saveTrajectoryFile(run, trajectoryPath);
        std::cout << "wrote the trajectory (" << run.stepCount() << " steps) to " << trajectoryPath << "\n";
    }
    if (!animationPath.empty()) {
        try {
            const bool points = shape == std::vector<int64_t>{2};
            const int shown = static_cast<int>(args.integer("--animation-samples", points ? 2000 : 16));
            const double w = request.settings.guidance.weight;
            std::vector<AnimationPanel> panels;
            panels.push_back(animationPanel(run, view, shown,
                                            compare ? "guided, w = " + formatNumber(w)
                                                    : (w != 0.0 ? "DG, w = " + formatNumber(w) : "no guidance")));
            if (pair) panels.push_back(animationPanel(pair->unguided(), view, shown, "unguided"));
            std::vector<std::string> captions;
            const auto& sigmas = run.sigmas();
            for (int k = 0; k <= run.stepCount(); ++k) {
                // w as applied on the step that leaves this frame (the last frame: the run's weight)
                const double applied = k < run.stepCount() ? run.records()[static_cast<size_t>(k)]->weight : w;
                captions.push_back(animationCaption(k, run.stepCount(), sigmas[static_cast<size_t>(k)], applied));
            }
            const auto frames = composeAnimation(panels, captions, sigmas, points ? info.dataset : std::string(),
                                                 &interruptToken()); // Ctrl-C here: exit 130, no animation
            AnimationTiming timing;
            timing.fps = static_cast<int>(args.integer("--fps"));
            timing.holdSeconds = args.number("--hold");
            writeAnimation(animationPath, frames, timing, toJson(request), "--animation", &interruptToken());
            std::cout << "wrote the animation (" << frames.size() << " frames, " << frames.front().width() << "x"
                      << frames.front().height() << ", view " << toString(view) << ") to " << animationPath << "\n";
        } catch (const Cancelled&) { // the finished samples stay; the animation is not written
            throw Cancelled("the samples are written to " + outPath + "; the animation " + animationPath + " is not");
        }
    }
    if (job) job->barrier();
    return 0;
}

} // namespace dg::cli
