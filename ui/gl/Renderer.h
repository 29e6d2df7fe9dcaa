#pragma once

#include "GridLayout.h"

#include <memory>
#include <vector>

namespace dg::gl {

struct Color
{
    float r = 0, g = 0, b = 0, a = 1;
};

enum class Colormap
{
    Image = 0,      // [-1, 1] → grey (or RGB)
    Diverging = 1,  // [-scale, scale] → blue, white, red
    Sequential = 2, // [0, 1] → dark blue to yellow
};

// The one OpenGL 3.3 core renderer of both front ends: image atlases with colormaps, points, lines and rectangles in
// screen pixels (origin top-left). Every call needs the host's GL context current; initialize() and release() must
// run on that context (Qt: release on QOpenGLContext::aboutToBeDestroyed). Draws into whatever framebuffer is bound.
class Renderer
{
public:
    static constexpr int kImageSlots = 4;

    Renderer();
    ~Renderer(); // does not touch GL: call release() while the context is current
    Renderer(const Renderer&) = delete;
    Renderer& operator=(const Renderer&) = delete;

    void initialize(); // throws std::runtime_error with the shader's compile/link log
    void release();
    bool initialized() const;

    void beginFrame(int width, int height, const Color& clear); // physical pixels
    void setImage(int slot, const ImageData& image);            // uploads a texture into the slot
    void drawImage(int slot, const RectF& screen, Colormap colormap, float scale, const Color& gap,
                   bool smooth = false);
    // xy: x0 y0 x1 y1 …; colors: one per point, or a single colour for all.
    void drawPoints(const std::vector<float>& xy, const std::vector<Color>& colors, float size);
    // xy: segment endpoints (4 floats per segment); colors per endpoint or one for all.
    void drawLines(const std::vector<float>& xy, const std::vector<Color>& colors);
    void drawRects(const std::vector<RectF>& rects, const std::vector<Color>& colors);
    void setClip(const RectF* screen); // restrict drawing to a rectangle (null: whole viewport)
    void endFrame();                   // unbinds program, buffers and textures (so QPainter or ImGui can draw on top)

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace dg::gl
