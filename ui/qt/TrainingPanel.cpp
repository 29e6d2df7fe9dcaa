#include "TrainingPanel.h"
#include "Format.h"

#include "PlotWidget.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QPixmap>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QTimer>

#include <algorithm>
#include <cmath>

namespace dg::studio {
namespace {

QSpinBox* intSpin(int lo, int hi, int value, const QString& tip)
{
    auto* s = new QSpinBox;
    s->setRange(lo, hi);
    s->setValue(value);
    s->setToolTip(tip);
    return s;
}

} // namespace

TrainingPanel::TrainingPanel(QWidget* parent) : QWidget(parent)
{
    m_dataset = new QLabel(tr("load a denoiser first"));
    const dg::TrainingJob defaults; // the defaults, once (dg/Session.h)
    m_fakes = intSpin(16, 60000, static_cast<int>(defaults.fakes),
                      tr("Unguided samples generated from the loaded model first (18 Heun steps); the "
                         "discriminator sees as many real samples."));
    m_iterations = intSpin(1, 1000000, static_cast<int>(defaults.iterations),
                           tr("Optimiser steps, rounded up to whole epochs over the fakes."));
    m_batch = intSpin(2, 4096, static_cast<int>(defaults.batchSize),
                      tr("Half real, half generated, each diffused as x + σ·ε with ln σ uniform on "
                         "[ln 0.001, ln 150]."));
    m_lr = new QDoubleSpinBox;
    m_lr->setDecimals(5);
    m_lr->setRange(1e-5, 1e-1);
    m_lr->setSingleStep(1e-4);
    m_lr->setValue(defaults.lr);
    m_lr->setToolTip(tr("Adam learning rate (the paper: 3e-4)."));
    m_snapshotEvery = intSpin(1, 100000, static_cast<int>(defaults.snapshotEvery),
                              tr("Publish a frozen snapshot every K iterations."));
    m_start = new QPushButton(tr("Start training"));
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setEnabled(false);
    m_cancel->setToolTip(tr("Stops within one batch; the last epoch checkpoint stays on disk."));
    connect(m_start, &QPushButton::clicked, this, &TrainingPanel::startRequested);
    connect(m_cancel, &QPushButton::clicked, this, &TrainingPanel::cancelRequested);
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status = new QLabel(tr("idle"));
    m_status->setWordWrap(true);
    m_plot = new PlotWidget;
    m_lossSeries = m_plot->addSeries(tr("BCE loss"), QColor(220, 90, 40));
    m_accuracySeries = m_plot->addSeries(tr("held-out acc."), QColor(40, 120, 220), 0.4, 1.0);
    m_snapshots = new QListWidget;
    m_snapshots->setMaximumHeight(90);
    m_adopt = new QPushButton(tr("Use this discriminator"));
    m_adopt->setEnabled(false);
    m_adopt->setToolTip(tr("The live sampler guides with the selected snapshot from its next step."));
    connect(m_snapshots, &QListWidget::currentRowChanged, this, [this](int row) { m_adopt->setEnabled(row >= 0); });
    connect(m_adopt, &QPushButton::clicked, this, [this] {
        if (auto* item = m_snapshots->currentItem()) Q_EMIT adoptRequested(item->data(Qt::UserRole).toLongLong());
    });
    m_diagnose = new QPushButton(tr("Diagnose the discriminator"));
    m_diagnose->setObjectName(QStringLiteral("diagnose"));
    m_diagnose->setToolTip(tr("Where can it guide? Its accuracy at each σ on held-out real data and as many of the "
                              "model's own unguided samples (300 of each), with the guided σ window shaded. Near 50 % "
                              "it cannot tell them apart and its gradient is noise there."));
    connect(m_diagnose, &QPushButton::clicked, this, [this] {
        if (m_diagnosing)
            Q_EMIT diagnoseCancelRequested();
        else
            Q_EMIT diagnoseRequested();
    });
    m_diagnosisText = new QLabel;
    m_diagnosisText->setWordWrap(true);
    m_autoAdopt = new QCheckBox(tr("Adopt each new snapshot"));
    m_autoAdopt->setToolTip(tr("Watch guidance improve as the discriminator learns."));

    auto* buttons = new QWidget;
    auto* h = new QHBoxLayout(buttons);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(m_start);
    h->addWidget(m_cancel);
    auto* form = new QFormLayout(this);
    form->addRow(tr("Data set"), m_dataset);
    form->addRow(tr("Fake samples"), m_fakes);
    form->addRow(tr("Iterations"), m_iterations);
    form->addRow(tr("Batch size"), m_batch);
    form->addRow(tr("Learning rate"), m_lr);
    form->addRow(tr("Snapshot every"), m_snapshotEvery);
    form->addRow(buttons);
    form->addRow(m_progress);
    form->addRow(m_status);
    form->addRow(m_plot);
    form->addRow(tr("Snapshots"), m_snapshots);
    form->addRow(m_adopt);
    form->addRow(m_autoAdopt);
    form->addRow(m_diagnose);
    form->addRow(m_diagnosisText);
}

void TrainingPanel::diagnosisRunning(bool running)
{
    m_diagnosing = running;
    m_diagnose->setText(running ? tr("Cancel the diagnosis") : tr("Diagnose the discriminator"));
    if (running)
        m_diagnosisText->setText(tr("diagnosing: sampling the model's own samples, then scoring at 8 noise levels…"));
}

void TrainingPanel::showDiagnosisProgress(const QString& stage, qint64 done, qint64 total, double etaSeconds)
{
    const QString what = stage == QLatin1String("scoring")
                             ? tr("scoring real and generated samples: noise level %1 of %2")
                             : tr("sampling the model's own samples: %1 of %2");
    QString text = tr("diagnosing — %1").arg(what.arg(done).arg(total));
    if (std::isfinite(etaSeconds)) text += tr(" · about %1 left in this stage").arg(duration(etaSeconds));
    m_diagnosisText->setText(text);
}

void TrainingPanel::showDiagnosis(const QString& summary)
{
    diagnosisRunning(false);
    m_diagnosisText->setText(summary);
}

TrainingJob TrainingPanel::job() const
{
    TrainingJob j;
    j.fakes = m_fakes->value();
    j.iterations = m_iterations->value();
    j.batchSize = m_batch->value();
    j.lr = m_lr->value();
    j.snapshotEvery = m_snapshotEvery->value();
    return j;
}

void TrainingPanel::setJob(const TrainingJob& j)
{
    m_fakes->setValue(static_cast<int>(j.fakes));
    m_iterations->setValue(static_cast<int>(j.iterations));
    m_batch->setValue(static_cast<int>(j.batchSize));
    m_lr->setValue(j.lr);
    m_snapshotEvery->setValue(static_cast<int>(j.snapshotEvery));
}

void TrainingPanel::setDenoiser(const QString& spec, const QString& dataset)
{
    if (spec != m_denoiser && !m_cancel->isEnabled()) {
        m_plot->clear();
        m_snapshots->clear();
        m_progress->setRange(0, 1);
        m_progress->setValue(0);
        m_status->setText(tr("idle"));
        m_diagnosisText->clear();
    }
    m_denoiser = spec;
    m_dataset->setText(dataset.isEmpty() ? tr("unknown (this denoiser cannot be trained against here)") : dataset);
}

bool TrainingPanel::autoAdopt() const
{
    return m_autoAdopt->isChecked();
}
void TrainingPanel::setAutoAdopt(bool on)
{
    m_autoAdopt->setChecked(on);
}

void TrainingPanel::started()
{
    m_plot->clear();
    m_snapshots->clear();
    m_start->setEnabled(false);
    m_cancel->setEnabled(true);
    m_progress->setRange(0, 0); // busy until the first report
    m_status->setText(tr("starting…"));
}

void TrainingPanel::showProgress(const QString& phase, const TrainingProgress& p)
{
    m_progress->setRange(0, static_cast<int>(std::max<int64_t>(1, p.total)));
    m_progress->setValue(static_cast<int>(p.iteration));
    QString text = QStringLiteral("%1: %2 / %3").arg(phase).arg(p.iteration).arg(p.total);
    if (phase != QLatin1String("training") && std::isfinite(p.etaSeconds) && p.etaSeconds > 0)
        text += tr(" · about %1 left in this stage").arg(duration(p.etaSeconds));
    if (phase == QLatin1String("training")) {
        if (std::isfinite(p.loss)) {
            text += QStringLiteral(" · loss %1").arg(p.loss, 0, 'f', 4);
            m_plot->addPoint(m_lossSeries, static_cast<double>(p.iteration), p.loss);
        }
        if (std::isfinite(p.accuracy)) {
            text += QStringLiteral(" · held-out acc. %1").arg(p.accuracy, 0, 'f', 3);
            m_plot->addPoint(m_accuracySeries, static_cast<double>(p.iteration), p.accuracy);
        }
        text += QStringLiteral(" · %1 it/s · ETA %2").arg(p.itPerSecond, 0, 'f', 1).arg(duration(p.etaSeconds));
    }
    m_status->setText(text);
}

void TrainingPanel::addSnapshot(qint64 iteration)
{
    auto* item = new QListWidgetItem(tr("snapshot @ iteration %1").arg(iteration));
    item->setData(Qt::UserRole, iteration);
    m_snapshots->addItem(item);
}

void TrainingPanel::clearSnapshots()
{
    m_snapshots->clear();
}

void TrainingPanel::finished(const QString& message, bool ok)
{
    m_start->setEnabled(true);
    m_cancel->setEnabled(false);
    if (m_progress->maximum() == 0) m_progress->setRange(0, 1);
    if (ok) m_progress->setValue(m_progress->maximum());
    m_status->setText(ok ? tr("done: %1").arg(message) : tr("stopped: %1").arg(message));
}

QString TrainingPanel::diagnosisText() const
{
    return m_diagnosisText->text();
}

int TrainingPanel::snapshotCount() const
{
    return m_snapshots->count();
}

} // namespace dg::studio
