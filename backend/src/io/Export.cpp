#include "dg/Export.h"

#include "dg/Error.h"
#include "dg/Hash.h"
#include "dg/Image.h"
#include "dg/Models.h"
#include "dg/Render.h"
#include "dg/TensorFile.h"
#include "dg/Toys.h"
#include "dg/Version.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

namespace dg {
namespace {

constexpr Rgb kInk{30, 30, 36};

std::string num(double v)
{
    std::ostringstream s;
    s.precision(6);
    s << v;
    return s.str();
}

std::string label(double v)
{
    std::ostringstream s;
    s.precision(3);
    s << v;
    return s.str();
}

using Json = nlohmann::ordered_json;

// JSON has no infinity or NaN: such values travel as strings.
Json jsonValue(double v)
{
    return std::isfinite(v) ? Json(v) : Json(num(v));
}

struct Metadata
{
    PngText text;
    Json cells = Json::array();
    void addCell(int row, int col, Json cell)
    {
        text["dg.cell." + std::to_string(row) + "." + std::to_string(col)] = cell.dump();
        cells.push_back(std::move(cell));
    }
};

// The files behind the request's models, each with its SHA-256, so that a figure names exactly what drew it (a
// built-in toy's exact model has no file).
Json modelFiles(const SampleRequest& request)
{
    Json files = Json::array();
    const std::pair<const std::string*, ModelRole> models[] = {{&request.denoiser, ModelRole::Denoiser},
                                                               {&request.discriminator, ModelRole::Discriminator}};
    for (const auto& [spec, role] : models) {
        if (spec->empty()) continue;
        const std::string file = modelFile(*spec, role);
        Json entry = {{"role", role == ModelRole::Denoiser ? "denoiser" : "discriminator"}, {"spec", *spec}};
        if (!file.empty()) {
            entry["file"] = file;
            entry["sha256"] = sha256File(file);
        }
        files.push_back(entry);
    }
    return files;
}

Metadata baseMetadata(const SampleRequest& request, const std::string& title)
{
    Metadata m;
    m.text["Software"] = std::string("dg-studio ") + codeVersion();
    m.text["Title"] = title;
    m.text["dg.settings"] = toJson(request);
    m.text["dg.command"] = toCommandLine(request);
    m.text["dg.models"] = modelFiles(request).dump();
    return m;
}

void write(const std::string& path, const RgbImage& image, Metadata m, const std::string& kind, const Json& view)
{
    if (image.width() == 0) throw Error("export: '" + path + "': nothing to export");
    if (!view.is_null()) m.text["dg.view"] = view.dump();
    writePng(path, image, m.text);
    Json j;
    j["kind"] = kind;
    j["png"] = path.substr(path.find_last_of('/') + 1);
    j["settings"] = Json::parse(m.text["dg.settings"]);
    if (!view.is_null()) j["view"] = view;
    j["command"] = m.text["dg.command"];
    j["models"] = Json::parse(m.text["dg.models"]);
    j["cells"] = m.cells;
    const std::string json = j.dump() + "\n";
    writeFileAtomically(sidecarPath(path), std::vector<char>(json.begin(), json.end()));
}

std::string toyOf(const SampleRequest& r)
{
    for (const auto& name : toyNames())
        if (r.denoiser.rfind("builtin:" + name, 0) == 0) return name;
    return {};
}

// The half-width a scatter plot needs so that every point stays on it (the default view, widened for e.g. few steps).
double scatterExtent(const HostTensor& points, double extent = ScatterOptions{}.extent)
{
    for (float v : points.values)
        if (std::isfinite(v)) extent = std::max(extent, 1.05 * std::fabs(v));
    return extent;
}

RgbImage cellImage(const HostTensor& one, const SampleRequest& request, int scatterSize, double extent = 0.0)
{
    if (one.isImages()) return renderImageGrid(one, 3, 1);
    ScatterOptions o;
    o.size = scatterSize;
    o.extent = extent > 0.0 ? extent : scatterExtent(one);
    const std::string toy = toyOf(request);
    if (!toy.empty()) {
        o.background = toyLogDensityGrid(toy, 0.03, o.extent, 120);
        o.backgroundRes = 120;
    }
    return renderScatter(one, o);
}

} // namespace

std::string sidecarPath(const std::string& png)
{
    const auto dot = png.find_last_of('.');
    const auto slash = png.find_last_of('/');
    const bool hasExt = dot != std::string::npos && (slash == std::string::npos || dot > slash);
    return (hasExt ? png.substr(0, dot) : png) + ".json";
}

void exportGrid(const std::string& path, const HostTensor& values, const SampleRequest& request, const ExportView& v)
{
    if (values.batch() == 0) throw Error("export: '" + path + "': nothing to export (no samples)");
    Metadata m = baseMetadata(request, "DG Studio grid: " + v.mode + ", step " + std::to_string(v.step) + "/" +
                                           std::to_string(v.steps));
    Json view = {{"mode", v.mode},   {"branch", v.branch},          {"step", v.step},
                 {"steps", v.steps}, {"sigma", jsonValue(v.sigma)}, {"diverging_scale", jsonValue(v.divergingScale)}};
    if (!v.shown.empty()) view["shown"] = v.shown;
    RgbImage image;
    if (values.isImages()) {
        image = renderImageGrid(values, 3, 0, v.divergingScale);
        const int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(values.batch()))));
        for (int i = 0; i < values.batch(); ++i)
            m.addCell(
                i / cols, i % cols,
                {{"sample", i}, {"seed", request.settings.seed}, {"noise_key", request.settings.firstSample + i}});
    } else {
        image = cellImage(values, request, 560);
    }
    write(path, image, m, "grid", view);
}

