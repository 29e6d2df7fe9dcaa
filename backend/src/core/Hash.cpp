#include "dg/Hash.h"

#include "dg/Error.h"

#include <nettle/sha2.h>

#include <cstdio>
#include <fstream>
#include <vector>

namespace dg {
namespace {

std::string hexDigest(sha256_ctx& ctx)
{
    uint8_t digest[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, digest);
    char out[2 * SHA256_DIGEST_SIZE + 1];
    for (int i = 0; i < SHA256_DIGEST_SIZE; ++i)
        std::snprintf(out + 2 * i, 3, "%02x", digest[i]);
    return std::string(out, 2 * SHA256_DIGEST_SIZE);
}

} // namespace

std::string sha256Hex(const void* data, size_t size)
{
    sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, size, static_cast<const uint8_t*>(data));
    return hexDigest(ctx);
}

std::string sha256File(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot be read");
    sha256_ctx ctx;
    sha256_init(&ctx);
    std::vector<char> buf(1 << 16);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        sha256_update(&ctx, static_cast<size_t>(in.gcount()), reinterpret_cast<const uint8_t*>(buf.data()));
    }
    if (in.bad()) throw Error(path + ": read failed");
    return hexDigest(ctx);
}

uint64_t fnv1a64(const void* data, size_t size, uint64_t h)
{
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

} // namespace dg
