#include "dg/Version.h"

#include "GitCommit.h" // generated at build time (cmake/GitCommit.cmake)

#include <torch/version.h>

namespace dg {

const char* versionString()
{
    return DG_VERSION;
}
const char* torchVersionString()
{
    return TORCH_VERSION;
}
const char* codeVersion()
{
    return DG_VERSION " (git " DG_GIT_COMMIT ")";
}

} // namespace dg
