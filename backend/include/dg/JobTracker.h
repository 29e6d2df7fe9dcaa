#pragma once

#include "dg/CancelToken.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace dg {

// One kind of background job of a front end — discriminator training, a tune sweep, a diagnosis — in one place (as
// KDAB hotspot keeps one job tracker): each job runs on its own thread with its own cancel token, and everything it
// reports (progress, partial results, the outcome) reaches the owner through `post`, which the owner supplies to run a
// callback on its own thread (dg-studio: a queued invocation; dg-lab: the queue it drains once per frame; the session:
// at once, on the job's thread). The latest request wins: start() cancels a running job, and whatever that job still
// reports is dropped. The destructor cancels and joins. start(), cancel() and the destructor: the owner's thread.
class JobTracker
{
public:
    using Callback = std::function<void()>;
    using Post = std::function<void(Callback)>;

    // How a job ended: cancelled (its CancelToken fired: the message is what was kept, or "cancelled"), failed (error:
    // dg::errorMessage of the exception, field ids unrendered), or done (neither).
    struct Outcome
    {
        bool cancelled = false;
        std::string error;
        bool ok() const { return !cancelled && error.empty(); }
    };

    // What a running job holds: its token, and report() to run a callback on the owner's thread — dropped when a newer
    // job has started by the time it would run.
    class Context
    {
    public:
        const CancelToken& cancel() const { return *m_cancel; }
        void report(Callback callback) const;

    private:
        friend class JobTracker;
        JobTracker* m_tracker = nullptr;
        uint64_t m_generation = 0;
        std::shared_ptr<CancelToken> m_cancel;
    };

    explicit JobTracker(Post post);
    ~JobTracker();
    JobTracker(const JobTracker&) = delete;
    JobTracker& operator=(const JobTracker&) = delete;

    // Runs work(context) on a new thread; then finished(outcome) on the owner's thread, after every report of the job
    // (unless a newer job started first). running() is true from here until finished has run.
    void start(std::function<void(const Context&)> work, std::function<void(const Outcome&)> finished);
    void cancel(); // the running job's token; its outcome arrives as usual
    // Cancels every job and waits for their threads; nothing of them reaches the owner any more (the destructor).
    void cancelAndJoin();
    bool running() const { return m_running.load(); }

private:
    struct Job
    {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    void post(uint64_t generation, Callback callback);

    Post m_post;
    std::atomic<uint64_t> m_generation{0};
    std::atomic<bool> m_running{false};
    std::shared_ptr<CancelToken> m_cancel;
    std::vector<Job> m_jobs; // the running one, and cancelled ones still winding down
};

} // namespace dg
