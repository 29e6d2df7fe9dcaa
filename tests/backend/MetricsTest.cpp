#include "metrics/Metrics.h"
#include "core/HostConversion.h"
#include "data/FashionMnist.h"
#include "dg/Calibration.h"
#include "dg/Diagnostics.h"
#include "dg/Error.h"
#include "dg/Evaluation.h"
#include "dg/Models.h"
#include "dg/Tuning.h"
#include "metrics/MetricInputs.h"
#include "models/Checkpoint.h"
#include "models/JudgeNet.h"
#include "models/ToyModels.h"

#include <ATen/CPUGeneratorImpl.h>
#include <QTemporaryDir>
#include <QtTest>

#include <zlib.h>

#include <cmath>
#include <set>

using namespace dg;

namespace {

void writeGz(const QString& path, const std::vector<uint8_t>& bytes, size_t keep = SIZE_MAX)
{
    gzFile f = gzopen(path.toUtf8().constData(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(std::min(keep, bytes.size())));
    gzclose(f);
}

std::vector<uint8_t> idxImages(uint32_t n)
{
    std::vector<uint8_t> b{0, 0, 0x08, 3, 0, 0, 0, uint8_t(n), 0, 0, 0, 28, 0, 0, 0, 28};
    for (uint32_t i = 0; i < n * 784; ++i)
        b.push_back(uint8_t(i % 256));
    return b;
}

at::Generator gen(uint64_t seed)
{
    return at::make_generator<at::CPUGeneratorImpl>(seed);
}

} // namespace

class MetricsTest : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString p(const char* name) const { return m_dir.path() + "/" + name; }

private Q_SLOTS:
    // The bootstrap's fast path (directions and the reference's sorted projections computed once) gives exactly the
    // plain sliced Wasserstein distance; a toy score's SW2 bootstrap is paired (the same indices for sets of one size).
    void slicedWassersteinReferenceMatches()
    {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
        const auto b = at::randn({5000, 2}, gen), a = at::randn({700, 2}, gen) * 1.3 + 0.2;
        const SlicedWassersteinReference ref(b, 700, 256, 7);
        QVERIFY(std::abs(ref.distance(a) - slicedWasserstein(a, b, 256, 7)) < 1e-12);
        HostTensor points{{700, 2}, std::vector<float>(a.data_ptr<float>(), a.data_ptr<float>() + 1400)};
        const auto m1 = evaluateToy("ring8", points, 20), m2 = evaluateToy("ring8", points, 20);
        QCOMPARE(m1.swBootstrap.size(), size_t(20));
        QCOMPARE(m1.swBootstrap, m2.swBootstrap);
        QVERIFY(m1.swSpread > 0 && m1.swSpread < m1.slicedWasserstein);
    }

    void idxReader()
    {
        writeGz(p("train-images-idx3-ubyte.gz"), idxImages(3));
        writeGz(p("train-labels-idx1-ubyte.gz"), {0, 0, 0x08, 1, 0, 0, 0, 3, 7, 0, 9});
        const auto data = loadFashionMnist("train", m_dir.path().toStdString());
        QVERIFY(data.images.sizes().vec() == (std::vector<int64_t>{3, 1, 28, 28}));
        QCOMPARE(data.images.min().item<float>(), -1.0f); // byte 0
        QCOMPARE(data.images.max().item<float>(), 1.0f);  // byte 255
        QCOMPARE(data.labels[2].item<int64_t>(), int64_t(9));
    }

