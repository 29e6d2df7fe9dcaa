#include "ArgParser.h"
#include "Commands.h"
#include "Format.h"
#include "Interrupt.h"
#include "OutputPaths.h"

#include "dg/Training.h"

#include <cstdio>
#include <cmath>
#include <iostream>

namespace dg::cli {
namespace {

std::string formatDuration(double seconds)
{
    const long s = static_cast<long>(seconds + 0.5);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else
        std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
    return buf;
}

void printProgress(const TrainingProgress& p)
{
    std::fprintf(stderr, "  it %6lld/%lld  loss %.4f", static_cast<long long>(p.iteration),
                 static_cast<long long>(p.total), p.loss);
    if (std::isfinite(p.accuracy)) std::fprintf(stderr, "  held-out acc %.3f", p.accuracy);
    std::fprintf(stderr, "  %.2f it/s  ETA %s%s%s\n", p.itPerSecond, formatDuration(p.etaSeconds).c_str(),
                 p.checkpointed ? "  [checkpoint]" : "", p.note.empty() ? "" : ("  " + p.note).c_str());
}

std::vector<FlagSpec> commonFlags()
{
    return {{"--checkpoint"}, {"--iterations"}, {"--batch"},         {"--lr"},    {"--checkpoint-every"},
            {"--seed"},       {"--device"},     {"--no-resume", false}};
}

TrainingCommon commonFrom(const ArgParser& a, int64_t iterations, double lr)
{
    TrainingCommon c;
    c.checkpoint = a.text("--checkpoint");
    if (c.checkpoint.empty()) throw UsageError("--checkpoint: required (the file to write, and to resume from)");
    checkOutputPath(c.checkpoint, "--checkpoint");
    c.iterations = a.integer("--iterations", iterations);
    c.batchSize = a.integer("--batch", 64);
    c.lr = a.number("--lr", lr);
    c.checkpointEvery = a.integer("--checkpoint-every", 500);
    c.seed = a.unsignedInteger("--seed", 0);
    try {
        c.device = parseDevice(a.text("--device", "auto"));
    } catch (const Error& e) {
        throw UsageError(e.what());
    }
    c.resume = !a.has("--no-resume");
    if (c.iterations < 1) throw UsageError("--iterations: must be at least 1");
    if (c.batchSize < 2) throw UsageError("--batch: must be at least 2");
    if (!(c.lr > 0) || !std::isfinite(c.lr)) throw UsageError("--lr: must be a positive number");
    if (c.checkpointEvery < 1) throw UsageError("--checkpoint-every: must be at least 1");
    return c;
}

const char* const kCommonHelp = R"(  --checkpoint FILE                written atomically every --checkpoint-every iterations (default 500) and at the
                                   end; an existing FILE is resumed from (unless --no-resume)
  --iterations N --batch B --lr X --seed S --device auto|cpu|cuda
Ctrl-C saves a checkpoint of the finished iterations and exits; run the same command again to resume.
)";

int finish(const TrainingSummary& s)
{
    if (s.unchanged) {
        std::printf("nothing to do: %s already holds %lld iterations (loss %.4f); the file is unchanged\n",
                    s.checkpoint.c_str(), static_cast<long long>(s.iterations), s.loss);
        return 0;
    }
    std::printf("done: %lld iterations, loss %.4f", static_cast<long long>(s.iterations), s.loss);
    if (std::isfinite(s.accuracy)) std::printf(", held-out accuracy %.4f", s.accuracy);
    std::printf(", %lld parameters, %.1f s of training; wrote %s\n", static_cast<long long>(s.parameters), s.seconds,
                s.checkpoint.c_str());
    return 0;
}

} // namespace

