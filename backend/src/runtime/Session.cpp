#include "dg/Session.h"
#include "dg/TorchScriptExport.h"

#include "dg/CancelToken.h"
#include "dg/Error.h"
#include "dg/Sampling.h"
#include "dg/Toys.h"
#include "dg/Trajectory.h"
#include "runtime/TrainingJobRunner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace dg {
namespace {

using Clock = std::chrono::steady_clock;

struct Branch
{
    int id = 0;
    std::optional<Trajectory> guided;
    std::optional<Trajectory> unguided; // lockstep companion without guidance
};

// Frame of records()[index] (the state before that step and what the step saw).
std::shared_ptr<Frame> stepFrame(int branch, const Trajectory& guided, const Trajectory* unguided, size_t index,
                                 double seconds)
{
    auto f = std::make_shared<Frame>();
    const auto& r = *guided.records().at(index);
    f->branch = branch;
    f->steps = guided.stepCount();
    f->seconds = seconds;
    f->step = r.step;
    f->sigma = r.sigma;
    f->weight = r.weight;
    f->weight2 = r.weight2;
    f->x = r.x;
    f->denoised = r.denoised;
    f->correction = r.correction;
    f->logit = r.logit;
    f->unguidedSigma = r.sigma;
    if (unguided) {
        const auto& u = *unguided->records().at(index);
        f->unguidedX = u.x;
        f->unguidedDenoised = u.denoised;
    }
    return f;
}

// The data density at the frame's σ behind 2-D toy particles (cheap: a mixture on a small grid).
FramePtr withDensity(std::shared_ptr<Frame> f, const std::string& toy)
{
    if (toy.empty() || !isToy(toy)) return f;
    // The plot fits the particle cloud (at large σ it is far wider than the data): every particle stays in view, and
    // the density is drawn over the same square. A few round sizes, so the view does not jitter between steps.
    float reach = 0.0f;
    for (const HostTensor* t : {&f->x, &f->unguidedX, &f->denoised, &f->unguidedDenoised})
        for (float v : t->values)
            if (std::isfinite(v)) reach = std::max(reach, std::fabs(v));
    double extent = 1.6;
    for (double decade = 1.0; extent < 1.08 * reach; decade *= 10.0)
        for (double m : {2.0, 3.0, 5.0, 8.0, 10.0})
            if (extent < 1.08 * reach) extent = m * decade;
    f->extent = extent;
    f->densityRes = 128;
    f->logDensity = toyLogDensityGrid(toy, std::max(f->sigma, 0.03), f->extent, f->densityRes);
    return f;
}

// The final sample (σ = 0): prediction = state, no correction.
std::shared_ptr<Frame> finalFrame(int branch, const Trajectory& guided, const Trajectory* unguided)
{
    auto f = std::make_shared<Frame>();
    f->branch = branch;
    f->steps = f->step = guided.stepCount();
    f->x = guided.state();
    f->denoised = f->x;
    f->correction.shape = f->x.shape;
    f->correction.values.assign(f->x.values.size(), 0.0f);
    if (unguided) f->unguidedX = f->unguidedDenoised = unguided->state();
    return f;
}

} // namespace

struct Session::Impl
{
    Listener listener;

    std::mutex mutex; // guards queue, stop, stepCancel and the copies read by other threads (spec, device)
    std::condition_variable wake;
    std::deque<std::function<void()>> queue;
    bool stop = false;
    CancelToken stepCancel; // cancels the network evaluation in flight on the sampling worker
    std::atomic<uint64_t> generation{0};
    std::atomic<int> stepIntervalMs{0};
    std::string loadedSpec; // the loaded denoiser, for training jobs
    std::string loadedDataset;
    Device loadedDevice = Device::Cpu;

    // Sampling-worker state (touched by the worker thread only).
    DenoiserPtr denoiser;
    DiscriminatorPtr discriminator;
    Device device = Device::Cpu;
    std::string toy; // the loaded denoiser's built-in toy, if any
    RunSettings settings;
    bool compare = false;
    uint64_t run = 0;
    std::vector<Branch> branches;
    int playing = -1;
    int singleStep = -1;
    Clock::time_point lastStep{};

