#pragma once

#include "dg/JobTracker.h"
#include "dg/Session.h"

#include <functional>

namespace dg {

// Runs one discriminator TrainingJob at a time on the job tracker's thread (fakes, then trainDiscriminator), reporting
// through SessionEvents on that thread. A second start while one runs is refused (a training job is not replaced by
// the latest request, unlike a tune or a diagnosis). A cancel stops within one batch; the last epoch checkpoint stays.
class TrainingJobRunner
{
public:
    explicit TrainingJobRunner(std::function<void(const SessionEvent&)> emit);
    ~TrainingJobRunner();

    void start(const TrainingJob& job, const std::string& denoiserSpec, const std::string& dataset, Device device);
    void cancel() { m_jobs.cancel(); }
    void cancelAndJoin() { m_jobs.cancelAndJoin(); }
    bool running() const { return m_jobs.running(); }

private:
    SessionEvent run(const TrainingJob& job, const std::string& denoiserSpec, const std::string& dataset, Device device,
                     const JobTracker::Context& context, std::string& checkpoint);

    std::function<void(const SessionEvent&)> m_emit;
    JobTracker m_jobs{[](JobTracker::Callback report) { report(); }}; // events go out on the job's thread
};

} // namespace dg
