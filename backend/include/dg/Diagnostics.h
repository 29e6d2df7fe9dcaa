#pragma once

#include "dg/CancelToken.h"
#include "dg/HostTensor.h"
#include "dg/Image.h"
#include "dg/Models.h"
#include "dg/Progress.h"
#include "dg/SampleRequest.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dg {

// How well a discriminator tells real from generated data at one noise level.
struct SigmaDiagnostic
{
    double sigma = 0.0;
    double accuracy = 0.0;      // over reals and fakes together (logit > 0 means "real")
    double realAccuracy = 0.0;  // reals called real
    double fakeAccuracy = 0.0;  // fakes called generated
    double meanLogitReal = 0.0; // mean log(d / (1 - d)) of the reals
    double meanLogitFake = 0.0;
    double calibrationError = 0.0; // ECE of d = sigmoid(logit), reals and fakes pooled (dg/Calibration.h)
};

// Where guidance can help (Kim et al. 2023: the correction is only as good as d's log-ratio): at each σ, the same
// number of held-out real samples (the Fashion-MNIST test split, or fresh draws of a toy's data) and of the given
// fakes, both diffused as x + σ·ε with noise seeded by `seed`, scored by the discriminator. dataset: "fmnist" or
// "toy:NAME"; fakeLabels: the fakes' classes for a class-conditional discriminator (the reals bring their own).
std::vector<SigmaDiagnostic> diagnoseDiscriminator(const DiscriminatorPtr& discriminator, const std::string& dataset,
                                                   const HostTensor& fakes, const std::vector<int64_t>& fakeLabels,
                                                   const std::vector<double>& sigmas, uint64_t seed, Device device,
                                                   const CancelToken* cancel = nullptr,
                                                   const StageCallback& progress = nullptr); // "scoring", σ levels done

// The noise levels `dg eval-disc` and the front ends probe by default.
const std::vector<double>& defaultDiagnosticSigmas();

// A discriminator's diagnosis against the request's own unguided samples (seeds from the request, quantized to 8 bits
// like the training fakes; every class in turn for a class-conditional denoiser), as `dg eval-disc` and the front
// ends run it.
struct DiscriminatorDiagnosis
{
    std::vector<SigmaDiagnostic> rows;
    std::string dataset;   // "fmnist" or "toy:NAME"
    std::string fakesFrom; // where the generated side came from
    int64_t samples = 0;   // per side
};
// discriminator: the one to diagnose (null: load request.discriminator); dataset: the real side (empty: the
// discriminator's own, see diagnosticsDataset). progress: stage "sampling" (samples made), then "scoring" (σ levels).
DiscriminatorDiagnosis diagnoseAgainstOwnSamples(const SampleRequest& request, DiscriminatorPtr discriminator,
                                                 int64_t count, const std::vector<double>& sigmas, int64_t batch,
                                                 const StageCallback& progress, const CancelToken* cancel = nullptr,
                                                 const std::string& dataset = {});
// The front ends' "Where can it guide?" (the job both run on their dg::JobTracker): the run's discriminator against
// `count` of the run's own unguided samples at defaultDiagnosticSigmas, on the CPU beside the live session (its own
// copies of the models, never a second copy on the GPU) at a lowered thread priority; progress with the stage's ETA
// (dg::EtaEstimate, NaN until known).
DiscriminatorDiagnosis diagnoseRun(const SampleRequest& run, int64_t count,
                                   const std::function<void(const StageProgress&, double etaSeconds)>& progress,
                                   const CancelToken* cancel);
// The dataset a discriminator's samples belong to: its own toy, else Fashion-MNIST for images; empty when unknown.
std::string diagnosticsDataset(const ModelInfo& discriminator, const HostTensor& fakes);

// The largest probed σ at which the discriminator still tells real from generated (accuracy >= threshold); 0 when it
// never does. Above it its gradient is noise: guidance there only adds noise.
double separatesUpTo(const DiscriminatorDiagnosis& diagnosis, double threshold = 0.55);

// Accuracy (overall, reals, fakes) against σ on a log axis, 50 % marked, the guidance's σ window shaded.
RgbImage diagnosisPlot(const DiscriminatorDiagnosis& diagnosis, const GuidanceSettings& guidance,
                       const std::string& title);

} // namespace dg
