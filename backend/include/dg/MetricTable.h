#pragma once

#include <string>
#include <vector>

namespace dg {

struct MetricInputs; // what a set is scored from: features or points (backend/src/metrics/MetricInputs.h)

// Where a sample set is scored.
enum MetricSpace : unsigned
{
    kFashionMnistSpace = 1, // the judge's features against Fashion-MNIST's test set (the classifier's for FD-cls)
    kReferenceSpace = 2,    // a --judge feature network against --reference images
    kToySpace = 4,          // 2-D points against their toy's mixture
};

struct MetricColumn
{
    std::string name;   // CSV column and column(score, name): "fd_judge"
    std::string header; // table header: "FD (judge)"
    int digits = 3;     // table cells
};

// The one list of metrics: dg eval (and --per-class), sweep and tune, their tables and CSVs, the tune plot and the
// Tune dock build their columns from it. A new metric is one entry here and its compute function
// (backend/src/metrics/MetricTable.cpp).
struct MetricInfo
{
    std::vector<MetricColumn> columns;
    unsigned spaces = 0;                                 // MetricSpace bits: where it is measured
    std::vector<double> (*compute)(const MetricInputs&); // one value per column (NaN: not measured here)
    // The primary metric of its space (lower is better; it chooses the weight): `rounds` bootstrap values over the
    // samples and the references, seeded so that sets of the same size are resampled alike (paired). They give the
    // s.d. column, the paired change band and the share of the gap to the floor. Null for the other metrics.
    std::vector<double> (*bootstrap)(const MetricInputs&, int rounds) = nullptr;
    const char* plot = nullptr; // the tune plot panel its columns are drawn in (one title: one panel); null: none
    bool perClass = false;      // a column of dg eval --per-class
};
const std::vector<MetricInfo>& metricTable();

} // namespace dg
