#pragma once

#include <string>
#include <vector>

namespace dg {

// Every file the backend writes goes through here (docs/RELIABILITY.md, "Safe writes").

// Refuses an output path that exists but is not a regular file (a device node, a FIFO, a directory, a socket):
// writing there would replace or feed something that is not ours. `what` names the flag or role in the message.
void checkOutputTarget(const std::string& path, const std::string& what);

// The file a path names once its symbolic links are followed (a chain of them, relative ones from their own folder;
// a dangling link gives the path it points to). The one symlink policy of every writer: write *through* a link to
// its target, atomically, and keep the link (docs/RELIABILITY.md).
std::string resolveSymlinks(const std::string& path);
// One name for one file: resolveSymlinks, then an absolute path with "." / ".." and linked folders resolved — two
// outputs that compare equal here are the same file.
std::string fileIdentity(const std::string& path);

// Writes bytes to a new temporary file beside path (O_EXCL), checks every write, fsyncs, renames over path and
// fsyncs the folder. A path that is a symbolic link is written through: its target is replaced, the link stays. On any
// failure (a full disk, a quota, a file-size limit) the temporary file is removed, the previous file at path is left as
// it was, and an Error names the path and the system's reason.
void writeFileAtomically(const std::string& path, const std::vector<char>& bytes);

// An exclusive advisory lock (flock) on path + ".lock", held for the object's lifetime, so two processes never
// write the same checkpoint or output. A second writer fails at once with an Error naming the process that holds
// it. The lock file holds the holder's PID and is removed on release. A link is locked at its target, so two names for
// one file share one lock.
class WriteLock
{
public:
    WriteLock() = default;
    WriteLock(const std::string& path, const std::string& what);
    ~WriteLock();
    WriteLock(WriteLock&& other) noexcept;
    WriteLock& operator=(WriteLock&& other) noexcept;
    WriteLock(const WriteLock&) = delete;
    WriteLock& operator=(const WriteLock&) = delete;

private:
    void release() noexcept;
    std::string m_lockPath;
    int m_fd = -1;
};

} // namespace dg
