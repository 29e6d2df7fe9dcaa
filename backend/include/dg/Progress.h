#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>

namespace dg {

// A background job's progress as the front ends show it: the stage it is in ("sampling", "scoring", …) and how far.
struct StageProgress
{
    std::string stage;
    int64_t done = 0;
    int64_t total = 0;
};
using StageCallback = std::function<void(const StageProgress&)>;

// Seconds left in a stage at the rate measured since that stage began (NaN until something is done); a new stage name
// restarts the clock, so that a slow first stage does not make the next one's estimate wrong.
class EtaEstimate
{
public:
    double update(const StageProgress& p)
    {
        const auto now = std::chrono::steady_clock::now();
        if (p.stage != m_stage || p.done < m_startDone) {
            m_stage = p.stage;
            m_start = now;
            m_startDone = p.done;
            return std::nan("");
        }
        const double seconds = std::chrono::duration<double>(now - m_start).count();
        const int64_t progressed = p.done - m_startDone;
        if (progressed <= 0 || seconds <= 0.0) return std::nan("");
        return static_cast<double>(p.total - p.done) * seconds / static_cast<double>(progressed);
    }

private:
    std::string m_stage;
    std::chrono::steady_clock::time_point m_start;
    int64_t m_startDone = 0;
};

} // namespace dg
