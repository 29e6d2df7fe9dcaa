#pragma once

#include <QWidget>

#include <vector>

class QLineEdit;
class QDoubleSpinBox;
class QSpinBox;

namespace dg::studio {

// Export dock: the current grid, a filmstrip (rows samples, columns steps), a sweep sheet (rows weights, columns
// seeds). Every PNG carries the settings in its metadata plus a JSON sidecar.
class ExportPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ExportPanel(QWidget* parent = nullptr);
    int filmstripSamples() const;
    int filmstripColumns() const;
    int sweepSeeds() const;
    int animationFps() const;
    double animationHold() const;
    // Parsed weights; on a bad list returns empty and sets *error (naming the entry).
    std::vector<double> sweepWeights(QString* error) const;
    void setSweepWeights(const QString& text);
    QString sweepWeightsText() const;

Q_SIGNALS:
    void exportGrid();
    void exportFilmstrip();
    void exportSweep();
    void exportAnimation();
    void openSettings();

private:
    QSpinBox* m_filmSamples;
    QSpinBox* m_filmColumns;
    QLineEdit* m_weights;
    QSpinBox* m_seeds;
    QSpinBox* m_fps;
    QDoubleSpinBox* m_hold;
};

} // namespace dg::studio
