#pragma once

#include "dg/Settings.h"

#include <QWidget>

#include <vector>

class QCheckBox;
class QDoubleSpinBox;
class QSlider;

namespace dg::studio {

class SigmaAxisWidget;

// Guidance dock: DG on/off, the weight (slider + spin box), an optional separate corrector weight w2, and the σ
// window drawn on a σ axis. Every edit emits guidanceChanged; the run applies it from its next step.
class GuidancePanel : public QWidget
{
    Q_OBJECT
public:
    explicit GuidancePanel(QWidget* parent = nullptr);
    GuidanceSettings guidance() const;
    void setGuidance(const GuidanceSettings& g); // no signal
    void setEnabledChecked(bool on);              // emits guidanceChanged (G key)
    void setWeight(double w);                     // emits guidanceChanged
    SigmaAxisWidget* axis() const { return m_axis; }

Q_SIGNALS:
    void guidanceChanged();

private:
    void changed();
    QCheckBox* m_enabled;
    QSlider* m_slider;
    QDoubleSpinBox* m_weight;
    QCheckBox* m_separate;
    QDoubleSpinBox* m_weight2;
    QDoubleSpinBox* m_lo;
    class InfinitySpinBox* m_hi;
    SigmaAxisWidget* m_axis;
    bool m_updating = false;
};

} // namespace dg::studio
