#pragma once

#include "ArgParser.h"

#include "dg/Evaluation.h"
#include "dg/HostTensor.h"
#include "dg/Image.h"
#include "dg/SampleCache.h"
#include "dg/SampleRequest.h"

#include <memory>
#include <string>
#include <vector>

namespace dg::cli {

// One sample set's metrics: the table's cells and the numbers behind them (for CSV and the best row).
struct Score
{
    std::vector<std::string> names; // column names (CSV)
    std::vector<double> values;
    std::vector<std::string> cells; // table cells
    double primary = 0.0;           // FD (judge) or SW2: lower is better
    std::vector<double> bootstrap;  // FD per bootstrap round (paired across sets of the same size)
    std::string header;             // the table header of its columns
};

// Scores sample sets with the flags of dg eval (--judge, --classifier, --toy, --bootstrap); the judge, the classifier
// and the real images' features are loaded once, on first use.
class Scorer
{
public:
    Scorer(const ArgParser& a, const SampleRequest* r);
    ~Scorer();

    Score score(const HostTensor& samples);
    // Samples the request (--batch; with --cache, batch by batch through the cache) and scores it. With --cache the
    // score itself is kept too, keyed by the samples' key and the scorer's settings and files, so a repeated row of
    // a sweep costs nothing.
    Score sampleAndScore(const SampleRequest& r, const std::string& label);

    // The table header of the last scored set, and its rule line.
    std::string header() const { return m_header; }
    std::string rule(int extraColumns = 0) const;

private:
    std::string key(bool points);

    const ArgParser& m_args;
    const SampleRequest* m_request;
    std::string m_toy, m_header;
    std::unique_ptr<FashionMnistEvaluator> m_evaluator;
};

// Samples a request with progress on stderr (through the --cache folder when given).
HostTensor sampleWithProgress(const ArgParser& a, const SampleRequest& r, const char* label);
HostTensor sampleCached(const ArgParser& a, SampleCache& cache, const LoadedRequest& loaded, const SampleRequest& r,
                        const char* label);

// The value of a named column of a score (NaN when absent).
double column(const Score& score, const std::string& name);

// dg tune --plot: the metrics against the weight. Images: judge FD (with its bootstrap ±1.645 s.d. band when measured)
// and the unguided FD as a dashed line, the change against the reference row with its 90 % paired band, precision and
// recall; toys: SW2 and NLL. The best row is marked.
RgbImage tunePlot(const std::vector<std::pair<double, Score>>& rows, size_t best);

std::string fixed(double v, int digits);
std::string joinCells(const std::vector<std::string>& cells);

} // namespace dg::cli
