#pragma once

#include "Renderer.h"
#include "ViewModes.h"

#include "dg/Animation.h"
#include "dg/Export.h"
#include "dg/Session.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace dg::gl {

// How a 2-D toy's plot is scaled: following the cloud (each step's own extent), or fixed at the whole run's extent so
// that the cloud visibly shrinks — always, or only while the run plays (the default: a play-through shows the
// shrinking, a paused or finished step its detail).
enum class ToyAxis
{
    Follow,
    WholeRunWhilePlaying,
    WholeRun,
};
struct ToyAxisInfo
{
    ToyAxis axis;
    const char* key;   // settings ("follow", "playing", "whole-run") and dg-lab's --toy-axis
    const char* label; // menus
};
const std::vector<ToyAxisInfo>& toyAxes();
const ToyAxisInfo& toyAxisInfo(ToyAxis axis);
std::optional<ToyAxis> toyAxisFromKey(const std::string& key);

// One panel: a frame of a branch, shown as the guided run or as its unguided companion.
struct FramePanel
{
    FramePtr frame;
    bool unguided = false;
    std::string title;
    std::vector<FramePtr> history; // frames 0 … current of the same branch (2-D toys: particle paths)
    std::optional<ViewMode> mode;  // this panel's own view (default: the view's mode)
};

// What a grid export of the frame in this mode contains (values and the view record for its metadata); empty values
// when the mode cannot be shown (the difference without an unguided companion). Shared by both front ends.
HostTensor exportValues(const Frame& frame, ViewMode mode, int branch, ExportView& view);

// The grid export of what a view shows: one panel as dg::exportGrid always wrote it; several (compare: guided |
// unguided [| difference], or another branch) side by side, each under its title, the metadata listing them. A half
// whose companion step is still being computed is left out. Throws dg::Error (nothing shown, the difference without
// a companion, a bad path). Shared by both front ends.
void exportPanels(const std::string& path, const std::vector<FramePanel>& panels, ViewMode mode, int branch,
                  const SampleRequest& request);

// The recorded frames of one branch (0 … k) as an animation (GIF/MP4 by the path's extension): the view's values per
// frame, guided | unguided when the frames have a companion (x_t and x̂₀ views), captioned with step, σ and w; at most
// 64 images per panel. The request (the branch's settings) goes into the file's metadata. Errors (nothing recorded,
// the difference view without a companion, a bad path) throw dg::Error. Shared by both front ends.
void exportAnimation(const std::string& path, const std::vector<FramePtr>& frames, ViewMode mode,
                     const SampleRequest& request, const std::string& toy, const AnimationTiming& timing);

// The compare view of one frame: guided | unguided companion, and in the difference view guided | unguided |
// difference. Without a companion (recorded or pending) only the guided panel. Shared by both front ends.
std::vector<FramePanel> comparePanels(const FramePtr& frame, const std::string& guidedTitle,
                                      const std::vector<FramePtr>& history, ViewMode mode);

// The height of a tile's d(x_t) badge (logical pixels): 12 % of the tile, 3 to 14 px at text scale 1; both the share
// and the cap grow with the text scale, never beyond 30 % of the tile.
float badgeHeight(float tileHeight, float textScale);

// Text the host draws over the GL picture (QPainter in dg-studio, ImGui's draw list in dg-lab); logical pixels.
struct Label
{
    float x = 0, y = 0, w = 0, h = 0;
    std::string text;
    Color color{0.92f, 0.92f, 0.94f, 1.0f};
    bool small = false; // a badge value inside a tile
};

// What both front ends show of a run: panels side by side (images as tiles with d(x_t) badges, or 2-D particles over
// the data density with paths and correction arrows), sharing zoom and pan. Pure drawing logic over the Renderer.
class FrameView
{
public:
    static constexpr float kTitleBand = 24.0f;
    static constexpr float kMargin = 8.0f;

    void setPanels(std::vector<FramePanel> panels);
    const std::vector<FramePanel>& panels() const { return m_panels; }
    void invalidate() { m_dirty = true; } // re-upload textures (a new GL context)
    void setMode(ViewMode mode);
    ViewMode mode() const { return m_mode; }
    void setBadges(bool on) { m_badges = on; }
    // Text size factor for a lecture hall (dg-lab's font scale): the d(x_t) badges grow with it.
    void setTextScale(float scale) { m_textScale = std::max(0.5f, scale); }
    float textScale() const { return m_textScale; }
    // The height of a title line (and a caption's), growing with the text scale so that large text keeps its band.
    float band() const { return kTitleBand * std::max(1.0f, m_textScale); }
    // 2-D toys: the axis rule and whether the run is playing now (WholeRunWhilePlaying fixes the axes only then).
    void setToyAxis(ToyAxis axis, bool playing);
    void setSeed(uint64_t seed, int64_t firstSample);
    void resetView();
    void pan(float dx, float dy);
    void zoomAt(float factor, float x, float y, float width, float height); // keeps (x, y) in place
    float zoom() const { return m_zoom; }

    // Panel rectangles for a view of width × height logical pixels (below each panel's title band).
    std::vector<RectF> panelRects(float width, float height) const;
    // Draws into the bound framebuffer (physical pixels = logical × dpr); returns the labels to draw on top.
    std::vector<Label> draw(Renderer& renderer, float width, float height, float dpr);
    // The hover text at (x, y): sample, seed, σ, logit, pixel or position; empty outside tiles and particles.
    std::string describeAt(float x, float y, float width, float height) const;

private:
    ViewContent contentOf(const FramePanel& panel) const;
    void refreshContents();
    bool isToy() const;
    PanelTransform imageTransform(const RectF& panel) const;
    PanelTransform toyTransform(const RectF& panel) const;
    double toyExtent(const FramePanel& panel) const; // the half-width the plot shows
    void drawImages(Renderer& r, const std::vector<RectF>& rects, float dpr, std::vector<Label>& labels);
    void drawToy(Renderer& r, const std::vector<RectF>& rects, float dpr);

    std::vector<FramePanel> m_panels;
    std::vector<ViewContent> m_contents;
    bool m_dirty = true;
    ViewMode m_mode = ViewMode::State;
    bool m_badges = true;
    float m_textScale = 1.0f;
    bool m_fixedToyAxis = false;
    uint64_t m_seed = 0;
    int64_t m_firstSample = 0;
    float m_zoom = 1.0f, m_panX = 0.0f, m_panY = 0.0f;
    GridLayout m_layout;
};

} // namespace dg::gl
