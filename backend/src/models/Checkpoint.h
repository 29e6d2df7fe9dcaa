#pragma once

#include "dg/Error.h"
#include "models/Networks.h"

#include <torch/optim/optimizer.h>

#include <cmath>
#include <string>
#include <vector>

namespace dg {

// What a checkpoint says about itself: enough to rebuild its networks and to tell where training stood.
struct CheckpointMeta
{
    std::string kind;    // "score", "classifier", "disc"
    NetConfig net;       // the trained network (score net, classifier encoder, or discriminator head)
    NetConfig encoder;   // disc on images: the frozen encoder's config
    std::string dataset; // "fmnist" or "toy:NAME"
    int64_t iterations = 0;
    int64_t batchSize = 0;
    double lr = 0.0;
    double emaDecay = 0.0;
    double loss = std::nan("");
    double accuracy = std::nan("");
    double seconds = 0.0; // training wall time so far
    uint64_t seed = 0;
};

struct NamedModule
{
    std::string name;
    torch::nn::Module* module;
};

// One file: meta.* values, then each module's parameters and buffers, then (optionally) the optimizer state.
// Written to a temporary file and renamed, so an interrupted write never leaves a half checkpoint.
void saveCheckpoint(const std::string& path, const CheckpointMeta& meta, const std::vector<NamedModule>& modules,
                    torch::optim::Optimizer* optimizer = nullptr);
bool isCheckpoint(const std::string& path);
// A resumed run never rewinds: throws (naming flag) when the checkpoint already holds more than `target` iterations.
// `perUnit` iterations make one unit of flag (an epoch for --epochs; 1 for --iterations).
void checkNoRewind(const CheckpointMeta& held, int64_t target, const std::string& path, const std::string& flag,
                   int64_t perUnit = 1);
// What a training stopped by Ctrl-C kept, for the message: the iterations finished since `start` saved in `path`, or
// nothing written when none finished.
Cancelled stoppedTraining(int64_t start, int64_t finished, const std::string& path);
// A resumed run keeps its checkpoint's network: a width asked for (`flag`, > 0) that differs is refused.
void checkSameWidth(const CheckpointMeta& held, int64_t asked, const std::string& path, const std::string& flag);
CheckpointMeta readCheckpointMeta(const std::string& path);
// Loads the named modules (and the optimizer when given and present); errors name the file.
void loadCheckpoint(const std::string& path, const std::vector<NamedModule>& modules,
                    torch::optim::Optimizer* optimizer = nullptr);

} // namespace dg
