#include "core/HostConversion.h"

namespace dg {

HostTensor toHost(const at::Tensor& tensor)
{
    const auto cpu = tensor.detach().to(at::kCPU, at::kFloat).contiguous();
    HostTensor out;
    out.shape = cpu.sizes().vec();
    out.values.assign(cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel());
    return out;
}

at::Tensor fromHost(const HostTensor& tensor)
{
    return at::from_blob(const_cast<float*>(tensor.values.data()), tensor.shape, at::kFloat).clone();
}

} // namespace dg
