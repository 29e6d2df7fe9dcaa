#include "Commands.h"
#include "Interrupt.h"
#include "OutputPaths.h"
#include "Format.h"
#include "SamplingFlags.h"

#include "dg/SafeFile.h"
#include "dg/Render.h"
#include "dg/Sampling.h"
#include "dg/TensorFile.h"
#include "dg/Toys.h"
#include "dg/Trajectory.h"
#include "dg/Version.h"

#include <cstdio>
#include <iostream>

namespace dg::cli {
namespace {

const char* const kAbout =
    "Samples with the EDM sampler, optionally with Discriminator Guidance, and writes the final samples.\n"
    "Example: dg sample --denoiser builtin:fmnist --dg-weight 2 --count 64 --out s.pt --grid s.png";

std::vector<FlagSpec> sampleFlags()
{
    auto flags = samplingFlags();
    const std::string out = "Output";
    flags.push_back(textFlag("--out", "FILE.pt", "final samples, float32 [N, ...], readable by torch.load (required)", out));
    flags.push_back(textFlag("--trajectory", "FILE.pt",
                             "per-step records: dict of sigma, sigma_next, weight, weight2 [S], x, denoised, correction "
                             "[S, N, ...], logit [S, N], final [N, ...]", out));
    flags.push_back(textFlag("--grid", "FILE.png",
                             "images as tiles, 2-D points as a scatter plot; PNG text metadata holds the settings "
                             "(dg.settings JSON, dg.command)", out));
    flags.push_back(switchFlag("--quiet", "no per-step progress on stderr", out));
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
    checkOutputPath(outPath, "--out");
    if (!trajectoryPath.empty()) checkOutputPath(trajectoryPath, "--trajectory");
    if (!gridPath.empty()) checkOutputPath(gridPath, "--grid");
    const bool quiet = args.has("--quiet");
    // Held until the files are written: a second dg writing the same file fails at once, naming this process.
    std::vector<WriteLock> locks;
    locks.emplace_back(outPath, "--out");
    if (!trajectoryPath.empty()) locks.emplace_back(trajectoryPath, "--trajectory");
    if (!gridPath.empty()) locks.emplace_back(gridPath, "--grid");

    const LoadedRequest loaded = loadRequest(request);
    const Device device = loaded.device;
    const auto info = modelInfo(*loaded.denoiser);
    const auto& shape = loaded.sampleShape;
    Trajectory run(loaded.denoiser, loaded.discriminator, request.settings, device,
                   loaded.noise ? &*loaded.noise : nullptr);
    run.setRecordStates(!trajectoryPath.empty());
    if (!gridPath.empty()) {
        HostTensor probe;
        probe.shape = {1};
        probe.shape.insert(probe.shape.end(), shape.begin(), shape.end());
        if (!probe.isImages() && !probe.isPoints2d())
            throw UsageError("--grid: samples of shape " + shapeToString(shape) +
                             " are neither images [1|3, H, W] nor 2-D points [2]");
    }
    if (!quiet)
        std::cerr << "dg sample: " << run.settings().count << " samples " << shapeToString(shape) << ", "
                  << toString(request.settings.sampler.kind) << " " << run.stepCount() << " steps, DG w="
                  << request.settings.guidance.weight << " on " << describeDevice(device) << "\n";
    double seconds = 0.0;
    while (!run.finished()) {
        const auto& rec = run.step(&interruptToken());
        seconds += rec.seconds;
        if (!quiet)
            std::fprintf(stderr, "  step %2d/%d  sigma %9.4f -> %9.4f  w %.3g  %.3f s\n", rec.step + 1,
                         run.stepCount(), rec.sigma, rec.sigmaNext, rec.weight, rec.seconds);
    }

    const HostTensor samples = run.state();
    saveTensorFile(samples, outPath);
    std::cout << "wrote " << shapeToString(samples.shape) << " samples to " << outPath << " (" << seconds << " s)\n";
    if (!trajectoryPath.empty()) {
        saveTrajectoryFile(run, trajectoryPath);
        std::cout << "wrote the trajectory (" << run.stepCount() << " steps) to " << trajectoryPath << "\n";
    }
    if (!gridPath.empty()) {
        const double w = request.settings.guidance.weight;
        const std::string title = request.denoiser + (w != 0.0 ? "  DG W=" + formatNumber(w) : "  NO GUIDANCE");
        writePng(gridPath, renderSamples(samples, info, title),
                 {{"Software", std::string("dg ") + versionString()},
                  {"dg.settings", toJson(request)},
                  {"dg.command", toCommandLine(request) + " --out " + outPath}});
        std::cout << "wrote the grid to " << gridPath << "\n";
    }
    return 0;
}

} // namespace dg::cli
