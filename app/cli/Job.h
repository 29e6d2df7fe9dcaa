#pragma once

#include "ArgParser.h"

#include "dg/Distributed.h"

#include <memory>
#include <string>
#include <vector>

namespace dg::cli {

// The launch environment (torchrun's or Slurm's variables) and the command line, read once by main.
void setLaunch(const LaunchInfo& launch, const std::vector<std::string>& commandLine);
// Where a rank's error lines go (a rank other than 0 silences stderr but keeps a copy of it for them).
void setErrorFd(int fd);
const LaunchInfo& launch();

// --dist-timeout, for the commands that run as a job of several processes.
FlagSpec distTimeoutFlag();
// Joins the job when this process was launched as one of several (null when alone). Ranks compare a hash of their
// command lines. Only rank 0 writes outputs; the others' stdout and stderr are silenced by main (errors excepted).
std::shared_ptr<DistributedJob> joinJob(const ArgParser& args);
bool isMainRank(const std::shared_ptr<DistributedJob>& job);
// Called on an error: leaves the message for the job's other ranks (they name this rank when they end).
void reportJobFailure(const std::string& message);
bool inJob();

// dg launch --nproc N -- dg COMMAND ...: starts N local processes with torchrun's variables set.
int runLaunch(const std::vector<std::string>& args);

} // namespace dg::cli
