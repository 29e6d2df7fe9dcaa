#include "ArgParser.h"
#include "Commands.h"
#include "Interrupt.h"

#include "dg/Device.h"
#include "dg/Error.h"
#include "dg/Models.h"
#include "dg/Version.h"

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace {

const char* const kHelp = R"(dg - Discriminator Guidance for score-based diffusion models, from the command line

Usage: dg <command> [flags]      (dg <command> --help for its flags)

Commands:
  sample            sample with the EDM sampler, with or without Discriminator Guidance; write tensors and a PNG grid
  demo              guided vs unguided on a built-in 2-D toy, written as one comparison PNG
  models            list the built-in models
  train-score       train an EDM score network (Fashion-MNIST U-Net or toy MLP)
  train-classifier  train the noise-aware Fashion-MNIST classifier (the discriminator's feature extractor)
  train-judge       train the independent Fashion-MNIST judge (the feature space of FD, precision, recall)
  gen-fakes         cache unguided samples of a score model for discriminator training
  train-disc        train a discriminator (real vs generated at noise level sigma)
  eval              FD, precision and recall in the judge's space (images) or SW2 and NLL (toys) of samples
  eval-disc         where the discriminator can guide: its accuracy and mean logit per noise level sigma
  sweep             the same seeds at several guidance weights, with the metrics as a table
  tune              a sweep with paired bootstrap bands on the change in FD, a CSV, and "best w = X" for scripts
  export            write models as TorchScript files for Python (torch.jit.load)

  dg --version, dg --help

Discriminator Guidance (Kim et al., ICML 2023) corrects a pre-trained denoiser with a discriminator's
log density-ratio gradient: D_DG(x; sigma) = D(x; sigma) + w * sigma^2 * grad_x log(d / (1 - d)).
)";


} // namespace

int dg::cli::runModels(const std::vector<std::string>& args)
{
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
        std::cout << "Usage: dg models\n\nLists the built-in models (use them as builtin:NAME).\n";
        return 0;
    }
    if (!args.empty()) throw UsageError("unexpected argument '" + args[0] + "' for 'dg models'");
    std::printf("%-26s %-14s %s\n", "NAME", "ROLE", "DESCRIPTION");
    for (const auto& m : builtinModels())
        std::printf("%-26s %-14s %s\n", ("builtin:" + m.name).c_str(),
                    m.role == ModelRole::Denoiser ? "denoiser" : "discriminator", m.description.c_str());
    return 0;
}

int main(int argc, char** argv)
{
    const std::vector<std::string> all(argv + 1, argv + argc);
    if (all.empty() || all[0] == "--help" || all[0] == "-h" || all[0] == "help") {
        std::cout << kHelp;
        return all.empty() ? 2 : 0;
    }
    if (all[0] == "--version") {
        std::cout << "dg " << dg::versionString() << " (LibTorch " << dg::torchVersionString() << ", CUDA "
                  << (dg::cudaAvailable() ? "available" : "not available") << ")\n";
        return 0;
    }
    const std::string command = all[0];
    const std::vector<std::string> rest(all.begin() + 1, all.end());
    dg::cli::installInterruptHandler();
    try {
        if (command == "sample") return dg::cli::runSample(rest);
        if (command == "demo") return dg::cli::runDemo(rest);
        if (command == "models") return dg::cli::runModels(rest);
        if (command == "train-score") return dg::cli::runTrainScore(rest);
        if (command == "train-classifier") return dg::cli::runTrainClassifier(rest);
        if (command == "train-judge") return dg::cli::runTrainJudge(rest);
        if (command == "train-disc") return dg::cli::runTrainDisc(rest);
        if (command == "gen-fakes") return dg::cli::runGenFakes(rest);
        if (command == "eval") return dg::cli::runEval(rest);
        if (command == "eval-disc") return dg::cli::runEvalDisc(rest);
        if (command == "sweep") return dg::cli::runSweep(rest);
        if (command == "tune") return dg::cli::runTune(rest);
        if (command == "export") return dg::cli::runExport(rest);
        throw dg::cli::UsageError("unknown command '" + command + "' (see dg --help)");
    } catch (const dg::Cancelled&) {
        const bool training = command.rfind("train-", 0) == 0;
        std::cerr << "dg " << command << ": interrupted; "
                  << (training ? "the finished iterations are saved in the checkpoint (run again to resume)"
                               : "nothing was written")
                  << "\n";
        return 130;
    } catch (const dg::cli::UsageError& e) {
        std::cerr << "dg " << command << ": error: " << e.what() << "\n";
        return 2;
    } catch (const dg::Error& e) {
        std::cerr << "dg " << command << ": error: " << e.what() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "dg " << command << ": internal error: " << dg::errorMessage(e) << "\n";
        return 1;
    }
}
