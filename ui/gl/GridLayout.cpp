#include "GridLayout.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace dg::gl {

GridLayout::GridLayout(int count, int tileWidth, int tileHeight, int columns, int gap)
    : m_count(std::max(0, count)), m_tileWidth(tileWidth), m_tileHeight(tileHeight), m_gap(gap)
{
    m_columns = columns > 0 ? columns : std::max(1, static_cast<int>(std::ceil(std::sqrt(std::max(1, m_count)))));
    m_rows = (m_count + m_columns - 1) / m_columns;
}

RectF GridLayout::tile(int index) const
{
    const int r = index / m_columns, c = index % m_columns;
    return {static_cast<float>(m_gap + c * (m_tileWidth + m_gap)),
            static_cast<float>(m_gap + r * (m_tileHeight + m_gap)), static_cast<float>(m_tileWidth),
            static_cast<float>(m_tileHeight)};
}

int GridLayout::tileAt(float x, float y) const
{
    if (x < 0 || y < 0) return -1;
    const int c = static_cast<int>(x) / (m_tileWidth + m_gap), r = static_cast<int>(y) / (m_tileHeight + m_gap);
    if (c >= m_columns || r >= m_rows) return -1;
    const int index = r * m_columns + c;
    return index < m_count && tile(index).contains(x, y) ? index : -1;
}

ImageData makeAtlas(const HostTensor& images, const GridLayout& layout)
{
    if (!images.isImages()) throw std::invalid_argument("makeAtlas: expected images [N, 1|3, H, W]");
    const int channels = static_cast<int>(images.shape[1]);
    const int h = static_cast<int>(images.shape[2]), w = static_cast<int>(images.shape[3]);
    ImageData out;
    out.width = layout.width();
    out.height = layout.height();
    out.channels = channels;
    out.values.assign(static_cast<size_t>(out.width) * out.height * channels, std::numeric_limits<float>::quiet_NaN());
    const int n = std::min<int>(layout.count(), static_cast<int>(images.batch()));
    for (int i = 0; i < n; ++i) {
        const float* src = images.sample(i);
        const RectF t = layout.tile(i);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                for (int ch = 0; ch < channels; ++ch)
                    out.values[(static_cast<size_t>(t.y + y) * out.width + static_cast<size_t>(t.x + x)) * channels +
                               ch] = src[(static_cast<size_t>(ch) * h + y) * w + x];
    }
    return out;
}

HostTensor difference(const HostTensor& a, const HostTensor& b)
{
    if (a.shape != b.shape) throw std::invalid_argument("difference: shapes differ");
    HostTensor d;
    d.shape = a.shape;
    d.values.resize(a.values.size());
    for (size_t i = 0; i < a.values.size(); ++i)
        d.values[i] = a.values[i] - b.values[i];
    return d;
}

float maxAbs(const HostTensor& t)
{
    float m = 0.0f;
    for (float v : t.values)
        if (std::isfinite(v)) m = std::max(m, std::fabs(v));
    return m;
}

PanelTransform PanelTransform::fit(const RectF& panel, float contentWidth, float contentHeight, float zoom, float panX,
                                   float panY)
{
    PanelTransform t;
    if (contentWidth <= 0 || contentHeight <= 0) return t;
    t.scale = std::min(panel.w / contentWidth, panel.h / contentHeight) * zoom;
    t.offsetX = panel.x + (panel.w - contentWidth * t.scale) / 2 + panX;
    t.offsetY = panel.y + (panel.h - contentHeight * t.scale) / 2 + panY;
    return t;
}

RectF PanelTransform::toScreen(const RectF& c) const
{
    return {offsetX + c.x * scale, offsetY + c.y * scale, c.w * scale, c.h * scale};
}

void PanelTransform::toContent(float sx, float sy, float& cx, float& cy) const
{
    cx = (sx - offsetX) / scale;
    cy = (sy - offsetY) / scale;
}

} // namespace dg::gl
