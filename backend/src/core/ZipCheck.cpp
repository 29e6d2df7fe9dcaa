#include "core/ZipCheck.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

namespace dg {
namespace {

// n bytes from at lie inside b (written so that nothing wraps around when b is shorter than n).
bool fits(const std::vector<char>& b, uint64_t at, uint64_t n)
{
    return n <= b.size() && at <= b.size() - n;
}

uint64_t le(const std::vector<char>& b, size_t at, int n)
{
    uint64_t v = 0;
    for (int k = 0; k < n; ++k)
        v |= static_cast<uint64_t>(static_cast<uint8_t>(b[at + k])) << (8 * k);
    return v;
}

} // namespace

bool hasZipDirectory(const std::vector<char>& b)
{
    // The end-of-central-directory record ("PK\5\6", 22 bytes + a comment of at most 65535) closes every zip file.
    if (b.size() < 22) return false;
    const size_t stop = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
    for (size_t i = b.size() - 22 + 1; i-- > stop;)
        if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 5 && b[i + 3] == 6) return true;
    return false;
}

std::string zipIntegrityProblem(const std::vector<char>& b)
{
    // The zip format (PKWARE APPNOTE): end-of-central-directory record, optional zip64 records, the central
    // directory's entries, each naming a local header, the stored bytes and their CRC-32. LibTorch's reader skips the
    // CRC check (its miniz is built without it); a flipped bit is found here.
    const std::string corrupt = "corrupt (";
    if (b.size() < 22) return "truncated (shorter than a zip directory)";
    size_t eocd = std::string::npos;
    const size_t stop = b.size() > 22 + 65535 ? b.size() - 22 - 65535 : 0;
    for (size_t i = b.size() - 22 + 1; i-- > stop;)
        if (le(b, i, 4) == 0x06054b50) {
            eocd = i;
            break;
        }
    if (eocd == std::string::npos) return "truncated (the zip archive has no directory at its end)";
    uint64_t entries = le(b, eocd + 10, 2), dirSize = le(b, eocd + 12, 4), dirOffset = le(b, eocd + 16, 4);
    if (entries == 0xFFFF || dirSize == 0xFFFFFFFF || dirOffset == 0xFFFFFFFF) {
        if (eocd < 20 || le(b, eocd - 20, 4) != 0x07064b50) return corrupt + "a zip64 archive without its locator)";
        const uint64_t z64 = le(b, eocd - 20 + 8, 8);
        if (!fits(b, z64, 56) || le(b, z64, 4) != 0x06064b50) return corrupt + "a bad zip64 directory record)";
        entries = le(b, z64 + 32, 8);
        dirSize = le(b, z64 + 40, 8);
        dirOffset = le(b, z64 + 48, 8);
    }
    if (dirOffset > b.size() || dirSize > b.size() - dirOffset)
        return "truncated (the zip directory lies past the file's end)";
    size_t at = dirOffset;
    for (uint64_t e = 0; e < entries; ++e) {
        if (!fits(b, at, 46) || le(b, at, 4) != 0x02014b50) return corrupt + "a damaged zip directory entry)";
        const uint64_t method = le(b, at + 10, 2), crc = le(b, at + 16, 4);
        uint64_t compressed = le(b, at + 20, 4), uncompressed = le(b, at + 24, 4);
        const size_t nameLen = le(b, at + 28, 2), extraLen = le(b, at + 30, 2), commentLen = le(b, at + 32, 2);
        uint64_t local = le(b, at + 42, 4);
        if (at + 46 + nameLen + extraLen + commentLen > b.size()) return corrupt + "a damaged zip directory entry)";
        // zip64 extended information: the 8-byte values of the fields that read 0xFFFFFFFF, in this order.
        for (size_t x = at + 46 + nameLen; x + 4 <= at + 46 + nameLen + extraLen;) {
            const uint64_t id = le(b, x, 2), len = le(b, x + 2, 2);
            if (x + 4 + len > at + 46 + nameLen + extraLen) return corrupt + "a damaged zip extra field)";
            if (id == 0x0001) {
                size_t f = x + 4;
                auto take = [&](uint64_t& v) {
                    if (v == 0xFFFFFFFF && f + 8 <= x + 4 + len) {
                        v = le(b, f, 8);
                        f += 8;
                    }
                };
                take(uncompressed);
                take(compressed);
                take(local);
            }
            x += 4 + len;
        }
        const std::string name(b.data() + at + 46, nameLen);
        at += 46 + nameLen + extraLen + commentLen;
        if (method != 0 && method != 8) return corrupt + "record '" + name + "' uses an unknown compression)";
        if (!fits(b, local, 30) || le(b, local, 4) != 0x04034b50)
            return corrupt + "record '" + name + "' has no header)";
        const size_t data = local + 30 + le(b, local + 26, 2) + le(b, local + 28, 2);
        if (data > b.size() || compressed > b.size() - data)
            return "truncated (record '" + name + "' runs past the file's end)";
        const auto* start = reinterpret_cast<const Bytef*>(b.data() + data);
        uint64_t actual = 0;
        if (method == 0) {
            if (compressed != uncompressed) return corrupt + "record '" + name + "' has inconsistent sizes)";
            actual = ::crc32(0L, start, static_cast<uInt>(compressed));
        } else { // deflate (the small code records of TorchScript files)
            if (uncompressed > (uint64_t{1} << 28))
                return corrupt + "record '" + name + "' claims an implausible size)";
            std::vector<Bytef> out(static_cast<size_t>(uncompressed) + 1);
            z_stream z{};
            if (inflateInit2(&z, -15) != Z_OK) return "cannot check record '" + name + "' (zlib)";
            z.next_in = const_cast<Bytef*>(start);
            z.avail_in = static_cast<uInt>(compressed);
            z.next_out = out.data();
            z.avail_out = static_cast<uInt>(out.size());
            const int rc = inflate(&z, Z_FINISH);
            const uint64_t produced = z.total_out;
            inflateEnd(&z);
            if (rc != Z_STREAM_END || produced != uncompressed)
                return corrupt + "record '" + name +
                       "' does not decompress: the file was damaged after it was written)";
            actual = ::crc32(0L, out.data(), static_cast<uInt>(produced));
        }
        if (actual != crc)
            return corrupt + "record '" + name + "' fails its CRC-32 check: the file was damaged after it was written)";
    }
    return {};
}

