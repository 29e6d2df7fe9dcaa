#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

namespace dg {

// The independent evaluation network ("judge") for Fashion-MNIST metrics: a plain VGG-style CNN classifier on clean
// images — no noise input, no σ embedding, no GroupNorm, nothing shared with the noise-aware classifier whose encoder
// the discriminators are built on. Its pooled 128-d features are the space FD, precision and recall are measured in.
class JudgeNetImpl : public torch::nn::Module
{
public:
    explicit JudgeNetImpl(int64_t channels);
    at::Tensor features(const at::Tensor& x); // [N, 4·channels], after ReLU and global average pooling
    at::Tensor forward(const at::Tensor& x);  // class logits [N, 10]
    int64_t featureDim() const { return m_featureDim; }

private:
    int64_t m_featureDim;
    torch::nn::Conv2d m_c1{nullptr}, m_c2{nullptr}, m_c3{nullptr}, m_c4{nullptr}, m_c5{nullptr};
    torch::nn::Linear m_fc{nullptr};
};
TORCH_MODULE(JudgeNet);

} // namespace dg