    void idxErrors_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing") << "missing"
                                 << "dataset-fashion-mnist";
        QTest::newRow("truncated gzip") << "truncated-gz"
                                        << "corrupt or truncated gzip";
        QTest::newRow("truncated data") << "short"
                                        << "truncated or corrupt IDX data";
        QTest::newRow("bad magic") << "magic"
                                   << "bad magic";
        QTest::newRow("not gzip") << "plain"
                                  << "bad magic";
    }
    void idxErrors()
    {
        QFETCH(QString, kind);
        QFETCH(QString, message);
        const QString file = p("x-images-idx3-ubyte.gz");
        QFile::remove(file);
        if (kind == "truncated-gz") {
            writeGz(file, idxImages(4));
            QFile f(file);
            QVERIFY(f.open(QIODevice::ReadWrite));
            const auto all = f.readAll();
            f.resize(all.size() / 2);
        } else if (kind == "short") {
            writeGz(file, idxImages(4), 16 + 784 * 2);
        } else if (kind == "magic") {
            auto b = idxImages(1);
            b[2] = 0x0D;
            writeGz(file, b);
        } else if (kind == "plain") {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("hello, not gzip");
        }
        try {
            readIdxGz(file.toStdString());
            QFAIL("accepted a bad IDX file");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains(message) && QString(e.what()).contains(file), e.what());
        }
    }

    void realFashionMnistIfInstalled()
    {
        if (!QFile::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"))
            QSKIP("dataset-fashion-mnist is not installed");
        const auto test = loadFashionMnist("test");
        QCOMPARE(test.images.size(0), int64_t(10000));
        QCOMPARE(test.labels.bincount().size(0), int64_t(10));
        QCOMPARE(test.labels.bincount()[3].item<int64_t>(), int64_t(1000)); // balanced classes
    }

    void frechetOfSetWithItselfIsZero()
    {
        auto g = gen(1);
        const auto x = at::randn({2000, 16}, g, at::TensorOptions().dtype(at::kDouble));
        QVERIFY(std::abs(frechetDistance(x, x)) < 1e-6);
    }

    // Two Gaussians with diagonal covariances: FD = |μ₁−μ₂|² + Σ (σ₁ − σ₂)² per dimension.
    void frechetMatchesClosedForm()
    {
        auto g = gen(2);
        const int64_t n = 200000, d = 4;
        const auto s1 = at::tensor(std::vector<double>{1.0, 2.0, 0.5, 1.5}, at::kDouble);
        const auto s2 = at::tensor(std::vector<double>{1.5, 1.0, 0.5, 3.0}, at::kDouble);
        const auto mu2 = at::tensor(std::vector<double>{1.0, 0.0, -2.0, 0.5}, at::kDouble);
        const auto a = at::randn({n, d}, g, at::TensorOptions().dtype(at::kDouble)) * s1;
        const auto b = at::randn({n, d}, g, at::TensorOptions().dtype(at::kDouble)) * s2 + mu2;
        const double expected = (mu2.pow(2).sum() + (s1 - s2).pow(2).sum()).item<double>();
        const double fd = frechetDistance(a, b);
        QVERIFY2(std::abs(fd - expected) < 0.05 * expected, qPrintable(QString("%1 vs %2").arg(fd).arg(expected)));
    }

    // KID (Bińkowski et al. 2018): the unbiased MMD² with k(x, y) = (x·y/F + 1)³ against its definition summed pair by
    // pair, and the block estimate's behaviour: about 0 (within its standard errors) for two sets of one distribution,
    // clearly positive for a shifted one.
    void kidMatchesDefinitionAndIsUnbiased()
    {
        auto g = gen(5);
        const auto d = at::TensorOptions().dtype(at::kDouble);
        const auto x = at::randn({30, 5}, g, d), y = at::randn({40, 5}, g, d) * 1.3 + 0.2;
        auto k = [&](const at::Tensor& a, int64_t i, const at::Tensor& b, int64_t j) {
            return std::pow((a[i] * b[j]).sum().item<double>() / 5.0 + 1.0, 3);
        };
        double xx = 0, yy = 0, xy = 0;
        for (int64_t i = 0; i < 30; ++i)
            for (int64_t j = 0; j < 30; ++j)
                if (i != j) xx += k(x, i, x, j);
        for (int64_t i = 0; i < 40; ++i)
            for (int64_t j = 0; j < 40; ++j)
                if (i != j) yy += k(y, i, y, j);
        for (int64_t i = 0; i < 30; ++i)
            for (int64_t j = 0; j < 40; ++j)
                xy += k(x, i, y, j);
        const double expected = xx / (30 * 29) + yy / (40 * 39) - 2 * xy / (30 * 40);
        QVERIFY2(std::abs(unbiasedPolynomialMmd(x, y) - expected) < 1e-9 * std::abs(expected) + 1e-12,
                 qPrintable(QString("%1 vs %2").arg(unbiasedPolynomialMmd(x, y)).arg(expected)));

        const auto real = at::randn({4000, 16}, g, d), same = at::randn({3000, 16}, g, d);
        const auto kSame = kernelInceptionDistance(real, same);
        QCOMPARE(kSame.blocks, int64_t(10));
        QCOMPARE(kSame.blockSize, int64_t(300));
        QVERIFY(kSame.standardError > 0);
        QVERIFY2(std::abs(kSame.value) < 4 * kSame.standardError,
                 qPrintable(QString("%1 ± %2").arg(kSame.value).arg(kSame.standardError)));
        const auto kShift = kernelInceptionDistance(real, same + 0.3);
        QVERIFY2(kShift.value > 4 * kShift.standardError && kShift.value > 10 * std::abs(kSame.value),
                 qPrintable(QString("%1 ± %2").arg(kShift.value).arg(kShift.standardError)));
    }

    // dg tune's conclusions: a weight whose paired band contains 0 is "not distinguishable" and never the best; with
    // none below 0 the verdict says so and how many samples would separate the largest gain; the share of the gap to
    // the real-data floor closed.
    void tuneBestNeedsABandBelowZero()
    {
        auto row = [](double w, double fd, double shift, double noise) {
            TuneRow r;
            r.weight = w;
            r.score.names = {"fd_judge"};
            r.score.values = {fd};
            r.score.cells = {QString::number(fd).toStdString()};
            r.score.primary = fd;
            for (int k = 0; k < 100; ++k) // the reference's rounds are 10 + 0.01 k; this row's shifted, with noise
                r.score.bootstrap.push_back(10.0 + 0.01 * k + shift + noise * std::sin(1.7 * k));
            return r;
        };
        TuneResult result;
        result.count = 2000;
        result.rows = {row(0, 10.0, 0, 0), row(1, 9.9, -0.1, 0.5), row(2, 9.0, -1.0, 0.1)};
        result.floor = SampleScorer::RealFloor{1.0, 0.1, 3, 2000};
        finishTune(result);
        QCOMPARE(result.best, size_t(2));
        QVERIFY(!result.rows[1].distinguishable && result.rows[2].distinguishable);
        QVERIFY(QString::fromStdString(result.rows[1].score.cells.back()).contains("not distinguishable from w = 0"));
        QVERIFY(!QString::fromStdString(result.rows[2].score.cells.back()).contains("not distinguishable"));
        QCOMPARE(QString::fromStdString(tuneVerdict(result)), QStringLiteral("best w = 2"));
        QVERIFY(std::abs(column(result.rows[2].score, "gap_closed") - 1.0 / 9.0) < 1e-12);

        TuneResult weak;
        weak.count = 2000;
        weak.rows = {row(0, 10.0, 0, 0), row(1, 9.9, -0.1, 0.5)};
        finishTune(weak);
        QCOMPARE(weak.best, size_t(0));
        const QString verdict = QString::fromStdString(tuneVerdict(weak));
        QVERIFY2(verdict.startsWith("no weight beats w = 0 at this sample count") && verdict.contains("try ‹count› "),
                 qPrintable(verdict));
        const qint64 n = verdict.section("‹count› ", 1).section(' ', 0, 0).toLongLong();
        QVERIFY2(n > 2000 && n % 1000 == 0, qPrintable(verdict)); // the band's half-width is ~5x the gain: ~25x
        QVERIFY2(n >= 20000, qPrintable(verdict));
    }

    void precisionRecallOnKnownSets()
    {
        auto g = gen(3);
        const auto real = at::randn({3000, 2}, g, at::TensorOptions().dtype(at::kFloat));
        const auto same = at::randn({3000, 2}, g, at::TensorOptions().dtype(at::kFloat));
        auto [p, r] = precisionRecall(real, same, 3);
        QVERIFY2(p > 0.9 && r > 0.9, qPrintable(QString("%1 %2").arg(p).arg(r)));
        // Fakes collapsed onto one small region: precise but poor recall.
        const auto collapsed = at::randn({3000, 2}, g, at::TensorOptions().dtype(at::kFloat)) * 0.1;
        std::tie(p, r) = precisionRecall(real, collapsed, 3);
        QVERIFY2(p > 0.95 && r < 0.3, qPrintable(QString("%1 %2").arg(p).arg(r)));
        // Fakes far away: neither.
        std::tie(p, r) = precisionRecall(real, same + 20.0, 3);
        QVERIFY2(p < 0.01 && r < 0.01, qPrintable(QString("%1 %2").arg(p).arg(r)));
    }

    // The metric table is the one list of metrics: unique column names, one primary per space, and measure() computes
    // every column of a space in table order from the same features the named functions take.
    void metricTableMeasuresEverySpace()
    {
        std::set<std::string> names;
        for (const auto& m : metricTable())
            for (const auto& c : m.columns)
                QVERIFY2(names.insert(c.name).second, c.name.c_str());
        for (MetricSpace space : {kFashionMnistSpace, kReferenceSpace, kToySpace}) {
            int primaries = 0;
            for (const auto& m : metricTable())
                primaries += (m.spaces & space) && m.bootstrap ? 1 : 0;
            QCOMPARE(primaries, 1);
        }
        auto g = gen(5);
        const auto opts = at::TensorOptions().dtype(at::kDouble);
        MetricInputs in;
        in.space = kReferenceSpace;
        in.real = at::randn({2000, 4}, g, opts);
        in.fake = at::randn({1000, 4}, g, opts) + 1.0;
        const auto c = measure(in, 20);
        std::vector<std::string> order;
        for (const auto& col : c.columns)
            order.push_back(col.name);
        QCOMPARE(order, (std::vector<std::string>{"fd_judge", "precision", "recall", "kid", "kid_se"}));
        QCOMPARE(c.value("fd_judge"), frechetDistance(in.real, in.fake));
        const auto [p, r] = precisionRecall(in.real.slice(0, 0, 1000), in.fake, 3);
        QCOMPARE(c.value("precision"), p);
        QCOMPARE(c.value("recall"), r);
        QCOMPARE(c.value("kid"), kernelInceptionDistance(in.real, in.fake).value);
        QCOMPARE(c.bootstrap.size(), size_t(20)); // the primary's bootstrap, about its value
        for (double b : c.bootstrap)
            QVERIFY(std::fabs(b - c.value("fd_judge")) < 0.5 * c.value("fd_judge"));
        QVERIFY(std::isnan(c.value("fd_cls"))); // a Fashion-MNIST-only column is not measured against a reference
        // The same features in the Fashion-MNIST space add FD-cls (NaN without the classifier's features).
        in.space = kFashionMnistSpace;
        const auto f = measure(in, 0);
        QCOMPARE(f.columns.size(), c.columns.size() + 1);
        QVERIFY(std::isnan(f.value("fd_cls")) && f.bootstrap.empty());
        // --per-class columns only.
        const auto perClass = measure(in, 0, true);
        QCOMPARE(perClass.columns.size(), size_t(5));
    }

    void slicedWassersteinOfShift()
    {
        auto g = gen(4);
        const auto a = at::randn({20000, 2}, g, at::TensorOptions().dtype(at::kDouble));
        const auto b = at::randn({20000, 2}, g, at::TensorOptions().dtype(at::kDouble));
        QVERIFY(slicedWasserstein(a, b, 128, 1) < 0.03);
        // A shift by t along x: each projection onto θ moves by t·cos θ, so SW2 = t·√E[cos²θ] = t/√2.
        const auto shifted = b + at::tensor(std::vector<double>{1.0, 0.0}, at::kDouble);
        const double sw = slicedWasserstein(a, shifted, 2048, 1);
        QVERIFY2(std::abs(sw - 1.0 / std::sqrt(2.0)) < 0.04, qPrintable(QString::number(sw)));
    }

    // The paper's protocol scores 8-bit images: quantize8 clips to [-1, 1], lands every value on v/127.5 − 1
    // (v = 0 … 255, EDM's floor(127.5·x + 128)), is idempotent and leaves real Fashion-MNIST images unchanged.
    void quantizeToEightBitGrid()
    {
        HostTensor x{{1, 9}, {-3.0f, -1.0f, -0.99999f, -0.5f, 0.0f, 0.0039f, 0.5f, 1.0f, 7.0f}};
        const auto q = quantize8(x);
        for (size_t i = 0; i < q.values.size(); ++i) {
            const double level = (double(q.values[i]) + 1.0) * 127.5;
            QVERIFY(std::abs(level - std::round(level)) < 1e-4 && level >= 0 && level <= 255);
            const double expected = std::clamp(std::floor(127.5 * x.values[i] + 128.0), 0.0, 255.0);
            QCOMPARE(std::round(level), expected);
        }
        QCOMPARE(q.values.front(), -1.0f);
        QCOMPARE(q.values.back(), 1.0f);
        QVERIFY(quantize8(q).values == q.values);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
        const auto random = toHost(at::randn({4, 1, 28, 28}, gen, at::TensorOptions().dtype(at::kFloat)) * 0.7);
        QVERIFY(quantize8(quantize8(random)).values == quantize8(random).values);
        try {
            const auto real = loadFashionMnist("test");
            const auto some = toHost(real.images.slice(0, 0, 50));
            QVERIFY(quantize8(some).values == some.values);
        } catch (const Error&) {
            QSKIP("Fashion-MNIST is not installed");
        }
    }

    // The shipped judge is its own network: another architecture than the noise-aware classifier, no tensor shared.
    void judgeSharesNoWeightsWithClassifier()
    {
        const QString models = QStringLiteral(DG_SOURCE_MODELS_DIR);
        const std::string judgePath = (models + "/fmnist-judge.pt").toStdString();
        const std::string classifierPath = (models + "/fmnist-classifier.pt").toStdString();
        if (!QFile::exists(QString::fromStdString(judgePath))) QSKIP("fmnist-judge.pt is not shipped");
        const auto jm = readCheckpointMeta(judgePath);
        const auto cm = readCheckpointMeta(classifierPath);
        QCOMPARE(jm.kind, std::string("judge"));
        QCOMPARE(jm.net.arch, std::string("judge-cnn"));
        QVERIFY(cm.kind == "classifier" && cm.net.arch != jm.net.arch);
        QVERIFY(jm.seed != cm.seed);
        QVERIFY2(jm.accuracy > 0.88, qPrintable(QString("judge test accuracy %1").arg(jm.accuracy)));
        JudgeNet judge(jm.net.channels);
        loadCheckpoint(judgePath, {{"judge", judge.ptr().get()}});
        Encoder encoder(cm.net);
        ClassifierHead head(encoder->featureChannels(), 10);
        loadCheckpoint(classifierPath, {{"encoder", encoder.ptr().get()}, {"classifier", head.ptr().get()}});
        std::vector<at::Tensor> classifierTensors = encoder->parameters();
        for (const auto& t : head->parameters())
            classifierTensors.push_back(t);
        for (const auto& j : judge->named_parameters()) {
            for (const auto& c : classifierTensors)
                QVERIFY2(j.value().sizes() != c.sizes() || !at::allclose(j.value(), c),
                         qPrintable(QString::fromStdString(j.key()) + " equals a classifier tensor"));
        }
    }

    // A sweep's rows share seeds; the bootstrap resamples them at the same indices, so a set compared with itself
    // changes by exactly 0 in every round, and a slightly perturbed copy by far less than the FD's own spread.
    void bootstrapIsPairedAcrossSetsOfOneSize()
    {
        const QString models = QStringLiteral(DG_SOURCE_MODELS_DIR);
        if (!QFile::exists(models + "/fmnist-judge.pt") ||
            !QFile::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"))
            QSKIP("needs the shipped judge and dataset-fashion-mnist");
        const FashionMnistEvaluator evaluator((models + "/fmnist-judge.pt").toStdString(), "", Device::Cpu);
        const auto train = loadFashionMnist("train");
        const auto a = train.images.slice(0, 0, 300);
        const auto b = (a + 0.02 * at::randn(a.sizes(), at::make_generator<at::CPUGeneratorImpl>(3))).clamp(-1, 1);
        const auto ma = evaluator.evaluate(toHost(a), 40), ma2 = evaluator.evaluate(toHost(a), 40);
        const auto mb = evaluator.evaluate(toHost(b), 40);
        QCOMPARE(ma.fdBootstrap.size(), size_t(40));
        QVERIFY(ma.fdBootstrap == ma2.fdBootstrap);
        QVERIFY(ma.fdSpread > 0);
        auto spread = [&](int shift) { // s.d. of the per-round change, rounds matched (0) or mismatched (1)
            std::vector<double> d;
            for (size_t k = 0; k < 40; ++k)
                d.push_back(mb.fdBootstrap[k] - ma.fdBootstrap[(k + shift) % 40]);
            double mean = 0, var = 0;
            for (double x : d)
                mean += x / 40;
            for (double x : d)
                var += (x - mean) * (x - mean) / 39;
            return std::sqrt(var);
        };
        qInfo("paired change s.d. %.3f, mismatched rounds %.3f", spread(0), spread(1));
        QVERIFY2(spread(0) < 0.5 * spread(1),
                 qPrintable(QString("paired s.d. %1, unpaired %2").arg(spread(0)).arg(spread(1))));
    }

    // The optimal discriminator's diagnosis against its closed form. builtin:ring8-disc is the exact log ratio
    // log p_σ/q_σ of the ring's data mixture p and its model mixture q; with fakes drawn from q itself, the mean
    // logit of the diffused reals is KL(p_σ‖q_σ) and that of the diffused fakes −KL(q_σ‖p_σ), both computed here by
    // quadrature on a grid; the Monte Carlo means must agree within 4 standard errors.
    void optimalDiscriminatorDiagnosisMatchesClosedForm()
    {
        const ToyDefinition* toy = findToy("ring8");
        QVERIFY(toy);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
        const int64_t n = 20000;
        const HostTensor fakes = toHost(toy->model.sample(n, gen));
        const auto disc = loadDiscriminator("builtin:ring8-disc", Device::Cpu, {2});
        const std::vector<double> sigmas = {0.05, 0.5, 2.0};
        const auto rows = diagnoseDiscriminator(disc, "toy:ring8", fakes, {}, sigmas, 11, Device::Cpu);
        QCOMPARE(rows.size(), sigmas.size());
        for (size_t k = 0; k < sigmas.size(); ++k) {
            const double sigma = sigmas[k], half = 2.5 + 5.0 * sigma;
            const int res = 500;
            const double cell = 2.0 * half / res;
            const auto axis = at::linspace(-half + cell / 2, half - cell / 2, res, at::kDouble);
            const auto grid = at::stack(at::meshgrid({axis, axis}, "ij"), -1).reshape({-1, 2}).to(at::kFloat);
            const auto s = at::full({grid.size(0)}, sigma, at::kFloat);
            const auto lp = toy->data.logDensity(grid, s).to(at::kDouble),
                       lq = toy->model.logDensity(grid, s).to(at::kDouble);
            const auto p = lp.exp() * cell * cell, q = lq.exp() * cell * cell, ratio = lp - lq;
            const double klPQ = (p * ratio).sum().item<double>(), klQP = -(q * ratio).sum().item<double>();
            const double varP = (p * (ratio - klPQ).pow(2)).sum().item<double>();
            const double varQ = (q * (ratio + klQP).pow(2)).sum().item<double>();
            QVERIFY2(std::fabs(p.sum().item<double>() - 1.0) < 1e-3, "the grid holds the data mixture");
            qInfo("sigma %.2f: mean logit real %.4f vs KL(p||q) %.4f; fake %.4f vs -KL(q||p) %.4f", sigma,
                  rows[k].meanLogitReal, klPQ, rows[k].meanLogitFake, -klQP);
            const double tolP = 4.0 * std::sqrt(varP / n) + 1e-3, tolQ = 4.0 * std::sqrt(varQ / n) + 1e-3;
            QVERIFY2(std::fabs(rows[k].meanLogitReal - klPQ) < tolP,
                     qPrintable(QString("sigma %1: mean real logit %2, KL(p||q) %3 (tolerance %4)")
                                    .arg(sigma)
                                    .arg(rows[k].meanLogitReal)
                                    .arg(klPQ)
                                    .arg(tolP)));
            QVERIFY2(std::fabs(rows[k].meanLogitFake + klQP) < tolQ,
                     qPrintable(QString("sigma %1: mean fake logit %2, -KL(q||p) %3 (tolerance %4)")
                                    .arg(sigma)
                                    .arg(rows[k].meanLogitFake)
                                    .arg(-klQP)
                                    .arg(tolQ)));
        }
        QVERIFY(rows[0].meanLogitReal > rows[2].meanLogitReal); // diffusion washes the difference out
        // The exact log ratio with as many reals as fakes is calibrated, d = p / (p + q): ECE is sampling noise only.
        for (const auto& r : rows) {
            qInfo("sigma %.2f: ECE %.4f", r.sigma, r.calibrationError);
            QVERIFY2(r.calibrationError < 0.02,
                     qPrintable(QString("sigma %1: ECE %2").arg(r.sigma).arg(r.calibrationError)));
        }
        // The same discriminator against "fakes" that are data: half the inputs are real wherever d says otherwise.
        const HostTensor dataAsFakes = toHost(toy->data.sample(n, gen));
        const auto wrong = diagnoseDiscriminator(disc, "toy:ring8", dataAsFakes, {}, {0.05}, 11, Device::Cpu);
        qInfo("data as fakes, sigma 0.05: ECE %.4f, accuracy %.3f", wrong[0].calibrationError, wrong[0].accuracy);
        QVERIFY2(wrong[0].calibrationError > 0.1, qPrintable(QString::number(wrong[0].calibrationError)));
    }

    // ECE on hand-made logits: bins of d = sigmoid(logit), Σ (n_b / N) |share of reals − mean d|.
    void calibrationErrorOfKnownLogits()
    {
        const double l9 = std::log(9.0);                                                // d = 0.9
        QCOMPARE(expectedCalibrationError({0, 0}, {0, 0}), 0.0);                        // d = 0.5 where half are real
        QVERIFY(std::fabs(expectedCalibrationError({l9, l9}, {l9, l9}) - 0.4) < 1e-12); // says 0.9, half are real
        QVERIFY(std::fabs(expectedCalibrationError({l9}, {-l9}) - 0.1) < 1e-12);        // right side, 0.9 sure
        // Two bins, (0.9: 3 reals + 1 fake) and (0.1: 4 fakes): |0.75 − 0.9| · 4/8 + |0 − 0.1| · 4/8.
        QVERIFY(std::fabs(expectedCalibrationError({l9, l9, l9}, {l9, -l9, -l9, -l9, -l9}) - 0.125) < 1e-12);
        QCOMPARE(expectedCalibrationError({}, {}), 0.0);
    }
};

QTEST_GUILESS_MAIN(MetricsTest)
#include "MetricsTest.moc"
