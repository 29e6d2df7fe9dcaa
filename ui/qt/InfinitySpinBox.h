#pragma once

#include <QDoubleSpinBox>

#include <limits>

namespace dg::studio {

// A σ bound whose maximum means "no bound": shows and accepts ∞ (or "inf") there.
class InfinitySpinBox : public QDoubleSpinBox
{
public:
    explicit InfinitySpinBox(double maximum, QWidget* parent = nullptr) : QDoubleSpinBox(parent)
    {
        setRange(0, maximum);
        setValue(maximum);
    }
    double bound() const { return value() >= maximum() ? std::numeric_limits<double>::infinity() : value(); }
    void setBound(double v) { setValue(v >= maximum() ? maximum() : v); }

protected:
    QString textFromValue(double v) const override
    {
        return v >= maximum() ? QStringLiteral("∞") : QDoubleSpinBox::textFromValue(v);
    }
    double valueFromText(const QString& text) const override
    {
        const QString t = text.trimmed();
        if (t == QStringLiteral("∞") || t.compare(QLatin1String("inf"), Qt::CaseInsensitive) == 0) return maximum();
        return QDoubleSpinBox::valueFromText(t);
    }
    QValidator::State validate(QString& text, int& pos) const override
    {
        const QString t = text.trimmed();
        if (t == QStringLiteral("∞") || QStringLiteral("inf").startsWith(t, Qt::CaseInsensitive))
            return QValidator::Acceptable;
        return QDoubleSpinBox::validate(text, pos);
    }
};

} // namespace dg::studio
