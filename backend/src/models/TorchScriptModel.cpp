#include "models/TorchScriptModel.h"

#include "core/TorchSaveCheck.h"
#include "dg/Error.h"

#include <cmath>
#include <filesystem>
#include <fstream>

namespace dg {
namespace {

std::string firstLine(const std::string& text)
{
    const auto end = text.find('\n');
    return end == std::string::npos ? text : text.substr(0, end);
}

// The model's own message: TorchScript wraps a Python `raise` in an interpreter traceback whose last
// "...Error: message" line is what the model's author wrote; LibTorch's own errors carry a C++ backtrace.
std::string modelMessage(const std::exception& e)
{
    const auto* c10 = dynamic_cast<const c10::Error*>(&e);
    const std::string text = c10 ? c10->what_without_backtrace() : e.what();
    std::string found;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(start, end - start);
        while (!line.empty() && line.front() == ' ')
            line.erase(0, 1);
        const auto colon = line.find("Error: ");
        if (colon != std::string::npos && colon > 0 && line.find(' ') > colon) found = line;
        start = end + 1;
    }
    std::string msg = found.empty() ? firstLine(text) : found;
    if (msg.size() > 300) msg = msg.substr(0, 300) + " ...";
    return msg;
}

const char* roleName(ModelRole role)
{
    return role == ModelRole::Denoiser ? "denoiser" : "discriminator";
}

} // namespace

TorchScriptModule::TorchScriptModule(const std::string& path, ModelRole role, const at::Device& device,
                                     const std::optional<std::vector<int64_t>>& probeShape)
    : m_path(path)
{
    m_info.spec = path;
    m_info.role = role;
    const std::string what = std::string(roleName(role)) + " '" + path + "': ";
    if (const auto problem = archiveProblem(path); !problem.empty()) {
        if (problem.rfind("not a zip", 0) == 0)
            throw Error(what + "not a TorchScript archive (expected a file written by torch.jit.save)");
        throw Error(what + problem);
    }
    try {
        m_module = torch::jit::load(path, device);
    } catch (const std::exception& e) {
        throw Error(what + "not a TorchScript archive, or a damaged one (" + modelMessage(e) + ")");
    }
    m_module.eval();
    // dg never trains a loaded file: with parameters that still require grad (what torch.jit.save keeps), the graph
    // executor builds differentiable subgraphs that save tensors for backward — which fails under inference mode.
    for (const auto& p : m_module.parameters())
        p.requires_grad_(false);

    const auto method = m_module.find_method("forward");
    if (!method) throw Error(what + "has no forward method");
    const auto& args = method->function().getSchema().arguments();
    std::string signature;
    for (size_t i = 1; i < args.size(); ++i)
        signature += (i > 1 ? ", " : "") + args[i].name();
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
        // One sample: 1 to 4 dimensions of 1 … 4096 each, at most 2^24 values.
        const auto& shape = *m_info.sampleShape;
        int64_t values = 1;
        bool ok = !shape.empty() && shape.size() <= 4;
        for (int64_t d : shape) {
            ok = ok && d >= 1 && d <= 4096;
            if (ok) values *= d;
        }
        if (!ok || values > (int64_t{1} << 24))
            throw Error(what + "sample_shape " + shapeToString(shape) +
                        " is not a usable sample shape (1 to 4 dimensions, each 1 ... 4096, at most 2^24 values)");
    }
    if (m_module.hasattr("num_classes")) { // optional: how many classes a class-conditional model knows (--class all)
        const auto n = m_module.attr("num_classes");
        if (!n.isInt() || n.toInt() < 1 || n.toInt() > 100000 || !m_info.classConditional)
            throw Error(what + "attribute num_classes must be an int of 1 ... 100000 on a model taking class_labels");
        m_info.numClasses = n.toInt();
    }
    // Optional: the noise levels the network supports (EDM's sigma_min / sigma_max; tools/import-edm.py writes them).
    for (const auto& [name, field] :
         {std::pair{"sigma_min", &m_info.sigmaMin}, std::pair{"sigma_max", &m_info.sigmaMax}}) {
        if (!m_module.hasattr(name)) continue;
        const auto v = m_module.attr(name);
        if (!v.isDouble() || std::isnan(v.toDouble()) || v.toDouble() < 0)
            throw Error(what + "attribute " + name + " must be a float >= 0 (a noise level)");
        *field = v.toDouble();
    }
    if (!(m_info.sigmaMin < m_info.sigmaMax))
        throw Error(what +
                    "attributes sigma_min and sigma_max do not make a noise range (sigma_min must be below sigma_max)");
    if (m_module.hasattr("description") && m_module.attr("description").isString())
        m_info.description = m_module.attr("description").toStringRef();
    if (m_info.description.empty()) m_info.description = std::string("TorchScript ") + roleName(role);

    const auto shape = probeShape ? probeShape : m_info.sampleShape;
    if (!shape) throw Error(what + "declares no sample_shape attribute; give the shape with a ‹noise› file");
    if (probeShape && m_info.sampleShape && *m_info.sampleShape != *probeShape)
        throw ShapeError(what + "expects samples of shape " + shapeToString(*m_info.sampleShape) + ", got " +
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
        throw ShapeError(what + "forward failed on a probe input of shape " + shapeToString(probeDims) + ": " +
                         modelMessage(e));
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
            throw ShapeError(what + "forward returned shape " + shapeToString(y.sizes().vec()) + " for input " +
                             shapeToString(x.sizes().vec()) + "; a denoiser must return a tensor shaped like x");
    } else {
        const bool ok =
            (y.dim() == 1 && y.size(0) == x.size(0)) || (y.dim() == 2 && y.size(0) == x.size(0) && y.size(1) == 1);
        if (!ok)
            throw ShapeError(what + "forward returned shape " + shapeToString(y.sizes().vec()) + " for a batch of " +
                             std::to_string(x.size(0)) + "; a discriminator must return logits of shape [N]");
        y = y.reshape({x.size(0)});
    }
    if (!y.is_floating_point()) throw Error(what + "forward returned a non-floating-point tensor");
    return y.scalar_type() == at::kFloat ? y : y.to(at::kFloat);
}

at::Tensor TorchScriptModule::call(const at::Tensor& x, const at::Tensor& sigma,
                                   const std::optional<at::Tensor>& classLabels) const
{
    // Copies: a network that writes into its input (x.mul_(0)) must not change the sampler's state.
    std::vector<c10::IValue> inputs{x.clone(), sigma.clone()};
    if (m_info.classConditional) {
        if (!classLabels)
            throw Error(std::string(roleName(m_info.role)) + " '" + m_path +
                        "' is class-conditional: give a class label (‹class› K)");
        inputs.emplace_back(classLabels->clone());
    }
    c10::IValue out;
    try {
        out = m_module.forward(inputs);
    } catch (const std::exception& e) {
        throw Error(std::string(roleName(m_info.role)) + " '" + m_path + "': forward failed on input of shape " +
                    shapeToString(x.sizes().vec()) + ": " + modelMessage(e));
    }
    return checkedOutput(out, x);
}

} // namespace dg
