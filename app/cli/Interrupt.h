#pragma once

#include "dg/CancelToken.h"

namespace dg::cli {

// The process-wide token a SIGINT/SIGTERM cancels; long jobs poll it before every network evaluation.
CancelToken& interruptToken();
void installInterruptHandler();

} // namespace dg::cli
