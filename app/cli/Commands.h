#pragma once

#include <string>
#include <vector>

namespace dg::cli {

// Each returns the process exit status; errors propagate as dg::Error / UsageError.
int runSample(const std::vector<std::string>& args);
int runDemo(const std::vector<std::string>& args);
int runModels(const std::vector<std::string>& args);
int runTrainScore(const std::vector<std::string>& args);
int runTrainClassifier(const std::vector<std::string>& args);
int runTrainJudge(const std::vector<std::string>& args);
int runTrainDisc(const std::vector<std::string>& args);
int runGenFakes(const std::vector<std::string>& args);
int runEval(const std::vector<std::string>& args);
int runEvalDisc(const std::vector<std::string>& args);
int runSweep(const std::vector<std::string>& args);
int runTune(const std::vector<std::string>& args);
int runExport(const std::vector<std::string>& args);

} // namespace dg::cli
