#include "FrameView.h"

#include "dg/Error.h"
#include "dg/SampleRequest.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dg::gl {
namespace {

constexpr float kToyContent = 1000.0f; // 2-D toys: [-extent, extent]² maps onto a square of this many content units
constexpr int kMaxPaths = 256;
const Color kGap{0.18f, 0.18f, 0.21f, 1.0f};

std::string formatWeight(double w)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", w);
    return buf;
}

float sigmoid(float logit)
{
    return 1.0f / (1.0f + std::exp(-logit));
}

// d(x_t) as a badge colour: red = "looks generated" (d → 0), green = "looks real" (d → 1).
Color badgeColor(float d)
{
    d = std::clamp(d, 0.0f, 1.0f);
    return {0.85f * (1 - d) + 0.15f * d, 0.20f * (1 - d) + 0.70f * d, 0.20f, 0.9f};
}

std::string num(double v, int precision = 3)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    return buf;
}

void toyToContent(float x, float y, double extent, float& cx, float& cy)
{
    cx = static_cast<float>((x + extent) / (2 * extent)) * kToyContent;
    cy = static_cast<float>((extent - y) / (2 * extent)) * kToyContent;
}

RectF scaled(const RectF& r, float k)
{
    return {r.x * k, r.y * k, r.w * k, r.h * k};
}

} // namespace

const std::vector<ToyAxisInfo>& toyAxes()
{
    static const std::vector<ToyAxisInfo> axes = {
        {ToyAxis::Follow, "follow", "Follow the cloud"},
        {ToyAxis::WholeRunWhilePlaying, "playing", "Whole run while playing"},
        {ToyAxis::WholeRun, "whole-run", "Whole run always"},
    };
    return axes;
}

const ToyAxisInfo& toyAxisInfo(ToyAxis axis)
{
    for (const auto& a : toyAxes())
        if (a.axis == axis) return a;
    return toyAxes().front();
}

std::optional<ToyAxis> toyAxisFromKey(const std::string& key)
{
    for (const auto& a : toyAxes())
        if (key == a.key) return a.axis;
    return std::nullopt;
}

void FrameView::setToyAxis(ToyAxis axis, bool playing)
{
    const bool fixed = axis == ToyAxis::WholeRun || (axis == ToyAxis::WholeRunWhilePlaying && playing);
    if (fixed == m_fixedToyAxis) return;
    m_fixedToyAxis = fixed;
    refreshContents(); // the caption names the axes
}

double FrameView::toyExtent(const FramePanel& p) const
{
    double extent = p.frame && p.frame->extent > 0 ? p.frame->extent : 1.6;
    if (m_fixedToyAxis)
        for (const auto& h : p.history)
            if (h && h->extent > extent) extent = h->extent;
    return extent;
}

float badgeHeight(float tileHeight, float textScale)
{
    const float s = std::max(1.0f, textScale);
    return std::max(3.0f, std::min({14.0f * s, tileHeight * 0.12f * s, tileHeight * 0.3f}));
}

HostTensor exportValues(const Frame& f, ViewMode mode, int branch, ExportView& v)
{
    v.branch = branch;
    v.step = f.step;
    v.steps = f.steps;
    v.sigma = f.sigma;
    v.mode = viewModeInfo(mode).key;
    ViewContent c = viewModeInfo(mode).show(f, false); // as on screen
    v.divergingScale = c.colormap == Colormap::Diverging ? c.scale : 0.0f;
    v.shown = c.caption;
    return std::move(c.values);
}

void exportPanels(const std::string& path, const std::vector<FramePanel>& panels, ViewMode mode, int branch,
                  const SampleRequest& request)
{
    if (panels.empty() || !panels.front().frame) throw Error("export: nothing to export yet; press Sample first");
    ExportView view;
    std::vector<GridPanel> grid;
    for (const FramePanel& p : panels) {
        const Frame& f = *p.frame;
        const ViewMode m = p.mode.value_or(mode);
        const ViewModeInfo& info = viewModeInfo(m);
        // A 2-D displacement is not a position: beside the guided and unguided plots it adds nothing true.
        if (info.toyGlyph != ToyGlyph::Points && f.x.isPoints2d() && panels.size() > 1) continue;
        GridPanel g;
        if (p.unguided) {
            if (f.unguidedX.values.empty()) continue;
            ViewContent c = info.show(f, true);
            if (c.values.values.empty()) continue; // no guidance, no correction
            g.values = std::move(c.values);
            g.divergingScale = c.colormap == Colormap::Diverging ? c.scale : 0.0f;
        } else {
            ExportView v;
            g.values = exportValues(f, m, branch, v);
            if (g.values.values.empty()) continue;
            g.divergingScale = v.divergingScale;
            if (grid.empty()) view = v;
        }
        g.title = p.title + " (" + viewModeInfo(m).title + ")";
        grid.push_back(std::move(g));
    }
    if (grid.empty()) throw Error("export: the difference view needs Compare on when sampling");
    if (grid.size() == 1) return exportGrid(path, grid.front().values, request, view);
    exportGrid(path, grid, request, view);
}

