#include "TunePanel.h"
#include "Format.h"

#include "InfinitySpinBox.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMouseEvent>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QRegularExpressionValidator>
#include <QScrollArea>
#include <QSpinBox>
#include <QToolTip>

#include "dg/Error.h"

#include <algorithm>
#include <cmath>

namespace dg::studio {
namespace {

QString number(double v, int digits)
{
    return std::isfinite(v) ? QString::number(v, 'f', digits) : QStringLiteral("–");
}

// A column header without its parenthesis: "KID (judge)" → "KID".
QString brief(const std::string& header)
{
    return QString::fromStdString(header.substr(0, header.find(" (")));
}

// One row's numbers in a sentence (hover text, the best row's summary), in the metric table's order: the primary
// with its change and the share of the gap closed, then every other measured column.
QString describe(const TuneRow& row)
{
    const auto& s = row.score;
    const MetricInfo& primary = primaryOf(s);
    const auto& key = primary.columns.front();
    const std::string change = changePrefix(primary) + "_change";
    QString text =
        QObject::tr("w = %1: %2 %3").arg(row.weight).arg(brief(key.header), number(column(s, key.name), key.digits));
    if (std::isfinite(column(s, change)) && row.weight != 0.0) {
        text += QObject::tr(" (change %1, 90 % band [%2, %3]")
                    .arg(number(column(s, change), key.digits - 1), number(column(s, change + "_p05"), key.digits - 1),
                         number(column(s, change + "_p95"), key.digits - 1));
        text += row.distinguishable ? QStringLiteral(")") : QObject::tr(": not distinguishable from w = 0)");
    }
    if (std::isfinite(column(s, "gap_closed")) && row.weight != 0.0)
        text += QObject::tr(", closes %1 % of the gap to the real-data floor")
                    .arg(number(100 * column(s, "gap_closed"), 0));
    for (const auto& m : metricTable())
        if (&m != &primary)
            for (const auto& c : m.columns)
                if (std::isfinite(column(s, c.name)))
                    text += QStringLiteral(", %1 %2").arg(brief(c.header), number(column(s, c.name), c.digits));
    return text;
}

} // namespace

TunePlotView::TunePlotView(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("tunePlot"));
    setMinimumSize(360, 240);
    setMouseTracking(true);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void TunePlotView::setResult(const TuneResult& result)
{
    m_result = result;
    render();
    update();
}

void TunePlotView::render()
{
    m_plot = TunePlot{};
    m_image = QImage();
    if (m_result.rows.empty() || width() < 50 || height() < 50) return;
    const auto& first = m_result.rows.front().score;
    const bool paired = std::isfinite(column(first, changePrefix(primaryOf(first)) + "_change"));
    // The primary metric, its change (when paired), one panel per plot title of the metric table.
    const int panels = 1 + (paired ? 1 : 0) + static_cast<int>(tunePlotPanels(first).size());
    const int gap = 12;
    const bool vertical = width() < height();
    const int w = vertical ? width() : (width() - gap * (panels - 1)) / panels;
    const int h = vertical ? (height() - gap * (panels - 1)) / panels : height();
    m_plot = tunePlot(m_result, std::max(w, 200), std::max(h, 160), vertical);
    const auto& img = m_plot.image;
    m_image = QImage(img.bytes().data(), img.width(), img.height(), img.width() * 3, QImage::Format_RGB888).copy();
}

void TunePlotView::resizeEvent(QResizeEvent*)
{
    render();
}

void TunePlotView::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), Qt::white);
    if (m_image.isNull()) {
        p.setPen(QColor(90, 90, 100));
        p.drawText(rect().adjusted(12, 12, -12, -12), Qt::AlignCenter | Qt::TextWordWrap,
                   tr("Run a sweep: the metrics against the guidance weight appear here, the best weight marked. "
                      "Click a point to sample at that weight."));
        return;
    }
    p.drawImage(0, 0, m_image);
}

int TunePlotView::rowAt(QPointF position) const
{
    if (m_image.isNull()) return -1;
    return tunePlotRowAt(m_plot, static_cast<float>(position.x()), static_cast<float>(position.y()));
}

void TunePlotView::mouseMoveEvent(QMouseEvent* event)
{
    const int row = rowAt(event->position());
    setCursor(row >= 0 ? Qt::PointingHandCursor : Qt::ArrowCursor);
    if (row >= 0)
        QToolTip::showText(event->globalPosition().toPoint(),
                           describe(m_result.rows[static_cast<size_t>(row)]) + tr("\nClick: sample at this weight"),
                           this);
    else
        QToolTip::hideText();
}

void TunePlotView::mousePressEvent(QMouseEvent* event)
{
    const int row = rowAt(event->position());
    if (event->button() == Qt::LeftButton && row >= 0) Q_EMIT rowClicked(row);
}

