#include "ViewerWidget.h"

#include "FieldLabels.h"

#include "dg/Error.h"
#include <QCursor>

#include <QFontMetricsF>
#include <QHelpEvent>
#include <QMouseEvent>
#include <QOpenGLContext>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>

#include <cmath>

namespace dg::studio {
namespace {

const gl::Color kBackground{0.12f, 0.12f, 0.14f, 1.0f};

QColor toQColor(const gl::Color& c)
{
    return QColor::fromRgbF(c.r, c.g, c.b, c.a);
}

} // namespace

ViewerWidget::ViewerWidget(QWidget* parent) : QOpenGLWidget(parent)
{
    setMouseTracking(true);
    setMinimumSize(320, 240);
    setFocusPolicy(Qt::StrongFocus);
}

ViewerWidget::~ViewerWidget()
{
    disconnect(m_contextConnection); // the base class destroys the context after our members are gone
    if (context()) {
        makeCurrent();
        m_renderer.release();
        doneCurrent();
    }
}

void ViewerWidget::setPanels(std::vector<ViewerPanel> panels)
{
    m_view.setPanels(std::move(panels));
    update();
    // Under a still mouse the status bar's hover text describes what is shown now (its σ, its logit), not the old
    // frame.
    if (underMouse()) Q_EMIT hoverText(describeAt(mapFromGlobal(QCursor::pos())));
}

void ViewerWidget::setIdleText(const QString& text)
{
    m_idleText = text;
    update();
}

void ViewerWidget::setMode(ViewMode mode)
{
    m_view.setMode(mode);
    update();
}

void ViewerWidget::setBadges(bool on)
{
    m_view.setBadges(on);
    update();
}

void ViewerWidget::setToyAxis(gl::ToyAxis axis, bool playing)
{
    m_view.setToyAxis(axis, playing);
    update();
}

void ViewerWidget::setTextScale(float scale)
{
    m_view.setTextScale(scale);
    update();
}

void ViewerWidget::resetView()
{
    m_view.resetView();
    update();
}

void ViewerWidget::initializeGL()
{
    try {
        m_renderer.initialize();
        m_error.clear();
    } catch (const std::exception& e) {
        m_error = studioErrorMessage(e);
    }
    // Qt may destroy the context before this widget (reparenting, shutdown): free GL objects while it still exists.
    disconnect(m_contextConnection);
    m_contextConnection = connect(context(), &QOpenGLContext::aboutToBeDestroyed, this, [this] {
        makeCurrent();
        m_renderer.release();
        doneCurrent();
    });
    m_view.invalidate(); // textures are re-uploaded on the new context
}

void ViewerWidget::paintGL()
{
    QPainter painter(this);
    if (!m_renderer.initialized()) {
        painter.fillRect(rect(), QColor(30, 30, 36));
        painter.setPen(Qt::white);
        painter.drawText(rect(), Qt::AlignCenter, tr("OpenGL renderer unavailable: %1").arg(m_error));
        return;
    }
    const float dpr = static_cast<float>(devicePixelRatioF());
    painter.beginNativePainting(); // the shared renderer draws with raw GL; QPainter text goes on top
    m_renderer.beginFrame(static_cast<int>(width() * dpr), static_cast<int>(height() * dpr), kBackground);
    m_labels = m_view.draw(m_renderer, static_cast<float>(width()), static_cast<float>(height()), dpr);
    const auto& labels = m_labels;
    m_renderer.endFrame();
    painter.endNativePainting();

    painter.setRenderHint(QPainter::Antialiasing);
    if (m_view.panels().empty() || !m_view.panels().front().frame) {
        painter.setPen(QColor(200, 200, 210));
        painter.drawText(rect(), Qt::AlignCenter,
                         (m_idleText.isEmpty() ? tr("Load a model and press Sample (Ctrl+R)") : m_idleText) +
                             tr("\n\nD_DG(x; σ) = D(x; σ) + w · σ² · ∇ₓ log(d / (1 − d))"));
        return;
    }
    const QFont normal = labelFont();
    for (const auto& l : labels) {
        QFont f = normal;
        if (l.small) f.setPixelSize(std::max(8, static_cast<int>(l.h) - 2));
        painter.setFont(f);
        painter.setPen(toQColor(l.color));
        // Too long for its place: a badge drops its "d=" and then shrinks (a number is never cut); other labels are
        // cut with an ellipsis, never running into the next panel's label.
        QString text = QString::fromStdString(l.text);
        if (l.small) {
            if (QFontMetricsF(f).horizontalAdvance(text) > l.w && text.startsWith(QLatin1String("d=")))
                text.remove(0, 2);
            while (f.pixelSize() > 8 && QFontMetricsF(f).horizontalAdvance(text) > l.w)
                f.setPixelSize(f.pixelSize() - 1);
            painter.setFont(f);
        }
        text = QFontMetricsF(f).elidedText(text, Qt::ElideRight, l.w);
        painter.drawText(QRectF(l.x, l.y, l.w, l.h), Qt::AlignVCenter | Qt::AlignLeft, text);
    }
}

QFont ViewerWidget::labelFont() const
{
    QFont f = font();
    f.setPointSizeF(9.5 * m_view.textScale());
    return f;
}

QString ViewerWidget::describeAt(const QPointF& p) const
{
    return QString::fromStdString(m_view.describeAt(static_cast<float>(p.x()), static_cast<float>(p.y()),
                                                    static_cast<float>(width()), static_cast<float>(height())));
}

void ViewerWidget::wheelEvent(QWheelEvent* event)
{
    m_view.zoomAt(std::pow(1.0015f, static_cast<float>(event->angleDelta().y())),
                  static_cast<float>(event->position().x()), static_cast<float>(event->position().y()),
                  static_cast<float>(width()), static_cast<float>(height()));
    update();
    event->accept();
}

void ViewerWidget::mousePressEvent(QMouseEvent* event)
{
    m_lastDrag = event->position();
}

void ViewerWidget::mouseMoveEvent(QMouseEvent* event)
{
    if (event->buttons() & Qt::LeftButton) {
        const QPointF d = event->position() - m_lastDrag;
        m_lastDrag = event->position();
        m_view.pan(static_cast<float>(d.x()), static_cast<float>(d.y()));
        update();
    }
    Q_EMIT hoverText(describeAt(event->position()));
}

void ViewerWidget::mouseDoubleClickEvent(QMouseEvent*)
{
    resetView();
}

bool ViewerWidget::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QString text = describeAt(help->pos());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QOpenGLWidget::event(event);
}

} // namespace dg::studio