void exportAnimation(const std::string& path, const std::vector<FramePtr>& frames, ViewMode mode,
                     const SampleRequest& request, const std::string& toy, const AnimationTiming& timing)
{
    checkAnimationPath(path, "export");
    if (frames.empty()) throw Error("export: nothing to export yet; press Sample first");
    const auto& g = request.settings.guidance;
    const double w = g.enabled ? g.weight : 0.0;
    AnimationPanel guided{w != 0.0 ? "guided, w = " + formatWeight(w) : "no guidance", {}};
    AnimationPanel unguided{"unguided", {}};
    const ViewModeInfo& info = viewModeInfo(mode);
    bool compare = info.comparable;
    std::vector<std::string> captions;
    std::vector<double> sigmas;
    constexpr int64_t kMaxImages = 64;
    for (const auto& f : frames) {
        ExportView v;
        HostTensor values = exportValues(*f, mode, 0, v);
        if (values.values.empty()) {
            if (info.needsCompanion)
                throw Error("export: the " + std::string(info.title) + " view needs Compare on when sampling");
            values = f->x; // the last frame has no correction: the final samples, with a heatmap of zeros
            if (v.divergingScale > 0 || info.toyGlyph == ToyGlyph::Arrows)
                std::fill(values.values.begin(), values.values.end(), 0.0f), v.divergingScale = 1.0f;
        }
        const int64_t shown = values.isPoints2d() ? values.batch() : std::min(values.batch(), kMaxImages);
        guided.frames.push_back(values.slice(0, shown));
        guided.divergingScale.push_back(v.divergingScale);
        const HostTensor other = compare && !f->unguidedX.values.empty() ? info.show(*f, true).values : HostTensor{};
        compare = compare && !other.values.empty();
        if (compare) unguided.frames.push_back(other.slice(0, shown));
        captions.push_back(animationCaption(f->step, f->steps, f->sigma, f->weight));
        sigmas.push_back(f->sigma);
    }
    std::vector<AnimationPanel> panels{guided};
    if (compare) panels.push_back(unguided);
    writeAnimation(path, composeAnimation(panels, captions, sigmas, toy), timing, toJson(request), "export");
}

std::vector<FramePanel> comparePanels(const FramePtr& f, const std::string& guidedTitle,
                                      const std::vector<FramePtr>& history, ViewMode mode)
{
    std::vector<FramePanel> out{{f, false, guidedTitle, history, std::nullopt}};
    if (f->unguidedX.values.empty()) return out;
    out.push_back({f, true, "unguided", history, std::nullopt});
    if (viewModeInfo(mode).needsCompanion) { // the pair as states, then what the mode shows of them
        out[0].mode = out[1].mode = ViewMode::State;
        out.push_back({f, false, viewModeInfo(mode).key, history, mode});
    }
    return out;
}

// The same frames again (dg-lab hands its panels over every frame): nothing to recompute or upload.
static bool samePanels(const std::vector<FramePanel>& a, const std::vector<FramePanel>& b)
{
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].frame != b[i].frame || a[i].unguided != b[i].unguided || a[i].title != b[i].title ||
            a[i].mode != b[i].mode || a[i].history != b[i].history)
            return false;
    return true;
}

void FrameView::setPanels(std::vector<FramePanel> panels)
{
    if (samePanels(panels, m_panels) && m_contents.size() == m_panels.size()) return;
    m_panels = std::move(panels);
    refreshContents();
}

void FrameView::setMode(ViewMode mode)
{
    if (mode == m_mode && m_contents.size() == m_panels.size()) return;
    m_mode = mode;
    refreshContents();
}

// The values are computed when the panels change, not at the next paint: the hover text read between the two (a
// step under a still mouse) must describe the new frame's pixels.
void FrameView::refreshContents()
{
    m_contents.clear();
    for (const auto& p : m_panels)
        m_contents.push_back(p.frame ? contentOf(p) : ViewContent{});
    m_dirty = true;
}

