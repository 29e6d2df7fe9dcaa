#include "LabUi.h"

#include "dg/SamplerRegistry.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

namespace dg::lab {
namespace {

std::string num(double v, int precision = 3)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    return buf;
}

ImU32 toImColor(const gl::Color& c)
{
    return IM_COL32(static_cast<int>(c.r * 255), static_cast<int>(c.g * 255), static_cast<int>(c.b * 255),
                    static_cast<int>(c.a * 255));
}

void copy(char* dst, size_t size, const std::string& src)
{
    std::snprintf(dst, size, "%s", src.c_str());
}

// An error in red, wrapped at the panel's edge (a long model error would otherwise run off it).
void errorText(const std::string& text)
{
    ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1, 0.4f, 0.4f, 1));
    ImGui::TextWrapped("%s", text.c_str());
    ImGui::PopStyleColor();
}

} // namespace

LabUi::LabUi(LabController& controller) : m_c(controller)
{
    copy(m_denoiser, sizeof m_denoiser, m_c.request.denoiser);
    copy(m_discriminator, sizeof m_discriminator, m_c.request.discriminator);
}

std::string LabUi::narration() const
{
    const FramePtr f = m_c.shownFrame();
    if (!f) return "Press Sample (or Space) to start a run.";
    std::string text;
    if (f->step >= f->steps) {
        text = "Final sample (step " + std::to_string(f->steps) + " of " + std::to_string(f->steps) +
               "): sigma = 0, the last step landed on the data manifold.";
    } else {
        text = "Step " + std::to_string(f->step) + " of " + std::to_string(f->steps) +
               ": noise level sigma = " + num(f->sigma) + ".\n";
        text +=
            "Correction: D_DG(x; sigma) = D(x; sigma) + w * sigma^2 * grad_x log(d / (1 - d)),  w = " + num(f->weight) +
            (f->weight2 != f->weight ? " (corrector w2 = " + num(f->weight2) + ")" : "") + ".\n";
        text += f->weight == 0 ? "Guidance is off at this step: the model's own denoiser moves the samples.\n"
                               : "The discriminator's gradient pushes each sample toward what it finds 'real'.\n";
        if (f->x.isPoints2d()) // a 2-D toy: particles and modes, not shapes
            text += f->sigma > 5     ? "The particles are still one broad cloud: no mode is chosen yet."
                    : f->sigma > 0.5 ? "Each particle is choosing which mode of the data it will end in."
                                     : "The modes are chosen; particles only settle within them now.";
        else
            text += f->sigma > 5     ? "At this noise level only coarse layout is decided."
                    : f->sigma > 0.5 ? "Shapes and classes are being settled now."
                                     : "Only fine detail changes from here on.";
    }
    const double d = m_c.meanD();
    if (!std::isnan(d))
        text += "\nMean d(x_t) over the batch = " + num(d) + "  (0.5: cannot tell real from generated).";
    return text;
}

void LabUi::handleKeys()
{
    // ImGui 1.86 with the GLFW backend: io.KeysDown is indexed by GLFW key codes (letters and digits are their ASCII
    // upper-case codes; F11 is GLFW_KEY_F11 = 300).
    constexpr int kF11 = 300;
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput) return;
    auto pressed = [](int key, bool repeat = false) { return ImGui::IsKeyPressed(key, repeat); };
    if (pressed(ImGui::GetKeyIndex(ImGuiKey_Space))) m_c.togglePlay();
    if (pressed(ImGui::GetKeyIndex(ImGuiKey_RightArrow), true)) m_c.playback().stepForward();
    if (pressed(ImGui::GetKeyIndex(ImGuiKey_LeftArrow), true)) m_c.playback().stepBack();
    if (pressed(ImGui::GetKeyIndex(ImGuiKey_Home))) m_c.playback().first();
    if (pressed(ImGui::GetKeyIndex(ImGuiKey_End))) m_c.playback().last();
    if (pressed('G')) m_c.toggleGuidance();
    if (pressed('C') && !io.KeyCtrl) m_c.compareView = !m_c.compareView;
    if (pressed('N')) narrate = !narrate;
    if (pressed('D')) toggleDiagnosis();
    if (pressed('H')) panelHidden = !panelHidden;
    if (pressed(kF11)) fullscreenRequest = true;
    for (size_t i = 0; i < gl::viewModes().size(); ++i)
        if (pressed('1' + static_cast<int>(i))) m_c.mode = gl::viewModes()[i].mode;
    if (io.KeyCtrl && pressed('E')) exportGrid();
}

