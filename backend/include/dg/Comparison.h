#pragma once

#include "dg/SampleRequest.h"

#include <string>

namespace dg {

// The guided-vs-unguided comparison from one noise (dg-studio without a display, `dg-studio --headless-out`): the
// default pair (defaultModels) with its kind's defaults (kindDefaults: images under the official recipe, a toy with the
// exact identity), seed 7, run as a lockstep pair; written as a compare grid (exportGrid: unguided | guided under
// their titles, the settings, the command and every model file's SHA-256 in the PNG and its JSON sidecar). Returns the
// request that drew it. Throws dg::Error.
SampleRequest writeGuidedComparison(const std::string& path);

} // namespace dg
