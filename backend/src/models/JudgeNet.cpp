#include "models/JudgeNet.h"

namespace dg {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv3(int64_t in, int64_t out)
{
    return nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1));
}

} // namespace

JudgeNetImpl::JudgeNetImpl(int64_t ch) : m_featureDim(4 * ch)
{
    m_c1 = register_module("c1", conv3(1, ch));
    m_c2 = register_module("c2", conv3(ch, ch));
    m_c3 = register_module("c3", conv3(ch, 2 * ch));
    m_c4 = register_module("c4", conv3(2 * ch, 2 * ch));
    m_c5 = register_module("c5", conv3(2 * ch, 4 * ch));
    m_fc = register_module("fc", nn::Linear(4 * ch, 10));
}

at::Tensor JudgeNetImpl::features(const at::Tensor& x)
{
    auto h = at::relu(m_c2(at::relu(m_c1(x))));
    h = at::max_pool2d(h, {2, 2}); // 28 → 14
    h = at::relu(m_c4(at::relu(m_c3(h))));
    h = at::max_pool2d(h, {2, 2}); // 14 → 7
    return at::relu(m_c5(h)).mean({2, 3});
}

at::Tensor JudgeNetImpl::forward(const at::Tensor& x)
{
    return m_fc(at::dropout(features(x), 0.2, is_training()));
}

} // namespace dg
