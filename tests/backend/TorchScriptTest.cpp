#include "TestSupport.h"

#include "dg/Error.h"
#include "dg/TensorFile.h"
#include "dg/Trajectory.h"
#include "dg/TrajectoryFile.h"
#include "diffusion/GuidedDenoiser.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/script.h>

#include <cmath>

using namespace dg;
using dg::test::maxAbsDiff;

namespace {

RunSettings settings(double w)
{
    RunSettings s;
    s.count = 32;
    s.seed = 9;
    s.guidance.weight = w;
    s.sampler.churn.churn = 5.0;
    return s;
}

} // namespace

class TorchScriptTest : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string path(const char* name) const { return (m_dir.path() + "/" + name).toStdString(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QString err = test::writePythonModels(m_dir.path());
        QVERIFY2(err.isEmpty(), qPrintable(err));
    }

    void scriptedToyMatchesBuiltin_data()
    {
        QTest::addColumn<double>("weight");
        QTest::newRow("unguided") << 0.0;
        QTest::newRow("guided w=1") << 1.0;
        QTest::newRow("guided w=2.5") << 2.5;
    }
    void scriptedToyMatchesBuiltin()
    {
        QFETCH(double, weight);
        const auto scripted = loadDenoiser(path("ring8_model.pt"), Device::Cpu);
        const auto scriptedDisc = loadDiscriminator(path("ring8_disc.pt"), Device::Cpu, {2});
        const auto info = modelInfo(*scripted);
        QCOMPARE(info.description, std::string("ring8 model mixture written by Python"));
        QVERIFY(info.sampleShape == std::vector<int64_t>{2});
        QVERIFY(!info.classConditional);
        Trajectory a(scripted, scriptedDisc, settings(weight), Device::Cpu);
        Trajectory b(loadDenoiser("builtin:ring8-model", Device::Cpu),
                     loadDiscriminator("builtin:ring8-disc", Device::Cpu, {2}), settings(weight), Device::Cpu);
        a.runToEnd();
        b.runToEnd();
        const float d = maxAbsDiff(a.state(), b.state());
        QVERIFY2(d < 1e-5f, qPrintable(QString("TorchScript vs built-in: %1").arg(d)));
        for (int k = 0; k < a.stepCount(); ++k)
            QCOMPARE(a.records()[k]->logit.size(), b.records()[k]->logit.size());
    }

    void imageModelAgainstClosedForm()
    {
        const auto noise = loadTensorFile(path("image_noise.pt"));
        QVERIFY(noise.shape == (std::vector<int64_t>{3, 1, 8, 8}));
        const auto denoiser = loadDenoiser(path("gauss_image.pt"), Device::Cpu, noise.sampleShape());
        const auto disc = loadDiscriminator(path("image_disc.pt"), Device::Cpu, noise.sampleShape());
        RunSettings s;
        Trajectory plain(denoiser, disc, s, Device::Cpu, &noise);
        plain.runToEnd();
        // Gaussian data N(0, 0.5²): the sampler is linear, x_0 = n·x(80 → 0); 18 Heun steps give 0.52762464 per unit of
        // n (an independent NumPy computation; SamplerTest checks the same number).
        const double factor = 0.5276246370010471;
        const auto final = plain.state();
        float worst = 0.0f;
        for (size_t i = 0; i < final.values.size(); ++i)
            worst = std::max(worst, float(std::abs(final.values[i] - noise.values[i] * factor)));
        QVERIFY2(worst < 1e-4f, qPrintable(QString("closed form error %1").arg(worst)));
        s.guidance.weight = 1.0;
        Trajectory guided(denoiser, disc, s, Device::Cpu, &noise);
        guided.runToEnd();
        QVERIFY(maxAbsDiff(guided.state(), final) > 1e-3f); // the image discriminator's gradient moved the samples
    }

