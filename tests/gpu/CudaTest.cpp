#include "dg/Error.h"
#include "dg/Trajectory.h"

#include <QtTest>

#include <cmath>

using namespace dg;

// Runs where the linked LibTorch has CUDA and a GPU is visible; elsewhere checks that cuda is refused clearly.
class CudaTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void cudaMatchesCpu()
    {
        if (!cudaAvailable()) {
            try {
                resolveDevice(Device::Cuda);
                QFAIL("cuda accepted without CUDA");
            } catch (const Error& e) {
                QVERIFY2(QString(e.what()).startsWith("‹device› cuda"), e.what());
            }
            QCOMPARE(resolveDevice(Device::Auto), Device::Cpu);
            QSKIP("no CUDA in this LibTorch / no GPU visible");
        }
        RunSettings s;
        s.count = 64;
        s.guidance.weight = 1.0;
        s.sampler.churn.churn = 10.0;
        auto run = [&](Device d) {
            Trajectory t(loadDenoiser("builtin:ring8-model", d), loadDiscriminator("builtin:ring8-disc", d, {2}), s, d);
            t.runToEnd();
            return t.state();
        };
        const auto cpu = run(Device::Cpu), gpu = run(Device::Cuda);
        float worst = 0.0f;
        for (size_t i = 0; i < cpu.values.size(); ++i)
            worst = std::max(worst, std::abs(cpu.values[i] - gpu.values[i]));
        QVERIFY2(worst < 1e-3f, qPrintable(QString("cpu vs cuda %1").arg(worst)));
    }
};

QTEST_GUILESS_MAIN(CudaTest)
#include "CudaTest.moc"
