// dg export --torchscript: the written files follow the TorchScript contract, run in Python (with the input gradient
// guidance needs) and reproduce dg's own samples to 1e-5 (the same C++ sampler on both sides; ReferenceTest checks
// the sampler itself against an independent Python loop).
#include "TestSupport.h"

#include "dg/TensorFile.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace dg;

namespace {

const QString kDg = QStringLiteral(DG_CLI_PATH);

test::ProcessResult runDg(const QStringList& args)
{
    return test::runProcess(kDg, args, 300000);
}

} // namespace

class ExportTest : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void exportedModelsReproduceTheSamples_data()
    {
        QTest::addColumn<QString>("denoiser");
        QTest::addColumn<QString>("discriminator");
        QTest::addColumn<int>("count");
        QTest::newRow("ring8 toy") << "builtin:ring8-model"
                                   << "builtin:ring8-disc" << 64;
        // Traced nn::Linear layers with constant weights: LibTorch's optimiser rejected them until export fused them.
        QTest::newRow("ring8 MLP pair") << "builtin:ring8-mlp"
                                        << "builtin:ring8-mlp-disc" << 64;
        QTest::newRow("fmnist U-Net") << "builtin:fmnist"
                                      << "builtin:fmnist-disc" << 3;
    }
    void exportedModelsReproduceTheSamples()
    {
        QFETCH(QString, denoiser);
        QFETCH(QString, discriminator);
        QFETCH(int, count);
        const QString out = m_dir.filePath(QString(QTest::currentDataTag()).replace(' ', '_'));
        auto r = runDg({QStringLiteral("export"), QStringLiteral("--torchscript"), out, QStringLiteral("--denoiser"),
                        denoiser, QStringLiteral("--discriminator"), discriminator});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString d = out + "/denoiser.pt", q = out + "/discriminator.pt";
        QVERIFY(QFile::exists(d) && QFile::exists(q));

        auto sample = [&](const QString& den, const QString& disc, const QString& file) {
            return runDg({QStringLiteral("sample"), QStringLiteral("--denoiser"), den,
                          QStringLiteral("--discriminator"), disc, QStringLiteral("--dg-weight"), QStringLiteral("1.5"),
                          QStringLiteral("--count"), QString::number(count), QStringLiteral("--seed"),
                          QStringLiteral("9"), QStringLiteral("--out"), file, QStringLiteral("--quiet")});
        };
        const QString a = out + "/a.pt", b = out + "/b.pt";
        r = sample(d, q, a);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = sample(denoiser, discriminator, b);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(test::maxAbsDiff(loadTensorFile(a.toStdString()), loadTensorFile(b.toStdString())) < 1e-5f);

        // Python: torch.jit.load, the contract's attributes, any batch size, and the gradient DG needs.
        const QString script = QStringLiteral(
            "import sys, torch\n"
            "m = torch.jit.load(sys.argv[1]); q = torch.jit.load(sys.argv[2])\n"
            "shape = list(m.sample_shape)\n"
            "for n in (1, 7):\n"
            "    x = torch.randn([n] + shape, requires_grad=True); s = torch.full((n,), 0.8)\n"
            "    y = m(x, s); l = q(x, s)\n"
            "    g, = torch.autograd.grad(l.sum(), x)\n"
            "    assert y.shape == x.shape and l.shape == (n,) and g.shape == x.shape, (y.shape, l.shape)\n"
            "    assert torch.isfinite(g).all() and g.abs().sum() > 0\n"
            "print('ok', m.description)\n");
        const auto py = test::runProcess(test::pythonExe(), {QStringLiteral("-c"), script, d, q});
        QVERIFY2(py.exitCode == 0 && py.out.startsWith(QStringLiteral("ok")), qPrintable(py.err + py.out));
        QVERIFY(py.out.contains(QStringLiteral("exported by dg from ") + denoiser));
    }

    void errorsNameTheProblem()
    {
        auto r = runDg({QStringLiteral("export")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--torchscript")), qPrintable(r.err));
        r = runDg({QStringLiteral("export"), QStringLiteral("--torchscript"), QStringLiteral("/proc/no/such/dir")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("/proc/no/such/dir")), qPrintable(r.err));
        r = runDg({QStringLiteral("export"), QStringLiteral("--torchscript"), m_dir.filePath(QStringLiteral("x")),
                   QStringLiteral("--denoiser"), QStringLiteral("builtin:nope")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("nope")), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count(QLatin1Char('\n')), 0);
    }
};

QTEST_GUILESS_MAIN(ExportTest)
#include "ExportTest.moc"
