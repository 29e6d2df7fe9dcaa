#pragma once

#include "dg/HostTensor.h"
#include "dg/Image.h"

#include <cmath>
#include <string>
#include <vector>

namespace dg {

// Images [N, C, H, W] in [-1, 1] as a near-square grid of tiles. divergingScale > 0: signed values (the first channel)
// as a blue–white–red heatmap, full colour at ±divergingScale (corrections, differences).
RgbImage renderImageGrid(const HostTensor& images, int scale = 2, int columns = 0, float divergingScale = 0.0f);

struct ScatterOptions
{
    int size = 480;
    double extent = 1.6; // the plot shows [-extent, extent]²
    std::string title;
    std::vector<float> background; // optional density, backgroundRes² values, row 0 at the top (y = +extent)
    int backgroundRes = 0;
    const std::vector<HostTensor>* paths = nullptr; // optional per-step states [N, 2] drawn as faint lines
    Rgb pointColor{200, 40, 40};
};

// 2-D points [N, 2] as a scatter plot.
RgbImage renderScatter(const HostTensor& points, const ScatterOptions& options);

// One curve of a line plot: y against x, optionally with a band [lo, hi] (the same length as x) shaded behind it.
struct PlotSeries
{
    std::string name;
    std::vector<double> x, y, lo, hi;
    Rgb color{200, 40, 40};
};

struct LinePlotOptions
{
    int width = 560, height = 400;
    std::string title, xLabel;
    std::vector<double> referenceY; // horizontal dashed lines (e.g. the unguided value, or zero)
    std::vector<std::string> referenceLabels;
    double markX = std::nan(""); // a vertical marker (e.g. the best weight), labelled markLabel
    std::string markLabel;
    bool logX = false;                                     // x on a log10 axis, ticked at powers of ten (x > 0)
    double shadeLo = std::nan(""), shadeHi = std::nan(""); // an x range shaded behind the curves, labelled shadeLabel
    std::string shadeLabel;
    double yMin = std::nan(""), yMax = std::nan(""); // fixed y range (NaN: fitted)
};

// Curves on shared axes (ranges fitted to every value, band and reference line, with 5 % margins), ticked and
// labelled in the figure font, a legend of the series' names.
// markers: where each point's marker was drawn, per series (for hit-testing a click); may be null.
RgbImage renderLinePlot(const std::vector<PlotSeries>& series, const LinePlotOptions& options,
                        std::vector<std::vector<std::pair<float, float>>>* markers = nullptr);

// Panels side by side with a gap.
RgbImage joinHorizontally(const std::vector<RgbImage>& panels, int gap = 8);
RgbImage joinVertically(const std::vector<RgbImage>& panels, int gap = 8); // top to bottom

} // namespace dg
