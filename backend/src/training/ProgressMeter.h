#pragma once

#include "dg/Training.h"

#include <chrono>

namespace dg {

// Accumulates the loss between reports and turns iteration counts into it/s and ETA. Reports at most every
// minSeconds (and always when forced, e.g. at checkpoints).
class ProgressMeter
{
public:
    ProgressMeter(const ProgressCallback& callback, int64_t startIteration, int64_t total, double minSeconds = 1.0)
        : m_callback(callback), m_startIteration(startIteration), m_total(total), m_minSeconds(minSeconds)
    {
    }

    void addLoss(double loss)
    {
        m_lossSum += loss;
        ++m_lossCount;
    }
    double lastLoss() const { return m_lastLoss; }
    double elapsed() const { return std::chrono::duration<double>(Clock::now() - m_start).count(); }

    void report(int64_t iteration, bool force, double accuracy = std::nan(""), bool checkpointed = false,
                const std::string& note = {})
    {
        const double now = elapsed();
        if (!force && now - m_lastReport < m_minSeconds) return;
        TrainingProgress p;
        p.iteration = iteration;
        p.total = m_total;
        if (m_lossCount > 0) m_lastLoss = m_lossSum / m_lossCount;
        p.loss = m_lastLoss;
        p.accuracy = accuracy;
        const int64_t done = iteration - m_startIteration;
        p.itPerSecond = now > 0 ? done / now : 0.0;
        p.etaSeconds = p.itPerSecond > 0 ? (m_total - iteration) / p.itPerSecond : 0.0;
        p.checkpointed = checkpointed;
        p.note = note;
        m_lossSum = 0.0;
        m_lossCount = 0;
        m_lastReport = now;
        if (m_callback) m_callback(p);
    }

private:
    using Clock = std::chrono::steady_clock;
    ProgressCallback m_callback;
    int64_t m_startIteration;
    int64_t m_total;
    double m_minSeconds;
    Clock::time_point m_start = Clock::now();
    double m_lastReport = -1e9;
    double m_lossSum = 0.0;
    int64_t m_lossCount = 0;
    double m_lastLoss = std::nan("");
};

} // namespace dg