void LabUi::exportGrid()
{
    std::string error;
    m_exportStatus = m_c.exportGrid(m_exportPath, &error) ? std::string("wrote ") + m_exportPath : error;
    notify(m_exportStatus, ImGui::GetTime());
}

void LabUi::notify(const std::string& text, double now)
{
    m_notice = text;
    m_noticeUntil = now + 4.0;
}

const std::string& LabUi::notice(double now) const
{
    static const std::string none;
    return now < m_noticeUntil ? m_notice : none;
}

void LabUi::draw(float width, float height, gl::FrameView& view, const std::vector<gl::Label>& labels)
{
    ImGui::GetIO().FontGlobalScale = fontScale;
    // Labels of the shared view (titles, captions, badge values) over the GL picture.
    ImDrawList* bg = ImGui::GetBackgroundDrawList();
    ImFont* font = ImGui::GetFont();
    for (const auto& l : labels) {
        const float size = (l.small ? std::max(8.0f, l.h - 2) : 13.0f * fontScale);
        bg->AddText(font, size, ImVec2(l.x, l.y + (l.h - size) / 2), toImColor(l.color), l.text.c_str());
    }
    const gl::RectF area = viewArea(width, height);
    const ImVec2 mouse = ImGui::GetIO().MousePos;
    if (!ImGui::GetIO().WantCaptureMouse && area.contains(mouse.x, mouse.y)) {
        if (ImGui::GetIO().MouseWheel != 0)
            view.zoomAt(std::pow(1.15f, ImGui::GetIO().MouseWheel), mouse.x, mouse.y, area.w, area.h);
        if (ImGui::IsMouseDragging(ImGuiMouseButton_Left))
            view.pan(ImGui::GetIO().MouseDelta.x, ImGui::GetIO().MouseDelta.y);
        if (ImGui::IsMouseDoubleClicked(ImGuiMouseButton_Left)) view.resetView();
        const std::string hover = view.describeAt(mouse.x, mouse.y, area.w, area.h);
        if (!hover.empty()) ImGui::SetTooltip("%s", hover.c_str());
    }

    if (panelHidden) {
        ImGui::SetNextWindowPos(ImVec2(width - 8, 8), ImGuiCond_Always, ImVec2(1, 0));
        ImGui::Begin("##showpanel", nullptr,
                     ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoMove |
                         ImGuiWindowFlags_NoSavedSettings);
        if (ImGui::Button("Panel (H)")) panelHidden = false;
        ImGui::End();
    } else {
        ImGui::SetNextWindowPos(ImVec2(width - panelWidth(), 0));
        ImGui::SetNextWindowSize(ImVec2(panelWidth(), height));
        ImGui::Begin("dg-lab", nullptr,
                     ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse);
        drawControls();
        ImGui::End();
    }

    if (showDiagnosis) drawDiagnosis(area);
    if (const std::string& text = notice(ImGui::GetTime()); !text.empty()) { // bottom left of the view, over it
        ImGui::SetNextWindowPos(ImVec2(area.x + 12, area.y + area.h - 12), ImGuiCond_Always, ImVec2(0, 1));
        ImGui::SetNextWindowBgAlpha(0.9f);
        ImGui::Begin("##notice", nullptr,
                     ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoMove |
                         ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing |
                         ImGuiWindowFlags_NoInputs);
        ImGui::TextUnformatted(text.c_str());
        ImGui::End();
    }
    if (narrate) { // in its own band under the plots (viewArea ends above it)
        const float w = std::min(area.w - 40, 1100.0f * fontScale);
        ImGui::SetNextWindowPos(ImVec2(area.x + (area.w - w) / 2, height - narrationHeight() + 6), ImGuiCond_Always);
        ImGui::SetNextWindowSize(ImVec2(w, narrationHeight() - 12));
        ImGui::SetNextWindowBgAlpha(0.85f);
        ImGui::Begin("Narration (N)", &narrate, ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize);
        ImGui::TextWrapped("%s", narration().c_str());
        ImGui::End();
    }
}

