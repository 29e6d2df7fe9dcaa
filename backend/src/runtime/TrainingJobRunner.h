#pragma once

#include "dg/CancelToken.h"
#include "dg/Session.h"

#include <atomic>
#include <functional>
#include <thread>

namespace dg {

// Runs one discriminator TrainingJob at a time on its own thread (fakes, then trainDiscriminator), reporting through
// SessionEvents on that thread. A cancel stops within one batch; the last epoch checkpoint stays on disk.
class TrainingJobRunner
{
public:
    explicit TrainingJobRunner(std::function<void(const SessionEvent&)> emit);
    ~TrainingJobRunner();

    void start(const TrainingJob& job, const std::string& denoiserSpec, const std::string& dataset, Device device);
    void cancel() { m_cancel.cancel(); }
    void cancelAndJoin();
    bool running() const { return m_running.load(); }

private:
    void run(TrainingJob job, std::string denoiserSpec, std::string dataset, Device device);

    std::function<void(const SessionEvent&)> m_emit;
    CancelToken m_cancel;
    std::atomic<bool> m_running{false};
    std::thread m_thread;
};

} // namespace dg