void FrameView::setSeed(uint64_t seed, int64_t firstSample)
{
    m_seed = seed;
    m_firstSample = firstSample;
}

void FrameView::resetView()
{
    m_zoom = 1.0f;
    m_panX = m_panY = 0.0f;
}

void FrameView::pan(float dx, float dy)
{
    m_panX += dx;
    m_panY += dy;
}

void FrameView::zoomAt(float factor, float x, float y, float width, float height)
{
    const float zoom = std::clamp(m_zoom * factor, 0.2f, 40.0f);
    const auto rects = panelRects(width, height);
    for (const auto& r : rects)
        if (r.contains(x, y)) {
            // Content under (x, y) stays put: offset = centre-relative position scales with the zoom.
            const float dx = x - (r.x + r.w / 2) - m_panX, dy = y - (r.y + r.h / 2) - m_panY;
            m_panX -= dx * (zoom / m_zoom - 1.0f);
            m_panY -= dy * (zoom / m_zoom - 1.0f);
            break;
        }
    m_zoom = zoom;
}

bool FrameView::isToy() const
{
    return !m_panels.empty() && m_panels.front().frame && m_panels.front().frame->x.isPoints2d();
}

std::vector<RectF> FrameView::panelRects(float width, float height) const
{
    std::vector<RectF> rects;
    const int n = std::max<int>(1, static_cast<int>(m_panels.size()));
    const float w = (width - kMargin * static_cast<float>(n + 1)) / static_cast<float>(n);
    // Side by side: a shared header line (step, σ, view) above the panels' own names.
    const float top = (n > 1 ? 2 * band() : band()) + 4;
    for (int i = 0; i < n; ++i)
        rects.push_back({kMargin + static_cast<float>(i) * (w + kMargin), top, w, height - top - band() - 2});
    return rects;
}

ViewContent FrameView::contentOf(const FramePanel& p) const
{
    ViewContent c = viewModeInfo(p.mode.value_or(m_mode)).show(*p.frame, p.unguided);
    if (c.values.isPoints2d() && c.caption.empty()) { // a plot of positions: say how its axes are chosen
        if (m_fixedToyAxis)
            c.caption = "axes fixed at +-" + num(toyExtent(p)) + " (the whole run)";
        else if (p.frame->extent > 1.6)
            c.caption = "plot spans +-" + num(p.frame->extent) + " (every particle shown)";
    }
    return c;
}

PanelTransform FrameView::imageTransform(const RectF& panel) const
{
    return PanelTransform::fit(panel, static_cast<float>(m_layout.width()), static_cast<float>(m_layout.height()),
                               m_zoom, m_panX, m_panY);
}

PanelTransform FrameView::toyTransform(const RectF& panel) const
{
    return PanelTransform::fit(panel, kToyContent, kToyContent, m_zoom, m_panX, m_panY);
}

std::vector<Label> FrameView::draw(Renderer& r, float width, float height, float dpr)
{
    std::vector<Label> labels;
    if (m_panels.empty() || !m_panels.front().frame) return labels;
    const auto rects = panelRects(width, height);
    if (isToy())
        drawToy(r, rects, dpr);
    else
        drawImages(r, rects, dpr, labels);
    m_dirty = false;
    const bool several = m_panels.size() > 1;
    for (size_t i = 0; i < m_panels.size() && i < rects.size(); ++i) {
        const FramePanel& p = m_panels[i];
        const Frame& f = *p.frame;
        const std::string when = f.step >= f.steps ? "final " + std::to_string(f.steps) + "/" + std::to_string(f.steps)
                                                   : "step " + std::to_string(f.step) + "/" + std::to_string(f.steps) +
                                                         "  sigma=" + num(f.sigma);
        const std::string weight = !p.unguided && f.step < f.steps ? "w=" + num(f.weight) : std::string();
        const std::string mode = toString(p.mode.value_or(m_mode));
        if (several) { // one header for what the panels share, then each panel's name (and weight, and own view)
            if (i == 0) labels.push_back({rects[0].x, 2, width - 2 * kMargin, band(), when + " | " + toString(m_mode)});
            std::string name = p.title.empty() ? std::string("run") : p.title;
            if (!weight.empty()) name += " (" + weight + ")";
            if (p.mode && *p.mode != m_mode) name += " | " + mode;
            labels.push_back({rects[i].x, 2 + band(), rects[i].w, band(), name});
        } else {
            std::string title = p.title.empty() ? std::string() : p.title + " | ";
            title += when + (weight.empty() ? std::string() : "  " + weight) + " | " + mode;
            labels.push_back({rects[i].x, 2, rects[i].w, band(), title});
        }
        if (i < m_contents.size() && !m_contents[i].caption.empty())
            labels.push_back({rects[i].x,
                              rects[i].y + rects[i].h + 2,
                              rects[i].w,
                              band(),
                              m_contents[i].caption,
                              {0.75f, 0.75f, 0.80f, 1.0f}});
    }
    return labels;
}

