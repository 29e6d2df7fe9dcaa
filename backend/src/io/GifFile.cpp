// Animated GIF (GIF89a) through giflib: a global palette, a looping application extension (NETSCAPE2.0), one graphics
// control block per frame for its delay, the settings as a comment.
#include "AnimationCodecs.h"

#include "dg/Error.h"
#include "dg/SafeFile.h"

#include <gif_lib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

namespace dg {
namespace {

// The palette. Frames whose pixels are all (near-)grey — image grids with grey chrome — get the 256-level grey ramp
// (exact for greyscale samples); others the 256 most frequent colours of a 5-bit-per-channel histogram (each the mean
// of its pixels; Heckbert's popularity algorithm), every pixel mapped to its bin's nearest palette colour.
class Palette
{
public:
    explicit Palette(const std::vector<RgbImage>& frames)
    {
        m_grey = true;
        for (const auto& f : frames) {
            const auto& b = f.bytes();
            for (size_t i = 0; i + 2 < b.size() && m_grey; i += 3)
                m_grey = std::max({b[i], b[i + 1], b[i + 2]}) - std::min({b[i], b[i + 1], b[i + 2]}) <= 8;
            if (!m_grey) break;
        }
        colours.resize(256);
        if (m_grey) {
            for (int i = 0; i < 256; ++i)
                colours[i] = {static_cast<GifByteType>(i), static_cast<GifByteType>(i), static_cast<GifByteType>(i)};
            return;
        }
        std::vector<uint64_t> count(kBins, 0);
        std::vector<std::array<uint64_t, 3>> sum(kBins, {0, 0, 0});
        for (const auto& f : frames) {
            const auto& b = f.bytes();
            for (size_t i = 0; i + 2 < b.size(); i += 3) {
                const int bin = binOf(&b[i]);
                ++count[bin];
                for (int c = 0; c < 3; ++c)
                    sum[bin][c] += b[i + c];
            }
        }
        std::vector<int> order;
        for (int bin = 0; bin < kBins; ++bin)
            if (count[bin] > 0) order.push_back(bin);
        std::sort(order.begin(), order.end(), [&](int a, int b) { return count[a] > count[b]; });
        order.resize(std::min<size_t>(order.size(), 256));
        for (size_t k = 0; k < order.size(); ++k) {
            const int bin = order[k];
            colours[k] = {static_cast<GifByteType>(sum[bin][0] / count[bin]),
                          static_cast<GifByteType>(sum[bin][1] / count[bin]),
                          static_cast<GifByteType>(sum[bin][2] / count[bin])};
        }
        m_used = static_cast<int>(order.size());
        m_map.assign(kBins, -1);
    }

    GifByteType index(const uint8_t* rgb)
    {
        if (m_grey) return static_cast<GifByteType>((rgb[0] * 299 + rgb[1] * 587 + rgb[2] * 114 + 500) / 1000);
        int& slot = m_map[binOf(rgb)];
        if (slot < 0) {
            int best = 0;
            long bestDistance = -1;
            for (int k = 0; k < m_used; ++k) {
                const long dr = rgb[0] - colours[k].Red, dg = rgb[1] - colours[k].Green, db = rgb[2] - colours[k].Blue;
                const long d = dr * dr + dg * dg + db * db;
                if (bestDistance < 0 || d < bestDistance) best = k, bestDistance = d;
            }
            slot = best;
        }
        return static_cast<GifByteType>(slot);
    }

