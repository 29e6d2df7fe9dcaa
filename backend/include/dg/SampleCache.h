#pragma once

#include "dg/CancelToken.h"
#include "dg/HostTensor.h"
#include "dg/Sampling.h"

#include <cstdint>
#include <functional>
#include <string>

namespace dg {

// Finished batches of sampling runs kept in a folder, so that an interrupted or repeated sweep resumes where it
// stopped instead of sampling again (dg sweep/tune/eval --cache, the Tune dock). A batch's file is named by a hash of
// everything its samples depend on: the request's settings (weights, schedule, seed, class, preset), the resolved
// device, the sample range, the program's code version (git commit) and the SHA-256 of the model and noise files — a
// retrained model, another weight, another build or another device never reuses a batch. Files are written atomically
// (a killed run leaves whole batches or none) and sealed (sealCacheFile); a batch whose seal is missing or does not
// match its bytes and key, or that no longer reads back as the samples it should hold, is sampled again and replaced.
class SampleCache
{
public:
    // The folder is created when missing (its parent must exist); an Error names it otherwise.
    explicit SampleCache(std::string folder);

    // sampleInBatches with the cache: each batch of batchSize samples is read from the folder when present, else
    // sampled and stored. progress(done, total) after each batch.
    HostTensor sample(const LoadedRequest& loaded, const SampleRequest& request, int64_t batchSize,
                      const std::function<void(int64_t, int64_t)>& progress, const CancelToken* cancel);

    // The hash (16 hex digits) naming a request's batches, without the sample range; other caches of the same run
    // (a sweep's scores) extend it.
    static std::string key(const LoadedRequest& loaded, const SampleRequest& request);

    const std::string& folder() const { return m_folder; }
    int64_t batchesRead() const { return m_read; }         // batches taken from the folder
    int64_t batchesSampled() const { return m_sampled; }   // batches sampled and stored
    int64_t batchesReplaced() const { return m_replaced; } // present but unreadable or of the wrong shape
    int64_t batchesUnsealed() const { return m_unsealed; } // present but their seal is missing or does not match

private:
    std::string m_folder;
    int64_t m_read = 0, m_sampled = 0, m_replaced = 0, m_unsealed = 0;
};

// A cache entry's seal: FILE.sha256 holds the SHA-256 of FILE's bytes and the key FILE was made under, written
// atomically after FILE. A file edited, truncated or copied in from another key no longer matches its seal.
void sealCacheFile(const std::string& file, const std::string& key);
enum class CacheSeal
{
    Missing,
    Valid,
    Broken
}; // Missing: FILE is absent; Broken: FILE without a matching seal
CacheSeal checkCacheSeal(const std::string& file, const std::string& key);

// A 64-bit FNV-1a hash of a file's bytes, as 16 hex digits (short names, not a cryptographic hash).
std::string fileHash(const std::string& path);
std::string textHash(const std::string& text); // the same hash of a string

} // namespace dg
