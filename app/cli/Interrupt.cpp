#include "Interrupt.h"

#include <csignal>

namespace dg::cli {
namespace {

CancelToken g_token;

extern "C" void onSignal(int)
{
    g_token.cancel(); // lock-free atomic store: async-signal-safe
}

} // namespace

CancelToken& interruptToken()
{
    return g_token;
}

void installInterruptHandler()
{
    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
}

} // namespace dg::cli
