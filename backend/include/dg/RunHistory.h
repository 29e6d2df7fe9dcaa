#pragma once

#include "dg/Session.h"

#include <vector>

namespace dg {

// One branch of a run as a front end keeps it: its own frames from forkStep on; earlier steps are its parent's.
struct BranchRecord
{
    int id = 0;
    int parent = -1;
    int forkStep = 0;
    GuidanceSettings guidance;    // what its next steps run with (live changes included)
    std::vector<FramePtr> frames; // frames[i] is step forkStep + i
    bool finished = false;
    GuidanceSettings startGuidance; // what it was started (or forked) with: its label
};

// What a session event did to a front end's history (RunHistory::apply).
enum class HistoryUpdate
{
    Other, // not about the run (models, training, failures): the caller handles it
    Stale, // about a superseded run: dropped
    RunStarted,
    FrameAdded,
    FrameRejected, // out of order or of an unknown branch
    BranchCreated,
    BranchFinished,
    Paused,
    SweepFinished,
};

// Every frame of the current run, by branch, for scrubbing and replay; what both front ends keep on their UI thread.
// Not thread-safe.
class RunHistory
{
public:
    // The one stale-run filter and history update of both front ends: an event of run `run` (the one the front end
    // started last) is applied — frames added, branches created with `branchGuidance`, branches finished — and what it
    // did is returned; events of other runs change nothing (Stale).
    HistoryUpdate apply(const SessionEvent& event, uint64_t run, const GuidanceSettings& branchGuidance);

    void reset(int steps, const GuidanceSettings& guidance); // a new run: branch 0 only, no frames
    int steps() const { return m_steps; }
    // Accepts the branch's next frame (false for out-of-order or repeated frames and unknown branches).
    bool addFrame(const FramePtr& frame);
    bool addBranch(int id, int parent, int forkStep, const GuidanceSettings& guidance); // ids in creation order
    void setFinished(int branch);
    void setGuidance(int branch, const GuidanceSettings& guidance);

    const std::vector<BranchRecord>& branches() const { return m_branches; }
    bool finished(int branch) const;
    int frameCount(int branch) const;                          // frames available, counting the parents'
    FramePtr frame(int branch, int step) const;                // null when not computed
    std::vector<FramePtr> history(int branch, int upTo) const; // frames 0 … upTo (paths of 2-D particles)

private:
    int m_steps = 0;
    std::vector<BranchRecord> m_branches;
};

} // namespace dg