void FrameView::drawImages(Renderer& r, const std::vector<RectF>& rects, float dpr, std::vector<Label>& labels)
{
    const auto& shape = m_panels.front().frame->x.shape;
    // The grid's columns fill the panel's shape (side by side panels are tall: fewer columns, larger tiles).
    const int count = static_cast<int>(shape[0]), tw = static_cast<int>(shape[3]), th = static_cast<int>(shape[2]);
    int columns = 1;
    float best = 0.0f;
    for (int c = 1; c <= count; ++c) {
        const GridLayout g(count, tw, th, c);
        const float fit =
            std::min(rects[0].w / static_cast<float>(g.width()), rects[0].h / static_cast<float>(g.height()));
        if (fit > best * 1.0001f) best = fit, columns = c;
    }
    if (columns != m_layout.columns() || count != m_layout.count()) m_dirty = true; // the atlases change shape
    m_layout = GridLayout(count, tw, th, columns);
    for (size_t i = 0; i < m_panels.size() && i < static_cast<size_t>(Renderer::kImageSlots); ++i) {
        const ViewContent& c = m_contents[i];
        if (c.values.values.empty() || !c.values.isImages()) continue;
        if (m_dirty) r.setImage(static_cast<int>(i), makeAtlas(c.values, m_layout));
        const auto t = imageTransform(rects[i]);
        const RectF clip = scaled(rects[i], dpr);
        r.setClip(&clip);
        const auto screen =
            t.toScreen({0, 0, static_cast<float>(m_layout.width()), static_cast<float>(m_layout.height())});
        r.drawImage(static_cast<int>(i), scaled(screen, dpr), c.colormap, c.scale, kGap);
        const auto& logit = m_panels[i].frame->logit;
        if (!m_badges || m_panels[i].unguided || logit.empty() ||
            !viewModeInfo(m_panels[i].mode.value_or(m_mode)).badges)
            continue;
        // A bar along the top of each tile, coloured by d(x_t), with its value when the tile is large enough.
        std::vector<RectF> bars;
        std::vector<Color> colors;
        for (int k = 0; k < m_layout.count() && k < static_cast<int>(logit.size()); ++k) {
            const auto tile = t.toScreen(m_layout.tile(k));
            const float h = badgeHeight(tile.h, m_textScale);
            const float d = sigmoid(logit[static_cast<size_t>(k)]);
            bars.push_back(scaled({tile.x, tile.y, tile.w, h}, dpr));
            colors.push_back(badgeColor(d));
            // Its value only where the whole label lies inside the panel (zoomed or panned tiles are clipped).
            const float labelW = std::min(tile.w - 4, 5.0f * h);
            if (tile.w >= 56 && rects[i].contains(tile.x + 1, tile.y + 1) &&
                rects[i].contains(tile.x + 2 + labelW, tile.y + h))
                labels.push_back({tile.x + 2, tile.y, labelW, h, "d=" + num(d, 2), {1, 1, 1, 1}, true});
        }
        r.drawRects(bars, colors);
    }
    r.setClip(nullptr);
}