void exportGrid(const std::string& path, const std::vector<GridPanel>& panels, const SampleRequest& request,
                const ExportView& v)
{
    if (panels.empty()) throw Error("export: '" + path + "': nothing to export (no panels)");
    Metadata m = baseMetadata(request, "DG Studio compare grid: " + std::to_string(panels.size()) + " panels, step " +
                                           std::to_string(v.step) + "/" + std::to_string(v.steps));
    Json list = Json::array();
    std::vector<RgbImage> images;
    double extent = ScatterOptions{}.extent; // 2-D panels share one view, so that positions compare across them
    for (const GridPanel& p : panels)
        extent = scatterExtent(p.values, extent);
    for (const GridPanel& p : panels) {
        if (p.values.batch() == 0) throw Error("export: '" + path + "': nothing to export in panel '" + p.title + "'");
        images.push_back(p.values.isImages() ? renderImageGrid(p.values, 3, 0, p.divergingScale)
                                             : cellImage(p.values, request, 480, extent));
        list.push_back({{"title", p.title}, {"diverging_scale", jsonValue(p.divergingScale)}});
    }
    constexpr int kGap = 16, kTitle = 40, kEdge = 12;
    int width = kEdge, height = 0;
    for (const auto& im : images) {
        width += im.width() + kGap;
        height = std::max(height, im.height());
    }
    RgbImage sheet(width - kGap + kEdge, kTitle + height + kEdge);
    const std::string when =
        "step " + std::to_string(v.step) + "/" + std::to_string(v.steps) + "   σ = " + label(v.sigma);
    sheet.drawText(sheet.width() - kEdge - RgbImage::textWidth(when, 2), 10, when, kInk, 2);
    int x = kEdge;
    for (size_t i = 0; i < images.size(); ++i) {
        sheet.drawText(x, 10, panels[i].title, kInk, 2);
        sheet.paste(images[i], x, kTitle);
        x += images[i].width() + kGap;
    }
    Json view = {{"mode", v.mode},   {"branch", v.branch},          {"step", v.step},
                 {"steps", v.steps}, {"sigma", jsonValue(v.sigma)}, {"panels", list}};
    if (!v.shown.empty()) view["shown"] = v.shown;
    write(path, sheet, m, "compare", view);
}

