#include "PlotWidget.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace dg::studio {

PlotWidget::PlotWidget(QWidget* parent) : QWidget(parent)
{
    setMinimumHeight(110);
}

int PlotWidget::addSeries(const QString& name, const QColor& color, double fixedMin, double fixedMax)
{
    m_series.push_back({name, color, fixedMin, fixedMax, {}});
    return static_cast<int>(m_series.size()) - 1;
}

void PlotWidget::addPoint(int series, double x, double y)
{
    if (series < 0 || series >= static_cast<int>(m_series.size()) || !std::isfinite(y)) return;
    m_series[static_cast<size_t>(series)].points.emplace_back(x, y);
    update();
}

void PlotWidget::clear()
{
    for (auto& s : m_series)
        s.points.clear();
    update();
}

int PlotWidget::pointCount(int series) const
{
    return series >= 0 && series < static_cast<int>(m_series.size())
               ? static_cast<int>(m_series[static_cast<size_t>(series)].points.size())
               : 0;
}

void PlotWidget::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const double legend = 4 + 15.0 * static_cast<double>(m_series.size()); // one legend line per series
    const QRectF area(36, legend, width() - 44, height() - legend - 18);
    p.fillRect(rect(), palette().color(QPalette::Base));
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(area);
    double xMax = 1;
    for (const auto& s : m_series)
        for (const auto& pt : s.points)
            xMax = std::max(xMax, pt.x());
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * 0.85);
    p.setFont(f);
    p.setPen(palette().color(QPalette::Text));
    p.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), 16), Qt::AlignRight, tr("iteration %1").arg(xMax));
    p.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), 16), Qt::AlignLeft, QStringLiteral("0"));
    double legendY = 2;
    for (const auto& s : m_series) {
        double lo = s.fixedMin, hi = s.fixedMax;
        if (hi < lo && !s.points.empty()) {
            lo = hi = s.points.front().y();
            for (const auto& pt : s.points) {
                lo = std::min(lo, pt.y());
                hi = std::max(hi, pt.y());
            }
        }
        if (hi - lo < 1e-12) hi = lo + 1;
        QPainterPath path;
        for (size_t i = 0; i < s.points.size(); ++i) {
            const QPointF q(area.left() + s.points[i].x() / xMax * area.width(),
                            area.bottom() - (s.points[i].y() - lo) / (hi - lo) * area.height());
            if (i == 0)
                path.moveTo(q);
            else
                path.lineTo(q);
        }
        p.setPen(QPen(s.color, 1.6));
        p.drawPath(path);
        if (s.points.size() == 1) p.drawEllipse(path.currentPosition(), 2, 2);
        const QString label = s.points.empty() ? s.name
                                               : QStringLiteral("%1 %2 [%3–%4]")
                                                     .arg(s.name)
                                                     .arg(s.points.back().y(), 0, 'g', 3)
                                                     .arg(lo, 0, 'g', 2)
                                                     .arg(hi, 0, 'g', 2);
        p.drawText(QRectF(area.left(), legendY, area.width(), 15), Qt::AlignLeft | Qt::AlignVCenter, label);
        legendY += 15;
    }
}

} // namespace dg::studio
