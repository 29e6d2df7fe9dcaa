#include "core/TorchDevice.h"
#include "dg/Error.h"
#include "dg/HostTensor.h"
#include "dg/Models.h"
#include "dg/Toys.h"
#include "models/Checkpoint.h"
#include "models/Denoiser.h"
#include "models/LearnedModels.h"
#include "models/TorchScriptModel.h"
#include "models/ToyModels.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace dg {
namespace {

constexpr std::string_view kBuiltinPrefix = "builtin:";

struct BuiltinFactory
{
    BuiltinModel entry;
    std::function<DenoiserPtr(const at::Device&)> denoiser;
    std::function<DiscriminatorPtr(const at::Device&)> discriminator;
};

ModelInfo toyInfo(const std::string& dataset, const std::string& name, ModelRole role, const std::string& description)
{
    ModelInfo info;
    info.spec = std::string(kBuiltinPrefix) + name;
    info.role = role;
    info.description = description;
    info.sampleShape = std::vector<int64_t>{2};
    info.dataset = dataset;
    return info;
}

const std::vector<BuiltinFactory>& builtinFactories()
{
    static const std::vector<BuiltinFactory> factories = [] {
        std::vector<BuiltinFactory> list;
        for (const auto& toy : toyDefinitions()) {
            const std::string exact = "exact denoiser of the data: " + toy.description;
            const std::string model = "imperfect \"pre-trained\" " + toy.name +
                                      " denoiser (a different mixture: blurred, shifted, unbalanced)";
            const std::string disc =
                "optimal discriminator for " + toy.name + "-model: log p_data,sigma - log p_model,sigma";
            list.push_back({{toy.name, ModelRole::Denoiser, exact, toy.name},
                            [&toy, exact](const at::Device& d) {
                                return std::make_shared<MixtureDenoiser>(
                                    toy.data.to(d), toyInfo(toy.name, toy.name, ModelRole::Denoiser, exact));
                            },
                            nullptr});
            list.push_back({{toy.name + "-model", ModelRole::Denoiser, model, toy.name},
                            [&toy, model](const at::Device& d) {
                                return std::make_shared<MixtureDenoiser>(
                                    toy.model.to(d),
                                    toyInfo(toy.name, toy.name + "-model", ModelRole::Denoiser, model));
                            },
                            nullptr});
            list.push_back({{toy.name + "-disc", ModelRole::Discriminator, disc, toy.name},
                            nullptr,
                            [&toy, disc](const at::Device& d) {
                                return std::make_shared<MixtureRatioDiscriminator>(
                                    toy.data.to(d), toy.model.to(d),
                                    toyInfo(toy.name, toy.name + "-disc", ModelRole::Discriminator, disc));
                            }});
        }
        return list;
    }();
    return factories;
}

const BuiltinFactory* findBuiltin(const std::string& spec)
{
    const std::string name = spec.substr(kBuiltinPrefix.size());
    for (const auto& f : builtinFactories())
        if (f.entry.name == name) return &f;
    return nullptr;
}

// Shipped checkpoints: builtin:NAME → NAME-score.pt (denoiser) and NAME-disc.pt (discriminator) in the models folder.
std::string shippedFile(const std::string& spec, ModelRole role, const char* flag)
{
    std::string name = spec.substr(kBuiltinPrefix.size());
    if (role == ModelRole::Discriminator && name.size() > 5 && name.compare(name.size() - 5, 5, "-disc") == 0)
        name.resize(name.size() - 5);
    const std::string file = modelsFolder() + "/" + name + (role == ModelRole::Denoiser ? "-score.pt" : "-disc.pt");
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) return file;
    throw Error(std::string(flag) + ": unknown built-in model '" + spec + "' (see `dg models`)");
}

bool isBuiltinSpec(const std::string& spec)
{
    return spec.rfind(kBuiltinPrefix, 0) == 0;
}

} // namespace

std::string modelsFolder()
{
    if (const char* env = std::getenv("DG_MODELS_DIR"); env && *env) return env;
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const auto installed = exe.parent_path().parent_path() / "share/dg-studio/models";
        if (std::filesystem::is_directory(installed, ec)) return installed.string();
    }
    return DG_SOURCE_MODELS_DIR;
}

std::string modelFile(const std::string& spec, ModelRole role)
{
    if (!isBuiltinSpec(spec)) return spec;
    if (findBuiltin(spec)) return {};
    try {
        return shippedFile(spec, role, "");
    } catch (const Error&) {
        return {};
    }
}

std::vector<BuiltinModel> builtinModels()
{
    std::vector<BuiltinModel> list;
    for (const auto& f : builtinFactories())
        list.push_back(f.entry);
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(modelsFolder(), ec))
        files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& p : files) {
        const std::string file = p.filename().string();
        const bool score = file.ends_with("-score.pt"), disc = file.ends_with("-disc.pt");
        if (!score && !disc) continue;
        try {
            const auto meta = readCheckpointMeta(p.string());
            const std::string name = file.substr(0, file.size() - (score ? 9 : 8));
            std::ostringstream d;
            d << "trained " << (score ? "EDM score network" : "discriminator") << " for " << meta.dataset << " ("
              << meta.net.arch << ", " << meta.iterations << " it";
            if (std::isfinite(meta.accuracy)) d << ", held-out acc " << meta.accuracy;
            d << ")";
            list.push_back({score ? name : name + "-disc", score ? ModelRole::Denoiser : ModelRole::Discriminator,
                            d.str(), meta.dataset});
        } catch (const Error&) {
        }
    }
    return list;
}

