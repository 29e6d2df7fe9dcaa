#include "ViewModes.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dg::gl {
namespace {

std::string num(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

// The q-quantile of |v| (nearest rank); 0 for no values.
float percentileAbs(const HostTensor& t, float q)
{
    std::vector<float> a;
    a.reserve(t.values.size());
    for (float v : t.values)
        if (std::isfinite(v)) a.push_back(std::fabs(v));
    if (a.empty()) return 0.0f;
    const size_t k = std::min(a.size() - 1, static_cast<size_t>(q * static_cast<float>(a.size() - 1) + 0.5f));
    std::nth_element(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(k), a.end());
    return a[k];
}

ViewContent showState(const Frame& f, bool unguided)
{
    ViewContent c;
    c.values = unguided ? f.unguidedX : f.x;
    const double sigma = unguided ? f.unguidedSigma : f.sigma;
    if (c.values.isImages() && sigma > 0) {
        // Shown as x_t / √(1 + σ²) so the noise stays in the displayable range at large σ.
        const float k = static_cast<float>(1.0 / std::sqrt(1.0 + sigma * sigma));
        for (float& v : c.values.values)
            v *= k;
        c.caption = "x_t / sqrt(1 + sigma^2)";
    }
    return c;
}

ViewContent showDenoised(const Frame& f, bool unguided)
{
    return {unguided ? f.unguidedDenoised : f.denoised, Colormap::Image, 1.0f, {}};
}

ViewContent showCorrection(const Frame& f, bool unguided)
{
    ViewContent c;
    c.colormap = Colormap::Diverging;
    if (unguided) {
        c.caption = "no guidance on this run";
        return c;
    }
    c.values = f.correction;
    // Full colour at the 99th percentile of |correction|: a few extreme pixels would leave the map nearly white.
    c.scale = std::max(percentileAbs(c.values, 0.99f), 1e-6f);
    c.caption = c.values.isImages() ? "blue - / red +, full colour at |w sigma^2 grad logit| = " + num(c.scale)
                                    : "arrows: DG correction w sigma^2 grad logit (longest = 12 % of the plot)";
    return c;
}

ViewContent showDifference(const Frame& f, bool unguided)
{
    ViewContent c;
    c.colormap = Colormap::Diverging;
    if (unguided) return c; // the difference belongs to the pair, shown in its own panel
    if (f.unguidedX.values.empty()) {
        c.caption = "turn Compare on to record the unguided run";
        return c;
    }
    c.values = difference(f.x, f.unguidedX);
    c.scale = std::max(maxAbs(c.values), 1e-6f);
    c.caption = c.values.isImages() ? "full colour at |guided - unguided| = " + num(c.scale)
                                    : "grey: unguided, red: guided, a line joins each pair";
    return c;
}

} // namespace

const std::vector<ViewModeInfo>& viewModes()
{
    static const std::vector<ViewModeInfo> modes = {
        {ViewMode::State, "x_t", "x_t", "x_t (noisy state)", "x_t",
         "the noisy state x_t (images shown as x_t / sqrt(1 + sigma^2))", false, true, true, ToyGlyph::Points,
         showState},
        {ViewMode::Denoised, "denoised", "denoised", "Denoised (x₀ prediction)", "x̂₀",
         "the denoiser's prediction of the clean sample x_0 at this step", false, true, true, ToyGlyph::Points,
         showDenoised},
        {ViewMode::Correction, "correction", "DG correction", "DG correction w·σ²·∇logit", "correction",
         "what DG adds to the denoiser: w sigma^2 grad log d/(1-d) (blue -, red +; arrows on 2-D toys)", false, false,
         true, ToyGlyph::Arrows, showCorrection},
        {ViewMode::Difference, "difference", "guided - unguided", "Difference guided − unguided", "difference",
         "guided minus unguided from the same noise (needs Compare when sampling)", true, false, false, ToyGlyph::Pairs,
         showDifference},
    };
    return modes;
}

const ViewModeInfo& viewModeInfo(ViewMode mode)
{
    for (const auto& m : viewModes())
        if (m.mode == mode) return m;
    return viewModes().front();
}

ViewMode viewModeAt(int index)
{
    return viewModes()[static_cast<size_t>(std::clamp<int>(index, 0, static_cast<int>(viewModes().size()) - 1))].mode;
}

std::optional<ViewMode> viewModeFromKey(const std::string& key)
{
    for (const auto& m : viewModes())
        if (key == m.key) return m.mode;
    return std::nullopt;
}

std::string viewModeKeys(const char* separator)
{
    std::string out;
    for (const auto& m : viewModes())
        out += (out.empty() ? "" : separator) + std::string(m.key);
    return out;
}

const char* toString(ViewMode mode)
{
    return viewModeInfo(mode).title;
}

} // namespace dg::gl
