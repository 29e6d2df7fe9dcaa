#pragma once

#include <ATen/ATen.h>

#include <string>
#include <utility>

namespace dg {

// What a feature network returned, checked before any distance is computed: at least one feature, every value finite,
// and (for `mustVary`, the real images' features) features that differ between images — a constant judge would score
// every sample set FD 0 and precision/recall 1. `who` names the network in the message.
void checkFeatures(const at::Tensor& features, const std::string& who, bool mustVary);

// Fréchet distance between Gaussians fitted to two feature sets [N, F] (Heusel et al. 2017):
// |μ₁ − μ₂|² + tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½), with tr((Σ₁Σ₂)^½) = Σ √eig(Σ₁^½ Σ₂ Σ₁^½). float64 inside.
double frechetDistance(const at::Tensor& a, const at::Tensor& b);

// Kernel Inception Distance (Bińkowski et al. 2018): the unbiased estimate of MMD² with the cubic polynomial kernel
// k(x, y) = (x·y / F + 1)³, here on `blocks` disjoint pairs of blocks (block i: rows i·b … of each set, b = the smaller
// set's rows / blocks); the result is the mean over the blocks and its standard error (their s.d. / √blocks — the
// blocks are independent). float64 inside.
struct KidEstimate
{
    double value = 0.0;
    double standardError = 0.0;
    int64_t blocks = 0;
    int64_t blockSize = 0;
};
KidEstimate kernelInceptionDistance(const at::Tensor& real, const at::Tensor& fake, int64_t blocks = 10);
// The unbiased MMD² of two feature sets with KID's kernel, on all of their rows.
double unbiasedPolynomialMmd(const at::Tensor& a, const at::Tensor& b);

// Improved precision and recall (Kynkäänniemi et al. 2019): k-NN balls around each real (resp. fake) feature;
// precision = share of fakes inside some real ball, recall = share of reals inside some fake ball.
std::pair<double, double> precisionRecall(const at::Tensor& real, const at::Tensor& fake, int64_t k = 3);

// Sliced 2-Wasserstein distance between point sets [N, D] over `projections` random directions (Rabin et al. 2011);
// the larger set is subsampled to the smaller one's size.
double slicedWasserstein(const at::Tensor& a, const at::Tensor& b, int64_t projections, uint64_t seed);

// The same distance for many sets of `count` points against one reference (a bootstrap): the directions and the
// reference's sorted projections are computed once. distance(a) equals slicedWasserstein(a, b, projections, seed) for
// any a of `count` rows when count <= b's rows.
class SlicedWassersteinReference
{
public:
    SlicedWassersteinReference(const at::Tensor& b, int64_t count, int64_t projections, uint64_t seed);
    double distance(const at::Tensor& a) const;

private:
    at::Tensor m_dirs, m_sorted; // [D, P] and the reference's projections sorted per direction, [P, count]
};

} // namespace dg
