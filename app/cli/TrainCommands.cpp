#include "ArgParser.h"
#include "Commands.h"
#include "Format.h"
#include "Interrupt.h"
#include "Job.h"
#include "OutputPaths.h"

#include "dg/Training.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
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

// The flags of every training command; iterations, batch and lr defaults differ per command.
// A default as the help prints it: 1e-3, 0.999, 150.
std::string shown(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

// The flags every trainer shares, their defaults from the trainer's options (dg/Training.h).
std::vector<FlagSpec> commonFlags(const TrainingCommon& d)
{
    const std::string iterations = std::to_string(d.iterations), batch = std::to_string(d.batchSize), lr = shown(d.lr);
    const std::string g = "Training";
    return {textFlag("--checkpoint", "FILE",
                     "written atomically every --checkpoint-every iterations and at the end; an existing FILE is "
                     "resumed from (unless --no-resume). Required.",
                     g),
            integerFlag("--iterations", "N", "total iterations (a resumed run continues up to N)", g, iterations, 1,
                        100000000),
            integerFlag("--batch", "B", "batch size", g, batch, 2, 65536),
            numberFlag("--lr", "X", "Adam learning rate", g, lr, 1e-12, 10),
            integerFlag("--checkpoint-every", "N", "iterations between checkpoints", g,
                        std::to_string(d.checkpointEvery), 1, 100000000),
            unsignedFlag("--seed", "S", "seed of the initial weights and the data order", g, "0"),
            choiceFlag("--device", {"auto", "cpu", "cuda"}, "auto: CUDA when the linked LibTorch has it", g, "auto"),
            switchFlag("--no-resume", "start afresh even if --checkpoint exists (it is replaced)", g)};
}

const char* const kCancelNote =
    "Ctrl-C saves a checkpoint of the finished iterations and exits; run the same command again to resume.";

TrainingCommon commonFrom(const ArgParser& a)
{
    TrainingCommon c;
    c.checkpoint = a.text("--checkpoint");
    if (c.checkpoint.empty()) throw UsageError("--checkpoint: required (the file to write, and to resume from)");
    checkOutputPath(c.checkpoint, "--checkpoint");
    if (a.knows("--iterations")) c.iterations = a.integer("--iterations"); // train-disc counts epochs
    c.batchSize = a.integer("--batch");
    c.lr = a.number("--lr");
    c.checkpointEvery = a.integer("--checkpoint-every");
    c.seed = a.unsignedInteger("--seed");
    c.device = parseDevice(a.text("--device"));
    c.resume = !a.has("--no-resume");
    return c;
}

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
    const ScoreTrainingOptions d;
    auto flags = commonFlags(d.common);
    flags.push_back(choiceFlag("--data", {"fmnist", "toy:ring8", "toy:moons"}, "the training data", "Model", "fmnist"));
    flags.push_back(integerFlag("--channels", "C",
                                "width (default 32 for the U-Net, 128 for the toy MLP; a resumed run keeps its "
                                "checkpoint's)",
                                "Model", {}, 8, 512));
    flags.push_back(numberFlag("--ema", "X", "EMA decay of the weights", "Model", shown(d.emaDecay), 0, 0.999999));
    flags.push_back(switchFlag("--class-conditional", "a class-conditional U-Net (Fashion-MNIST)", "Model"));
    flags.push_back(integerFlag("--lr-decay-from", "N",
                                "from iteration N to the last, the learning rate falls along a half "
                                "cosine to 0 (0: constant)",
                                "Training", "0", 0, 100000000));
    flags.push_back(distTimeoutFlag());
    ArgParser a(
        "dg train-score", flags,
        "Trains an EDM score network (Karras et al. 2022): a U-Net on Fashion-MNIST or an MLP on a 2-D toy, EDM "
        "preconditioning and loss (ln sigma ~ N(-1.2, 1.2^2)), Adam, EMA weights.",
        kCancelNote);
    if (!a.parse(argv)) return 0;
    ScoreTrainingOptions o;
    o.dataset = a.text("--data");
    o.common = commonFrom(a);
    o.channels = a.integer("--channels", 0); // 0: the default, or the checkpoint's
    o.classConditional = a.has("--class-conditional");
    o.emaDecay = a.number("--ema");
    o.lrDecayFrom = a.integer("--lr-decay-from", 0);
    o.common.job = joinJob(a); // data parallel over the job's ranks, rank 0 writes
    std::cerr << "dg train-score: " << o.dataset << " -> " << o.common.checkpoint << "\n";
    const auto summary = trainScoreModel(o, printProgress, &interruptToken());
    if (o.common.job) o.common.job->barrier(); // every rank ends once rank 0 has written
    return finish(summary);
}

} // namespace dg::cli

