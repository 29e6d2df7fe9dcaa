#include "dg/Render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dg {
namespace {

constexpr Rgb kInk{30, 30, 36};
constexpr int kTitleHeight = 22;

uint8_t toByte(float v) // [-1, 1] → [0, 255]
{
    return static_cast<uint8_t>(std::lround(std::clamp((v + 1.0f) * 127.5f, 0.0f, 255.0f)));
}

Rgb diverging(float v, float scale) // the viewer's colormap (shaders/image.frag)
{
    const float t = std::clamp(v / scale, -1.0f, 1.0f);
    const float white[3] = {0.97f, 0.97f, 0.97f}, red[3] = {0.70f, 0.09f, 0.17f}, blue[3] = {0.13f, 0.40f, 0.67f};
    const float* end = t >= 0 ? red : blue;
    const float a = std::fabs(t);
    auto mix = [&](int i) { return static_cast<uint8_t>(std::lround(255.0f * (white[i] * (1 - a) + end[i] * a))); };
    return {mix(0), mix(1), mix(2)};
}

} // namespace

RgbImage renderImageGrid(const HostTensor& images, int scale, int columns, float divergingScale)
{
    if (!images.isImages() || images.batch() == 0) return {};
    const int n = static_cast<int>(images.batch());
    const int c = static_cast<int>(images.shape[1]), h = static_cast<int>(images.shape[2]);
    const int w = static_cast<int>(images.shape[3]);
    const int cols = columns > 0 ? columns : static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
    const int rows = (n + cols - 1) / cols;
    const int pad = 2, tileW = w * scale, tileH = h * scale;
    RgbImage grid(cols * (tileW + pad) + pad, rows * (tileH + pad) + pad, {40, 40, 46});
    for (int i = 0; i < n; ++i) {
        const float* px = images.sample(i);
        const int ox = pad + (i % cols) * (tileW + pad), oy = pad + (i / cols) * (tileH + pad);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const auto at = [&](int ch) { return toByte(px[(ch * h + y) * w + x]); };
                const Rgb colour = divergingScale > 0 ? diverging(px[y * w + x], divergingScale)
                                   : c == 1           ? Rgb{at(0), at(0), at(0)}
                                                      : Rgb{at(0), at(1), at(2)};
                grid.fillRect(ox + x * scale, oy + y * scale, scale, scale, colour);
            }
    }
    return grid;
}

RgbImage renderScatter(const HostTensor& points, const ScatterOptions& o)
{
    const int size = o.size;
    RgbImage img(size, size + kTitleHeight, {255, 255, 255});
    const auto toPx = [&](float v) { return static_cast<float>((v + o.extent) / (2.0 * o.extent) * size); };
    const auto toPy = [&](float v) {
        return kTitleHeight + static_cast<float>((o.extent - v) / (2.0 * o.extent) * size);
    };

    if (o.backgroundRes > 0 && o.background.size() == size_t(o.backgroundRes) * o.backgroundRes) {
        const float top = *std::max_element(o.background.begin(), o.background.end());
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x) {
                const int gx = x * o.backgroundRes / size, gy = y * o.backgroundRes / size;
                const float t = std::clamp((o.background[gy * o.backgroundRes + gx] - (top - 8.0f)) / 8.0f, 0.0f, 1.0f);
                img.setPixel(x, y + kTitleHeight,
                             {static_cast<uint8_t>(255 - 85 * t), static_cast<uint8_t>(255 - 60 * t),
                              static_cast<uint8_t>(255 - 25 * t)});
            }
    }
    const float axisX = toPx(0.0f), axisY = toPy(0.0f);
    img.drawLine(0, axisY, size, axisY, {200, 200, 210});
    img.drawLine(axisX, kTitleHeight, axisX, kTitleHeight + size, {200, 200, 210});

    if (o.paths && o.paths->size() > 1) {
        const auto& paths = *o.paths;
        for (size_t s = 0; s + 1 < paths.size(); ++s) {
            const auto n = std::min(paths[s].batch(), paths[s + 1].batch());
            for (int64_t i = 0; i < n; ++i) {
                const float* a = paths[s].sample(i);
                const float* b = paths[s + 1].sample(i);
                img.drawLine(toPx(a[0]), toPy(a[1]), toPx(b[0]), toPy(b[1]), {90, 90, 110}, 0.18f);
            }
        }
    }
    if (points.isPoints2d())
        for (int64_t i = 0; i < points.batch(); ++i) {
            const float* p = points.sample(i);
            img.fillDisc(toPx(p[0]), toPy(p[1]), 2.2f, o.pointColor, 0.85f);
        }

    img.fillRect(0, 0, size, kTitleHeight, {246, 246, 248});
    img.drawText(6, 7, o.title, kInk, 1);
    for (int x = 0; x < size; ++x) {
        img.setPixel(x, kTitleHeight, kInk);
        img.setPixel(x, kTitleHeight + size - 1, kInk);
    }
    for (int y = kTitleHeight; y < kTitleHeight + size; ++y) {
        img.setPixel(0, y, kInk);
        img.setPixel(size - 1, y, kInk);
    }
    return img;
}

