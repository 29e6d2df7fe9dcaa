#pragma once

#include "FrameView.h"
#include "Renderer.h"

#include <QOpenGLWidget>
#include <QPointF>

namespace dg::studio {

using ViewMode = gl::ViewMode;
using ViewerPanel = gl::FramePanel;

// The central view: hosts the shared gl::FrameView (tiles with d(x_t) badges, or 2-D particles) in a QOpenGLWidget,
// with its labels drawn by QPainter on top. Wheel zooms, drag pans, double-click resets; hovering reports the tile's
// seed, σ, logit and pixel value.
class ViewerWidget : public QOpenGLWidget
{
    Q_OBJECT
public:
    // What the empty view says (no frame yet): how to start, or that a model is loading.
    void setIdleText(const QString& text);
    const QString& idleText() const { return m_idleText; }
    explicit ViewerWidget(QWidget* parent = nullptr);
    ~ViewerWidget() override;

    void setPanels(std::vector<ViewerPanel> panels);
    void setMode(ViewMode mode);
    ViewMode mode() const { return m_view.mode(); }
    void setSeed(uint64_t seed, int64_t firstSample) { m_view.setSeed(seed, firstSample); }
    void setBadges(bool on);
    void setToyAxis(gl::ToyAxis axis, bool playing);
    // Text size factor (View → Text size, presenter mode): labels, title bands and the d(x_t) badges grow with it.
    void setTextScale(float scale);
    float textScale() const { return m_view.textScale(); }
    void resetView();
    QString describeAt(const QPointF& position) const; // what hovering there reports ("" outside tiles)
    QString lastError() const { return m_error; }
    const std::vector<gl::Label>& lastLabels() const { return m_labels; } // as last painted
    QFont labelFont() const;

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
    gl::Renderer m_renderer;
    gl::FrameView m_view;
    QPointF m_lastDrag;
    QString m_error;
    QString m_idleText;
    std::vector<gl::Label> m_labels;
    QMetaObject::Connection m_contextConnection;
};

} // namespace dg::studio
