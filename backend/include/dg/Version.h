#pragma once

namespace dg {

const char* versionString();
const char* torchVersionString();

} // namespace dg