    TrainingJobRunner trainer;
    std::thread worker;

    explicit Impl(Listener l) : listener(std::move(l)), trainer([this](const SessionEvent& e) { emit(e); }) {}

    void emit(const SessionEvent& e)
    {
        if (listener) listener(e);
    }
    void emitSimple(SessionEvent::Kind kind, int branch = 0, const std::string& message = {})
    {
        SessionEvent e;
        e.kind = kind;
        e.run = run;
        e.branch = branch;
        e.message = message;
        emit(e);
    }

    void post(std::function<void()> command, bool cancelInFlight)
    {
        {
            std::lock_guard lock(mutex);
            if (cancelInFlight) stepCancel.cancel();
            queue.push_back(std::move(command));
        }
        wake.notify_one();
    }

    static bool companionBehind(const Branch& b)
    {
        return b.unguided && b.unguided->currentStep() < b.guided->currentStep();
    }
    bool branchOpen(int b) const
    {
        if (b < 0 || b >= static_cast<int>(branches.size())) return false;
        const Branch& br = branches[static_cast<size_t>(b)];
        return !br.guided->finished() || companionBehind(br);
    }
    int wantedStep() const
    {
        if (branchOpen(singleStep)) return singleStep;
        return branchOpen(playing) ? playing : -1;
    }

    void loop()
    {
        for (;;) {
            std::deque<std::function<void()>> commands;
            {
                std::unique_lock lock(mutex);
                for (;;) {
                    if (stop || !queue.empty()) break;
                    const int b = wantedStep();
                    if (b < 0) {
                        wake.wait(lock);
                        continue;
                    }
                    const auto due =
                        b == singleStep ? Clock::now() : lastStep + std::chrono::milliseconds(stepIntervalMs.load());
                    if (Clock::now() >= due) break;
                    wake.wait_until(lock, due);
                }
                if (stop) return;
                commands.swap(queue);
                stepCancel.reset();
            }
            for (auto& command : commands)
                guarded(command);
            if (commands.empty()) {
                const int b = wantedStep();
                if (b >= 0) guarded([&] { stepBranch(b); });
            }
        }
    }

    void guarded(const std::function<void()>& work)
    {
        try {
            work();
        } catch (const Cancelled&) {
            // The request that cancelled reports for itself.
        } catch (const std::exception& e) {
            playing = singleStep = -1;
            emitSimple(SessionEvent::Kind::Failed, 0, errorMessage(e));
        }
    }

    // One step of the branch. With the unguided companion both runs step together, one denoiser call per evaluation
    // for both (Trajectory::stepTogether), and the step is published complete. A companion that is behind (an older
    // branch state) catches up on its own before the next guided step.
    void stepBranch(int b)
    {
        if (b == singleStep) singleStep = -1;
        auto& br = branches[static_cast<size_t>(b)];
        SessionEvent e;
        e.kind = SessionEvent::Kind::Frame;
        e.run = run;
        e.branch = b;
        const auto t0 = Clock::now();
        const auto publish = [&](const Trajectory* companion, size_t index) {
            lastStep = Clock::now();
            e.frame = withDensity(
                stepFrame(b, *br.guided, companion, index, std::chrono::duration<double>(lastStep - t0).count()), toy);
            emit(e);
        };
        if (br.unguided && !companionBehind(br)) {
            Trajectory::stepTogether(*br.guided, *br.unguided, &stepCancel); // a cancel leaves both unchanged
            publish(&*br.unguided, br.unguided->records().size() - 1);
        } else {
            if (!companionBehind(br)) {
                br.guided->step(&stepCancel); // a cancel leaves it unchanged
                publish(nullptr, br.guided->records().size() - 1);
            }
            if (br.unguided) {
                br.unguided->step(&stepCancel);
                publish(&*br.unguided, br.unguided->records().size() - 1);
            }
        }
        if (br.guided->finished() && !companionBehind(br)) {
            e.frame = withDensity(finalFrame(b, *br.guided, br.unguided ? &*br.unguided : nullptr), toy);
            emit(e);
            if (playing == b) playing = -1;
            emitSimple(SessionEvent::Kind::BranchFinished, b);
        }
    }

