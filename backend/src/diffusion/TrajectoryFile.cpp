#include "dg/TrajectoryFile.h"
#include "core/HostConversion.h"
#include "dg/SafeFile.h"
#include "dg/Trajectory.h"

#include <torch/serialize.h>

namespace dg {
namespace {

at::Tensor stackRecords(const Trajectory& t, const HostTensor StepRecord::*field)
{
    std::vector<at::Tensor> parts;
    for (const auto& r : t.records())
        parts.push_back(fromHost((*r).*field));
    return at::stack(parts);
}

at::Tensor perStep(const Trajectory& t, double StepRecord::*field)
{
    std::vector<double> values;
    for (const auto& r : t.records())
        values.push_back((*r).*field);
    return at::tensor(values, at::kDouble).to(at::kFloat);
}

} // namespace

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
        for (const auto& r : t.records())
            haveLogits = haveLogits && !r->logit.empty();
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