int runTrainScore(const std::vector<std::string>& argv)
{
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::cout << "Usage: dg train-score --data fmnist|toy:NAME --checkpoint FILE [--iterations 6000] [--batch 64]\n"
                     "                      [--lr 1e-3] [--channels 32] [--class-conditional] [--ema 0.999]\n\n"
                     "Trains an EDM score network (Karras et al. 2022): a U-Net on Fashion-MNIST or an MLP on a 2-D toy,\n"
                     "EDM preconditioning and loss (ln sigma ~ N(-1.2, 1.2^2)), Adam, EMA weights.\n\n"
                  << kCommonHelp;
        return 0;
    }
    auto flags = commonFlags();
    for (const char* f : {"--data", "--channels", "--ema"}) flags.push_back({f});
    flags.push_back({"--class-conditional", false});
    ArgParser a("train-score", flags);
    a.parse(argv);
    ScoreTrainingOptions o;
    o.dataset = a.text("--data", "fmnist");
    o.common = commonFrom(a, 6000, 1e-3);
    o.channels = a.integer("--channels", o.dataset == "fmnist" ? 32 : 128);
    o.classConditional = a.has("--class-conditional");
    o.emaDecay = a.number("--ema", 0.999);
    if (o.channels < 8 || o.channels > 512) throw UsageError("--channels: must be between 8 and 512");
    if (!(o.emaDecay >= 0 && o.emaDecay < 1)) throw UsageError("--ema: must be in [0, 1)");
    if (o.dataset != "fmnist" && o.dataset != "toy:ring8" && o.dataset != "toy:moons")
        throw UsageError("--data: expected fmnist, toy:ring8 or toy:moons, got '" + o.dataset + "'");
    std::cerr << "dg train-score: " << o.dataset << " -> " << o.common.checkpoint << "\n";
    return finish(trainScoreModel(o, printProgress, &interruptToken()));
}

} // namespace dg::cli

namespace dg::cli {

int runTrainClassifier(const std::vector<std::string>& argv)
{
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::cout << "Usage: dg train-classifier --checkpoint FILE [--iterations 2000] [--batch 128] [--lr 1e-3]\n"
                     "                           [--channels 32] [--sigma-min 0.001] [--sigma-max 150]\n\n"
                     "Trains the noise-aware Fashion-MNIST classifier (ln sigma uniform on [ln sigma-min, ln sigma-max],\n"
                     "by default the discriminator's range) whose encoder becomes the discriminator's frozen feature\n"
                     "extractor. Its features also give the second, classifier-space FD column of dg eval (the judge's\n"
                     "space is the primary one: dg train-judge).\n\n"
                  << kCommonHelp;
        return 0;
    }
    auto flags = commonFlags();
    for (const char* f : {"--channels", "--sigma-min", "--sigma-max"}) flags.push_back({f});
    ArgParser a("train-classifier", flags);
    a.parse(argv);
    ClassifierTrainingOptions o;
    o.common = commonFrom(a, 2000, 1e-3);
    if (!a.has("--batch")) o.common.batchSize = 128;
    o.channels = a.integer("--channels", 32);
    o.sigmaMin = a.number("--sigma-min", o.sigmaMin);
    o.sigmaMax = a.number("--sigma-max", o.sigmaMax);
    if (o.channels < 8 || o.channels > 512) throw UsageError("--channels: must be between 8 and 512");
    if (!(o.sigmaMin > 0) || !std::isfinite(o.sigmaMin)) throw UsageError("--sigma-min: must be a positive number");
    if (!(o.sigmaMax > o.sigmaMin) || !std::isfinite(o.sigmaMax))
        throw UsageError("--sigma-max: must be a finite number above --sigma-min");
    std::cerr << "dg train-classifier: fmnist -> " << o.common.checkpoint << "\n";
    return finish(trainClassifier(o, printProgress, &interruptToken()));
}

