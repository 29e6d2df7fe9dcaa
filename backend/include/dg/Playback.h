#pragma once

#include "dg/RunHistory.h"
#include "dg/SampleRequest.h"

#include <vector>

namespace dg {

// The playback engine both front ends drive (docs/ARCHITECTURE.md §3): the current run's recorded frames and a cursor
// (branch, step) over them — play, pause, step, scrub, replay of recorded steps, branch selection, following newly
// computed steps — and the requests this implies for the engine (PlaybackTarget, normally the Session). The front
// ends keep only widgets and drawing. Not thread-safe: one UI thread.
class Playback
{
public:
    explicit Playback(PlaybackTarget& target) : m_target(target) {}

    // A run the owner just started (Session::startRun's generation): branch 0, step 0, playing and following.
    void start(uint64_t run, int steps, const GuidanceSettings& guidance, bool playing = true);
    uint64_t run() const { return m_run; }
    bool running() const { return m_run != 0; }
    // The one stale-run filter and history update (RunHistory::apply) plus what the cursor does with the event: it
    // follows new steps of the shown branch, switches to a branch it asked for at that branch's first own frame, and
    // stops playing when the shown branch finishes.
    HistoryUpdate apply(const SessionEvent& event, const GuidanceSettings& branchGuidance);
    void stop(); // a failure or a new model: not playing, no replay (the engine stopped by itself)

    void togglePlay();  // pause; or replay recorded steps from the shown one (from 0 when the branch is finished), then
                        // go on computing
    void stepForward(); // the next recorded step, else compute one
    void stepBack();
    void first();
    void last();
    void scrub(int step); // clamped to the recorded steps; following when on the last
    void select(int branch);
    // Forks the shown branch before the shown step with `guidance`, playing; the cursor moves to the new branch at its
    // first own frame. False when nothing is recorded.
    bool branchHere(const GuidanceSettings& guidance);
    void setGuidance(const GuidanceSettings& guidance); // the shown branch, from its next step

    // Replay pace: one recorded step per max(interval, 120 ms). tick(now) (monotonic seconds, called often while
    // replaying()) advances it; true when the cursor moved.
    void setReplayInterval(int milliseconds) { m_replayMs = milliseconds; }
    bool tick(double nowSeconds);
    bool replaying() const { return m_replaying; }

    int branch() const { return m_branch; }
    int step() const { return m_step; }
    bool playing() const { return m_playing; }
    bool following() const { return m_follow; }
    int frameCount() const; // recorded frames of the shown branch (its parents' included)
    bool shownFinished() const;
    FramePtr shown() const;
    FramePtr shownOf(int branch) const;            // the same step of another branch (compare), null if absent
    std::vector<FramePtr> trail(int branch) const; // 2-D toys: frames 0 … shown step (particle paths); else empty
    std::vector<FramePtr> recorded() const;        // the shown branch's recorded frames (filmstrip, animation)
    GuidanceSettings shownGuidance() const;        // what the shown branch runs with now
    SampleRequest exportRequest(const SampleRequest& run) const; // the run's request with the shown branch's guidance
    const RunHistory& history() const { return m_history; }

private:
    void pause();
    void resume(); // from the shown step: replay what is recorded, or compute

    PlaybackTarget& m_target;
    RunHistory m_history;
    uint64_t m_run = 0;
    int m_branch = 0;
    int m_step = 0;
    int m_pendingBranch = -1; // asked for by branchHere: shown from its first own frame
    bool m_playing = false;
    bool m_follow = true;
    bool m_replaying = false;
    int m_replayMs = 0;
    double m_lastReplay = -1;
};

} // namespace dg
