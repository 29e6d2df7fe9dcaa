#include "GuidancePanel.h"

#include "InfinitySpinBox.h"
#include "SigmaAxisWidget.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>

#include <cmath>
#include <limits>

namespace dg::studio {
namespace {

constexpr double kSliderStep = 0.05; // slider ticks of w
constexpr double kInfinity = 1e4;    // σ_hi at this value means ∞

} // namespace

GuidancePanel::GuidancePanel(QWidget* parent) : QWidget(parent)
{
    const QString formula =
        tr("Discriminator Guidance (Kim et al. 2023): D_DG(x; σ) = D(x; σ) + w · σ² · ∇ₓ log(d / (1 − d)). "
           "With the optimal discriminator, w = 1 turns the model's score into the data's score.");
    m_enabled = new QCheckBox(tr("Discriminator Guidance (G)"));
    m_enabled->setChecked(true);
    m_enabled->setToolTip(formula);
    m_slider = new QSlider(Qt::Horizontal);
    m_slider->setRange(0, static_cast<int>(std::lround(10.0 / kSliderStep)));
    m_slider->setToolTip(
        tr("Guidance weight w: 0 = the model alone, 1 = the paper's identity, > 1 over-corrects.\n%1").arg(formula));
    m_weight = new QDoubleSpinBox;
    m_weight->setObjectName(QStringLiteral("weight"));
    m_weight->setRange(-10, 50);
    m_weight->setDecimals(4);
    m_weight->setSingleStep(0.1);
    m_weight->setKeyboardTracking(false);
    m_weight->setToolTip(m_slider->toolTip());
    m_separate = new QCheckBox(tr("Separate corrector weight w₂"));
    m_separate->setToolTip(tr("Heun's corrector evaluates the denoiser a second time; the official DG code guides only "
                              "the Euler predictor (w₂ = 0). Unchecked: w₂ = w."));
    m_weight2 = new QDoubleSpinBox;
    m_weight2->setObjectName(QStringLiteral("weight2"));
    m_weight2->setRange(-10, 50);
    m_weight2->setDecimals(4);
    m_weight2->setSingleStep(0.1);
    m_weight2->setEnabled(false);
    m_weight2->setKeyboardTracking(false);
    m_lo = new QDoubleSpinBox;
    m_lo->setRange(0, kInfinity);
    m_lo->setDecimals(4);
    m_lo->setKeyboardTracking(false);
    m_lo->setToolTip(tr("σ_lo: guidance is off below this noise level."));
    m_hi = new InfinitySpinBox(kInfinity);
    m_hi->setDecimals(4);
    m_hi->setKeyboardTracking(false);
    m_hi->setToolTip(tr("σ_hi: guidance is off above this noise level (∞: no bound; type inf)."));
    m_clip = new InfinitySpinBox(1e3);
    m_clip->setDecimals(3);
    m_clip->setKeyboardTracking(false);
    m_clip->setToolTip(
        tr("Logit clip L: a sample whose |log(d/(1−d))| exceeds L gets no guidance gradient, as the official "
           "code's clip of d to [1e-5, 1 − 1e-5] does (L = 11.513). ∞: no clip."));
    m_boost = new QCheckBox(tr("Boost fake-looking samples"));
    m_boost->setToolTip(
        tr("The official sampler's boosting (any model; the paper uses it on class-conditional ImageNet): every 5th "
           "step, samples the "
           "discriminator judged fake get extra churn (S_churn = 4); every 2nd step their guidance is doubled."));
    m_boost->setEnabled(false);
    m_preset = new QComboBox;
    m_preset->addItem(tr("Custom"));
    m_preset->addItem(tr("Official DG"));
    m_preset->setToolTip(
        tr("Official DG: the official code's sampler (alsdudrla10/DG) — w₂ = 0 (predictor only), σ window "
           "[0.0447, 152.2] (VP time [0.01, 1]), logit clip 11.513. Editing any of those makes it Custom."));
    m_axis = new SigmaAxisWidget;

    connect(m_enabled, &QCheckBox::toggled, this, &GuidancePanel::changed);
    connect(m_slider, &QSlider::valueChanged, this, [this](int v) {
        if (m_updating) return;
        const QSignalBlocker block(m_weight);
        m_weight->setValue(v * kSliderStep);
        showCorrectorWeight();
        changed();
    });
    connect(m_weight, &QDoubleSpinBox::valueChanged, this, [this](double w) {
        if (m_updating) return;
        const QSignalBlocker block(m_slider);
        m_slider->setValue(static_cast<int>(std::lround(w / kSliderStep)));
        showCorrectorWeight();
        changed();
    });
    connect(m_separate, &QCheckBox::toggled, this, [this](bool on) {
        m_weight2->setEnabled(on);
        showCorrectorWeight();
        editedByHand();
    });
    connect(m_weight2, &QDoubleSpinBox::valueChanged, this, &GuidancePanel::editedByHand);
    connect(m_lo, &QDoubleSpinBox::valueChanged, this, &GuidancePanel::editedByHand);
    connect(m_hi, &QDoubleSpinBox::valueChanged, this, &GuidancePanel::editedByHand);
    connect(m_clip, &QDoubleSpinBox::valueChanged, this, &GuidancePanel::editedByHand);
    connect(m_boost, &QCheckBox::toggled, this, &GuidancePanel::changed);
    connect(m_preset, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (m_updating) return;
        if (index == 1) setGuidance(officialGuidance(guidance()));
        changed();
    });