int runTrainJudge(const std::vector<std::string>& argv)
{
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::cout << "Usage: dg train-judge --checkpoint FILE [--iterations 3000] [--batch 128] [--lr 1e-3]\n"
                     "                      [--channels 32]\n\n"
                     "Trains the independent Fashion-MNIST judge: a plain CNN classifier on clean images (another\n"
                     "architecture than the noise-aware classifier, no noise input), used by no discriminator. dg eval and\n"
                     "dg sweep measure FD, precision and recall in its pooled features.\n\n"
                  << kCommonHelp;
        return 0;
    }
    auto flags = commonFlags();
    flags.push_back({"--channels"});
    ArgParser a("train-judge", flags);
    a.parse(argv);
    JudgeTrainingOptions o;
    o.common = commonFrom(a, 3000, 1e-3);
    if (!a.has("--batch")) o.common.batchSize = 128;
    o.channels = a.integer("--channels", 32);
    if (o.channels < 8 || o.channels > 512) throw UsageError("--channels: must be between 8 and 512");
    std::cerr << "dg train-judge: fmnist -> " << o.common.checkpoint << "\n";
    return finish(trainJudge(o, printProgress, &interruptToken()));
}

int runTrainDisc(const std::vector<std::string>& argv)
{
    if (!argv.empty() && (argv[0] == "--help" || argv[0] == "-h")) {
        std::cout << "Usage: dg train-disc --data fmnist|toy:NAME --fakes FAKES.pt [--features CLASSIFIER.pt]\n"
                     "                     --checkpoint FILE [--epochs 10] [--batch 128] [--lr 3e-4] [--hidden 128]\n"
                     "                     [--class-conditional [--fake-labels FAKES.labels.pt]]\n\n"
                     "Trains a discriminator between real data and the model's samples (Kim et al. 2023): each diffused\n"
                     "as x + sigma*eps with ln sigma uniform on [ln 0.001, ln 150], BCE with logits, Adam. Images: a\n"
                     "small head on the frozen classifier encoder; toys: an MLP. As many reals as fakes; 10% of each held\n"
                     "out. A checkpoint and the held-out accuracy every epoch.\n"
                     "--class-conditional trains d(x, sigma, y) on Fashion-MNIST: reals with their labels, fakes with the\n"
                     "labels dg gen-fakes drew them with (it writes FAKES.labels.pt for a class-conditional denoiser).\n\n"
                  << kCommonHelp;
        return 0;
    }
    auto flags = commonFlags();
    for (const char* f : {"--data", "--fakes", "--features", "--epochs", "--hidden", "--fake-labels"}) flags.push_back({f});
    flags.push_back({"--class-conditional", false});
    ArgParser a("train-disc", flags);
    a.parse(argv);
    DiscriminatorTrainingOptions o;
    o.common = commonFrom(a, 1, 3e-4);
    if (!a.has("--batch")) o.common.batchSize = 128;
    o.dataset = a.text("--data", "fmnist");
    o.fakes = a.text("--fakes");
    if (o.fakes.empty()) throw UsageError("--fakes: required (a tensor file from dg gen-fakes)");
    o.features = a.text("--features");
    o.epochs = a.integer("--epochs", 10);
    o.hidden = a.integer("--hidden", 128);
    o.classConditional = a.has("--class-conditional");
    o.fakeLabels = a.text("--fake-labels");
    if (!o.fakeLabels.empty() && !o.classConditional) throw UsageError("--fake-labels: only with --class-conditional");
    if (o.epochs < 1 || o.epochs > 100000) throw UsageError("--epochs: must be between 1 and 100000");
    if (o.hidden < 1 || o.hidden > 4096) throw UsageError("--hidden: must be between 1 and 4096");
    if (o.dataset != "fmnist" && o.dataset != "toy:ring8" && o.dataset != "toy:moons")
        throw UsageError("--data: expected fmnist, toy:ring8 or toy:moons, got '" + o.dataset + "'");
    std::cerr << "dg train-disc: " << o.dataset << " real vs " << o.fakes << " -> " << o.common.checkpoint << "\n";
    return finish(trainDiscriminator(o, printProgress, &interruptToken()));
}

} // namespace dg::cli
