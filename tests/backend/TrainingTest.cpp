#include "dg/Training.h"
#include "dg/Error.h"
#include "dg/TensorFile.h"
#include "dg/Trajectory.h"
#include "models/Checkpoint.h"
#include "models/LearnedModels.h"
#include "models/Networks.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace dg;

class TrainingTest : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string p(const char* name) const { return (m_dir.path() + "/" + name).toStdString(); }

private Q_SLOTS:
    void unetShapes_data()
    {
        QTest::addColumn<int>("classes");
        QTest::addColumn<bool>("attention");
        QTest::newRow("unconditional") << 0 << true;
        QTest::newRow("class-conditional, no attention") << 10 << false;
    }
    void unetShapes()
    {
        QFETCH(int, classes);
        QFETCH(bool, attention);
        UNetImpl net(NetConfig{"unet", 8, 1, classes, attention});
        const auto x = at::randn({3, 1, 28, 28});
        const auto labels = classes ? at::tensor(std::vector<int64_t>{0, 4, 9}) : at::Tensor();
        QVERIFY(net.denoise(x, at::full({3}, 2.0), labels).sizes() == x.sizes());
        Encoder enc(NetConfig{"encoder", 8, 1, 0, false});
        const auto f = enc(x, at::full({3}, 0.5));
        QVERIFY(f.sizes().vec() == (std::vector<int64_t>{3, 16, 8, 8}));
        DiscHead head(NetConfig{"disc-head", 8, 1, classes, false}, 16);
        QVERIFY(head(f, at::full({3}, 0.5), labels).sizes().vec() == (std::vector<int64_t>{3}));
    }

    // EDM Table 1: with F ≡ 0 (the zero-initialised output layer) D = c_skip·x = σ_d²/(σ²+σ_d²)·x, which is also the
    // exact denoiser of N(0, σ_d²) data.
    void preconditioningFormulas()
    {
        UNetImpl net(NetConfig{"unet", 8, 1, 0, true});
        const auto x = at::randn({4, 1, 28, 28});
        const auto sigma = at::tensor(std::vector<float>{0.01f, 0.5f, 3.0f, 80.0f});
        const auto d = net.denoise(x, sigma, at::Tensor());
        const auto expected = x * (0.25 / (sigma.pow(2) + 0.25)).reshape({-1, 1, 1, 1});
        QVERIFY((d - expected).abs().max().item<double>() < 1e-6);
    }

    void shortTrainingLowersLossAndResumes()
    {
        ScoreTrainingOptions o;
        o.dataset = "toy:ring8";
        o.channels = 64;
        o.common.checkpoint = p("score.pt");
        o.common.iterations = 300;
        o.common.batchSize = 256;
        o.common.lr = 2e-3;
        o.common.checkpointEvery = 100;
        o.common.seed = 3;
        std::vector<double> losses;
        auto summary = trainScoreModel(
            o, [&](const TrainingProgress& t) { losses.push_back(t.loss); }, nullptr);
        QCOMPARE(summary.iterations, int64_t(300));
        QVERIFY(losses.size() >= 3);
        const auto meta = readCheckpointMeta(o.common.checkpoint);
        QCOMPARE(meta.kind, std::string("score"));
        QCOMPARE(meta.dataset, std::string("toy:ring8"));
        QCOMPARE(meta.iterations, int64_t(300));
        QCOMPARE(meta.net.arch, std::string("mlp-score"));
        // Fixed seed: the first 100-iteration window's loss is clearly above the last one's.
        QVERIFY2(losses.back() < 0.8 * losses.front(),
                 qPrintable(QString("%1 -> %2").arg(losses.front()).arg(losses.back())));

        // Resume to 400 iterations; a cancel before the first iteration leaves the checkpoint as it was.
        CancelToken cancel;
        cancel.cancel();
        o.common.iterations = 400;
        QVERIFY_THROWS_EXCEPTION(Cancelled, trainScoreModel(o, nullptr, &cancel));
        QCOMPARE(readCheckpointMeta(o.common.checkpoint).iterations, int64_t(300));
        summary = trainScoreModel(o, nullptr, nullptr);
        QCOMPARE(summary.iterations, int64_t(400));

        // The checkpoint is a denoiser dg can sample with.
        const auto d = loadDenoiser(o.common.checkpoint, Device::Cpu);
        QCOMPARE(modelInfo(*d).dataset, std::string("ring8"));
        RunSettings s;
        s.count = 8;
        Trajectory t(d, nullptr, s, Device::Cpu);
        t.runToEnd();
        for (float v : t.state().values)
            QVERIFY(std::isfinite(v) && std::abs(v) < 3.0f);
    }

    // dg export --raw-weights: the copy samples with the last iterate, keeps the training state, and refuses a
    // non-score checkpoint and its own input as the output.
    void rawWeightsCheckpointSamplesWithTheLastIterate()
    {
        ScoreTrainingOptions o;
        o.dataset = "toy:moons";
        o.channels = 32;
        o.common.checkpoint = p("raw-src.pt");
        o.common.iterations = 60;
        o.common.batchSize = 64;
        o.common.seed = 5;
        trainScoreModel(o, nullptr, nullptr);
        writeRawWeightsCheckpoint(p("raw-src.pt"), p("raw-out.pt"));
        const auto meta = readCheckpointMeta(p("raw-out.pt"));
        QCOMPARE(meta.iterations, int64_t(60));
        QCOMPARE(meta.emaDecay, 0.0);
        const auto cfg = readCheckpointMeta(p("raw-src.pt")).net;
        auto srcModel = makeScoreNet(cfg), srcEma = makeScoreNet(cfg), outModel = makeScoreNet(cfg),
             outEma = makeScoreNet(cfg);
        loadCheckpoint(p("raw-src.pt"), {{"model", srcModel.get()}, {"ema", srcEma.get()}});
        loadCheckpoint(p("raw-out.pt"), {{"model", outModel.get()}, {"ema", outEma.get()}});
        const auto a = srcModel->parameters(), e = srcEma->parameters(), m = outModel->parameters(),
                   r = outEma->parameters();
        bool emaDiffers = false;
        for (size_t i = 0; i < a.size(); ++i) {
            QVERIFY(r[i].equal(a[i]));
            QVERIFY(m[i].equal(a[i]));
            emaDiffers = emaDiffers || !e[i].equal(a[i]);
        }
        QVERIFY(emaDiffers); // after 60 iterations at EMA 0.999 the average is not the last iterate
        // The sampler reads the raw weights: the same denoising as the source's raw network, another than its EMA's.
        const auto x = at::randn({4, 2});
        const auto s = at::full({4}, 0.5);
        const auto viaFile = loadDenoiser(p("raw-out.pt"), Device::Cpu);
        const auto want = srcModel->denoise(x, s, at::Tensor());
        const auto got = viaFile->denoise(x, s, std::nullopt);
        QVERIFY2(got.allclose(want, 1e-5, 1e-6), "the written checkpoint does not denoise with the raw weights");
        QVERIFY(!got.allclose(srcEma->denoise(x, s, at::Tensor()), 1e-5, 1e-6));
        // Resumable like its source.
        o.common.checkpoint = p("raw-out.pt");
        o.common.iterations = 70;
        QCOMPARE(trainScoreModel(o, nullptr, nullptr).iterations, int64_t(70));

        try {
            writeRawWeightsCheckpoint(p("raw-src.pt"), p("raw-src.pt"));
            QFAIL("the source was overwritten");
        } catch (const Error& err) {
            QVERIFY2(QString(err.what()).contains("itself"), err.what());
        }
        NetConfig dcfg{"mlp-disc", 16, 2, 0, false};
        MlpDisc d(dcfg);
        CheckpointMeta dm;
        dm.kind = "disc";
        dm.net = dcfg;
        dm.dataset = "toy:moons";
        saveCheckpoint(p("raw-disc.pt"), dm, {{"head", d.ptr().get()}});
        try {
            writeRawWeightsCheckpoint(p("raw-disc.pt"), p("raw-x.pt"));
            QFAIL("a discriminator was accepted");
        } catch (const Error& err) {
            QVERIFY2(QString(err.what()).contains("not a score network"), err.what());
        }
        QVERIFY(!QFile::exists(QString::fromStdString(p("raw-x.pt"))));
    }

    void checkpointRoundTripAndCorruption()
    {
        NetConfig cfg{"mlp-disc", 16, 2, 0, false};
        MlpDisc a(cfg), b(cfg);
        CheckpointMeta meta;
        meta.kind = "disc";
        meta.net = cfg;
        meta.dataset = "toy:moons";
        meta.accuracy = 0.75;
        saveCheckpoint(p("disc.pt"), meta, {{"head", a.ptr().get()}});
        const auto back = readCheckpointMeta(p("disc.pt"));
        QCOMPARE(back.accuracy, 0.75);
        QCOMPARE(back.net.channels, int64_t(16));
        loadCheckpoint(p("disc.pt"), {{"head", b.ptr().get()}});
        const auto x = at::randn({5, 2});
        const auto s = at::full({5}, 0.3);
        QVERIFY(a(x, s, at::Tensor()).equal(b(x, s, at::Tensor())));

        QFile f(QString::fromStdString(p("disc.pt")));
        QVERIFY(f.open(QIODevice::ReadWrite));
        f.resize(f.size() / 3);
        f.close();
        try {
            readCheckpointMeta(p("disc.pt"));
            QFAIL("a truncated checkpoint was read");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("truncated") && QString(e.what()).contains("disc.pt"), e.what());
        }
        try {
            loadDiscriminator(p("disc.pt"), Device::Cpu, {2});
            QFAIL("a truncated checkpoint was loaded");
        } catch (const Error& e) {
            QVERIFY2(!QString(e.what()).contains('\n'), e.what());
        }
    }

    // The whole-file CRC check runs once per version of a checkpoint; a change in place after a load is still caught.
    void settledCheckpointIsVerifiedAgainAfterAnEdit()
    {
        NetConfig cfg{"mlp-disc", 16, 2, 0, false};
        MlpDisc a(cfg);
        CheckpointMeta meta;
        meta.kind = "disc";
        meta.net = cfg;
        meta.dataset = "toy:moons";
        saveCheckpoint(p("settled.pt"), meta, {{"head", a.ptr().get()}});
        QTest::qSleep(1200); // older than a second: remembered as verified
        readCheckpointMeta(p("settled.pt"));
        readCheckpointMeta(p("settled.pt"));
        QFile f(QString::fromStdString(p("settled.pt")));
        QVERIFY(f.open(QIODevice::ReadWrite));
        const QByteArray bytes = f.readAll();
        const int at = bytes.indexOf("head") + 64; // inside a stored record, same size afterwards
        QVERIFY(at > 64 && at < bytes.size() - 200);
        f.seek(at);
        f.write(QByteArray(1, static_cast<char>(bytes[at] ^ 0x20)));
        f.close();
        try {
            MlpDisc b(cfg);
            loadCheckpoint(p("settled.pt"), {{"head", b.ptr().get()}});
            QFAIL("a checkpoint edited after a load was loaded");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("settled.pt") && QString(e.what()).contains("CRC-32"), e.what());
        }
    }

    void discriminatorOnToyBeatsChance()
    {
        // Fakes: samples of the built-in imperfect ring model; the discriminator must tell them from the data
        // (800 held-out samples: chance is 0.50 ± 0.02).
        RunSettings s;
        s.count = 4000;
        Trajectory t(loadDenoiser("builtin:ring8-model", Device::Cpu), nullptr, s, Device::Cpu);
        t.runToEnd();
        saveTensorFile(t.state(), p("fakes.pt"));
        DiscriminatorTrainingOptions o;
        o.dataset = "toy:ring8";
        o.fakes = p("fakes.pt");
        o.epochs = 6;
        o.sigmaMax = 0.5; // where the two mixtures differ visibly; above σ ≈ 1 both are nearly the same blur
        o.common.checkpoint = p("ring-disc.pt");
        o.common.batchSize = 256;
        o.common.lr = 2e-3;
        o.common.seed = 5;
        o.snapshotEvery = 40;
        std::vector<std::pair<DiscriminatorPtr, int64_t>> snapshots;
        o.onSnapshot = [&](DiscriminatorPtr d, int64_t it) { snapshots.emplace_back(std::move(d), it); };
        const auto summary = trainDiscriminator(o, nullptr, nullptr);
        QCOMPARE(int64_t(snapshots.size()), summary.iterations / 40);
        QCOMPARE(snapshots.front().second, int64_t(40));

        // A running guided trajectory adopts snapshots between steps; later snapshots have learned more.
        RunSettings g;
        g.count = 64;
        g.guidance.weight = 1.0;
        Trajectory run(loadDenoiser("builtin:ring8-model", Device::Cpu), snapshots.front().first, g, Device::Cpu);
        run.step();
        run.setDiscriminator(snapshots.back().first);
        for (int k = 0; k < 15; ++k)
            run.step();
        float corr = 0.0f;
        for (float v : run.records().back()->correction.values)
            corr = std::max(corr, std::abs(v));
        QVERIFY2(corr > 0.0f, "the adopted snapshot gave no guidance");
        QVERIFY(run.records().front()->logit != run.records()[1]->logit);
        QVERIFY2(summary.accuracy > 0.65, qPrintable(QString("held-out accuracy %1").arg(summary.accuracy)));
        // Chance is BCE ln 2 = 0.693: the last epoch's mean loss must sit clearly below it.
        QVERIFY2(summary.loss < 0.9 * std::log(2.0),
                 qPrintable(QString("training loss %1 (chance 0.693)").arg(summary.loss)));
        const auto disc = loadDiscriminator(o.common.checkpoint, Device::Cpu, {2});
        QCOMPARE(modelInfo(*disc).role, ModelRole::Discriminator);
    }
};

QTEST_GUILESS_MAIN(TrainingTest)
#include "TrainingTest.moc"
