#include "dg/Error.h"

#include <c10/util/Exception.h>

#include <algorithm>
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

std::string renameFields(const std::string& text, const FieldLabels& labels)
{
    const auto isIdChar = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; };
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        const bool starts = text.compare(i, 2, "--") == 0 && i + 2 < text.size() && isIdChar(text[i + 2]) &&
                            (i == 0 || !(isIdChar(text[i - 1]) || text[i - 1] == '_'));
        if (!starts) {
            out += text[i++];
            continue;
        }
        size_t end = i + 2;
        while (end < text.size() && isIdChar(text[end])) ++end;
        const std::string id = text.substr(i, end - i);
        const auto hit = std::find_if(labels.begin(), labels.end(), [&](const auto& l) { return l.first == id; });
        out += hit == labels.end() ? id : hit->second;
        i = end;
    }
    return out;
}

} // namespace dg
