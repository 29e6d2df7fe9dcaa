#include "SamplerPanel.h"

#include "InfinitySpinBox.h"

#include "dg/SamplerRegistry.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QSpinBox>

#include <algorithm>
#include <cmath>
#include <limits>

namespace dg::studio {
namespace {

constexpr int kNoClass = -1, kAllClasses = -2;

// The class box: "none", "all", or a label k shown with its Fashion-MNIST name.
class ClassSpinBox : public QSpinBox
{
protected:
    QString textFromValue(int v) const override
    {
        static const char* names[] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
        if (v == kNoClass) return tr("none");
        if (v == kAllClasses) return tr("all");
        return v < 10 ? QStringLiteral("%1 · %2").arg(v).arg(QString::fromUtf8(names[v])) : QString::number(v);
    }
    int valueFromText(const QString& text) const override
    {
        const QString t = text.trimmed();
        if (t.startsWith(tr("all"))) return kAllClasses;
        bool ok = false;
        const int v = t.section(QLatin1Char(' '), 0, 0).toInt(&ok);
        return ok ? v : kNoClass;
    }
    QValidator::State validate(QString&, int&) const override { return QValidator::Acceptable; }
};

QDoubleSpinBox* spin(double lo, double hi, double value, int decimals, const QString& tip)
{
    auto* s = new QDoubleSpinBox;
    s->setRange(lo, hi);
    s->setDecimals(decimals);
    s->setValue(value);
    s->setToolTip(tip);
    s->setKeyboardTracking(false);
    return s;
}

} // namespace

SamplerPanel::SamplerPanel(QWidget* parent) : QWidget(parent)
{
    m_sampler = new QComboBox;
    for (const auto& info : samplers()) { // the sampler registry
        m_sampler->addItem(QString::fromStdString(info.label), QString::fromStdString(info.key));
        m_sampler->setItemData(m_sampler->count() - 1,
                               QString::fromStdString(info.description) +
                                   tr(" — %n network evaluation(s) per step", nullptr, info.evaluationsPerStep),
                               Qt::ToolTipRole);
    }
    m_sampler->setToolTip(tr("The sampler; DG corrects every evaluation of the denoiser it makes."));
    m_steps = new QSpinBox;
    m_steps->setRange(1, 1000);
    const dg::ScheduleSettings schedule; // the defaults, once (dg/Settings.h)
    const dg::ChurnSettings churn;
    m_steps->setValue(schedule.steps);
    m_steps->setToolTip(tr("Number of σ steps (EDM default 18)."));
    m_sigmaMin =
        spin(1e-4, 10, schedule.sigmaMin, 4, tr("σ_min: the last noise level before the final step to σ = 0."));
    m_sigmaMax = spin(0.01, 1000, schedule.sigmaMax, 2, tr("σ_max: the start noise level; x_T = σ_max · ε."));
    m_rho = spin(0.5, 20, schedule.rho, 2, tr("ρ of the EDM schedule (eq. 5): larger ρ spends more steps at small σ."));
    m_churn = spin(0, 100, churn.churn, 2, tr("S_churn: stochasticity; 0 is the deterministic ODE."));
    m_sMin = spin(0, 1000, churn.sMin, 3, tr("S_tmin: churn only for σ ≥ this."));
    m_sMax = new InfinitySpinBox(1000);
    m_sMax->setDecimals(3);
    m_sMax->setKeyboardTracking(false);
    m_sMax->setToolTip(tr("S_tmax: churn only for σ ≤ this (∞: no bound; type inf)."));
    m_sNoise = spin(0.5, 1.5, 1.0, 3, tr("S_noise: scale of the churn noise."));
    m_seed = new QLineEdit(QStringLiteral("0"));
    m_seed->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{1,19}")), m_seed));
    m_seed->setToolTip(tr("Sample i of a run with seed s starts from noise derived from (s, i) only: an image does not "
                          "change with the batch size."));
    m_count = new QSpinBox;
    m_count->setRange(1, 4096);
    m_count->setValue(16);
    m_count->setToolTip(tr("Batch size: samples in the run (all recorded at every step)."));
    m_class = new ClassSpinBox;
    m_class->setRange(kAllClasses, 999);
    m_class->setValue(kNoClass);
    m_class->setToolTip(tr("Class label for class-conditional models (the names are Fashion-MNIST's): none, one class "
                           "for every sample, or all — sample i gets class i mod the number of classes."));
    m_compare = new QCheckBox(tr("Compare with unguided (lockstep)"));
    m_compare->setChecked(true);
    m_compare->setToolTip(tr("Also run the unguided sampler from the same noise and churn, step for step: the compare "
                             "and difference views need it (costs one more denoiser pass per step)."));
    auto* sample = new QPushButton(tr("Sample"));
    sample->setToolTip(tr("Start a new run with these settings (Ctrl+R)."));
    connect(sample, &QPushButton::clicked, this, &SamplerPanel::sampleRequested);
    for (auto* s : {m_sigmaMin, m_sigmaMax, m_rho})
        connect(s, &QDoubleSpinBox::valueChanged, this, &SamplerPanel::scheduleChanged);
    connect(m_steps, &QSpinBox::valueChanged, this, &SamplerPanel::scheduleChanged);

    auto* form = new QFormLayout(this);
    form->addRow(tr("Sampler"), m_sampler);
    form->addRow(tr("Steps"), m_steps);
    form->addRow(tr("σ min"), m_sigmaMin);
    form->addRow(tr("σ max"), m_sigmaMax);
    form->addRow(tr("ρ"), m_rho);
    form->addRow(tr("Churn"), m_churn);
    form->addRow(tr("S_tmin"), m_sMin);
    form->addRow(tr("S_tmax"), m_sMax);
    form->addRow(tr("S_noise"), m_sNoise);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Batch size"), m_count);
    form->addRow(tr("Class"), m_class);
    form->addRow(m_compare);
    form->addRow(sample);
}

void SamplerPanel::readInto(RunSettings& s) const
{
    s.sampler.kind = m_sampler->currentData().toString().toStdString();
    s.sampler.schedule.steps = m_steps->value();
    s.sampler.schedule.sigmaMin = m_sigmaMin->value();
    s.sampler.schedule.sigmaMax = m_sigmaMax->value();
    s.sampler.schedule.rho = m_rho->value();
    s.sampler.churn.churn = m_churn->value();
    s.sampler.churn.sMin = m_sMin->value();
    s.sampler.churn.sMax = m_sMax->bound();
    s.sampler.churn.sNoise = m_sNoise->value();
    s.seed = m_seed->text().toULongLong(); // the validator admits digits only; empty reads as 0
    s.count = m_count->value();
    s.firstSample = 0;
    const int c = m_class->value();
    s.classLabel = c == kNoClass ? std::nullopt : std::optional<int64_t>(c == kAllClasses ? kEveryClass : c);
}

void SamplerPanel::setFrom(const RunSettings& s)
{
    m_sampler->setCurrentIndex(std::max(0, m_sampler->findData(QString::fromStdString(s.sampler.kind))));
    m_steps->setValue(s.sampler.schedule.steps);
    m_sigmaMin->setValue(s.sampler.schedule.sigmaMin);
    m_sigmaMax->setValue(s.sampler.schedule.sigmaMax);
    m_rho->setValue(s.sampler.schedule.rho);
    m_churn->setValue(s.sampler.churn.churn);
    m_sMin->setValue(s.sampler.churn.sMin);
    m_sMax->setBound(s.sampler.churn.sMax);
    m_sNoise->setValue(s.sampler.churn.sNoise);
    m_seed->setText(QString::number(static_cast<qulonglong>(s.seed)));
    m_count->setValue(static_cast<int>(s.count));
    m_class->setValue(!s.classLabel                  ? kNoClass
                      : *s.classLabel == kEveryClass ? kAllClasses
                                                     : static_cast<int>(*s.classLabel));
}

void SamplerPanel::fitClassTo(bool classConditional)
{
    if (classConditional && m_class->value() == kNoClass) m_class->setValue(kAllClasses);
    if (!classConditional) m_class->setValue(kNoClass);
}

bool SamplerPanel::compare() const
{
    return m_compare->isChecked();
}
void SamplerPanel::setCompare(bool on)
{
    m_compare->setChecked(on);
}

void SamplerPanel::setCount(int64_t count)
{
    m_count->setValue(static_cast<int>(count));
}

} // namespace dg::studio
