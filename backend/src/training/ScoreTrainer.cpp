#include "core/DistributedTensors.h"
#include "core/TorchDevice.h"
#include "data/FashionMnist.h"
#include "dg/Distributed.h"
#include "dg/Error.h"
#include "dg/SafeFile.h"
#include "dg/Training.h"
#include "models/Checkpoint.h"
#include "models/ToyModels.h"
#include "training/ProgressMeter.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>
#include <torch/optim/adam.h>
#include <torch/utils.h>

#include <filesystem>
#include <optional>

namespace dg {
namespace {

// Where training batches come from: Fashion-MNIST images (with labels) or fresh samples of a toy's data mixture.
struct ScoreData
{
    at::Tensor images; // fmnist: [60000, 1, 28, 28] on the device
    at::Tensor labels;
    const ToyDefinition* toy = nullptr;

    std::pair<at::Tensor, at::Tensor> batch(int64_t n, at::Generator& gen, const c10::Device& device) const
    {
        if (toy) return {toy->data.sample(n, gen).to(device), at::Tensor()};
        const auto idx = at::randint(images.size(0), {n}, gen, at::TensorOptions().dtype(at::kLong)).to(device);
        return {images.index_select(0, idx), labels.index_select(0, idx)};
    }
};

ScoreData loadScoreData(const std::string& dataset, const c10::Device& device)
{
    ScoreData d;
    if (dataset == "fmnist") {
        auto data = loadFashionMnist("train");
        d.images = data.images.to(device);
        d.labels = data.labels.to(device);
        return d;
    }
    if (dataset.rfind("toy:", 0) == 0) {
        d.toy = findToy(dataset.substr(4));
        if (d.toy) return d;
    }
    throw Error("‹data›: expected fmnist or toy:NAME (ring8, moons), got '" + dataset + "'");
}

void copyParameters(torch::nn::Module& to, const torch::nn::Module& from)
{
    c10::NoGradGuard noGrad;
    const auto src = from.parameters();
    auto dst = to.parameters();
    for (size_t i = 0; i < dst.size(); ++i)
        dst[i].copy_(src[i]);
}

void updateEma(torch::nn::Module& ema, const torch::nn::Module& model, double decay)
{
    c10::NoGradGuard noGrad;
    const auto src = model.parameters();
    auto dst = ema.parameters();
    for (size_t i = 0; i < dst.size(); ++i)
        dst[i].mul_(decay).add_(src[i], 1.0 - decay);
}

} // namespace

TrainingSummary trainScoreModel(const ScoreTrainingOptions& o, const ProgressCallback& progress,
                                const CancelToken* cancel)
{
    initRuntime();
    const auto& c = o.common;
    if (c.checkpoint.empty()) throw Error("‹checkpoint›: required (where to write the model)");
    if (c.iterations < 1) throw Error("‹iterations›: must be at least 1");
    if (c.batchSize < 1) throw Error("‹batch›: must be at least 1");
    if (!(c.lr > 0)) throw Error("‹lr›: must be positive");
    if (o.lrDecayFrom < 0 || (o.lrDecayFrom > 0 && o.lrDecayFrom >= c.iterations))
        throw Error("‹lr-decay-from›: must be below ‹iterations› (" + std::to_string(c.iterations) + ")");
    const auto device = toTorchDevice(c.device);
    DistributedJob* const job = c.job.get();
    const bool main = !job || job->isMain(); // rank 0 alone writes
    std::optional<WriteLock> lock;
    if (main) lock.emplace(c.checkpoint, "‹checkpoint›");
    const ScoreData data = loadScoreData(o.dataset, device);

    CheckpointMeta meta;
    meta.kind = "score";
    meta.dataset = o.dataset;
    meta.net.arch = data.toy ? "mlp-score" : "unet";
    meta.net.channels = o.channels > 0 ? o.channels : (data.toy ? 128 : 32);
    meta.net.inChannels = data.toy ? 2 : 1;
    meta.net.numClasses = o.classConditional && !data.toy ? 10 : 0;
    meta.batchSize = c.batchSize;
    meta.lr = c.lr;
    meta.emaDecay = o.emaDecay;
    meta.seed = c.seed;
    const bool resuming = c.resume && std::filesystem::exists(c.checkpoint);
    if (resuming) {
        const auto old = readCheckpointMeta(c.checkpoint);
        if (old.kind != "score" || old.dataset != o.dataset)
            throw Error("‹checkpoint›: '" + c.checkpoint + "' holds a " + old.kind + " model for " + old.dataset +
                        "; choose another file or pass ‹no-resume›");
        checkNoRewind(old, c.iterations, c.checkpoint, "‹iterations›");
        checkSameWidth(old, o.channels, c.checkpoint, "‹channels›");
        meta = old;
    }

    torch::manual_seed(c.seed); // the initial weights: the same in every rank of a job, and in every run of a seed
    auto model = makeScoreNet(meta.net);
    auto ema = makeScoreNet(meta.net);
    model->to(device);
    ema->to(device);
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(c.lr));
    if (resuming)
        loadCheckpoint(c.checkpoint, {{"model", model.get()}, {"ema", ema.get()}}, &optimizer);
    else
        copyParameters(*ema, *model);
    for (auto& p : ema->parameters())
        p.set_requires_grad(false);
    model->train();

