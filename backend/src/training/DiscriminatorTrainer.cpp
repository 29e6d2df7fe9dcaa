#include "core/DistributedTensors.h"
#include "core/HostConversion.h"
#include "core/Plausible.h"
#include "core/TorchDevice.h"
#include "data/FashionMnist.h"
#include "dg/Calibration.h"
#include "dg/Distributed.h"
#include "dg/Error.h"
#include "dg/SafeFile.h"
#include "dg/TensorFile.h"
#include "dg/Training.h"
#include "models/Checkpoint.h"
#include "models/LearnedModels.h"
#include "models/ToyModels.h"
#include "training/ProgressMeter.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <torch/optim/adam.h>
#include <torch/utils.h>

#include <filesystem>
#include <iomanip>
#include <optional>
#include <sstream>

namespace dg {
namespace {

// The network being trained: encoder (frozen) + head on images, or an MLP on points.
struct DiscNet
{
    Encoder encoder{nullptr};
    DiscHead head{nullptr};
    MlpDisc mlp{nullptr};

    at::Tensor logit(const at::Tensor& x, const at::Tensor& sigma, const at::Tensor& labels)
    {
        // The encoder's parameters do not require grad: training builds no graph through it (x does not either),
        // while a snapshot used for guidance still differentiates through it to x.
        if (mlp) return mlp(x, sigma, labels);
        return head(encoder(x, sigma), sigma, labels);
    }
    std::vector<at::Tensor> trainable() { return mlp ? mlp->parameters() : head->parameters(); }
    std::vector<NamedModule> modules()
    {
        if (mlp) return {{"head", mlp.ptr().get()}};
        return {{"encoder", encoder.ptr().get()}, {"head", head.ptr().get()}};
    }
    void setTraining(bool on)
    {
        if (mlp) mlp->train(on);
        if (head) head->train(on);
    }
};

// A frozen copy of the network at one iteration: shares the (already frozen) encoder, copies the trainable part.
class DiscSnapshot : public Discriminator
{
public:
    DiscSnapshot(DiscNet& live, const CheckpointMeta& meta, int64_t iteration, const c10::Device& device)
    {
        c10::NoGradGuard noGrad;
        if (live.mlp) {
            m_net.mlp = MlpDisc(meta.net);
            copy(*m_net.mlp, *live.mlp, device);
        } else {
            m_net.encoder = live.encoder; // frozen: never updated by training
            m_net.head = DiscHead(meta.net, live.encoder->featureChannels());
            copy(*m_net.head, *live.head, device);
        }
        m_info = learnedModelInfo(meta, "snapshot@" + std::to_string(iteration), ModelRole::Discriminator,
                                  "discriminator snapshot at iteration " + std::to_string(iteration) + " (" +
                                      meta.dataset + ")");
    }
    at::Tensor logit(const at::Tensor& x, const at::Tensor& sigma,
                     const std::optional<at::Tensor>& labels) const override
    {
        return m_net.logit(x, sigma, labels ? *labels : at::Tensor());
    }
    ModelInfo info() const override { return m_info; }

private:
    static void copy(torch::nn::Module& to, const torch::nn::Module& from, const c10::Device& device)
    {
        to.to(device);
        to.eval();
        const auto src = from.parameters();
        auto dst = to.parameters();
        for (size_t i = 0; i < dst.size(); ++i) {
            dst[i].copy_(src[i]);
            dst[i].set_requires_grad(false);
        }
    }
    mutable DiscNet m_net;
    ModelInfo m_info;
};

at::Tensor logUniformSigma(int64_t n, double lo, double hi, at::Generator& gen)
{
    return (at::rand({n}, gen, at::TensorOptions().dtype(at::kFloat)) * (std::log(hi) - std::log(lo)) + std::log(lo))
        .exp();
}

at::Tensor diffuse(const at::Tensor& x, const at::Tensor& sigma, at::Generator& gen)
{
    std::vector<int64_t> shape(x.dim(), 1);
    shape[0] = -1;
    return x + at::randn(x.sizes(), gen, at::TensorOptions().dtype(at::kFloat)).to(x.device()) * sigma.reshape(shape);
}

// The labels of the fakes: [N] class indices in [0, classes).
at::Tensor loadFakeLabels(const std::string& path, int64_t n, int64_t classes)
{
    if (!std::filesystem::exists(path))
        throw Error("‹fake-labels›: '" + path +
                    "' does not exist (dg gen-fakes writes it beside the fakes when the "
                    "denoiser is class-conditional)");
    const auto values = loadLabelFile(path);
    if (static_cast<int64_t>(values.size()) != n)
        throw Error("‹fake-labels›: '" + path + "' holds " + std::to_string(values.size()) + " labels for " +
                    std::to_string(n) + " fakes");
    for (int64_t v : values)
        if (v < 0 || v >= classes)
            throw Error("‹fake-labels›: '" + path + "' holds " + std::to_string(v) + ", not a class index 0 … " +
                        std::to_string(classes - 1));
    const auto asLong = at::tensor(values, at::kLong);
    return asLong;
}

} // namespace

std::string fakeLabelsPath(const std::string& fakesPath)
{
    const std::string ext = ".pt";
    const bool hasExt =
        fakesPath.size() > ext.size() && fakesPath.compare(fakesPath.size() - ext.size(), ext.size(), ext) == 0;
    return (hasExt ? fakesPath.substr(0, fakesPath.size() - ext.size()) : fakesPath) + ".labels.pt";
}

TrainingSummary trainDiscriminator(const DiscriminatorTrainingOptions& o, const ProgressCallback& progress,
                                   const CancelToken* cancel)
{
    initRuntime();
    const auto& c = o.common;
    if (c.checkpoint.empty()) throw Error("‹checkpoint›: required");
    if (o.fakes.empty()) throw Error("‹fakes›: required (a tensor file from dg gen-fakes)");
    if (o.epochs < 1) throw Error("‹epochs›: must be at least 1");
    const auto device = toTorchDevice(c.device);
    const bool toy = o.dataset.rfind("toy:", 0) == 0;
    const ToyDefinition* toyDef = toy ? findToy(o.dataset.substr(4)) : nullptr;
    if (toy && !toyDef) throw Error("‹data›: unknown toy '" + o.dataset + "'");
    if (!toy && o.dataset != "fmnist") throw Error("‹data›: expected fmnist or toy:NAME, got '" + o.dataset + "'");
    if (toy && o.classConditional) throw Error("‹class-conditional›: the toys have no classes");
    if (!toy && o.hidden > 0)
        throw Error("‹hidden›: the width of a 2-D toy's discriminator; an image discriminator's head takes its "
                    "classifier's width (‹features›)");
    constexpr int64_t kClasses = 10; // Fashion-MNIST
    DistributedJob* const job = c.job.get();
    const bool main = !job || job->isMain(); // rank 0 alone writes
    std::optional<WriteLock> lock;
    if (main) lock.emplace(c.checkpoint, "‹checkpoint›");

    const auto fakes = fromHost(loadTensorFile(o.fakes));
    const int64_t n = fakes.size(0);
    if (const double reach = fakes.abs().max().item<double>(); reach > plausible::kFakesBound)
        throw Error("‹fakes›: '" + o.fakes + "' holds values up to " + std::to_string(reach) +
                    "; samples of data in [-1, 1] stay within +-" + std::to_string(int(plausible::kFakesBound)) +
                    " (were they scaled or written by another tool?)");
    const std::vector<int64_t> expected = toy ? std::vector<int64_t>{2} : std::vector<int64_t>{1, 28, 28};
    if (fakes.sizes().slice(1).vec() != expected)
        throw Error("‹fakes›: '" + o.fakes + "' holds samples of shape " + shapeToString(fakes.sizes().slice(1).vec()) +
                    ", expected " + shapeToString(expected) + " for " + o.dataset);
    auto gen0 = at::make_generator<at::CPUGeneratorImpl>(c.seed + 17);
    at::Tensor reals, realLabels, fakeLabels; // labels: class-conditional only
    if (o.classConditional)
        fakeLabels = loadFakeLabels(o.fakeLabels.empty() ? fakeLabelsPath(o.fakes) : o.fakeLabels, n, kClasses);
    if (toy) {
        reals = toyDef->data.sample(n, gen0);
    } else {
        const auto train = loadFashionMnist("train");
        if (n > train.images.size(0)) throw Error("‹fakes›: more fakes than the 60000 real training images");
        const auto pick = at::randperm(train.images.size(0), gen0, at::kLong).slice(0, 0, n);
        reals = train.images.index_select(0, pick);
        if (o.classConditional) realLabels = train.labels.index_select(0, pick);
    }
    const int64_t held = std::max<int64_t>(1, static_cast<int64_t>(n * o.heldOutFraction));
    const int64_t trainN = n - held;
    if (trainN < c.batchSize / 2) throw Error("‹fakes›: too few samples (" + std::to_string(n) + ") for ‹batch›");
    const auto realTrain = reals.slice(0, 0, trainN).to(device), realHeld = reals.slice(0, trainN).to(device);
    const auto fakeTrain = fakes.slice(0, 0, trainN).to(device), fakeHeld = fakes.slice(0, trainN).to(device);
    // Labels follow their images (undefined tensors when unconditional).
    const auto part = [&](const at::Tensor& t, int64_t from, int64_t to) {
        return t.defined() ? t.slice(0, from, to).to(device) : at::Tensor();
    };
    const auto realTrainY = part(realLabels, 0, trainN), realHeldY = part(realLabels, trainN, n);
    const auto fakeTrainY = part(fakeLabels, 0, trainN), fakeHeldY = part(fakeLabels, trainN, n);
    const auto slice = [](const at::Tensor& t, int64_t from, int64_t to) {
        return t.defined() ? t.slice(0, from, to) : at::Tensor();
    };

    CheckpointMeta meta;
    meta.kind = "disc";
    meta.dataset = o.dataset;
    meta.batchSize = c.batchSize;
    meta.lr = c.lr;
    meta.seed = c.seed;
    const bool resuming = c.resume && std::filesystem::exists(c.checkpoint);
    DiscNet net;
    if (resuming) {
        meta = readCheckpointMeta(c.checkpoint);
        if (meta.kind != "disc" || meta.dataset != o.dataset)
            throw Error("‹checkpoint›: '" + c.checkpoint + "' holds a " + meta.kind + " model for " + meta.dataset +
                        "; pass ‹no-resume›");
        if ((meta.net.numClasses > 0) != o.classConditional)
            throw Error("‹checkpoint›: '" + c.checkpoint + "' holds a" +
                        (meta.net.numClasses > 0 ? " class-conditional" : "n unconditional") +
                        " discriminator; match ‹class-conditional› or pass ‹no-resume›");
        if (toy) checkSameWidth(meta, o.hidden, c.checkpoint, "‹hidden›");
    } else if (toy) {
        meta.net = NetConfig{"mlp-disc", o.hidden > 0 ? o.hidden : 128, 2, 0, false};
    } else {
        if (o.features.empty()) throw Error("‹features›: required for images (a classifier from dg train-classifier)");
        const auto cls = readCheckpointMeta(o.features);
        if (cls.kind != "classifier")
            throw Error("‹features›: '" + o.features + "' holds a " + cls.kind + " model, not a classifier");
        meta.encoder = cls.net;
        meta.net = NetConfig{"disc-head", cls.net.channels, 1, o.classConditional ? kClasses : 0, false};
    }
    torch::manual_seed(c.seed); // the initial weights: the same in every rank of a job, and in every run of a seed
    if (meta.net.arch == "mlp-disc") {
        net.mlp = MlpDisc(meta.net);
    } else {
        net.encoder = Encoder(meta.encoder);
        net.head = DiscHead(meta.net, net.encoder->featureChannels());
        if (!resuming) loadCheckpoint(o.features, {{"encoder", net.encoder.ptr().get()}});
        net.encoder->eval();
        for (auto& p : net.encoder->parameters())
            p.set_requires_grad(false);
    }
    for (auto& [name, module] : net.modules())
        module->to(device);
    torch::optim::Adam optimizer(net.trainable(), torch::optim::AdamOptions(c.lr));
    if (resuming) loadCheckpoint(c.checkpoint, net.modules(), &optimizer);

    const int64_t half = c.batchSize / 2;
    const int64_t perEpoch = trainN / half;
    const int64_t total = perEpoch * o.epochs;
    const int64_t start = meta.iterations;
    int64_t parameters = 0;
    for (const auto& p : net.trainable())
        parameters += p.numel();
    if (resuming) {
        checkNoRewind(meta, total, c.checkpoint, "‹epochs›", perEpoch);
        if (start == total)
            return {meta.iterations, meta.loss, meta.accuracy, meta.seconds, parameters, c.checkpoint, true};
    }
    ProgressMeter meter(progress, start, total);
    const double baseSeconds = meta.seconds;
    const auto ones = at::ones({half}, at::TensorOptions().device(device));
    const auto labels = at::cat({ones, at::zeros_like(ones)});

    // Held-out accuracy at fixed noise (seeded), overall and per σ decade.
    auto evaluate = [&](std::string& perSigma) {
        c10::NoGradGuard noGrad;
        net.setTraining(false);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(c.seed + 99);
        const auto sr = logUniformSigma(held, o.sigmaMin, o.sigmaMax, gen).to(device);
        const auto sf = logUniformSigma(held, o.sigmaMin, o.sigmaMax, gen).to(device);
        std::vector<at::Tensor> lr, lf;
        for (int64_t i = 0; i < held; i += 256) {
            const int64_t m = std::min<int64_t>(256, held - i);
            lr.push_back(net.logit(diffuse(realHeld.slice(0, i, i + m), sr.slice(0, i, i + m), gen),
                                   sr.slice(0, i, i + m), slice(realHeldY, i, i + m)));
            lf.push_back(net.logit(diffuse(fakeHeld.slice(0, i, i + m), sf.slice(0, i, i + m), gen),
                                   sf.slice(0, i, i + m), slice(fakeHeldY, i, i + m)));
        }
        const auto realLogits = at::cat(lr).reshape({-1}).to(at::kDouble).cpu(),
                   fakeLogits = at::cat(lf).reshape({-1}).to(at::kDouble).cpu();
        const auto correct = at::cat({realLogits.gt(0), fakeLogits.le(0)}).to(at::kFloat);
        const auto sig = at::cat({sr, sf}).cpu();
        std::ostringstream s, ece;
        s << "acc by sigma:";
        ece << "; ECE by sigma:";
        auto values = [](const at::Tensor& t) {
            const auto c = t.contiguous();
            return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
        };
        for (double lo : {0.001, 0.01, 0.1, 1.0, 10.0}) {
            const double hi = lo >= 10 ? o.sigmaMax + 1 : lo * 10;
            const auto mask = sig.ge(lo).logical_and(sig.lt(hi));
            if (mask.sum().item<int64_t>() == 0) continue;
            s << " [" << std::defaultfloat << lo << ",) " << std::fixed << std::setprecision(2)
              << correct.masked_select(mask).mean().item<double>();
            const auto inR = sr.cpu().ge(lo).logical_and(sr.cpu().lt(hi)),
                       inF = sf.cpu().ge(lo).logical_and(sf.cpu().lt(hi));
            ece << " [" << std::defaultfloat << lo << ",) " << std::fixed << std::setprecision(3)
                << expectedCalibrationError(values(realLogits.masked_select(inR)),
                                            values(fakeLogits.masked_select(inF)));
        }
        s << ece.str();
        perSigma = s.str();
        net.setTraining(true);
        return correct.mean().item<double>();
    };
    auto save = [&](int64_t it, bool measure, std::string& note) {
        if (!main) return;
        meta.iterations = it;
        meta.loss = meter.lastLoss();
        if (measure) meta.accuracy = evaluate(note);
        meta.seconds = baseSeconds + meter.elapsed();
        saveCheckpoint(c.checkpoint, meta, net.modules(), &optimizer);
    };

    net.setTraining(true);
    int64_t it = start;
    std::string note;
    try {
        for (; it < total; ++it) {
            if (cancel && !job) cancel->throwIfCancelled(); // in a job all ranks stop together (sumGradients)
            const int64_t epoch = it / perEpoch;
            auto gen = at::make_generator<at::CPUGeneratorImpl>(c.seed * 104729ull + static_cast<uint64_t>(it));
            auto permGen = at::make_generator<at::CPUGeneratorImpl>(c.seed * 31ull + static_cast<uint64_t>(epoch));
            const auto permR = at::randperm(trainN, permGen, at::kLong);
            const auto permF = at::randperm(trainN, permGen, at::kLong);
            const int64_t b = it % perEpoch;
            const auto pickR = permR.slice(0, b * half, (b + 1) * half).to(device);
            const auto pickF = permF.slice(0, b * half, (b + 1) * half).to(device);
            const auto r = realTrain.index_select(0, pickR);
            const auto f = fakeTrain.index_select(0, pickF);
            const auto y = o.classConditional
                               ? at::cat({realTrainY.index_select(0, pickR), fakeTrainY.index_select(0, pickF)})
                               : at::Tensor();
            const auto sigma = logUniformSigma(2 * half, o.sigmaMin, o.sigmaMax, gen).to(device);
            const auto x = diffuse(at::cat({r, f}), sigma, gen);
            optimizer.zero_grad();
            double lossValue = 0.0;
            if (job) { // this rank's rows of the global batch (data parallel)
                const auto [from, to] = job->shard(2 * half);
                const auto loss = at::binary_cross_entropy_with_logits(
                                      net.logit(x.slice(0, from, to), sigma.slice(0, from, to), slice(y, from, to)),
                                      labels.slice(0, from, to), {}, {}, at::Reduction::Sum) /
                                  static_cast<double>(2 * half);
                loss.backward();
                const auto sum = sumGradients(*job, net.trainable(), loss, cancel && cancel->isCancelled());
                if (sum.stop) throw Cancelled(); // before this step's update: `it` iterations are finished
                lossValue = sum.loss;
            } else {
                const auto loss = at::binary_cross_entropy_with_logits(net.logit(x, sigma, y), labels);
                loss.backward();
                lossValue = loss.item<double>();
            }
            optimizer.step();
            meter.addLoss(lossValue);
            if (o.snapshotEvery > 0 && o.onSnapshot && (it + 1) % o.snapshotEvery == 0)
                o.onSnapshot(std::make_shared<DiscSnapshot>(net, meta, it + 1, device), it + 1);
            const bool epochEnd = (it + 1) % perEpoch == 0;
            // Mid-epoch checkpoints (--checkpoint-every) keep the last measured accuracy; epoch ends measure it.
            const bool periodic = !epochEnd && (it + 1) % c.checkpointEvery == 0 && it + 1 < total;
            if (epochEnd || periodic) save(it + 1, epochEnd, note);
            meter.report(it + 1, epochEnd || periodic, epochEnd ? meta.accuracy : std::nan(""), epochEnd || periodic,
                         epochEnd ? "epoch " + std::to_string(epoch + 1) + "; " + note : "");
        }
    } catch (const Cancelled&) {
        if (it > start) save(it, false, note);
        throw stoppedTraining(start, it, c.checkpoint);
    } catch (const PeerLost&) { // a rank of the job was lost before this step's update
        if (it > start) save(it, false, note);
        throw;
    }
    if (meta.iterations != total) save(total, true, note);
    return {meta.iterations, meta.loss, meta.accuracy, meta.seconds, parameters, c.checkpoint};
}

} // namespace dg