    void newRun(const RunSettings& s, bool withCompanion, bool play, uint64_t generation)
    {
        run = generation;
        branches.clear();
        playing = singleStep = -1;
        if (!denoiser) throw Error("no model loaded");
        validate(s);
        settings = s;
        compare = withCompanion;
        Branch b;
        b.guided.emplace(denoiser, discriminator, s, device);
        if (withCompanion) {
            RunSettings off = s;
            off.guidance.enabled = false;
            b.unguided.emplace(denoiser, discriminator, off, device);
        }
        branches.push_back(std::move(b));
        emitSimple(SessionEvent::Kind::RunStarted, 0);
        if (play) playing = 0;
        lastStep = Clock::time_point{};
    }

    Branch& branchAt(int b)
    {
        if (b < 0 || b >= static_cast<int>(branches.size()))
            throw Error("branch " + std::to_string(b) + ": no such branch in this run");
        return branches[static_cast<size_t>(b)];
    }
};

Session::Session(Listener listener) : m_impl(std::make_unique<Impl>(std::move(listener)))
{
    initRuntime();
    m_impl->worker = std::thread([impl = m_impl.get()] {
        lowerThreadPriority(5); // below the GUI thread (and its GL rasteriser), above background training
        impl->loop();
    });
}

Session::~Session()
{
    m_impl->trainer.cancelAndJoin();
    {
        std::lock_guard lock(m_impl->mutex);
        m_impl->stop = true;
        m_impl->stepCancel.cancel();
    }
    m_impl->wake.notify_one();
    m_impl->worker.join();
}

void Session::loadModels(const std::string& denoiserSpec, const std::string& discriminatorSpec, Device requested)
{
    auto* d = m_impl.get();
    d->post(
        [d, denoiserSpec, discriminatorSpec, requested] {
            d->branches.clear();
            d->playing = d->singleStep = -1;
            const Device device = resolveDevice(requested);
            auto denoiser = loadDenoiser(denoiserSpec, device);
            const auto info = modelInfo(*denoiser);
            if (!info.sampleShape) throw Error("denoiser '" + denoiserSpec + "' declares no sample shape");
            DiscriminatorPtr disc;
            if (!discriminatorSpec.empty()) disc = loadDiscriminator(discriminatorSpec, device, *info.sampleShape);
            d->denoiser = denoiser;
            d->discriminator = disc;
            d->device = device;
            // Built-in toys name their data set "ring8"; trained models "toy:ring8".
            const std::string dataset = info.dataset.rfind("toy:", 0) == 0 ? info.dataset.substr(4) : info.dataset;
            d->toy = isToy(dataset) ? dataset : std::string();
            {
                std::lock_guard lock(d->mutex);
                d->loadedSpec = denoiserSpec;
                d->loadedDataset = dataset;
                d->loadedDevice = device;
            }
            SessionEvent e;
            e.kind = SessionEvent::Kind::ModelsLoaded;
            e.run = d->run;
            e.models = LoadedModels{info, disc ? std::optional(modelInfo(*disc)) : std::nullopt, *info.sampleShape,
                                    describeDevice(device)};
            d->emit(e);
        },
        true);
}

uint64_t Session::startRun(const RunSettings& settings, bool compare, bool play)
{
    auto* d = m_impl.get();
    const uint64_t generation = ++d->generation;
    d->post([d, settings, compare, play, generation] { d->newRun(settings, compare, play, generation); }, true);
    return generation;
}

uint64_t Session::currentRun() const
{
    return m_impl->generation.load();
}

void Session::play(int branch)
{
    auto* d = m_impl.get();
    d->post([d, branch] { d->playing = branch; }, false);
}

void Session::pause()
{
    auto* d = m_impl.get();
    d->post(
        [d] {
            const int b = d->playing >= 0 ? d->playing : d->singleStep;
            d->playing = d->singleStep = -1;
            d->emitSimple(SessionEvent::Kind::Paused, std::max(b, 0));
        },
        true);
}

void Session::stepOnce(int branch)
{
    auto* d = m_impl.get();
    d->post([d, branch] { d->singleStep = branch; }, false);
}