void FrameView::drawToy(Renderer& r, const std::vector<RectF>& rects, float dpr)
{
    for (size_t i = 0; i < m_panels.size() && i < static_cast<size_t>(Renderer::kImageSlots); ++i) {
        const FramePanel& p = m_panels[i];
        const Frame& f = *p.frame;
        const double extent = toyExtent(p);
        const auto t = toyTransform(rects[i]);
        auto toScreen = [&](float x, float y, float& sx, float& sy) {
            float cx = 0, cy = 0;
            toyToContent(x, y, extent, cx, cy);
            sx = (t.offsetX + cx * t.scale) * dpr;
            sy = (t.offsetY + cy * t.scale) * dpr;
        };
        const auto square = t.toScreen({0, 0, kToyContent, kToyContent});
        // Clip to the plot square within the panel: early particles (σ up to 80) lie far outside the plot.
        const float x0 = std::max(rects[i].x, square.x), y0 = std::max(rects[i].y, square.y);
        const float x1 = std::min(rects[i].x + rects[i].w, square.x + square.w);
        const float y1 = std::min(rects[i].y + rects[i].h, square.y + square.h);
        const RectF clip = scaled({x0, y0, std::max(0.0f, x1 - x0), std::max(0.0f, y1 - y0)}, dpr);
        r.setClip(&clip);
        if (!f.logDensity.empty()) {
            if (m_dirty) {
                // Density relative to its peak, square-rooted so the faint bridges between modes still show.
                ImageData d{f.densityRes, f.densityRes, 1, f.logDensity};
                const float top = *std::max_element(d.values.begin(), d.values.end());
                for (float& v : d.values)
                    v = std::sqrt(std::exp(v - top));
                r.setImage(static_cast<int>(i), d);
            }
            // The density covers this frame's own extent; with fixed axes that is a square inside the plot.
            const double own = f.extent > 0 ? f.extent : 1.6;
            float cx0, cy0, cx1, cy1;
            toyToContent(static_cast<float>(-own), static_cast<float>(own), extent, cx0, cy0);
            toyToContent(static_cast<float>(own), static_cast<float>(-own), extent, cx1, cy1);
            if (own < extent) r.drawRects({scaled(square, dpr)}, {{0.2f, 0.2f, 0.24f, 1}});
            r.drawImage(static_cast<int>(i), scaled(t.toScreen({cx0, cy0, cx1 - cx0, cy1 - cy0}), dpr),
                        Colormap::Sequential, 1.0f, kGap, true);
        } else {
            r.drawRects({scaled(square, dpr)}, {{0.2f, 0.2f, 0.24f, 1}});
        }
        const ViewModeInfo& info = viewModeInfo(p.mode.value_or(m_mode));
        const bool difference = info.toyGlyph == ToyGlyph::Pairs && !f.unguidedX.values.empty();
        // Positions: the mode's own values, or, for a mode of vectors, the run's particles they start from.
        const HostTensor& content = i < m_contents.size() ? m_contents[i].values : f.x;
        const HostTensor& now = difference                                                     ? f.unguidedX
                                : info.toyGlyph == ToyGlyph::Points && !content.values.empty() ? content
                                : p.unguided                                                   ? f.unguidedX
                                                                                               : f.x;
        const int n = static_cast<int>(now.batch());
        std::vector<float> segments;
        const int paths = std::min(n, kMaxPaths);
        for (size_t k = 1; k < p.history.size(); ++k) {
            const HostTensor& a = p.unguided ? p.history[k - 1]->unguidedX : p.history[k - 1]->x;
            const HostTensor& b = p.unguided ? p.history[k]->unguidedX : p.history[k]->x;
            if (a.batch() < paths || b.batch() < paths) continue;
            for (int j = 0; j < paths; ++j) {
                float ax, ay, bx, by;
                toScreen(a.sample(j)[0], a.sample(j)[1], ax, ay);
                toScreen(b.sample(j)[0], b.sample(j)[1], bx, by);
                segments.insert(segments.end(), {ax, ay, bx, by});
            }
        }
        if (!segments.empty()) r.drawLines(segments, {{1.0f, 1.0f, 1.0f, 0.18f}});
        std::vector<float> points;
        for (int j = 0; j < n; ++j) {
            float sx, sy;
            toScreen(now.sample(j)[0], now.sample(j)[1], sx, sy);
            points.insert(points.end(), {sx, sy});
        }
        const Color grey{0.75f, 0.75f, 0.80f, 0.95f}, red{0.95f, 0.30f, 0.25f, 0.95f};
        const float dot = 6.0f * std::max(1.0f, 0.6f * m_textScale) * dpr; // larger for a lecture hall
        if (difference) {
            std::vector<float> links, guided;
            for (int j = 0; j < n; ++j) {
                float gx, gy;
                toScreen(f.x.sample(j)[0], f.x.sample(j)[1], gx, gy);
                links.insert(links.end(), {points[2 * j], points[2 * j + 1], gx, gy});
                guided.insert(guided.end(), {gx, gy});
            }
            r.drawLines(links, {{1.0f, 0.85f, 0.3f, 0.8f}});
            r.drawPoints(points, {grey}, dot);
            r.drawPoints(guided, {red}, dot);
        } else {
            r.drawPoints(points, {p.unguided ? grey : red}, dot);
        }
        const HostTensor& vectors = i < m_contents.size() ? m_contents[i].values : HostTensor{};
        if (info.toyGlyph == ToyGlyph::Arrows && !p.unguided && vectors.batch() == n) {
            // The DG correction as arrows from each particle, scaled so the longest is 12 % of the plot.
            const float k = static_cast<float>(0.12 * 2 * extent) / std::max(maxAbs(vectors), 1e-9f);
            std::vector<float> arrows;
            for (int j = 0; j < n; ++j) {
                const float* x = f.x.sample(j);
                const float* c = vectors.sample(j);
                float ax, ay, bx, by;
                toScreen(x[0], x[1], ax, ay);
                toScreen(x[0] + k * c[0], x[1] + k * c[1], bx, by);
                const float dx = bx - ax, dy = by - ay, len = std::sqrt(dx * dx + dy * dy);
                if (len < 1.5f) continue;
                const float ux = dx / len, uy = dy / len, head = std::min(6.0f * dpr, len * 0.4f);
                arrows.insert(arrows.end(),
                              {ax, ay, bx, by, bx, by, bx - head * (ux - 0.5f * uy), by - head * (uy + 0.5f * ux), bx,
                               by, bx - head * (ux + 0.5f * uy), by - head * (uy - 0.5f * ux)});
            }
            if (!arrows.empty()) { // white with a dark outline: readable on the yellow density and on the dark blue
                for (const auto& [ox, oy] : {std::pair{1.0f, 0.0f}, {-1.0f, 0.0f}, {0.0f, 1.0f}, {0.0f, -1.0f}}) {
                    std::vector<float> outline = arrows;
                    for (size_t q = 0; q < outline.size(); q += 2)
                        outline[q] += ox * dpr, outline[q + 1] += oy * dpr;
                    r.drawLines(outline, {{0.05f, 0.05f, 0.1f, 0.85f}});
                }
                r.drawLines(arrows, {{1.0f, 1.0f, 1.0f, 1.0f}});
            }
        }
    }
    r.setClip(nullptr);
}