void LabUi::drawControls()
{
    auto& r = m_c.request;
    auto& s = r.settings;
    ImGui::TextWrapped("Discriminator Guidance: D_DG = D + w sigma^2 grad log d/(1-d)");
    ImGui::Separator();
    if (ImGui::CollapsingHeader("Model", ImGuiTreeNodeFlags_DefaultOpen)) {
        ImGui::InputText("denoiser", m_denoiser, sizeof m_denoiser);
        ImGui::InputText("discriminator", m_discriminator, sizeof m_discriminator);
        const std::pair<const char*, const char*> pairs[] = {{"builtin:ring8-model", "builtin:ring8-disc"},
                                                             {"builtin:moons-model", "builtin:moons-disc"},
                                                             {"builtin:fmnist", "builtin:fmnist-disc"}};
        const char* names[] = {"ring8", "moons", "fmnist"};
        for (int i = 0; i < 3; ++i) {
            if (i > 0) ImGui::SameLine();
            if (ImGui::Button(names[i])) { // load and sample at once
                m_c.pickPair(pairs[i].first, pairs[i].second);
                copy(m_denoiser, sizeof m_denoiser, pairs[i].first);
                copy(m_discriminator, sizeof m_discriminator, pairs[i].second);
            }
        }
        if (m_c.models() && m_c.models()->denoiser.spec == m_denoiser)
            ImGui::TextWrapped("%s (%s)", m_c.models()->denoiser.description.c_str(), m_c.models()->device.c_str());
        else if (m_c.loading())
            ImGui::TextWrapped("loading %s ...", m_denoiser);
        else
            ImGui::TextWrapped("%s: press Sample to load it", m_denoiser);
    }
    if (ImGui::CollapsingHeader("Sampler", ImGuiTreeNodeFlags_DefaultOpen)) {
        const SamplerInfo* current = findSampler(s.sampler.kind);
        if (ImGui::BeginCombo("sampler", current ? current->label.c_str() : s.sampler.kind.c_str())) {
            for (const auto& info : samplers()) // the sampler registry
                if (ImGui::Selectable(info.label.c_str(), &info == current)) s.sampler.kind = info.key;
            ImGui::EndCombo();
        }
        if (ImGui::IsItemHovered() && current) ImGui::SetTooltip("%s", current->description.c_str());
        ImGui::SliderInt("steps", &s.sampler.schedule.steps, 2, 100);
        int seed = static_cast<int>(s.seed), count = static_cast<int>(s.count);
        ImGui::InputInt("seed", &seed);
        ImGui::SliderInt("batch", &count, 1, 1024);
        s.seed = static_cast<uint64_t>(std::max(0, seed));
        s.count = std::max(1, count);
        ImGui::Checkbox("record unguided companion", &m_c.compare);
        if (ImGui::Button(m_c.loading() ? "Loading..." : "Sample", ImVec2(-1, 0))) {
            r.denoiser = m_denoiser;
            r.discriminator = m_discriminator;
            m_c.sample();
        }
    }
    if (ImGui::CollapsingHeader("Guidance", ImGuiTreeNodeFlags_DefaultOpen)) {
        auto& g = s.guidance;
        bool changed = ImGui::Checkbox("DG on (G)", &g.enabled);
        float w = static_cast<float>(g.weight);
        if (ImGui::SliderFloat("weight w", &w, 0.0f, 5.0f, "%.2f")) {
            g.weight = w;
            changed = true;
        }
        // The same preset choice as dg-studio: the official DG sampler's w2, sigma window and logit clip.
        const char* presets[] = {"custom", "Official DG"};
        int preset = g.preset == GuidancePreset::Official ? 1 : 0;
        if (ImGui::Combo("preset", &preset, presets, 2)) {
            if (preset == 1) {
                g = officialGuidance(g);
            } else {
                const GuidanceSettings defaults;
                g.preset = GuidancePreset::None;
                g.weight2.reset();
                g.sigmaLo = defaults.sigmaLo;
                g.sigmaHi = defaults.sigmaHi;
                g.logitClip = defaults.logitClip;
            }
            changed = true;
        }
        if (g.preset == GuidancePreset::Official)
            ImGui::TextDisabled("w2 0, sigma [%.4f, %.1f], clip %.2f", g.sigmaLo, g.sigmaHi, g.logitClip);
        if (changed) m_c.applyGuidance();
        ImGui::TextDisabled("applies from the next step");
    }
    if (ImGui::CollapsingHeader("Playback", ImGuiTreeNodeFlags_DefaultOpen)) {
        if (ImGui::Button("<")) m_c.playback().stepBack();
        ImGui::SameLine();
        if (ImGui::Button(m_c.playing() ? "Pause" : "Play")) m_c.togglePlay();
        ImGui::SameLine();
        if (ImGui::Button(">")) m_c.playback().stepForward();
        int step = m_c.step(); // the slider spans the whole run; it stops at the last computed step
        if (ImGui::SliderInt("step", &step, 0, std::max(1, m_c.history().steps()))) m_c.playback().scrub(step);
        int speed = m_c.stepIntervalMs;
        if (ImGui::SliderInt("ms / step", &speed, 0, 1000)) m_c.setStepInterval(speed);
        if (ImGui::BeginCombo("view (1-4)", gl::viewModeInfo(m_c.mode).key)) {
            for (const auto& m : gl::viewModes()) {
                if (ImGui::Selectable(m.key, m.mode == m_c.mode)) m_c.mode = m.mode;
                if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", m.legend);
            }
            ImGui::EndCombo();
        }
        if (ImGui::BeginCombo("toy axes", gl::toyAxisInfo(toyAxis).label)) {
            for (const auto& a : gl::toyAxes())
                if (ImGui::Selectable(a.label, a.axis == toyAxis)) toyAxis = a.axis;
            ImGui::EndCombo();
        }
        if (ImGui::IsItemHovered()) ImGui::SetTooltip("2-D toys: the whole run's extent shows the cloud shrinking");
        ImGui::Checkbox("compare guided | unguided (C)", &m_c.compareView);
        if (m_c.lastStepSeconds() > 0) ImGui::Text("last step %.0f ms", m_c.lastStepSeconds() * 1000);
    }
    if (ImGui::CollapsingHeader("Present & export", ImGuiTreeNodeFlags_DefaultOpen)) {
        ImGui::SliderFloat("font scale", &fontScale, 1.0f, 3.0f, "%.1f");
        ImGui::Checkbox("narration (N)", &narrate);
        if (ImGui::Button("Hide this panel (H)")) panelHidden = true;
        if (ImGui::Button(showDiagnosis ? "Hide diagnosis (D)" : "Where can it guide? (D)")) toggleDiagnosis();
        if (ImGui::Button("full screen (F11)")) fullscreenRequest = true;
        ImGui::InputText("PNG", m_exportPath, sizeof m_exportPath);
        if (ImGui::Button("Export grid (Ctrl+E)")) exportGrid();
        ImGui::InputText("GIF / MP4", m_animationPath, sizeof m_animationPath);
        ImGui::SliderInt("frames/s", &m_animationFps, 1, 30);
        if (ImGui::Button("Export animation")) {
            std::string error;
            AnimationTiming timing;
            timing.fps = m_animationFps;
            m_exportStatus =
                m_c.exportAnimation(m_animationPath, timing, &error) ? std::string("wrote ") + m_animationPath : error;
            notify(m_exportStatus, ImGui::GetTime());
        }
        if (!m_exportStatus.empty()) ImGui::TextWrapped("%s", m_exportStatus.c_str());
    }
    ImGui::Separator();
    if (!m_c.error().empty())
        errorText(m_c.error());
    else
        ImGui::TextWrapped("%s", m_c.status().c_str());
}

