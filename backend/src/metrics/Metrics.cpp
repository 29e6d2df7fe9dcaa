#include "metrics/Metrics.h"

#include "dg/Error.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace dg {
namespace {

std::pair<at::Tensor, at::Tensor> meanAndCovariance(const at::Tensor& x)
{
    const auto mu = x.mean(0);
    const auto centred = x - mu;
    return {mu, centred.t().mm(centred) / double(x.size(0) - 1)};
}

at::Tensor symmetricSqrt(const at::Tensor& m)
{
    const auto [values, vectors] = at::linalg_eigh(m);
    return vectors.mm(at::diag(values.clamp_min(0).sqrt())).mm(vectors.t());
}

// Radius of each row's k-th nearest neighbour within the same set (itself excluded).
at::Tensor kthNeighbourRadius(const at::Tensor& x, int64_t k)
{
    std::vector<at::Tensor> radii;
    for (int64_t i = 0; i < x.size(0); i += 1024) {
        const auto d = at::cdist(x.slice(0, i, i + 1024), x);
        radii.push_back(std::get<0>(d.topk(k + 1, 1, false, true)).select(1, k)); // index 0 is the point itself
    }
    return at::cat(radii);
}

// Share of queries that fall inside at least one ball (centres, radii).
double coverage(const at::Tensor& queries, const at::Tensor& centres, const at::Tensor& radii)
{
    int64_t inside = 0;
    for (int64_t i = 0; i < queries.size(0); i += 1024) {
        const auto d = at::cdist(queries.slice(0, i, i + 1024), centres);
        inside += d.le(radii.unsqueeze(0)).any(1).sum().item<int64_t>();
    }
    return double(inside) / queries.size(0);
}

} // namespace

double unbiasedPolynomialMmd(const at::Tensor& a, const at::Tensor& b)
{
    const int64_t m = a.size(0), n = b.size(0);
    if (m < 2 || n < 2 || a.size(1) != b.size(1))
        throw Error("KID needs two feature sets of at least 2 rows and equal width");
    const auto x = a.to(at::kDouble), y = b.to(at::kDouble);
    const double f = static_cast<double>(a.size(1));
    const auto kernel = [f](const at::Tensor& p, const at::Tensor& q) { return (p.mm(q.t()) / f + 1.0).pow(3); };
    const auto kxx = kernel(x, x), kyy = kernel(y, y);
    const double sxx = (kxx.sum() - kxx.diagonal().sum()).item<double>() / (double(m) * double(m - 1));
    const double syy = (kyy.sum() - kyy.diagonal().sum()).item<double>() / (double(n) * double(n - 1));
    const double sxy = kernel(x, y).sum().item<double>() / (double(m) * double(n));
    return sxx + syy - 2.0 * sxy;
}

KidEstimate kernelInceptionDistance(const at::Tensor& real, const at::Tensor& fake, int64_t blocks)
{
    KidEstimate k;
    k.blocks = std::max<int64_t>(1, std::min(blocks, std::min(real.size(0), fake.size(0)) / 2));
    k.blockSize = std::min(real.size(0), fake.size(0)) / k.blocks;
    std::vector<double> values;
    for (int64_t i = 0; i < k.blocks; ++i) {
        const int64_t from = i * k.blockSize, to = from + k.blockSize;
        values.push_back(unbiasedPolynomialMmd(real.slice(0, from, to), fake.slice(0, from, to)));
    }
    for (double v : values)
        k.value += v / double(values.size());
    if (values.size() > 1) {
        double var = 0.0;
        for (double v : values)
            var += (v - k.value) * (v - k.value) / double(values.size() - 1);
        k.standardError = std::sqrt(var / double(values.size()));
    } else {
        k.standardError = std::nan("");
    }
    return k;
}

void checkFeatures(const at::Tensor& features, const std::string& who, bool mustVary)
{
    if (features.dim() != 2 || features.size(1) == 0)
        throw Error(who + ": returned no features (shape [" + std::to_string(features.size(0)) + ", 0])");
    if (!at::isfinite(features).all().item<bool>()) throw Error(who + ": returned NaN or infinite features");
    if (mustVary && features.size(0) > 1) {
        const auto f = features.to(at::kDouble);
        const double spread = (std::get<0>(f.max(0)) - std::get<0>(f.min(0))).max().item<double>();
        const double scale = f.abs().max().item<double>();
        if (spread <= 1e-9 * std::max(1.0, scale))
            throw Error(who + ": returns the same features for every image (a constant network cannot tell images "
                              "apart; FD would be 0)");
    }
}

