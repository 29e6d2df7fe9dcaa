#include "dg/Image.h"
#include "io/TextFont.h"

#include <algorithm>
#include <cmath>

namespace dg {

RgbImage::RgbImage(int width, int height, Rgb fill)
    : m_width(std::max(width, 0)), m_height(std::max(height, 0)), m_bytes(size_t(m_width) * m_height * 3)
{
    fillRect(0, 0, m_width, m_height, fill);
}

Rgb RgbImage::pixel(int x, int y) const
{
    if (x < 0 || y < 0 || x >= m_width || y >= m_height) return {};
    const size_t i = (size_t(y) * m_width + x) * 3;
    return {m_bytes[i], m_bytes[i + 1], m_bytes[i + 2]};
}

void RgbImage::setPixel(int x, int y, Rgb c)
{
    if (x < 0 || y < 0 || x >= m_width || y >= m_height) return;
    const size_t i = (size_t(y) * m_width + x) * 3;
    m_bytes[i] = c.r;
    m_bytes[i + 1] = c.g;
    m_bytes[i + 2] = c.b;
}

void RgbImage::blendPixel(int x, int y, Rgb c, float alpha)
{
    if (x < 0 || y < 0 || x >= m_width || y >= m_height || alpha <= 0.0f) return;
    const float a = std::min(alpha, 1.0f);
    const Rgb old = pixel(x, y);
    auto mixc = [a](uint8_t o, uint8_t n) { return static_cast<uint8_t>(std::lround(o + (n - o) * a)); };
    setPixel(x, y, {mixc(old.r, c.r), mixc(old.g, c.g), mixc(old.b, c.b)});
}

void RgbImage::fillRect(int x, int y, int w, int h, Rgb c)
{
    for (int yy = std::max(y, 0); yy < std::min(y + h, m_height); ++yy)
        for (int xx = std::max(x, 0); xx < std::min(x + w, m_width); ++xx)
            setPixel(xx, yy, c);
}

void RgbImage::fillDisc(float cx, float cy, float radius, Rgb c, float alpha)
{
    const int x0 = static_cast<int>(std::floor(cx - radius - 1)), x1 = static_cast<int>(std::ceil(cx + radius + 1));
    const int y0 = static_cast<int>(std::floor(cy - radius - 1)), y1 = static_cast<int>(std::ceil(cy + radius + 1));
    for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
            const float d = std::hypot(x + 0.5f - cx, y + 0.5f - cy);
            const float coverage = std::clamp(radius + 0.5f - d, 0.0f, 1.0f); // one-pixel anti-aliased rim
            blendPixel(x, y, c, alpha * coverage);
        }
}

void RgbImage::drawLine(float x0, float y0, float x1, float y1, Rgb c, float alpha)
{
    const float len = std::hypot(x1 - x0, y1 - y0);
    const int n = std::max(1, static_cast<int>(std::ceil(len)));
    for (int i = 0; i <= n; ++i) {
        const float t = static_cast<float>(i) / n;
        blendPixel(static_cast<int>(x0 + t * (x1 - x0)), static_cast<int>(y0 + t * (y1 - y0)), c, alpha);
    }
}

int RgbImage::textWidth(const std::string& text, int scale)
{
    return fontTextWidth(text, scale);
}

int RgbImage::drawText(int x, int y, const std::string& text, Rgb c, int scale)
{
    return drawFontText(*this, x, y, text, c, scale);
}

void RgbImage::paste(const RgbImage& other, int x, int y)
{
    for (int yy = 0; yy < other.height(); ++yy)
        for (int xx = 0; xx < other.width(); ++xx)
            setPixel(x + xx, y + yy, other.pixel(xx, yy));
}

} // namespace dg
