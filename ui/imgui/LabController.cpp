#include "LabController.h"
#include "dg/Error.h"

#include "dg/Export.h"
#include "dg/Models.h"

#include <cmath>

namespace dg::lab {
namespace {

// dg-lab's one table from the backend's field ids to the controls of its panel (LabUi.cpp).
const FieldLabels kLabels = {
    {"denoiser", "Model: denoiser"},     {"discriminator", "Model: discriminator"},
    {"sampler", "Sampler: sampler"},     {"steps", "Sampler: steps"},
    {"seed", "Sampler: seed"},           {"count", "Sampler: batch"},
    {"dg-weight", "Guidance: weight w"}, {"dg-preset", "Guidance: preset"},
    {"fps", "animation speed"},
};

std::string labErrorMessage(const std::exception& e)
{
    return renameFields(errorMessage(e), kLabels);
}

} // namespace

LabController::LabController() : m_diagnosisJob([this](JobTracker::Callback report) { post(std::move(report)); })
{
    m_session = std::make_unique<Session>([this](const SessionEvent& e) { post([this, e] { handle(e); }); });
    m_playback = std::make_unique<Playback>(*m_session);
    request.denoiser = "builtin:ring8-model";
    request.discriminator = "builtin:ring8-disc";
    request.settings.count = 256;
    request.settings.guidance.weight = 1.0;
}

LabController::~LabController()
{
    m_diagnosisJob.cancelAndJoin();
    m_session.reset();
}

void LabController::post(std::function<void()> callback)
{
    {
        std::lock_guard lock(m_mutex);
        m_queue.push_back(std::move(callback));
    }
    if (wake) wake();
}

void LabController::diagnose(int count)
{
    if (diagnosing()) return;
    if (!running() || m_runRequest.discriminator.empty()) {
        m_diagnosisError = "nothing to diagnose: sample once with a discriminator";
        return;
    }
    m_diagnosisError.clear();
    m_diagnosisProgress = {};
    m_diagnosisGuidance = m_runRequest.settings.guidance;
    auto result = std::make_shared<std::optional<DiscriminatorDiagnosis>>();
    m_diagnosisJob.start(
        [this, run = m_runRequest, count, result](const JobTracker::Context& job) {
            *result = diagnoseRun(
                run, count,
                [this, &job](const StageProgress& p, double left) {
                    job.report([this, p, left] { m_diagnosisProgress = {p, left}; });
                },
                &job.cancel());
        },
        [this, result](const JobTracker::Outcome& outcome) {
            if (outcome.cancelled)
                m_diagnosisError = "diagnosis cancelled";
            else if (!outcome.ok())
                m_diagnosisError = renameFields(outcome.error, kLabels);
            else
                m_diagnosis = std::move(*result);
        });
}

KindDefaults LabController::defaultsFor(const std::string& denoiser)
{
    return kindDefaults(drawsPoints(denoiser));
}

void LabController::choosePair(const std::string& denoiser, const std::string& discriminator, bool keepCount)
{
    request.denoiser = denoiser;
    request.discriminator = discriminator;
    if (!keepCount) request.settings.count = defaultsFor(denoiser).count;
}

void LabController::pickPair(const std::string& denoiser, const std::string& discriminator)
{
    choosePair(denoiser, discriminator);
    const bool enabled = request.settings.guidance.enabled;
    request.settings.guidance = kindGuidance(drawsPoints(denoiser));
    request.settings.guidance.enabled = enabled;
    sample();
}

void LabController::sample()
{
    m_error.clear();
    try {
        validate(request.settings);
    } catch (const std::exception& e) {
        m_error = labErrorMessage(e);
        return;
    }
    if (!m_models || request.denoiser != m_loadedDenoiser || request.discriminator != m_loadedDiscriminator ||
        request.device != m_loadedDevice) {
        m_loadedDenoiser = request.denoiser;
        m_loadedDiscriminator = request.discriminator;
        m_loadedDevice = request.device;
        m_models.reset();
        m_loading = true;
        m_runAfterLoad = true;
        m_status = "loading " + request.denoiser + " …";
        m_session->loadModels(request.denoiser, request.discriminator, request.device);
        return;
    }
    startRun();
}

void LabController::startRun()
{
    m_runRequest = request;
    m_session->setStepInterval(stepIntervalMs);
    m_playback->setReplayInterval(stepIntervalMs);
    m_playback->start(m_session->startRun(request.settings, compare, true), request.settings.sampler.schedule.steps,
                      request.settings.guidance);
    m_status = "sampling";
}

void LabController::togglePlay()
{
    if (!running())
        sample();
    else
        m_playback->togglePlay();
}

void LabController::tick(double now)
{
    m_playback->tick(now);
}

void LabController::applyGuidance()
{
    m_playback->setGuidance(request.settings.guidance);
}

void LabController::toggleGuidance()
{
    request.settings.guidance.enabled = !request.settings.guidance.enabled;
    applyGuidance();
}

void LabController::setStepInterval(int milliseconds)
{
    stepIntervalMs = std::max(0, milliseconds);
    m_session->setStepInterval(stepIntervalMs);
    m_playback->setReplayInterval(stepIntervalMs);
}

void LabController::cancelDiagnosis()
{
    m_diagnosisJob.cancel();
}

int LabController::drain()
{
    std::deque<std::function<void()>> queued;
    {
        std::lock_guard lock(m_mutex);
        queued.swap(m_queue);
    }
    for (const auto& callback : queued)
        callback();
    return static_cast<int>(queued.size());
}

void LabController::handle(const SessionEvent& e)
{
    using Kind = SessionEvent::Kind;
    switch (m_playback->apply(e, request.settings.guidance)) {
    case HistoryUpdate::Other:
        break;
    case HistoryUpdate::FrameAdded:
        if (e.frame->seconds > 0) m_lastStepSeconds = e.frame->seconds;
        return;
    case HistoryUpdate::BranchFinished:
        m_status = "finished";
        return;
    default: // stale, rejected, or nothing dg-lab shows (branches, sweeps)
        return;
    }
    switch (e.kind) {
    case Kind::ModelsLoaded:
        m_models = e.models;
        m_loading = false;
        m_status = "loaded " + e.models->denoiser.spec + " on " + e.models->device;
        { // a class-conditional pair samples every class in turn; an unconditional one takes no class
            const bool conditional = e.models->denoiser.classConditional ||
                                     (e.models->discriminator && e.models->discriminator->classConditional);
            if (!conditional)
                request.settings.classLabel.reset();
            else if (!request.settings.classLabel)
                request.settings.classLabel = kEveryClass;
        }
        if (m_runAfterLoad) {
            m_runAfterLoad = false;
            startRun();
        }
        break;
    case Kind::Failed:
        m_loading = m_runAfterLoad = false;
        m_playback->stop();
        m_error = renameFields(e.message, kLabels);
        break;
    default:
        break;
    }
}

std::vector<gl::FramePanel> LabController::panels() const
{
    std::vector<gl::FramePanel> out;
    const FramePtr f = shownFrame();
    if (!f) return out;
    const auto history = m_playback->trail(branch());
    if (compareView) return gl::comparePanels(f, "guided", history, mode);
    out.push_back({f, false, "guided", history, std::nullopt});
    return out;
}

double LabController::meanD() const
{
    const FramePtr f = shownFrame();
    if (!f || f->logit.empty()) return std::nan("");
    double sum = 0;
    for (float l : f->logit)
        sum += 1.0 / (1.0 + std::exp(-static_cast<double>(l)));
    return sum / static_cast<double>(f->logit.size());
}

bool LabController::exportGrid(const std::string& path, std::string* error) const
{
    try {
        gl::exportPanels(path, panels(), mode, branch(), m_playback->exportRequest(m_runRequest));
    } catch (const std::exception& e) {
        if (error) *error = labErrorMessage(e);
        return false;
    }
    return true;
}

bool LabController::exportAnimation(const std::string& path, const AnimationTiming& timing, std::string* error) const
{
    try {
        gl::exportAnimation(path, m_playback->recorded(), mode, m_playback->exportRequest(m_runRequest),
                            m_models ? m_models->denoiser.dataset : std::string(), timing);
    } catch (const std::exception& e) {
        if (error) *error = labErrorMessage(e);
        return false;
    }
    return true;
}

} // namespace dg::lab
