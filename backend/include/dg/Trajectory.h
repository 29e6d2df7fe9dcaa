#pragma once

#include "dg/CancelToken.h"
#include "dg/Device.h"
#include "dg/HostTensor.h"
#include "dg/Models.h"
#include "dg/Settings.h"

#include <memory>
#include <vector>

namespace dg {

// What one sampler step saw, per sample, at the predictor's evaluation (σ = t̂ after churn).
struct StepRecord
{
    int step = 0;
    double sigma = 0.0;       // t̂: the σ the denoiser was evaluated at
    double sigmaNext = 0.0;   // σ after the step
    double weight = 0.0;      // guidance weight applied to the predictor (0 when off or outside the σ window)
    double weight2 = 0.0;     // … and to the Heun corrector
    HostTensor x;             // x̂ at σ                               } empty when the trajectory records
    HostTensor denoised;      // guided x₀ prediction D_DG(x̂; σ)      } timing only (setRecordStates(false))
    HostTensor correction;    // w·σ²·∇ₓ logit (zeros when guidance is inactive)
    std::vector<float> logit; // discriminator logit log(d/(1−d)); empty without a discriminator
    double seconds = 0.0;     // wall time of the step
};

// A sampling run advanced one step at a time (EDM Algorithm 2 with Discriminator Guidance). Settings changed between
// steps apply from the next step. Not thread-safe: one worker thread drives it.
class Trajectory
{
public:
    // noise: optional standard-normal start [N, ...]; otherwise sample i draws its noise from (seed, i) only.
    Trajectory(DenoiserPtr denoiser, DiscriminatorPtr discriminator, const RunSettings& settings, Device device,
               const HostTensor* noise = nullptr);
    ~Trajectory();
    Trajectory(Trajectory&&) noexcept;
    Trajectory& operator=(Trajectory&&) noexcept;

    int stepCount() const;
    int currentStep() const; // steps done so far
    bool finished() const;
    const RunSettings& settings() const;
    std::vector<int64_t> sampleShape() const;
    const std::vector<double>& sigmas() const; // stepCount() + 1 values, ending at 0

    // Apply from the next step.
    void setGuidance(const GuidanceSettings& guidance);
    void setDiscriminator(DiscriminatorPtr discriminator);
    const DiscriminatorPtr& discriminator() const;

    // Whether step records copy x̂, D_DG and the correction to the host (default on; a run that only wants its final
    // samples turns it off).
    void setRecordStates(bool record);
    // The most rows one network call sees (default: defaultBatchSize of the sample shape; 0: all rows at once).
    void setEvaluationRows(int64_t rows);

    // Runs the next step; a cancel leaves the trajectory as it was. Throws dg::Error on non-finite values.
    const StepRecord& step(const CancelToken* cancel = nullptr);
    void runToEnd(const CancelToken* cancel = nullptr);

    // Steps a and b together, both or neither (a cancel or a failure leaves both as they were). When they can share
    // their network calls — the same denoiser, step, σ̂ and sampler, as a guided run and its unguided companion —
    // every evaluation calls the denoiser once on both runs' rows (the discriminator only as each run asks);
    // otherwise one after the other. The numbers equal two separate steps within float rounding.
    static void stepTogether(Trajectory& a, Trajectory& b, const CancelToken* cancel = nullptr);

    // A copy of this run as it stood after `atStep` steps (default: now), to continue with other settings.
    Trajectory fork(int atStep = -1) const;

    HostTensor state(int atStep = -1) const; // x at that step boundary; state(stepCount()) is the final sample
    const std::vector<std::shared_ptr<const StepRecord>>& records() const;

private:
    struct Impl;
    explicit Trajectory(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// A guided and an unguided trajectory from the same start and the same churn noise, advanced together, so that every
// difference between them comes from guidance alone.
class LockstepPair
{
public:
    LockstepPair(DenoiserPtr denoiser, DiscriminatorPtr discriminator, const RunSettings& settings, Device device,
                 const HostTensor* noise = nullptr);

    void step(const CancelToken* cancel = nullptr);
    bool finished() const { return m_guided.finished(); }
    void setGuidance(const GuidanceSettings& guidance) { m_guided.setGuidance(guidance); }
    Trajectory& guided() { return m_guided; }
    Trajectory& unguided() { return m_unguided; }
    const Trajectory& guided() const { return m_guided; }
    const Trajectory& unguided() const { return m_unguided; }

private:
    Trajectory m_guided;
    Trajectory m_unguided;
};

} // namespace dg
