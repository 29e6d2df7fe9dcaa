#pragma once

#include "FrameView.h"
#include "LabController.h"

#include <algorithm>
#include <string>

namespace dg::lab {

// dg-lab's ImGui panels over a LabController: model, sampler, guidance, playback, export, presenter options, and the
// narration card. Draws nothing with GL itself; the host renders the FrameView in viewArea().
class LabUi
{
public:
    explicit LabUi(LabController& controller);

    float fontScale = 1.0f;
    bool narrate = false;           // the narration card for the shown step
    bool fullscreenRequest = false; // set by F11 / the button; the host toggles and clears it
    bool showDiagnosis = false;     // "Where can it guide?" (D): the discriminator's accuracy against σ
    gl::ToyAxis toyAxis = gl::ToyAxis::WholeRunWhilePlaying;

    // Call between ImGui::NewFrame and ImGui::Render; width/height: the window in logical pixels.
    void draw(float width, float height, gl::FrameView& view, const std::vector<gl::Label>& labels);
    bool panelHidden = false; // H: the view takes the whole width (presenting)
    float panelWidth() const { return panelHidden ? 0.0f : 340.0f * fontScale; }
    // The narration card's band at the bottom: the plots end above it, never under it.
    float narrationHeight() const { return narrate ? 150.0f * fontScale : 0.0f; }
    gl::RectF viewArea(float width, float height) const
    {
        return {0, 0, width - panelWidth(), std::max(100.0f, height - narrationHeight())};
    }
    std::string narration() const; // the card's text for the shown step
    void handleKeys();
    // A message shown over the view for a few seconds (an export's "wrote …" or its error), visible with the panel
    // hidden too; `now` in ImGui seconds.
    void notify(const std::string& text, double now);
    const std::string& notice(double now) const;                      // empty once it has expired
    bool animating(double now) const { return !notice(now).empty(); } // the notice must be redrawn away

private:
    void drawControls();
    void drawDiagnosis(const gl::RectF& area);
    void toggleDiagnosis();
    void exportGrid();
    LabController& m_c;
    std::string m_notice;
    double m_noticeUntil = 0.0;
    char m_denoiser[256] = {};
    char m_discriminator[256] = {};
    char m_exportPath[512] = "dg-lab-grid.png";
    std::string m_exportStatus;
    char m_animationPath[512] = "dg-lab-run.gif";
    int m_animationFps = 4;
};

} // namespace dg::lab