    void classConditional()
    {
        const auto d = loadDenoiser(path("conditional.pt"), Device::Cpu);
        QVERIFY(modelInfo(*d).classConditional);
        RunSettings s;
        s.count = 64;
        QVERIFY_THROWS_EXCEPTION(Error, Trajectory(d, nullptr, s, Device::Cpu));
        s.classLabel = 2;
        Trajectory t(d, nullptr, s, Device::Cpu);
        t.runToEnd();
        const auto x = t.state();
        double mx = 0, my = 0;
        for (int i = 0; i < 64; ++i) {
            mx += x.values[2 * i] / 64.0;
            my += x.values[2 * i + 1] / 64.0;
        }
        // The model's data is N((2, -2)·0.25, 0.1²): the mean of 64 samples lies within ±0.05 of the centre.
        QVERIFY2(std::abs(mx - 0.5) < 0.05 && std::abs(my + 0.5) < 0.05, qPrintable(QString("%1 %2").arg(mx).arg(my)));
    }

    void pythonNoiseRoundTrips()
    {
        const auto noise = loadTensorFile(path("noise.pt"));
        QVERIFY(noise.shape == (std::vector<int64_t>{5, 2}));
        QFile f(m_dir.path() + "/noise.txt");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const auto parts = QString::fromUtf8(f.readAll()).split(' ', Qt::SkipEmptyParts);
        QCOMPARE(parts.size(), 10);
        for (int i = 0; i < 10; ++i)
            QCOMPARE(noise.values[i], parts[i].toFloat());
    }

    void filesReadableByPython()
    {
        const auto d = loadDenoiser("builtin:ring8-model", Device::Cpu);
        const auto disc = loadDiscriminator("builtin:ring8-disc", Device::Cpu, {2});
        RunSettings s;
        s.count = 6;
        s.sampler.schedule.steps = 5;
        s.guidance.weight = 1.0;
        Trajectory t(d, disc, s, Device::Cpu);
        t.runToEnd();
        saveTensorFile(t.state(), path("out.pt"));
        saveTrajectoryFile(t, path("traj.pt"));
        const QString json = test::describeWithPython({m_dir.path() + "/out.pt", m_dir.path() + "/traj.pt"});
        const auto doc = QJsonDocument::fromJson(json.toUtf8()).object();
        QVERIFY2(!doc.isEmpty(), qPrintable(json));
        const auto out = doc[m_dir.path() + "/out.pt"].toObject();
        QCOMPARE(out["dtype"].toString(), QString("torch.float32"));
        QCOMPARE(out["shape"].toArray().size(), 2);
        double sum = 0;
        for (float v : t.state().values)
            sum += v;
        QVERIFY(std::abs(out["sum"].toDouble() - sum) < 1e-4);
        const auto items = doc[m_dir.path() + "/traj.pt"].toObject()["items"].toObject();
        for (const char* key :
             {"sigma", "sigma_next", "weight", "weight2", "x", "denoised", "correction", "logit", "final"})
            QVERIFY2(items.contains(key), key);
        QCOMPARE(items["x"].toObject()["shape"].toArray().at(0).toInt(), 5);
        QCOMPARE(items["x"].toObject()["shape"].toArray().at(1).toInt(), 6);
        QCOMPARE(items["logit"].toObject()["shape"].toArray().at(1).toInt(), 6);
        QVERIFY(std::abs(items["sigma"].toObject()["first"].toDouble() - 80.0) < 1e-3);
    }

