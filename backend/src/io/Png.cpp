#include "dg/Error.h"
#include "dg/Image.h"
#include "dg/TensorFile.h"

#include <png.h>

#include <csetjmp>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sys/stat.h>

namespace dg {
namespace {

// PNG (ISO/IEC 15948) through libpng. Every libpng call sits in a function whose own locals are plain data: a libpng
// error longjmps back to its setjmp, which must not skip a destructor. The message lands in the caller's buffer.
constexpr size_t kMessage = 200;

void onError(png_structp png, png_const_charp message)
{
    if (auto* out = static_cast<char*>(png_get_error_ptr(png))) std::snprintf(out, kMessage, "%s", message);
    png_longjmp(png, 1);
}

void onWarning(png_structp, png_const_charp) {}

void appendBytes(png_structp png, png_bytep data, png_size_t n)
{
    auto* out = static_cast<std::vector<char>*>(png_get_io_ptr(png));
    out->insert(out->end(), reinterpret_cast<const char*>(data), reinterpret_cast<const char*>(data) + n);
}

void noFlush(png_structp) {}

struct Cursor
{
    const unsigned char* data;
    size_t size, pos;
};

void readBytes(png_structp png, png_bytep out, png_size_t n)
{
    auto* c = static_cast<Cursor*>(png_get_io_ptr(png));
    if (n > c->size - c->pos) png_error(png, "truncated");
    std::memcpy(out, c->data + c->pos, n);
    c->pos += n;
}

// 8-bit RGB rows, the text entries before them, into `out` (a libpng-owned text array is copied out by the caller).
bool encode(std::vector<char>* out, const unsigned char* rgb, int width, int height, png_text* text, int texts,
            char* error)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, error, onError, onWarning);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    if (!info) {
        png_destroy_write_struct(&png, nullptr);
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_set_write_fn(png, out, appendBytes, noFlush);
    png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (texts > 0) png_set_text(png, info, text, texts); // tEXt, before the image data
    png_set_compression_level(png, 6);
    png_write_info(png, info);
    for (int y = 0; y < height; ++y)
        png_write_row(png, rgb + static_cast<size_t>(y) * width * 3);
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return true;
}

// Any PNG libpng reads (palette, grey, 16 bit, alpha, interlaced) as 8-bit RGB; then its text chunks (tEXt, zTXt,
// iTXt, before and after the image data). withImage false still decodes the image (text may follow it) but keeps no
// pixels.
bool decode(const unsigned char* data, size_t size, std::vector<unsigned char>* rgb, int* width, int* height,
            PngText* text, char* error)
{
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, error, onError, onWarning);
    png_infop info = png ? png_create_info_struct(png) : nullptr;
    png_infop end = info ? png_create_info_struct(png) : nullptr;
    if (!end) {
        png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
        return false;
    }
    Cursor cursor{data, size, 0};
    png_bytep row = nullptr;
    if (setjmp(png_jmpbuf(png))) {
        png_free(png, row);
        png_destroy_read_struct(&png, &info, &end);
        return false;
    }
    png_set_read_fn(png, &cursor, readBytes);
    png_set_user_limits(png, 32768, 32768);
    png_read_info(png, info);
    const png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (static_cast<uint64_t>(w) * h > (uint64_t{1} << 26)) png_error(png, "image too large");
    png_set_expand(png);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_gray_to_rgb(png);
    const int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != static_cast<size_t>(w) * 3) png_error(png, "unexpected row size");
    if (rgb)
        rgb->assign(static_cast<size_t>(w) * h * 3, 0);
    else
        row = static_cast<png_bytep>(png_malloc(png, static_cast<size_t>(w) * 3));
    for (int pass = 0; pass < passes; ++pass)
        for (png_uint_32 y = 0; y < h; ++y)
            png_read_row(png, rgb ? rgb->data() + static_cast<size_t>(y) * w * 3 : row, nullptr);
    png_read_end(png, end);
    *width = static_cast<int>(w);
    *height = static_cast<int>(h);
    if (text)
        for (png_infop i : {info, end}) {
            png_textp entries = nullptr;
            const int n = png_get_text(png, i, &entries, nullptr);
            for (int k = 0; k < n; ++k)
                (*text)[entries[k].key] = std::string(
                    entries[k].text, entries[k].itxt_length > 0 ? entries[k].itxt_length : entries[k].text_length);
        }
    png_free(png, row);
    png_destroy_read_struct(&png, &info, &end);
    return true;
}

std::vector<unsigned char> readAll(const std::string& path)
{
    struct stat st
    {
    };
    if (::stat(path.c_str(), &st) != 0) throw Error("'" + path + "': no such file");
    if (!S_ISREG(st.st_mode)) throw Error("'" + path + "': not a regular file");
    if (st.st_size > (off_t{256} << 20)) throw Error("'" + path + "': larger than 256 MB; not a DG Studio PNG");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("'" + path + "': cannot be opened for reading");
    return {std::istreambuf_iterator<char>(in), {}};
}

void checkSignature(const std::vector<unsigned char>& bytes, const std::string& path)
{
    if (bytes.size() < 8 || png_sig_cmp(bytes.data(), 0, 8) != 0) throw Error("'" + path + "': not a PNG file");
}

} // namespace

void writePng(const std::string& path, const RgbImage& image, const PngText& text)
{
    if (image.width() <= 0 || image.height() <= 0) throw Error("'" + path + "': cannot write an empty image");
    std::vector<png_text> entries;
    for (const auto& [key, value] : text) {
        if (key.empty() || key.size() > 79) throw Error("'" + path + "': PNG text key must be 1-79 characters");
        png_text t{};
        t.compression = PNG_TEXT_COMPRESSION_NONE;
        t.key = const_cast<char*>(key.c_str());
        t.text = const_cast<char*>(value.c_str());
        t.text_length = value.size();
        entries.push_back(t);
    }
    std::vector<char> png;
    char error[kMessage] = "";
    if (!encode(&png, image.bytes().data(), image.width(), image.height(), entries.data(),
                static_cast<int>(entries.size()), error))
        throw Error("'" + path + "': cannot encode the PNG (" + error + ")");
    writeFileAtomically(path, png);
}

PngText readPngText(const std::string& path)
{
    return decodePngText(readAll(path), path);
}

RgbImage readPng(const std::string& path)
{
    return decodePng(readAll(path), path);
}

PngText decodePngText(const std::vector<unsigned char>& bytes, const std::string& path)
{
    checkSignature(bytes, path);
    PngText text;
    int width = 0, height = 0;
    char error[kMessage] = "";
    if (!decode(bytes.data(), bytes.size(), nullptr, &width, &height, &text, error))
        throw Error("'" + path + "': corrupt PNG (" + error + ")");
    return text;
}

RgbImage decodePng(const std::vector<unsigned char>& bytes, const std::string& path)
{
    checkSignature(bytes, path);
    std::vector<unsigned char> rgb;
    int width = 0, height = 0;
    char error[kMessage] = "";
    if (!decode(bytes.data(), bytes.size(), &rgb, &width, &height, nullptr, error))
        throw Error("'" + path + "': corrupt PNG (" + error + ")");
    RgbImage image(width, height);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const unsigned char* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
            image.setPixel(x, y, {p[0], p[1], p[2]});
        }
    return image;
}

} // namespace dg
