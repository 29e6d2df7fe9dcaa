#include "Job.h"

#include "Commands.h"
#include "Interrupt.h"

#include "dg/Error.h"
#include "dg/LocalJob.h"
#include "dg/SampleCache.h"
#include "dg/Version.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <thread>

namespace dg::cli {
namespace {

LaunchInfo g_launch;
std::vector<std::string> g_commandLine;
std::weak_ptr<DistributedJob> g_job;
int g_errorFd = 2;

} // namespace

void setErrorFd(int fd)
{
    g_errorFd = fd;
}

void setLaunch(const LaunchInfo& launch, const std::vector<std::string>& commandLine)
{
    g_launch = launch;
    g_commandLine = commandLine;
}

const LaunchInfo& launch()
{
    return g_launch;
}

FlagSpec distTimeoutFlag()
{
    return integerFlag("--dist-timeout", "SECONDS",
                       "as one of several processes (torchrun/Slurm variables set, or dg launch): how long to wait for "
                       "a rank that does not arrive or answer before ending with an error naming it",
                       "Distributed", "300", 1, 86400);
}

std::shared_ptr<DistributedJob> joinJob(const ArgParser& args)
{
    if (!g_launch.distributed()) return nullptr;
    std::string line = std::string("dg ") + versionString();
    for (const auto& a : g_commandLine)
        line += '\0' + a;
    const auto timeout = std::chrono::seconds(args.integer("--dist-timeout"));
    // A watchdog over the meeting: c10d can block in a read beyond any timeout (a MASTER_PORT held by a program that
    // is not a store accepts the connection and never answers), and the meeting polls no cancel token. Past
    // --dist-timeout (plus time to connect the peers), or on Ctrl-C, it says so in one line and ends the process.
    std::mutex mutex;
    std::condition_variable met;
    bool done = false;
    const std::string who = "dg " + (g_commandLine.empty() ? std::string() : g_commandLine[0]) + " (rank " +
                            std::to_string(g_launch.rank) + " of " + std::to_string(g_launch.worldSize) + ")";
    const std::string where = g_launch.masterAddr + ":" + std::to_string(g_launch.masterPort);
    std::thread watchdog([&] {
        const auto deadline = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(10);
        const auto end = [&](const std::string& text, int code) {
            const std::string out = who + ": " + text + "\n";
            [[maybe_unused]] const auto written = write(g_errorFd, out.data(), out.size());
            std::_Exit(code);
        };
        std::unique_lock<std::mutex> lock(mutex);
        while (!done) {
            met.wait_for(lock, std::chrono::milliseconds(100));
            if (done) return;
            if (interruptToken().isCancelled())
                end("interrupted; stopped while meeting the job's other ranks at " + where + "; nothing was written",
                    130);
            if (std::chrono::steady_clock::now() > deadline)
                end("error: MASTER_PORT: nothing answered as the job's store at " + where + " within " +
                        std::to_string(timeout.count()) + " s (--dist-timeout); is another program listening there?",
                    1);
        }
    });
    const auto stop = [&] {
        {
            std::lock_guard<std::mutex> lock(mutex);
            done = true;
        }
        met.notify_all();
        watchdog.join();
    };
    std::shared_ptr<DistributedJob> job;
    try {
        job = std::make_shared<DistributedJob>(g_launch, timeout, textHash(line));
    } catch (...) {
        stop();
        if (interruptToken().isCancelled()) // Ctrl-C broke a blocking call of the meeting: not a missing store
            throw Cancelled("stopped while meeting the job's other ranks; nothing was written");
        throw;
    }
    stop();
    g_job = job;
    return job;
}

bool isMainRank(const std::shared_ptr<DistributedJob>& job)
{
    return !job || job->isMain();
}

void reportJobFailure(const std::string& message)
{
    if (auto job = g_job.lock()) job->reportFailure(message);
}

bool inJob()
{
    return !g_job.expired();
}

int runLaunch(const std::vector<std::string>& argv)
{
    const auto split = std::find(argv.begin(), argv.end(), "--");
    const std::vector<std::string> own(argv.begin(), split);
    const std::vector<std::string> command(split == argv.end() ? split : split + 1, argv.end());
    ArgParser a("dg launch",
                {integerFlag("--nproc", "N", "how many processes to start", "", "2", 1, 256),
                 integerFlag("--port", "P", "MASTER_PORT (default: a free port on 127.0.0.1)", "", "", 1, 65535)},
                "Starts N processes of a dg command on this machine as one job, with the variables torchrun sets "
                "(RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1, MASTER_PORT), and waits for all of them. "
                "Exits with the first failing rank's status.\n"
                "Example: dg launch --nproc 2 -- dg gen-fakes --denoiser builtin:fmnist --count 10000 --out fakes.pt");
    if (!a.parse(own)) return 0;
    if (split == argv.end() || command.empty())
        throw UsageError("--: give the command to run after '--' (e.g. dg launch --nproc 2 -- dg gen-fakes ...)");
    const int n = static_cast<int>(a.integer("--nproc"));
    const int port = a.has("--port") ? static_cast<int>(a.integer("--port")) : 0; // 0: a free one
    const std::string program = command[0] == "dg" ? selfPath() : command[0];
    if (command.size() == 1 && (command[0] == "dg" || program == selfPath()))
        throw UsageError("--: '" + command[0] +
                         "' alone names no command to run (e.g. dg launch --nproc 2 -- dg "
                         "gen-fakes ...)");
    if (findProgram(program).empty())
        throw UsageError("--: cannot run '" + program + "' (no such executable" +
                         (program.find('/') == std::string::npos ? " on PATH)" : ")"));
    LocalJob job; // the forking, the environment and the waiting: dg/LocalJob.h
    job.processes = n;
    job.port = port;
    job.argv = command;
    job.argv[0] = program;
    const LocalJobResult r = runLocalJob(job);
    if (r.status != 0)
        std::cerr << "dg launch: rank " << r.rank << " of " << n << " "
                  << (r.signalled ? "was killed by signal " + std::to_string(r.status - 128)
                                  : "exited with status " + std::to_string(r.status) +
                                        (r.status == 2 ? " (a usage error: its message is above)" : ""))
                  << "\n";
    const int result = r.status;
    return result;
}

} // namespace dg::cli
