#include "dg/SafeFile.h"

#include "dg/Error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace dg {
namespace {

std::string folderOf(const std::string& path)
{
    const auto parent = std::filesystem::path(path).parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}

// "dg train-score" for a PID, from /proc (empty when unknown).
std::string commandOf(long pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::string raw{std::istreambuf_iterator<char>(in), {}};
    std::string words;
    size_t start = 0;
    for (int n = 0; n < 2 && start < raw.size(); ++n) {
        const size_t end = raw.find('\0', start);
        std::string word = raw.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (n == 0) word = std::filesystem::path(word).filename().string();
        words += (n ? " " : "") + word;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return words;
}

void writeAll(int fd, const char* data, size_t size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw errno;
        }
        data += n;
        size -= static_cast<size_t>(n);
    }
}

} // namespace

void checkOutputTarget(const std::string& path, const std::string& what)
{
    struct stat st
    {
    };
    if (::stat(path.c_str(), &st) != 0) return; // a new file
    if (S_ISDIR(st.st_mode)) throw Error(what + ": '" + path + "' is a directory, expected a file name");
    if (!S_ISREG(st.st_mode))
        throw Error(what + ": '" + path +
                    "' exists and is not a regular file (a device, pipe or socket); "
                    "choose a new file name");
}

std::string resolveSymlinks(const std::string& path)
{
    namespace fs = std::filesystem;
    fs::path p(path);
    std::error_code ec;
    for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(p, ec)); ++hops) {
        const fs::path target = fs::read_symlink(p, ec);
        if (ec) break;
        p = target.is_absolute() ? target : p.parent_path() / target;
    }
    return p.string();
}

std::string fileIdentity(const std::string& path)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path resolved = fs::weakly_canonical(fs::absolute(resolveSymlinks(path), ec), ec);
    return ec ? fs::absolute(path).lexically_normal().string() : resolved.string();
}

void writeFileAtomically(const std::string& requested, const std::vector<char>& bytes)
{
    const std::string path = resolveSymlinks(requested); // through a link to its target; the link stays
    checkOutputTarget(path, "output");
    const std::string tmp = path + ".tmp" + std::to_string(::getpid());
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EEXIST) { // a leftover of a crashed run with our PID: ours to replace
            ::unlink(tmp.c_str());
            return writeFileAtomically(path, bytes);
        }
        throw Error("'" + path + "': cannot write (" + std::strerror(errno) + ")");
    }
    int failure = 0;
    try {
        writeAll(fd, bytes.data(), bytes.size());
        if (::fsync(fd) != 0) failure = errno;
    } catch (int e) {
        failure = e;
    }
    if (::close(fd) != 0 && failure == 0) failure = errno;
    if (failure == 0 && ::rename(tmp.c_str(), path.c_str()) != 0) failure = errno;
    if (failure != 0) {
        ::unlink(tmp.c_str());
        throw Error("'" + path + "': cannot write (" + std::strerror(failure) + "); the previous file is unchanged");
    }
    // Make the rename itself durable.
    const int dir = ::open(folderOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

WriteLock::WriteLock(const std::string& requested, const std::string& what)
    : m_lockPath(resolveSymlinks(requested) + ".lock")
{
    const std::string& path = requested;
    for (int attempt = 0; attempt < 10; ++attempt) {
        const int fd = ::open(m_lockPath.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            throw Error(what + ": '" + path + "': cannot create the lock file '" + m_lockPath + "' (" +
                        std::strerror(errno) + ")");
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int e = errno;
            char buf[32] = {};
            const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
            ::close(fd);
            if (e != EWOULDBLOCK) throw Error(what + ": '" + path + "': cannot lock (" + std::strerror(e) + ")");
            const long pid = n > 0 ? std::strtol(buf, nullptr, 10) : 0;
            std::string holder = pid > 0 ? "process " + std::to_string(pid) : "another process";
            if (pid > 0) {
                const auto cmd = commandOf(pid);
                if (!cmd.empty()) holder += " (" + cmd + ")";
            }
            throw Error(what + ": '" + path + "' is being written by " + holder +
                        "; wait for it to finish or choose another file");
        }
        // The holder before us may have removed the lock file between our open and our flock: then our lock is on
        // an unlinked file and means nothing. Try again on the file that is there now.
        struct stat held
        {
        }, now{};
        if (::fstat(fd, &held) != 0 || ::stat(m_lockPath.c_str(), &now) != 0 || held.st_ino != now.st_ino ||
            held.st_dev != now.st_dev) {
            ::close(fd);
            continue;
        }
        const std::string pid = std::to_string(::getpid()) + "\n";
        if (::ftruncate(fd, 0) == 0) {
            try {
                writeAll(fd, pid.data(), pid.size());
            } catch (int) {
                // The PID is only for the message of a second writer; the lock itself holds.
            }
        }
        m_fd = fd;
        return;
    }
    throw Error(what + ": '" + path + "': cannot lock (the lock file keeps changing)");
}

WriteLock::~WriteLock()
{
    release();
}

WriteLock::WriteLock(WriteLock&& other) noexcept : m_lockPath(std::move(other.m_lockPath)), m_fd(other.m_fd)
{
    other.m_fd = -1;
}

WriteLock& WriteLock::operator=(WriteLock&& other) noexcept
{
    if (this != &other) {
        release();
        m_lockPath = std::move(other.m_lockPath);
        m_fd = other.m_fd;
        other.m_fd = -1;
    }
    return *this;
}

void WriteLock::release() noexcept
{
    if (m_fd < 0) return;
    ::unlink(m_lockPath.c_str()); // while still holding it: a waiter that opened the old file retries
    ::close(m_fd);
    m_fd = -1;
}

} // namespace dg
