#include "dg/Playback.h"

#include <QtTest>

#include <string>
#include <vector>

using namespace dg;

namespace {

// Records what the cursor asks of the engine.
struct Recorder : PlaybackTarget
{
    std::vector<std::string> calls;
    void play(int b) override { calls.push_back("play " + std::to_string(b)); }
    void pause() override { calls.push_back("pause"); }
    void stepOnce(int b) override { calls.push_back("step " + std::to_string(b)); }
    void setGuidance(int b, const GuidanceSettings& g) override
    {
        calls.push_back("guidance " + std::to_string(b) + " " + QByteArray::number(g.weight).toStdString());
    }
    void branch(int from, int at, const GuidanceSettings& g, bool play) override
    {
        calls.push_back("branch " + std::to_string(from) + "@" + std::to_string(at) + " w" +
                        QByteArray::number(g.weight).toStdString() + (play ? " play" : ""));
    }
    std::string last() const { return calls.empty() ? std::string() : calls.back(); }
};

constexpr int kSteps = 4;

SessionEvent frameEvent(uint64_t run, int branch, int step)
{
    auto f = std::make_shared<Frame>();
    f->branch = branch;
    f->step = step;
    f->steps = kSteps;
    SessionEvent e;
    e.kind = SessionEvent::Kind::Frame;
    e.run = run;
    e.branch = branch;
    e.frame = f;
    return e;
}

SessionEvent simple(SessionEvent::Kind kind, uint64_t run, int branch = 0)
{
    SessionEvent e;
    e.kind = kind;
    e.run = run;
    e.branch = branch;
    return e;
}

GuidanceSettings weight(double w)
{
    GuidanceSettings g;
    g.weight = w;
    return g;
}

} // namespace

