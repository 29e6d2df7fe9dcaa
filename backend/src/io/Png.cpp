#include "dg/Error.h"
#include "dg/Image.h"
#include "dg/TensorFile.h"

#include <zlib.h>

#include <array>
#include <cstring>
#include <fstream>
#include <sys/stat.h>
#include <iterator>

namespace dg {
namespace {

// PNG (ISO/IEC 15948): signature, IHDR, tEXt*, IDAT, IEND; each chunk is length, type, data, CRC-32.
constexpr std::array<unsigned char, 8> kSignature{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

void putU32(std::vector<char>& out, uint32_t v)
{
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

uint32_t getU32(const unsigned char* p) { return (uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }

void putChunk(std::vector<char>& out, const char* type, const std::vector<char>& data)
{
    putU32(out, static_cast<uint32_t>(data.size()));
    const size_t typeAt = out.size();
    out.insert(out.end(), type, type + 4);
    out.insert(out.end(), data.begin(), data.end());
    const auto crc = crc32(0, reinterpret_cast<const Bytef*>(out.data() + typeAt), static_cast<uInt>(4 + data.size()));
    putU32(out, static_cast<uint32_t>(crc));
}

std::vector<char> deflateBytes(const std::vector<unsigned char>& raw)
{
    uLongf size = compressBound(static_cast<uLong>(raw.size()));
    std::vector<char> out(size);
    if (compress2(reinterpret_cast<Bytef*>(out.data()), &size, raw.data(), static_cast<uLong>(raw.size()), 6) != Z_OK)
        throw Error("PNG: zlib compression failed");
    out.resize(size);
    return out;
}

std::vector<unsigned char> readAll(const std::string& path)
{
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) throw Error("'" + path + "': no such file");
    if (!S_ISREG(st.st_mode)) throw Error("'" + path + "': not a regular file");
    if (st.st_size > (off_t{256} << 20)) throw Error("'" + path + "': larger than 256 MB; not a DG Studio PNG");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("'" + path + "': cannot be opened for reading");
    return {std::istreambuf_iterator<char>(in), {}};
}

struct Chunk
{
    std::string type;
    const unsigned char* data;
    uint32_t size;
};

std::vector<Chunk> parseChunks(const std::vector<unsigned char>& bytes, const std::string& path)
{
    if (bytes.size() < 8 || std::memcmp(bytes.data(), kSignature.data(), 8) != 0)
        throw Error("'" + path + "': not a PNG file");
    std::vector<Chunk> chunks;
    size_t pos = 8;
    while (pos + 12 <= bytes.size()) {
        const uint32_t len = getU32(&bytes[pos]);
        if (pos + 12 + size_t(len) > bytes.size()) throw Error("'" + path + "': truncated PNG chunk");
        chunks.push_back({std::string(reinterpret_cast<const char*>(&bytes[pos + 4]), 4), &bytes[pos + 8], len});
        pos += 12 + size_t(len);
        if (chunks.back().type == "IEND") return chunks;
    }
    throw Error("'" + path + "': truncated PNG (no IEND chunk)");
}

int paeth(int a, int b, int c)
{
    const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
    return (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
}

} // namespace

void writePng(const std::string& path, const RgbImage& image, const PngText& text)
{
    if (image.width() <= 0 || image.height() <= 0) throw Error("'" + path + "': cannot write an empty image");
    std::vector<char> png(kSignature.begin(), kSignature.end());
    std::vector<char> ihdr;
    putU32(ihdr, static_cast<uint32_t>(image.width()));
    putU32(ihdr, static_cast<uint32_t>(image.height()));
    ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0}); // 8-bit, truecolour, deflate, no filter method, no interlace
    putChunk(png, "IHDR", ihdr);
    for (const auto& [key, value] : text) {
        if (key.empty() || key.size() > 79) throw Error("'" + path + "': PNG text key must be 1-79 characters");
        std::vector<char> data(key.begin(), key.end());
        data.push_back('\0');
        data.insert(data.end(), value.begin(), value.end());
        putChunk(png, "tEXt", data);
    }
    const size_t stride = size_t(image.width()) * 3;
    std::vector<unsigned char> raw;
    raw.reserve((stride + 1) * image.height());
    for (int y = 0; y < image.height(); ++y) {
        raw.push_back(0); // filter type None
        raw.insert(raw.end(), image.bytes().begin() + y * stride, image.bytes().begin() + (y + 1) * stride);
    }
    putChunk(png, "IDAT", deflateBytes(raw));
    putChunk(png, "IEND", {});
    writeFileAtomically(path, png);
}

PngText readPngText(const std::string& path) { return decodePngText(readAll(path), path); }

RgbImage readPng(const std::string& path) { return decodePng(readAll(path), path); }

PngText decodePngText(const std::vector<unsigned char>& bytes, const std::string& path)
{
    PngText text;
    for (const auto& c : parseChunks(bytes, path)) {
        if (c.type != "tEXt" && c.type != "iTXt") continue;
        const std::string data(reinterpret_cast<const char*>(c.data), c.size);
        const auto nul = data.find('\0');
        if (nul == std::string::npos) continue;
        std::string value = data.substr(nul + 1);
        if (c.type == "iTXt") { // compression flag, method, language\0, translated keyword\0, text
            if (value.size() < 2 || value[0] != 0) continue;
            const auto lang = value.find('\0', 2);
            const auto trans = lang == std::string::npos ? lang : value.find('\0', lang + 1);
            if (trans == std::string::npos) continue;
            value = value.substr(trans + 1);
        }
        text[data.substr(0, nul)] = value;
    }
    return text;
}

RgbImage decodePng(const std::vector<unsigned char>& bytes, const std::string& path)
{
    const auto chunks = parseChunks(bytes, path);
    if (chunks.empty() || chunks.front().type != "IHDR" || chunks.front().size != 13)
        throw Error("'" + path + "': PNG without a valid IHDR");
    const auto* h = chunks.front().data;
    const int width = static_cast<int>(getU32(h)), height = static_cast<int>(getU32(h + 4));
    const int depth = h[8], colour = h[9], interlace = h[12];
    if (depth != 8 || (colour != 2 && colour != 6) || interlace != 0)
        throw Error("'" + path + "': only 8-bit RGB/RGBA non-interlaced PNGs are supported");
    if (width <= 0 || height <= 0 || width > 32768 || height > 32768 || int64_t(width) * height > (int64_t{1} << 26))
        throw Error("'" + path + "': bad PNG size " + std::to_string(width) + " x " + std::to_string(height));
    std::vector<unsigned char> compressed;
    for (const auto& c : chunks)
        if (c.type == "IDAT") compressed.insert(compressed.end(), c.data, c.data + c.size);
    const int channels = colour == 6 ? 4 : 3;
    const size_t stride = size_t(width) * channels;
    std::vector<unsigned char> raw((stride + 1) * height);
    uLongf rawSize = static_cast<uLongf>(raw.size());
    if (uncompress(raw.data(), &rawSize, compressed.data(), static_cast<uLong>(compressed.size())) != Z_OK ||
        rawSize != raw.size())
        throw Error("'" + path + "': corrupt PNG image data");
    RgbImage image(width, height);
    std::vector<unsigned char> prev(stride, 0), cur(stride);
    for (int y = 0; y < height; ++y) {
        const unsigned char* line = &raw[y * (stride + 1)];
        const int filter = line[0];
        for (size_t i = 0; i < stride; ++i) {
            const int a = i >= size_t(channels) ? cur[i - channels] : 0, b = prev[i];
            const int c = i >= size_t(channels) ? prev[i - channels] : 0;
            const int pred = filter == 0 ? 0 : filter == 1 ? a : filter == 2 ? b : filter == 3 ? (a + b) / 2 : paeth(a, b, c);
            if (filter > 4) throw Error("'" + path + "': corrupt PNG filter type");
            cur[i] = static_cast<unsigned char>(line[1 + i] + pred);
        }
        for (int x = 0; x < width; ++x)
            image.setPixel(x, y, {cur[x * channels], cur[x * channels + 1], cur[x * channels + 2]});
        std::swap(prev, cur);
    }
    return image;
}

} // namespace dg
