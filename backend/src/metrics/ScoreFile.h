#pragma once

#include "dg/Tuning.h"

#include <optional>
#include <string>

namespace dg {

// A cached score's file (--cache: FOLDER/KEY-FIRST-COUNT-score-HASH.json, sealed like the batches): its JSON text.
std::string encodeScore(const SampleScore& score);
// The score a cached file holds, or nothing when the text is not one (then it is computed again and replaced):
// never throws, whatever the bytes (a libFuzzer target, tests/fuzz).
std::optional<SampleScore> decodeScore(const std::string& text);

} // namespace dg
