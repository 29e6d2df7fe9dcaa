#include "dg/JobTracker.h"
#include "dg/Error.h"

#include <algorithm>

namespace dg {

void JobTracker::Context::report(Callback callback) const
{
    m_tracker->post(m_generation, std::move(callback));
}

JobTracker::JobTracker(Post post) : m_post(std::move(post)) {}

JobTracker::~JobTracker()
{
    cancelAndJoin();
}

void JobTracker::cancelAndJoin()
{
    ++m_generation; // nothing of a job reaches the owner any more
    if (m_cancel) m_cancel->cancel();
    for (auto& j : m_jobs)
        if (j.thread.joinable()) j.thread.join();
    m_jobs.clear();
    m_running.store(false);
}

void JobTracker::post(uint64_t generation, Callback callback)
{
    if (generation != m_generation.load()) return;
    m_post([this, generation, callback = std::move(callback)] {
        if (generation == m_generation.load()) callback();
    });
}

void JobTracker::start(std::function<void(const Context&)> work, std::function<void(const Outcome&)> finished)
{
    if (m_cancel) m_cancel->cancel();
    // Threads of earlier jobs that have ended are joined now (no wait); one still winding down after its cancel is
    // kept until it ends, or until the destructor.
    for (auto& j : m_jobs)
        if (j.done->load() && j.thread.joinable()) j.thread.join();
    m_jobs.erase(std::remove_if(m_jobs.begin(), m_jobs.end(), [](const Job& j) { return !j.thread.joinable(); }),
                 m_jobs.end());

    Context context;
    context.m_tracker = this;
    context.m_generation = ++m_generation;
    context.m_cancel = m_cancel = std::make_shared<CancelToken>();
    m_running.store(true);
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::thread thread([this, context, done, work = std::move(work), finished = std::move(finished)] {
        Outcome outcome;
        try {
            work(context);
            context.cancel().throwIfCancelled(); // a job that returns after a cancel did not finish its work
        } catch (const Cancelled& e) {
            outcome.cancelled = true;
            outcome.error = e.what();
        } catch (const std::exception& e) {
            outcome.error = errorMessage(e);
        } catch (...) {
            outcome.error = "unknown error";
        }
        const uint64_t generation = context.m_generation;
        post(generation, [this, finished, outcome] {
            m_running.store(false);
            if (finished) finished(outcome);
        });
        done->store(true);
    });
    m_jobs.push_back({std::move(thread), std::move(done)});
}

void JobTracker::cancel()
{
    if (m_cancel) m_cancel->cancel();
}

} // namespace dg
