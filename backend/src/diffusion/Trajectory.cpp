#include "dg/Trajectory.h"

#include "core/HostConversion.h"
#include "core/Plausible.h"
#include "core/TorchDevice.h"
#include "dg/Error.h"
#include "dg/SamplerRegistry.h"
#include "dg/Sampling.h"
#include "dg/Schedule.h"
#include "diffusion/FormatSigma.h"
#include "diffusion/GuidedDenoiser.h"
#include "diffusion/NoiseSource.h"
#include "diffusion/Samplers.h"

#include <chrono>
#include <cmath>
#include <optional>
#include <sstream>
#include <tuple>

namespace dg {

struct Trajectory::Impl
{
    RunSettings settings;
    c10::Device device{c10::kCPU};
    std::vector<int64_t> sampleShape;
    std::vector<double> sigmas;
    GuidedDenoiser guided;
    std::vector<at::Tensor> states; // states[k]: x after k steps, on the device
    std::vector<std::shared_ptr<const StepRecord>> records;
    bool recordStates = true;
    at::Tensor lastLogit; // boosting: each sample's logit at the last guided predictor evaluation (undefined: none)
    std::vector<SamplerMemory> memories; // memories[k]: what a multistep sampler carries after k steps (like states)

    struct Prepared; // one step under way (defined below)
    const StepRecord& step(const CancelToken* cancel);
    const StepRecord& run(Prepared p, const CancelToken* cancel); // a step prepared on this trajectory
    Prepared prepare() const;
    EvalGuidance guidanceFor(Prepared& p, double sigma, int evaluation) const;
    at::Tensor stepNoise(const Prepared& p, const at::Tensor& index) const;
    void check(const Prepared& p, const at::Tensor& xNext) const;
    const StepRecord& commit(Prepared& p, const at::Tensor& xNext);
    static bool canShareCalls(const Impl& a, const Prepared& pa, const Impl& b, const Prepared& pb);
    static void stepShared(Impl& a, Impl& b, const CancelToken* cancel);
};

namespace {

bool allFinite(const at::Tensor& t)
{
    return at::isfinite(t).all().item<bool>();
}

double maxAbs(const at::Tensor& t)
{
    return t.numel() ? t.abs().max().item<double>() : 0.0;
}

// Plausible ranges (core/Plausible.h, docs/RELIABILITY.md): a state or a denoiser estimate beyond
// ±10·(1 + σ_max) is a failure, not a sample.
using plausible::kNoiseBound;

// NoiseSource streams: 0 the start, k + 1 the churn of step k, kSamplerNoiseStream + k a stochastic sampler's step k.
constexpr uint64_t kSamplerNoiseStream = uint64_t{1} << 32;

std::string atStep(int step, double sigma)
{
    return "step " + std::to_string(step) + " (sigma=" + formatSigma(sigma) + ")";
}

struct Evaluated
{
    at::Tensor denoised;   // D_DG
    at::Tensor raw;        // D, before guidance
    at::Tensor correction; // undefined when unguided
    double sigma = 0.0;
    bool guided = false;
    double inputReach = 0.0; // max |x| the denoiser was given (NaN when x was not finite)
    bool gradientFinite = true;
};

// Names the culprit of a broken step: the denoiser itself (its raw estimate, before guidance), the discriminator's
// gradient, or the guidance weight.
void checkStep(int step, const std::vector<Evaluated>& evaluated, const at::Tensor& xNext, double sigmaNext,
               double sigmaMax, const std::string& denoiserSpec, const std::string& discriminatorSpec)
{
    const bool finite = allFinite(xNext);
    const double bound = plausible::stateBound(sigmaMax);
    const double reach = finite ? maxAbs(xNext) : 0.0;
    bool denoisedOk = true;
    bool guidedBefore = false; // an earlier evaluation of this step was guided
    for (const auto& e : evaluated) {
        // A corrector evaluated on a predictor state that guidance already pushed out of range: not the models' fault.
        if (guidedBefore && !(e.inputReach <= bound)) {
            denoisedOk = false;
            break;
        }
        guidedBefore = guidedBefore || e.guided;
        if (!e.gradientFinite)
            throw Error("the discriminator '" + discriminatorSpec + "' gave a NaN/Inf gradient at " +
                        atStep(step, e.sigma) + "; check the discriminator file");
        const auto& raw = e.raw;
        if (!allFinite(raw))
            throw Error("the denoiser '" + denoiserSpec + "' produced NaN/Inf at " + atStep(step, e.sigma) +
                        " before any guidance: the model is at fault; check the model file");
        if (const double m = maxAbs(raw); m > bound)
            throw Error("the denoiser '" + denoiserSpec + "' estimated values up to " + formatSigma(m) + " at " +
                        atStep(step, e.sigma) + " (data lie in [-1, 1], allowed " + formatSigma(bound) +
                        "): the model is at fault; check the model file");
        denoisedOk = denoisedOk && allFinite(e.denoised);
    }
    if (finite && denoisedOk && reach <= bound) return;
    bool guided = false;
    for (const auto& e : evaluated)
        guided = guided || e.guided;
    std::string msg = "the sample left the plausible range at " + atStep(step, sigmaNext) + " (|x| ";
    msg += finite ? "up to " + formatSigma(reach) : std::string("NaN/Inf");
    msg += ", allowed " + formatSigma(bound) + ")";
    msg += guided ? ": the guidance of '" + discriminatorSpec +
                        "' is too strong here; lower ‹dg-weight› / ‹dg-weight-2nd› or narrow the sigma window"
                  : ": check the start noise and the sampler settings";
    throw Error(msg);
}

std::vector<int64_t> resolveShape(const DenoiserPtr& denoiser, const HostTensor* noise)
{
    if (noise) return noise->sampleShape();
    const auto shape = denoiser->info().sampleShape;
    if (!shape) throw Error("denoiser '" + denoiser->info().spec + "' declares no sample shape; give a ‹noise› file");
    return *shape;
}

std::optional<at::Tensor> classLabels(const RunSettings& s, const DenoiserPtr& d, const DiscriminatorPtr& disc,
                                      int64_t count, const c10::Device& device)
{
    const bool wants = d->info().classConditional || (disc && disc->info().classConditional);
    if (s.classLabel && !wants) throw Error("‹class›: neither the denoiser nor the discriminator is class-conditional");
    if (!s.classLabel && wants)
        throw Error("‹class›: '" + (d->info().classConditional ? d->info().spec : disc->info().spec) +
                    "' is class-conditional; give a class label");
    if (!s.classLabel) return std::nullopt;
    int64_t classes = 0; // what the conditional models declare (they must agree)
    for (const ModelInfo& info : {d->info(), disc ? disc->info() : ModelInfo{}}) {
        if (!info.classConditional || info.numClasses == 0) continue;
        if (classes != 0 && classes != info.numClasses)
            throw Error("‹class›: the denoiser and the discriminator have different numbers of classes (" +
                        std::to_string(classes) + " and " + std::to_string(info.numClasses) + ")");
        classes = info.numClasses;
    }
    if (*s.classLabel == kEveryClass && classes == 0)
        throw Error("‹class› all: the models do not declare how many classes they have; give ‹class› K");
    if (*s.classLabel != kEveryClass && classes != 0 && *s.classLabel >= classes)
        throw Error("‹class›: " + std::to_string(*s.classLabel) + " is not a class of these models (0 … " +
                    std::to_string(classes - 1) + ")");
    std::vector<int64_t> labels(static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i)
        labels[static_cast<size_t>(i)] = classOfSample(s, i, classes);
    return at::tensor(labels, at::kLong).to(device);
}

} // namespace

Trajectory::Trajectory(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Trajectory::Trajectory(DenoiserPtr denoiser, DiscriminatorPtr discriminator, const RunSettings& settings, Device device,
                       const HostTensor* noise)
{
    if (!denoiser) throw Error("no denoiser given");
    validate(settings);
    RunSettings s = settings;
    if (noise) {
        if (noise->shape.size() < 2)
            throw Error("‹noise›: expected a tensor [N, ...], got " + shapeToString(noise->shape));
        s.count = noise->batch();
        // A standard-normal start: |z| > 10 has probability ~1e-23 per value.
        for (float v : noise->values)
            if (!(std::abs(v) <= kNoiseBound))
                throw Error("‹noise›: holds the value " + formatSigma(v) +
                            "; expected standard-normal noise (|z| <= " + formatSigma(kNoiseBound) + ")");
    }
    const auto torchDevice = toTorchDevice(device);
    auto shape = resolveShape(denoiser, noise);
    auto labels = classLabels(s, denoiser, discriminator, s.count, torchDevice);
    if (s.guidance.boost && !discriminator) throw Error("‹dg-boost›: boosting needs a ‹discriminator›");
    const auto model = denoiser->info();
    s.sampler.schedule = fitSchedule(s.sampler.schedule, model.sigmaMin, model.sigmaMax); // what runs is recorded
    m_impl = std::unique_ptr<Impl>(new Impl{s,
                                            torchDevice,
                                            shape,
                                            edmSigmas(s.sampler.schedule),
                                            GuidedDenoiser(denoiser, discriminator, labels),
                                            {},
                                            {},
                                            true,
                                            {},
                                            {}});
    m_impl->guided.setChunkRows(defaultBatchSize(shape, device));
    const auto eps = noise ? fromHost(*noise) : NoiseSource::normal(s.seed, s.firstSample, s.count, shape, 0);
    m_impl->states.push_back((eps * m_impl->sigmas.front()).to(torchDevice));
    m_impl->memories.emplace_back();
}

Trajectory::~Trajectory() = default;
Trajectory::Trajectory(Trajectory&&) noexcept = default;
Trajectory& Trajectory::operator=(Trajectory&&) noexcept = default;

int Trajectory::stepCount() const
{
    return static_cast<int>(m_impl->sigmas.size()) - 1;
}
int Trajectory::currentStep() const
{
    return static_cast<int>(m_impl->states.size()) - 1;
}
bool Trajectory::finished() const
{
    return currentStep() >= stepCount();
}
const RunSettings& Trajectory::settings() const
{
    return m_impl->settings;
}
std::vector<int64_t> Trajectory::sampleShape() const
{
    return m_impl->sampleShape;
}
const std::vector<double>& Trajectory::sigmas() const
{
    return m_impl->sigmas;
}
void Trajectory::setGuidance(const GuidanceSettings& guidance)
{
    m_impl->settings.guidance = guidance;
}
void Trajectory::setRecordStates(bool record)
{
    m_impl->recordStates = record;
}
void Trajectory::setEvaluationRows(int64_t rows)
{
    m_impl->guided.setChunkRows(rows);
}
void Trajectory::setDiscriminator(DiscriminatorPtr d)
{
    m_impl->guided.setDiscriminator(std::move(d));
}
const DiscriminatorPtr& Trajectory::discriminator() const
{
    return m_impl->guided.discriminator();
}
const std::vector<std::shared_ptr<const StepRecord>>& Trajectory::records() const
{
    return m_impl->records;
}

const StepRecord& Trajectory::step(const CancelToken* cancel)
{
    if (finished()) throw Error("the trajectory is finished (" + std::to_string(stepCount()) + " steps)");
    return m_impl->step(cancel);
}

void Trajectory::runToEnd(const CancelToken* cancel)
{
    while (!finished())
        step(cancel);
}

namespace {

// Samples that share one churned σ̂ within a step: all of them, or (boosted steps) the boosted and the others.
struct StepGroup
{
    at::Tensor index; // undefined: the whole batch
    double gamma = 0.0;
    double sNoise = 1.0;
    // Results
    at::Tensor xHat, xNext;
    double tHat = 0.0;
    GuidedEval first;
    SamplerMemory memory;
};

at::Tensor rows(const at::Tensor& t, const at::Tensor& index)
{
    return !t.defined() || !index.defined() ? t : t.index_select(0, index.to(t.device()));
}

// The groups' per-sample tensors put back in batch order (a group's undefined part reads as zeros, or stays
// undefined when every group's is).
at::Tensor assemble(const std::vector<StepGroup>& groups, at::Tensor (*part)(const StepGroup&), int64_t n)
{
    if (groups.size() == 1) return part(groups.front());
    at::Tensor out;
    for (const auto& g : groups) {
        const auto p = part(g);
        if (!p.defined()) continue;
        if (!out.defined()) {
            auto shape = p.sizes().vec();
            shape[0] = n;
            out = at::zeros(shape, p.options());
        }
        out.index_copy_(0, g.index.to(p.device()), p);
    }
    return out;
}

} // namespace

struct Trajectory::Impl::Prepared
{
    int i = 0;
    double tCur = 0.0, tNext = 0.0;
    SamplerStep stepFn = nullptr;
    int64_t n = 0;
    std::vector<StepGroup> groups;
    std::shared_ptr<StepRecord> record;
    std::vector<Evaluated> evaluated;
    bool doubleFakes = false;
    std::chrono::steady_clock::time_point start;
};

// The step's groups (churned up to their σ̂) and its record; nothing of the trajectory changes yet.
Trajectory::Impl::Prepared Trajectory::Impl::prepare() const
{
    Prepared p;
    p.start = std::chrono::steady_clock::now();
    p.i = static_cast<int>(states.size()) - 1;
    const int i = p.i;
    p.tCur = sigmas[i];
    p.tNext = sigmas[i + 1];
    const auto& sampler = settings.sampler;
    const auto& g = settings.guidance;
    p.stepFn = samplerStep(sampler.kind);
    if (!p.stepFn) throw Error("‹sampler›: unknown sampler '" + sampler.kind + "' (one of " + samplerKeys() + ")");
    const int64_t n = p.n = states[i].size(0);

    auto& groups = p.groups;
    groups.resize(1);
    groups[0].gamma = churnGamma(sampler.churn, sampler.schedule.steps, p.tCur);
    groups[0].sNoise = sampler.churn.sNoise;
    // Official boosting (alsdudrla10/DG generate.py): every 5th step, the samples judged fake at the last predictor
    // evaluation are churned with S_churn = 4, S_noise = 1.
    if (g.boost && g.enabled && i % 5 == 0 && lastLogit.defined()) {
        ChurnSettings boostChurn = sampler.churn;
        boostChurn.churn = 4.0;
        boostChurn.sNoise = 1.0;
        const double gammaBoost = churnGamma(boostChurn, sampler.schedule.steps, p.tCur);
        const auto fake = lastLogit.lt(0.0).cpu();
        const int64_t nFake = fake.sum().item<int64_t>();
        if (nFake > 0 && (gammaBoost != groups[0].gamma || boostChurn.sNoise != groups[0].sNoise)) {
            const auto all = at::arange(n, at::TensorOptions().dtype(at::kLong));
            StepGroup boosted;
            boosted.index = all.masked_select(fake);
            boosted.gamma = gammaBoost;
            boosted.sNoise = boostChurn.sNoise;
            groups[0].index = all.masked_select(fake.logical_not());
            if (nFake == n) groups.clear();
            groups.push_back(boosted);
        }
    }
    bool anyChurn = false;
    for (const auto& grp : groups)
        anyChurn = anyChurn || grp.gamma > 0.0;
    at::Tensor eps;
    if (anyChurn)
        eps = NoiseSource::normal(settings.seed, settings.firstSample, n, sampleShape, static_cast<uint64_t>(i) + 1)
                  .to(device);
    for (auto& grp : groups)
        std::tie(grp.xHat, grp.tHat) =
            churnUp(rows(states[i], grp.index), p.tCur, grp.gamma, rows(eps, grp.index), grp.sNoise);

    p.record = std::make_shared<StepRecord>();
    p.record->step = i;
    p.record->sigmaNext = p.tNext;
    // Official boosting doubles the predictor's guidance of fake-looking samples on every 2nd step.
    p.doubleFakes = g.boost && g.enabled && i % 2 == 0;
    return p;
}

// How evaluation 0 (predictor) or 1 (corrector) at σ is guided; recorded as the step's weights.
EvalGuidance Trajectory::Impl::guidanceFor(Prepared& p, double sigma, int evaluation) const
{
    const auto& g = settings.guidance;
    EvalGuidance eg;
    eg.weight = !g.activeAt(sigma) ? 0.0 : evaluation == 0 ? g.predictorWeight() : g.correctorWeight();
    eg.logitClip = g.logitClip;
    eg.doubleFakes = p.doubleFakes && evaluation == 0;
    (evaluation == 0 ? p.record->weight : p.record->weight2) = eg.weight;
    return eg;
}

// Fresh noise of this step for stochastic samplers: its own stream, keyed by (seed, sample, step) like churn.
at::Tensor Trajectory::Impl::stepNoise(const Prepared& p, const at::Tensor& index) const
{
    const auto z = NoiseSource::normal(settings.seed, settings.firstSample, p.n, sampleShape,
                                       kSamplerNoiseStream + static_cast<uint64_t>(p.i));
    return rows(z.to(device), index);
}

void Trajectory::Impl::check(const Prepared& p, const at::Tensor& xNext) const
{
    checkStep(p.i, p.evaluated, xNext, p.tNext, sigmas.front(), guided.denoiserSpec(), guided.discriminatorSpec());
}

const StepRecord& Trajectory::Impl::commit(Prepared& p, const at::Tensor& xNext)
{
    const auto& groups = p.groups;
    const int64_t n = p.n;
    auto& record = p.record;
    record->sigma = groups.front().tHat; // on a boosted step: the σ̂ of the samples that were not boosted
    const auto logit = assemble(
        groups, [](const StepGroup& s) { return s.first.logit; }, n);
    if (recordStates) {
        const auto xHat = assemble(
            groups, [](const StepGroup& s) { return s.xHat; }, n);
        const auto correction = assemble(
            groups, [](const StepGroup& s) { return s.first.correction; }, n);
        record->x = toHost(xHat);
        record->denoised = toHost(assemble(
            groups, [](const StepGroup& s) { return s.first.denoised; }, n));
        record->correction = toHost(correction.defined() ? correction : at::zeros_like(xHat));
    }
    if (logit.defined()) {
        const auto l = logit.detach().to(at::kCPU, at::kFloat).contiguous();
        record->logit.assign(l.data_ptr<float>(), l.data_ptr<float>() + l.numel());
    }
    // What boosting reads next: the logit of a guided predictor evaluation (official: log_ratio is refreshed only
    // when the predictor is guided; outside the window it reads "real", i.e. no boost).
    lastLogit = record->weight != 0.0 && logit.defined() ? logit.detach() : at::Tensor();
    states.push_back(xNext);
    memories.push_back({assemble(
                            groups, [](const StepGroup& s) { return s.memory.lastDenoised; }, n),
                        assemble(
                            groups, [](const StepGroup& s) { return s.memory.lastSigma; }, n)});
    record->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - p.start).count();
    records.push_back(record);
    return *records.back();
}

const StepRecord& Trajectory::Impl::step(const CancelToken* cancel)
{
    return run(prepare(), cancel);
}

const StepRecord& Trajectory::Impl::run(Prepared p, const CancelToken* cancel)
{
    for (auto& grp : p.groups) {
        const GuidedDenoiser model = grp.index.defined() ? guided.subset(grp.index) : guided;
        const DenoiseFn denoise = [&](const at::Tensor& x, double sigma, int evaluation) {
            const EvalGuidance eg = guidanceFor(p, sigma, evaluation);
            auto eval = model.evaluate(x, sigma, eg, evaluation == 0, cancel);
            const double inputReach = allFinite(x) ? maxAbs(x) : std::nan("");
            p.evaluated.push_back(
                {eval.denoised, eval.raw, eval.correction, sigma, eg.weight != 0.0, inputReach, eval.gradientFinite});
            if (evaluation == 0) grp.first = eval;
            return eval.denoised;
        };
        const SamplerMemory before{rows(memories[p.i].lastDenoised, grp.index),
                                   rows(memories[p.i].lastSigma, grp.index)};
        auto result = p.stepFn(
            {denoise, grp.xHat, grp.tHat, p.tNext, before, [&, index = grp.index] { return stepNoise(p, index); }});
        grp.xNext = std::move(result.xNext);
        grp.memory = std::move(result.memory);
    }
    const auto xNext = assemble(
        p.groups, [](const StepGroup& s) { return s.xNext; }, p.n);
    check(p, xNext);
    return commit(p, xNext);
}

// Two runs can share their network calls when each evaluation of both is the same call shape: the same denoiser
// and device, the same step, σ̂ and next σ, the same sampler (so the same evaluations), one churn group each (no
// boosted split), class labels on both or neither, and multistep memory on both or neither.
bool Trajectory::Impl::canShareCalls(const Impl& a, const Prepared& pa, const Impl& b, const Prepared& pb)
{
    const auto defined = [](const Impl& r, const Prepared& p) { return r.memories[p.i].lastDenoised.defined(); };
    return a.guided.denoiser() == b.guided.denoiser() && a.device == b.device && a.sampleShape == b.sampleShape &&
           pa.i == pb.i && pa.groups.size() == 1 && pb.groups.size() == 1 && pa.groups[0].tHat == pb.groups[0].tHat &&
           pa.tNext == pb.tNext && a.settings.sampler.kind == b.settings.sampler.kind &&
           a.guided.classLabels().has_value() == b.guided.classLabels().has_value() && defined(a, pa) == defined(b, pb);
}

// A guided run and its companion in one denoiser call per evaluation (issue "Interactive speed at any size"): the
// sampler steps over both runs' rows at once; each run's rows are then guided as that run asks (only the guided
// run's rows pay for the discriminator gradient). Either both steps are taken or neither.
void Trajectory::Impl::stepShared(Impl& a, Impl& b, const CancelToken* cancel)
{
    Prepared pa = a.prepare(), pb = b.prepare();
    if (!canShareCalls(a, pa, b, pb)) {
        Impl first = a; // a's step is kept only once b's succeeded too
        first.run(std::move(pa), cancel);
        b.run(std::move(pb), cancel);
        a = std::move(first);
        return;
    }
    auto& ga = pa.groups[0];
    auto& gb = pb.groups[0];
    const int64_t na = pa.n;
    const auto both = [&](const at::Tensor& x, const at::Tensor& y) {
        return x.defined() && y.defined() ? at::cat({x, y}) : at::Tensor();
    };
    std::optional<at::Tensor> labels;
    if (a.guided.classLabels()) labels = at::cat({*a.guided.classLabels(), *b.guided.classLabels()});
    const DenoiseFn denoise = [&](const at::Tensor& x, double sigma, int evaluation) {
        const auto raw = a.guided.denoise(x, sigma, labels, cancel);
        at::Tensor out[2];
        int k = 0;
        for (auto [run, p, grp, first, rowsOf] :
             {std::tuple{&a, &pa, &ga, int64_t{0}, na}, std::tuple{&b, &pb, &gb, na, pb.n}}) {
            const auto xs = x.narrow(0, first, rowsOf);
            const EvalGuidance eg = run->guidanceFor(*p, sigma, evaluation);
            auto eval = run->guided.guide(xs, raw.narrow(0, first, rowsOf), sigma, eg, evaluation == 0, cancel);
            const double inputReach = allFinite(xs) ? maxAbs(xs) : std::nan("");
            p->evaluated.push_back(
                {eval.denoised, eval.raw, eval.correction, sigma, eg.weight != 0.0, inputReach, eval.gradientFinite});
            if (evaluation == 0) grp->first = eval;
            out[k++] = eval.denoised;
        }
        return at::cat({out[0], out[1]});
    };
    const SamplerMemory before{both(a.memories[pa.i].lastDenoised, b.memories[pb.i].lastDenoised),
                               both(a.memories[pa.i].lastSigma, b.memories[pb.i].lastSigma)};
    auto result = pa.stepFn({denoise, at::cat({ga.xHat, gb.xHat}), ga.tHat, pa.tNext, before, [&] {
                                 return at::cat({a.stepNoise(pa, {}), b.stepNoise(pb, {})});
                             }});
    const auto split = [&](const at::Tensor& t, bool second) {
        return !t.defined() ? t : second ? t.narrow(0, na, pb.n) : t.narrow(0, 0, na);
    };
    ga.xNext = split(result.xNext, false);
    gb.xNext = split(result.xNext, true);
    ga.memory = {split(result.memory.lastDenoised, false), split(result.memory.lastSigma, false)};
    gb.memory = {split(result.memory.lastDenoised, true), split(result.memory.lastSigma, true)};
    a.check(pa, ga.xNext);
    b.check(pb, gb.xNext);
    a.commit(pa, ga.xNext);
    b.commit(pb, gb.xNext);
}

void Trajectory::stepTogether(Trajectory& a, Trajectory& b, const CancelToken* cancel)
{
    if (a.finished() || b.finished())
        throw Error("the trajectory is finished (" + std::to_string(std::max(a.stepCount(), b.stepCount())) +
                    " steps)");
    Impl::stepShared(*a.m_impl, *b.m_impl, cancel);
}

Trajectory Trajectory::fork(int atStep) const
{
    const int k = atStep < 0 ? currentStep() : atStep;
    if (k > currentStep())
        throw Error("fork: step " + std::to_string(k) + " has not been computed yet (at step " +
                    std::to_string(currentStep()) + ")");
    auto impl = std::make_unique<Impl>(*m_impl);
    impl->states.resize(k + 1);
    impl->memories.resize(k + 1);
    impl->records.resize(k);
    return Trajectory(std::move(impl));
}

HostTensor Trajectory::state(int atStep) const
{
    const int k = atStep < 0 ? currentStep() : atStep;
    if (k > currentStep()) throw Error("state: step " + std::to_string(k) + " has not been computed yet");
    return toHost(m_impl->states[k]);
}

LockstepPair::LockstepPair(DenoiserPtr denoiser, DiscriminatorPtr discriminator, const RunSettings& settings,
                           Device device, const HostTensor* noise)
    : m_guided(denoiser, discriminator, settings, device, noise), m_unguided(
                                                                      denoiser, discriminator,
                                                                      [&] {
                                                                          RunSettings off = settings;
                                                                          off.guidance.enabled = false;
                                                                          return off;
                                                                      }(),
                                                                      device, noise)
{
}

void LockstepPair::step(const CancelToken* cancel)
{
    // Fork both before stepping so a cancel between the two leaves the pair in lockstep.
    Trajectory::stepTogether(m_guided, m_unguided, cancel); // both steps or neither
}

} // namespace dg
