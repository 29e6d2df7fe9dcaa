#include "dg/Error.h"
#include "dg/HostTensor.h"
#include "dg/Models.h"
#include "models/Denoiser.h"
#include "models/TorchScriptModel.h"
#include "models/ToyModels.h"
#include "runtime/TorchDevice.h"

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
            const std::string disc = "optimal discriminator for " + toy.name + "-model: log p_data,sigma - log p_model,sigma";
            list.push_back({{toy.name, ModelRole::Denoiser, exact},
                            [&toy, exact](const at::Device& d) {
                                return std::make_shared<MixtureDenoiser>(
                                    toy.data.to(d), toyInfo(toy.name, toy.name, ModelRole::Denoiser, exact));
                            },
                            nullptr});
            list.push_back({{toy.name + "-model", ModelRole::Denoiser, model},
                            [&toy, model](const at::Device& d) {
                                return std::make_shared<MixtureDenoiser>(
                                    toy.model.to(d), toyInfo(toy.name, toy.name + "-model", ModelRole::Denoiser, model));
                            },
                            nullptr});
            list.push_back({{toy.name + "-disc", ModelRole::Discriminator, disc}, nullptr,
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

const BuiltinFactory& findBuiltin(const std::string& spec, const char* flag)
{
    const std::string name = spec.substr(kBuiltinPrefix.size());
    for (const auto& f : builtinFactories())
        if (f.entry.name == name) return f;
    throw Error(std::string(flag) + ": unknown built-in model '" + spec + "' (see `dg models`)");
}

bool isBuiltinSpec(const std::string& spec) { return spec.rfind(kBuiltinPrefix, 0) == 0; }

} // namespace

std::vector<BuiltinModel> builtinModels()
{
    std::vector<BuiltinModel> list;
    for (const auto& f : builtinFactories()) list.push_back(f.entry);
    return list;
}

DenoiserPtr loadDenoiser(const std::string& spec, Device device, const std::optional<std::vector<int64_t>>& probeShape)
{
    if (spec.empty()) throw Error("--denoiser: no model given (a TorchScript file or builtin:NAME)");
    const auto torchDevice = toTorchDevice(device);
    if (!isBuiltinSpec(spec)) return std::make_shared<TorchScriptDenoiser>(spec, torchDevice, probeShape);
    const auto& f = findBuiltin(spec, "--denoiser");
    if (!f.denoiser) throw Error("--denoiser: " + spec + " is a discriminator, not a denoiser");
    auto model = f.denoiser(torchDevice);
    const auto shape = model->info().sampleShape;
    if (probeShape && shape && *probeShape != *shape)
        throw Error("--denoiser: " + spec + " works on samples of shape " + shapeToString(*shape) + ", got " +
                    shapeToString(*probeShape));
    return model;
}

DiscriminatorPtr loadDiscriminator(const std::string& spec, Device device, const std::vector<int64_t>& sampleShape)
{
    if (spec.empty()) throw Error("--discriminator: no model given (a TorchScript file or builtin:NAME)");
    const auto torchDevice = toTorchDevice(device);
    if (!isBuiltinSpec(spec)) return std::make_shared<TorchScriptDiscriminator>(spec, torchDevice, sampleShape);
    const auto& f = findBuiltin(spec, "--discriminator");
    if (!f.discriminator) throw Error("--discriminator: " + spec + " is a denoiser, not a discriminator");
    auto model = f.discriminator(torchDevice);
    const auto shape = model->info().sampleShape;
    if (shape && *shape != sampleShape)
        throw Error("--discriminator: " + spec + " works on samples of shape " + shapeToString(*shape) +
                    ", the denoiser's are " + shapeToString(sampleShape));
    return model;
}

ModelInfo modelInfo(const Denoiser& model) { return model.info(); }
ModelInfo modelInfo(const Discriminator& model) { return model.info(); }

} // namespace dg
