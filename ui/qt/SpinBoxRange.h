#pragma once

#include <QString>

#include <functional>

class QAbstractSpinBox;

namespace dg::studio {

// A value typed outside a spin box's range is clamped to the nearest allowed value (Qt's default silently restores the
// previous one: 10 samples came back as 1000) and `say` is told so in one line naming the box and its range; the
// range is also appended to the box's tooltip.
void clampToRange(QAbstractSpinBox* box, const std::function<void(const QString&)>& say);

} // namespace dg::studio
