#pragma once

#include "dg/Settings.h"

#include <QWidget>

namespace dg::studio {

// A log-σ axis from σ_min to σ_max with the guidance window [σ_lo, σ_hi] shaded, the sampler's σ steps as ticks and
// the current step's σ marked: where along the trajectory DG acts.
class SigmaAxisWidget : public QWidget
{
    Q_OBJECT
public:
    explicit SigmaAxisWidget(QWidget* parent = nullptr);
    void setRange(double sigmaMin, double sigmaMax);
    void setWindow(double lo, double hi, bool enabled);
    void setSteps(const std::vector<double>& sigmas);
    void setCurrent(double sigma); // negative: none
    QSize sizeHint() const override { return {260, 64}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    double toX(double sigma) const;
    double m_min = dg::ScheduleSettings{}.sigmaMin, m_max = dg::ScheduleSettings{}.sigmaMax;
    double m_lo = 0.0, m_hi = 1e9, m_current = -1.0;
    bool m_enabled = true;
    std::vector<double> m_steps;
};

} // namespace dg::studio
