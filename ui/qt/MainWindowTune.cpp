// The Tune dock's wiring: sweep, progress, results, click-to-sample and export.
#include "MainWindow.h"

#include "FieldLabels.h"
#include "GuidancePanel.h"
#include "SamplerPanel.h"
#include "StudioController.h"
#include "TunePanel.h"

#include "dg/Error.h"
#include "dg/Export.h"
#include "dg/Settings.h"

#include <QDir>

#include <QFileDialog>
#include <QStandardPaths>
#include <QStatusBar>
#include <cmath>

namespace dg::studio {

void MainWindow::connectTune()
{
    StudioController* c = m_controller;
    connect(m_tunePanel, &TunePanel::runRequested, this, &MainWindow::runTune);
    connect(m_tunePanel, &TunePanel::cancelRequested, c, &StudioController::cancelTune);
    connect(m_tunePanel, &TunePanel::weightChosen, this, &MainWindow::sampleAtTunedWeight);
    connect(m_tunePanel, &TunePanel::exportRequested, this, [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Export tune plot"), QStringLiteral("dg-tune.png"),
                                                       tr("PNG images (*.png)"));
        QString error;
        if (!f.isEmpty() && !exportTuneTo(f, &error)) reportError(error);
    });
    connect(c, &StudioController::tuneProgress, m_tunePanel, &TunePanel::showProgress);
    connect(c, &StudioController::tuneRowFinished, this,
            [this] { m_tunePanel->showResult(m_controller->tuneResult(), false); });
    connect(c, &StudioController::tuneFinished, this, [this](const QString& error) {
        m_tunePanel->running(false);
        if (error.isEmpty()) {
            m_tunePanel->showResult(m_controller->tuneResult(), true);
        } else if (error == QLatin1String("cancelled")) {
            m_tunePanel->showMessage(tr("cancelled: %1 of the weights finished; running again resumes from the cache")
                                         .arg(m_controller->tuneResult().rows.size()));
        } else {
            m_tunePanel->showMessage(tr("failed: %1").arg(error));
            reportError(tr("tune: %1").arg(error));
        }
    });
}

void MainWindow::runTune()
{
    if (m_controller->tuning()) return;
    const auto weights = m_tunePanel->weights();
    if (!weights) return;
    SampleRequest base = currentRequest();
    if (base.discriminator.empty()) {
        m_tunePanel->showMessage(tr("A weight sweep needs a discriminator: choose one in the Model dock."));
        return;
    }
    base.settings.count = m_tunePanel->count();
    base.settings.seed = m_tunePanel->seed();
    base.settings.firstSample = 0;
    auto& g = base.settings.guidance;
    g.enabled = true;
    if (m_tunePanel->guidance() == TunePanel::Guidance::PresetNone) {
        const bool boost = g.boost;
        g = GuidanceSettings{};
        g.boost = boost;
    } else if (m_tunePanel->guidance() == TunePanel::Guidance::Official) {
        g = officialGuidance(g);
    }
    if (std::isfinite(m_tunePanel->sigmaHi())) g.sigmaHi = m_tunePanel->sigmaHi();
    try {
        validate(base.settings);
    } catch (const std::exception& e) {
        m_tunePanel->showMessage(studioErrorMessage(e));
        return;
    }
    ScoringSettings scoring;
    scoring.bootstrapRounds = 200;
    scoring.device = base.device;
    // Finished batches and scores are kept per (models, settings): a repeated or resumed sweep costs nothing.
    const QString cache =
        QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/tune-cache");
    QDir().mkpath(cache);
    scoring.cacheFolder = cache.toStdString();
    m_tunePanel->running(true);
    m_tunePanel->showResult(TuneResult{}, false);
    m_controller->tune(base, *weights, scoring, m_tunePanel->matchedCompute(), m_tunePanel->matchedChurn());
}

void MainWindow::sampleAtTunedWeight(double weight)
{
    const SampleRequest& base = m_controller->tuneRequest();
    GuidanceSettings g = base.settings.guidance;
    g.weight = weight;
    g.enabled = true;
    m_guidance->setGuidance(g);
    RunSettings s;
    m_sampler->readInto(s);
    s.seed = base.settings.seed;
    s.firstSample = 0;
    m_sampler->setFrom(s);
    showStatus(tr("sampling at w = %1 with the sweep's seed %2").arg(weight).arg(base.settings.seed), 5000);
    sample();
}

bool MainWindow::exportTuneTo(const QString& path, QString* error)
{
    const TuneResult& result = m_controller->tuneResult();
    const SampleRequest& base = m_controller->tuneRequest();
    try {
        exportTunePlot(path.toStdString(), result, base,
                       "seed " + std::to_string(base.settings.seed) + ", " + std::to_string(base.settings.count) +
                           " samples per weight",
                       true);
    } catch (const std::exception& e) {
        if (error) *error = studioErrorMessage(e);
        return false;
    }
    showStatus(tr("wrote %1, %2 and %3")
                   .arg(path, QString::fromStdString(sidecarPath(path.toStdString())),
                        QString::fromStdString(csvPathBeside(path.toStdString()))),
               5000);
    return true;
}

} // namespace dg::studio
