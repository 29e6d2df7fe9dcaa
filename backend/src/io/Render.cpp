#include "dg/Render.h"

#include <algorithm>
#include <cmath>

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
    const auto toPy = [&](float v) { return kTitleHeight + static_cast<float>((o.extent - v) / (2.0 * o.extent) * size); };

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

} // namespace dg
