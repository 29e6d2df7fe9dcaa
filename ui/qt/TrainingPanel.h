#pragma once

#include "dg/Session.h"

#include <QWidget>

class QCheckBox;
class QDoubleSpinBox;
class QImage;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace dg::studio {

class PlotWidget;

// Training dock: train a discriminator for the loaded denoiser in the background (fakes, then the paper's recipe),
// with live loss / held-out accuracy curves, and adopt any published snapshot into the running sampler.
class TrainingPanel : public QWidget
{
    Q_OBJECT
public:
    explicit TrainingPanel(QWidget* parent = nullptr);
    TrainingJob job() const;
    void setJob(const TrainingJob& job);
    // The loaded denoiser and what it models. Another denoiser than before (and no job running): the last job's loss
    // curve, snapshots, status and diagnosis are cleared, since they belong to the other model.
    void setDenoiser(const QString& spec, const QString& dataset);
    bool autoAdopt() const;
    void setAutoAdopt(bool on);

    void started();
    void showProgress(const QString& phase, const TrainingProgress& p);
    void addSnapshot(qint64 iteration);
    void clearSnapshots();
    void finished(const QString& message, bool ok);
    int snapshotCount() const;
    // Discriminator diagnostics: a one-line summary, or the error (the figure opens in its own window).
    void showDiagnosis(const QString& summary);
    void diagnosisRunning(bool running); // while running, the Diagnose button cancels it
    void showDiagnosisProgress(const QString& stage, qint64 done, qint64 total, double etaSeconds);
    QString diagnosisText() const;
    PlotWidget* plot() const { return m_plot; }

Q_SIGNALS:
    void startRequested();
    void cancelRequested();
    void adoptRequested(qint64 iteration);
    void diagnoseRequested();
    void diagnoseCancelRequested();

private:
    QLabel* m_dataset;
    QString m_denoiser;
    QPushButton* m_diagnose;
    QLabel* m_diagnosisText;
    bool m_diagnosing = false;
    QSpinBox* m_fakes;
    QSpinBox* m_iterations;
    QSpinBox* m_batch;
    QDoubleSpinBox* m_lr;
    QSpinBox* m_snapshotEvery;
    QPushButton* m_start;
    QPushButton* m_cancel;
    QProgressBar* m_progress;
    QLabel* m_status;
    PlotWidget* m_plot;
    int m_lossSeries = 0;
    int m_accuracySeries = 0;
    QListWidget* m_snapshots;
    QPushButton* m_adopt;
    QCheckBox* m_autoAdopt;
};

} // namespace dg::studio
