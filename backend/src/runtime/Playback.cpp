#include "dg/Playback.h"

#include <algorithm>

namespace dg {

void Playback::start(uint64_t run, int steps, const GuidanceSettings& guidance, bool playing)
{
    m_history.reset(steps, guidance);
    m_run = run;
    m_branch = m_step = 0;
    m_pendingBranch = -1;
    m_follow = true;
    m_playing = playing;
    m_replaying = false;
}

HistoryUpdate Playback::apply(const SessionEvent& e, const GuidanceSettings& branchGuidance)
{
    const HistoryUpdate u = m_history.apply(e, m_run, branchGuidance);
    switch (u) {
    case HistoryUpdate::FrameAdded:
        if (e.branch == m_pendingBranch) { // a new branch's first own step: show it from here
            m_pendingBranch = -1;
            m_branch = e.branch;
            m_follow = true;
        }
        if (e.branch == m_branch && m_follow && !m_replaying) m_step = e.frame->step;
        break;
    case HistoryUpdate::BranchCreated:
        // The view stays on the shown step of the parent until the branch's own version of that step arrives.
        m_pendingBranch = e.branch;
        break;
    case HistoryUpdate::BranchFinished:
        if (e.branch == m_branch && !m_replaying) m_playing = false;
        break;
    default: // Paused needs nothing: the cursor paused itself when it asked for it
        break;
    }
    return u;
}

void Playback::stop()
{
    m_playing = m_replaying = false;
}

int Playback::frameCount() const
{
    return m_history.frameCount(m_branch);
}

bool Playback::shownFinished() const
{
    return m_history.finished(m_branch);
}

void Playback::pause()
{
    if (!m_playing) return;
    m_playing = m_replaying = false;
    m_target.pause();
}

void Playback::resume()
{
    m_playing = true;
    if (m_step < frameCount() - 1) {
        m_follow = false;
        m_replaying = true;
        m_lastReplay = -1;
    } else if (!shownFinished()) {
        m_follow = true;
        m_target.play(m_branch);
    } else {
        m_playing = false;
    }
}

void Playback::togglePlay()
{
    if (!running()) return;
    if (m_playing) {
        pause();
        return;
    }
    if (m_step >= frameCount() - 1 && shownFinished()) m_step = 0; // replay from the start
    resume();
}

bool Playback::tick(double now)
{
    if (!m_replaying) return false;
    if (m_lastReplay >= 0 && now - m_lastReplay < std::max(m_replayMs, 120) / 1000.0) return false;
    m_lastReplay = now;
    if (m_step < frameCount() - 1) {
        ++m_step;
        return true;
    }
    m_replaying = false;
    resume(); // the recorded steps are shown: compute on, or stop at the end
    return false;
}

void Playback::stepForward()
{
    pause();
    if (m_step < frameCount() - 1) {
        scrub(m_step + 1);
    } else if (running() && !shownFinished()) {
        m_follow = true;
        m_target.stepOnce(m_branch);
    }
}

void Playback::stepBack()
{
    pause();
    if (m_step > 0) scrub(m_step - 1);
}

void Playback::first()
{
    pause();
    scrub(0);
}

void Playback::last()
{
    pause();
    scrub(frameCount() - 1);
}

void Playback::scrub(int step)
{
    const int count = frameCount();
    m_step = std::clamp(step, 0, std::max(0, count - 1));
    m_follow = m_step == count - 1;
}

void Playback::select(int branch)
{
    if (branch < 0 || branch >= static_cast<int>(m_history.branches().size())) return;
    m_branch = branch;
    scrub(std::min(m_step, frameCount() - 1));
}

bool Playback::branchHere(const GuidanceSettings& guidance)
{
    if (frameCount() == 0) return false;
    pause();
    // The shown frame is the state before step m_step: the branch recomputes that step with the new settings.
    m_target.branch(m_branch, m_step, guidance, true);
    m_playing = true;
    return true;
}

void Playback::setGuidance(const GuidanceSettings& guidance)
{
    if (!running()) return;
    m_history.setGuidance(m_branch, guidance);
    m_target.setGuidance(m_branch, guidance);
}

FramePtr Playback::shown() const
{
    return m_history.frame(m_branch, m_step);
}

FramePtr Playback::shownOf(int branch) const
{
    return m_history.frame(branch, m_step);
}

std::vector<FramePtr> Playback::trail(int branch) const
{
    const FramePtr f = shownOf(branch);
    return f && f->x.isPoints2d() ? m_history.history(branch, m_step) : std::vector<FramePtr>{};
}

std::vector<FramePtr> Playback::recorded() const
{
    std::vector<FramePtr> out;
    for (int k = 0; k < frameCount(); ++k)
        out.push_back(m_history.frame(m_branch, k));
    return out;
}

GuidanceSettings Playback::shownGuidance() const
{
    const auto& b = m_history.branches();
    return m_branch < static_cast<int>(b.size()) ? b[static_cast<size_t>(m_branch)].guidance : GuidanceSettings{};
}

SampleRequest Playback::exportRequest(const SampleRequest& run) const
{
    SampleRequest r = run;
    if (m_branch < static_cast<int>(m_history.branches().size())) r.settings.guidance = shownGuidance();
    return r;
}

} // namespace dg