void LabUi::toggleDiagnosis()
{
    showDiagnosis = !showDiagnosis;
    // A fresh diagnosis for the run shown (the discriminator may have changed since the last one).
    if (showDiagnosis && !m_c.diagnosing()) m_c.diagnose();
}

// The discriminator's accuracy against σ (log axis) on real data and the model's own samples, chance marked, the
// guided σ window shaded — drawn with the UI font so it scales with the presenter's font scale.
void LabUi::drawDiagnosis(const gl::RectF& area)
{
    const float w = std::min(area.w - 40, 720.0f * fontScale);
    float h = std::min(area.h - 40, 420.0f * fontScale);
    ImGui::SetNextWindowPos(ImVec2(area.x + (area.w - w) / 2, area.y + 20), ImGuiCond_Always);
    ImGui::SetNextWindowSize(ImVec2(w, h), ImGuiCond_Always);
    ImGui::SetNextWindowBgAlpha(0.94f);
    ImGui::Begin("Where can the discriminator guide? (D)", &showDiagnosis,
                 ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize);
    const auto& d = m_c.diagnosis();
    if (m_c.diagnosing()) {
        const auto& p = m_c.diagnosisProgress();
        if (p.stage.stage == "scoring")
            ImGui::TextWrapped("Diagnosing: scoring real and generated samples, noise level %lld of %lld",
                               static_cast<long long>(p.stage.done), static_cast<long long>(p.stage.total));
        else
            ImGui::TextWrapped("Diagnosing: sampling %s's own unguided samples, %lld of %lld",
                               m_c.runRequest().denoiser.c_str(), static_cast<long long>(p.stage.done),
                               static_cast<long long>(p.stage.total));
        if (std::isfinite(p.etaSeconds)) ImGui::Text("about %.0f s left in this stage", p.etaSeconds);
        if (p.stage.total > 0)
            ImGui::ProgressBar(static_cast<float>(p.stage.done) / static_cast<float>(p.stage.total), ImVec2(-1, 0));
        if (ImGui::Button("Cancel the diagnosis")) m_c.cancelDiagnosis();
    } else if (!m_c.diagnosisError().empty()) {
        errorText(m_c.diagnosisError());
    }
    if (!d || d->rows.empty()) {
        ImGui::End();
        return;
    }
    const double upTo = separatesUpTo(*d);
    ImGui::TextWrapped("%s", upTo > 0 ? ("It tells real from generated (>= 55 %) up to sigma ~ " + num(upTo) +
                                         "; above that its gradient is noise.")
                                            .c_str()
                                      : "Near chance at every sigma: guidance has little to go on.");
    struct Curve
    {
        const char* name;
        ImU32 colour;
        double SigmaDiagnostic::*field;
    };
    const Curve curves[] = {{"accuracy", IM_COL32(255, 255, 255, 255), &SigmaDiagnostic::accuracy},
                            {"reals called real", IM_COL32(90, 210, 120, 255), &SigmaDiagnostic::realAccuracy},
                            {"fakes called generated", IM_COL32(255, 150, 60, 255), &SigmaDiagnostic::fakeAccuracy}};
    for (const auto& c : curves) { // the legend, one line above the plot
        const ImVec4 colour = ImGui::ColorConvertU32ToFloat4(c.colour);
        ImGui::ColorButton(c.name, colour, ImGuiColorEditFlags_NoTooltip,
                           ImVec2(ImGui::GetFontSize(), ImGui::GetFontSize()));
        ImGui::SameLine();
        ImGui::TextUnformatted(c.name);
        ImGui::SameLine(0, 2 * ImGui::GetFontSize());
    }
    ImGui::NewLine();
    const ImVec2 origin = ImGui::GetCursorScreenPos(), avail = ImGui::GetContentRegionAvail();
    const float fs = ImGui::GetFontSize(), left = origin.x + 3.2f * fs, right = origin.x + avail.x - 0.5f * fs;
    const float top = origin.y + 0.4f * fs, bottom = origin.y + avail.y - 2.6f * fs;
    if (bottom - top < 40 || right - left < 80) {
        ImGui::End();
        return;
    }
    ImDrawList* dl = ImGui::GetWindowDrawList();
    const double lo = std::log10(d->rows.front().sigma), hi = std::log10(d->rows.back().sigma);
    const double span = hi > lo ? hi - lo : 1.0;
    auto px = [&](double sigma) { return left + static_cast<float>((std::log10(sigma) - lo) / span) * (right - left); };
    auto py = [&](double acc) { return bottom - static_cast<float>(acc) * (bottom - top); };
    const ImU32 ink = IM_COL32(220, 220, 225, 255), grid = IM_COL32(90, 90, 100, 255);
    // The guided σ window.
    const auto& g = m_c.diagnosisGuidance();
    const float wx0 = std::max(left, g.sigmaLo > 0 ? px(g.sigmaLo) : left);
    const float wx1 = std::min(right, std::isfinite(g.sigmaHi) ? px(g.sigmaHi) : right);
    if (wx1 > wx0) {
        dl->AddRectFilled(ImVec2(wx0, top), ImVec2(wx1, bottom), IM_COL32(60, 110, 200, 70));
        dl->AddText(ImVec2(wx0 + 4, top + 2), IM_COL32(140, 180, 255, 255), "guided sigma window");
    }
    for (double acc : {0.0, 0.25, 0.5, 0.75, 1.0}) {
        dl->AddLine(ImVec2(left, py(acc)), ImVec2(right, py(acc)), acc == 0.5 ? IM_COL32(200, 200, 120, 255) : grid,
                    acc == 0.5 ? 2.0f : 1.0f);
        const std::string t = num(acc * 100) + "%";
        dl->AddText(ImVec2(left - ImGui::CalcTextSize(t.c_str()).x - 6, py(acc) - fs / 2), ink, t.c_str());
    }
    dl->AddText(ImVec2(left + 6, py(0.5) - fs - 2), IM_COL32(200, 200, 120, 255), "chance");
    for (int e = static_cast<int>(std::ceil(lo - 1e-9)); e <= static_cast<int>(std::floor(hi + 1e-9)); ++e) {
        const float x = px(std::pow(10.0, e));
        dl->AddLine(ImVec2(x, bottom), ImVec2(x, bottom + 5), ink);
        const std::string t = num(std::pow(10.0, e));
        dl->AddText(ImVec2(x - ImGui::CalcTextSize(t.c_str()).x / 2, bottom + 6), ink, t.c_str());
    }
    const char* axis = "noise level sigma (log scale)";
    dl->AddText(ImVec2((left + right - ImGui::CalcTextSize(axis).x) / 2, bottom + 1.3f * fs), ink, axis);
    dl->AddRect(ImVec2(left, top), ImVec2(right, bottom), grid);
    for (const auto& c : curves) {
        std::vector<ImVec2> points;
        for (const auto& row : d->rows)
            points.emplace_back(px(row.sigma), py(std::clamp(row.*c.field, 0.0, 1.0)));
        dl->AddPolyline(points.data(), static_cast<int>(points.size()), c.colour, ImDrawFlags_None,
                        c.field == &SigmaDiagnostic::accuracy ? 3.0f : 1.5f);
        for (const auto& p : points)
            dl->AddCircleFilled(p, 0.25f * fs, c.colour);
    }
    ImGui::End();
}

} // namespace dg::lab
