#include "SigmaAxisWidget.h"

#include <QPainter>

#include <algorithm>
#include <cmath>

namespace dg::studio {

SigmaAxisWidget::SigmaAxisWidget(QWidget* parent) : QWidget(parent)
{
    setMinimumHeight(56);
    setToolTip(tr("The guidance window on the σ axis (log scale). DG acts only where σ_lo ≤ σ ≤ σ_hi; ticks are the "
                  "sampler's σ steps, the triangle the current step."));
}

void SigmaAxisWidget::setRange(double sigmaMin, double sigmaMax)
{
    m_min = std::max(1e-6, sigmaMin);
    m_max = std::max(m_min * 1.01, sigmaMax);
    update();
}

void SigmaAxisWidget::setWindow(double lo, double hi, bool enabled)
{
    m_lo = lo;
    m_hi = hi;
    m_enabled = enabled;
    update();
}

void SigmaAxisWidget::setSteps(const std::vector<double>& sigmas)
{
    m_steps = sigmas;
    update();
}

void SigmaAxisWidget::setCurrent(double sigma)
{
    m_current = sigma;
    update();
}

double SigmaAxisWidget::toX(double sigma) const
{
    const double left = 10, right = width() - 10;
    const double t =
        (std::log(std::clamp(sigma, m_min, m_max)) - std::log(m_min)) / (std::log(m_max) - std::log(m_min));
    return left + t * (right - left);
}

void SigmaAxisWidget::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const double axisY = 24;
    const double x0 = toX(std::max(m_lo, m_min)), x1 = toX(std::min(m_hi, m_max));
    if (x1 > x0) {
        p.fillRect(QRectF(x0, axisY - 10, x1 - x0, 20),
                   m_enabled ? QColor(60, 140, 220, 110) : QColor(150, 150, 150, 70));
    }
    p.setPen(palette().color(QPalette::WindowText));
    p.drawLine(QPointF(toX(m_min), axisY), QPointF(toX(m_max), axisY));
    p.setPen(QColor(120, 120, 120));
    for (double s : m_steps)
        if (s > 0) p.drawLine(QPointF(toX(s), axisY - 4), QPointF(toX(s), axisY + 4));
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * 0.85);
    p.setFont(f);
    p.setPen(palette().color(QPalette::WindowText));
    for (double decade = std::pow(10.0, std::ceil(std::log10(m_min))); decade <= m_max * 1.0001; decade *= 10) {
        const double x = toX(decade);
        p.drawLine(QPointF(x, axisY + 6), QPointF(x, axisY + 10));
        p.drawText(QRectF(x - 24, axisY + 10, 48, 16), Qt::AlignCenter, QString::number(decade, 'g', 3));
    }
    p.drawText(QRectF(0, 0, width(), 14), Qt::AlignLeft | Qt::AlignVCenter,
               m_enabled ? tr("σ window [%1, %2]")
                               .arg(m_lo, 0, 'g', 3)
                               .arg(m_hi > 1e8 ? QStringLiteral("∞") : QString::number(m_hi, 'g', 3))
                         : tr("guidance off"));
    if (m_current > 0) {
        const double x = toX(m_current);
        QPolygonF tri;
        tri << QPointF(x, axisY - 2) << QPointF(x - 6, axisY - 12) << QPointF(x + 6, axisY - 12);
        p.setBrush(QColor(230, 120, 30));
        p.setPen(Qt::NoPen);
        p.drawPolygon(tri);
    }
}

} // namespace dg::studio
