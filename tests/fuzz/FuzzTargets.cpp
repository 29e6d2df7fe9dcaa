// libFuzzer targets (docs/RELIABILITY.md, "Fuzzing"): each reader gets arbitrary bytes and must either succeed or throw
// dg::Error. Any other exception, a crash, a hang or a sanitizer report is a finding. One source, one target per
// DG_FUZZ_TARGET value (tests/fuzz/CMakeLists.txt).
#include "data/FashionMnist.h"
#include "dg/Error.h"
#include "dg/Image.h"
#include "dg/SampleRequest.h"
#include "dg/TensorFile.h"
#include "metrics/ScoreFile.h"
#include "models/Checkpoint.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

void run(const uint8_t* data, size_t size)
{
    const std::string name = "fuzz-input";
#if DG_FUZZ_TARGET == 1
    dg::decodeTensorFile(std::vector<char>(data, data + size), name);
#elif DG_FUZZ_TARGET == 2
    dg::parseIdx(std::vector<uint8_t>(data, data + size), name);
#elif DG_FUZZ_TARGET == 3
    const std::vector<unsigned char> bytes(data, data + size);
    dg::decodePngText(bytes, name);
    dg::decodePng(bytes, name);
#elif DG_FUZZ_TARGET == 4
    dg::requestFromJson(std::string(reinterpret_cast<const char*>(data), size));
#elif DG_FUZZ_TARGET == 5
    // The checkpoint reader works on files (LibTorch's archive reader opens a path).
    static const std::string path = "/tmp/dg-fuzz-checkpoint-" + std::to_string(::getpid()) + ".pt";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    dg::readCheckpointMeta(path);
#elif DG_FUZZ_TARGET == 6
    // A cached score of --cache: never throws; a decoded score is consistent.
    if (const auto score = dg::decodeScore(std::string(reinterpret_cast<const char*>(data), size)))
        if (score->names.size() != score->values.size() || score->cells.size() != score->values.size()) std::abort();
#endif
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        run(data, size);
    } catch (const dg::Error&) {
        // the promised outcome for bad input: a one-line error
    }
    return 0;
}
