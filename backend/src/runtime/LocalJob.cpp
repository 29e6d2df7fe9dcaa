#include "dg/LocalJob.h"

#include "dg/Error.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>

namespace dg {
namespace {

pid_t g_children[256];
volatile sig_atomic_t g_childCount = 0;

extern "C" void forwardSignal(int signal)
{
    for (int i = 0; i < g_childCount; ++i)
        kill(g_children[i], signal); // async-signal-safe
}

// A port the kernel says is free on 127.0.0.1 now (it may be taken again before rank 0 binds it: then rank 0 says so).
int freePort()
{
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw Error("‹port›: cannot open a socket to find a free port");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    close(fd);
    if (!ok) throw Error("‹port›: cannot find a free port on 127.0.0.1; give one");
    return ntohs(a.sin_port);
}

} // namespace

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
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

LocalJobResult runLocalJob(const LocalJob& job)
{
    if (job.argv.empty()) throw Error("launch: no program to run");
    const int n = std::clamp(job.processes, 1, 256);
    const int port = job.port > 0 ? job.port : freePort();
    const std::string& program = job.argv[0];
    std::vector<pid_t> children;
    for (int r = 0; r < n; ++r) {
        const pid_t pid = fork();
        if (pid < 0) throw Error("launch: cannot start rank " + std::to_string(r));
        if (pid == 0) {
            setenv("RANK", std::to_string(r).c_str(), 1);
            setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
            setenv("WORLD_SIZE", std::to_string(n).c_str(), 1);
            setenv("LOCAL_WORLD_SIZE", std::to_string(n).c_str(), 1);
            setenv("MASTER_ADDR", "127.0.0.1", 1);
            setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
            std::vector<char*> args;
            for (const auto& c : job.argv)
                args.push_back(const_cast<char*>(c.c_str()));
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
    LocalJobResult result;
    for (int left = n; left > 0; --left) {
        int status = 0;
        const pid_t pid = wait(&status);
        if (pid < 0 && errno == EINTR) {
            ++left; // a forwarded signal interrupted the wait
            continue;
        }
        if (pid < 0) break;
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (code != 0 && result.status == 0) {
            result.rank = static_cast<int>(std::find(children.begin(), children.end(), pid) - children.begin());
            result.status = code;
            result.signalled = !WIFEXITED(status);
        }
    }
    return result;
}

} // namespace dg
