#pragma once

#include "dg/CancelToken.h"
#include "dg/Training.h"
#include "models/Checkpoint.h"

#include <ATen/ATen.h>
#include <torch/optim/optimizer.h>

#include <functional>
#include <string>
#include <vector>

namespace dg {

// The loop both Fashion-MNIST classifiers train with (the noise-aware classifier, the judge): resume where the
// checkpoint stands, one optimisation step per iteration from a per-iteration generator (seed·stride + iteration, so
// a resumed run repeats exactly what an uninterrupted one does), test accuracy at every checkpoint and at the end,
// and on cancel a checkpoint of the finished iterations.
struct LabelledTraining
{
    const TrainingCommon& common;
    CheckpointMeta& meta;
    std::vector<NamedModule> modules;
    torch::optim::Optimizer& optimizer;
    uint64_t seedStride;
    std::function<at::Tensor(int64_t iteration, at::Generator& gen)> loss; // the batch's loss, before backward
    std::function<double()> testAccuracy;
    const char* accuracyNote;
};
// A new Fashion-MNIST classifier checkpoint's metadata, or the existing checkpoint's when resuming (set *resuming);
// a checkpoint of another kind is refused.
CheckpointMeta labelledMeta(const TrainingCommon& common, const std::string& kind, const std::string& arch,
                            int64_t channels, bool* resuming);
TrainingSummary runLabelledTraining(const LabelledTraining& t, const ProgressCallback& progress,
                                    const CancelToken* cancel);

} // namespace dg
