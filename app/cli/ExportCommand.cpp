#include "ArgParser.h"
#include "Commands.h"

#include "dg/Error.h"
#include "dg/Models.h"
#include "dg/TorchScriptExport.h"
#include "dg/Training.h"

#include <filesystem>
#include <iostream>

namespace dg::cli {

int runExport(const std::vector<std::string>& argv)
{
    ArgParser a(
        "dg export",
        {textFlag("--torchscript", "OUT_DIR", "the output folder (required unless --raw-weights)"),
         textFlag("--raw-weights", "OUT.pt",
                  "instead: write a copy of the --denoiser checkpoint that samples with its raw (last-iterate) "
                  "weights rather than their EMA"),
         textFlag("--denoiser", "PATH|builtin:NAME", "the score model", {}, "builtin:fmnist"),
         textFlag("--discriminator", "PATH|builtin:NAME", "the discriminator (default with builtin:fmnist: its own)")},
        "Writes OUT_DIR/denoiser.pt and OUT_DIR/discriminator.pt as TorchScript files (forward(x, sigma), "
        "attributes sample_shape and description) that Python loads with torch.jit.load, so the same networks "
        "run in a PyTorch loop. Models are traced on the CPU; their weights become constants of the graph.\n\n"
        "With --raw-weights, writes a score checkpoint instead: after a learning-rate decay to 0 (train-score "
        "--lr-decay-from) the last iterate can beat the EMA, which still averages iterates of the high-rate phase.");
    if (!a.parse(argv)) return 0;
    const std::string raw = a.text("--raw-weights");
    if (!raw.empty()) {
        if (!a.text("--torchscript").empty() || !a.text("--discriminator").empty())
            throw UsageError("--raw-weights: writes one score checkpoint; drop --torchscript and --discriminator");
        const std::string in = a.text("--denoiser");
        if (in.rfind("builtin:", 0) == 0 || !std::filesystem::is_regular_file(in))
            throw UsageError(
                "--denoiser: --raw-weights needs a score checkpoint file written by dg train-score, got '" + in + "'");
        initRuntime();
        writeRawWeightsCheckpoint(in, raw);
        std::cout << "wrote " << raw << "  (" << in << ", raw weights)\n";
        return 0;
    }
    const std::string out = a.text("--torchscript");
    if (out.empty()) throw UsageError("--torchscript: required (the output folder)");
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec || !std::filesystem::is_directory(out)) throw Error("--torchscript: cannot create the folder '" + out + "'");
    initRuntime();
    const std::string denoiserSpec = a.text("--denoiser");
    const auto denoiser = loadDenoiser(denoiserSpec, Device::Cpu);
    const auto shape = modelInfo(*denoiser).sampleShape.value_or(std::vector<int64_t>{});
    const std::string d = (std::filesystem::path(out) / "denoiser.pt").string();
    exportDenoiserTorchScript(*denoiser, d);
    std::cout << "wrote " << d << "  (" << denoiserSpec << ")\n";
    std::string discSpec = a.text("--discriminator");
    if (discSpec.empty() && denoiserSpec == "builtin:fmnist") discSpec = "builtin:fmnist-disc";
    if (!discSpec.empty()) {
        const auto disc = loadDiscriminator(discSpec, Device::Cpu, shape);
        const std::string p = (std::filesystem::path(out) / "discriminator.pt").string();
        exportDiscriminatorTorchScript(*disc, shape, p);
        std::cout << "wrote " << p << "  (" << discSpec << ")\n";
    }
    return 0;
}

} // namespace dg::cli
