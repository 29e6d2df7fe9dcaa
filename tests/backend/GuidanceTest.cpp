#include "TestSupport.h"
#include "dg/SamplerRegistry.h"
#include "dg/Trajectory.h"
#include "diffusion/GuidedDenoiser.h"
#include "models/ToyModels.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QtTest>

#include <cmath>

using namespace dg;
using dg::test::maxAbsDiff;

namespace {

RunSettings settingsWithWeight(double w, const std::string& kind = "heun")
{
    RunSettings s;
    s.count = 256;
    s.seed = 11;
    s.sampler.kind = kind;
    s.guidance.weight = w;
    return s;
}

} // namespace

class GuidanceTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // With data p, model q and the exact log-ratio discriminator, D_q + σ²∇(log p_σ − log q_σ) = D_p (Tweedie), so
    // the model guided at w = 1 follows the data denoiser's trajectory; unguided it does not.
    void identity_data()
    {
        QTest::addColumn<QString>("toy");
        QTest::addColumn<QString>("sampler");
        // Every registered sampler (the identity holds whatever the integrator, and for ancestral noise too: both
        // runs draw the same (seed, sample, step) noise).
        for (const auto& info : samplers())
            for (const char* toy : {"ring8", "moons"})
                QTest::newRow((std::string(toy) + " " + info.key).c_str()) << toy << QString::fromStdString(info.key);
    }
    void identity()
    {
        QFETCH(QString, toy);
        QFETCH(QString, sampler);
        const auto name = toy.toStdString();
        const auto model = loadDenoiser("builtin:" + name + "-model", Device::Cpu);
        const auto data = loadDenoiser("builtin:" + name, Device::Cpu);
        const auto disc = loadDiscriminator("builtin:" + name + "-disc", Device::Cpu, {2});

        Trajectory guided(model, disc, settingsWithWeight(1.0, sampler.toStdString()), Device::Cpu);
        Trajectory reference(data, nullptr, settingsWithWeight(0.0, sampler.toStdString()), Device::Cpu);
        Trajectory unguided(model, nullptr, settingsWithWeight(0.0, sampler.toStdString()), Device::Cpu);
        float worst = 0.0f;
        while (!guided.finished()) {
            guided.step();
            reference.step();
            unguided.step();
            worst = std::max(worst, maxAbsDiff(guided.state(), reference.state()));
        }
        QVERIFY2(worst <= 1e-3f, qPrintable(QString("guided vs data max |diff| %1").arg(worst)));
        const float gap = maxAbsDiff(unguided.state(), reference.state());
        QVERIFY2(gap > 0.1f, qPrintable(QString("unguided vs data only differ by %1").arg(gap)));
    }

    // The recorded correction is w·σ²·∇logit: for the optimal discriminator at w = 1 that is D_p − D_q.
    void correctionEqualsDenoiserGap()
    {
        const auto* toy = findToy("ring8");
        const auto model = loadDenoiser("builtin:ring8-model", Device::Cpu);
        const auto disc = loadDiscriminator("builtin:ring8-disc", Device::Cpu, {2});
        GuidedDenoiser guided(model, disc, std::nullopt);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
        for (double sigma : {0.01, 0.3, 2.0, 40.0}) {
            const auto x = at::randn({64, 2}, gen, at::TensorOptions().dtype(at::kFloat)) * (1.0 + sigma);
            const auto s = at::full({64}, sigma, at::kFloat);
            const auto eval = guided.evaluate(x, sigma, EvalGuidance{1.0}, true, nullptr);
            const auto gap = toy->data.denoise(x, s) - toy->model.denoise(x, s);
            const double err = (eval.correction - gap).abs().max().item<double>();
            QVERIFY2(err < 1e-3, qPrintable(QString("sigma %1: |correction - (D_p - D_q)| = %2").arg(sigma).arg(err)));
            QCOMPARE(eval.logit.size(0), int64_t(64));
            // w scales the correction linearly.
            const auto half = guided.evaluate(x, sigma, EvalGuidance{0.5}, true, nullptr);
            QVERIFY((half.correction * 2 - eval.correction).abs().max().item<double>() < 1e-5);
        }
    }

    // Discriminators with a closed-form input gradient (the analytic mixture ratio, the MLP's hand-written backward)
    // agree with autograd through their logit, whether σ comes per sample or as the sampler's one expanded σ.
    void closedFormGradientsMatchAutograd_data()
    {
        QTest::addColumn<QString>("disc");
        QTest::newRow("ring8 mixture ratio") << "builtin:ring8-disc";
        QTest::newRow("ring8 learned MLP") << "builtin:ring8-mlp-disc";
        QTest::newRow("moons learned MLP") << "builtin:moons-mlp-disc";
    }
    void closedFormGradientsMatchAutograd()
    {
        QFETCH(QString, disc);
        const auto d = loadDiscriminator(disc.toStdString(), Device::Cpu, {2});
        auto gen = at::make_generator<at::CPUGeneratorImpl>(8);
        for (double sigma : {0.005, 0.2, 1.5, 30.0}) {
            const auto x = at::randn({33, 2}, gen, at::TensorOptions().dtype(at::kFloat)) * (1.0 + sigma);
            const auto perSample = at::full({33}, sigma, at::kFloat);
            const auto uniform = at::scalar_tensor(sigma, at::kFloat).expand({33});
            const auto reference = d->Discriminator::logitWithGradient(x, perSample, std::nullopt);
            const double scale = reference.gradient.abs().max().item<double>();
            QVERIFY2(scale > 0.0, "the autograd gradient is zero");
            for (const auto& s : {perSample, uniform}) {
                const auto fast = d->logitWithGradient(x, s, std::nullopt);
                QVERIFY(!fast.gradient.requires_grad());
                const double gradErr = (fast.gradient - reference.gradient).abs().max().item<double>();
                const double logitErr = (fast.logit - reference.logit).abs().max().item<double>();
                QVERIFY2(gradErr <= 1e-4 * scale + 1e-6 && logitErr <= 1e-4,
                         qPrintable(QString("sigma %1: |grad diff| %2 (of %3), |logit diff| %4")
                                        .arg(sigma)
                                        .arg(gradErr)
                                        .arg(scale)
                                        .arg(logitErr)));
                const double plainErr = (d->logit(x, s, std::nullopt) - reference.logit).abs().max().item<double>();
                QVERIFY2(plainErr <= 1e-5, qPrintable(QString("logit with this sigma differs by %1").arg(plainErr)));
            }
        }
    }

    // Learned score networks embed one expanded σ once; the result equals the per-sample evaluation.
    void uniformSigmaEqualsPerSample_data()
    {
        QTest::addColumn<QString>("denoiser");
        QTest::addColumn<QList<int>>("shape");
        QTest::newRow("fmnist U-Net") << "builtin:fmnist" << QList<int>{3, 1, 28, 28};
        QTest::newRow("ring8 MLP") << "builtin:ring8-mlp" << QList<int>{50, 2};
    }
    void uniformSigmaEqualsPerSample()
    {
        QFETCH(QString, denoiser);
        QFETCH(QList<int>, shape);
        const auto model = loadDenoiser(denoiser.toStdString(), Device::Cpu);
        const std::vector<int64_t> dims(shape.begin(), shape.end());
        auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
        c10::NoGradGuard noGrad;
        for (double sigma : {0.01, 0.7, 20.0}) {
            const auto x = at::randn(dims, gen, at::TensorOptions().dtype(at::kFloat)) * sigma;
            const auto a = model->denoise(x, at::full({dims[0]}, sigma, at::kFloat), std::nullopt);
            const auto b = model->denoise(x, at::scalar_tensor(sigma, at::kFloat).expand({dims[0]}), std::nullopt);
            QCOMPARE(b.sizes().vec(), dims);
            const double err = (a - b).abs().max().item<double>();
            QVERIFY2(err <= 1e-5 * (1.0 + sigma), qPrintable(QString("sigma %1: |diff| %2").arg(sigma).arg(err)));
        }
    }

    void sigmaWindowAndWeights()
    {
        const auto model = loadDenoiser("builtin:ring8-model", Device::Cpu);
        const auto disc = loadDiscriminator("builtin:ring8-disc", Device::Cpu, {2});
        RunSettings s = settingsWithWeight(2.0);
        s.count = 8;
        s.guidance.weight2 = 0.0; // official code: predictor only
        s.guidance.sigmaLo = 0.5;
        s.guidance.sigmaHi = 10.0;
        Trajectory t(model, disc, s, Device::Cpu);
        t.runToEnd();
        int inside = 0;
        for (const auto& r : t.records()) {
            const bool in = r->sigma >= 0.5 && r->sigma <= 10.0;
            inside += in;
            QCOMPARE(r->weight, in ? 2.0 : 0.0);
            QCOMPARE(r->weight2, 0.0);
            float corr = 0.0f;
            for (float v : r->correction.values)
                corr = std::max(corr, std::abs(v));
            QVERIFY2(in ? corr > 0.0f : corr == 0.0f, qPrintable(QString("step %1 corr %2").arg(r->step).arg(corr)));
            QCOMPARE(int(r->logit.size()), 8); // logits are recorded whenever a discriminator is present
        }
        QVERIFY(inside > 0 && inside < t.stepCount());
    }

    void correctorWeightDefaultsToPredictor()
    {
        GuidanceSettings g;
        g.weight = 1.5;
        QCOMPARE(g.correctorWeight(), 1.5);
        g.weight2 = 0.25;
        QCOMPARE(g.correctorWeight(), 0.25);
        g.enabled = false;
        QCOMPARE(g.predictorWeight(), 0.0);
        QCOMPARE(g.correctorWeight(), 0.0);
    }

    // The official preset: the VP-time window τ ∈ [0.01, 1] mapped back through the official code's own
    // σ → τ formula (classifier_lib.vpsde.compute_tau), predictor only, clip ln((1 − 1e-5)/1e-5).
    void officialPresetValues()
    {
        GuidanceSettings base;
        base.weight = 2.0;
        base.weight2 = 0.7;
        base.boost = true;
        const auto g = officialGuidance(base);
        const auto tau = [](double sigma) {
            const double b0 = 0.1, b1 = 20.0;
            return (-b0 + std::sqrt(b0 * b0 + 2.0 * (b1 - b0) * std::log(1.0 + sigma * sigma))) / (b1 - b0);
        };
        QVERIFY(std::abs(tau(g.sigmaLo) - 0.01) < 1e-12);
        QVERIFY(std::abs(tau(g.sigmaHi) - 1.0) < 1e-12);
        QVERIFY(std::abs(g.sigmaLo - 0.0447) < 1e-4);
        QVERIFY(std::abs(g.sigmaHi - 152.2) < 0.05);
        QCOMPARE(g.weight2.value(), 0.0);
        QCOMPARE(g.correctorWeight(), 0.0);
        QVERIFY(std::abs(g.logitClip - std::log((1 - 1e-5) / 1e-5)) < 1e-12);
        QCOMPARE(g.weight, 2.0); // kept from the base
        QVERIFY(g.boost);
        QVERIFY(g.preset == GuidancePreset::Official);
        QVERIFY(hasOfficialValues(g));
        QVERIFY(!hasOfficialValues(base));
    }
};

QTEST_GUILESS_MAIN(GuidanceTest)
#include "GuidanceTest.moc"
