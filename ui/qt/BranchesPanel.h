#pragma once

#include <QWidget>

class QComboBox;
class QListWidget;

namespace dg::studio {

// Branches dock: the run's branches (forks with other settings), which one is shown, and what the compare view puts
// beside it (the unguided companion or another branch at the same step).
class BranchesPanel : public QWidget
{
    Q_OBJECT
public:
    explicit BranchesPanel(QWidget* parent = nullptr);
    void clear();
    // label: the list's line; name: what the compare box calls it ("main run", "branch 2").
    void addBranch(int id, const QString& label, const QString& name);
    void setLabel(int id, const QString& label); // keeps the finished mark
    void setCurrent(int id);                     // no signal
    int compareWith() const;                     // −1: the unguided companion
    void setFinished(int id, bool finished);

Q_SIGNALS:
    void branchSelected(int id);
    void branchRequested();
    void compareWithChanged();

private:
    QListWidget* m_list;
    QComboBox* m_compareWith;
};

} // namespace dg::studio
