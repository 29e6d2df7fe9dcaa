#pragma once

#include "dg/Device.h"

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dg {

// Defined in the backend (they hold LibTorch modules); front ends only pass pointers around.
class Denoiser;
class Discriminator;
using DenoiserPtr = std::shared_ptr<const Denoiser>;
using DiscriminatorPtr = std::shared_ptr<const Discriminator>;

enum class ModelRole
{
    Denoiser,
    Discriminator,
};

struct ModelInfo
{
    std::string spec; // builtin:NAME or a file path
    ModelRole role = ModelRole::Denoiser;
    std::string description;
    std::optional<std::vector<int64_t>> sampleShape; // per-sample shape, when the model declares it
    bool classConditional = false;
    int64_t numClasses = 0; // of a class-conditional model, when it declares it
    std::string dataset;    // e.g. the built-in toy it belongs to ("ring8"); empty when unknown
    // The noise levels a denoiser supports (an imported EDM network's sigma_min / sigma_max): the schedule is clamped
    // to them as EDM's sampler does (fitSchedule in dg/Schedule.h).
    double sigmaMin = 0.0;
    double sigmaMax = std::numeric_limits<double>::infinity();
};

// One entry of `dg models`.
struct BuiltinModel
{
    std::string name; // without the builtin: prefix
    ModelRole role;
    std::string description;
    std::string dataset; // what it models: a toy's name (ring8, moons), "toy:NAME" or "fmnist" for a shipped file
};

std::vector<BuiltinModel> builtinModels();
// The built-in discriminator that belongs to a built-in denoiser (builtin:ring8-model → builtin:ring8-disc,
// builtin:fmnist → builtin:fmnist-disc); empty when there is none.
std::string matchingDiscriminator(const std::string& denoiserSpec);
// What the front ends open first: the shipped Fashion-MNIST pair when installed, else the ring8 toy pair.
struct DefaultModels
{
    std::string denoiser, discriminator;
    bool images = false;
};
DefaultModels defaultModels();
// Which kind of model a denoiser is — 2-D points (a toy) or images — decided one way for every front end and command:
// its declared sample shape, else its data set. The spec form answers before loading (a front end choosing a pair's
// defaults): a built-in by its table entry's data set, a file by its probed info on the CPU; images when the file
// cannot be read (loading it reports why).
bool drawsPoints(const ModelInfo& info);
bool drawsPoints(const std::string& denoiserSpec);
// Shipped checkpoints: $DG_MODELS_DIR, else <prefix>/share/dg-studio/models next to the executable, else the source
// tree's resources/models.
std::string modelsFolder();
// The file a model spec reads: the path itself, a shipped built-in's checkpoint, or empty for an analytic built-in
// (a toy's exact model) and for an unknown built-in.
std::string modelFile(const std::string& spec, ModelRole role);

// spec is builtin:NAME, a checkpoint written by dg train-* or a TorchScript file (contract in docs/ARCHITECTURE.md §2).
// The file is probed once with one sample of probeShape (or the module's `sample_shape` attribute); every problem
// throws a one-line dg::Error naming the spec.
DenoiserPtr loadDenoiser(const std::string& spec, Device device,
                         const std::optional<std::vector<int64_t>>& probeShape = std::nullopt);
DiscriminatorPtr loadDiscriminator(const std::string& spec, Device device, const std::vector<int64_t>& sampleShape);

ModelInfo modelInfo(const Denoiser& model);
ModelInfo modelInfo(const Discriminator& model);

} // namespace dg
