// MP4 through FFmpeg's libraries: H.264 (libx264) when this FFmpeg has it, else MPEG-4 Part 2; yuv420p, so any player
// (browsers, presentation software) plays it. The hold on the last frame is the last frame repeated.
#include "AnimationCodecs.h"

#include "dg/Error.h"
#include "dg/SafeFile.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <unistd.h>

namespace dg {
namespace {

std::string avError(int code)
{
    char buf[AV_ERROR_MAX_STRING_SIZE] = {};
    av_strerror(code, buf, sizeof buf);
    return buf;
}

// FFmpeg's own log lines (encoder statistics) would interleave with dg's progress: errors come back as values.
void quietLibraries()
{
    av_log_set_level(AV_LOG_ERROR);
}

void check(int status, const std::string& path, const char* what)
{
    if (status < 0) throw Error(path + ": " + what + " failed (" + avError(status) + ")");
}

struct Closer
{
    void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
    void operator()(AVFrame* f) const { av_frame_free(&f); }
    void operator()(AVPacket* p) const { av_packet_free(&p); }
    void operator()(SwsContext* s) const { sws_freeContext(s); }
};
template <typename T> using Owned = std::unique_ptr<T, Closer>;

struct OutputContext
{
    AVFormatContext* oc = nullptr;
    ~OutputContext()
    {
        if (!oc) return;
        if (oc->pb) avio_closep(&oc->pb);
        avformat_free_context(oc);
    }
};

struct InputContext
{
    AVFormatContext* ic = nullptr;
    ~InputContext() { avformat_close_input(&ic); }
};

// A temporary file beside nothing we own: FFmpeg's MP4 muxer seeks in its output, so it writes here first and the
// finished bytes then go to the destination atomically.
struct TempFile
{
    std::string path;
    TempFile()
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "dg-video-XXXXXX").string();
        const int fd = mkstemp(pattern.data());
        if (fd < 0) throw Error("cannot create a temporary file in " + std::filesystem::temp_directory_path().string());
        ::close(fd);
        path = pattern;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

} // namespace

void writeMp4(const std::string& path, const std::vector<RgbImage>& frames, const AnimationTiming& timing,
              const std::string& metadata, const CancelToken* cancel)
{
    quietLibraries();
    const int srcW = frames.front().width(), srcH = frames.front().height();
    const int w = (srcW + 1) / 2 * 2, h = (srcH + 1) / 2 * 2; // 4:2:0 wants even sizes: pad with white
    TempFile temp;
    OutputContext out;
    check(avformat_alloc_output_context2(&out.oc, nullptr, "mp4", temp.path.c_str()), path, "starting the MP4");
    const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
    if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
    if (!codec) throw Error(path + ": this FFmpeg has neither an H.264 nor an MPEG-4 encoder");
    AVStream* stream = avformat_new_stream(out.oc, nullptr);
    if (!stream) throw Error(path + ": cannot add a video stream");
    Owned<AVCodecContext> c(avcodec_alloc_context3(codec));
    c->width = w;
    c->height = h;
    c->time_base = AVRational{1, timing.fps};
    c->framerate = AVRational{timing.fps, 1};
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->gop_size = 2 * timing.fps;
    // No B-frames: with reordering, FFmpeg's MP4 edit list ends one frame early and players drop the last frame.
    c->max_b_frames = 0;
    if (out.oc->oformat->flags & AVFMT_GLOBALHEADER) c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (codec->id == AV_CODEC_ID_H264) {
        av_opt_set(c->priv_data, "preset", "medium", 0);
        av_opt_set(c->priv_data, "crf", "16", 0); // near-transparent for figures
    } else {
        c->flags |= AV_CODEC_FLAG_QSCALE;
        c->global_quality = FF_QP2LAMBDA * 2;
    }
    check(avcodec_open2(c.get(), codec, nullptr), path, "opening the encoder");
    check(avcodec_parameters_from_context(stream->codecpar, c.get()), path, "the stream parameters");
    stream->time_base = c->time_base;
    if (!metadata.empty()) av_dict_set(&out.oc->metadata, "comment", metadata.c_str(), 0);
    check(avio_open(&out.oc->pb, temp.path.c_str(), AVIO_FLAG_WRITE), path, "opening the temporary file");
    AVDictionary* options = nullptr;
    av_dict_set(&options, "movflags", "+faststart", 0); // the index first: plays while it downloads
    const int header = avformat_write_header(out.oc, &options);
    av_dict_free(&options);
    check(header, path, "writing the header");

    Owned<SwsContext> sws(
        sws_getContext(w, h, AV_PIX_FMT_RGB24, w, h, AV_PIX_FMT_YUV420P, SWS_BICUBIC, nullptr, nullptr, nullptr));
    Owned<AVFrame> frame(av_frame_alloc());
    Owned<AVPacket> packet(av_packet_alloc());
    if (!sws || !frame || !packet) throw Error(path + ": out of memory");
    frame->format = c->pix_fmt;
    frame->width = w;
    frame->height = h;
    check(av_frame_get_buffer(frame.get(), 0), path, "allocating a frame");
    auto drain = [&] {
        for (;;) {
            const int r = avcodec_receive_packet(c.get(), packet.get());
            if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
            check(r, path, "encoding");
            packet->duration = 1; // one frame, in the codec's time base
            av_packet_rescale_ts(packet.get(), c->time_base, stream->time_base);
            packet->stream_index = stream->index;
            check(av_interleaved_write_frame(out.oc, packet.get()), path, "writing a frame");
        }
    };
    const int hold = static_cast<int>(std::lround(timing.holdSeconds * timing.fps));
    // swscale's SIMD code reads and writes whole vectors past a row's end: rows padded to 64 bytes, plus a tail.
    const int stride = (w * 3 + 63) / 64 * 64;
    std::vector<uint8_t> rgb(static_cast<size_t>(stride) * h + 64, 255);
    int64_t pts = 0;
    for (size_t k = 0; k < frames.size(); ++k) {
        if (cancel) cancel->throwIfCancelled(); // Ctrl-C while encoding: nothing is written
        const auto& src = frames[k].bytes();
        for (int y = 0; y < srcH; ++y)
            std::copy_n(src.begin() + static_cast<std::ptrdiff_t>(y) * srcW * 3, srcW * 3,
                        rgb.begin() + static_cast<std::ptrdiff_t>(y) * stride);
        const int repeats = k + 1 == frames.size() ? 1 + hold : 1;
        for (int r = 0; r < repeats; ++r) {
            check(av_frame_make_writable(frame.get()), path, "a frame buffer");
            const uint8_t* planes[1] = {rgb.data()};
            const int strides[1] = {stride};
            sws_scale(sws.get(), planes, strides, 0, h, frame->data, frame->linesize);
            frame->pts = pts++;
            check(avcodec_send_frame(c.get(), frame.get()), path, "encoding");
            drain();
        }
    }
    check(avcodec_send_frame(c.get(), nullptr), path, "finishing the encoding");
    drain();
    check(av_write_trailer(out.oc), path, "writing the index");
    check(avio_closep(&out.oc->pb), path, "closing the temporary file");

    std::ifstream file(temp.path, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (bytes.empty()) throw Error(path + ": the encoder wrote nothing");
    writeFileAtomically(path, bytes);
}

DecodedAnimation readMp4(const std::string& path)
{
    quietLibraries();
    InputContext in;
    check(avformat_open_input(&in.ic, path.c_str(), nullptr, nullptr), path, "opening");
    check(avformat_find_stream_info(in.ic, nullptr), path, "reading the stream information");
    const AVCodec* codec = nullptr;
    const int index = av_find_best_stream(in.ic, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    check(index, path, "finding the video stream");
    AVStream* stream = in.ic->streams[index];
    Owned<AVCodecContext> c(avcodec_alloc_context3(codec));
    check(avcodec_parameters_to_context(c.get(), stream->codecpar), path, "the stream parameters");
    check(avcodec_open2(c.get(), codec, nullptr), path, "opening the decoder");
    DecodedAnimation out;
    out.codec = codec->name;
    if (const auto* e = av_dict_get(in.ic->metadata, "comment", nullptr, 0)) out.metadata = e->value;
    const double rate = av_q2d(stream->avg_frame_rate);
    Owned<AVFrame> frame(av_frame_alloc());
    Owned<AVPacket> packet(av_packet_alloc());
    Owned<SwsContext> sws;
    auto receive = [&] {
        for (;;) {
            const int r = avcodec_receive_frame(c.get(), frame.get());
            if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return;
            check(r, path, "decoding");
            const int w = frame->width, h = frame->height;
            if (!sws)
                sws.reset(sws_getContext(w, h, static_cast<AVPixelFormat>(frame->format), w, h, AV_PIX_FMT_RGB24,
                                         SWS_BICUBIC, nullptr, nullptr, nullptr));
            if (!sws) throw Error(path + ": cannot convert its frames to RGB");
            RgbImage image(w, h);
            const int stride = (w * 3 + 63) / 64 * 64; // padded rows, as swscale's SIMD code writes past a row's end
            std::vector<uint8_t> rgb(static_cast<size_t>(stride) * h + 64);
            uint8_t* planes[1] = {rgb.data()};
            const int strides[1] = {stride};
            sws_scale(sws.get(), frame->data, frame->linesize, 0, h, planes, strides);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    const uint8_t* p = &rgb[static_cast<size_t>(y) * stride + static_cast<size_t>(x) * 3];
                    image.setPixel(x, y, {p[0], p[1], p[2]});
                }
            out.frames.push_back(std::move(image));
            out.seconds.push_back(rate > 0 ? 1.0 / rate : 0.0);
        }
    };
    while (av_read_frame(in.ic, packet.get()) >= 0) {
        if (packet->stream_index == index) {
            check(avcodec_send_packet(c.get(), packet.get()), path, "decoding");
            receive();
        }
        av_packet_unref(packet.get());
    }
    check(avcodec_send_packet(c.get(), nullptr), path, "finishing the decoding");
    receive();
    return out;
}

} // namespace dg