namespace dg::cli {

int runTrainClassifier(const std::vector<std::string>& argv)
{
    const ClassifierTrainingOptions d;
    auto flags = commonFlags(d.common);
    flags.push_back(integerFlag("--channels", "C", "width (default 32; a resumed run keeps its checkpoint's)", "Model",
                                {}, 8, 512));
    flags.push_back(
        numberFlag("--sigma-min", "X", "lowest training noise level", "Model", shown(d.sigmaMin), 1e-9, 1e6));
    flags.push_back(numberFlag("--sigma-max", "X", "highest training noise level (above --sigma-min)", "Model",
                               shown(d.sigmaMax), 1e-9, 1e6));
    ArgParser a(
        "dg train-classifier", flags,
        "Trains the noise-aware Fashion-MNIST classifier (ln sigma uniform on [ln sigma-min, ln sigma-max], by "
        "default the discriminator's range) whose encoder becomes the discriminator's frozen feature extractor. "
        "Its features also give the second, classifier-space FD column of dg eval (the judge's space is the "
        "primary one: dg train-judge).",
        kCancelNote);
    if (!a.parse(argv)) return 0;
    ClassifierTrainingOptions o;
    o.common = commonFrom(a);
    o.channels = a.integer("--channels", 0);
    o.sigmaMin = a.number("--sigma-min");
    o.sigmaMax = a.number("--sigma-max");
    if (!(o.sigmaMax > o.sigmaMin)) throw UsageError("--sigma-max: must be above --sigma-min");
    std::cerr << "dg train-classifier: fmnist -> " << o.common.checkpoint << "\n";
    return finish(trainClassifier(o, printProgress, &interruptToken()));
}

int runTrainJudge(const std::vector<std::string>& argv)
{
    const JudgeTrainingOptions d;
    auto flags = commonFlags(d.common);
    flags.push_back(integerFlag("--channels", "C", "width (default 32; a resumed run keeps its checkpoint's)", "Model",
                                {}, 8, 512));
    ArgParser a("dg train-judge", flags,
                "Trains the independent Fashion-MNIST judge: a plain CNN classifier on clean images (another "
                "architecture than the noise-aware classifier, no noise input), used by no discriminator. dg eval and "
                "dg sweep measure FD, precision and recall in its pooled features.",
                kCancelNote);
    if (!a.parse(argv)) return 0;
    JudgeTrainingOptions o;
    o.common = commonFrom(a);
    o.channels = a.integer("--channels", 0);
    std::cerr << "dg train-judge: fmnist -> " << o.common.checkpoint << "\n";
    return finish(trainJudge(o, printProgress, &interruptToken()));
}

int runTrainDisc(const std::vector<std::string>& argv)
{
    const DiscriminatorTrainingOptions d;
    auto flags = commonFlags(d.common);
    flags.erase(std::find_if(flags.begin(), flags.end(), [](const FlagSpec& f) { return f.name == "--iterations"; }));
    flags.push_back(choiceFlag("--data", {"fmnist", "toy:ring8", "toy:moons"}, "the real data", "Model", "fmnist"));
    flags.push_back(textFlag("--fakes", "FAKES.pt", "the model's samples, from dg gen-fakes (required)", "Model"));
    flags.push_back(textFlag("--features", "CLASSIFIER.pt",
                             "the noise-aware classifier whose frozen encoder the head sits on (images; default the "
                             "shipped fmnist-classifier.pt)",
                             "Model"));
    flags.push_back(integerFlag("--epochs", "N", "passes over the data", "Model", std::to_string(d.epochs), 1, 100000));
    flags.push_back(integerFlag("--hidden", "H",
                                "width of a 2-D toy's MLP (default 128; a resumed run keeps its checkpoint's)", "Model",
                                {}, 1, 4096));
    flags.push_back(switchFlag("--class-conditional", "train d(x, sigma, y) on Fashion-MNIST", "Model"));
    flags.push_back(textFlag("--fake-labels", "FILE.pt",
                             "the labels the fakes were drawn with (default FAKES.labels.pt, written by dg gen-fakes)",
                             "Model"));
    flags.push_back(distTimeoutFlag());
    ArgParser a(
        "dg train-disc", flags,
        "Trains a discriminator between real data and the model's samples (Kim et al. 2023): each diffused as "
        "x + sigma*eps with ln sigma uniform on [ln 0.001, ln 150] (the official code's sigma law), BCE with logits, "
        "Adam. Images: a small head on the frozen classifier encoder; toys: an MLP. As many reals as fakes (up to the "
        "60000 training images); 10% of each held out. A checkpoint every epoch (and every --checkpoint-every "
        "iterations); every epoch the held-out accuracy and expected calibration error per sigma decade.",
        kCancelNote);
    if (!a.parse(argv)) return 0;
    DiscriminatorTrainingOptions o;
    o.common = commonFrom(a);
    o.dataset = a.text("--data");
    o.fakes = a.text("--fakes");
    if (o.fakes.empty()) throw UsageError("--fakes: required (a tensor file from dg gen-fakes)");
    o.features = a.text("--features");
    o.epochs = a.integer("--epochs");
    o.hidden = a.integer("--hidden", 0);
    o.classConditional = a.has("--class-conditional");
    o.fakeLabels = a.text("--fake-labels");
    if (!o.fakeLabels.empty() && !o.classConditional) throw UsageError("--fake-labels: only with --class-conditional");
    o.common.job = joinJob(a); // data parallel over the job's ranks, rank 0 writes
    std::cerr << "dg train-disc: " << o.dataset << " real vs " << o.fakes << " -> " << o.common.checkpoint << "\n";
    const auto summary = trainDiscriminator(o, printProgress, &interruptToken());
    if (o.common.job) o.common.job->barrier(); // every rank ends once rank 0 has written
    return finish(summary);
}

} // namespace dg::cli
