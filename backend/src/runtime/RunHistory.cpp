#include "dg/RunHistory.h"

namespace dg {

void RunHistory::reset(int steps, const GuidanceSettings& guidance)
{
    m_steps = steps;
    m_branches.clear();
    m_branches.push_back({0, -1, 0, guidance, {}, false, guidance});
}

bool RunHistory::addFrame(const FramePtr& frame)
{
    if (!frame || frame->branch < 0 || frame->branch >= static_cast<int>(m_branches.size())) return false;
    auto& b = m_branches[static_cast<size_t>(frame->branch)];
    const int index = frame->step - b.forkStep;
    if (index == static_cast<int>(b.frames.size())) {
        b.frames.push_back(frame);
        return true;
    }
    return false;
}

bool RunHistory::addBranch(int id, int parent, int forkStep, const GuidanceSettings& guidance)
{
    if (id != static_cast<int>(m_branches.size()) || parent < 0 || parent >= id) return false;
    m_branches.push_back({id, parent, forkStep, guidance, {}, false, guidance});
    return true;
}

void RunHistory::setFinished(int branch)
{
    if (branch >= 0 && branch < static_cast<int>(m_branches.size()))
        m_branches[static_cast<size_t>(branch)].finished = true;
}

void RunHistory::setGuidance(int branch, const GuidanceSettings& guidance)
{
    if (branch >= 0 && branch < static_cast<int>(m_branches.size()))
        m_branches[static_cast<size_t>(branch)].guidance = guidance;
}

bool RunHistory::finished(int branch) const
{
    return branch >= 0 && branch < static_cast<int>(m_branches.size()) &&
           m_branches[static_cast<size_t>(branch)].finished;
}

int RunHistory::frameCount(int branch) const
{
    if (branch < 0 || branch >= static_cast<int>(m_branches.size())) return 0;
    const auto& b = m_branches[static_cast<size_t>(branch)];
    return b.forkStep + static_cast<int>(b.frames.size());
}

FramePtr RunHistory::frame(int branch, int step) const
{
    while (branch >= 0 && branch < static_cast<int>(m_branches.size())) {
        const auto& b = m_branches[static_cast<size_t>(branch)];
        if (step >= b.forkStep) {
            const size_t i = static_cast<size_t>(step - b.forkStep);
            return i < b.frames.size() ? b.frames[i] : nullptr;
        }
        branch = b.parent;
    }
    return nullptr;
}

std::vector<FramePtr> RunHistory::history(int branch, int upTo) const
{
    std::vector<FramePtr> h;
    for (int k = 0; k <= upTo; ++k)
        if (auto f = frame(branch, k)) h.push_back(f);
    return h;
}

HistoryUpdate RunHistory::apply(const SessionEvent& e, uint64_t run, const GuidanceSettings& branchGuidance)
{
    using Kind = SessionEvent::Kind;
    const bool runEvent = e.kind == Kind::RunStarted || e.kind == Kind::Frame || e.kind == Kind::BranchCreated ||
                          e.kind == Kind::BranchFinished || e.kind == Kind::Paused || e.kind == Kind::SweepFinished;
    if (!runEvent) return HistoryUpdate::Other;
    if (e.run != run) return HistoryUpdate::Stale;
    switch (e.kind) {
    case Kind::RunStarted:
        return HistoryUpdate::RunStarted;
    case Kind::Frame:
        return addFrame(e.frame) ? HistoryUpdate::FrameAdded : HistoryUpdate::FrameRejected;
    case Kind::BranchCreated:
        return addBranch(e.branch, e.parentBranch, e.forkStep, branchGuidance) ? HistoryUpdate::BranchCreated
                                                                               : HistoryUpdate::FrameRejected;
    case Kind::BranchFinished:
        setFinished(e.branch);
        return HistoryUpdate::BranchFinished;
    case Kind::Paused:
        return HistoryUpdate::Paused;
    default:
        return HistoryUpdate::SweepFinished;
    }
}

} // namespace dg
