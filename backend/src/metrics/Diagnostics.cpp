#include "dg/Diagnostics.h"

#include "core/HostConversion.h"
#include "core/TorchDevice.h"
#include "data/FashionMnist.h"
#include "dg/Calibration.h"
#include "dg/Device.h"
#include "dg/Error.h"
#include "dg/Evaluation.h"
#include "dg/Render.h"
#include "dg/Sampling.h"
#include "dg/Toys.h"
#include "models/Denoiser.h"
#include "models/ToyModels.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/autograd.h>

#include <algorithm>
#include <cmath>

namespace dg {

std::vector<SigmaDiagnostic> diagnoseDiscriminator(const DiscriminatorPtr& discriminator, const std::string& dataset,
                                                   const HostTensor& fakes, const std::vector<int64_t>& fakeLabels,
                                                   const std::vector<double>& sigmas, uint64_t seed, Device device,
                                                   const CancelToken* cancel, const StageCallback& progress)
{
    if (!discriminator) throw Error("‹discriminator›: required");
    if (sigmas.empty()) throw Error("‹sigmas›: give at least one noise level");
    for (double s : sigmas)
        if (!(s > 0) || !std::isfinite(s)) throw Error("‹sigmas›: noise levels must be positive and finite");
    const int64_t n = fakes.batch();
    if (n < 1) throw Error("‹fakes›: no samples");
    const auto info = discriminator->info();
    const bool conditional = info.classConditional;
    if (conditional && static_cast<int64_t>(fakeLabels.size()) != n)
        throw Error("‹fake-labels›: a class-conditional discriminator needs the fakes' labels (" + std::to_string(n) +
                    "), got " + std::to_string(fakeLabels.size()));
    const c10::Device dev = toTorchDevice(device);
    at::Tensor fake = fromHost(fakes).to(dev);
    at::Tensor real, realLabels, fakeY;
    if (dataset == "fmnist") {
        if (fakes.shape != std::vector<int64_t>{n, 1, 28, 28})
            throw Error("‹fakes›: expected Fashion-MNIST images [N, 1, 28, 28], got " + shapeToString(fakes.shape));
        const auto test = loadFashionMnist("test");
        if (n > test.images.size(0))
            throw Error("‹count›: at most " + std::to_string(test.images.size(0)) + " (the held-out test images)");
        real = test.images.slice(0, 0, n).to(dev);
        realLabels = test.labels.slice(0, 0, n).to(dev);
    } else if (dataset.rfind("toy:", 0) == 0) {
        const ToyDefinition* toy = findToy(dataset.substr(4));
        if (!toy) throw Error("‹data›: unknown toy '" + dataset + "'");
        if (fakes.shape != std::vector<int64_t>{n, 2})
            throw Error("‹fakes›: expected 2-D points [N, 2], got " + shapeToString(fakes.shape));
        auto gen = at::make_generator<at::CPUGeneratorImpl>(seed + 7);
        real = toy->data.sample(n, gen).to(at::kFloat).to(dev);
    } else {
        throw Error("‹data›: expected fmnist or toy:NAME, got '" + dataset + "'");
    }
    if (conditional) {
        if (!realLabels.defined())
            throw Error("‹discriminator›: a class-conditional discriminator needs labelled data");
        fakeY = at::tensor(fakeLabels, at::kLong).to(dev);
    }

    c10::NoGradGuard noGrad;
    std::vector<SigmaDiagnostic> out;
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    for (double sigma : sigmas) {
        SigmaDiagnostic d;
        d.sigma = sigma;
        std::vector<at::Tensor> lr, lf;
        for (int64_t i = 0; i < n; i += 250) {
            if (cancel) cancel->throwIfCancelled();
            const int64_t m = std::min<int64_t>(250, n - i);
            const auto s = at::full({m}, sigma, at::TensorOptions().dtype(at::kFloat).device(dev));
            auto noisy = [&](const at::Tensor& x) {
                return x + at::randn(x.sizes(), gen, at::TensorOptions().dtype(at::kFloat)).to(dev) * sigma;
            };
            const auto yr = conditional ? std::optional<at::Tensor>(realLabels.slice(0, i, i + m)) : std::nullopt;
            const auto yf = conditional ? std::optional<at::Tensor>(fakeY.slice(0, i, i + m)) : std::nullopt;
            lr.push_back(
                discriminator->logit(noisy(real.slice(0, i, i + m)), s, yr).reshape({-1}).to(at::kDouble).cpu());
            lf.push_back(
                discriminator->logit(noisy(fake.slice(0, i, i + m)), s, yf).reshape({-1}).to(at::kDouble).cpu());
        }
        const auto r = at::cat(lr), f = at::cat(lf);
        if (!at::isfinite(r).all().item<bool>() || !at::isfinite(f).all().item<bool>())
            throw Error("‹discriminator›: '" + info.spec + "' returned NaN/Inf logits at sigma " +
                        std::to_string(sigma));
        d.realAccuracy = r.gt(0).to(at::kDouble).mean().item<double>();
        d.fakeAccuracy = f.le(0).to(at::kDouble).mean().item<double>();
        d.accuracy = 0.5 * (d.realAccuracy + d.fakeAccuracy);
        d.meanLogitReal = r.mean().item<double>();
        d.meanLogitFake = f.mean().item<double>();
        const auto rc = r.contiguous(), fc = f.contiguous();
        d.calibrationError =
            expectedCalibrationError(std::vector<double>(rc.data_ptr<double>(), rc.data_ptr<double>() + rc.numel()),
                                     std::vector<double>(fc.data_ptr<double>(), fc.data_ptr<double>() + fc.numel()));
        out.push_back(d);
        if (progress) progress({"scoring", static_cast<int64_t>(out.size()), static_cast<int64_t>(sigmas.size())});
    }
    return out;
}

const std::vector<double>& defaultDiagnosticSigmas()
{
    static const std::vector<double> sigmas = {0.002, 0.01, 0.05, 0.2, 1, 5, 20, 80};
    return sigmas;
}

std::string diagnosticsDataset(const ModelInfo& discriminator, const HostTensor& fakes)
{
    const std::string own =
        discriminator.dataset.rfind("toy:", 0) == 0 ? discriminator.dataset.substr(4) : discriminator.dataset;
    if (isToy(own)) return "toy:" + own;
    return fakes.isImages() ? "fmnist" : std::string();
}

DiscriminatorDiagnosis diagnoseAgainstOwnSamples(const SampleRequest& request, DiscriminatorPtr discriminator,
                                                 int64_t count, const std::vector<double>& sigmas, int64_t batch,
                                                 const StageCallback& progress, const CancelToken* cancel,
                                                 const std::string& dataset)
{
    SampleRequest unguided = request;
    unguided.discriminator.clear();
    unguided.settings.guidance.weight = 0.0;
    unguided.settings.guidance.weight2.reset();
    unguided.settings.guidance.boost = false;
    unguided.settings.count = count;
    const LoadedRequest loaded = loadRequest(unguided);
    const ModelInfo denoiser = modelInfo(*loaded.denoiser);
    if (denoiser.classConditional && !unguided.settings.classLabel) unguided.settings.classLabel = kEveryClass;
    HostTensor fakes = sampleInBatches(
        loaded, unguided, batch,
        [&progress](int64_t made, int64_t total) {
            if (progress) progress({"sampling", made, total});
        },
        cancel);
    if (fakes.isImages()) fakes = quantize8(fakes);
    std::vector<int64_t> labels;
    if (denoiser.classConditional)
        for (int64_t i = 0; i < fakes.batch(); ++i)
            labels.push_back(classOfSample(unguided.settings, i, denoiser.numClasses));
    if (!discriminator) {
        if (request.discriminator.empty()) throw Error("‹discriminator›: required (the discriminator to diagnose)");
        discriminator = loadDiscriminator(request.discriminator, loaded.device, loaded.sampleShape);
    }
    DiscriminatorDiagnosis out;
    out.dataset = dataset.empty() ? diagnosticsDataset(modelInfo(*discriminator), fakes) : dataset;
    if (out.dataset.empty()) throw Error("‹data›: 2-D samples need the toy they belong to (toy:ring8 or toy:moons)");
    out.fakesFrom = request.denoiser + ", seed " + std::to_string(request.settings.seed);
    out.samples = fakes.batch();
    if (progress) progress({"scoring", 0, static_cast<int64_t>(sigmas.size())});
    out.rows = diagnoseDiscriminator(discriminator, out.dataset, fakes, labels, sigmas, request.settings.seed + 12345,
                                     loaded.device, cancel, progress);
    return out;
}

DiscriminatorDiagnosis diagnoseRun(const SampleRequest& run, int64_t count,
                                   const std::function<void(const StageProgress&, double etaSeconds)>& progress,
                                   const CancelToken* cancel)
{
    lowerThreadPriority();
    SampleRequest r = run;
    r.device = Device::Cpu;
    EtaEstimate eta;
    return diagnoseAgainstOwnSamples(
        r, nullptr, count, defaultDiagnosticSigmas(), 0,
        [&](const StageProgress& p) {
            const double left = eta.update(p);
            if (progress) progress(p, left);
        },
        cancel);
}

RgbImage diagnosisPlot(const DiscriminatorDiagnosis& d, const GuidanceSettings& g, const std::string& title)
{
    PlotSeries all{"accuracy", {}, {}, {}, {}, {30, 30, 36}}, real{"reals called real", {}, {}, {}, {}, {40, 120, 60}},
        fake{"fakes called generated", {}, {}, {}, {}, {200, 50, 40}};
    for (const auto& r : d.rows) {
        for (auto* s : {&all, &real, &fake})
            s->x.push_back(r.sigma);
        all.y.push_back(r.accuracy);
        real.y.push_back(r.realAccuracy);
        fake.y.push_back(r.fakeAccuracy);
    }
    LinePlotOptions o;
    o.width = 620;
    o.height = 380;
    o.title = title;
    o.xLabel = "noise level σ";
    o.logX = true;
    o.yMin = 0.0;
    o.yMax = 1.0;
    o.referenceY = {0.5};
    o.referenceLabels = {"chance"};
    if (g.enabled) {
        o.shadeLo = g.sigmaLo;
        o.shadeHi = g.sigmaHi;
        o.shadeLabel = "guided here";
    }
    return renderLinePlot({real, fake, all}, o);
}

double separatesUpTo(const DiscriminatorDiagnosis& diagnosis, double threshold)
{
    double above = 0.0;
    for (const auto& row : diagnosis.rows)
        if (row.accuracy >= threshold) above = std::max(above, row.sigma);
    return above;
}

} // namespace dg
