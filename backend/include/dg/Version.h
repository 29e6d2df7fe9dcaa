#pragma once

namespace dg {

const char* versionString();
const char* torchVersionString();
// The version and the git commit the program was built from ("+dirty" when the tree had uncommitted changes;
// "unknown" outside a checkout): what the sample and score caches are keyed by, and what exports record.
const char* codeVersion();

} // namespace dg
