#pragma once

#include "dg/CancelToken.h"
#include "dg/Models.h"
#include "models/Denoiser.h"

#include <ATen/ATen.h>

#include <functional>
#include <limits>
#include <optional>

namespace dg {

// How one evaluation is guided.
struct EvalGuidance
{
    double weight = 0.0;                                        // w (0: no guidance gradient is taken)
    double logitClip = std::numeric_limits<double>::infinity(); // |logit| > clip: no gradient for that sample
    bool doubleFakes = false;                                   // boosting: samples with logit < 0 get 2w
};

struct GuidedEval
{
    at::Tensor denoised;        // D_DG(x; σ)
    at::Tensor raw;             // D(x; σ), the denoiser's own estimate before guidance
    at::Tensor correction;      // w·σ²·∇ₓ logit; undefined when guidance was not applied
    at::Tensor logit;           // [N]; undefined without a discriminator (or when not asked for)
    bool gradientFinite = true; // the discriminator's own ∇ₓ logit (before w·σ²) was finite
};

// Discriminator Guidance in denoiser form (Kim et al. 2023, eq. 9 with EDM's D = x + σ²∇log p):
// D_DG(x;σ) = D(x;σ) + w·σ²·∇ₓ log(d/(1−d)). The score network runs without autograd; only the discriminator
// is differentiated.
class GuidedDenoiser
{
public:
    GuidedDenoiser(DenoiserPtr denoiser, DiscriminatorPtr discriminator, std::optional<at::Tensor> classLabels);

    // Checks cancel before each network evaluation. The networks see at most chunkRows() rows at a time (their
    // working memory and the time to notice a cancel stay bounded at any batch); rows never interact, so the result
    // is the same as one call.
    GuidedEval evaluate(const at::Tensor& x, double sigma, const EvalGuidance& guidance, bool wantLogit,
                        const CancelToken* cancel) const;
    // The two halves of evaluate: the denoiser alone (no autograd) on rows with their class labels, and guidance on
    // top of its output raw = D(x; σ) for this denoiser's own rows (LockstepPair evaluates two runs' rows in one
    // denoise call, then guides each run's rows as that run asks).
    at::Tensor denoise(const at::Tensor& x, double sigma, const std::optional<at::Tensor>& labels,
                       const CancelToken* cancel) const;
    GuidedEval guide(const at::Tensor& x, const at::Tensor& raw, double sigma, const EvalGuidance& guidance,
                     bool wantLogit, const CancelToken* cancel) const;
    void setChunkRows(int64_t rows) { m_chunkRows = rows; } // 0: the whole batch in one call
    int64_t chunkRows() const { return m_chunkRows; }
    // The same models for the samples at `index` (boosted steps evaluate groups of samples at their own σ).
    GuidedDenoiser subset(const at::Tensor& index) const;
    void setDiscriminator(DiscriminatorPtr discriminator) { m_discriminator = std::move(discriminator); }
    const DiscriminatorPtr& discriminator() const { return m_discriminator; }
    const DenoiserPtr& denoiser() const { return m_denoiser; }
    const std::optional<at::Tensor>& classLabels() const { return m_classLabels; }
    std::string denoiserSpec() const { return m_denoiser->info().spec; }
    std::string discriminatorSpec() const { return m_discriminator ? m_discriminator->info().spec : std::string(); }

private:
    void forChunks(int64_t n, const std::function<void(int64_t first, int64_t rows)>& chunk) const;

    DenoiserPtr m_denoiser;
    DiscriminatorPtr m_discriminator;
    std::optional<at::Tensor> m_classLabels;
    int64_t m_chunkRows = 0;
};

} // namespace dg
