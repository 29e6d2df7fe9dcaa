#pragma once

#include "dg/Tuning.h"

#include <QImage>
#include <QWidget>

#include <optional>
#include <vector>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace dg::studio {

class InfinitySpinBox;

// The tune plot (backend tunePlot) drawn at the widget's own size — panels side by side when wide, stacked when
// narrow — so its lettering stays crisp; a click on a point picks that row's weight.
class TunePlotView : public QWidget
{
    Q_OBJECT
public:
    explicit TunePlotView(QWidget* parent = nullptr);
    void setResult(const TuneResult& result); // empty rows: the hint text
    QSize sizeHint() const override { return {900, 300}; }
    const QImage& image() const { return m_image; }  // as last drawn
    const TunePlot& drawn() const { return m_plot; } // its points, in widget pixels
    // The row under a point of the widget, or -1.
    int rowAt(QPointF position) const;

Q_SIGNALS:
    void rowClicked(int row);

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;

private:
    void render();

    TuneResult m_result;
    TunePlot m_plot;
    QImage m_image;
};

// Tune dock: finds the guidance weight with numbers — the same seeds sampled at each weight in the background
// (cancellable, progress with ETA, cached so a repeat is free), FD/precision/recall (the judge's) or SW2/NLL (toys)
// against w with bootstrap bands, the best weight marked; clicking a point samples at that weight.
class TunePanel : public QWidget
{
    Q_OBJECT
public:
    enum class Guidance
    {
        AsGuidanceDock,
        PresetNone,
        Official
    };

    explicit TunePanel(QWidget* parent = nullptr);
    // The weights field, parsed; nullopt after showing what is wrong with it.
    std::optional<std::vector<double>> weights(); // nullopt: the reason is shown (and is statusText())
    QString statusText() const;
    int count() const;
    quint64 seed() const;
    Guidance guidance() const;
    double sigmaHi() const;      // infinite: the guidance settings' own
    bool matchedCompute() const; // also score the unguided sampler at the guided sampler's cost
    void setMatchedCompute(bool on);
    double matchedChurn() const; // with matchedCompute, S_churn of a churned baseline as well; 0: none
    void setMatchedChurn(double churn);
    void setFields(const QString& weights, int count, quint64 seed);

    void running(bool on);
    void showProgress(int row, int rows, qint64 done, qint64 total, double etaSeconds);
    void showResult(const TuneResult& result, bool finished);
    void showMessage(const QString& text);
    TunePlotView* plot() const { return m_plot; }

Q_SIGNALS:
    void runRequested();
    void cancelRequested();
    void weightChosen(double weight);
    void exportRequested();

private:
    QLineEdit* m_weights;
    QComboBox* m_guidance;
    InfinitySpinBox* m_sigmaHi;
    QSpinBox* m_count;
    QLineEdit* m_seed;
    QCheckBox* m_matched;
    QDoubleSpinBox* m_churn;
    QPushButton* m_run;
    QPushButton* m_cancel;
    QProgressBar* m_progress;
    QLabel* m_status;
    QLabel* m_best;
    TunePlotView* m_plot;
    QPushButton* m_export;
    TuneResult m_result;
};

} // namespace dg::studio
