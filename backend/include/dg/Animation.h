#pragma once

#include "dg/CancelToken.h"
#include "dg/HostTensor.h"
#include "dg/Image.h"

#include <string>
#include <vector>

namespace dg {

class Trajectory;

// Animated exports of a trajectory: GIF (giflib) and MP4 (FFmpeg's libavformat/libavcodec; H.264 when Debian's
// FFmpeg has an H.264 encoder, else MPEG-4 Part 2). Frame k shows the run after k steps (k = 0: the starting noise,
// k = steps: the final samples), captioned with step, σ and w.

enum class AnimationView
{
    State,    // x_t: the sample as it is at σ_k
    Denoised, // D_DG(x; σ_k): what the guided denoiser predicts there (the final sample on the last frame)
};
const char* toString(AnimationView view);

// One panel's images: frames[k] holds the samples [N, ...] of frame k (images or 2-D points).
struct AnimationPanel
{
    std::string title; // e.g. "guided, w = 2", "unguided"
    std::vector<HostTensor> frames;
    // Per frame, for signed views (correction, difference): the blue–white–red heatmap's full-colour value; empty or
    // 0: plain images.
    std::vector<float> divergingScale = {};
};

// The first `samples` samples of a run as one panel per frame (frame count = steps + 1).
AnimationPanel animationPanel(const Trajectory& run, AnimationView view, int samples, const std::string& title);
// "STEP 3/18   SIGMA 12.46   W 2" (the figure font has no Greek letters).
std::string animationCaption(int step, int steps, double sigma, double weight);

// Frame k: a caption bar (captions[k], black on white, font scale 3) over the panels' frame k side by side, each under
// its title. Images are drawn as a near-square grid; 2-D points as a scatter over the toy's data density diffused to
// sigmas[k] (toy empty: no background), zoomed out with the particles so none is drawn outside the plot.
// cancel: checked per frame (Cancelled).
std::vector<RgbImage> composeAnimation(const std::vector<AnimationPanel>& panels,
                                       const std::vector<std::string>& captions, const std::vector<double>& sigmas,
                                       const std::string& toy = {}, const CancelToken* cancel = nullptr);

struct AnimationTiming
{
    int fps = 4;              // frames per second (1..60)
    double holdSeconds = 2.0; // the last frame stays on screen this long (0..60)
};

// Writes the frames as FILE.gif or FILE.mp4 (by extension; anything else is an Error naming the flag), atomically.
// metadata (the settings JSON) goes into a GIF comment or the MP4's "comment" tag. A GIF loops forever; grey frames
// keep all 256 grey levels, colour frames use a 6×7×6 colour cube.
void writeAnimation(const std::string& path, const std::vector<RgbImage>& frames, const AnimationTiming& timing,
                    const std::string& metadata, const std::string& flag = "‹animation›",
                    const CancelToken* cancel = nullptr); // checked per encoded frame: Cancelled, nothing written
// Whether the path names a format writeAnimation knows (.gif or .mp4, any case); an Error naming flag otherwise.
void checkAnimationPath(const std::string& path, const std::string& flag);

// Reading one back (tests, and anyone checking a file): every frame as RGB, each frame's display time, the metadata.
struct DecodedAnimation
{
    std::vector<RgbImage> frames;
    std::vector<double> seconds; // display time of each frame (GIF: its delay; MP4: 1/fps, the hold as repeats)
    std::string metadata;
    std::string codec; // "gif", "h264", "mpeg4"
};
DecodedAnimation readAnimation(const std::string& path);

} // namespace dg