DenoiserPtr loadDenoiser(const std::string& spec, Device device, const std::optional<std::vector<int64_t>>& probeShape)
{
    if (spec.empty()) throw Error("‹denoiser›: no model given (a TorchScript file or builtin:NAME)");
    const auto torchDevice = toTorchDevice(device);
    DenoiserPtr model;
    if (!isBuiltinSpec(spec)) {
        if (!isCheckpoint(spec)) return std::make_shared<TorchScriptDenoiser>(spec, torchDevice, probeShape);
        model = std::make_shared<ScoreNetDenoiser>(spec, torchDevice, spec);
    } else if (const auto* f = findBuiltin(spec)) {
        if (!f->denoiser) throw Error("‹denoiser›: " + spec + " is a discriminator, not a denoiser");
        model = f->denoiser(torchDevice);
    } else {
        model =
            std::make_shared<ScoreNetDenoiser>(shippedFile(spec, ModelRole::Denoiser, "‹denoiser›"), torchDevice, spec);
    }
    const auto shape = model->info().sampleShape;
    if (probeShape && shape && *probeShape != *shape)
        throw ShapeError("‹denoiser›: " + spec + " works on samples of shape " + shapeToString(*shape) + ", got " +
                         shapeToString(*probeShape));
    return model;
}

DiscriminatorPtr loadDiscriminator(const std::string& spec, Device device, const std::vector<int64_t>& sampleShape)
{
    if (spec.empty()) throw Error("‹discriminator›: no model given (a TorchScript file or builtin:NAME)");
    const auto torchDevice = toTorchDevice(device);
    DiscriminatorPtr model;
    if (!isBuiltinSpec(spec)) {
        if (!isCheckpoint(spec)) return std::make_shared<TorchScriptDiscriminator>(spec, torchDevice, sampleShape);
        model = std::make_shared<LearnedDiscriminator>(spec, torchDevice, spec);
    } else if (const auto* f = findBuiltin(spec)) {
        if (!f->discriminator) throw Error("‹discriminator›: " + spec + " is a denoiser, not a discriminator");
        model = f->discriminator(torchDevice);
    } else {
        model = std::make_shared<LearnedDiscriminator>(shippedFile(spec, ModelRole::Discriminator, "‹discriminator›"),
                                                       torchDevice, spec);
    }
    const auto shape = model->info().sampleShape;
    if (shape && *shape != sampleShape)
        throw ShapeError("‹discriminator›: " + spec + " works on samples of shape " + shapeToString(*shape) +
                         ", the denoiser's are " + shapeToString(sampleShape));
    return model;
}

ModelInfo modelInfo(const Denoiser& model)
{
    return model.info();
}
ModelInfo modelInfo(const Discriminator& model)
{
    return model.info();
}

std::string matchingDiscriminator(const std::string& denoiserSpec)
{
    if (denoiserSpec.rfind(kBuiltinPrefix, 0) != 0) return {};
    std::string base = denoiserSpec.substr(std::string(kBuiltinPrefix).size());
    if (base.size() > 6 && base.compare(base.size() - 6, 6, "-model") == 0) base.resize(base.size() - 6);
    for (const auto& m : builtinModels())
        if (m.role == ModelRole::Discriminator && (m.name == base + "-disc" || m.name == base))
            return std::string(kBuiltinPrefix) + m.name;
    return {};
}

bool drawsPoints(const ModelInfo& info)
{
    if (info.sampleShape) return *info.sampleShape == std::vector<int64_t>{2};
    return isToy(info.dataset.rfind("toy:", 0) == 0 ? info.dataset.substr(4) : info.dataset);
}

bool drawsPoints(const std::string& denoiserSpec)
{
    if (isBuiltinSpec(denoiserSpec)) {
        for (const auto& m : builtinModels())
            if (m.role == ModelRole::Denoiser && std::string(kBuiltinPrefix) + m.name == denoiserSpec) {
                ModelInfo info;
                info.dataset = m.dataset;
                return drawsPoints(info);
            }
        return false;
    }
    try {
        return drawsPoints(modelInfo(*loadDenoiser(denoiserSpec, Device::Cpu)));
    } catch (const std::exception&) {
        return false;
    }
}

DefaultModels defaultModels()
{
    for (const auto& m : builtinModels())
        if (m.name == "fmnist" && m.role == ModelRole::Denoiser)
            return {"builtin:fmnist", matchingDiscriminator("builtin:fmnist"), true};
    return {"builtin:ring8-model", "builtin:ring8-disc", false};
}

} // namespace dg
