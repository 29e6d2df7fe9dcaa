#include "models/TorchScriptModel.h"

#include "dg/Error.h"

#include <filesystem>
#include <fstream>

namespace dg {
namespace {

std::string firstLine(const std::string& text)
{
    const auto end = text.find('\n');
    return end == std::string::npos ? text : text.substr(0, end);
}

const char* roleName(ModelRole role) { return role == ModelRole::Denoiser ? "denoiser" : "discriminator"; }

} // namespace

TorchScriptModule::TorchScriptModule(const std::string& path, ModelRole role, const at::Device& device,
                                     const std::optional<std::vector<int64_t>>& probeShape)
    : m_path(path)
{
    m_info.spec = path;
    m_info.role = role;
    const std::string what = std::string(roleName(role)) + " '" + path + "': ";
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error(what + "no such file");
    if (std::filesystem::is_directory(path, ec)) throw Error(what + "is a directory, expected a TorchScript file");
    if (!std::ifstream(path, std::ios::binary)) throw Error(what + "cannot be opened for reading");

    try {
        m_module = torch::jit::load(path, device);
    } catch (const c10::Error&) {
        throw Error(what + "not a TorchScript archive (expected a file written by torch.jit.save)");
    } catch (const std::exception& e) {
        throw Error(what + "not a TorchScript archive (" + firstLine(e.what()) + ")");
    }
    m_module.eval();

    const auto method = m_module.find_method("forward");
    if (!method) throw Error(what + "has no forward method");
    const auto& args = method->function().getSchema().arguments();
    std::string signature;
    for (size_t i = 1; i < args.size(); ++i) signature += (i > 1 ? ", " : "") + args[i].name();
    const size_t userArgs = args.empty() ? 0 : args.size() - 1;
    bool tensorsOnly = true;
    for (size_t i = 1; i < args.size(); ++i)
        tensorsOnly = tensorsOnly && args[i].type()->kind() == c10::TypeKind::TensorType;
    if ((userArgs != 2 && userArgs != 3) || !tensorsOnly)
        throw Error(what + "wrong forward signature forward(" + signature +
                    "); expected forward(x: Tensor, sigma: Tensor[, class_labels: Tensor])");
    m_info.classConditional = userArgs == 3;

    if (m_module.hasattr("sample_shape")) {
        try {
            m_info.sampleShape = m_module.attr("sample_shape").toIntList().vec();
        } catch (const c10::Error&) {
            throw Error(what + "attribute sample_shape must be a List[int]");
        }
    }
    if (m_module.hasattr("description") && m_module.attr("description").isString())
        m_info.description = m_module.attr("description").toStringRef();
    if (m_info.description.empty()) m_info.description = std::string("TorchScript ") + roleName(role);

    const auto shape = probeShape ? probeShape : m_info.sampleShape;
    if (!shape)
        throw Error(what + "declares no sample_shape attribute; give the shape with a --noise file");
    if (probeShape && m_info.sampleShape && *m_info.sampleShape != *probeShape)
        throw Error(what + "expects samples of shape " + shapeToString(*m_info.sampleShape) + ", got " +
                    shapeToString(*probeShape));

    std::vector<int64_t> probeDims{1};
    probeDims.insert(probeDims.end(), shape->begin(), shape->end());
    const auto opts = at::TensorOptions().dtype(at::kFloat).device(device);
    const auto x = at::zeros(probeDims, opts);
    const auto sigma = at::ones({1}, opts);
    std::optional<at::Tensor> labels;
    if (m_info.classConditional) labels = at::zeros({1}, opts.dtype(at::kLong));
    try {
        call(x, sigma, labels);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(what + "forward failed on a probe input of shape " + shapeToString(probeDims) + ": " +
                    firstLine(e.what()));
    }
    m_info.sampleShape = shape;
}

at::Tensor TorchScriptModule::checkedOutput(const c10::IValue& out, const at::Tensor& x) const
{
    const std::string what = std::string(roleName(m_info.role)) + " '" + m_path + "': ";
    if (!out.isTensor()) throw Error(what + "forward returned " + out.tagKind() + ", expected a Tensor");
    auto y = out.toTensor();
    if (m_info.role == ModelRole::Denoiser) {
        if (y.sizes() != x.sizes())
            throw Error(what + "forward returned shape " + shapeToString(y.sizes().vec()) + " for input " +
                        shapeToString(x.sizes().vec()) + "; a denoiser must return a tensor shaped like x");
    } else {
        const bool ok = (y.dim() == 1 && y.size(0) == x.size(0)) ||
                        (y.dim() == 2 && y.size(0) == x.size(0) && y.size(1) == 1);
        if (!ok)
            throw Error(what + "forward returned shape " + shapeToString(y.sizes().vec()) + " for a batch of " +
                        std::to_string(x.size(0)) + "; a discriminator must return logits of shape [N]");
        y = y.reshape({x.size(0)});
    }
    if (!y.is_floating_point()) throw Error(what + "forward returned a non-floating-point tensor");
    return y.scalar_type() == at::kFloat ? y : y.to(at::kFloat);
}

at::Tensor TorchScriptModule::call(const at::Tensor& x, const at::Tensor& sigma,
                                   const std::optional<at::Tensor>& classLabels) const
{
    std::vector<c10::IValue> inputs{x, sigma};
    if (m_info.classConditional) {
        if (!classLabels)
            throw Error(std::string(roleName(m_info.role)) + " '" + m_path +
                        "' is class-conditional: give a class label (--class K)");
        inputs.emplace_back(*classLabels);
    }
    return checkedOutput(m_module.forward(inputs), x);
}

} // namespace dg
