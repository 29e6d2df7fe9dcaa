#pragma once

#include <atomic>

namespace dg {

// Shared between the thread that asks for cancellation and the worker that polls it before every network evaluation.
class CancelToken
{
public:
    void cancel() { m_cancelled.store(true, std::memory_order_relaxed); }
    void reset() { m_cancelled.store(false, std::memory_order_relaxed); }
    bool isCancelled() const { return m_cancelled.load(std::memory_order_relaxed); }
    void throwIfCancelled() const;

private:
    std::atomic<bool> m_cancelled{false};
};

} // namespace dg
