#pragma once

#include "dg/Device.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;

namespace dg::studio {

// Model dock: the score model and the discriminator (built-ins, shipped checkpoints or TorchScript files), the device.
class ModelPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ModelPanel(QWidget* parent = nullptr);
    QString denoiser() const;
    QString discriminator() const; // empty: none
    Device device() const;
    void setModels(const QString& denoiser, const QString& discriminator, Device device);
    void setInfo(const QString& text);

Q_SIGNALS:
    void loadRequested();

private:
    void browse(QComboBox* box);
    QComboBox* m_denoiser;
    QComboBox* m_discriminator;
    QComboBox* m_device;
    QLabel* m_info;
};

} // namespace dg::studio
