#include "ArgParser.h"
#include "Commands.h"
#include "Interrupt.h"
#include "Job.h"

#include "dg/Device.h"
#include "dg/Error.h"
#include "dg/Models.h"
#include "dg/Version.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <set>
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
  launch            run a command as N cooperating processes on this machine (as torchrun does)

  sample, gen-fakes, eval, sweep, tune, train-score and train-disc run as one job of several processes when
  torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) or an srun step's are set (docs/SCALING.md).

  dg --version, dg --help

Discriminator Guidance (Kim et al., ICML 2023) corrects a pre-trained denoiser with a discriminator's
log density-ratio gradient: D_DG(x; sigma) = D(x; sigma) + w * sigma^2 * grad_x log(d / (1 - d)).
)";

// The commands that can run as a job of several processes (the others run once, alone).
const std::set<std::string> kSpread = {"sample", "gen-fakes", "eval", "sweep", "tune", "train-score", "train-disc"};

int g_errorFd = 2; // where errors go: stderr, kept aside on ranks other than 0 whose output is silenced

// Ranks other than 0 stay quiet (rank 0 prints the job's progress and results); their errors still show.
void silenceOutput()
{
    g_errorFd = dup(2);
    const int null = open("/dev/null", O_WRONLY);
    if (null < 0 || g_errorFd < 0) return;
    dup2(null, 1);
    dup2(null, 2);
    close(null);
    dg::cli::setErrorFd(g_errorFd);
}

// Prints the error line; in a job, tells the other ranks and ends without the process group's teardown.
int fail(const std::string& command, const std::string& kind, const std::string& backendMessage, int code)
{
    const std::string message = dg::cliFields(backendMessage);
    const auto& l = dg::cli::launch();
    const std::string who =
        "dg " + command +
        (l.distributed() ? " (rank " + std::to_string(l.rank) + " of " + std::to_string(l.worldSize) + ")"
                         : std::string());
    const std::string line = who + ": " + kind + message + "\n";
    std::fflush(stdout);
    if (write(g_errorFd, line.data(), line.size()) < 0) std::cerr << line;
    if (!dg::cli::inJob()) return code;
    dg::cli::reportJobFailure(code == 130 ? kind + message : message);
    std::fflush(stdout);
    std::_Exit(code);
}

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
        std::cout << "dg " << dg::codeVersion() << ", LibTorch " << dg::torchVersionString() << ", CUDA "
                  << (dg::cudaAvailable() ? "available" : "not available") << "\n";
        return 0;
    }
    const std::string command = all[0];
    const std::vector<std::string> rest(all.begin() + 1, all.end());
    try {
        const dg::LaunchInfo launch = dg::launchFromEnvironment();
        dg::cli::setLaunch(launch, all);
        if (launch.distributed() && command != "launch") {
            if (!kSpread.count(command))
                throw dg::cli::UsageError("runs as one process, but this one was started as rank " +
                                          std::to_string(launch.rank) + " of " + std::to_string(launch.worldSize) +
                                          " (" + launch.source + " are set); run it once, without torchrun or srun");
            if (launch.rank != 0) silenceOutput();
        }
    } catch (const dg::Error& e) {
        return fail(command, "error: ", e.what(), 2);
    }
    if (command == "launch") {
        try {
            return dg::cli::runLaunch(rest);
        } catch (const dg::Error& e) {
            return fail(command, "error: ", e.what(), dynamic_cast<const dg::cli::UsageError*>(&e) ? 2 : 1);
        }
    }
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
    } catch (const dg::Cancelled& e) {
        const bool training = command.rfind("train-", 0) == 0;
        return fail(command, "interrupted; ",
                    std::string(e.what()) != "cancelled" ? std::string(e.what())
                    : training                           ? "stopped before training began; nothing was written"
                                                         : "nothing was written",
                    130);
    } catch (const dg::cli::UsageError& e) {
        return fail(command, "error: ", e.what(), 2);
    } catch (const dg::Error& e) {
        return fail(command, "error: ", e.what(), 1);
    } catch (const std::exception& e) {
        return fail(command, "internal error: ", dg::errorMessage(e), 1);
    }
}
