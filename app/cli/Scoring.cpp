#include "Scoring.h"

#include "Interrupt.h"
#include "SamplingFlags.h"

#include <cstdio>

namespace dg::cli {

ScoringSettings scoringSettings(const ArgParser& a, const SampleRequest* r, std::shared_ptr<DistributedJob> job)
{
    ScoringSettings s;
    s.judge = a.text("--judge");
    s.classifier = a.text("--classifier");
    s.toy = a.text("--toy");
    s.reference = a.text("--reference");
    s.bootstrapRounds = static_cast<int>(a.integer("--bootstrap"));
    s.cacheFolder = a.text("--cache");
    s.batch = batchFromFlags(a);
    if (r) s.device = r->device;
    s.job = std::move(job);
    return s;
}

void printProgress(const std::string& label, int64_t done, int64_t total, double etaSeconds)
{
    if (etaSeconds == kScoringStage)
        std::fprintf(stderr, "  %s scoring %lld samples\n", label.c_str(), static_cast<long long>(total));
    else
        std::fprintf(stderr, "  %s %lld/%lld samples  ETA %.0f s\n", label.c_str(), static_cast<long long>(done),
                     static_cast<long long>(total), etaSeconds);
}

void printNote(const std::string& line)
{
    std::fprintf(stderr, "  %s\n", cliFields(line).c_str());
}

HostTensor sampleWithProgress(const ArgParser& a, const SampleRequest& r, const char* label,
                              std::shared_ptr<DistributedJob> job)
{
    SampleScorer scorer(scoringSettings(a, &r, std::move(job)), &interruptToken());
    return scorer.sample(r, label, printProgress, printNote);
}

std::string joinCells(const std::vector<std::string>& cells)
{
    std::string out;
    for (const auto& c : cells)
        out += (out.empty() ? "" : " | ") + c;
    return out;
}

} // namespace dg::cli