// The playback engine of both front ends, without a window, a GL context or a model: synthetic session events in,
// cursor state and the engine requests out.
class PlaybackTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void followsTheRunAndIgnoresStaleEvents()
    {
        Recorder r;
        Playback p(r);
        QVERIFY(!p.running());
        p.togglePlay(); // nothing to play: no request
        QVERIFY(r.calls.empty());
        p.start(7, kSteps, weight(2));
        QVERIFY(p.playing());
        QCOMPARE(p.apply(frameEvent(6, 0, 0), weight(2)), HistoryUpdate::Stale);
        QVERIFY(!p.shown());
        for (int k = 0; k < 3; ++k)
            QCOMPARE(p.apply(frameEvent(7, 0, k), weight(2)), HistoryUpdate::FrameAdded);
        QCOMPARE(p.step(), 2); // followed
        QVERIFY(p.following());
        QCOMPARE(p.shown()->step, 2);
        QCOMPARE(p.apply(simple(SessionEvent::Kind::BranchFinished, 6), weight(2)), HistoryUpdate::Stale);
        QVERIFY(p.playing());
    }

    void pausesStepsAndReplaysRecordedSteps()
    {
        Recorder r;
        Playback p(r);
        p.start(1, kSteps, weight(1));
        for (int k = 0; k < 3; ++k)
            p.apply(frameEvent(1, 0, k), weight(1));
        p.togglePlay();
        QVERIFY(!p.playing());
        QCOMPARE(r.last(), std::string("pause"));
        p.stepBack();
        p.stepBack();
        QCOMPARE(p.step(), 0);
        QVERIFY(!p.following());
        p.apply(frameEvent(1, 0, 3), weight(1)); // a late step does not move a cursor that stopped following
        QCOMPARE(p.step(), 0);
        p.stepForward(); // recorded: just moves
        QCOMPARE(p.step(), 1);
        QCOMPARE(r.calls.size(), size_t(1));
        p.last();
        QCOMPARE(p.step(), 3);
        p.stepForward(); // at the last recorded step of an unfinished branch: compute one
        QCOMPARE(r.last(), std::string("step 0"));

        // Replay from step 1 at the pace (max(interval, 120 ms)), then go on computing where the record ends.
        p.first();
        QCOMPARE(p.step(), 0);
        p.scrub(1);
        p.setReplayInterval(200);
        p.togglePlay();
        QVERIFY(p.playing());
        QVERIFY(p.replaying());
        QVERIFY(p.tick(10.0)); // the first tick moves at once
        QCOMPARE(p.step(), 2);
        QVERIFY(!p.tick(10.1)); // too early
        QVERIFY(p.tick(10.25));
        QCOMPARE(p.step(), 3);
        p.apply(frameEvent(1, 0, 4), weight(1)); // computed meanwhile: recorded, not shown while replaying
        QCOMPARE(p.step(), 3);
        QVERIFY(p.tick(10.5));
        QCOMPARE(p.step(), 4);
        QVERIFY(!p.tick(10.75)); // the record ends: compute on
        QVERIFY(!p.replaying());
        QCOMPARE(r.last(), std::string("play 0"));
        QVERIFY(p.following());
        QCOMPARE(p.apply(simple(SessionEvent::Kind::BranchFinished, 1), weight(1)), HistoryUpdate::BranchFinished);
        QVERIFY(!p.playing());

        // Play on a finished branch at its end replays it from the start and stops there.
        const size_t before = r.calls.size();
        p.togglePlay();
        QCOMPARE(p.step(), 0);
        for (double t = 20; p.replaying(); t += 0.25)
            p.tick(t);
        QCOMPARE(p.step(), kSteps);
        QVERIFY(!p.playing());
        QCOMPARE(r.calls.size(), before); // nothing asked of the engine
        p.scrub(99);
        QCOMPARE(p.step(), kSteps); // clamped
    }

    void branchesAtTheShownStepAndShowsTheBranchFromItsOwnFrame()
    {
        Recorder r;
        Playback p(r);
        QVERIFY(!p.branchHere(weight(3))); // nothing recorded
        p.start(2, kSteps, weight(1));
        for (int k = 0; k < 4; ++k)
            p.apply(frameEvent(2, 0, k), weight(1));
        p.scrub(2);
        QVERIFY(p.branchHere(weight(3)));
        QCOMPARE(r.last(), std::string("branch 0@2 w3 play"));
        QVERIFY(p.playing());
        SessionEvent created = simple(SessionEvent::Kind::BranchCreated, 2, 1);
        created.parentBranch = 0;
        created.forkStep = 2;
        QCOMPARE(p.apply(created, weight(3)), HistoryUpdate::BranchCreated);
        QCOMPARE(p.branch(), 0); // still the parent's step 2 until the branch's own version arrives
        QCOMPARE(p.step(), 2);
        p.apply(simple(SessionEvent::Kind::Paused, 2), weight(3)); // the pause before the branch: still playing it
        QVERIFY(p.playing());
        p.apply(frameEvent(2, 1, 2), weight(3));
        QCOMPARE(p.branch(), 1);
        QCOMPARE(p.step(), 2);
        QCOMPARE(p.shown()->branch, 1);
        QCOMPARE(p.shownOf(0)->branch, 0); // compare with the main run at the same step
        QCOMPARE(p.shownGuidance().weight, 3.0);
        QCOMPARE(p.recorded().size(), size_t(3)); // steps 0, 1 of the parent, 2 of its own
        SampleRequest run;
        run.settings.guidance = weight(1);
        QCOMPARE(p.exportRequest(run).settings.guidance.weight, 3.0);

        p.setGuidance(weight(0.5));
        QCOMPARE(r.last(), std::string("guidance 1 0.5"));
        QCOMPARE(p.shownGuidance().weight, 0.5);
        p.select(0);
        QCOMPARE(p.branch(), 0);
        QCOMPARE(p.step(), 2);
        p.select(5); // unknown: ignored
        QCOMPARE(p.branch(), 0);
        QCOMPARE(p.exportRequest(run).settings.guidance.weight, 1.0);

        p.stop(); // a failure: nothing plays
        QVERIFY(!p.playing());
        p.start(3, kSteps, weight(1)); // a new run forgets the old one's branches
        QCOMPARE(p.history().branches().size(), size_t(1));
        QCOMPARE(p.branch(), 0);
        QCOMPARE(p.apply(frameEvent(2, 1, 3), weight(1)), HistoryUpdate::Stale);
    }
};

QTEST_GUILESS_MAIN(PlaybackTest)
#include "PlaybackTest.moc"
