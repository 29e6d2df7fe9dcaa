#include "dg/TorchScriptExport.h"

#include "dg/Error.h"
#include "dg/SafeFile.h"
#include "models/Denoiser.h"

#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/passes/fuse_linear.h>
#include <torch/script.h>

#include <filesystem>
#include <sstream>

namespace dg {
namespace {

using Fn = std::function<at::Tensor(const at::Tensor&, const at::Tensor&)>;

// Traces fn(x, sigma) into the forward method of a new module (self, x, sigma) and saves it atomically.
void traceAndSave(const Fn& fn, const std::vector<int64_t>& sampleShape, const std::string& description,
                  const std::string& typeName, const std::string& path)
{
    if (path.empty()) throw Error("‹torchscript›: no output file given");
    std::vector<int64_t> shape{3}; // a batch size no layer width shares, so no size can be mistaken for another
    shape.insert(shape.end(), sampleShape.begin(), sampleShape.end());
    auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
    const at::Tensor x = at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat));
    const at::Tensor sigma = at::tensor({0.5f, 3.0f, 20.0f});
    auto traced = torch::jit::tracer::trace(
        {x, sigma},
        [&](torch::jit::Stack in) -> torch::jit::Stack { return {fn(in.at(0).toTensor(), in.at(1).toTensor())}; },
        [](const at::Tensor&) { return std::string(); }, /*strict=*/false);
    auto graph = traced.first->graph;
    // The C++ tracer records nn::Linear as t + addmm; LibTorch 1.13's optimiser (DecomposeOps, then shape propagation)
    // rejects that pattern with weights as constants ("failed shape propagation"), so fold it back into aten::linear.
    torch::jit::FuseLinear(graph);

    torch::jit::Module module(typeName);
    graph->insertInput(0, "self")->setType(module._ivalue()->type());
    graph->inputs().at(1)->setDebugName("x");
    graph->inputs().at(2)->setDebugName("sigma");
    auto* forward = module._ivalue()->compilation_unit()->create_function(
        c10::QualifiedName(*module.type()->name(), "forward"), graph);
    module.type()->addMethod(forward);
    module.register_attribute("sample_shape", c10::ListType::ofInts(), c10::IValue(sampleShape));
    module.register_attribute("description", c10::StringType::get(), c10::IValue(description));

    // Serialized in memory (LibTorch's file writer aborts the process on a full disk), checked, then written by the
    // one safe writer.
    std::ostringstream buffer;
    try {
        module.save(buffer);
    } catch (const std::exception& e) {
        throw Error("'" + path + "': cannot serialize the model (" + errorMessage(e) + ")");
    }
    const std::string bytes = buffer.str();
    // Load it back and check it reproduces the model at other batch sizes (twice: the profiling executor
    // optimises on the second call) before it replaces anything.
    std::string problem;
    try {
        std::istringstream in(bytes);
        auto loaded = torch::jit::load(in);
        for (int64_t n : {1, 5, 5}) {
            std::vector<int64_t> s{n};
            s.insert(s.end(), sampleShape.begin(), sampleShape.end());
            const at::Tensor xs = at::randn(s, gen, at::TensorOptions().dtype(at::kFloat));
            const at::Tensor ss = at::full({n}, 1.5f);
            const at::Tensor expected = fn(xs, ss);
            const at::Tensor got = loaded.forward({xs, ss}).toTensor();
            if (!got.sizes().equals(expected.sizes()) || !at::allclose(got, expected, 1e-4, 1e-5))
                problem = "the written file does not reproduce the model at batch " + std::to_string(n);
        }
    } catch (const std::exception& e) {
        problem = "the written file fails when run (" + errorMessage(e).substr(0, 160) + ")";
    }
    if (!problem.empty()) throw Error("'" + path + "': " + problem);
    writeFileAtomically(path, std::vector<char>(bytes.begin(), bytes.end()));
}

std::vector<int64_t> shapeOf(const ModelInfo& info)
{
    if (!info.sampleShape) throw Error("'" + info.spec + "' declares no sample shape");
    return *info.sampleShape;
}

} // namespace

void exportDenoiserTorchScript(const Denoiser& model, const std::string& path)
{
    const auto info = model.info();
    if (info.classConditional)
        throw Error("'" + info.spec + "' is class-conditional; only unconditional models export");
    c10::NoGradGuard noGrad;
    traceAndSave([&](const at::Tensor& x, const at::Tensor& s) { return model.denoise(x, s, std::nullopt); },
                 shapeOf(info), info.description + " (exported by dg from " + info.spec + ")", "DgDenoiser", path);
}

void exportDiscriminatorTorchScript(const Discriminator& model, const std::vector<int64_t>& sampleShape,
                                    const std::string& path)
{
    const auto info = model.info();
    if (info.classConditional)
        throw Error("'" + info.spec + "' is class-conditional; only unconditional models export");
    c10::NoGradGuard noGrad; // weights become constants; the graph stays differentiable in x
    traceAndSave([&](const at::Tensor& x, const at::Tensor& s) { return model.logit(x, s, std::nullopt); },
                 info.sampleShape.value_or(sampleShape), info.description + " (exported by dg from " + info.spec + ")",
                 "DgDiscriminator", path);
}

} // namespace dg
