#include "Commands.h"
#include "Interrupt.h"
#include "Job.h"
#include "OutputPaths.h"
#include "SamplingFlags.h"

#include "dg/Evaluation.h"
#include "dg/Models.h"
#include "dg/SafeFile.h"
#include "dg/Sampling.h"
#include "dg/TensorFile.h"
#include "dg/Training.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

namespace dg::cli {

int runGenFakes(const std::vector<std::string>& argv)
{
    auto flags = samplingFlags();
    flags.push_back(textFlag("--out", "FAKES.pt", "where to write the samples (required)", "Output"));
    flags.push_back(batchFlag("Output"));
    flags.push_back(switchFlag("--no-quantize", "keep the raw floats instead of the 8-bit grid", "Output"));
    flags.push_back(distTimeoutFlag());
    ArgParser a(
        "dg gen-fakes", flags,
        "Caches samples of the score model (no guidance) for discriminator training. Like the official DG code, "
        "which trains on PNG fakes, the samples are clipped to [-1, 1] and put on the same 8-bit grid as the "
        "real images (v/127.5 - 1, v = 0..255). With a class-conditional denoiser every class gets an equal "
        "share (--class all, unless --class K is given) and the labels go to FAKES.labels.pt beside the "
        "samples (dg train-disc --class-conditional).\n"
        "Example: dg gen-fakes --denoiser builtin:fmnist --count 10000 --out fakes.pt");
    if (!a.parse(argv)) return 0;
    SampleRequest r = requestFromFlags(a);
    if (!r.discriminator.empty() || r.settings.guidance.weight != 0.0)
        throw UsageError("--discriminator: gen-fakes samples the score model alone (no guidance)");
    const std::string out = a.text("--out");
    if (out.empty()) throw UsageError("--out: required");
    OutputPlan outputs;
    outputs.add(out, "--out");
    outputs.addBeside(fakeLabelsPath(out), "the labels of --out");
    const auto job = joinJob(a); // as one of several processes: each samples its share, rank 0 writes
    std::vector<WriteLock> locks;
    if (isMainRank(job)) locks = outputs.lock();
    const LoadedRequest loaded = loadRequest(r);
    const int64_t batch = resolveBatchSize(batchFromFlags(a), loaded.sampleShape, loaded.device);
    const ModelInfo info = modelInfo(*loaded.denoiser);
    if (info.classConditional && !r.settings.classLabel) r.settings.classLabel = kEveryClass;
    const auto start = std::chrono::steady_clock::now();
    auto samples = spreadSampling(
        job.get(), sampleCount(loaded, r), batch,
        [&](int64_t first, int64_t n, const std::function<void(int64_t)>& batchDone) {
            const auto [partLoaded, part] = requestPart(loaded, r, first, n);
            return sampleInBatches(
                partLoaded, part, batch, [&](int64_t d, int64_t) { batchDone(d); }, &interruptToken());
        },
        [&](int64_t done, int64_t total) {
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::fprintf(stderr, "  %lld/%lld samples  %.1f samples/s  ETA %.0f s\n", static_cast<long long>(done),
                         static_cast<long long>(total), done / s, (total - done) * s / done);
        });
    if (!isMainRank(job)) {
        job->barrier(); // returns once rank 0 has written (or names it when it could not)
        return 0;
    }
    const bool quantize = !a.has("--no-quantize") && samples.isImages();
    if (quantize) samples = quantize8(samples);
    saveTensorFile(samples, out);
    std::cout << "wrote " << shapeToString(samples.shape) << (quantize ? " samples (8-bit grid)" : " samples") << " to "
              << out << "\n";
    if (const auto label = r.settings.classLabel; label && info.classConditional) {
        HostTensor labels; // the label of sample i, as Trajectory draws it
        labels.shape = {samples.batch(), 1};
        for (int64_t i = 0; i < samples.batch(); ++i)
            labels.values.push_back(static_cast<float>(classOfSample(r.settings, i, info.numClasses)));
        const auto path = fakeLabelsPath(out);
        saveTensorFile(labels, path);
        std::cout << "wrote their class labels to " << path << "\n";
    } else if (std::error_code ec; std::filesystem::remove(resolveSymlinks(fakeLabelsPath(out)), ec)) {
        // The labels of the fakes just replaced: train-disc --class-conditional would otherwise pair them with these.
        std::cout << "removed " << fakeLabelsPath(out) << " (the labels of the fakes this file replaced)\n";
    }
    if (job) job->barrier();
    return 0;
}

} // namespace dg::cli
