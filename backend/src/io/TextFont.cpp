#include "io/TextFont.h"

#include "io/BitmapFont.h"

#include <ft2build.h>
#include FT_FREETYPE_H

#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

namespace dg {
namespace {

struct Glyph
{
    int left = 0, top = 0, width = 0, rows = 0, advance = 0;
    std::vector<uint8_t> coverage;
};

// One FreeType face for the process; glyphs cached per (code point, pixel size).
class Font
{
public:
    static Font& instance()
    {
        static Font font;
        return font;
    }
    bool ok() const { return m_face != nullptr; }
    std::mutex mutex;

    const Glyph& glyph(char32_t code, int pixels)
    {
        auto [it, inserted] = m_cache.try_emplace({code, pixels});
        if (!inserted) return it->second;
        Glyph& g = it->second;
        FT_Set_Pixel_Sizes(m_face, 0, static_cast<FT_UInt>(pixels));
        if (FT_Load_Char(m_face, code, FT_LOAD_RENDER) != 0) return g;
        const FT_GlyphSlot s = m_face->glyph;
        g.left = s->bitmap_left;
        g.top = s->bitmap_top;
        g.width = static_cast<int>(s->bitmap.width);
        g.rows = static_cast<int>(s->bitmap.rows);
        g.advance = static_cast<int>(s->advance.x >> 6);
        g.coverage.resize(static_cast<size_t>(g.width) * g.rows);
        for (int r = 0; r < g.rows; ++r)
            for (int c = 0; c < g.width; ++c)
                g.coverage[static_cast<size_t>(r) * g.width + c] = s->bitmap.buffer[r * s->bitmap.pitch + c];
        return g;
    }

private:
    Font()
    {
        const char* env = std::getenv("DG_FONT");
        const std::string path = env && *env ? env : "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
        if (FT_Init_FreeType(&m_library) != 0) return;
        if (FT_New_Face(m_library, path.c_str(), 0, &m_face) != 0) m_face = nullptr;
    }
    ~Font()
    {
        if (m_face) FT_Done_Face(m_face);
        if (m_library) FT_Done_FreeType(m_library);
    }
    FT_Library m_library = nullptr;
    FT_Face m_face = nullptr;
    std::map<std::pair<char32_t, int>, Glyph> m_cache;
};

// UTF-8 → code points; a malformed byte becomes U+FFFD.
std::u32string decode(const std::string& s)
{
    std::u32string out;
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        const int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) {
            out.push_back(0xFFFD);
            ++i;
            continue;
        }
        char32_t code = n == 1 ? c : c & (0x7F >> n);
        for (int k = 1; k < n; ++k)
            code = (code << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        out.push_back(code);
        i += n;
    }
    return out;
}

int pixelsFor(int size)
{
    return std::max(12, static_cast<int>(std::lround(9.6 * size)));
} // cap height ≈ 7 × size

int bitmapText(RgbImage* image, int x, int y, const std::string& text, Rgb c, int scale)
{
    int penX = x;
    for (char ch : text) {
        if (image) {
            const auto rows = glyphRows(ch);
            for (int r = 0; r < kGlyphHeight; ++r)
                for (int col = 0; col < kGlyphWidth; ++col)
                    if (rows[r] & (1u << (4 - col)))
                        image->fillRect(penX + col * scale, y + r * scale, scale, scale, c);
        }
        penX += kGlyphAdvance * scale;
    }
    return text.empty() ? 0 : penX - x - scale;
}

} // namespace

bool realFontAvailable()
{
    return Font::instance().ok();
}

int drawFontText(RgbImage& image, int x, int y, const std::string& text, Rgb color, int size)
{
    Font& font = Font::instance();
    if (!font.ok()) return bitmapText(&image, x, y, text, color, size);
    const int pixels = pixelsFor(size);
    const int baseline = y + static_cast<int>(std::lround(0.73 * pixels)); // DejaVu's cap height is 0.73 em
    std::lock_guard lock(font.mutex);
    int penX = x;
    for (char32_t code : decode(text)) {
        const Glyph& g = font.glyph(code, pixels);
        for (int r = 0; r < g.rows; ++r)
            for (int c = 0; c < g.width; ++c)
                if (const uint8_t a = g.coverage[static_cast<size_t>(r) * g.width + c])
                    image.blendPixel(penX + g.left + c, baseline - g.top + r, color, a / 255.0f);
        penX += g.advance;
    }
    return penX - x;
}

int fontTextWidth(const std::string& text, int size)
{
    Font& font = Font::instance();
    if (!font.ok()) return bitmapText(nullptr, 0, 0, text, {}, size);
    const int pixels = pixelsFor(size);
    std::lock_guard lock(font.mutex);
    int width = 0;
    for (char32_t code : decode(text))
        width += font.glyph(code, pixels).advance;
    return width;
}

} // namespace dg
