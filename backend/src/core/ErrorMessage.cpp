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

std::string renameFields(const std::string& text, const std::function<std::string(const std::string& id)>& name)
{
    static const std::string open = "‹", close = "›";
    const auto isIdChar = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; };
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        if (text.compare(i, open.size(), open) == 0) {
            size_t end = i + open.size();
            while (end < text.size() && isIdChar(text[end]))
                ++end;
            if (end > i + open.size() && text.compare(end, close.size(), close) == 0) {
                out += name(text.substr(i + open.size(), end - i - open.size()));
                i = end + close.size();
                continue;
            }
        }
        out += text[i++];
    }
    return out;
}

std::string renameFields(const std::string& text, const FieldLabels& labels)
{
    return renameFields(text, [&](const std::string& id) {
        const auto hit = std::find_if(labels.begin(), labels.end(), [&](const auto& l) { return l.first == id; });
        return hit == labels.end() ? id : hit->second;
    });
}

std::string cliFields(const std::string& text)
{
    return renameFields(text, [](const std::string& id) { return "--" + id; });
}

} // namespace dg
