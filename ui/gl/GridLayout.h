#pragma once

#include "dg/HostTensor.h"

#include <vector>

namespace dg::gl {

struct RectF
{
    float x = 0, y = 0, w = 0, h = 0;
    bool contains(float px, float py) const { return px >= x && py >= y && px < x + w && py < y + h; }
};

// Tiles of a batch laid out row-major in an atlas with gaps (atlas pixels).
class GridLayout
{
public:
    GridLayout() = default;
    GridLayout(int count, int tileWidth, int tileHeight, int columns = 0, int gap = 2);

    int count() const { return m_count; }
    int columns() const { return m_columns; }
    int rows() const { return m_rows; }
    int width() const { return m_columns * (m_tileWidth + m_gap) + m_gap; }
    int height() const { return m_rows * (m_tileHeight + m_gap) + m_gap; }
    int tileWidth() const { return m_tileWidth; }
    int tileHeight() const { return m_tileHeight; }
    RectF tile(int index) const;
    int tileAt(float x, float y) const; // −1 on a gap or outside

private:
    int m_count = 0, m_tileWidth = 0, m_tileHeight = 0, m_columns = 1, m_rows = 0, m_gap = 2;
};

// A float image for the renderer: channels 1 or 3, interleaved, row 0 at the top; NaN marks gaps.
struct ImageData
{
    int width = 0;
    int height = 0;
    int channels = 1;
    std::vector<float> values;
};

// images [N, C, H, W] (C = 1 or 3) into the layout's atlas; values as they are (colormaps are applied by the shader).
ImageData makeAtlas(const HostTensor& images, const GridLayout& layout);
// a − b elementwise (same shapes), e.g. guided − unguided.
HostTensor difference(const HostTensor& a, const HostTensor& b);
float maxAbs(const HostTensor& t);

// Content (width × height, e.g. an atlas) fitted into a panel, then zoomed about the panel centre and panned (pixels).
struct PanelTransform
{
    float scale = 1, offsetX = 0, offsetY = 0;
    static PanelTransform fit(const RectF& panel, float contentWidth, float contentHeight, float zoom = 1,
                              float panX = 0, float panY = 0);
    RectF toScreen(const RectF& content) const;
    void toContent(float sx, float sy, float& cx, float& cy) const;
};

} // namespace dg::gl