TunePanel::TunePanel(QWidget* parent) : QWidget(parent)
{
    m_weights = new QLineEdit(QStringLiteral("0, 0.5, 1, 1.5, 2, 3"));
    m_weights->setObjectName(QStringLiteral("tuneWeights"));
    m_weights->setToolTip(tr("Guidance weights to compare, increasing; include 0 for the unguided baseline and the "
                             "paired change against it."));
    m_guidance = new QComboBox;
    m_guidance->addItem(tr("As in the Guidance dock"));
    m_guidance->addItem(tr("Preset none (w₂ = w, every σ)"));
    m_guidance->addItem(tr("Official DG"));
    m_guidance->setToolTip(tr("The guidance settings every weight runs with: the Guidance dock's (window, w₂, clip, "
                              "boost), or a preset's."));
    m_sigmaHi = new InfinitySpinBox(1000.0);
    m_sigmaHi->setDecimals(3);
    m_sigmaHi->setToolTip(tr("Upper end of the σ window guidance acts in (∞: the guidance settings' own)."));
    m_count = new QSpinBox;
    m_count->setObjectName(QStringLiteral("tuneCount"));
    m_count->setRange(static_cast<int>(kMinBootstrapSamples), 100000);
    m_count->setValue(1000);
    m_count->setSingleStep(500);
    m_count->setToolTip(tr("Samples per weight, the same seeds for each. 5000 gives paired bands of about ±0.4 FD on "
                           "Fashion-MNIST; the paper scores 50,000."));
    m_seed = new QLineEdit(QStringLiteral("0"));
    m_seed->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{1,19}")), m_seed));
    m_seed->setToolTip(tr("Sample i of every weight uses noise (seed, i)."));
    m_matched = new QCheckBox(tr("Matched compute"));
    m_matched->setObjectName(QStringLiteral("tuneMatched"));
    m_matched->setToolTip(tr("Also measure what a sample costs guided and unguided (network evaluations, wall time) "
                             "and score the unguided sampler with as many more steps as cost the same: is DG better "
                             "than spending its compute on more steps? Drawn as a level line."));
    m_churn = new QDoubleSpinBox;
    m_churn->setObjectName(QStringLiteral("tuneMatchedChurn"));
    m_churn->setRange(0.0, 200.0);
    m_churn->setDecimals(1);
    m_churn->setSingleStep(5.0);
    m_churn->setSpecialValueText(tr("none"));
    m_churn->setEnabled(false);
    m_churn->setToolTip(tr("With matched compute, a second baseline: the unguided sampler at the same steps with EDM's "
                           "stochastic churn S_churn (Karras et al. 2022, Algorithm 2). Churn can help a model more "
                           "than more steps do, so tune it (a few values on a few hundred samples) before you compare. "
                           "none: only the deterministic baseline."));
    connect(m_matched, &QCheckBox::toggled, m_churn, &QWidget::setEnabled);
    m_run = new QPushButton(tr("Run sweep"));
    m_run->setObjectName(QStringLiteral("tuneRun"));
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setEnabled(false);
    m_cancel->setToolTip(tr("Stops within one batch; finished batches stay in the cache, so running again resumes."));
    connect(m_run, &QPushButton::clicked, this, &TunePanel::runRequested);
    connect(m_cancel, &QPushButton::clicked, this, &TunePanel::cancelRequested);
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status = new QLabel(tr("idle"));
    m_status->setObjectName(QStringLiteral("tuneStatus"));
    m_status->setWordWrap(true);
    m_best = new QLabel;
    m_best->setObjectName(QStringLiteral("tuneBest"));
    m_best->setWordWrap(true);
    m_plot = new TunePlotView;
    connect(m_plot, &TunePlotView::rowClicked, this,
            [this](int row) { Q_EMIT weightChosen(m_result.rows.at(static_cast<size_t>(row)).weight); });
    m_export = new QPushButton(tr("Export plot (PNG + CSV)…"));
    m_export->setEnabled(false);
    connect(m_export, &QPushButton::clicked, this, &TunePanel::exportRequested);

    auto* buttons = new QWidget;
    auto* h = new QHBoxLayout(buttons);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(m_run);
    h->addWidget(m_cancel);
    // The fields and the status in a column on the left, the plot taking the rest (the dock sits under the viewer).
    auto* fields = new QWidget;
    fields->setMinimumWidth(280);
    fields->setMaximumWidth(340);
    auto* form = new QFormLayout(fields);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("Weights"), m_weights);
    form->addRow(tr("Guidance"), m_guidance);
    form->addRow(tr("σ_hi"), m_sigmaHi);
    form->addRow(tr("Samples"), m_count);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(m_matched);
    form->addRow(tr("Churn baseline"), m_churn);
    form->addRow(buttons);
    form->addRow(m_progress);
    form->addRow(m_status);
    form->addRow(m_best);
    form->addRow(m_export);
    // The fields scroll when the dock is short (1280×800 with the viewer above it).
    auto* scroll = new QScrollArea;
    scroll->setWidget(fields);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(fields->minimumWidth() + 40);
    scroll->setMaximumWidth(fields->maximumWidth() + 16);
    auto* row = new QHBoxLayout(this);
    row->addWidget(scroll);
    row->addWidget(m_plot, 1);
}

