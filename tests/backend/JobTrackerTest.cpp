#include "dg/JobTracker.h"
#include "dg/Error.h"

#include <QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace dg;

namespace {

// An owner thread's queue, as dg-lab keeps one: jobs post into it, the test drains it.
struct Owner
{
    std::mutex mutex;
    std::condition_variable posted;
    std::deque<JobTracker::Callback> queue;

    JobTracker::Post post()
    {
        return [this](JobTracker::Callback c) {
            {
                std::lock_guard lock(mutex);
                queue.push_back(std::move(c));
            }
            posted.notify_all();
        };
    }
    // Runs what arrived until `until` holds or 10 s pass.
    bool drainUntil(const std::function<bool()>& until)
    {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!until()) {
            std::deque<JobTracker::Callback> batch;
            {
                std::unique_lock lock(mutex);
                if (!posted.wait_until(lock, deadline, [&] { return !queue.empty(); })) return until();
                batch.swap(queue);
            }
            for (auto& c : batch)
                c();
        }
        return true;
    }
};

// Waits on the job's thread until the token fires (the shape of every backend loop: poll before each batch).
void waitForCancel(const JobTracker::Context& job)
{
    while (!job.cancel().isCancelled())
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    job.cancel().throwIfCancelled();
}

} // namespace

class JobTrackerTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void reportsArriveInOrderThenTheOutcome();
    void theLatestRequestWins();
    void cancelEndsAsCancelledAndAFailureCarriesItsMessage();
    void destructorCancelsAndJoins();
    void directPostRunsOnTheJobsThread();
};

void JobTrackerTest::reportsArriveInOrderThenTheOutcome()
{
    Owner owner;
    JobTracker jobs(owner.post());
    std::vector<int> seen;
    std::optional<JobTracker::Outcome> outcome;
    jobs.start(
        [&seen](const JobTracker::Context& job) {
            for (int i = 0; i < 5; ++i)
                job.report([&seen, i] { seen.push_back(i); });
        },
        [&](const JobTracker::Outcome& o) {
            QVERIFY(!jobs.running()); // cleared before the outcome runs
            QCOMPARE(seen.size(), size_t(5));
            outcome = o;
        });
    QVERIFY(jobs.running());
    QVERIFY(owner.drainUntil([&] { return outcome.has_value(); }));
    QCOMPARE(seen, (std::vector<int>{0, 1, 2, 3, 4}));
    QVERIFY(outcome->ok());
    QVERIFY(!jobs.running());
}

void JobTrackerTest::theLatestRequestWins()
{
    Owner owner;
    JobTracker jobs(owner.post());
    std::vector<std::string> finished;
    jobs.start(
        [&](const JobTracker::Context& job) {
            job.report([&] { finished.push_back("first's report"); });
            waitForCancel(job);
        },
        [&](const JobTracker::Outcome&) { finished.push_back("first"); });
    // The second request replaces the first at once: the first is cancelled, and nothing more of it arrives.
    jobs.start([&](const JobTracker::Context& job) { job.report([&] { finished.push_back("second's report"); }); },
               [&](const JobTracker::Outcome& o) { finished.push_back(o.ok() ? "second" : "second failed"); });
    QVERIFY(owner.drainUntil([&] { return !jobs.running(); }));
    QCOMPARE(finished, (std::vector<std::string>{"second's report", "second"}));
    // A report the first job posted before the second started but that ran after it is dropped too.
    QVERIFY(std::find(finished.begin(), finished.end(), "first's report") == finished.end());
}

void JobTrackerTest::cancelEndsAsCancelledAndAFailureCarriesItsMessage()
{
    Owner owner;
    JobTracker jobs(owner.post());
    std::optional<JobTracker::Outcome> outcome;
    jobs.start(waitForCancel, [&](const JobTracker::Outcome& o) { outcome = o; });
    jobs.cancel();
    QVERIFY(owner.drainUntil([&] { return outcome.has_value(); }));
    QVERIFY(outcome->cancelled);
    QVERIFY(!outcome->ok());

    outcome.reset();
    jobs.start([](const JobTracker::Context&) { throw Error("‹count›: must be positive (got 0)"); },
               [&](const JobTracker::Outcome& o) { outcome = o; });
    QVERIFY(owner.drainUntil([&] { return outcome.has_value(); }));
    QVERIFY(!outcome->cancelled);
    QCOMPARE(outcome->error, std::string("‹count›: must be positive (got 0)")); // field ids left to the front end

    // What a cancelled job kept travels in the message.
    outcome.reset();
    jobs.start([](const JobTracker::Context&) { throw Cancelled("the samples are written; the animation is not"); },
               [&](const JobTracker::Outcome& o) { outcome = o; });
    QVERIFY(owner.drainUntil([&] { return outcome.has_value(); }));
    QVERIFY(outcome->cancelled);
    QCOMPARE(outcome->error, std::string("the samples are written; the animation is not"));
}

void JobTrackerTest::destructorCancelsAndJoins()
{
    Owner owner;
    std::atomic<bool> ended{false};
    {
        JobTracker jobs(owner.post());
        jobs.start(
            [&](const JobTracker::Context& job) {
                try {
                    waitForCancel(job);
                } catch (const Cancelled&) {
                    ended = true;
                    throw;
                }
            },
            [](const JobTracker::Outcome&) { QFAIL("an outcome after the tracker is gone"); });
    }
    QVERIFY(ended.load()); // joined: the job had ended when the destructor returned
    // Whatever it posted while winding down is dropped, not run against a destroyed tracker's owner.
    std::deque<JobTracker::Callback> left;
    left.swap(owner.queue);
    QVERIFY(left.empty());
}

void JobTrackerTest::directPostRunsOnTheJobsThread()
{
    // The session's training runner: events leave on the job's thread at once.
    std::mutex m;
    std::vector<std::thread::id> threads;
    JobTracker jobs([&](JobTracker::Callback c) {
        {
            std::lock_guard lock(m);
            threads.push_back(std::this_thread::get_id());
        }
        c();
    });
    std::atomic<bool> done{false};
    jobs.start([](const JobTracker::Context& job) { job.report([] {}); },
               [&](const JobTracker::Outcome& o) { done = o.ok(); });
    for (int i = 0; i < 1000 && jobs.running(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    QVERIFY(!jobs.running());
    QVERIFY(done.load());
    std::lock_guard lock(m);
    QCOMPARE(threads.size(), size_t(2));
    QVERIFY(threads[0] != std::this_thread::get_id());
    QCOMPARE(threads[0], threads[1]);
}

QTEST_GUILESS_MAIN(JobTrackerTest)
#include "JobTrackerTest.moc"