double frechetDistance(const at::Tensor& a, const at::Tensor& b)
{
    if (a.size(0) < 2 || b.size(0) < 2 || a.size(1) != b.size(1))
        throw Error("Fréchet distance needs two feature sets of at least 2 rows and equal width");
    const auto [mu1, c1] = meanAndCovariance(a.to(at::kDouble));
    const auto [mu2, c2] = meanAndCovariance(b.to(at::kDouble));
    const auto s1 = symmetricSqrt(c1);
    const auto m = s1.mm(c2).mm(s1);
    const auto traceSqrt = at::linalg_eigvalsh(0.5 * (m + m.t())).clamp_min(0).sqrt().sum();
    return ((mu1 - mu2).pow(2).sum() + c1.trace() + c2.trace() - 2.0 * traceSqrt).item<double>();
}

std::pair<double, double> precisionRecall(const at::Tensor& real, const at::Tensor& fake, int64_t k)
{
    if (real.size(0) <= k || fake.size(0) <= k) throw Error("precision/recall need more than k samples in each set");
    const auto r = real.to(at::kFloat), f = fake.to(at::kFloat);
    const auto realRadii = kthNeighbourRadius(r, k);
    const auto fakeRadii = kthNeighbourRadius(f, k);
    return {coverage(f, r, realRadii), coverage(r, f, fakeRadii)};
}

double slicedWasserstein(const at::Tensor& a, const at::Tensor& b, int64_t projections, uint64_t seed)
{
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const int64_t n = std::min(a.size(0), b.size(0));
    const auto pa = a.to(at::kDouble).cpu().index_select(0, at::randperm(a.size(0), gen, at::kLong).slice(0, 0, n));
    const auto pb = b.to(at::kDouble).cpu().index_select(0, at::randperm(b.size(0), gen, at::kLong).slice(0, 0, n));
    auto dirs = at::randn({a.size(1), projections}, gen, at::TensorOptions().dtype(at::kDouble));
    dirs = dirs / dirs.norm(2, 0, true);
    const auto sa = std::get<0>(pa.mm(dirs).sort(0));
    const auto sb = std::get<0>(pb.mm(dirs).sort(0));
    return (sa - sb).pow(2).mean().sqrt().item<double>();
}

// The generator draws, in order, a permutation of the smaller set (sorting makes it irrelevant), the reference's
// subsample and the directions.
SlicedWassersteinReference::SlicedWassersteinReference(const at::Tensor& b, int64_t count, int64_t projections,
                                                       uint64_t seed)
{
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    (void)at::randperm(count, gen, at::kLong);
    const auto pb = b.to(at::kDouble).cpu().index_select(0, at::randperm(b.size(0), gen, at::kLong).slice(0, 0, count));
    m_dirs = at::randn({b.size(1), projections}, gen, at::TensorOptions().dtype(at::kDouble));
    m_dirs = m_dirs / m_dirs.norm(2, 0, true);
    m_sorted = std::get<0>(pb.mm(m_dirs).t().contiguous().sort(1));
}

double SlicedWassersteinReference::distance(const at::Tensor& a) const
{
    const auto proj = a.to(at::kDouble).cpu().mm(m_dirs).t().contiguous(); // [P, count]
    const int64_t p = proj.size(0), n = proj.size(1);
    std::vector<double> row(static_cast<size_t>(n));
    const double* src = proj.data_ptr<double>();
    const double* ref = m_sorted.data_ptr<double>();
    double sum = 0.0;
    for (int64_t i = 0; i < p; ++i) { // a plain sort per direction: much faster than at::sort for this shape
        std::copy(src + i * n, src + (i + 1) * n, row.begin());
        std::sort(row.begin(), row.end());
        for (int64_t j = 0; j < n; ++j)
            sum += (row[static_cast<size_t>(j)] - ref[i * n + j]) * (row[static_cast<size_t>(j)] - ref[i * n + j]);
    }
    return std::sqrt(sum / static_cast<double>(p * n));
}

} // namespace dg