namespace {

// About five round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart).
std::vector<double> niceTicks(double lo, double hi)
{
    const double span = std::max(hi - lo, 1e-12), raw = span / 5.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    double step = magnitude;
    for (double m : {1.0, 2.0, 5.0, 10.0})
        if (m * magnitude >= raw) {
            step = m * magnitude;
            break;
        }
    std::vector<double> ticks;
    for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step)
        ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
    return ticks;
}

std::string tickLabel(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

} // namespace

RgbImage renderLinePlot(const std::vector<PlotSeries>& series, const LinePlotOptions& o,
                        std::vector<std::vector<std::pair<float, float>>>* markers)
{
    RgbImage img(o.width, o.height, {255, 255, 255});
    const int left = 84, right = 16, top = 34, bottom = 56;
    const int plotW = o.width - left - right, plotH = o.height - top - bottom;
    double xLo = INFINITY, xHi = -INFINITY, yLo = INFINITY, yHi = -INFINITY;
    auto fitY = [&](double v) {
        if (std::isfinite(v)) yLo = std::min(yLo, v), yHi = std::max(yHi, v);
    };
    const auto tx = [&](double x) { return o.logX ? (x > 0 ? std::log10(x) : NAN) : x; }; // axis coordinate
    for (const auto& s : series) {
        for (double v : s.x)
            if (std::isfinite(tx(v))) xLo = std::min(xLo, tx(v)), xHi = std::max(xHi, tx(v));
        for (double v : s.y)
            fitY(v);
        for (double v : s.lo)
            fitY(v);
        for (double v : s.hi)
            fitY(v);
    }
    for (double v : o.referenceY)
        fitY(v);
    if (!std::isfinite(xLo)) xLo = 0, xHi = 1;
    if (!std::isfinite(yLo)) yLo = 0, yHi = 1;
    if (xHi - xLo < 1e-12) xLo -= 0.5, xHi += 0.5;
    if (yHi - yLo < 1e-12) yLo -= 0.5, yHi += 0.5;
    const double xPad = 0.05 * (xHi - xLo), yPad = 0.08 * (yHi - yLo);
    xLo -= xPad, xHi += xPad, yLo -= yPad, yHi += yPad;
    if (std::isfinite(o.yMin) && std::isfinite(o.yMax) && o.yMax > o.yMin) yLo = o.yMin, yHi = o.yMax;
    const auto px = [&](double x) { return static_cast<float>(left + (tx(x) - xLo) / (xHi - xLo) * plotW); };
    const auto py = [&](double y) { return static_cast<float>(top + (yHi - y) / (yHi - yLo) * plotH); };

    const Rgb grid{228, 228, 234};
    std::vector<double> xTicks;
    if (o.logX)
        for (double e = std::ceil(xLo); e <= xHi; e += 1.0)
            xTicks.push_back(std::pow(10.0, e));
    else
        xTicks = niceTicks(xLo, xHi);
    if (std::isfinite(o.shadeLo) && std::isfinite(o.shadeHi)) {
        const float a = std::max(px(std::max(o.shadeLo, o.logX ? 1e-300 : o.shadeLo)), static_cast<float>(left));
        const float b = std::min(px(o.shadeHi), static_cast<float>(left + plotW));
        for (int x = static_cast<int>(a); x <= static_cast<int>(b); ++x)
            for (int y = top; y < top + plotH; ++y)
                img.blendPixel(x, y, {250, 200, 60}, 0.22f);
        if (b > a) img.drawText(static_cast<int>(a) + 4, top + 4, o.shadeLabel, {150, 110, 0}, 1);
    }
    for (double t : xTicks) {
        img.drawLine(px(t), top, px(t), top + plotH, grid);
        const std::string label = tickLabel(t);
        img.drawText(static_cast<int>(px(t)) - RgbImage::textWidth(label, 2) / 2, top + plotH + 8, label, kInk, 2);
    }
    for (double t : niceTicks(yLo, yHi)) {
        img.drawLine(left, py(t), left + plotW, py(t), grid);
        const std::string label = tickLabel(t);
        img.drawText(left - 8 - RgbImage::textWidth(label, 2), static_cast<int>(py(t)) - 7, label, kInk, 2);
    }
    for (const auto& s : series) // bands first, beneath every curve
        if (s.lo.size() == s.x.size() && s.hi.size() == s.x.size())
            for (size_t i = 0; i + 1 < s.x.size(); ++i) {
                const float x0 = px(s.x[i]), x1 = px(s.x[i + 1]);
                if (!std::isfinite(x0) || !std::isfinite(x1)) continue;
                for (int x = static_cast<int>(std::ceil(x0)); x <= static_cast<int>(x1); ++x) {
                    const double t = x1 > x0 ? (x - x0) / (x1 - x0) : 0.0;
                    const double lo = s.lo[i] + t * (s.lo[i + 1] - s.lo[i]), hi = s.hi[i] + t * (s.hi[i + 1] - s.hi[i]);
                    for (int y = static_cast<int>(py(hi)); y <= static_cast<int>(py(lo)); ++y)
                        img.blendPixel(x, y, s.color, 0.16f);
                }
            }
    for (size_t r = 0; r < o.referenceY.size(); ++r) {
        const float y = py(o.referenceY[r]);
        for (int x = left; x < left + plotW; x += 10)
            img.drawLine(x, y, std::min(x + 5, left + plotW), y, {90, 90, 100});
    }
    struct Box
    {
        int x0, y0, x1, y1;
    };
    std::vector<Box> placed; // labels already drawn: a reference line's label avoids them
    if (std::isfinite(o.markX)) {
        const float x = px(o.markX);
        for (int y = top; y < top + plotH; y += 8)
            img.drawLine(x, y, x, std::min(y + 4, top + plotH), {20, 120, 60});
        const int labelW = RgbImage::textWidth(o.markLabel, 2);
        const int labelX = x + 4 + labelW < left + plotW ? static_cast<int>(x) + 4 : static_cast<int>(x) - 4 - labelW;
        img.drawText(labelX, top + 4, o.markLabel, {20, 120, 60}, 2);
        if (!o.markLabel.empty()) placed.push_back({labelX - 2, top + 2, labelX + labelW + 2, top + 4 + 16});
    }
    for (const auto& s : series) {
        for (size_t i = 0; i + 1 < s.x.size(); ++i)
            if (std::isfinite(s.y[i]) && std::isfinite(s.y[i + 1]))
                for (int d = -1; d <= 1; ++d)
                    img.drawLine(px(s.x[i]), py(s.y[i]) + d * 0.5f, px(s.x[i + 1]), py(s.y[i + 1]) + d * 0.5f, s.color);
        if (markers) markers->emplace_back(s.x.size(), std::pair<float, float>{NAN, NAN});
        for (size_t i = 0; i < s.x.size(); ++i)
            if (std::isfinite(s.y[i])) {
                img.fillDisc(px(s.x[i]), py(s.y[i]), 3.5f, s.color);
                if (markers) markers->back()[i] = {px(s.x[i]), py(s.y[i])};
            }
    }
    // A reference line's label goes where no curve passes and no label sits: the first clear candidate (else the one
    // with the fewest hits); drawn last, over a white backing.
    const auto curveNear = [&](int x0, int x1, int y0, int y1) {
        int hits = 0;
        for (const auto& s : series)
            for (size_t i = 0; i + 1 < s.x.size(); ++i) {
                const float ax = px(s.x[i]), bx = px(s.x[i + 1]), ay = py(s.y[i]), by = py(s.y[i + 1]);
                if (!std::isfinite(ax) || !std::isfinite(bx) || !std::isfinite(ay) || !std::isfinite(by)) continue;
                for (int x = std::max(x0, static_cast<int>(std::floor(std::min(ax, bx))) - 4);
                     x <= std::min(x1, static_cast<int>(std::ceil(std::max(ax, bx))) + 4); ++x) {
                    const float t = bx > ax ? std::clamp((x - ax) / (bx - ax), 0.0f, 1.0f) : 0.0f;
                    const float yy = ay + t * (by - ay);
                    hits += yy >= y0 - 4 && yy <= y1 + 4;
                }
            }
        return hits;
    };
    // Candidates: above or below the line, at its right end, its left end or its middle; a label already placed
    // (the marker's, or another line's at nearly the same value) counts as a thousand curve pixels.
    for (size_t r = 0; r < o.referenceY.size() && r < o.referenceLabels.size(); ++r) {
        const int y = static_cast<int>(py(o.referenceY[r]));
        const int w = RgbImage::textWidth(o.referenceLabels[r], 1), h = 9;
        const auto inside = [&](int x) { return std::clamp(x, 2, std::max(2, o.width - w - 2)); }; // a wide label
        const int xs[] = {inside(left + plotW - w - 4), inside(left + 6), inside(left + (plotW - w) / 2)};
        const int ys[] = {y - 11, y + 3};
        int bestX = xs[0], bestY = ys[0], fewest = -1;
        for (int cx : xs)
            for (int cy : ys) {
                if (cy < top + 2 || cy + h > top + plotH - 20) continue; // not on the frame or the legend
                int hits = curveNear(cx - 2, cx + w + 2, cy - 1, cy + h + 1);
                for (const auto& b : placed)
                    if (cx - 2 < b.x1 && b.x0 < cx + w + 2 && cy - 1 < b.y1 && b.y0 < cy + h + 1) hits += 1000;
                if (fewest < 0 || hits < fewest) bestX = cx, bestY = cy, fewest = hits;
            }
        placed.push_back({bestX - 2, bestY - 1, bestX + w + 2, bestY + h + 1});
        img.fillRect(bestX - 2, bestY - 1, w + 4, h + 2, {255, 255, 255});
        img.drawText(bestX, bestY, o.referenceLabels[r], {90, 90, 100}, 1);
    }
    for (int x = left; x <= left + plotW; ++x)
        img.setPixel(x, top + plotH, kInk), img.setPixel(x, top, kInk);
    for (int y = top; y <= top + plotH; ++y)
        img.setPixel(left, y, kInk), img.setPixel(left + plotW, y, kInk);
    const int titleWidth = RgbImage::textWidth(o.title, 2); // over the y axis rather than off the right edge
    img.drawText(std::max(8, std::min(left, o.width - 8 - titleWidth)), 10, o.title, kInk, 2);
    img.drawText(left + plotW / 2 - RgbImage::textWidth(o.xLabel, 2) / 2, o.height - 22, o.xLabel, kInk, 2);
    int legendX = left + 6;
    for (const auto& s : series) {
        if (s.name.empty()) continue;
        img.fillRect(legendX, top + plotH - 16, 10, 10, s.color);
        legendX += 14 + img.drawText(legendX + 14, top + plotH - 15, s.name, kInk, 1) + 12;
    }
    return img;
}

RgbImage joinHorizontally(const std::vector<RgbImage>& panels, int gap)
{
    int width = 0, height = 0;
    for (const auto& p : panels) {
        width += p.width() + gap;
        height = std::max(height, p.height());
    }
    RgbImage out(std::max(width - gap, 1), std::max(height, 1), {255, 255, 255});
    int x = 0;
    for (const auto& p : panels) {
        out.paste(p, x, 0);
        x += p.width() + gap;
    }
    return out;
}

RgbImage joinVertically(const std::vector<RgbImage>& panels, int gap)
{
    int width = 0, height = 0;
    for (const auto& p : panels) {
        height += p.height() + gap;
        width = std::max(width, p.width());
    }
    RgbImage out(std::max(width, 1), std::max(height - gap, 1), {255, 255, 255});
    int y = 0;
    for (const auto& p : panels) {
        out.paste(p, 0, y);
        y += p.height() + gap;
    }
    return out;
}

} // namespace dg
