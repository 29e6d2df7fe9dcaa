#include "training/LabelledTraining.h"

#include "models/Networks.h"
#include "training/ProgressMeter.h"

#include "dg/Error.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>

namespace dg {

CheckpointMeta labelledMeta(const TrainingCommon& c, const std::string& kind, const std::string& arch, int64_t channels,
                            bool* resuming)
{
    *resuming = c.resume && std::filesystem::exists(c.checkpoint);
    if (*resuming) {
        auto meta = readCheckpointMeta(c.checkpoint);
        if (meta.kind != kind)
            throw Error("‹checkpoint›: '" + c.checkpoint + "' holds a " + meta.kind + " model; pass ‹no-resume›");
        checkNoRewind(meta, c.iterations, c.checkpoint, "‹iterations›");
        checkSameWidth(meta, channels, c.checkpoint, "‹channels›");
        return meta;
    }
    CheckpointMeta meta;
    meta.kind = kind;
    meta.dataset = "fmnist";
    meta.net.arch = arch;
    meta.net.channels = channels > 0 ? channels : 32;
    meta.batchSize = c.batchSize;
    meta.lr = c.lr;
    meta.seed = c.seed;
    return meta;
}

TrainingSummary runLabelledTraining(const LabelledTraining& t, const ProgressCallback& progress,
                                    const CancelToken* cancel)
{
    const auto& c = t.common;
    auto& meta = t.meta;
    const int64_t start = meta.iterations;
    int64_t parameters = 0;
    for (const auto& m : t.modules)
        parameters += parameterCount(*m.module);
    if (start == c.iterations)
        return {meta.iterations, meta.loss, meta.accuracy, meta.seconds, parameters, c.checkpoint, true};
    ProgressMeter meter(progress, start, c.iterations);
    const double baseSeconds = meta.seconds;
    auto save = [&](int64_t it, bool measure) {
        meta.iterations = it;
        meta.loss = meter.lastLoss();
        if (measure) meta.accuracy = t.testAccuracy();
        meta.seconds = baseSeconds + meter.elapsed();
        saveCheckpoint(c.checkpoint, meta, t.modules, &t.optimizer);
    };
    int64_t it = start;
    try {
        for (; it < c.iterations; ++it) {
            if (cancel) cancel->throwIfCancelled();
            auto gen = at::make_generator<at::CPUGeneratorImpl>(c.seed * t.seedStride + static_cast<uint64_t>(it));
            const auto loss = t.loss(it, gen);
            t.optimizer.zero_grad();
            loss.backward();
            t.optimizer.step();
            meter.addLoss(loss.item<double>());
            const bool checkpoint = (it + 1) % c.checkpointEvery == 0 && it + 1 < c.iterations;
            if (checkpoint) save(it + 1, true);
            meter.report(it + 1, checkpoint, checkpoint ? meta.accuracy : std::nan(""), checkpoint,
                         checkpoint ? t.accuracyNote : "");
        }
    } catch (const Cancelled&) {
        if (it > start) save(it, false);
        throw stoppedTraining(start, it, c.checkpoint);
    }
    save(c.iterations, true);
    meter.report(c.iterations, true, meta.accuracy, true, t.accuracyNote);
    return {meta.iterations, meta.loss, meta.accuracy, meta.seconds, parameters, c.checkpoint};
}

} // namespace dg
