#include "dg/Error.h"

#include <c10/util/Exception.h>

#include <new>

namespace dg {

std::string errorMessage(const std::exception& e)
{
    if (dynamic_cast<const std::bad_alloc*>(&e)) return "out of memory";
    const auto* c10 = dynamic_cast<const c10::Error*>(&e);
    std::string text = c10 ? c10->what_without_backtrace() : e.what();
    const auto end = text.find('\n');
    if (end != std::string::npos) text.resize(end);
    if (text.size() > 400) text = text.substr(0, 400) + " ...";
    return text.empty() ? std::string("unknown error") : text;
}

} // namespace dg
