#pragma once

#include "ArgParser.h"

#include "dg/SampleRequest.h"
#include "dg/Tuning.h"

#include <string>

namespace dg::cli {

// The backend's SampleScorer settings from the flags of dg eval/sweep/tune (--judge, --classifier, --toy,
// --bootstrap, --cache, --batch).
ScoringSettings scoringSettings(const ArgParser& a, const SampleRequest* r,
                                std::shared_ptr<DistributedJob> job = nullptr);

// Progress and notes of a scorer on stderr ("  w=2 250/5000 samples  ETA 1201 s").
void printProgress(const std::string& label, int64_t done, int64_t total, double etaSeconds);
void printNote(const std::string& line);

// Samples a request with progress on stderr (through the --cache folder when given).
HostTensor sampleWithProgress(const ArgParser& a, const SampleRequest& r, const char* label,
                              std::shared_ptr<DistributedJob> job = nullptr);

std::string joinCells(const std::vector<std::string>& cells);

} // namespace dg::cli
