#include "BranchesPanel.h"

#include <QComboBox>
#include <QFormLayout>
#include <QListWidget>
#include <QPushButton>
#include <QSignalBlocker>

namespace dg::studio {

BranchesPanel::BranchesPanel(QWidget* parent) : QWidget(parent)
{
    m_list = new QListWidget;
    m_list->setObjectName(QStringLiteral("branchList"));
    m_list->setToolTip(tr("Select a branch to replay it; each keeps every recorded step."));
    auto* branch = new QPushButton(tr("Branch here (B)"));
    branch->setToolTip(
        tr("Fork the shown branch at the shown step and continue it with the current guidance settings."));
    m_compareWith = new QComboBox;
    m_compareWith->setObjectName(QStringLiteral("compareWith"));
    m_compareWith->addItem(tr("unguided (same noise)"), -1);
    m_compareWith->setToolTip(tr("What the compare view shows beside the selected branch"));
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0) Q_EMIT branchSelected(m_list->item(row)->data(Qt::UserRole).toInt());
    });
    connect(branch, &QPushButton::clicked, this, &BranchesPanel::branchRequested);
    connect(m_compareWith, &QComboBox::currentIndexChanged, this, &BranchesPanel::compareWithChanged);
    auto* form = new QFormLayout(this);
    form->addRow(m_list);
    form->addRow(branch);
    form->addRow(tr("Compare with"), m_compareWith);
}

void BranchesPanel::clear()
{
    const QSignalBlocker a(m_list), b(m_compareWith);
    m_list->clear();
    while (m_compareWith->count() > 1)
        m_compareWith->removeItem(1);
    m_compareWith->setCurrentIndex(0);
}

void BranchesPanel::addBranch(int id, const QString& label, const QString& name)
{
    const QSignalBlocker a(m_list), b(m_compareWith);
    auto* item = new QListWidgetItem(label);
    item->setData(Qt::UserRole, id);
    m_list->addItem(item);
    m_compareWith->addItem(name, id);
}

void BranchesPanel::setLabel(int id, const QString& label)
{
    for (int i = 0; i < m_list->count(); ++i) {
        auto* item = m_list->item(i);
        if (item->data(Qt::UserRole).toInt() != id) continue;
        item->setText(item->text().endsWith(QStringLiteral("  ✓")) ? label + QStringLiteral("  ✓") : label);
    }
}

void BranchesPanel::setCurrent(int id)
{
    const QSignalBlocker block(m_list);
    for (int i = 0; i < m_list->count(); ++i)
        if (m_list->item(i)->data(Qt::UserRole).toInt() == id) m_list->setCurrentRow(i);
}

int BranchesPanel::compareWith() const
{
    return m_compareWith->currentData().toInt();
}

void BranchesPanel::setFinished(int id, bool finished)
{
    for (int i = 0; i < m_list->count(); ++i) {
        auto* item = m_list->item(i);
        if (item->data(Qt::UserRole).toInt() != id) continue;
        QString text = item->text();
        text.remove(QStringLiteral("  ✓"));
        item->setText(finished ? text + QStringLiteral("  ✓") : text);
    }
}

} // namespace dg::studio
