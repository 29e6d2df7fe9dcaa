#pragma once

#include "dg/Settings.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace dg::studio {

// Sampler dock: EDM sampler, schedule (steps, σ range, ρ), churn, seed, batch size, class; Compare and Sample.
class SamplerPanel : public QWidget
{
    Q_OBJECT
public:
    explicit SamplerPanel(QWidget* parent = nullptr);
    // Everything but guidance, taken from / written into settings.
    void readInto(RunSettings& settings) const;
    void setFrom(const RunSettings& settings);
    bool compare() const;
    void setCompare(bool on);
    void setCount(int64_t count);
    // After loading models: a class-conditional pair needs a class (defaults to all), an unconditional one none.
    void fitClassTo(bool classConditional);

Q_SIGNALS:
    void sampleRequested();
    void scheduleChanged(); // σ range or steps edited (the σ axis follows)

private:
    QComboBox* m_sampler;
    QSpinBox* m_steps;
    QDoubleSpinBox* m_sigmaMin;
    QDoubleSpinBox* m_sigmaMax;
    QDoubleSpinBox* m_rho;
    QDoubleSpinBox* m_churn;
    QDoubleSpinBox* m_sMin;
    class InfinitySpinBox* m_sMax;
    QDoubleSpinBox* m_sNoise;
    QLineEdit* m_seed; // any 64-bit seed, as dg sample takes
    QSpinBox* m_count;
    QSpinBox* m_class;
    QCheckBox* m_compare;
};

} // namespace dg::studio
