#pragma once

#include "dg/Error.h"
#include "dg/HostTensor.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dg {

// Where this process sits in a job of cooperating processes.
struct LaunchInfo
{
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    std::string source; // "torchrun variables", "Slurm", or empty: one process
    bool distributed() const { return worldSize > 1; }
};

using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;
// torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) when RANK or WORLD_SIZE is set; else
// Slurm's inside an srun step (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, the master the first host of
// SLURM_STEP_NODELIST or SLURM_JOB_NODELIST, the port MASTER_PORT or 29500); else one process. A malformed or
// inconsistent value throws Error naming the variable.
LaunchInfo launchFromEnvironment(const EnvironmentLookup& env);
LaunchInfo launchFromEnvironment(); // the process's environment

// The first host of a Slurm host list: "gpu[07-09,12],cpu1" → "gpu07".
std::string firstSlurmHost(const std::string& nodeList);

// The items [begin, end) of 0 … n − 1 that rank takes of size: contiguous, in rank order, whole blocks of `block`
// items (the last may be short) shared out so that counts of blocks differ by at most one. With block = the batch
// size every rank's batches are batches of the single-process run: the same numbers, bit for bit.
std::pair<int64_t, int64_t> shardOf(int64_t n, int rank, int size, int64_t block = 1);

// A collective failed because a peer died, hung or failed (the message names it).
class PeerLost : public Error
{
public:
    using Error::Error;
};

// One job of cooperating processes on LibTorch's c10d: rank 0 hosts a TCPStore on MASTER_PORT, every rank joins a
// Gloo process group through it. Collectives run on host memory (any device's tensors are copied). A peer that dies,
// never arrives or stops answering ends every other rank's collective with an Error naming it, within the timeout.
class DistributedJob
{
public:
    // Meets every rank within `timeout` (else Error naming the ranks that never arrived) and compares settingsKey
    // (a hash of each rank's command line): a rank started with other settings is refused with one line.
    DistributedJob(const LaunchInfo& launch, std::chrono::milliseconds timeout, const std::string& settingsKey);
    ~DistributedJob();
    DistributedJob(const DistributedJob&) = delete;
    DistributedJob& operator=(const DistributedJob&) = delete;

    int rank() const;
    int size() const;
    bool isMain() const { return rank() == 0; }
    std::pair<int64_t, int64_t> shard(int64_t n, int64_t block = 1) const { return shardOf(n, rank(), size(), block); }
    std::chrono::milliseconds timeout() const;

    // Every rank's part in rank order, concatenated along the first dimension (parts may differ in length, and be
    // empty; the non-empty parts' sample shapes must agree). Every rank receives the whole.
    HostTensor allGather(const HostTensor& part);
    // Element-wise sums over the ranks (in double precision).
    std::vector<double> allReduceSum(const std::vector<double>& values);
    void barrier();
    // Leaves a note for the others ("rank 1 failed: …") before this rank exits with an error; rank 0, whose store
    // the others read it from, waits a moment for them to do so.
    void reportFailure(const std::string& message) noexcept;

    struct Impl;
    Impl& impl() { return *m_impl; }

private:
    std::unique_ptr<Impl> m_impl;
};

// Samples of a run spread over a job: rank r draws samples shard(total, batchSize) of the run (sample i still depends
// only on (seed, i)), calling sampleRange(first, n) for its share unless it is empty, and everyone receives all of
// them in order. progress(done,
// total) sees the whole job's count, after every batch of batchSize (one small collective per batch, which also
// notices a lost peer). Without a job: sampleRange(0, total).
HostTensor spreadSampling(
    DistributedJob* job, int64_t total, int64_t batchSize,
    const std::function<HostTensor(int64_t first, int64_t n, const std::function<void(int64_t done)>& batchDone)>&
        sampleRange,
    const std::function<void(int64_t done, int64_t total)>& progress);

} // namespace dg
