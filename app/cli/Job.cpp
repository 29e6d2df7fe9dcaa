#include "Job.h"

#include "Commands.h"
#include "Interrupt.h"

#include "dg/Error.h"
#include "dg/SampleCache.h"
#include "dg/Version.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

namespace dg::cli {
namespace {

LaunchInfo g_launch;
std::vector<std::string> g_commandLine;
std::weak_ptr<DistributedJob> g_job;
pid_t g_children[256];
volatile sig_atomic_t g_childCount = 0;
int g_errorFd = 2;

extern "C" void forwardSignal(int signal)
{
    for (int i = 0; i < g_childCount; ++i) kill(g_children[i], signal); // async-signal-safe
}

// A port the kernel says is free on 127.0.0.1 now (it may be taken again before rank 0 binds it: then rank 0 says so).
int freePort()
{
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw Error("--port: cannot open a socket to find a free port");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    close(fd);
    if (!ok) throw Error("--port: cannot find a free port on 127.0.0.1; give one");
    return ntohs(a.sin_port);
}

// The file execvp would run for `program` (a path, or a name looked up on PATH); empty when there is none.
std::string findProgram(const std::string& program)
{
    if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0 ? program : std::string();
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    for (size_t start = 0; start <= dirs.size();) {
        const size_t end = std::min(dirs.find(':', start), dirs.size());
        const std::string candidate = (end > start ? dirs.substr(start, end - start) : ".") + "/" + program;
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return {};
}

std::string selfPath()
{
    char buffer[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string("dg");
}

} // namespace

void setErrorFd(int fd) { g_errorFd = fd; }

void setLaunch(const LaunchInfo& launch, const std::vector<std::string>& commandLine)
{
    g_launch = launch;
    g_commandLine = commandLine;
}

const LaunchInfo& launch() { return g_launch; }

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
    for (const auto& a : g_commandLine) line += '\0' + a;
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
                end("interrupted; stopped while meeting the job's other ranks at " + where + "; nothing was written", 130);
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

bool isMainRank(const std::shared_ptr<DistributedJob>& job) { return !job || job->isMain(); }

void reportJobFailure(const std::string& message)
{
    if (auto job = g_job.lock()) job->reportFailure(message);
}

bool inJob() { return !g_job.expired(); }

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
    const int port = a.has("--port") ? static_cast<int>(a.integer("--port")) : freePort();
    const std::string program = command[0] == "dg" ? selfPath() : command[0];
    if (command.size() == 1 && (command[0] == "dg" || program == selfPath()))
        throw UsageError("--: '" + command[0] + "' alone names no command to run (e.g. dg launch --nproc 2 -- dg "
                         "gen-fakes ...)");
    if (findProgram(program).empty())
        throw UsageError("--: cannot run '" + program + "' (no such executable" +
                         (program.find('/') == std::string::npos ? " on PATH)" : ")"));
    std::vector<pid_t> children;
    for (int r = 0; r < n; ++r) {
        const pid_t pid = fork();
        if (pid < 0) throw Error("dg launch: cannot start rank " + std::to_string(r));
        if (pid == 0) {
            setenv("RANK", std::to_string(r).c_str(), 1);
            setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
            setenv("WORLD_SIZE", std::to_string(n).c_str(), 1);
            setenv("LOCAL_WORLD_SIZE", std::to_string(n).c_str(), 1);
            setenv("MASTER_ADDR", "127.0.0.1", 1);
            setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
            std::vector<char*> args;
            for (const auto& c : command) args.push_back(const_cast<char*>(c.c_str()));
            args.push_back(nullptr);
            execvp(program.c_str(), args.data());
            std::fprintf(stderr, "dg launch: cannot run '%s'\n", program.c_str());
            _exit(127);
        }
        children.push_back(pid);
        g_children[r] = pid;
        g_childCount = r + 1;
    }
    // Ctrl+C or a kill of the launcher reaches every rank (each saves and ends); the launcher waits for them.
    std::signal(SIGINT, forwardSignal);
    std::signal(SIGTERM, forwardSignal);
    int result = 0;
    for (int left = n; left > 0; --left) {
        int status = 0;
        const pid_t pid = wait(&status);
        if (pid < 0 && errno == EINTR) {
            ++left; // a forwarded signal interrupted the wait
            continue;
        }
        if (pid < 0) break;
        const auto rank = std::find(children.begin(), children.end(), pid) - children.begin();
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (code != 0 && result == 0) {
            result = code;
            std::cerr << "dg launch: rank " << rank << " of " << n << " "
                      << (WIFEXITED(status) ? "exited with status " + std::to_string(code) +
                                                  (code == 2 ? " (a usage error: its message is above)" : "")
                                            : "was killed by signal " + std::to_string(WTERMSIG(status)))
                      << "\n";
        }
    }
    return result;
}

} // namespace dg::cli
