#include "dg/Version.h"

#include <torch/version.h>

namespace dg {

const char* versionString() { return DG_VERSION; }
const char* torchVersionString() { return TORCH_VERSION; }

} // namespace dg
