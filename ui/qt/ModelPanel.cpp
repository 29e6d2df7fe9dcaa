#include "ModelPanel.h"

#include "dg/Models.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QToolButton>

namespace dg::studio {

ModelPanel::ModelPanel(QWidget* parent) : QWidget(parent)
{
    m_denoiser = new QComboBox;
    m_discriminator = new QComboBox;
    for (auto* box : {m_denoiser, m_discriminator}) {
        box->setEditable(true);
        box->setInsertPolicy(QComboBox::NoInsert);
        box->setMinimumContentsLength(12);
        box->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    }
    m_discriminator->addItem(tr("(none)"), QString());
    for (const auto& m : builtinModels()) {
        const QString spec = QStringLiteral("builtin:") + QString::fromStdString(m.name);
        auto* box = m.role == ModelRole::Denoiser ? m_denoiser : m_discriminator;
        box->addItem(spec, spec);
        box->setItemData(box->count() - 1, QString::fromStdString(m.description), Qt::ToolTipRole);
    }
    m_denoiser->setToolTip(tr("The pre-trained score model D(x; σ): a built-in, a checkpoint from dg train-score or a "
                              "TorchScript file with forward(x, sigma[, class_labels])."));
    m_discriminator->setToolTip(tr("The discriminator d(x_t, σ), returning logit = log(d / (1 − d)); its gradient "
                                   "corrects the denoiser: D_DG = D + w·σ²·∇ₓ logit."));
    connect(m_denoiser, &QComboBox::activated, this, [this] {
        const QString match = QString::fromStdString(dg::matchingDiscriminator(denoiser().toStdString()));
        if (!match.isEmpty()) m_discriminator->setCurrentText(match);
    });
    m_device = new QComboBox;
    m_device->addItem(tr("auto"), QStringLiteral("auto"));
    m_device->addItem(tr("cpu"), QStringLiteral("cpu"));
    m_device->addItem(tr("cuda"), QStringLiteral("cuda"));
    m_device->setToolTip(tr("auto: CUDA when the linked LibTorch has it and a GPU is present, else CPU."));

    auto row = [this](QComboBox* box) {
        auto* w = new QWidget;
        auto* h = new QHBoxLayout(w);
        h->setContentsMargins(0, 0, 0, 0);
        h->addWidget(box, 1);
        auto* b = new QToolButton;
        b->setText(QStringLiteral("…"));
        b->setToolTip(tr("Choose a TorchScript or checkpoint file (.pt)"));
        connect(b, &QToolButton::clicked, this, [this, box] { browse(box); });
        h->addWidget(b);
        return w;
    };
    auto* load = new QPushButton(tr("Load models"));
    load->setToolTip(tr("Load (and probe) the pair on the worker thread; the current run stops."));
    connect(load, &QPushButton::clicked, this, &ModelPanel::loadRequested);
    m_info = new QLabel(tr("no model loaded"));
    m_info->setWordWrap(true);
    m_info->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* form = new QFormLayout(this);
    form->addRow(tr("Denoiser"), row(m_denoiser));
    form->addRow(tr("Discriminator"), row(m_discriminator));
    form->addRow(tr("Device"), m_device);
    form->addRow(load);
    form->addRow(m_info);
}

void ModelPanel::browse(QComboBox* box)
{
    const QString file =
        QFileDialog::getOpenFileName(this, tr("Choose a model"), QString(), tr("Models (*.pt *.pth);;All files (*)"));
    if (!file.isEmpty()) box->setCurrentText(file);
}

QString ModelPanel::denoiser() const
{
    return m_denoiser->currentText().trimmed();
}

QString ModelPanel::discriminator() const
{
    const QString t = m_discriminator->currentText().trimmed();
    return t == tr("(none)") ? QString() : t;
}

Device ModelPanel::device() const
{
    return parseDevice(m_device->currentData().toString().toStdString());
}

void ModelPanel::setModels(const QString& denoiser, const QString& discriminator, Device device)
{
    m_denoiser->setCurrentText(denoiser);
    m_discriminator->setCurrentText(discriminator.isEmpty() ? tr("(none)") : discriminator);
    m_device->setCurrentIndex(device == Device::Cpu ? 1 : device == Device::Cuda ? 2 : 0);
}

void ModelPanel::setInfo(const QString& text)
{
    m_info->setText(text);
}

} // namespace dg::studio