    void badModelFiles_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<bool>("discriminator");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing") << "nope.pt" << false << "no such file";
        QTest::newRow("directory") << "." << false << "is a directory";
        QTest::newRow("garbage") << "garbage.pt" << false << "not a TorchScript archive";
        QTest::newRow("tensor file") << "noise.pt" << false << "not a TorchScript archive";
        QTest::newRow("one argument") << "one_argument.pt" << false << "wrong forward signature";
        QTest::newRow("wrong output shape") << "wrong_shape.pt" << false << "forward returned shape";
        QTest::newRow("no sample_shape") << "no_shape.pt" << false << "sample_shape";
        QTest::newRow("denoiser as disc") << "ring8_model.pt" << true << "must return logits of shape [N]";
    }
    void badModelFiles()
    {
        QFETCH(QString, file);
        QFETCH(bool, discriminator);
        QFETCH(QString, message);
        const std::string p = path(file.toUtf8().constData());
        try {
            if (discriminator)
                loadDiscriminator(p, Device::Cpu, {2});
            else
                loadDenoiser(p, Device::Cpu);
            QFAIL("a bad model file was accepted");
        } catch (const Error& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains(message) && msg.contains(QString::fromStdString(p)) && !msg.contains('\n'), e.what());
        }
    }

    void badTensorFiles_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("message");
        QTest::newRow("missing") << "nope.pt"
                                 << "no such file";
        QTest::newRow("garbage") << "garbage.pt"
                                 << "not a tensor file";
        QTest::newRow("dict") << "dict.pt"
                              << "not a single tensor";
        QTest::newRow("integers") << "int_tensor.pt"
                                  << "floating-point";
    }
    void badTensorFiles()
    {
        QFETCH(QString, file);
        QFETCH(QString, message);
        try {
            loadTensorFile(path(file.toUtf8().constData()));
            QFAIL("a bad tensor file was accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains(message), e.what());
        }
    }

    void nanDenoiserReported()
    {
        const auto d = loadDenoiser(path("nan_denoiser.pt"), Device::Cpu);
        RunSettings s;
        s.count = 2;
        Trajectory t(d, nullptr, s, Device::Cpu);
        try {
            t.runToEnd();
            QFAIL("NaN output was not reported");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("produced NaN/Inf at step") &&
                         QString(e.what()).contains("the model is at fault"),
                     e.what());
        }
    }

    // --dg-logit-clip zeroes the guidance gradient of exactly the samples whose |logit| exceeds the clip, as autograd
    // through the official code's p = clip(sigmoid(logit), 1e-5, 1 − 1e-5), log(p/(1−p)) does — on a discriminator
    // written by Python.
    void logitClipMatchesOfficialAutograd()
    {
        const auto disc = loadDiscriminator(path("image_disc.pt"), Device::Cpu, {1, 8, 8});
        const auto model = loadDenoiser(path("gauss_image.pt"), Device::Cpu);
        GuidedDenoiser guided(model, disc, std::nullopt);
        auto gen = at::make_generator<at::CPUGeneratorImpl>(17);
        // Row scales spread the logit −0.5·mean((x − 0.3)²)/(1 + σ²) from about −0.1 to −60, away from ±11.513.
        const auto scales = at::tensor({0.5, 2.0, 4.5, 8.0, 12.0, 0.5, 3.0, 9.0}, at::kFloat).view({-1, 1, 1, 1});
        const auto x = at::randn({8, 1, 8, 8}, gen, at::TensorOptions().dtype(at::kFloat)) * scales;
        const double sigma = 0.5, w = 1.5;
        EvalGuidance eg;
        eg.weight = w;
        eg.logitClip = kOfficialLogitClip;
        const auto eval = guided.evaluate(x, sigma, eg, true, nullptr);

        auto module = torch::jit::load(path("image_disc.pt"));
        const auto xg = x.clone().set_requires_grad(true);
        const auto logit = module.forward({xg, at::full({8}, sigma, at::kFloat)}).toTensor();
        const auto p = at::sigmoid(logit).clamp(1e-5, 1.0 - 1e-5);
        const auto logRatio = at::log(p / (1.0 - p));
        const auto grad = torch::autograd::grad({logRatio.sum()}, {xg})[0];
        const auto expected = w * sigma * sigma * grad;
        QVERIFY2((eval.correction - expected).abs().max().item<double>() <
                     1e-5 * (1.0 + expected.abs().max().item<double>()),
                 "clipped correction differs from autograd through the official clip");
        int clipped = 0, kept = 0;
        for (int64_t i = 0; i < 8; ++i) {
            const double l = logit[i].item<double>();
            QVERIFY2(std::abs(std::abs(l) - kOfficialLogitClip) > 0.5, "test logits must stay clear of the clip");
            const bool zero = eval.correction[i].abs().max().item<double>() == 0.0;
            QCOMPARE(zero, std::abs(l) > kOfficialLogitClip);
            (zero ? clipped : kept) += 1;
        }
        QVERIFY(clipped >= 2 && kept >= 2);
        // Without the clip every sample is guided.
        eg.logitClip = std::numeric_limits<double>::infinity();
        const auto unclipped = guided.evaluate(x, sigma, eg, true, nullptr);
        for (int64_t i = 0; i < 8; ++i)
            QVERIFY(unclipped.correction[i].abs().max().item<double>() > 0.0);
    }

    // Official boosting (alsdudrla10/DG generate.py): on even steps the predictor's guidance of samples with logit < 0
    // is doubled; on steps 5, 10, … the samples whose previous predictor logit was < 0 are churned (S_churn = 4).
    // For any model, as the official code allows: a class-conditional one and an unconditional one.
    void boostingDoublesAndChurnsFakeLookingSamples_data()
    {
        QTest::addColumn<bool>("conditional");
        QTest::newRow("class-conditional") << true;
        QTest::newRow("unconditional") << false;
    }
    void boostingDoublesAndChurnsFakeLookingSamples()
    {
        QFETCH(bool, conditional);
        const auto model = loadDenoiser(path(conditional ? "conditional.pt" : "ring8_model.pt"), Device::Cpu);
        const auto disc = loadDiscriminator(path("ring8_disc.pt"), Device::Cpu, {2});
        RunSettings s;
        s.count = 24;
        s.seed = 4;
        if (conditional) s.classLabel = 1;
        s.sampler.schedule.steps = 12;
        s.guidance.weight = 1.0;
        s.guidance.weight2 = 0.0;
        Trajectory plain(model, disc, s, Device::Cpu);
        s.guidance.boost = true;
        Trajectory boosted(model, disc, s, Device::Cpu);
        plain.step();
        boosted.step();
        const auto& p0 = *plain.records()[0];
        const auto& b0 = *boosted.records()[0];
        int fakes = 0, reals = 0;
        for (int64_t i = 0; i < s.count; ++i) {
            const bool fake = b0.logit[static_cast<size_t>(i)] < 0.0f;
            (fake ? fakes : reals) += 1;
            for (int d = 0; d < 2; ++d) {
                const float want = p0.correction.values[i * 2 + d] * (fake ? 2.0f : 1.0f);
                QVERIFY(std::abs(b0.correction.values[i * 2 + d] - want) <= 1e-6f * (1.0f + std::abs(want)));
            }
        }
        QVERIFY2(fakes > 0 && reals > 0, qPrintable(QString("%1 fake, %2 real at step 0").arg(fakes).arg(reals)));
        // Step 1 is odd: no doubling.
        boosted.runToEnd();
        const auto& b4 = *boosted.records()[4];
        const auto& b5 = *boosted.records()[5];
        const auto before = boosted.state(5);
        int churned = 0;
        for (int64_t i = 0; i < s.count; ++i) {
            const bool wasFake = b4.logit[static_cast<size_t>(i)] < 0.0f;
            const bool moved =
                b5.x.values[i * 2] != before.values[i * 2] || b5.x.values[i * 2 + 1] != before.values[i * 2 + 1];
            QCOMPARE(moved, wasFake);
            churned += moved;
        }
        QVERIFY(churned > 0);
    }

    // The paper's identity, not via the discriminator's closed form: the model guided at w = 1 by the optimal
    // discriminator (all three written by Python) follows the data mixture's own denoiser, sampled on its own.
    void guidedModelFollowsIndependentDataSampler()
    {
        const auto model = loadDenoiser(path("ring8_model.pt"), Device::Cpu);
        const auto data = loadDenoiser(path("ring8_data.pt"), Device::Cpu);
        const auto disc = loadDiscriminator(path("ring8_disc.pt"), Device::Cpu, {2});
        RunSettings s;
        s.count = 64;
        s.seed = 21;
        s.guidance.weight = 1.0;
        Trajectory guided(model, disc, s, Device::Cpu);
        s.guidance.weight = 0.0;
        Trajectory reference(data, nullptr, s, Device::Cpu);
        Trajectory unguided(model, nullptr, s, Device::Cpu);
        guided.runToEnd();
        reference.runToEnd();
        unguided.runToEnd();
        const float d = maxAbsDiff(guided.state(), reference.state());
        QVERIFY2(d < 1e-3f, qPrintable(QString("guided model vs data sampler: %1").arg(d)));
        QVERIFY(maxAbsDiff(unguided.state(), reference.state()) > 0.1f);
    }
};

QTEST_GUILESS_MAIN(TorchScriptTest)
#include "TorchScriptTest.moc"
