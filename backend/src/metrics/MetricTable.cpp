#include "dg/MetricTable.h"

#include "dg/Error.h"
#include "dg/Toys.h"
#include "metrics/MetricInputs.h"
#include "metrics/Metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace dg {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void poll(const MetricInputs& in)
{
    if (in.cancel) in.cancel->throwIfCancelled();
}

// The reals precision/recall and KID compare against: the fixed random order when there is one.
const at::Tensor& subset(const MetricInputs& in)
{
    return in.realSubset.defined() ? in.realSubset : in.real;
}

// FID's distance (Heusel et al. 2017) in the judge's features.
std::vector<double> fd(const MetricInputs& in)
{
    return {frechetDistance(in.real, in.fake)};
}

// Efron's bootstrap over the generated samples and the reference images alike (fixed seeds: repeatable, and paired
// between sets of the same size), so a band covers the reference set's sampling noise as well.
std::vector<double> fdBootstrap(const MetricInputs& in, int rounds)
{
    auto gen = at::make_generator<at::CPUGeneratorImpl>(4242);
    auto realGen = at::make_generator<at::CPUGeneratorImpl>(4243);
    const auto longs = at::TensorOptions().dtype(at::kLong);
    const int64_t n = in.fake.size(0), m = in.real.size(0);
    std::vector<double> fds;
    for (int b = 0; b < rounds; ++b) {
        poll(in);
        const auto idx = at::randint(n, {n}, gen, longs);
        const auto realIdx = at::randint(m, {m}, realGen, longs);
        fds.push_back(frechetDistance(in.real.index_select(0, realIdx), in.fake.index_select(0, idx)));
    }
    return fds;
}

// Improved precision and recall (Kynkäänniemi et al. 2019), k = 3, equal numbers of each side (at most 10,000).
std::vector<double> precisionAndRecall(const MetricInputs& in)
{
    const int64_t n = std::min<int64_t>({subset(in).size(0), in.fake.size(0), 10000});
    poll(in);
    const auto [p, r] = precisionRecall(subset(in).slice(0, 0, n), in.fake.slice(0, 0, n), 3);
    return {p, r};
}

// KID (Bińkowski et al. 2018): unbiased MMD² with the cubic kernel over 10 blocks, and its standard error.
std::vector<double> kid(const MetricInputs& in)
{
    poll(in);
    const auto k = kernelInceptionDistance(subset(in), in.fake);
    return {k.value, k.standardError};
}

// FD in the noise-aware classifier's features — the discriminators' own feature space (labelled as such).
std::vector<double> fdClassifier(const MetricInputs& in)
{
    if (!in.realClassifier.defined() || !in.fakeClassifier.defined()) return {kNaN};
    return {frechetDistance(in.realClassifier, in.fakeClassifier)};
}

// Sliced 2-Wasserstein distance (Rabin et al. 2011) to 20k data points, 256 directions.
std::vector<double> sw2(const MetricInputs& in)
{
    return {slicedWasserstein(in.points, in.data, 256, 7)};
}

std::vector<double> sw2Bootstrap(const MetricInputs& in, int rounds)
{
    auto boot = at::make_generator<at::CPUGeneratorImpl>(4242);
    const int64_t n = std::min(in.points.size(0), in.data.size(0));
    const SlicedWassersteinReference sw(in.data, n, 256, 7);
    std::vector<double> out;
    for (int b = 0; b < rounds; ++b) {
        poll(in);
        const auto idx = at::randint(in.points.size(0), {n}, boot, at::TensorOptions().dtype(at::kLong));
        out.push_back(sw.distance(in.points.index_select(0, idx)));
    }
    return out;
}

// The negative log-likelihood of the points under the toy's true data mixture.
std::vector<double> nll(const MetricInputs& in)
{
    return {toyDataNll(in.toy, *in.samples)};
}

} // namespace

const std::vector<MetricInfo>& metricTable()
{
    constexpr unsigned images = kFashionMnistSpace | kReferenceSpace;
    static const std::vector<MetricInfo> table = {
        {{{"fd_judge", "FD (judge)", 3}}, images, fd, fdBootstrap, nullptr, true},
        {{{"precision", "precision", 3}, {"recall", "recall", 3}},
         images,
         precisionAndRecall,
         nullptr,
         "precision, recall (k = 3)",
         true},
        {{{"kid", "KID (judge)", 3}, {"kid_se", "KID s.e.", 3}}, images, kid, nullptr, nullptr, true},
        {{{"fd_cls", "FD-cls (shares features with the discriminator)", 3}}, kFashionMnistSpace, fdClassifier},
        {{{"sw2", "SW2", 4}}, kToySpace, sw2, sw2Bootstrap},
        {{{"nll", "NLL", 4}}, kToySpace, nll, nullptr, "NLL (nats)"},
    };
    return table;
}

double MeasuredColumns::value(const std::string& name) const
{
    for (size_t i = 0; i < columns.size(); ++i)
        if (columns[i].name == name) return values[i];
    return kNaN;
}

MeasuredColumns measure(const MetricInputs& in, int rounds, bool onlyPerClass)
{
    MeasuredColumns out;
    for (const auto& m : metricTable()) {
        if (!(m.spaces & in.space) || (onlyPerClass && !m.perClass)) continue;
        const auto values = m.compute(in);
        if (values.size() != m.columns.size())
            throw Error("metric " + m.columns.front().name + ": wrong number of values");
        out.columns.insert(out.columns.end(), m.columns.begin(), m.columns.end());
        out.values.insert(out.values.end(), values.begin(), values.end());
        if (m.bootstrap && rounds > 0) out.bootstrap = m.bootstrap(in, rounds);
    }
    return out;
}

} // namespace dg
