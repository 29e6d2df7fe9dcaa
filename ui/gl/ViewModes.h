#pragma once

#include "Renderer.h"

#include "dg/Session.h"

#include <optional>
#include <string>
#include <vector>

namespace dg::gl {

enum class ViewMode
{
    State,      // x_t (images shown as x_t / √(1 + σ²))
    Denoised,   // x₀ prediction
    Correction, // w·σ²·∇logit: diverging heatmap (images) or arrows (2-D toys)
    Difference, // guided − unguided
};

// What one panel of a mode shows of a frame: the values (images, or 2-D points/vectors), how they are coloured, and
// a caption under the panel. Empty values: the mode has nothing to show there (caption says why).
struct ViewContent
{
    HostTensor values;
    Colormap colormap = Colormap::Image;
    float scale = 1.0f;  // Diverging: full colour at ±scale
    std::string caption; // under the panel; also the "shown" record of an export
};

// How a 2-D toy plot draws a mode's values over the density.
enum class ToyGlyph
{
    Points, // the values are positions: one dot per particle (with its path)
    Arrows, // the values are vectors drawn as arrows from the guided particles
    Pairs,  // guided and unguided particles joined by a line (the values are their displacement)
};

// The one table of view modes: every place that names, lists, shows, compares or exports a mode iterates it (menus,
// keys 1–4, dg-lab's list, both --view flags, the saved setting, FrameView, the toy plot, grid and animation exports).
// A new mode is one entry here and its show function (ViewModes.cpp).
struct ViewModeInfo
{
    ViewMode mode;
    const char* key;       // --view, settings and export metadata ("x_t", "denoised", "correction", "difference")
    const char* title;     // panel headers
    const char* menu;      // menu entry (UTF-8)
    const char* shortName; // toolbar (UTF-8)
    const char* legend;    // what the picture shows, one line (tooltips, dg-lab)
    bool needsCompanion;   // only with the unguided companion (Compare on when sampling); compare shows guided |
                           // unguided as x_t and this mode as a third panel
    bool comparable;       // guided | unguided side by side shows the same quantity of both runs (compare, animations)
    bool badges;           // d(x_t) badges over its image tiles (d belongs to a state)
    ToyGlyph toyGlyph;
    // What the panel shows of the frame: the guided run, or (unguided) its companion; σ of that run's step.
    ViewContent (*show)(const Frame& frame, bool unguided);
};

const std::vector<ViewModeInfo>& viewModes(); // in key order 1, 2, 3, 4
const ViewModeInfo& viewModeInfo(ViewMode mode);
ViewMode viewModeAt(int index); // clamped into the table: settings files may hold anything
std::optional<ViewMode> viewModeFromKey(const std::string& key);
std::string viewModeKeys(const char* separator); // "x_t|denoised|…" for help and errors
const char* toString(ViewMode mode);             // the title

} // namespace dg::gl
