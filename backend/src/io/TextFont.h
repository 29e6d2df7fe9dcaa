#pragma once

#include "dg/Image.h"

#include <string>

namespace dg {

// Figure text in a real typeface: DejaVu Sans (Debian's fonts-dejavu-core) rasterised with FreeType, anti-aliased,
// UTF-8 (σ, w², →). `size` is the bitmap font's scale: cap height ≈ 7 × size pixels, the text's top at y. Without
// the font file (DG_FONT overrides the path) the 5×7 bitmap font draws instead. Thread-safe.
int drawFontText(RgbImage& image, int x, int y, const std::string& text, Rgb color, int size); // returns the advance
int fontTextWidth(const std::string& text, int size);
bool realFontAvailable();

} // namespace dg