    auto* weightRow = new QWidget;
    auto* h = new QHBoxLayout(weightRow);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(m_slider, 1);
    h->addWidget(m_weight);
    auto* form = new QFormLayout(this);
    form->addRow(m_enabled);
    form->addRow(tr("Preset"), m_preset);
    form->addRow(tr("Weight w"), weightRow);
    form->addRow(m_separate);
    form->addRow(tr("Weight w₂"), m_weight2);
    form->addRow(tr("σ_lo"), m_lo);
    form->addRow(tr("σ_hi"), m_hi);
    form->addRow(m_axis);
    form->addRow(tr("Logit clip"), m_clip);
    form->addRow(m_boost);
    auto* note = new QLabel(tr("<small>D<sub>DG</sub> = D + w·σ²·∇ log d/(1−d). Changes apply from the next step; "
                               "<b>Branch here</b> (B) replays from the shown step with the new settings.</small>"));
    note->setWordWrap(true);
    form->addRow(note);
    changed();
}

void GuidancePanel::editedByHand()
{
    if (m_updating) return;
    if (m_preset->currentIndex() != 0) {
        const QSignalBlocker block(m_preset);
        m_preset->setCurrentIndex(0);
    }
    changed();
}

void GuidancePanel::setBoostAvailable(bool withDiscriminator)
{
    m_boost->setEnabled(withDiscriminator);
    if (!withDiscriminator && m_boost->isChecked()) m_boost->setChecked(false);
}

void GuidancePanel::setPreset(GuidancePreset preset)
{
    m_preset->setCurrentIndex(preset == GuidancePreset::Official ? 1 : 0);
}

void GuidancePanel::changed()
{
    if (m_updating) return;
    const auto g = guidance();
    m_axis->setWindow(g.sigmaLo, g.sigmaHi, g.enabled && (g.weight != 0 || g.correctorWeight() != 0));
    Q_EMIT guidanceChanged();
}

GuidanceSettings GuidancePanel::guidance() const
{
    GuidanceSettings g;
    g.enabled = m_enabled->isChecked();
    g.weight = m_weight->value();
    if (m_separate->isChecked()) g.weight2 = m_weight2->value();
    g.sigmaLo = m_lo->value();
    g.sigmaHi = m_hi->bound();
    g.logitClip = m_clip->bound();
    g.boost = m_boost->isEnabled() && m_boost->isChecked();
    // The spin boxes show the official values rounded; the preset stands for the exact ones.
    return m_preset->currentIndex() == 1 ? officialGuidance(g) : g;
}

void GuidancePanel::setGuidance(const GuidanceSettings& g)
{
    m_updating = true;
    m_enabled->setChecked(g.enabled);
    m_weight->setValue(g.weight);
    m_slider->setValue(static_cast<int>(std::lround(g.weight / kSliderStep)));
    m_separate->setChecked(g.weight2.has_value());
    m_weight2->setEnabled(g.weight2.has_value());
    m_weight2->setValue(g.weight2.value_or(g.weight));
    showCorrectorWeight();
    m_lo->setValue(g.sigmaLo);
    m_hi->setBound(g.sigmaHi);
    m_clip->setBound(g.logitClip);
    m_boost->setChecked(g.boost);
    m_preset->setCurrentIndex(g.preset == GuidancePreset::Official && hasOfficialValues(g) ? 1 : 0);
    m_updating = false;
    m_axis->setWindow(g.sigmaLo, g.sigmaHi, g.enabled);
}

void GuidancePanel::setEnabledChecked(bool on)
{
    m_enabled->setChecked(on);
}

void GuidancePanel::setWeight(double w)
{
    m_weight->setValue(w);
}

// Without a separate w₂ the corrector uses w: the disabled box shows that value, never an old one.
void GuidancePanel::showCorrectorWeight()
{
    if (m_separate->isChecked()) return;
    const QSignalBlocker block(m_weight2);
    m_weight2->setValue(m_weight->value());
}

} // namespace dg::studio
