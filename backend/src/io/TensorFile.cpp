#include "dg/Error.h"
#include "dg/TensorFile.h"
#include "dg/Trajectory.h"
#include "diffusion/HostConversion.h"

#include <torch/serialize.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <unistd.h>

namespace dg {
namespace {

at::Tensor stackRecords(const Trajectory& t, const HostTensor StepRecord::*field)
{
    std::vector<at::Tensor> parts;
    for (const auto& r : t.records()) parts.push_back(fromHost((*r).*field));
    return at::stack(parts);
}

at::Tensor perStep(const Trajectory& t, double StepRecord::*field)
{
    std::vector<double> values;
    for (const auto& r : t.records()) values.push_back((*r).*field);
    return at::tensor(values, at::kDouble).to(at::kFloat);
}

} // namespace

void writeFileAtomically(const std::string& path, const std::vector<char>& bytes)
{
    const std::string tmp = path + ".tmp" + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw Error("'" + path + "': cannot write (" + std::strerror(errno) + ")");
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.flush();
        if (!out) {
            std::remove(tmp.c_str());
            throw Error("'" + path + "': write failed (disk full?)");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        throw Error("'" + path + "': cannot write (" + ec.message() + ")");
    }
}

HostTensor loadTensorFile(const std::string& path)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error("'" + path + "': no such file");
    if (std::filesystem::is_directory(path, ec)) throw Error("'" + path + "': is a directory, expected a tensor file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("'" + path + "': cannot be opened for reading");
    const std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
    const bool zip = bytes.size() >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
    if (!zip) throw Error("'" + path + "': not a tensor file written by torch.save (no zip archive)");
    c10::IValue value;
    try {
        value = torch::pickle_load(bytes);
    } catch (const std::exception&) {
        throw Error("'" + path + "': not a single tensor saved by torch.save (a dict, list or other object?)");
    }
    if (!value.isTensor()) throw Error("'" + path + "': holds a " + value.tagKind() + ", expected a single tensor");
    const auto t = value.toTensor();
    if (!t.is_floating_point()) throw Error("'" + path + "': expected a floating-point tensor, got " +
                                            std::string(c10::toString(t.scalar_type())));
    if (t.dim() < 2 || t.size(0) < 1)
        throw Error("'" + path + "': expected a tensor [N, ...] with N >= 1, got " + shapeToString(t.sizes().vec()));
    if (!at::isfinite(t).all().item<bool>()) throw Error("'" + path + "': contains NaN or Inf values");
    return toHost(t);
}

void saveTensorFile(const HostTensor& tensor, const std::string& path)
{
    writeFileAtomically(path, torch::pickle_save(fromHost(tensor)));
}

void saveTrajectoryFile(const Trajectory& t, const std::string& path)
{
    c10::Dict<std::string, at::Tensor> dict;
    dict.insert("final", fromHost(t.state()));
    if (!t.records().empty()) {
        dict.insert("sigma", perStep(t, &StepRecord::sigma));
        dict.insert("sigma_next", perStep(t, &StepRecord::sigmaNext));
        dict.insert("weight", perStep(t, &StepRecord::weight));
        dict.insert("weight2", perStep(t, &StepRecord::weight2));
        dict.insert("x", stackRecords(t, &StepRecord::x));
        dict.insert("denoised", stackRecords(t, &StepRecord::denoised));
        dict.insert("correction", stackRecords(t, &StepRecord::correction));
        bool haveLogits = true;
        for (const auto& r : t.records()) haveLogits = haveLogits && !r->logit.empty();
        if (haveLogits) {
            std::vector<at::Tensor> logits;
            for (const auto& r : t.records())
                logits.push_back(at::tensor(std::vector<float>(r->logit), at::kFloat));
            dict.insert("logit", at::stack(logits));
        }
    }
    writeFileAtomically(path, torch::pickle_save(c10::IValue(dict)));
}

} // namespace dg
