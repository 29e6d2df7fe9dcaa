#include "Commands.h"
#include "Format.h"
#include "Interrupt.h"
#include "OutputPaths.h"
#include "SamplingFlags.h"

#include "dg/Diagnostics.h"
#include "dg/Evaluation.h"
#include "dg/Models.h"
#include "dg/Sampling.h"
#include "dg/TensorFile.h"
#include "dg/Toys.h"
#include "dg/Training.h"
#include "dg/Version.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace dg::cli {

int runEvalDisc(const std::vector<std::string>& argv)
{
    auto flags = samplingFlags();
    for (auto& f : flags)
        if (f.name == "--count") f.defaultText = "500";
    const std::string g = "Diagnostics";
    flags.push_back(
        textFlag("--fakes", "FAKES.pt", "score these generated samples instead of sampling the denoiser", g));
    flags.push_back(textFlag("--fake-labels", "FILE.pt",
                             "their classes, for a class-conditional discriminator (default FAKES.labels.pt)", g));
    flags.push_back(textFlag("--sigmas", "X,X,...", "the noise levels", g, "0.002,0.01,0.05,0.2,1,5,20,80"));
    flags.push_back(choiceFlag("--data", {"fmnist", "toy:ring8", "toy:moons"},
                               "the real data (default: the discriminator's own)", g));
    flags.push_back(batchFlag(g));
    flags.push_back(
        textFlag("--plot", "FILE.png", "also draw accuracy against sigma, the guided sigma window shaded", g));
    ArgParser a(
        "dg eval-disc", flags,
        "Where can the discriminator guide? At each noise level sigma, held-out real samples (the Fashion-MNIST "
        "test split, or fresh toy data) and as many of the model's samples (unguided, 8-bit like the training "
        "fakes, seeds --seed; or --fakes) are diffused as x + sigma*eps and scored: accuracy (logit > 0 means "
        "real), the mean logit log(d/(1-d)) of each side and the expected calibration error (ECE: d = sigmoid(logit) "
        "against the share of reals, 10 bins of d; 0 is calibrated, DG's density ratio is exact only there). Near 50 % "
        "the discriminator cannot tell them apart "
        "and guidance has nothing to say there. The last column says whether the guidance settings given "
        "(--dg-sigma-min/--dg-sigma-max, --dg-preset) guide at that sigma.\n"
        "Example: dg eval-disc --denoiser builtin:fmnist --discriminator builtin:fmnist-disc --dg-preset official");
    if (!a.parse(argv)) return 0;
    SampleRequest r = requestFromFlags(a);
    if (r.discriminator.empty()) r.discriminator = matchingDiscriminator(r.denoiser);
    if (r.discriminator.empty()) throw UsageError("--discriminator: required (the discriminator to diagnose)");
    const std::vector<double> sigmas = a.numbers("--sigmas", true);
    const std::string plotPath = a.text("--plot");
    OutputPlan outputs;
    if (!plotPath.empty()) outputs.add(plotPath, "--plot");
    const auto locks = outputs.lock();

    initRuntime();
    const Device device = resolveDevice(r.device);
    HostTensor fakes;
    std::vector<int64_t> labels;
    std::string fakesFrom;
    if (a.has("--fakes")) {
        if (a.has("--count")) throw UsageError("--count: the --fakes file fixes the number of samples");
        fakes = loadTensorFile(a.text("--fakes"));
        const std::string labelPath = a.text("--fake-labels", fakeLabelsPath(a.text("--fakes")));
        if (a.has("--fake-labels") || std::filesystem::exists(labelPath)) labels = loadLabelFile(labelPath);
        fakesFrom = a.text("--fakes");
    }
    DiscriminatorDiagnosis diagnosis;
    if (!fakes.values.empty()) {
        std::vector<int64_t> shape(fakes.shape.begin() + 1, fakes.shape.end());
        const auto disc = loadDiscriminator(r.discriminator, device, shape);
        diagnosis.dataset = a.text("--data", diagnosticsDataset(modelInfo(*disc), fakes));
        if (diagnosis.dataset.empty())
            throw UsageError("--data: 2-D samples need the toy they belong to (toy:ring8 or toy:moons)");
        diagnosis.fakesFrom = fakesFrom;
        diagnosis.samples = fakes.batch();
        diagnosis.rows = diagnoseDiscriminator(disc, diagnosis.dataset, fakes, labels, sigmas, r.settings.seed + 12345,
                                               device, &interruptToken());
    } else {
        diagnosis = diagnoseAgainstOwnSamples(
            r, nullptr, a.has("--count") ? r.settings.count : 500, sigmas, batchFromFlags(a),
            [](const StageProgress& p) {
                std::fprintf(stderr, "  %s %lld/%lld\n", p.stage.c_str(), static_cast<long long>(p.done),
                             static_cast<long long>(p.total));
            },
            &interruptToken(), a.text("--data"));
    }
    const auto& rows = diagnosis.rows;
    const std::string& dataset = diagnosis.dataset;
    const auto& gs = r.settings.guidance;
    std::printf("%s on %lld held-out real samples (%s) and %lld generated ones (%s)\n", r.discriminator.c_str(),
                static_cast<long long>(diagnosis.samples), dataset == "fmnist" ? "the test split" : dataset.c_str(),
                static_cast<long long>(diagnosis.samples), diagnosis.fakesFrom.c_str());
    std::printf(
        "| sigma | accuracy | reals called real | fakes called generated | mean logit (real) | mean logit (fake) "
        "| ECE | guided here |\n|---:|---:|---:|---:|---:|---:|---:|:---:|\n");
    for (const auto& d : rows) {
        const bool guided = d.sigma >= gs.sigmaLo && d.sigma <= gs.sigmaHi;
        std::printf("| %s | %.3f | %.3f | %.3f | %+.3f | %+.3f | %.3f | %s |\n", formatNumber(d.sigma).c_str(),
                    d.accuracy, d.realAccuracy, d.fakeAccuracy, d.meanLogitReal, d.meanLogitFake, d.calibrationError,
                    guided ? "yes" : "no");
    }
    if (!plotPath.empty()) {
        writePng(plotPath, diagnosisPlot(diagnosis, gs, r.discriminator),
                 {{"Software", std::string("dg ") + codeVersion()}, {"dg.settings", toJson(r)}});
        std::cerr << "dg eval-disc: wrote " << plotPath << "\n";
    }
    return 0;
}

} // namespace dg::cli