    std::vector<GifColorType> colours;

private:
    static constexpr int kBins = 32 * 32 * 32;
    static int binOf(const uint8_t* rgb) { return (rgb[0] >> 3) << 10 | (rgb[1] >> 3) << 5 | (rgb[2] >> 3); }
    bool m_grey = true;
    int m_used = 0;
    std::vector<int> m_map;
};

int appendBytes(GifFileType* gif, const GifByteType* data, int n)
{
    auto* out = static_cast<std::vector<char>*>(gif->UserData);
    out->insert(out->end(), data, data + n);
    return n;
}

struct Input
{
    const std::vector<char>* bytes;
    size_t at = 0;
};

int readBytes(GifFileType* gif, GifByteType* data, int n)
{
    auto* in = static_cast<Input*>(gif->UserData);
    const size_t take = std::min(static_cast<size_t>(std::max(n, 0)), in->bytes->size() - in->at);
    std::memcpy(data, in->bytes->data() + in->at, take);
    in->at += take;
    return static_cast<int>(take);
}

void check(int status, GifFileType* gif, const std::string& path, const char* what)
{
    if (status == GIF_OK) return;
    const char* reason = GifErrorString(gif ? gif->Error : D_GIF_ERR_NOT_GIF_FILE);
    throw Error(path + ": " + what + " failed (" + (reason ? reason : "giflib error") + ")");
}

} // namespace

void writeGif(const std::string& path, const std::vector<RgbImage>& frames, const AnimationTiming& timing,
              const std::string& metadata, const CancelToken* cancel)
{
    const int w = frames.front().width(), h = frames.front().height();
    if (w > 65535 || h > 65535)
        throw Error(path + ": frames of " + std::to_string(w) + "x" + std::to_string(h) +
                    " pixels are too large for a GIF");
    Palette palette(frames);
    std::vector<char> bytes;
    int err = 0;
    GifFileType* gif = EGifOpen(&bytes, appendBytes, &err);
    if (!gif) throw Error(path + ": cannot start a GIF (" + std::string(GifErrorString(err)) + ")");
    ColorMapObject* map = GifMakeMapObject(256, palette.colours.data());
    try {
        EGifSetGifVersion(gif, true);
        check(EGifPutScreenDesc(gif, w, h, 8, 255, map), gif, path, "the screen descriptor");
        const unsigned char loop[3] = {1, 0, 0}; // repeat forever
        check(EGifPutExtensionLeader(gif, APPLICATION_EXT_FUNC_CODE), gif, path, "the loop extension");
        check(EGifPutExtensionBlock(gif, 11, "NETSCAPE2.0"), gif, path, "the loop extension");
        check(EGifPutExtensionBlock(gif, 3, loop), gif, path, "the loop extension");
        check(EGifPutExtensionTrailer(gif), gif, path, "the loop extension");
        if (!metadata.empty()) check(EGifPutComment(gif, metadata.c_str()), gif, path, "the comment");
        const int frameCs = std::max(2, static_cast<int>(std::lround(100.0 / timing.fps)));
        std::vector<GifByteType> row(static_cast<size_t>(w));
        for (size_t k = 0; k < frames.size(); ++k) {
            if (cancel) cancel->throwIfCancelled(); // Ctrl-C while encoding: nothing is written
            GraphicsControlBlock gcb{};
            gcb.DisposalMode = DISPOSE_DO_NOT;
            gcb.UserInputFlag = false;
            gcb.TransparentColor = NO_TRANSPARENT_COLOR;
            gcb.DelayTime =
                frameCs + (k + 1 == frames.size() ? static_cast<int>(std::lround(timing.holdSeconds * 100)) : 0);
            GifByteType ext[4];
            const size_t len = EGifGCBToExtension(&gcb, ext);
            check(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(len), ext), gif, path,
                  "a frame delay");
            check(EGifPutImageDesc(gif, 0, 0, w, h, false, nullptr), gif, path, "a frame");
            const auto& px = frames[k].bytes();
            for (int y = 0; y < h; ++y) {
                for (int x = 0; x < w; ++x)
                    row[static_cast<size_t>(x)] = palette.index(&px[(static_cast<size_t>(y) * w + x) * 3]);
                check(EGifPutLine(gif, row.data(), w), gif, path, "a frame's pixels");
            }
        }
    } catch (...) {
        EGifCloseFile(gif, &err);
        GifFreeMapObject(map);
        throw;
    }
    const int closed = EGifCloseFile(gif, &err);
    GifFreeMapObject(map);
    if (closed != GIF_OK) throw Error(path + ": finishing the GIF failed (" + std::string(GifErrorString(err)) + ")");
    writeFileAtomically(path, bytes);
}

DecodedAnimation readGif(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    if (!file) throw Error(path + ": cannot be read");
    const std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    Input in{&bytes};
    int err = 0;
    GifFileType* gif = DGifOpen(&in, readBytes, &err);
    if (!gif) throw Error(path + ": not a GIF (" + std::string(GifErrorString(err)) + ")");
    DecodedAnimation out;
    out.codec = "gif";
    try {
        check(DGifSlurp(gif), gif, path, "decoding");
        const int w = gif->SWidth, h = gif->SHeight;
        if (w <= 0 || h <= 0 || static_cast<int64_t>(w) * h > (1 << 26)) throw Error(path + ": unusable GIF size");
        RgbImage canvas(w, h);
        auto collectComments = [&](const ExtensionBlock* blocks, int count) {
            bool inComment = false;
            for (int i = 0; i < count; ++i) {
                const auto& b = blocks[i];
                if (b.Function == COMMENT_EXT_FUNC_CODE)
                    inComment = true;
                else if (b.Function != CONTINUE_EXT_FUNC_CODE)
                    inComment = false;
                if (inComment)
                    out.metadata.append(reinterpret_cast<const char*>(b.Bytes), static_cast<size_t>(b.ByteCount));
            }
        };
        for (int k = 0; k < gif->ImageCount; ++k) {
            const SavedImage& image = gif->SavedImages[k];
            collectComments(image.ExtensionBlocks, image.ExtensionBlockCount);
            const ColorMapObject* map = image.ImageDesc.ColorMap ? image.ImageDesc.ColorMap : gif->SColorMap;
            if (!map) throw Error(path + ": frame " + std::to_string(k) + " has no palette");
            const auto& d = image.ImageDesc;
            for (int y = 0; y < d.Height; ++y)
                for (int x = 0; x < d.Width; ++x) {
                    const int c = image.RasterBits[static_cast<size_t>(y) * d.Width + x];
                    if (c >= map->ColorCount) continue;
                    const auto& rgb = map->Colors[c];
                    canvas.setPixel(d.Left + x, d.Top + y, {rgb.Red, rgb.Green, rgb.Blue});
                }
            GraphicsControlBlock gcb{};
            const bool timed = DGifSavedExtensionToGCB(gif, k, &gcb) == GIF_OK;
            out.frames.push_back(canvas);
            out.seconds.push_back(timed ? gcb.DelayTime / 100.0 : 0.0);
        }
        collectComments(gif->ExtensionBlocks, gif->ExtensionBlockCount);
    } catch (...) {
        DGifCloseFile(gif, &err);
        throw;
    }
    DGifCloseFile(gif, &err);
    return out;
}

} // namespace dg
