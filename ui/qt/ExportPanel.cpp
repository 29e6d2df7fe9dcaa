#include "ExportPanel.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace dg::studio {

ExportPanel::ExportPanel(QWidget* parent) : QWidget(parent)
{
    auto* grid = new QPushButton(tr("Export grid PNG… (Ctrl+E)"));
    grid->setToolTip(tr("The primary panel at the shown step and view, with settings in the PNG text metadata and a "
                        "JSON sidecar."));
    m_filmSamples = new QSpinBox;
    m_filmSamples->setRange(1, 64);
    m_filmSamples->setValue(6);
    m_filmSamples->setToolTip(tr("Rows: the first N samples"));
    m_filmColumns = new QSpinBox;
    m_filmColumns->setRange(2, 100);
    m_filmColumns->setValue(10);
    m_filmColumns->setToolTip(
        tr("Columns: at most this many recorded steps, evenly spaced, always including the last"));
    auto* film = new QPushButton(tr("Export filmstrip…"));
    m_weights = new QLineEdit(QStringLiteral("0, 0.5, 1, 2, 3"));
    m_weights->setToolTip(tr("Comma-separated guidance weights (rows); w₂ = w"));
    m_seeds = new QSpinBox;
    m_seeds->setRange(1, 64);
    m_seeds->setValue(8);
    m_seeds->setToolTip(tr("Columns: the run's first N seeds, sampled to the end at every weight"));
    auto* sweep = new QPushButton(tr("Export sweep sheet…"));
    auto* animation = new QPushButton(tr("Export animation (GIF / MP4)…"));
    animation->setToolTip(tr("Every recorded step of the shown run in the shown view, guided | unguided when "
                             "comparing, captioned with step, σ and w; for slides and the web."));
    m_fps = new QSpinBox;
    m_fps->setRange(1, 60);
    m_fps->setValue(4);
    m_fps->setSuffix(tr(" frames/s"));
    m_hold = new QDoubleSpinBox;
    m_hold->setRange(0.0, 60.0);
    m_hold->setDecimals(1);
    m_hold->setValue(2.0);
    m_hold->setSuffix(tr(" s"));
    m_hold->setToolTip(tr("How long the last frame stays before the animation loops"));
    auto* open = new QPushButton(tr("Open settings from PNG/JSON…"));
    open->setToolTip(tr("Restore the settings stored in an exported PNG or sidecar (or drop the file on the window)."));
    connect(grid, &QPushButton::clicked, this, &ExportPanel::exportGrid);
    connect(film, &QPushButton::clicked, this, &ExportPanel::exportFilmstrip);
    connect(sweep, &QPushButton::clicked, this, &ExportPanel::exportSweep);
    connect(animation, &QPushButton::clicked, this, &ExportPanel::exportAnimation);
    connect(open, &QPushButton::clicked, this, &ExportPanel::openSettings);
    auto* form = new QFormLayout(this);
    form->addRow(grid);
    form->addRow(tr("Filmstrip samples"), m_filmSamples);
    form->addRow(tr("Filmstrip steps"), m_filmColumns);
    form->addRow(film);
    form->addRow(tr("Sweep weights"), m_weights);
    form->addRow(tr("Sweep seeds"), m_seeds);
    form->addRow(sweep);
    form->addRow(tr("Animation speed"), m_fps);
    form->addRow(tr("Hold last frame"), m_hold);
    form->addRow(animation);
    form->addRow(open);
}

int ExportPanel::filmstripSamples() const
{
    return m_filmSamples->value();
}
int ExportPanel::filmstripColumns() const
{
    return m_filmColumns->value();
}
int ExportPanel::sweepSeeds() const
{
    return m_seeds->value();
}
int ExportPanel::animationFps() const
{
    return m_fps->value();
}
double ExportPanel::animationHold() const
{
    return m_hold->value();
}

std::vector<double> ExportPanel::sweepWeights(QString* error) const
{
    std::vector<double> weights;
    for (const QString& part : m_weights->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const double w = part.trimmed().toDouble(&ok);
        if (!ok) {
            if (error) *error = tr("Sweep weights: '%1' is not a number").arg(part.trimmed());
            return {};
        }
        weights.push_back(w);
    }
    if (weights.empty() && error) *error = tr("Sweep weights: give at least one weight, e.g. 0, 1, 2");
    return weights;
}

void ExportPanel::setSweepWeights(const QString& text)
{
    m_weights->setText(text);
}
QString ExportPanel::sweepWeightsText() const
{
    return m_weights->text();
}

} // namespace dg::studio
