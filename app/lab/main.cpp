// dg-lab: a lean GLFW + Dear ImGui front end for teaching and presenting, over the same backend session and the same
// ui/gl renderer and shaders as dg-studio.
#include "FrameView.h"
#include "LabController.h"
#include "LabUi.h"
#include "Renderer.h"
#include "dg/Device.h"
#include "dg/Error.h"

#include "ArgParser.h"
#include "dg/Image.h"
#include "dg/Settings.h"
#include "dg/Version.h"

#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

namespace {

const char* const kAbout =
    "A lean front end for teaching and presenting Discriminator Guidance: pick a model, play the trajectory, steer "
    "the weight live, compare guided | unguided, step with narration.";
const char* const kKeys = "Keys: Space play/pause, Left/Right step, G guidance on/off, 1-4 views, C compare, N "
                          "narration, D diagnosis, H panel,\n"
                          "F11 full screen, Ctrl+E export the grid.";

struct Options
{
    dg::SampleRequest request;
    bool compareView = false, presenter = false, diagnose = false;
    dg::gl::ViewMode mode = dg::gl::ViewMode::State;
    int showStep = -1;
    std::string screenshot;
};

std::vector<std::string> viewKeys()
{
    std::vector<std::string> keys;
    for (const auto& m : dg::gl::viewModes())
        keys.push_back(m.key);
    return keys;
}

int usageError(const std::string& message)
{
    std::cerr << "dg-lab: " << message << "\n";
    return 2;
}

// Returns -1 to continue, else an exit status.
int parse(int argc, char** argv, Options& o)
{
    using namespace dg::cli;
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (std::find(args.begin(), args.end(), "--version") != args.end()) {
        std::cout << "dg-lab " << dg::versionString() << "\n";
        return 0;
    }
    const std::string models = "Models", run = "Run", show = "Show";
    ArgParser a(
        "dg-lab",
        {textFlag("--denoiser", "SPEC", "builtin:NAME or a model file", models, "builtin:ring8-model"),
         textFlag("--discriminator", "SPEC", "builtin:NAME, a file, or none (default: the built-in's own)", models),
         numberFlag("--dg-weight", "W", "guidance weight (default: 2 on images, 1 on a 2-D toy)", run),
         choiceFlag("--dg-preset", {"auto", "none", "official"},
                    "official: the official DG sampler (w2 = 0, sigma window, logit clip); none: w2 = w at every "
                    "sigma; auto: official for image models, none for 2-D toys",
                    run, "auto"),
         integerFlag("--count", "N", "batch size (default 256 for toys, 16 for images)", run, {}, 1, 1000000),
         unsignedFlag("--seed", "S", "seed", run, "0"),
         choiceFlag("--view", viewKeys(), "what the panels show", show, dg::gl::viewModes().front().key),
         switchFlag("--compare", "guided | unguided side by side", show),
         switchFlag("--presenter", "large fonts, narration on, full screen", show),
         integerFlag("--show-step", "N", "with --screenshot: show step N once the run is done", show, {}, 0, 10000),
         textFlag("--screenshot", "FILE.png", "sample, render one frame into FILE (PNG), quit", show),
         switchFlag("--diagnose", "open 'Where can it guide?' (D) once the run is done", show),
         switchFlag("--version", "print the version and exit", "Help")},
        kAbout, kKeys);
    try {
        if (!a.parse(args)) return 0;
        o.request.denoiser = a.text("--denoiser");
        o.request.discriminator =
            a.has("--discriminator") ? a.text("--discriminator") : dg::matchingDiscriminator(o.request.denoiser);
        if (o.request.discriminator == "none") o.request.discriminator.clear();
        o.request.settings.count = a.has("--count") ? a.integer("--count") : 0; // 0: the model's default
        o.request.settings.seed = a.unsignedInteger("--seed");
        // Without --dg-weight the model's kind decides: w = 2 on images, 1 on a toy (as its Model-panel button does).
        o.request.settings.guidance.weight = a.has("--dg-weight")
                                                 ? a.number("--dg-weight")
                                                 : dg::lab::LabController::defaultsFor(o.request.denoiser).weight;
        const std::string preset = a.text("--dg-preset");
        if (preset == "official" ||
            (preset == "auto" &&
             dg::lab::LabController::defaultsFor(o.request.denoiser).preset == dg::GuidancePreset::Official))
            o.request.settings.guidance = dg::officialGuidance(o.request.settings.guidance);
        o.mode = *dg::gl::viewModeFromKey(a.text("--view")); // a choice flag: one of the keys
        o.compareView = a.has("--compare");
        o.presenter = a.has("--presenter");
        o.diagnose = a.has("--diagnose");
        o.showStep = a.has("--show-step") ? static_cast<int>(a.integer("--show-step")) : -1;
        o.screenshot = a.text("--screenshot");
        dg::RunSettings check = o.request.settings;
        check.count = std::max<int64_t>(1, check.count);
        dg::validate(check);
    } catch (const std::exception& e) {
        return usageError(dg::cliFields(dg::errorMessage(e)));
    }
    return -1;
}

// The back buffer as a PNG (rows flipped: GL's origin is bottom-left).
bool saveFramebuffer(const std::string& path, int width, int height)
{
    std::vector<unsigned char> pixels(static_cast<size_t>(width) * height * 4);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    dg::RgbImage image(width, height);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const unsigned char* p = &pixels[(static_cast<size_t>(height - 1 - y) * width + x) * 4];
            image.setPixel(x, y, {p[0], p[1], p[2]});
        }
    try {
        dg::writePng(path, image, {{"Software", std::string("dg-lab ") + dg::codeVersion()}});
    } catch (const std::exception& e) {
        std::cerr << "dg-lab: " << dg::cliFields(dg::errorMessage(e)) << "\n";
        return false;
    }
    return true;
}

} // namespace

