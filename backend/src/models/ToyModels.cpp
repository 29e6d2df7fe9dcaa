#include "models/ToyModels.h"

#include "dg/Toys.h"

#include <c10/core/InferenceMode.h>

#include <array>
#include <cmath>
#include <numbers>

namespace dg {
namespace {

constexpr double kPi = std::numbers::pi;

GaussianMixture makeMixture(const std::vector<std::array<double, 2>>& means, const std::vector<double>& stds,
                            const std::vector<double>& weights)
{
    auto m = at::empty({static_cast<int64_t>(means.size()), 2}, at::kDouble);
    for (size_t k = 0; k < means.size(); ++k) {
        m[k][0] = means[k][0];
        m[k][1] = means[k][1];
    }
    return GaussianMixture(m, at::tensor(stds, at::kDouble), at::tensor(weights, at::kDouble));
}

GaussianMixture ring(int count, double radius, double angleOffset, double stddev, const std::vector<double>& weights)
{
    std::vector<std::array<double, 2>> means;
    for (int k = 0; k < count; ++k) {
        const double a = 2.0 * kPi * k / count + angleOffset;
        means.push_back({radius * std::cos(a), radius * std::sin(a)});
    }
    return makeMixture(means, std::vector<double>(count, stddev), weights);
}

// Two interleaved half circles (the "two moons" shape), centred and scaled into [-1, 1]².
GaussianMixture moons(int perArc, double tMargin, double stddev, double upperShare, double spread)
{
    std::vector<std::array<double, 2>> means;
    std::vector<double> weights;
    for (int arc = 0; arc < 2; ++arc) {
        for (int k = 0; k < perArc; ++k) {
            const double t = tMargin + (kPi - 2.0 * tMargin) * k / (perArc - 1);
            const double x = arc == 0 ? std::cos(t) - 0.5 : 0.5 - std::cos(t);
            const double y = arc == 0 ? std::sin(t) - 0.25 + spread : 0.25 - std::sin(t) - spread;
            means.push_back({0.8 * x, 0.8 * y});
            weights.push_back(arc == 0 ? upperShare : 1.0 - upperShare);
        }
    }
    return makeMixture(means, std::vector<double>(means.size(), stddev), weights);
}

std::vector<ToyDefinition> makeToys()
{
    std::vector<ToyDefinition> toys;
    toys.push_back({"ring8", "ring of 8 Gaussians (radius 1, std 0.06)", ring(8, 1.0, 0.0, 0.06, std::vector(8, 1.0)),
                    ring(8, 0.9, 0.12, 0.16, {1.6, 0.4, 1.6, 0.4, 1.6, 0.4, 1.6, 0.4})});
    toys.push_back({"moons", "two moons, 24 Gaussians (std 0.05)", moons(12, 0.0, 0.05, 0.5, 0.0),
                    moons(5, 0.3, 0.14, 0.7, 0.08)});
    return toys;
}

at::Tensor sigmaForMixture(const at::Tensor& sigma)
{
    return sigma.reshape({-1});
}

} // namespace

const std::vector<ToyDefinition>& toyDefinitions()
{
    static const std::vector<ToyDefinition> toys = makeToys();
    return toys;
}

const ToyDefinition* findToy(const std::string& name)
{
    for (const auto& toy : toyDefinitions())
        if (toy.name == name) return &toy;
    return nullptr;
}

at::Tensor MixtureDenoiser::denoise(const at::Tensor& x, const at::Tensor& sigma,
                                    const std::optional<at::Tensor>&) const
{
    return m_mixture.denoise(x, sigmaForMixture(sigma));
}

at::Tensor MixtureRatioDiscriminator::logit(const at::Tensor& x, const at::Tensor& sigma,
                                            const std::optional<at::Tensor>&) const
{
    const auto s = sigmaForMixture(sigma);
    return m_data.logDensity(x, s) - m_model.logDensity(x, s);
}

LogitGradient MixtureRatioDiscriminator::logitWithGradient(const at::Tensor& x, const at::Tensor& sigma,
                                                           const std::optional<at::Tensor>&) const
{
    // Tweedie: ∇ log p_σ(x) = (D_p(x; σ) − x)/σ², so ∇ log(p_σ/q_σ) = (D_p − D_q)/σ², in closed form.
    c10::InferenceMode inference;
    const auto s = sigmaForMixture(sigma);
    const auto [logP, denoisedP] = m_data.logDensityAndDenoise(x, s);
    const auto [logQ, denoisedQ] = m_model.logDensityAndDenoise(x, s);
    const auto s2 = (isUniformSigma(s) ? s.narrow(0, 0, 1) : s).square().reshape({-1, 1});
    return {logP - logQ, (denoisedP - denoisedQ) / s2};
}

std::vector<std::string> toyNames()
{
    std::vector<std::string> names;
    for (const auto& toy : toyDefinitions())
        names.push_back(toy.name);
    return names;
}

bool isToy(const std::string& name)
{
    return findToy(name) != nullptr;
}

std::vector<float> toyLogDensityGrid(const std::string& name, double sigma, double extent, int res)
{
    const auto* toy = findToy(name);
    if (!toy || res <= 0) return {};
    const auto coords = at::linspace(-extent, extent, res, at::kDouble);
    auto grids = at::meshgrid({coords.flip(0), coords}, "ij"); // row 0 at y = +extent
    const auto points = at::stack({grids[1].reshape(-1), grids[0].reshape(-1)}, 1);
    const auto logp = toy->data.logDensity(points, at::full({points.size(0)}, sigma, at::kDouble)).to(at::kFloat);
    return std::vector<float>(logp.data_ptr<float>(), logp.data_ptr<float>() + logp.numel());
}

double toyDataNll(const std::string& name, const HostTensor& points)
{
    const auto* toy = findToy(name);
    if (!toy || !points.isPoints2d() || points.batch() == 0) return std::nan("");
    const auto x = at::from_blob(const_cast<float*>(points.values.data()), {points.batch(), 2}, at::kFloat).clone();
    return -toy->data.logDensity(x, at::zeros({points.batch()}, at::kDouble)).mean().item<double>();
}

} // namespace dg