void exportFilmstrip(const std::string& path, const std::vector<HostTensor>& states, const std::vector<int>& steps,
                     const std::vector<double>& sigmas, int samples, const SampleRequest& request)
{
    if (states.empty() || states.size() != steps.size() || states.size() != sigmas.size())
        throw Error("export: '" + path + "': a filmstrip needs at least one step");
    Metadata m = baseMetadata(request, "DG Studio filmstrip: rows samples, columns steps");
    const bool images = states.front().isImages();
    const int rows = images ? std::max(1, std::min<int>(samples, static_cast<int>(states.front().batch()))) : 1;
    const RgbImage probe = cellImage(images ? states.front().slice(0, 1) : states.front(), request, 220);
    const int cw = probe.width(), ch = probe.height(), gap = 6, left = images ? 64 : 8, top = 40;
    RgbImage sheet(left + static_cast<int>(states.size()) * (cw + gap), top + rows * (ch + gap) + 24);
    sheet.drawText(left, 6, "steps (σ) →", kInk, 2);
    for (size_t c = 0; c < states.size(); ++c) {
        const int x = left + static_cast<int>(c) * (cw + gap);
        sheet.drawText(x, 26, label(sigmas[c]), kInk, 1);
        for (int r = 0; r < rows; ++r) {
            HostTensor cell = images ? states[c].slice(r, 1) : states[c];
            // Images as the screen's x_t view shows them: x_t / √(1 + σ²) (unit variance at every σ), never clipped to
            // black and white at σ = 80; 2-D points at their positions.
            if (images)
                for (float& v : cell.values)
                    v = static_cast<float>(v / std::sqrt(1.0 + sigmas[c] * sigmas[c]));
            sheet.paste(cellImage(cell, request, 220), x, top + r * (ch + gap));
            m.addCell(r, static_cast<int>(c),
                      {{"sample", images ? r : -1},
                       {"step", steps[c]},
                       {"sigma", jsonValue(sigmas[c])},
                       {"seed", request.settings.seed}});
        }
    }
    if (images)
        for (int r = 0; r < rows; ++r)
            sheet.drawText(6, top + r * (ch + gap) + ch / 2 - 4, std::to_string(request.settings.firstSample + r), kInk,
                           2);
    const Json view = {{"mode", "x_t"},
                       {"scale", images ? "x_t / sqrt(1 + sigma^2), as dg-studio's x_t view" : "positions (unscaled)"}};
    write(path, sheet, m, "filmstrip", view);
}

void exportSweepSheet(const std::string& path, const std::vector<double>& weights,
                      const std::vector<HostTensor>& finals, const SampleRequest& request)
{
    if (weights.empty() || weights.size() != finals.size())
        throw Error("export: '" + path + "': a sweep sheet needs one sample set per weight");
    // The sheet's settings are those of what it shows: its cells hold finals.front().batch() samples, not the run's.
    SampleRequest shown = request;
    shown.settings.count = finals.front().batch();
    Metadata m = baseMetadata(shown, "DG Studio sweep sheet: rows guidance weights, columns seeds");
    const bool images = finals.front().isImages();
    const int cols = images ? static_cast<int>(finals.front().batch()) : 1;
    const RgbImage probe = cellImage(images ? finals.front().slice(0, 1) : finals.front(), request, 240);
    const int cw = probe.width(), ch = probe.height(), gap = 6, left = 84, top = 44;
    RgbImage sheet(left + cols * (cw + gap), top + static_cast<int>(weights.size()) * (ch + gap) + 8);
    sheet.drawText(
        left, 6, images ? std::string("seeds →") : std::to_string(shown.settings.count) + " samples per plot", kInk, 2);
    if (images)
        for (int c = 0; c < cols; ++c)
            sheet.drawText(left + c * (cw + gap), 28, std::to_string(request.settings.firstSample + c), kInk, 1);
    for (size_t r = 0; r < weights.size(); ++r) {
        const int y = top + static_cast<int>(r) * (ch + gap);
        sheet.drawText(6, y + ch / 2 - 6, "w = " + label(weights[r]), kInk, 2);
        for (int c = 0; c < cols; ++c) {
            const HostTensor cell = images ? finals[r].slice(c, 1) : finals[r];
            sheet.paste(cellImage(cell, request, 240), left + c * (cw + gap), y);
            SampleRequest cellRequest = shown;
            cellRequest.settings.guidance.enabled = weights[r] != 0.0;
            cellRequest.settings.guidance.weight = weights[r];
            cellRequest.settings.guidance.weight2 = weights[r];
            m.addCell(static_cast<int>(r), c,
                      {{"weight", jsonValue(weights[r])},
                       {"sample", images ? c : -1},
                       {"settings", Json::parse(toJson(cellRequest))}});
        }
    }
    write(path, sheet, m, "sweep", Json());
}

void exportFigure(const std::string& path, const RgbImage& image, const SampleRequest& request,
                  const std::string& title, const std::string& kind, const std::map<std::string, std::string>& text,
                  const std::vector<std::string>& rowCellsJson)
{
    Metadata m = baseMetadata(request, title);
    for (const auto& [key, value] : text)
        m.text[key] = value;
    for (size_t r = 0; r < rowCellsJson.size(); ++r)
        m.addCell(static_cast<int>(r), 0, Json::parse(rowCellsJson[r]));
    write(path, image, m, kind, Json());
}

std::string csvPathBeside(const std::string& png)
{
    const auto dot = png.find_last_of('.');
    const auto slash = png.find_last_of('/');
    return (dot == std::string::npos || (slash != std::string::npos && dot < slash) ? png : png.substr(0, dot)) +
           ".csv";
}

} // namespace dg
