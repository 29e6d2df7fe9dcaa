#pragma once

#include <QString>

#include <cmath>

namespace dg::studio {

// A duration for progress lines: "42 s" below 90 s, else "3.5 min"; "?" when unknown.
inline QString duration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0) return QStringLiteral("?");
    if (seconds < 90) return QStringLiteral("%1 s").arg(std::lround(seconds));
    return QStringLiteral("%1 min").arg(seconds / 60, 0, 'f', 1);
}

} // namespace dg::studio