std::string archiveProblem(const std::string& path)
{
    struct stat st
    {
    };
    if (::stat(path.c_str(), &st) != 0) return errno == ENOENT ? "no such file" : std::strerror(errno);
    if (S_ISDIR(st.st_mode)) return "is a directory, expected a file";
    if (!S_ISREG(st.st_mode)) return "not a regular file (a device, pipe or socket)";
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::string("cannot be opened for reading (") + std::strerror(errno) + ")";
    char head[4] = {};
    in.read(head, 4);
    if (in.gcount() < 4 || head[0] != 'P' || head[1] != 'K' || head[2] != 3 || head[3] != 4)
        return "not a zip archive (not written by torch.save, torch.jit.save or dg)";
    const auto size = static_cast<size_t>(st.st_size);
    const size_t tail = std::min<size_t>(size, 22 + 65535);
    std::vector<char> end(tail);
    in.seekg(static_cast<std::streamoff>(size - tail));
    in.read(end.data(), static_cast<std::streamsize>(tail));
    if (!in || !hasZipDirectory(end)) return "truncated (the zip archive has no directory at its end)";
    in.seekg(0);
    std::vector<char> all(size);
    in.read(all.data(), static_cast<std::streamsize>(size));
    if (!in) return "cannot be read to its end";
    return zipIntegrityProblem(all);
}

} // namespace dg