std::optional<std::vector<double>> TunePanel::weights()
{
    std::vector<double> out;
    for (const QString& part : m_weights->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool ok = false;
        const double w = part.trimmed().toDouble(&ok);
        if (!ok) {
            showMessage(tr("Weights: '%1' is not a number").arg(part.trimmed()));
            return std::nullopt;
        }
        out.push_back(w);
    }
    try {
        checkTuneWeights(out);
    } catch (const std::exception& e) {
        showMessage(tr("Weights: %1").arg(QString::fromStdString(e.what()).section(QStringLiteral(": "), 1)));
        return std::nullopt;
    }
    return out;
}

int TunePanel::count() const
{
    return m_count->value();
}
quint64 TunePanel::seed() const
{
    return m_seed->text().toULongLong();
}
TunePanel::Guidance TunePanel::guidance() const
{
    return static_cast<Guidance>(m_guidance->currentIndex());
}
double TunePanel::sigmaHi() const
{
    return m_sigmaHi->bound();
}
bool TunePanel::matchedCompute() const
{
    return m_matched->isChecked();
}
void TunePanel::setMatchedCompute(bool on)
{
    m_matched->setChecked(on);
}
double TunePanel::matchedChurn() const
{
    return m_matched->isChecked() ? m_churn->value() : 0.0;
}
void TunePanel::setMatchedChurn(double churn)
{
    m_churn->setValue(churn);
}

void TunePanel::setFields(const QString& weights, int count, quint64 seed)
{
    m_weights->setText(weights);
    m_count->setValue(count);
    m_seed->setText(QString::number(seed));
}

void TunePanel::running(bool on)
{
    m_run->setEnabled(!on);
    m_cancel->setEnabled(on);
    if (on) {
        m_progress->setRange(0, 0);
        m_status->setText(tr("loading the models and the judge…"));
    }
}

void TunePanel::showProgress(int row, int rows, qint64 done, qint64 total, double etaSeconds)
{
    m_progress->setRange(0, rows * 1000);
    m_progress->setValue(row * 1000 + static_cast<int>(total > 0 ? 1000 * done / total : 0));
    if (etaSeconds == kScoringStage)
        m_status->setText(tr("weight %1 of %2: scoring %3 samples (judge features, FD, KID, bootstrap) …")
                              .arg(row + 1)
                              .arg(rows)
                              .arg(total));
    else
        m_status->setText(tr("weight %1 of %2: sampling %3 / %4 — about %5 left")
                              .arg(row + 1)
                              .arg(rows)
                              .arg(done)
                              .arg(total)
                              .arg(duration(etaSeconds)));
}

void TunePanel::showResult(const TuneResult& result, bool finished)
{
    m_result = result;
    m_plot->setResult(result);
    m_export->setEnabled(finished && !result.rows.empty());
    if (result.rows.empty()) {
        m_best->clear();
        return;
    }
    const bool noneBeats = result.paired && result.best == result.reference && result.rows.size() > 1;
    if (noneBeats) // never present a weight whose band contains 0 as the best
        m_best->setText((finished ? QStringLiteral("<b>%1</b>") : tr("So far: %1"))
                            .arg(QString::fromStdString(
                                     dg::renameFields(tuneVerdict(result), dg::FieldLabels{{"count", "Samples"}}))
                                     .toHtmlEscaped()) +
                        tr("<br>Click a point to sample at that weight."));
    else
        m_best->setText((finished ? tr("<b>Best %1</b>") : tr("Best so far %1"))
                            .arg(describe(result.rows[result.best]).toHtmlEscaped()) +
                        tr("<br>Click a point to sample at that weight."));
    if (result.costs) // the matched-compute baseline: its costs and DG against it
        m_best->setText(m_best->text() + QStringLiteral("<br>") +
                        QString::fromStdString(matchedComputeVerdict(result))
                            .toHtmlEscaped()
                            .replace(QLatin1Char('\n'), QStringLiteral("<br>")));
    if (finished) {
        m_progress->setRange(0, 1);
        m_progress->setValue(1);
        const auto baselines =
            std::count_if(result.rows.begin(), result.rows.end(), [](const TuneRow& r) { return r.steps > 0; });
        const auto weights = static_cast<qsizetype>(result.rows.size()) - baselines;
        if (baselines > 1)
            m_status->setText(tr("done: %1 weights and %2 matched-compute baselines × %3 samples")
                                  .arg(weights)
                                  .arg(static_cast<qsizetype>(baselines))
                                  .arg(count()));
        else if (baselines > 0)
            m_status->setText(
                tr("done: %1 weights and the matched-compute baseline × %2 samples").arg(weights).arg(count()));
        else
            m_status->setText(tr("done: %1 weights × %2 samples").arg(weights).arg(count()));
    }
}

QString TunePanel::statusText() const
{
    return m_status->text();
}

void TunePanel::showMessage(const QString& text)
{
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_status->setText(text);
}

} // namespace dg::studio
