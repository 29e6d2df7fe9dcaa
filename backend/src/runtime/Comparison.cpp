#include "dg/Comparison.h"

#include "dg/Export.h"
#include "dg/Models.h"
#include "dg/Trajectory.h"

#include <cstdio>

namespace dg {

SampleRequest writeGuidedComparison(const std::string& path)
{
    initRuntime();
    const auto defaults = defaultModels();
    const auto kind = kindDefaults(!defaults.images);
    SampleRequest r;
    r.denoiser = defaults.denoiser;
    r.discriminator = defaults.discriminator;
    r.settings.count = defaults.images ? 36 : 400; // a 6 × 6 sheet; a toy's cloud
    r.settings.seed = 7;
    r.settings.guidance = kindGuidance(!defaults.images);
    const Device device = resolveDevice(r.device);
    const auto denoiser = loadDenoiser(r.denoiser, device);
    const auto disc = loadDiscriminator(r.discriminator, device, modelInfo(*denoiser).sampleShape.value());
    LockstepPair pair(denoiser, disc, r.settings, device);
    while (!pair.finished())
        pair.step();
    char weight[32];
    std::snprintf(weight, sizeof weight, "%g", kind.weight);
    ExportView view;
    view.step = view.steps = r.settings.sampler.schedule.steps;
    exportGrid(path,
               {GridPanel{"unguided", pair.unguided().state(), 0.0f},
                GridPanel{std::string("DG, w = ") + weight, pair.guided().state(), 0.0f}},
               r, view);
    return r;
}

} // namespace dg
