#pragma once

#include "dg/CancelToken.h"
#include "dg/Evaluation.h"
#include "dg/HostTensor.h"
#include "dg/MetricTable.h"

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace dg {

// What the metric table's functions compute from (one sample set).
struct MetricInputs
{
    MetricSpace space = kFashionMnistSpace;
    // Images: the judge's features of the reference images and of the samples, [M, F] and [N, F], float64 on the CPU;
    // realSubset: the same reals in a fixed random order (precision/recall and KID take its first rows).
    at::Tensor real, realSubset, fake;
    at::Tensor realClassifier, fakeClassifier; // the noise-aware classifier's features (undefined without one)
    // Toys: the samples [N, 2], 20k points of the toy's data and its name.
    at::Tensor points, data;
    const HostTensor* samples = nullptr;
    std::string toy;
    const CancelToken* cancel = nullptr;
};

// Every column of the table's metrics for in.space, in table order (the primary first), and with rounds > 0 the
// primary's bootstrap values. onlyPerClass: the columns of dg eval --per-class alone.
struct MeasuredColumns
{
    std::vector<MetricColumn> columns;
    std::vector<double> values;
    std::vector<double> bootstrap;
    double value(const std::string& name) const; // NaN when absent
};
MeasuredColumns measure(const MetricInputs& in, int rounds, bool onlyPerClass = false);

// The measured columns as ImageMetrics (named fields, every column, the primary's bootstrap and its s.d.).
ImageMetrics imageMetrics(const MeasuredColumns& columns, int64_t samples, int64_t references);
double bootstrapSpread(const std::vector<double>& rounds); // the s.d. of bootstrap values

} // namespace dg
