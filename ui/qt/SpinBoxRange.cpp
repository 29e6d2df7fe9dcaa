#include "SpinBoxRange.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSpinBox>

namespace dg::studio {
namespace {

// The label the box stands beside in its form, else the first sentence of its tooltip.
QString nameOf(const QAbstractSpinBox* box)
{
    if (QWidget* parent = box->parentWidget())
        if (auto* form = qobject_cast<QFormLayout*>(parent->layout()))
            if (auto* label = qobject_cast<QLabel*>(form->labelForField(const_cast<QAbstractSpinBox*>(box))))
                return label->text().remove(QLatin1Char('&'));
    const QString tip = box->toolTip().section(QLatin1Char('.'), 0, 0).trimmed();
    return tip.isEmpty() || tip.size() > 40 ? QStringLiteral("the value") : tip;
}

} // namespace

void clampToRange(QAbstractSpinBox* box, const std::function<void(const QString&)>& say)
{
    auto* integer = qobject_cast<QSpinBox*>(box);
    auto* real = qobject_cast<QDoubleSpinBox*>(box);
    auto* edit = box->findChild<QLineEdit*>();
    if ((!integer && !real) || !edit) return;
    box->setCorrectionMode(QAbstractSpinBox::CorrectToNearestValue);
    const QLocale locale = box->locale();
    const auto range = [=] {
        return integer ? QStringLiteral("%1 … %2").arg(locale.toString(integer->minimum()),
                                                       locale.toString(integer->maximum()))
                       : QStringLiteral("%1 … %2").arg(locale.toString(real->minimum(), 'g', 6),
                                                       locale.toString(real->maximum(), 'g', 6));
    };
    const QString tip = box->toolTip();
    box->setToolTip((tip.isEmpty() ? QString() : tip + QStringLiteral("\n")) +
                    QObject::tr("Allowed: %1.").arg(range()));
    auto typed = std::make_shared<QString>();
    QObject::connect(edit, &QLineEdit::textEdited, box, [typed](const QString& text) { *typed = text; });
    QObject::connect(box, &QAbstractSpinBox::editingFinished, box, [=] {
        if (typed->isEmpty()) return;
        QString text = std::exchange(*typed, QString());
        const QString prefix = integer ? integer->prefix() : real->prefix();
        const QString suffix = integer ? integer->suffix() : real->suffix();
        if (!prefix.isEmpty() && text.startsWith(prefix)) text.remove(0, prefix.size());
        if (!suffix.isEmpty() && text.endsWith(suffix)) text.chop(suffix.size());
        bool ok = false;
        const double value = locale.toDouble(text.trimmed(), &ok);
        if (!ok) return;
        const double lo = integer ? integer->minimum() : real->minimum();
        const double hi = integer ? integer->maximum() : real->maximum();
        if (value >= lo && value <= hi) return;
        say(QObject::tr("%1: %2 is outside %3; set to %4").arg(nameOf(box), text.trimmed(), range(), box->text()));
    });
}

} // namespace dg::studio
