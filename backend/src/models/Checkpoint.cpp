#include "models/Checkpoint.h"

#include "core/TorchSaveCheck.h"
#include "dg/Error.h"
#include "dg/Hash.h"
#include "dg/SafeFile.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include <sys/stat.h>

namespace dg {
namespace {

void writeConfig(torch::serialize::OutputArchive& a, const std::string& prefix, const NetConfig& c)
{
    a.write(prefix + "_arch", c10::IValue(c.arch));
    for (const auto& [k, v] : c.toMap())
        a.write(prefix + "_" + k, c10::IValue(v));
}

NetConfig readConfig(torch::serialize::InputArchive& a, const std::string& prefix)
{
    c10::IValue arch;
    if (!a.try_read(prefix + "_arch", arch)) return {};
    std::map<std::string, int64_t> values;
    for (const auto& [k, v] : NetConfig().toMap()) {
        c10::IValue iv;
        if (a.try_read(prefix + "_" + k, iv)) values[k] = iv.toInt();
    }
    return NetConfig::fromMap(arch.toStringRef(), values);
}

// One version of a file: a rewrite (atomic rename: a new inode) or an edit in place (size, mtime) is another.
struct FileVersion
{
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    int64_t mtimeNs = 0;
    bool operator==(const FileVersion& o) const
    {
        return device == o.device && inode == o.inode && size == o.size && mtimeNs == o.mtimeNs;
    }
};

std::optional<FileVersion> versionOf(const std::string& path)
{
    struct stat st
    {
    };
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return FileVersion{st.st_dev, st.st_ino, st.st_size, int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec};
}

// Loading a model opens its checkpoint two or three times (kind, metadata, weights); the whole-file CRC check
// (archiveProblem) runs once per version of the file.
void verifyArchive(const std::string& path)
{
    static std::mutex mutex;
    static std::map<std::string, FileVersion> verified;
    const auto before = versionOf(path);
    {
        const std::lock_guard<std::mutex> lock(mutex);
        if (const auto it = verified.find(path); before && it != verified.end() && it->second == *before) return;
    }
    if (const auto problem = archiveProblem(path); !problem.empty()) throw Error("'" + path + "': " + problem);
    // File times are coarse (a clock tick): a version younger than a second could be edited again under the same
    // time stamp, so only settled files are remembered.
    const auto now =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    if (before && now - before->mtimeNs > 1000000000 && versionOf(path) == before) {
        const std::lock_guard<std::mutex> lock(mutex);
        verified[path] = *before;
    }
}

torch::serialize::InputArchive openArchive(const std::string& path)
{
    verifyArchive(path);
    torch::serialize::InputArchive a;
    try {
        a.load_from(path);
    } catch (const std::exception&) {
        throw Error("'" + path + "': not a checkpoint (unreadable or corrupt archive)");
    }
    return a;
}

// A checksum that catches a flipped bit or a swapped file (FNV-1a, dg/Hash.h), not an attacker.
struct Fnv
{
    uint64_t h = kFnvOffset;
    void add(const void* data, size_t n) { h = fnv1a64(data, n, h); }
    void add(const std::string& s) { add(s.data(), s.size() + 1); }
};

int64_t moduleChecksum(const torch::nn::Module& module)
{
    Fnv f;
    auto addAll = [&](const torch::OrderedDict<std::string, at::Tensor>& tensors) {
        for (const auto& item : tensors) {
            f.add(item.key());
            const auto t = item.value().detach().to(at::kCPU).contiguous();
            f.add(t.data_ptr(), t.numel() * t.element_size());
        }
    };
    addAll(module.named_parameters(true));
    addAll(module.named_buffers(true));
    return static_cast<int64_t>(f.h);
}

int64_t metaChecksum(const CheckpointMeta& m)
{
    Fnv f;
    f.add(m.kind);
    for (const NetConfig* c : {&m.net, &m.encoder}) {
        f.add(c->arch);
        for (const auto& [k, v] : c->toMap()) {
            f.add(k);
            f.add(&v, sizeof v);
        }
    }
    f.add(m.dataset);
    for (int64_t v : {m.iterations, m.batchSize, static_cast<int64_t>(m.seed)})
        f.add(&v, sizeof v);
    for (double v : {m.lr, m.emaDecay, m.loss, m.accuracy, m.seconds})
        f.add(&v, sizeof v);
    return static_cast<int64_t>(f.h);
}

} // namespace

static CheckpointMeta readMeta(torch::serialize::InputArchive& a, const std::string& path);

void saveCheckpoint(const std::string& path, const CheckpointMeta& m, const std::vector<NamedModule>& modules,
                    torch::optim::Optimizer* optimizer)
{
    torch::serialize::OutputArchive a;
    a.write("meta_kind", c10::IValue(m.kind));
    writeConfig(a, "meta_net", m.net);
    if (!m.encoder.arch.empty()) writeConfig(a, "meta_encoder", m.encoder);
    a.write("meta_dataset", c10::IValue(m.dataset));
    a.write("meta_iterations", c10::IValue(m.iterations));
    a.write("meta_batch_size", c10::IValue(m.batchSize));
    a.write("meta_lr", c10::IValue(m.lr));
    a.write("meta_ema_decay", c10::IValue(m.emaDecay));
    a.write("meta_loss", c10::IValue(m.loss));
    a.write("meta_accuracy", c10::IValue(m.accuracy));
    a.write("meta_seconds", c10::IValue(m.seconds));
    a.write("meta_seed", c10::IValue(static_cast<int64_t>(m.seed)));
    a.write("meta_checksum", c10::IValue(metaChecksum(m)));
    for (const auto& nm : modules) {
        a.write("meta_checksum_" + nm.name, c10::IValue(moduleChecksum(*nm.module)));
        torch::serialize::OutputArchive sub;
        nm.module->save(sub);
        a.write(nm.name, sub);
    }
    if (optimizer) {
        torch::serialize::OutputArchive sub;
        optimizer->save(sub);
        a.write("optimizer", sub);
    }
    // Serialized in memory, then written by writeFileAtomically: LibTorch's own file writer throws from a destructor
    // on a full disk (std::terminate) and leaves its temporary file behind.
    std::ostringstream buffer;
    try {
        a.save_to(buffer);
    } catch (const std::exception&) {
        throw Error("'" + path + "': cannot serialize the checkpoint");
    }
    const std::string bytes = buffer.str();
    writeFileAtomically(path, std::vector<char>(bytes.begin(), bytes.end()));
}

Cancelled stoppedTraining(int64_t start, int64_t finished, const std::string& path)
{
    if (finished > start)
        return Cancelled("iterations " + std::to_string(start) + " to " + std::to_string(finished) + " are saved in '" +
                         path + "' (run the same command again to resume)");
    return Cancelled(
        "no iteration finished, so nothing was written" +
        (start > 0 ? "; '" + path + "' still holds its " + std::to_string(start) + " iterations" : std::string()));
}

void checkSameWidth(const CheckpointMeta& held, int64_t asked, const std::string& path, const std::string& flag)
{
    if (asked <= 0 || asked == held.net.channels) return;
    throw Error(flag + " " + std::to_string(asked) + ": '" + path + "' holds a network of width " +
                std::to_string(held.net.channels) + ", which a resumed run keeps (leave " + flag +
                " out, or pass ‹no-resume› to start afresh)");
}

void checkNoRewind(const CheckpointMeta& held, int64_t target, const std::string& path, const std::string& flag,
                   int64_t perUnit)
{
    if (held.iterations <= target) return;
    const std::string unit = flag == "‹epochs›" ? " epochs" : " iterations";
    const auto units = [&](int64_t its) {
        return perUnit > 1 && its % perUnit != 0 ? std::to_string(its) + " iterations"
                                                 : std::to_string(its / perUnit) + unit;
    };
    throw Error(flag + ": '" + path + "' already holds " + units(held.iterations) + " (asked for " + units(target) +
                "); a resumed run never rewinds: ask for at least that many, or pass ‹no-resume› to start over");
}

bool isCheckpoint(const std::string& path)
{
    try {
        auto a = openArchive(path);
        c10::IValue kind;
        return a.try_read("meta_kind", kind);
    } catch (const std::exception&) {
        return false;
    }
}

CheckpointMeta readCheckpointMeta(const std::string& path)
{
    auto a = openArchive(path);
    try {
        return readMeta(a, path);
    } catch (const Error&) {
        throw;
    } catch (const std::exception&) {
        throw Error("'" + path + "': corrupt (its metadata has values of the wrong type)");
    }
}

static CheckpointMeta readMeta(torch::serialize::InputArchive& a, const std::string& path)
{
    CheckpointMeta m;
    c10::IValue v;
    if (!a.try_read("meta_kind", v)) throw Error("'" + path + "': not a DG Studio checkpoint (no metadata)");
    m.kind = v.toStringRef();
    m.net = readConfig(a, "meta_net");
    m.encoder = readConfig(a, "meta_encoder");
    auto num = [&](const char* key, double fallback) { return a.try_read(key, v) ? v.toDouble() : fallback; };
    auto integer = [&](const char* key) { return a.try_read(key, v) ? v.toInt() : int64_t{0}; };
    if (a.try_read("meta_dataset", v)) m.dataset = v.toStringRef();
    m.iterations = integer("meta_iterations");
    m.batchSize = integer("meta_batch_size");
    m.seed = static_cast<uint64_t>(integer("meta_seed"));
    m.lr = num("meta_lr", 0.0);
    m.emaDecay = num("meta_ema_decay", 0.0);
    m.loss = num("meta_loss", std::nan(""));
    m.accuracy = num("meta_accuracy", std::nan(""));
    m.seconds = num("meta_seconds", 0.0);
    // Checkpoints written before checksums existed have none; any other mismatch is corruption.
    if (a.try_read("meta_checksum", v) && (!v.isInt() || v.toInt() != metaChecksum(m)))
        throw Error("'" + path + "': corrupt (its metadata does not match their checksum)");
    return m;
}

void loadCheckpoint(const std::string& path, const std::vector<NamedModule>& modules,
                    torch::optim::Optimizer* optimizer)
{
    auto a = openArchive(path);
    for (const auto& nm : modules) {
        torch::serialize::InputArchive sub;
        if (!a.try_read(nm.name, sub)) throw Error("'" + path + "': checkpoint has no '" + nm.name + "' weights");
        try {
            nm.module->load(sub);
        } catch (const std::exception&) {
            throw Error("'" + path + "': the '" + nm.name + "' weights do not fit the architecture in its metadata");
        }
        c10::IValue sum;
        if (a.try_read("meta_checksum_" + nm.name, sum) && (!sum.isInt() || sum.toInt() != moduleChecksum(*nm.module)))
            throw Error("'" + path + "': corrupt (the '" + nm.name + "' weights do not match their checksum)");
    }
    if (optimizer) {
        torch::serialize::InputArchive sub;
        try {
            if (a.try_read("optimizer", sub)) optimizer->load(sub);
        } catch (const std::exception&) {
            throw Error("'" + path + "': corrupt (the optimizer state cannot be read)");
        }
    }
}

} // namespace dg
