#include "StudioController.h"

#include "FieldLabels.h"
#include "dg/Diagnostics.h"
#include "dg/Error.h"

#include <QDateTime>

#include <QDir>
#include <QFileInfo>
#include <QMetaObject>
#include <QStandardPaths>
#include <chrono>

namespace dg::studio {

StudioController::StudioController(QObject* parent)
    : QObject(parent), m_diagnosisJob([this](JobTracker::Callback report) { deliver(std::move(report)); }),
      m_tuneJob([this](JobTracker::Callback report) { deliver(std::move(report)); })
{
    // Called on the session's worker threads: copy the event and hand it to the GUI thread.
    m_session = std::make_unique<Session>([this](const SessionEvent& event) {
        QMetaObject::invokeMethod(
            this, [this, event] { handle(event); }, Qt::QueuedConnection);
    });
    m_progressClock.start();
}

StudioController::~StudioController()
{
    m_diagnosisJob.cancelAndJoin();
    m_tuneJob.cancelAndJoin();
    m_session.reset(); // joins the worker threads before the members they report into go away
}

void StudioController::deliver(std::function<void()> report)
{
    QMetaObject::invokeMethod(this, std::move(report), Qt::QueuedConnection);
}

void StudioController::loadModels(const QString& denoiser, const QString& discriminator, Device device)
{
    m_models.reset();
    m_playback.start(0, 0, {}, false);
    m_session->loadModels(denoiser.toStdString(), discriminator.toStdString(), device);
}

void StudioController::startRun(const SampleRequest& request, bool compare, bool play)
{
    m_request = request;
    m_compare = compare;
    m_playback.start(m_session->startRun(request.settings, compare, play), request.settings.sampler.schedule.steps,
                     request.settings.guidance, play);
}

void StudioController::play(int branch)
{
    m_session->play(branch);
}
void StudioController::pause()
{
    m_session->pause();
}
void StudioController::stepOnce(int branch)
{
    m_session->stepOnce(branch);
}
void StudioController::setStepInterval(int milliseconds)
{
    m_session->setStepInterval(milliseconds);
}

void StudioController::setGuidance(int branch, const GuidanceSettings& guidance)
{
    m_request.settings.guidance = guidance;
    m_session->setGuidance(branch, guidance);
}

void StudioController::branch(int fromBranch, int atStep, const GuidanceSettings& guidance, bool play)
{
    m_request.settings.guidance = guidance;
    m_session->branch(fromBranch, atStep, guidance, play);
}

void StudioController::adoptSnapshot(int64_t iteration)
{
    for (const auto& [it, snapshot] : m_snapshots)
        if (it == iteration) {
            QString folder, stem;
            if (!m_trainingCheckpoint.empty()) {
                const QFileInfo checkpoint(QString::fromStdString(m_trainingCheckpoint));
                folder = checkpoint.absolutePath();
                stem = checkpoint.completeBaseName();
            } else {
                folder =
                    QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/snapshots");
                stem =
                    QStringLiteral("disc-") + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
            }
            if (!QDir().mkpath(folder)) {
                Q_EMIT failed(QStringLiteral("cannot create %1 to save the snapshot in").arg(folder));
                return;
            }
            const QString path = QStringLiteral("%1/%2-snapshot-%3.pt").arg(folder, stem).arg(iteration);
            m_session->adoptDiscriminator(snapshot, path.toStdString());
            return;
        }
    Q_EMIT failed(QStringLiteral("snapshot at iteration %1 is not available").arg(iteration));
}

void StudioController::sweep(const std::vector<double>& weights, int count)
{
    m_session->sweep(weights, count);
}

void StudioController::startTraining(const TrainingJob& job)
{
    m_snapshots.clear();
    m_trainingCheckpoint = job.checkpoint;
    m_snapshotDenoiser = m_models ? m_models->denoiser.spec : std::string();
    m_session->startTraining(job);
}

void StudioController::cancelTraining()
{
    m_session->cancelTraining();
}

void StudioController::diagnose(int count)
{
    if (diagnosing()) return;
    const SampleRequest request = m_request.denoiser.empty() || !m_models ? SampleRequest{} : m_request;
    if (request.denoiser.empty() || request.discriminator.empty()) {
        Q_EMIT diagnosisFinished({}, tr("Nothing to diagnose: load a denoiser and a discriminator and sample once."));
        return;
    }
    auto result = std::make_shared<std::pair<QImage, QString>>();
    m_diagnosisJob.start(
        [this, request, count, result](const JobTracker::Context& job) {
            const auto d = diagnoseRun(
                request, count,
                [this, &job](const StageProgress& p, double left) {
                    job.report([this, p, left] {
                        Q_EMIT diagnosisProgress(QString::fromStdString(p.stage), p.done, p.total, left);
                    });
                },
                &job.cancel());
            const RgbImage plot = diagnosisPlot(d, request.settings.guidance, "WHERE CAN IT GUIDE?");
            result->first =
                QImage(plot.bytes().data(), plot.width(), plot.height(), plot.width() * 3, QImage::Format_RGB888)
                    .copy();
            const double above = separatesUpTo(d); // the largest σ at which it still tells them apart (≥ 55 %)
            result->second =
                above > 0.0
                    ? tr("%1 real vs %2 generated samples: it separates them (≥ 55 %) up to σ ≈ %3; above, its "
                         "gradient is noise.")
                          .arg(d.samples)
                          .arg(d.samples)
                          .arg(above)
                    : tr("%1 real vs %2 generated samples: near chance at every σ — guidance has little to go on.")
                          .arg(d.samples)
                          .arg(d.samples);
        },
        [this, result](const JobTracker::Outcome& outcome) {
            if (outcome.cancelled)
                Q_EMIT diagnosisFinished({}, tr("Diagnosis cancelled."));
            else if (!outcome.ok())
                Q_EMIT diagnosisFinished({}, tr("diagnosis failed: %1").arg(studioErrorText(outcome.error)));
            else
                Q_EMIT diagnosisFinished(result->first, result->second);
        });
}
void StudioController::cancelDiagnosis()
{
    m_diagnosisJob.cancel();
}

void StudioController::tune(const SampleRequest& base, const std::vector<double>& weights,
                            const ScoringSettings& scoring, bool matchedCompute, double matchedChurn)
{
    if (tuning()) return;
    if (!matchedCompute) matchedChurn = 0.0; // a churned baseline is one of the matched-compute rows
    m_tuneResult = TuneResult{};
    m_tuneRequest = base;
    m_tuneJob.start(
        [this, base, weights, scoring, matchedCompute, matchedChurn](const JobTracker::Context& job) {
            lowerThreadPriority();
            SampleScorer scorer(scoring, &job.cancel());
            const auto started = std::chrono::steady_clock::now();
            size_t row = 0;
            const int rows = static_cast<int>(weights.size()) + (matchedCompute ? 1 : 0) + (matchedChurn > 0.0 ? 1 : 0);
            // The sweep's ETA: this row's, plus the rows after it at the rate seen so far.
            auto progress = [&](const std::string&, int64_t done, int64_t total, double eta) {
                const double spent = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
                const double perRow = (spent + eta) / static_cast<double>(row + 1);
                const double all = eta == kScoringStage
                                       ? kScoringStage // the row's samples are drawn; scoring them now
                                       : eta + perRow * static_cast<double>(rows - 1 - static_cast<int>(row));
                job.report([this, row, rows, done, total, all] {
                    Q_EMIT tuneProgress(static_cast<int>(row), rows, done, total, all);
                });
            };
            tuneWeights(
                base, weights, scorer, progress, {},
                [&](size_t index, const TuneResult& soFar) {
                    row = index + 1;
                    job.report([this, index, soFar] {
                        m_tuneResult = soFar; // the paired changes over the rows so far
                        Q_EMIT tuneRowFinished(static_cast<int>(index));
                    });
                },
                matchedCompute, matchedChurn);
        },
        [this](const JobTracker::Outcome& outcome) {
            Q_EMIT tuneFinished(outcome.cancelled ? QStringLiteral("cancelled")
                                                  : studioErrorText(outcome.error)); // empty: done
        });
}

void StudioController::cancelTune()
{
    m_tuneJob.cancel();
}

bool StudioController::trainingRunning() const
{
    return m_session->trainingRunning();
}

std::vector<int64_t> StudioController::snapshotIterations() const
{
    std::vector<int64_t> out;
    for (const auto& s : m_snapshots)
        out.push_back(s.first);
    return out;
}

void StudioController::handle(const SessionEvent& e)
{
    using Kind = SessionEvent::Kind;
    switch (m_playback.apply(e, m_request.settings.guidance)) {
    case HistoryUpdate::Other:
        break;
    case HistoryUpdate::Stale:
    case HistoryUpdate::FrameRejected:
    case HistoryUpdate::Paused: // the cursor paused itself when it asked for it
        return;
    case HistoryUpdate::RunStarted:
        Q_EMIT runStarted(e.run);
        return;
    case HistoryUpdate::FrameAdded:
        Q_EMIT frameAdded(e.branch, e.frame->step);
        return;
    case HistoryUpdate::BranchCreated:
        Q_EMIT branchCreated(e.branch, e.parentBranch, e.forkStep);
        return;
    case HistoryUpdate::BranchFinished:
        Q_EMIT branchFinished(e.branch);
        return;
    case HistoryUpdate::SweepFinished:
        Q_EMIT sweepFinished(e.sweepWeights, e.sweepSamples);
        return;
    }
    switch (e.kind) {
    case Kind::ModelsLoaded:
        m_models = e.models;
        // Snapshots of a discriminator trained for another denoiser do not belong to this one.
        if (!m_snapshots.empty() && m_models->denoiser.spec != m_snapshotDenoiser) {
            m_snapshots.clear();
            Q_EMIT snapshotsCleared();
        }
        Q_EMIT modelsLoaded();
        break;
    case Kind::Failed:
        m_playback.stop();
        Q_EMIT failed(studioErrorText(e.message));
        break;
    case Kind::DiscriminatorAdopted:
        if (!e.path.empty()) m_request.discriminator = e.path;
        Q_EMIT discriminatorAdopted(QString::fromStdString(e.message), QString::fromStdString(e.path));
        break;
    case Kind::TrainingProgress:
        // ~30 updates/s; held-out accuracies and checkpoints always get through.
        if (!e.progress.checkpointed && e.progress.iteration != e.progress.total && m_progressClock.elapsed() < 33)
            return;
        m_progressClock.restart();
        Q_EMIT trainingProgress(QString::fromStdString(e.message), e.progress);
        break;
    case Kind::TrainingSnapshot:
        if (m_models && m_models->denoiser.spec != m_snapshotDenoiser) return; // trained for the previous denoiser
        m_snapshots.emplace_back(e.snapshotIteration, e.snapshot);
        Q_EMIT trainingSnapshot(e.snapshotIteration);
        break;
    case Kind::TrainingFinished:
        Q_EMIT trainingFinished(QString::fromStdString(e.message), e.progress);
        break;
    case Kind::TrainingFailed:
        Q_EMIT trainingFailed(studioErrorText(e.message));
        break;
    default: // the run's events, handled above
        break;
    }
}

} // namespace dg::studio
