#pragma once

#include "Renderer.h"

#include "dg/Session.h"

#include <QOpenGLWidget>
#include <QPointF>

class QPainter;

#include <vector>

namespace dg::studio {

enum class ViewMode
{
    State,      // x_t
    Denoised,   // x₀ prediction
    Correction, // w·σ²·∇logit, diverging heatmap
    Difference, // guided − unguided
};
const char* toString(ViewMode mode);

// One panel: a frame of a branch, shown as the guided run or as its unguided companion.
struct ViewerPanel
{
    FramePtr frame;
    bool unguided = false;
    QString title;
    std::vector<FramePtr> history; // frames 0 … current of the same branch (2-D toys: particle paths)
};

// The central view: the batch as a grid of tiles (or 2-D particles over the data density) drawn by the shared
// ui/gl renderer, with QPainter text on top (titles, d(x_t) badges). Wheel zooms, drag pans, double-click resets;
// all panels share zoom and pan. Hovering reports the tile's seed, σ, logit and pixel value.
class ViewerWidget : public QOpenGLWidget
{
    Q_OBJECT
public:
    explicit ViewerWidget(QWidget* parent = nullptr);
    ~ViewerWidget() override;

    void setPanels(std::vector<ViewerPanel> panels);
    void setMode(ViewMode mode);
    ViewMode mode() const { return m_mode; }
    void setSeed(uint64_t seed, int64_t firstSample);
    void setBadges(bool on);
    void resetView();
    QString describeAt(const QPointF& position) const; // what hovering there reports ("" outside tiles)
    QString lastError() const { return m_error; }

Q_SIGNALS:
    void hoverText(const QString& text);

protected:
    void initializeGL() override;
    void paintGL() override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    bool event(QEvent* event) override;

private:
    struct Content
    {
        HostTensor values; // what the panel shows in the current mode
        gl::Colormap colormap = gl::Colormap::Image;
        float scale = 1.0f;
        QString caption;
    };
    Content contentOf(const ViewerPanel& panel) const;
    std::vector<gl::RectF> panelRects() const;
    bool isToy() const;
    void drawImages(const std::vector<gl::RectF>& rects);
    void drawToy(const std::vector<gl::RectF>& rects);
    void drawOverlay(QPainter& painter, const std::vector<gl::RectF>& rects);
    void releaseGl();

    gl::Renderer m_renderer;
    std::vector<ViewerPanel> m_panels;
    std::vector<Content> m_contents;
    bool m_dirty = true;
    ViewMode m_mode = ViewMode::State;
    uint64_t m_seed = 0;
    int64_t m_firstSample = 0;
    bool m_badges = true;
    float m_zoom = 1.0f;
    QPointF m_pan;
    QPointF m_dragStart;
    QPointF m_panStart;
    QString m_error;
    gl::GridLayout m_layout;
    QMetaObject::Connection m_contextConnection;
};

} // namespace dg::studio
