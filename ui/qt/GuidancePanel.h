#pragma once

#include "dg/Settings.h"

#include <QWidget>

#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QSlider;

namespace dg::studio {

class SigmaAxisWidget;

// Guidance dock: DG on/off, the preset (Custom / Official DG), the weight (slider + spin box), an optional separate
// corrector weight w2, the σ window drawn on a σ axis, the logit clip and (class-conditional pairs) boosting. Every
// edit emits guidanceChanged; the run applies it from its next step.
class GuidancePanel : public QWidget
{
    Q_OBJECT
public:
    explicit GuidancePanel(QWidget* parent = nullptr);
    GuidanceSettings guidance() const;
    void setGuidance(const GuidanceSettings& g); // no signal
    void setEnabledChecked(bool on);             // emits guidanceChanged (G key)
    void setWeight(double w);                    // emits guidanceChanged
    SigmaAxisWidget* axis() const { return m_axis; }
    void setBoostAvailable(bool withDiscriminator); // boosting needs a discriminator
    void setPreset(GuidancePreset preset);          // emits guidanceChanged

Q_SIGNALS:
    void guidanceChanged();

private:
    void showCorrectorWeight();
    void changed();
    void editedByHand(); // a preset-controlled value was edited: the preset becomes Custom
    QComboBox* m_preset;
    QCheckBox* m_enabled;
    QSlider* m_slider;
    QDoubleSpinBox* m_weight;
    QCheckBox* m_separate;
    QDoubleSpinBox* m_weight2;
    QDoubleSpinBox* m_lo;
    class InfinitySpinBox* m_hi;
    class InfinitySpinBox* m_clip;
    QCheckBox* m_boost;
    SigmaAxisWidget* m_axis;
    bool m_updating = false;
};

} // namespace dg::studio