void Session::setStepInterval(int milliseconds)
{
    m_impl->stepIntervalMs.store(std::max(0, milliseconds));
    m_impl->wake.notify_one();
}

void Session::setGuidance(int branch, const GuidanceSettings& guidance)
{
    auto* d = m_impl.get();
    d->post(
        [d, branch, guidance] {
            d->settings.guidance = guidance;
            if (branch >= 0 && branch < static_cast<int>(d->branches.size()))
                d->branches[static_cast<size_t>(branch)].guided->setGuidance(guidance);
        },
        false);
}

void Session::branch(int fromBranch, int atStep, const GuidanceSettings& guidance, bool play)
{
    auto* d = m_impl.get();
    d->post(
        [d, fromBranch, atStep, guidance, play] {
            auto& from = d->branchAt(fromBranch);
            if (atStep < 0 || atStep > from.guided->currentStep() ||
                (from.unguided && atStep > from.unguided->currentStep()))
                throw Error("branch: step " + std::to_string(atStep) + " of branch " + std::to_string(fromBranch) +
                            " is not computed yet");
            Branch b;
            b.id = static_cast<int>(d->branches.size());
            b.guided.emplace(from.guided->fork(atStep));
            b.guided->setGuidance(guidance);
            if (from.unguided) b.unguided.emplace(from.unguided->fork(atStep));
            d->branches.push_back(std::move(b));
            SessionEvent e;
            e.kind = SessionEvent::Kind::BranchCreated;
            e.run = d->run;
            e.branch = d->branches.back().id;
            e.parentBranch = fromBranch;
            e.forkStep = atStep;
            d->emit(e);
            if (play) d->playing = e.branch;
        },
        false);
}

void Session::adoptDiscriminator(DiscriminatorPtr discriminator, const std::string& savePath)
{
    auto* d = m_impl.get();
    d->post(
        [d, discriminator, savePath] {
            if (discriminator && !savePath.empty()) {
                if (!d->denoiser) throw Error("no model loaded");
                const auto shape = modelInfo(*d->denoiser).sampleShape;
                exportDiscriminatorTorchScript(*discriminator, shape.value_or(std::vector<int64_t>{}), savePath);
            }
            d->discriminator = discriminator;
            for (auto& b : d->branches) {
                b.guided->setDiscriminator(discriminator);
                if (b.unguided) b.unguided->setDiscriminator(discriminator);
            }
            SessionEvent e;
            e.kind = SessionEvent::Kind::DiscriminatorAdopted;
            e.run = d->run;
            e.message = discriminator ? modelInfo(*discriminator).description : std::string("none");
            e.path = discriminator ? savePath : std::string();
            d->emit(e);
        },
        false);
}

void Session::sweep(const std::vector<double>& weights, int64_t count)
{
    auto* d = m_impl.get();
    d->post(
        [d, weights, count] {
            if (!d->denoiser) throw Error("no model loaded");
            SessionEvent e;
            e.kind = SessionEvent::Kind::SweepFinished;
            e.run = d->run;
            e.sweepWeights = weights;
            for (double w : weights) {
                RunSettings s = d->settings;
                s.count = std::min(count, s.count);
                s.guidance.enabled = w != 0.0;
                s.guidance.weight = w;
                s.guidance.weight2 = w;
                Trajectory t(d->denoiser, w != 0.0 ? d->discriminator : nullptr, s, d->device);
                t.setRecordStates(false);
                t.runToEnd(&d->stepCancel);
                e.sweepSamples.push_back(t.state());
            }
            d->emit(e);
        },
        false);
}

void Session::startTraining(const TrainingJob& job)
{
    std::string spec, dataset;
    Device device;
    {
        std::lock_guard lock(m_impl->mutex);
        spec = m_impl->loadedSpec;
        dataset = m_impl->loadedDataset;
        device = m_impl->loadedDevice;
    }
    m_impl->trainer.start(job, spec, dataset, device);
}

void Session::cancelTraining()
{
    m_impl->trainer.cancel();
}

bool Session::trainingRunning() const
{
    return m_impl->trainer.running();
}

} // namespace dg
