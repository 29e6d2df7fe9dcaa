#pragma once

#include "dg/SampleRequest.h"

#include <QString>

#include <optional>

namespace dg::studio {

// The inverse of dg::toJson(SampleRequest): settings stored in an exported PNG (tEXt dg.settings) or its JSON sidecar.
// On failure returns nullopt and sets *error to one line naming the problem.
std::optional<SampleRequest> requestFromJson(const QByteArray& json, QString* error);
// Reads dg.settings from a PNG written by an export or by dg sample --grid (or a .json sidecar).
std::optional<SampleRequest> requestFromFile(const QString& path, QString* error);

} // namespace dg::studio
