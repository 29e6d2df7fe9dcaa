#pragma once

#include <array>
#include <cstdint>

namespace dg {

// A 5×7 pixel font for figure labels: rows top to bottom, bit 4 is the leftmost column. Lower case maps to upper case;
// characters without a glyph draw as a box.
constexpr int kGlyphWidth = 5;
constexpr int kGlyphHeight = 7;
constexpr int kGlyphAdvance = 6;

std::array<uint8_t, kGlyphHeight> glyphRows(char c);

} // namespace dg
