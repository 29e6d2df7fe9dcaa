#include "dg/Schedule.h"
#include "diffusion/Samplers.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QtTest>

#include <cmath>

using namespace dg;

namespace {

// Data N(0, s²I): D(x;σ) = s²/(s²+σ²)·x, and the probability-flow ODE dx/dσ = σx/(s²+σ²) has the exact solution
// x(σ) = x(σ₀)·√((s²+σ²)/(s²+σ₀²)).
constexpr double kS = 0.5;

DenoiseFn gaussianDenoiser(int* evaluations = nullptr)
{
    return [evaluations](const at::Tensor& x, double sigma, int) {
        if (evaluations) ++*evaluations;
        return x * (kS * kS / (kS * kS + sigma * sigma));
    };
}

// max |x − exact| / max |exact|
double maxError(int steps, bool heun)
{
    const auto sigmas = edmSigmas({steps, 0.002, 80.0, 7.0});
    auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
    const auto x0 = at::randn({256, 2}, gen, at::TensorOptions().dtype(at::kDouble)) * sigmas.front();
    const auto x = sampleOde(gaussianDenoiser(), x0, sigmas, heun);
    const auto exact = x0 * std::sqrt(kS * kS / (kS * kS + sigmas.front() * sigmas.front()));
    return (x - exact).abs().max().item<double>() / exact.abs().max().item<double>();
}

} // namespace

class SamplerTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void closedForm_data()
    {
        QTest::addColumn<bool>("heun");
        QTest::addColumn<int>("steps");
        QTest::addColumn<double>("tolerance");
        QTest::newRow("heun 18") << true << 18 << 0.06;
        QTest::newRow("heun 64") << true << 64 << 0.004;
        QTest::newRow("euler 64") << false << 64 << 0.05;
        QTest::newRow("euler 512") << false << 512 << 0.007;
    }
    void closedForm()
    {
        QFETCH(bool, heun);
        QFETCH(int, steps);
        QFETCH(double, tolerance);
        const double err = maxError(steps, heun);
        QVERIFY2(err < tolerance, qPrintable(QString("max error %1").arg(err)));
    }

    // Heun is second order and Euler first order: doubling the steps divides the error by ~4 and ~2.
    void convergenceOrder_data()
    {
        QTest::addColumn<bool>("heun");
        QTest::addColumn<double>("lo");
        QTest::addColumn<double>("hi");
        QTest::newRow("heun") << true << 3.0 << 5.0;
        QTest::newRow("euler") << false << 1.6 << 2.5;
    }
    void convergenceOrder()
    {
        QFETCH(bool, heun);
        QFETCH(double, lo);
        QFETCH(double, hi);
        const double ratio = maxError(128, heun) / maxError(256, heun);
        QVERIFY2(ratio > lo && ratio < hi, qPrintable(QString("error ratio %1").arg(ratio)));
    }

    // x(0) from x(80) = 80 with s = 0.5, computed by an independent float64 NumPy implementation of EDM eq. 5 and
    // Algorithm 2 (exact answer 0.49999023).
    void matchesReferenceValues_data()
    {
        QTest::addColumn<bool>("heun");
        QTest::addColumn<int>("steps");
        QTest::addColumn<double>("expected");
        QTest::newRow("heun 18") << true << 18 << 0.5276246370010471;
        QTest::newRow("euler 18") << false << 18 << 0.42303143640797763;
        QTest::newRow("heun 64") << true << 64 << 0.5018214283383177;
    }
    void matchesReferenceValues()
    {
        QFETCH(bool, heun);
        QFETCH(int, steps);
        QFETCH(double, expected);
        const auto x = sampleOde(gaussianDenoiser(), at::full({1, 1}, 80.0, at::kDouble),
                                 edmSigmas({steps, 0.002, 80.0, 7.0}), heun);
        QVERIFY(std::abs(x.item<double>() - expected) < 1e-9);
    }

    void evaluationCounts()
    {
        // Heun: two evaluations per step except the last (σ_next = 0): 2N − 1 (EDM Table 1).
        const auto sigmas = edmSigmas({18, 0.002, 80.0, 7.0});
        int heunEvals = 0, eulerEvals = 0;
        sampleOde(gaussianDenoiser(&heunEvals), at::ones({1, 2}), sigmas, true);
        sampleOde(gaussianDenoiser(&eulerEvals), at::ones({1, 2}), sigmas, false);
        QCOMPARE(heunEvals, 35);
        QCOMPARE(eulerEvals, 18);
    }

    void churnRaisesNoise()
    {
        const auto x = at::zeros({4, 2}, at::kDouble);
        const auto eps = at::ones({4, 2}, at::kDouble);
        const auto [xHat, tHat] = churnUp(x, 2.0, 0.25, eps, 1.0);
        QCOMPARE(tHat, 2.5);
        QVERIFY(std::abs(xHat[0][0].item<double>() - std::sqrt(2.5 * 2.5 - 4.0)) < 1e-12);
        const auto [same, tSame] = churnUp(x, 2.0, 0.0, eps, 1.0);
        QCOMPARE(tSame, 2.0);
        QVERIFY(same.equal(x));
    }
};

QTEST_GUILESS_MAIN(SamplerTest)
#include "SamplerTest.moc"
