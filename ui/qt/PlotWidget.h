#pragma once

#include <QColor>
#include <QString>
#include <QWidget>

#include <vector>

namespace dg::studio {

// Training curves drawn with QPainter (Qt Charts is GPL-only in Debian): series over iterations, each on its own
// y range (min–max of its points), with the latest value in the legend.
class PlotWidget : public QWidget
{
    Q_OBJECT
public:
    explicit PlotWidget(QWidget* parent = nullptr);
    int addSeries(const QString& name, const QColor& color, double fixedMin = 0, double fixedMax = -1);
    void addPoint(int series, double x, double y);
    void clear();
    int pointCount(int series) const;
    QSize sizeHint() const override { return {260, 160}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    struct Series
    {
        QString name;
        QColor color;
        double fixedMin = 0, fixedMax = -1; // fixedMax < fixedMin: autoscale
        std::vector<QPointF> points;
    };
    std::vector<Series> m_series;
};

} // namespace dg::studio
