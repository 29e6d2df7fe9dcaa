#include "ArgParser.h"
#include "Commands.h"

#include "dg/Error.h"
#include "dg/Models.h"
#include "dg/TorchScriptExport.h"

#include <filesystem>
#include <iostream>

namespace dg::cli {

int runExport(const std::vector<std::string>& argv)
{
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::cout << "Usage: dg export --torchscript OUT_DIR [--denoiser PATH|builtin:NAME] [--discriminator PATH|builtin:NAME]\n\n"
                     "Writes OUT_DIR/denoiser.pt and OUT_DIR/discriminator.pt as TorchScript files (DESIGN.md section 2:\n"
                     "forward(x, sigma), attributes sample_shape and description) that Python loads with torch.jit.load,\n"
                     "so the same networks run in a PyTorch loop. Defaults: the shipped builtin:fmnist pair. Models are\n"
                     "traced on the CPU; their weights become constants of the graph.\n";
        return 0;
    }
    ArgParser a("export", {{"--torchscript"}, {"--denoiser"}, {"--discriminator"}});
    a.parse(argv);
    const std::string out = a.text("--torchscript");
    if (out.empty()) throw UsageError("--torchscript: required (the output folder)");
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec || !std::filesystem::is_directory(out)) throw Error("--torchscript: cannot create the folder '" + out + "'");
    initRuntime();
    const std::string denoiserSpec = a.text("--denoiser", "builtin:fmnist");
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
