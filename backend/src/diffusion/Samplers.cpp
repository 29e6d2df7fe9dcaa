#include "diffusion/Samplers.h"

#include <cmath>

namespace dg {

std::pair<at::Tensor, double> churnUp(const at::Tensor& x, double tCur, double gamma, const at::Tensor& eps,
                                      double sNoise)
{
    if (gamma <= 0.0) return {x, tCur};
    const double tHat = tCur + gamma * tCur;
    return {x + std::sqrt(tHat * tHat - tCur * tCur) * sNoise * eps, tHat};
}

at::Tensor eulerStep(const DenoiseFn& denoise, const at::Tensor& xHat, double tHat, double tNext)
{
    const auto d = (xHat - denoise(xHat, tHat, 0)) / tHat;
    return xHat + (tNext - tHat) * d;
}

at::Tensor heunStep(const DenoiseFn& denoise, const at::Tensor& xHat, double tHat, double tNext)
{
    const auto d = (xHat - denoise(xHat, tHat, 0)) / tHat;
    const auto xEuler = xHat + (tNext - tHat) * d;
    if (tNext == 0.0) return xEuler;
    const auto dPrime = (xEuler - denoise(xEuler, tNext, 1)) / tNext;
    return xHat + (tNext - tHat) * (0.5 * d + 0.5 * dPrime);
}

at::Tensor sampleOde(const DenoiseFn& denoise, at::Tensor x, const std::vector<double>& sigmas, bool heun)
{
    for (size_t i = 0; i + 1 < sigmas.size(); ++i)
        x = heun ? heunStep(denoise, x, sigmas[i], sigmas[i + 1]) : eulerStep(denoise, x, sigmas[i], sigmas[i + 1]);
    return x;
}

} // namespace dg