namespace {
std::atomic<int> gEvents{0}; // input, window and session events so far (see the main loop)
} // namespace

int main(int argc, char** argv)
{
    dg::setThreadPolicy(dg::ThreadPolicy::IdleCores); // a window stays responsive beside another busy process
    Options options;
    if (const int status = parse(argc, argv, options); status >= 0) return status;

    glfwSetErrorCallback(
        [](int code, const char* text) { std::cerr << "dg-lab: GLFW error " << code << ": " << text << "\n"; });
    if (!glfwInit()) {
        std::cerr << "dg-lab: cannot open a window (no display? set DISPLAY or run under xvfb-run)\n";
        return 1;
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_OPENGL_FORWARD_COMPAT, GLFW_TRUE);
    int width = 1400, height = 860; // or the screen, whichever is smaller
    if (const GLFWvidmode* screen = glfwGetVideoMode(glfwGetPrimaryMonitor())) {
        width = std::min(width, screen->width);
        height = std::min(height, screen->height);
    }
    GLFWwindow* window = glfwCreateWindow(width, height, "dg-lab — Discriminator Guidance", nullptr, nullptr);
    if (!window) {
        glfwTerminate();
        std::cerr << "dg-lab: cannot create an OpenGL 3.3 core window\n";
        return 1;
    }
    glfwMakeContextCurrent(window);
    glfwSwapInterval(1);
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr; // the layout is fixed; nothing to persist
    ImGui::StyleColorsDark();
    // Every input or window event counts (ImGui's GLFW backend chains to these callbacks, installed first), so that an
    // idle loop redraws only after something happened.
    glfwSetCursorPosCallback(window, [](GLFWwindow*, double, double) { ++gEvents; });
    glfwSetMouseButtonCallback(window, [](GLFWwindow*, int, int, int) { ++gEvents; });
    glfwSetScrollCallback(window, [](GLFWwindow*, double, double) { ++gEvents; });
    glfwSetKeyCallback(window, [](GLFWwindow*, int, int, int, int) { ++gEvents; });
    glfwSetCharCallback(window, [](GLFWwindow*, unsigned int) { ++gEvents; });
    glfwSetWindowFocusCallback(window, [](GLFWwindow*, int) { ++gEvents; });
    glfwSetCursorEnterCallback(window, [](GLFWwindow*, int) { ++gEvents; });
    glfwSetWindowSizeCallback(window, [](GLFWwindow*, int, int) { ++gEvents; });
    glfwSetWindowRefreshCallback(window, [](GLFWwindow*) { ++gEvents; });
    ImGui_ImplGlfw_InitForOpenGL(window, true);
    ImGui_ImplOpenGL3_Init("#version 330 core");

    int status = 0;
    {
        dg::gl::Renderer renderer;
        try {
            renderer.initialize();
        } catch (const std::exception& e) {
            std::cerr << "dg-lab: " << dg::cliFields(dg::errorMessage(e)) << "\n";
            status = 1;
        }
        dg::lab::LabController controller;
        controller.request = options.request;
        controller.choosePair(options.request.denoiser, options.request.discriminator,
                              controller.request.settings.count != 0);
        controller.compareView = options.compareView;
        controller.mode = options.mode;
        dg::lab::LabUi ui(controller);
        if (options.presenter) {
            ui.fontScale = 1.8f;
            ui.narrate = true;
            ui.fullscreenRequest = true;
        }
        dg::gl::FrameView view;
        bool fullscreen = false;
        int windowed[4] = {100, 100, 1400, 860};
        controller.wake = [] { // a step, a loaded model or a diagnosis wakes an idle loop
            ++gEvents;
            glfwPostEmptyEvent();
        };
        controller.sample();
        int settledFrames = 0;
        int redraws = 3;
        int seenEvents = gEvents;
        double lastFrame = 0.0;
        while (status == 0 && !glfwWindowShouldClose(window)) {
            // Redraw only on events or while something moves (issue 28: an idle dg-lab used 40 % of a core): wait for
            // input or a session event and render a few frames after it (ImGui settles hover and clicks over two);
            // a moving picture is paced at 60 frames/s at most even where swapping does not wait for the display.
            if (!options.screenshot.empty()) {
                glfwPollEvents();
            } else if (controller.animating() || ui.animating(ImGui::GetTime())) {
                glfwWaitEventsTimeout(std::max(0.0, lastFrame + 1.0 / 60.0 - glfwGetTime()));
            } else if (redraws > 0) {
                --redraws;
                glfwPollEvents();
            } else {
                glfwWaitEventsTimeout(2.0);
                if (gEvents == seenEvents) continue; // nothing happened: the picture on screen is still right
                redraws = 2;
            }
            seenEvents = gEvents;
            lastFrame = glfwGetTime();
            if (!options.screenshot.empty()) { // the pointer off the view: no hover tooltip in the picture
                int w = 0, h = 0;
                glfwGetWindowSize(window, &w, &h);
                glfwSetCursorPos(window, w - 2, h - 2);
            }
            controller.drain(); // the only place session events reach the UI: once per frame
            controller.tick(glfwGetTime());
            if (ui.fullscreenRequest) {
                ui.fullscreenRequest = false;
                if (GLFWmonitor* monitor = glfwGetPrimaryMonitor(); monitor && !fullscreen) {
                    glfwGetWindowPos(window, &windowed[0], &windowed[1]);
                    glfwGetWindowSize(window, &windowed[2], &windowed[3]);
                    const GLFWvidmode* mode = glfwGetVideoMode(monitor);
                    glfwSetWindowMonitor(window, monitor, 0, 0, mode->width, mode->height, mode->refreshRate);
                    fullscreen = true;
                } else if (fullscreen) {
                    glfwSetWindowMonitor(window, nullptr, windowed[0], windowed[1], windowed[2], windowed[3], 0);
                    fullscreen = false;
                }
            }
            int fbWidth = 0, fbHeight = 0, winWidth = 0, winHeight = 0;
            glfwGetFramebufferSize(window, &fbWidth, &fbHeight);
            glfwGetWindowSize(window, &winWidth, &winHeight);
            const float dpr = winWidth > 0 ? static_cast<float>(fbWidth) / static_cast<float>(winWidth) : 1.0f;

            ImGui_ImplOpenGL3_NewFrame();
            ImGui_ImplGlfw_NewFrame();
            ImGui::NewFrame();
            ui.handleKeys();
            const auto area = ui.viewArea(static_cast<float>(winWidth), static_cast<float>(winHeight));
            view.setMode(controller.mode);
            view.setTextScale(ui.fontScale);
            view.setToyAxis(ui.toyAxis, controller.playing());
            view.setSeed(controller.runRequest().settings.seed, controller.runRequest().settings.firstSample);
            view.setPanels(controller.panels());
            renderer.beginFrame(fbWidth, fbHeight, {0.12f, 0.12f, 0.14f, 1.0f});
            const auto labels = view.draw(renderer, area.w, area.h, dpr);
            renderer.endFrame();
            ui.draw(static_cast<float>(winWidth), static_cast<float>(winHeight), view, labels);
            ImGui::Render();
            ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

            if (!options.screenshot.empty()) {
                if (!controller.error().empty()) {
                    std::cerr << "dg-lab: " << controller.error() << "\n";
                    status = 1;
                } else if (controller.running() && controller.history().finished(0)) {
                    if (options.showStep >= 0 && controller.step() != options.showStep)
                        controller.playback().scrub(options.showStep);
                    if (options.diagnose && !ui.showDiagnosis) ui.showDiagnosis = true, controller.diagnose();
                    if (options.diagnose && !controller.diagnosisError().empty()) {
                        std::cerr << "dg-lab: " << controller.diagnosisError() << "\n";
                        status = 1;
                    } else if (options.diagnose && (controller.diagnosing() || !controller.diagnosis())) {
                        settledFrames = 0;
                    } else if (++settledFrames == 3) { // a few frames so fonts, textures and the scrub are on screen
                        status = saveFramebuffer(options.screenshot, fbWidth, fbHeight) ? 0 : 1;
                        if (status == 0) std::cout << "wrote " << options.screenshot << "\n";
                        break;
                    }
                }
            }
            glfwSwapBuffers(window);
        }
        renderer.release();
    }
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
    glfwDestroyWindow(window);
    glfwTerminate();
    return status;
}