std::string FrameView::describeAt(float x, float y, float width, float height) const
{
    if (m_panels.empty() || !m_panels.front().frame) return {};
    const auto rects = panelRects(width, height);
    for (size_t i = 0; i < m_panels.size() && i < rects.size(); ++i) {
        if (!rects[i].contains(x, y)) continue;
        const FramePanel& p = m_panels[i];
        const Frame& f = *p.frame;
        int index = -1;
        std::string where;
        if (isToy()) {
            const double extent = toyExtent(p);
            const auto t = toyTransform(rects[i]);
            const HostTensor& pts = p.unguided ? f.unguidedX : f.x;
            float best = 8.0f;
            for (int j = 0; j < pts.batch(); ++j) {
                float cx, cy;
                toyToContent(pts.sample(j)[0], pts.sample(j)[1], extent, cx, cy);
                const float d = std::hypot(t.offsetX + cx * t.scale - x, t.offsetY + cy * t.scale - y);
                if (d < best) {
                    best = d;
                    index = j;
                }
            }
            if (index >= 0) where = "x = (" + num(pts.sample(index)[0]) + ", " + num(pts.sample(index)[1]) + ")";
        } else {
            float cx, cy;
            imageTransform(rects[i]).toContent(x, y, cx, cy);
            index = m_layout.tileAt(cx, cy);
            if (index >= 0 && i < m_contents.size() && !m_contents[i].values.values.empty()) {
                const auto tile = m_layout.tile(index);
                const int px = static_cast<int>(cx - tile.x), py = static_cast<int>(cy - tile.y);
                const auto& v = m_contents[i].values;
                where = "pixel (" + std::to_string(px) + ", " + std::to_string(py) +
                        ") = " + num(v.sample(index)[static_cast<int64_t>(py) * v.shape[3] + px], 4);
            }
        }
        if (index < 0) return {};
        std::string text = "sample " + std::to_string(index) + " | seed " + std::to_string(m_seed) + " (noise key " +
                           std::to_string(m_seed) + "/" + std::to_string(m_firstSample + index) +
                           ") | sigma = " + num(f.sigma);
        if (!p.unguided && index < static_cast<int>(f.logit.size())) {
            const float l = f.logit[static_cast<size_t>(index)];
            text += " | logit = " + num(l) + ", d = " + num(sigmoid(l), 3);
        }
        if (!where.empty()) text += " | " + where;
        return text;
    }
    return {};
}

} // namespace dg::gl
