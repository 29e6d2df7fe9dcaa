#include "TestSupport.h"

#include <QFile>
#include <QtTest>

using namespace dg;

namespace {

const QString kDg = QStringLiteral(DG_CLI_PATH);

} // namespace

// Every bad command line of the table gives exactly one error line naming the flag or file, a non-zero exit, and no
// output file.
class CliBadInputTest : public QObject
{
    Q_OBJECT
    test::ModelFolder m_dir;

    QString p(const QString& name) const { return m_dir.path(name); }
    QStringList expand(const QString& args) const { return m_dir.expand(args); }

private Q_SLOTS:
    void initTestCase()
    {
        const QString err = m_dir.init();
        QVERIFY2(err.isEmpty(), qPrintable(err));
    }

    void badInput_data()
    {
        QTest::addColumn<QString>("args");
        QTest::addColumn<QString>("message");
        const QString ok = " --out {dir}/never.pt";
        const QString toy = "sample --denoiser builtin:ring8-model";
        QTest::newRow("empty denoiser") << "sample --denoiser=" + ok << "--denoiser: needs a non-empty value";
        QTest::newRow("no out") << toy << "--out: required";
        QTest::newRow("unknown flag") << toy + ok + " --bogus 1"
                                      << "unknown flag --bogus";
        QTest::newRow("flag without value") << toy + ok + " --steps"
                                            << "--steps: needs a value";
        QTest::newRow("steps zero") << toy + ok + " --steps 0"
                                    << "--steps: must be between";
        QTest::newRow("steps text") << toy + ok + " --steps many"
                                    << "--steps: expected an integer";
        QTest::newRow("sampler") << toy + ok + " --sampler rk4"
                                 << "--sampler: expected heun, euler, dpmpp-2m or euler-ancestral";
        QTest::newRow("weight text") << toy + ok + " --dg-weight strong"
                                     << "--dg-weight: expected a finite number";
        QTest::newRow("weight nan") << toy + ok + " --dg-weight nan"
                                    << "--dg-weight: expected a finite number";
        QTest::newRow("weight without disc") << toy + ok + " --dg-weight 1"
                                             << "needs a --discriminator";
        QTest::newRow("sigma-max below min") << toy + ok + " --sigma-max 0.001"
                                             << "--sigma-max";
        QTest::newRow("window reversed") << toy + ok + " --dg-sigma-min 5 --dg-sigma-max 1"
                                         << "--dg-sigma-max";
        QTest::newRow("count negative") << toy + ok + " --count -3"
                                        << "--count";
        QTest::newRow("seed negative") << toy + ok + " --seed -1"
                                       << "--seed";
        QTest::newRow("churn negative") << toy + ok + " --churn -1"
                                        << "--churn";
        QTest::newRow("device") << toy + ok + " --device gpu"
                                << "--device";
        QTest::newRow("class on toy") << toy + ok + " --class 1"
                                      << "--class";
        QTest::newRow("unknown builtin") << "sample --denoiser builtin:nope" + ok << "unknown built-in model";
        QTest::newRow("disc as denoiser") << "sample --denoiser builtin:ring8-disc" + ok << "is a discriminator";
        QTest::newRow("missing file") << "sample --denoiser {dir}/missing.pt" + ok << "no such file";
        QTest::newRow("not torchscript") << "sample --denoiser {dir}/garbage.pt" + ok << "not a TorchScript archive";
        QTest::newRow("tensor as model") << "sample --denoiser {dir}/noise.pt" + ok << "not a TorchScript archive";
        QTest::newRow("signature") << "sample --denoiser {dir}/one_argument.pt" + ok << "wrong forward signature";
        QTest::newRow("output shape") << "sample --denoiser {dir}/wrong_shape.pt" + ok << "forward returned shape";
        QTest::newRow("no shape") << "sample --denoiser {dir}/no_shape.pt" + ok << "--noise";
        QTest::newRow("disc output") << toy + " --discriminator {dir}/ring8_model.pt" + ok << "logits of shape [N]";
        QTest::newRow("noise garbage") << toy + " --noise {dir}/garbage.pt" + ok << "not a tensor file";
        QTest::newRow("noise dict") << toy + " --noise {dir}/dict.pt" + ok << "not a single tensor";
        QTest::newRow("noise shape") << toy + " --noise {dir}/image_noise.pt" + ok << "works on samples of shape";
        QTest::newRow("noise and count") << toy + " --noise {dir}/noise.pt --count 3" + ok << "cannot be combined";
        QTest::newRow("non-finite") << toy + " --discriminator builtin:ring8-disc --dg-weight 1e38" + ok
                                    << "lower --dg-weight";
        QTest::newRow("nan model") << "sample --denoiser {dir}/nan_denoiser.pt" + ok << "produced NaN/Inf at step";
        QTest::newRow("out folder") << toy + " --out {dir}/no/such/x.pt"
                                    << "does not exist";
        QTest::newRow("out is folder") << toy + " --out {dir}"
                                       << "is a directory";
        QTest::newRow("unknown command") << "smaple"
                                         << "unknown command";
        QTest::newRow("demo toy") << "demo --toy spiral --out {dir}/demo.png"
                                  << "--toy";
        QTest::newRow("train no checkpoint") << "train-score --data toy:ring8"
                                             << "--checkpoint: required";
        QTest::newRow("train bad data") << "train-score --data cifar --checkpoint {dir}/never.pt"
                                        << "--data";
        QTest::newRow("train bad lr") << "train-score --data toy:ring8 --lr -1 --checkpoint {dir}/never.pt"
                                      << "--lr";
        QTest::newRow("lr decay past the end") << "train-score --data toy:ring8 --iterations 50 --lr-decay-from 50 "
                                                  "--checkpoint {dir}/never.pt"
                                               << "--lr-decay-from: must be below --iterations (50)";
        QTest::newRow("disc no fakes") << "train-disc --data toy:ring8 --checkpoint {dir}/never.pt"
                                       << "--fakes: required";
        QTest::newRow("disc fakes shape")
            << "train-disc --data toy:ring8 --fakes {dir}/image_noise.pt --checkpoint {dir}/never.pt"
            << "expected [2]";
        QTest::newRow("disc checkpoint is model") << "sample --denoiser {dir}/ring8_disc.pt --out {dir}/never.pt"
                                                  << "a denoiser must return a tensor shaped like x";
        QTest::newRow("eval missing") << "eval --samples {dir}/missing.pt"
                                      << "no such file";
        QTest::newRow("eval points no toy") << "eval --samples {dir}/noise.pt"
                                            << "--toy";
        QTest::newRow("sweep no disc") << "sweep --denoiser {dir}/ring8_model.pt"
                                       << "--discriminator";
        QTest::newRow("sweep weights")
            << "sweep --denoiser builtin:ring8-model --discriminator builtin:ring8-disc --weights 1,x"
            << "--weights";
        QTest::newRow("unsorted weights") << "tune --denoiser builtin:ring8-model --weights 1,0.5 --count 40"
                                          << "--weights: give each weight once, in increasing order";
        QTest::newRow("unknown preset") << toy + ok + " --dg-preset paper"
                                        << "--dg-preset: expected auto, none or official";
        QTest::newRow("negative clip") << toy + ok + " --dg-logit-clip -1"
                                       << "--dg-logit-clip: must be a positive";
        QTest::newRow("nan clip") << toy + ok + " --dg-logit-clip nan"
                                  << "--dg-logit-clip";
        QTest::newRow("boost without disc") << toy + ok + " --dg-boost"
                                            << "--dg-boost: boosting needs a --discriminator";
        QTest::newRow("cache is a file")
            << "tune --denoiser builtin:ring8-model --count 64 --weights 0,1 --cache {dir}/noise.pt"
            << "--cache: ";
        QTest::newRow("cache with samples") << "eval --samples {dir}/noise.pt --toy ring8 --cache {dir}/c"
                                            << "--cache: keeps samples drawn here";
        QTest::newRow("animation extension") << toy + ok + " --animation {dir}/a.avi"
                                             << "--animation: '";
        QTest::newRow("animation folder") << toy + ok + " --animation {dir}/missing/a.gif"
                                          << "--animation";
        QTest::newRow("animation fps") << toy + ok + " --animation {dir}/a.gif --fps 0"
                                       << "--fps";
        QTest::newRow("hold without animation") << toy + ok + " --hold 2"
                                                << "--hold: only with --animation";
        QTest::newRow("compare unguided")
            << toy + " --animation {dir}/a.gif --compare" + ok << "--compare: needs guidance";
        QTest::newRow("fakes with disc")
            << "gen-fakes --denoiser builtin:ring8-model --discriminator builtin:ring8-disc --out {dir}/never.pt"
            << "no guidance";
    }
    void badInput()
    {
        QFETCH(QString, args);
        QFETCH(QString, message);
        const auto r = test::runProcess(kDg, expand(args));
        QVERIFY2(r.exitCode > 0, qPrintable(QString("exit %1: %2").arg(r.exitCode).arg(r.err)));
        // Progress lines may come first; the error is exactly one line, the last.
        const QStringList errors = r.err.trimmed().split('\n').filter(": error: ");
        QVERIFY2(errors.size() == 1, qPrintable("expected one error line: " + r.err));
        QVERIFY2(r.err.trimmed().endsWith(errors.front()), qPrintable(r.err));
        QVERIFY2(errors.front().contains(message), qPrintable(errors.front()));
        QVERIFY(!QFile::exists(p("never.pt")));
    }
};

QTEST_GUILESS_MAIN(CliBadInputTest)
#include "CliBadInputTest.moc"
