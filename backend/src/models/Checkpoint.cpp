#include "models/Checkpoint.h"

#include "dg/Error.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace dg {
namespace {

void writeConfig(torch::serialize::OutputArchive& a, const std::string& prefix, const NetConfig& c)
{
    a.write(prefix + "_arch", c10::IValue(c.arch));
    for (const auto& [k, v] : c.toMap()) a.write(prefix + "_" + k, c10::IValue(v));
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

torch::serialize::InputArchive openArchive(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error("'" + path + "': no such file");
    torch::serialize::InputArchive a;
    try {
        a.load_from(path);
    } catch (const std::exception&) {
        throw Error("'" + path + "': not a checkpoint (unreadable or corrupt archive)");
    }
    return a;
}

} // namespace

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
    for (const auto& nm : modules) {
        torch::serialize::OutputArchive sub;
        nm.module->save(sub);
        a.write(nm.name, sub);
    }
    if (optimizer) {
        torch::serialize::OutputArchive sub;
        optimizer->save(sub);
        a.write("optimizer", sub);
    }
    const std::string tmp = path + ".tmp" + std::to_string(::getpid());
    try {
        a.save_to(tmp);
    } catch (const std::exception& e) {
        std::remove(tmp.c_str());
        throw Error("'" + path + "': cannot write the checkpoint");
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        throw Error("'" + path + "': cannot write the checkpoint (" + ec.message() + ")");
    }
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
    return m;
}

void loadCheckpoint(const std::string& path, const std::vector<NamedModule>& modules, torch::optim::Optimizer* optimizer)
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
    }
    if (optimizer) {
        torch::serialize::InputArchive sub;
        if (a.try_read("optimizer", sub)) optimizer->load(sub);
    }
}

} // namespace dg
