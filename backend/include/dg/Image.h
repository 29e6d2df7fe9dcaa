#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dg {

struct Rgb
{
    uint8_t r = 0, g = 0, b = 0;
};

// An 8-bit RGB raster with the few drawing operations figures need (software, no GL).
class RgbImage
{
public:
    RgbImage() = default;
    RgbImage(int width, int height, Rgb fill = {255, 255, 255});

    int width() const { return m_width; }
    int height() const { return m_height; }
    const std::vector<uint8_t>& bytes() const { return m_bytes; }
    Rgb pixel(int x, int y) const;
    void setPixel(int x, int y, Rgb color);
    void blendPixel(int x, int y, Rgb color, float alpha);
    void fillRect(int x, int y, int w, int h, Rgb color);
    void fillDisc(float cx, float cy, float radius, Rgb color, float alpha = 1.0f);
    void drawLine(float x0, float y0, float x1, float y1, Rgb color, float alpha = 1.0f);
    // DejaVu Sans, UTF-8, anti-aliased (io/TextFont.h): cap height ≈ 7 × scale pixels below y; returns the advance.
    int drawText(int x, int y, const std::string& text, Rgb color, int scale = 1);
    static int textWidth(const std::string& text, int scale = 1);
    void paste(const RgbImage& other, int x, int y);

private:
    int m_width = 0;
    int m_height = 0;
    std::vector<uint8_t> m_bytes;
};

using PngText = std::map<std::string, std::string>;

// PNG with tEXt chunks (keys ≤ 79 Latin-1 characters); atomic write. Errors name the file.
void writePng(const std::string& path, const RgbImage& image, const PngText& text = {});
// The tEXt/iTXt chunks of a PNG file.
PngText readPngText(const std::string& path);
// The same from bytes in memory (path only names them in errors): the fuzzed entry points.
PngText decodePngText(const std::vector<unsigned char>& bytes, const std::string& path);
RgbImage decodePng(const std::vector<unsigned char>& bytes, const std::string& path);
RgbImage readPng(const std::string& path); // 8-bit RGB/RGBA, non-interlaced (what writePng produces, and more)

} // namespace dg
