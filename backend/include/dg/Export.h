#pragma once

#include "dg/HostTensor.h"
#include "dg/Image.h"
#include "dg/SampleRequest.h"

#include <map>

#include <string>
#include <vector>

namespace dg {

// What a grid export shows, recorded next to the settings.
struct ExportView
{
    std::string mode = "x_t"; // x_t | denoised | correction | difference
    int branch = 0;
    int step = 0;
    int steps = 0;
    double sigma = 0.0;
    float divergingScale = 0.0f; // > 0: heatmap (correction, difference)
    std::string shown;           // how the values are shown when it is not plain ("x_t / sqrt(1 + sigma^2)")
};

// Every export writes the PNG atomically with tEXt metadata — dg.settings (toJson of the request), dg.command (the
// dg sample command), dg.view / dg.cell.R.C (JSON per cell for sheets) — and a JSON sidecar beside it (sidecarPath)
// holding the same. Images [N, C, H, W] become tiles; 2-D points a scatter plot. Errors name the file.
void exportGrid(const std::string& path, const HostTensor& values, const SampleRequest& request,
                const ExportView& view);
// One panel of a compare export.
struct GridPanel
{
    std::string title;
    HostTensor values;
    float divergingScale = 0.0f; // > 0: heatmap
};
// Panels side by side under their titles (guided | unguided [| difference]); the view (of the first panel) and every
// panel's title and heatmap scale go into the metadata. Each panel's tiles keep exportGrid's layout.
void exportGrid(const std::string& path, const std::vector<GridPanel>& panels, const SampleRequest& request,
                const ExportView& view);
// Rows: the first `samples` samples; columns: the given steps' states labelled with σ, images as x_t / √(1 + σ²)
// (the screen's x_t view, recorded as dg.view).
void exportFilmstrip(const std::string& path, const std::vector<HostTensor>& states, const std::vector<int>& steps,
                     const std::vector<double>& sigmas, int samples, const SampleRequest& request);
// Rows: guidance weights; columns: seeds (the request's first samples); finals[r] holds row r's samples.
void exportSweepSheet(const std::string& path, const std::vector<double>& weights,
                      const std::vector<HostTensor>& finals, const SampleRequest& request);
// A figure drawn elsewhere (the tune plot, metrics/Tuning.cpp) with the request's metadata: its title, extra text
// chunks, and one cell per row (JSON objects, as dg.cell.R.0 and the sidecar's cells); `kind` names it in the sidecar.
void exportFigure(const std::string& path, const RgbImage& image, const SampleRequest& request,
                  const std::string& title, const std::string& kind, const std::map<std::string, std::string>& text,
                  const std::vector<std::string>& rowCellsJson);
std::string sidecarPath(const std::string& pngPath);   // x.png → x.json
std::string csvPathBeside(const std::string& pngPath); // x.png → x.csv

} // namespace dg
