#include "FieldLabels.h"

#include "dg/Error.h"

namespace {

const dg::FieldLabels kLabels = {
    {"denoiser", "Model › Denoiser"},
    {"discriminator", "Model › Discriminator"},
    {"device", "Model › Device"},
    {"sampler", "Sampler › Sampler"},
    {"steps", "Sampler › Steps"},
    {"sigma-min", "Sampler › σ min"},
    {"sigma-max", "Sampler › σ max"},
    {"rho", "Sampler › ρ"},
    {"churn", "Sampler › Churn"},
    {"s-min", "Sampler › S_tmin"},
    {"s-max", "Sampler › S_tmax"},
    {"s-noise", "Sampler › S_noise"},
    {"seed", "Sampler › Seed"},
    {"count", "Sampler › Batch size"},
    {"class", "Sampler › Class"},
    {"noise", "the run's starting noise"},
    {"dg-preset", "Guidance › Preset"},
    {"dg-weight", "Guidance › Weight w"},
    {"dg-weight-2nd", "Guidance › Weight w₂"},
    {"dg-sigma-min", "Guidance › σ_lo"},
    {"dg-sigma-max", "Guidance › σ_hi"},
    {"dg-logit-clip", "Guidance › Logit clip"},
    {"dg-boost", "Guidance › Boost fake-looking samples"},
    {"data", "Training › Data set"},
    {"fakes", "Training › Fake samples"},
    {"iterations", "Training › Iterations"},
    {"batch", "Training › Batch size"},
    {"lr", "Training › Learning rate"},
    {"checkpoint", "the training's checkpoint"},
    {"fps", "Export › Animation speed"},
    {"hold", "Export › Hold last frame"},
    {"animation", "the animation file"},
    {"weights", "Tune › Weights"},
};

} // namespace

QString studioErrorMessage(const std::exception& e)
{
    return studioErrorText(dg::errorMessage(e));
}

QString studioErrorText(const std::string& message)
{
    return QString::fromStdString(dg::renameFields(message, kLabels));
}
