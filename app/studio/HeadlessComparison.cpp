#include "HeadlessComparison.h"
#include "dg/Error.h"

#include "dg/Export.h"
#include "dg/Render.h"
#include "dg/Toys.h"
#include "dg/Trajectory.h"
#include "dg/Version.h"

#include <filesystem>
#include <iostream>

namespace dg::studio {

int writeHeadlessComparison(const std::string& path)
{
    try {
        initRuntime();
        const auto defaults = defaultModels();
        const bool fmnist = defaults.images;
        SampleRequest r;
        r.denoiser = defaults.denoiser;
        r.discriminator = defaults.discriminator;
        r.settings.count = fmnist ? 36 : 400;
        r.settings.seed = 7;
        r.settings.guidance.weight = fmnist ? 2.0 : 1.0;
        const Device device = resolveDevice(Device::Auto);
        const auto denoiser = loadDenoiser(r.denoiser, device);
        const auto shape = modelInfo(*denoiser).sampleShape.value();
        const auto disc = loadDiscriminator(r.discriminator, device, shape);
        LockstepPair pair(denoiser, disc, r.settings, device);
        while (!pair.finished()) pair.step();
        std::vector<RgbImage> panels;
        for (const auto* t : {&pair.unguided(), &pair.guided()}) {
            const HostTensor x = t->state();
            const std::string title = t == &pair.guided() ? "DG, w = " + std::to_string(r.settings.guidance.weight).substr(0, 3)
                                                          : std::string("unguided");
            RgbImage body;
            if (x.isImages()) {
                body = renderImageGrid(x, 3);
            } else {
                ScatterOptions o;
                o.background = toyLogDensityGrid("ring8", 0.03, o.extent, 160);
                o.backgroundRes = 160;
                body = renderScatter(x, o);
            }
            RgbImage panel(body.width(), body.height() + 24);
            panel.drawText(4, 6, title, {30, 30, 36}, 2);
            panel.paste(body, 0, 24);
            panels.push_back(panel);
        }
        writePng(path, joinHorizontally(panels),
                 {{"Software", std::string("dg-studio ") + codeVersion()},
                  {"Title", "unguided | Discriminator Guidance, the same noise"},
                  {"dg.settings", toJson(r)},
                  {"dg.command", toCommandLine(r)}});
        std::cout << "dg-studio: no display; wrote the guided-vs-unguided comparison to "
                  << std::filesystem::absolute(path).string() << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "dg-studio: " << dg::cliFields(dg::errorMessage(e)) << "\n";
        return 1;
    }
}

} // namespace dg::studio
