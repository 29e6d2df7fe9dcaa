#pragma once

#include "dg/CancelToken.h"
#include "dg/Device.h"
#include "dg/HostTensor.h"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace dg {

// The EDM/DG pipeline scores samples after writing them as 8-bit PNGs: v = clip(floor(127.5·x + 128), 0, 255), read
// back as v/127.5 − 1 (EDM generate.py). The real Fashion-MNIST images sit on the same grid; the map is idempotent.
HostTensor quantize8(const HostTensor& samples);

// Fashion-MNIST metrics, measured the FID way (Fréchet distance of Gaussian fits to features) against the 10k test
// images, on samples clipped and quantized by quantize8 first (the paper's protocol):
// - fd, precision, recall in the feature space of the independent judge (fmnist-judge.pt, dg train-judge), which no
//   discriminator uses. Precision/recall: Kynkäänniemi et al. 2019, k = 3, with equal numbers of real and generated
//   samples (min(N, 10000) of each; the reals a fixed random subset of the test set).
// - fdClassifier: FD in the noise-aware classifier's features — the space the discriminators are built on, so
//   guidance moves samples in the very space it reads; reported as a second, labelled number (NaN when not asked for).
struct ImageMetrics
{
    double fd = std::nan("");
    double precision = std::nan("");
    double recall = std::nan("");
    double fdClassifier = std::nan("");
    // KID (Bińkowski et al. 2018) in the judge's features: the unbiased MMD² with the cubic polynomial kernel, the
    // mean over 10 disjoint blocks of samples (each against its own block of the reals) and its standard error.
    double kid = std::nan("");
    double kidStandardError = std::nan("");
    int64_t samples = 0;
    int64_t references = 0;
    int64_t prSamples = 0; // samples per side for precision/recall
    // With bootstrap rounds: the standard deviation of the judge FD over resamplings (with replacement) of the
    // generated samples and of the reference images — the sampling noise of N samples and of the test set. (Not a
    // percentile band: a resampled set repeats samples, which biases its FD upwards, at small N by more than the
    // spread.)
    double fdSpread = std::nan("");
    // The FD of every bootstrap round. The resampling is seeded by N alone, so two sets of the same size (a sweep's
    // rows, drawn from the same seeds) are resampled at the same indices (samples and references alike): their
    // per-round differences give a paired band on the change in FD, much narrower than either band.
    std::vector<double> fdBootstrap;
    // Every column of the metric table measured here (dg/MetricTable.h), in table order; the fields above are the
    // named ones of today's table.
    std::vector<std::string> names;
    std::vector<double> values;
    double value(const std::string& name) const; // NaN when absent
};

// Loads the judge (and the classifier, unless its path is empty) and extracts the real images' features once, so a
// sweep scores every weight against the same reference without recomputing it. A cancel token, when given, is polled
// between feature batches (throws Cancelled). With a job of cooperating processes each rank extracts the features of
// its share of the images (reals and samples) and all ranks gather them: every rank computes the same metrics.
class DistributedJob;
struct MetricInputs;
class FashionMnistEvaluator
{
public:
    FashionMnistEvaluator(const std::string& judgePath, const std::string& classifierPath, Device device,
                          const CancelToken* cancel = nullptr, DistributedJob* job = nullptr);
    ~FashionMnistEvaluator();
    FashionMnistEvaluator(const FashionMnistEvaluator&) = delete;
    FashionMnistEvaluator& operator=(const FashionMnistEvaluator&) = delete;

    ImageMetrics evaluate(const HostTensor& samples, int bootstrapRounds = 0) const;
    // Per class (dg eval --per-class): the samples of class c (labels[i], 0 … 9) against the test images of class c —
    // FD, precision, recall (min of the two counts per side) and KID; one entry per class, in order. A class with
    // fewer than 10 samples gets NaN metrics and its sample count.
    std::vector<ImageMetrics> evaluatePerClass(const HostTensor& samples, const std::vector<int64_t>& labels) const;
    // The checks evaluate() starts with (shape [N, 1, 28, 28], N >= 10, no NaN), without loading anything.
    static void checkSamples(const HostTensor& samples);
    // The judge's (and classifier's) features of the samples beside the test images': what the metric table computes
    // from (backend/src/metrics/MetricInputs.h).
    MetricInputs inputs(const HostTensor& samples) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Real images scored like samples (the floor of every metric: what the data itself scores against the test set):
// Fashion-MNIST training images first … first + count − 1 of a fixed random order (seed), [count, 1, 28, 28] in
// [-1, 1]. Disjoint ranges are disjoint blocks of the 60,000 training images; an Error when the range exceeds them.
HostTensor fashionMnistTrainingBlock(int64_t first, int64_t count, uint64_t seed);

// The q-quantile (0..1) of sorted values, nearest rank.
double percentile(const std::vector<double>& sorted, double q);

ImageMetrics evaluateFashionMnist(const HostTensor& samples, const std::string& judgePath,
                                  const std::string& classifierPath, Device device);

// Any images (colour, any size): FD, precision and recall (k = 3, min(N, M, 10000) of each side) of the samples
// against reference images [M, C, H, W] (e.g. a data set's test images, torch.save), both quantized by quantize8, in
// the features of a TorchScript feature network `features` (forward(x: Tensor) -> Tensor [N, F]; e.g. an Inception
// network for the paper's FID). Errors (shapes, NaN, a network that does not return [N, F]) name the file.
ImageMetrics evaluateAgainstReference(const HostTensor& samples, const HostTensor& reference,
                                      const std::string& featuresPath, Device device,
                                      const CancelToken* cancel = nullptr);

// For a built-in toy: sliced 2-Wasserstein distance to 20k data samples, and NLL under the true data mixture.
struct ToyMetrics
{
    double slicedWasserstein = std::nan("");
    double nll = std::nan("");
    // With bootstrap rounds: SW2 of each resampling of the points (seeded by N alone, so sets of the same size are
    // resampled at the same indices — paired, as for the images' FD) and their standard deviation.
    std::vector<double> swBootstrap;
    double swSpread = std::nan("");
    std::vector<std::string> names; // every column of the metric table measured here, in table order
    std::vector<double> values;
};
ToyMetrics evaluateToy(const std::string& toy, const HostTensor& samples, int bootstrapRounds = 0);

} // namespace dg
