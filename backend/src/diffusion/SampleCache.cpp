#include "dg/SampleCache.h"

#include "dg/Device.h"
#include "dg/Error.h"
#include "dg/Hash.h"
#include "dg/Models.h"
#include "dg/SafeFile.h"
#include "dg/SampleRequest.h"
#include "dg/TensorFile.h"
#include "dg/Version.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace dg {
namespace {

void mix(uint64_t& h, const char* data, size_t n)
{
    h = fnv1a64(data, n, h);
}

void mix(uint64_t& h, const std::string& s)
{
    mix(h, s.data(), s.size());
    mix(h, "\n", 1);
}

std::string hex(uint64_t h)
{
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

// What a model spec's samples depend on: the spec and the SHA-256 of the file it reads (none for analytic built-ins,
// whose code is the program's, in the key through codeVersion()).
std::string modelIdentity(const std::string& spec, ModelRole role)
{
    if (spec.empty()) return "none";
    const std::string file = modelFile(spec, role);
    return spec + " " + (file.empty() ? std::string("code") : "sha256 " + sha256File(file));
}

std::string sealText(const std::string& file, const std::string& key)
{
    return "dg cache seal 1\n" + sha256File(file) + "\n" + key + "\n";
}

} // namespace

std::string textHash(const std::string& text)
{
    uint64_t h = kFnvOffset;
    mix(h, text.data(), text.size());
    return hex(h);
}

std::string fileHash(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot be read");
    uint64_t h = kFnvOffset;
    std::vector<char> buf(1 << 16);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        mix(h, buf.data(), static_cast<size_t>(in.gcount()));
    }
    if (in.bad()) throw Error(path + ": read failed");
    return hex(h);
}

std::string SampleCache::key(const LoadedRequest& loaded, const SampleRequest& request)
{
    // Everything but the sample range: the settings without count and first sample, the device, the models' bytes.
    SampleRequest keyed = request;
    keyed.settings.count = 1;
    keyed.settings.firstSample = 0;
    keyed.device = loaded.device;
    keyed.noiseFile.clear();
    uint64_t h = kFnvOffset;
    mix(h, "dg sample cache 2");
    mix(h, codeVersion());
    mix(h, "intra-op threads " + std::to_string(intraOpThreads())); // they change the last bits of a batch
    mix(h, toJson(keyed));
    mix(h, modelIdentity(request.denoiser, ModelRole::Denoiser));
    mix(h, modelIdentity(request.discriminator, ModelRole::Discriminator));
    mix(h, request.noiseFile.empty() ? std::string("seeded noise") : "sha256 " + sha256File(request.noiseFile));
    return hex(h);
}

void sealCacheFile(const std::string& file, const std::string& key)
{
    const std::string text = sealText(file, key);
    writeFileAtomically(file + ".sha256", std::vector<char>(text.begin(), text.end()));
}

CacheSeal checkCacheSeal(const std::string& file, const std::string& key)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) return CacheSeal::Missing;
    std::ifstream in(file + ".sha256", std::ios::binary);
    if (!in) return CacheSeal::Broken;
    std::string seal((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
        return seal == sealText(file, key) ? CacheSeal::Valid : CacheSeal::Broken;
    } catch (const Error&) {
        return CacheSeal::Broken;
    }
}

SampleCache::SampleCache(std::string folder) : m_folder(std::move(folder))
{
    if (m_folder.empty()) throw Error("‹cache›: no folder given");
    std::error_code ec;
    if (std::filesystem::is_directory(m_folder, ec)) return;
    if (std::filesystem::exists(m_folder, ec)) throw Error("‹cache›: " + m_folder + " exists and is not a folder");
    std::filesystem::create_directory(m_folder, ec);
    if (ec) throw Error("‹cache›: cannot create folder " + m_folder + ": " + ec.message());
}

HostTensor SampleCache::sample(const LoadedRequest& loaded, const SampleRequest& request, int64_t batchSize,
                               const std::function<void(int64_t, int64_t)>& progress, const CancelToken* cancel)
{
    batchSize = resolveBatchSize(batchSize, loaded.sampleShape, loaded.device);
    const std::string prefix = m_folder + "/" + key(loaded, request);
    {
        // For whoever looks into the folder: what the batches of this key are.
        const std::string about = prefix + ".json";
        std::error_code ec;
        if (!std::filesystem::exists(about, ec)) {
            const std::string json = toJson(request) + "\n";
            writeFileAtomically(about, std::vector<char>(json.begin(), json.end()));
        }
    }

    const auto& shape = loaded.sampleShape;
    const std::string batchKey = key(loaded, request);
    return collectBatches(
        loaded, request, batchSize,
        [&](int64_t first, int64_t n) {
            const int64_t index = request.settings.firstSample + first;
            const std::string file = prefix + "-" + std::to_string(index) + "-" + std::to_string(n) + ".pt";
            std::vector<int64_t> want = {n};
            want.insert(want.end(), shape.begin(), shape.end());
            const std::string sealKey = batchKey + " " + std::to_string(index) + " " + std::to_string(n);
            const auto seal = checkCacheSeal(file, sealKey);
            if (seal == CacheSeal::Broken) {
                ++m_unsealed;
            } else if (seal == CacheSeal::Valid) {
                try {
                    auto part = loadTensorFile(file);
                    if (part.shape == want) {
                        ++m_read;
                        return part;
                    }
                } catch (const Error&) {
                }
                ++m_replaced;
            }
            SampleRequest part = request;
            part.settings.count = n;
            part.settings.firstSample = index;
            LoadedRequest one{loaded.device, std::nullopt, loaded.denoiser, loaded.discriminator, shape};
            if (loaded.noise) one.noise = loaded.noise->slice(first, n);
            auto x = sampleInBatches(one, part, n, nullptr, cancel);
            saveTensorFile(x, file);
            sealCacheFile(file, sealKey);
            ++m_sampled;
            return x;
        },
        progress);
}

} // namespace dg
