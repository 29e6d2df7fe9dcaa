#pragma once

#include <string>
#include <vector>

namespace dg {

// N processes of one program on this machine as a job (`dg launch`): each gets the variables torchrun sets (RANK,
// LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1, MASTER_PORT), SIGINT/SIGTERM reach every rank,
// and the call waits for all of them.
struct LocalJob
{
    int processes = 2;
    int port = 0;                  // MASTER_PORT; 0: a free port on 127.0.0.1
    std::vector<std::string> argv; // argv[0]: a path, or a name looked up on PATH
};

// The first failing rank: its rank and exit status (128 + signal when killed); status 0 when all succeeded.
struct LocalJobResult
{
    int rank = -1;
    int status = 0;
    bool signalled = false;
};

// Throws dg::Error (naming ‹port› or the program) when no port is free or the program cannot be run.
LocalJobResult runLocalJob(const LocalJob& job);

std::string findProgram(const std::string& program); // the file execvp would run; empty when there is none
std::string selfPath();                              // this process's executable (/proc/self/exe)

} // namespace dg
