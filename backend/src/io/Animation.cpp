#include "dg/Animation.h"

#include "AnimationCodecs.h"

#include "dg/Error.h"
#include "dg/Render.h"
#include "dg/Toys.h"
#include "dg/Trajectory.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace dg {
namespace {

constexpr Rgb kInk{20, 20, 24};
constexpr Rgb kPaper{255, 255, 255};
constexpr int kCaptionScale = 3, kTitleScale = 2, kMargin = 12;

std::string lowerExtension(const std::string& path)
{
    const auto dot = path.find_last_of('.');
    const auto slash = path.find_last_of('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return {};
    std::string ext = path.substr(dot + 1);
    for (auto& c : ext)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext;
}

std::string shortNumber(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, v != 0.0 && std::fabs(v) < 0.01 ? "%.4f" : "%.3g", v);
    return buf;
}

// A 2-D panel: the particles over the toy's density at σ, zoomed out to hold them (at least [-1.6, 1.6]²).
RgbImage scatterFrame(const HostTensor& points, double sigma, const std::string& toy)
{
    std::vector<float> extent;
    for (int64_t i = 0; i < points.batch(); ++i) {
        const float* p = points.sample(i);
        extent.push_back(std::max(std::fabs(p[0]), std::fabs(p[1])));
    }
    std::sort(extent.begin(), extent.end());
    ScatterOptions o;
    o.size = 360;
    o.extent = 1.6;
    if (!extent.empty()) o.extent = std::max(1.6, 1.08 * static_cast<double>(extent.back()));
    o.title = "[-" + shortNumber(o.extent) + ", " + shortNumber(o.extent) + "]";
    if (isToy(toy)) {
        o.backgroundRes = 120;
        o.background = toyLogDensityGrid(toy, std::max(sigma, 0.03), o.extent, o.backgroundRes);
    }
    return renderScatter(points, o);
}

RgbImage panelFrame(const AnimationPanel& panel, size_t k, double sigma, const std::string& toy)
{
    const HostTensor& x = panel.frames[k];
    const float diverging = k < panel.divergingScale.size() ? panel.divergingScale[k] : 0.0f;
    RgbImage body = x.isPoints2d() ? scatterFrame(x, sigma, toy)
                                   : renderImageGrid(x, x.isImages() && x.shape[2] <= 32 ? 4 : 2, 0, diverging);
    if (body.width() == 0)
        throw Error("animation: frame " + std::to_string(k) + " of '" + panel.title +
                    "' holds neither images [N, 1|3, H, W] nor 2-D points [N, 2]");
    const int titleH = 7 * kTitleScale + 12;
    RgbImage out(std::max(body.width(), RgbImage::textWidth(panel.title, kTitleScale) + 8), body.height() + titleH,
                 kPaper);
    out.drawText(4, 6, panel.title, kInk, kTitleScale);
    out.paste(body, 0, titleH);
    return out;
}

} // namespace

const char* toString(AnimationView view)
{
    return view == AnimationView::State ? "x_t" : "denoised";
}

AnimationPanel animationPanel(const Trajectory& run, AnimationView view, int samples, const std::string& title)
{
    AnimationPanel panel{title, {}};
    const int steps = run.stepCount();
    if (run.currentStep() < steps)
        throw Error("animation: the run has not finished (" + std::to_string(run.currentStep()) + " of " +
                    std::to_string(steps) + " steps)");
    for (int k = 0; k <= steps; ++k) {
        HostTensor x;
        if (view == AnimationView::Denoised && k < steps) {
            const auto& record = run.records().at(static_cast<size_t>(k));
            if (record->denoised.values.empty())
                throw Error("animation: the run did not record its denoised predictions (setRecordStates)");
            x = record->denoised;
        } else {
            x = run.state(k);
        }
        panel.frames.push_back(x.slice(0, std::min<int64_t>(samples, x.batch())));
    }
    return panel;
}

std::string animationCaption(int step, int steps, double sigma, double weight)
{
    return "step " + std::to_string(step) + "/" + std::to_string(steps) + "   σ = " + shortNumber(sigma) +
           "   w = " + shortNumber(weight);
}

std::vector<RgbImage> composeAnimation(const std::vector<AnimationPanel>& panels,
                                       const std::vector<std::string>& captions, const std::vector<double>& sigmas,
                                       const std::string& toy, const CancelToken* cancel)
{
    if (panels.empty()) throw Error("animation: no panels");
    const size_t count = captions.size();
    for (const auto& p : panels)
        if (p.frames.size() != count)
            throw Error("animation: a panel has " + std::to_string(p.frames.size()) + " frames for " +
                        std::to_string(count) + " captions");
    if (sigmas.size() != count)
        throw Error("animation: " + std::to_string(sigmas.size()) + " sigmas for " + std::to_string(count) + " frames");
    std::vector<RgbImage> frames;
    const int captionH = 7 * kCaptionScale + 2 * kMargin;
    for (size_t k = 0; k < count; ++k) {
        if (cancel) cancel->throwIfCancelled();
        std::vector<RgbImage> row;
        for (const auto& p : panels)
            row.push_back(panelFrame(p, k, sigmas[k], toy));
        const RgbImage body = joinHorizontally(row, kMargin);
        int width = std::max(body.width(), RgbImage::textWidth(captions[k], kCaptionScale) + 2 * kMargin);
        RgbImage frame(width, captionH + body.height(), kPaper);
        frame.drawText(kMargin, kMargin, captions[k], kInk, kCaptionScale);
        frame.paste(body, (width - body.width()) / 2, captionH);
        frames.push_back(std::move(frame));
    }
    // Every frame the size of the largest (captions differ in length): centred on white.
    int w = 0, h = 0;
    for (const auto& f : frames)
        w = std::max(w, f.width()), h = std::max(h, f.height());
    for (auto& f : frames)
        if (f.width() != w || f.height() != h) {
            RgbImage padded(w, h, kPaper);
            padded.paste(f, 0, 0);
            f = std::move(padded);
        }
    return frames;
}

void checkAnimationPath(const std::string& path, const std::string& flag)
{
    const std::string ext = lowerExtension(path);
    if (ext != "gif" && ext != "mp4")
        throw Error(flag + ": '" + path + "' must end in .gif or .mp4 (the animation's format)");
}

void writeAnimation(const std::string& path, const std::vector<RgbImage>& frames, const AnimationTiming& timing,
                    const std::string& metadata, const std::string& flag, const CancelToken* cancel)
{
    checkAnimationPath(path, flag);
    if (frames.empty()) throw Error(flag + ": no frames to write");
    if (timing.fps < 1 || timing.fps > 60) throw Error("‹fps›: must be 1..60, got " + std::to_string(timing.fps));
    if (!(timing.holdSeconds >= 0.0 && timing.holdSeconds <= 60.0)) throw Error("‹hold›: must be 0..60 seconds");
    for (const auto& f : frames)
        if (f.width() != frames.front().width() || f.height() != frames.front().height())
            throw Error(flag + ": frames differ in size");
    if (lowerExtension(path) == "gif")
        writeGif(path, frames, timing, metadata, cancel);
    else
        writeMp4(path, frames, timing, metadata, cancel);
}

DecodedAnimation readAnimation(const std::string& path)
{
    const std::string ext = lowerExtension(path);
    if (ext == "gif") return readGif(path);
    if (ext == "mp4") return readMp4(path);
    throw Error(path + ": not a .gif or .mp4 file");
}

} // namespace dg
