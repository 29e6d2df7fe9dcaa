#include "ArgParser.h"
#include "Commands.h"
#include "Format.h"
#include "Interrupt.h"
#include "OutputPaths.h"

#include "dg/Render.h"
#include "dg/SampleRequest.h"
#include "dg/Toys.h"
#include "dg/Trajectory.h"
#include "dg/Version.h"

#include <cstdio>
#include <filesystem>
#include <iostream>

namespace dg::cli {
namespace {

const char* const kAbout =
    "Guided versus unguided on a built-in 2-D toy, from the same noise: the imperfect \"pre-trained\" model without "
    "guidance, the same model with Discriminator Guidance (optimal discriminator), and the exact data denoiser. Writes "
    "one PNG with the three panels (paths of the first 64 samples drawn) and prints the NLL of each under the data.";

struct Panel
{
    std::string title;
    HostTensor samples;
    std::vector<HostTensor> paths;
    Rgb colour;
};

std::vector<HostTensor> pathsOf(const Trajectory& t, int64_t count)
{
    std::vector<HostTensor> states;
    for (int k = 0; k <= t.currentStep(); ++k) {
        const auto s = t.state(k);
        states.push_back(s.slice(0, std::min(count, s.batch())));
    }
    return states;
}

} // namespace

int runDemo(const std::vector<std::string>& argv)
{
    ArgParser args("dg demo",
                   {choiceFlag("--toy", {"ring8", "moons"}, "the 2-D toy", {}, "ring8"),
                    integerFlag("--count", "N", "samples", {}, "400", 1, 1000000),
                    unsignedFlag("--seed", "S", "seed", {}, "0"),
                    integerFlag("--steps", "N", "Heun steps", {}, "18", 1, 10000),
                    numberFlag("--dg-weight", "W", "guidance weight", {}, "1"),
                    textFlag("--out", "FILE.png", "the comparison picture", {}, "dg-demo.png")},
                   kAbout);
    if (!args.parse(argv)) return 0;
    const std::string toy = args.text("--toy");
    if (!isToy(toy)) throw UsageError("--toy: unknown toy '" + toy + "' (ring8 or moons)");
    const std::string out = args.text("--out");
    checkOutputPath(out, "--out");

    SampleRequest request;
    request.denoiser = "builtin:" + toy + "-model";
    request.discriminator = "builtin:" + toy + "-disc";
    request.settings.count = args.integer("--count");
    request.settings.seed = args.unsignedInteger("--seed");
    request.settings.sampler.schedule.steps = static_cast<int>(args.integer("--steps"));
    request.settings.guidance.weight = args.number("--dg-weight");
    try {
        validate(request.settings);
    } catch (const Error& e) {
        throw UsageError(e.what());
    }

    initRuntime();
    const Device device = resolveDevice(Device::Auto);
    const auto model = loadDenoiser(request.denoiser, device);
    const auto disc = loadDiscriminator(request.discriminator, device, {2});
    const auto exact = loadDenoiser("builtin:" + toy, device);

    LockstepPair pair(model, disc, request.settings, device);
    while (!pair.finished())
        pair.step(&interruptToken());
    Trajectory reference(exact, nullptr, request.settings, device);
    reference.runToEnd(&interruptToken());

    const std::string w = formatNumber(request.settings.guidance.weight);
    std::vector<Panel> panels{
        {"MODEL, NO GUIDANCE", pair.unguided().state(), pathsOf(pair.unguided(), 64), {200, 60, 40}},
        {"MODEL + DG, W=" + w, pair.guided().state(), pathsOf(pair.guided(), 64), {30, 110, 200}},
        {"EXACT DATA DENOISER", reference.state(), pathsOf(reference, 64), {40, 150, 70}},
    };
    const auto background = toyLogDensityGrid(toy, 0.03, 1.6, 160);
    std::vector<RgbImage> images;
    std::cout << "dg demo: " << toy << ", " << request.settings.count << " samples, seed " << request.settings.seed
              << ", heun " << request.settings.sampler.schedule.steps << " steps\n";
    for (const auto& p : panels) {
        const double nll = toyDataNll(toy, p.samples);
        std::printf("  %-24s NLL under the data %.3f nats\n", p.title.c_str(), nll);
        ScatterOptions o;
        o.title = p.title + "  NLL " + formatNumber(nll);
        o.background = background;
        o.backgroundRes = 160;
        o.paths = &p.paths;
        o.pointColor = p.colour;
        images.push_back(renderScatter(p.samples, o));
    }
    writePng(out, joinHorizontally(images),
             {{"Software", std::string("dg ") + codeVersion()},
              {"Title", "Discriminator Guidance on " + toy + ": unguided | guided | exact"},
              {"dg.settings", toJson(request)},
              {"dg.command", "dg demo --toy " + toy + " --count " + std::to_string(request.settings.count) +
                                 " --seed " + std::to_string(request.settings.seed) + " --steps " +
                                 std::to_string(request.settings.sampler.schedule.steps) + " --dg-weight " + w}});
    std::cout << "wrote " << std::filesystem::absolute(out).string() << "\n";
    return 0;
}

} // namespace dg::cli