    const int64_t start = meta.iterations;
    if (start == c.iterations)
        return {meta.iterations, meta.loss, std::nan(""), meta.seconds, parameterCount(*model), c.checkpoint, true};
    ProgressMeter meter(progress, start, c.iterations);
    const double baseSeconds = meta.seconds;
    auto save = [&](int64_t it) {
        if (!main) return;
        meta.iterations = it;
        meta.loss = meter.lastLoss();
        meta.seconds = baseSeconds + meter.elapsed();
        saveCheckpoint(c.checkpoint, meta, {{"model", model.get()}, {"ema", ema.get()}}, &optimizer);
    };

    const double sd2 = kSigmaData * kSigmaData;
    int64_t it = start;
    try {
        for (; it < c.iterations; ++it) {
            if (cancel && !job) cancel->throwIfCancelled(); // in a job all ranks stop together (sumGradients)
            auto gen = at::make_generator<at::CPUGeneratorImpl>(c.seed * 1000003ull + static_cast<uint64_t>(it));
            auto [x, labels] = data.batch(c.batchSize, gen, device);
            // EDM training (Karras et al. 2022, Table 1): ln σ ~ N(P_mean, P_std²), λ(σ) = (σ² + σ_d²)/(σ·σ_d)².
            const auto sigma = (at::randn({c.batchSize}, gen, at::TensorOptions().dtype(at::kFloat)) * o.pStd + o.pMean)
                                   .exp()
                                   .to(device);
            std::vector<int64_t> shape(x.dim(), 1);
            shape[0] = -1;
            const auto s = sigma.reshape(shape);
            const auto noise = at::randn(x.sizes(), gen, at::TensorOptions().dtype(at::kFloat)).to(device);
            const auto weight = (s * s + sd2) / (s * kSigmaData).pow(2);
            // Data parallel: this rank's rows of the global batch, its sum over the global batch's elements.
            const auto [from, to] = job ? job->shard(c.batchSize) : std::pair<int64_t, int64_t>{0, c.batchSize};
            const auto rows = [&, from = from, to = to](const at::Tensor& t) {
                return job && t.defined() ? t.slice(0, from, to) : t;
            };
            const auto denoised = model->denoise(rows(x + noise * s), rows(sigma), rows(labels));
            const auto loss = job ? (rows(weight) * (denoised - rows(x)).pow(2)).sum() / static_cast<double>(x.numel())
                                  : (weight * (denoised - x).pow(2)).mean();
            // Linear warm-up over the first 200 iterations, then constant or a cosine decay to 0.
            double lr = c.lr * std::min(1.0, double(it + 1) / 200.0);
            if (o.lrDecayFrom > 0 && it >= o.lrDecayFrom)
                lr *= 0.5 * (1.0 + std::cos(M_PI * double(it - o.lrDecayFrom) / double(c.iterations - o.lrDecayFrom)));
            for (auto& group : optimizer.param_groups())
                static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
            optimizer.zero_grad();
            loss.backward();
            double l = 0.0;
            if (job) {
                const auto sum = sumGradients(*job, model->parameters(), loss, cancel && cancel->isCancelled());
                if (sum.stop) throw Cancelled(); // before this step's update: `it` iterations are finished
                l = sum.loss;
            } else {
                l = loss.item<double>();
            }
            optimizer.step();
            updateEma(*ema, *model, o.emaDecay);
            if (!std::isfinite(l))
                throw Error("training diverged (non-finite loss at iteration " + std::to_string(it) + "); lower ‹lr›");
            meter.addLoss(l);
            const bool checkpoint = (it + 1) % c.checkpointEvery == 0 && it + 1 < c.iterations;
            if (checkpoint) save(it + 1);
            meter.report(it + 1, checkpoint, std::nan(""), checkpoint);
        }
    } catch (const Cancelled&) {
        if (it > start) save(it); // keep the finished iterations
        throw stoppedTraining(start, it, c.checkpoint);
    } catch (const PeerLost&) { // a rank of the job was lost before this step's update
        if (it > start) save(it);
        throw;
    }
    meter.report(c.iterations, true);
    save(c.iterations);
    return {meta.iterations, meta.loss, std::nan(""), meta.seconds, parameterCount(*model), c.checkpoint};
}

void writeRawWeightsCheckpoint(const std::string& in, const std::string& out)
{
    auto meta = readCheckpointMeta(in);
    if (meta.kind != "score")
        throw Error("‹denoiser›: '" + in + "' holds a " + meta.kind + " model, not a score network's checkpoint");
    std::error_code ec;
    if (std::filesystem::equivalent(in, out, ec))
        throw Error("‹raw-weights›: '" + out + "' is the ‹denoiser› file itself; choose another path");
    auto model = makeScoreNet(meta.net);
    auto ema = makeScoreNet(meta.net);
    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(meta.lr > 0 ? meta.lr : 1e-3));
    loadCheckpoint(in, {{"model", model.get()}, {"ema", ema.get()}}, &optimizer);
    copyParameters(*ema, *model);
    meta.emaDecay = 0.0;
    saveCheckpoint(out, meta, {{"model", model.get()}, {"ema", ema.get()}}, &optimizer);
}

} // namespace dg
