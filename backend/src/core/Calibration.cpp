#include "dg/Calibration.h"

#include <algorithm>
#include <cmath>

namespace dg {

double expectedCalibrationError(const std::vector<double>& realLogits, const std::vector<double>& fakeLogits, int bins)
{
    bins = std::max(bins, 1);
    std::vector<double> count(bins, 0.0), labels(bins, 0.0), confidence(bins, 0.0);
    auto add = [&](double logit, double label) {
        const double d = 1.0 / (1.0 + std::exp(-logit));
        const int b = std::clamp(static_cast<int>(d * bins), 0, bins - 1);
        count[b] += 1.0;
        labels[b] += label;
        confidence[b] += d;
    };
    for (double l : realLogits)
        add(l, 1.0);
    for (double l : fakeLogits)
        add(l, 0.0);
    const double n = static_cast<double>(realLogits.size() + fakeLogits.size());
    if (n == 0) return 0.0;
    double ece = 0.0;
    for (int b = 0; b < bins; ++b)
        if (count[b] > 0) ece += std::fabs(labels[b] - confidence[b]) / n;
    return ece;
}

} // namespace dg
