#include "dg/Trajectory.h"
#include "TestSupport.h"
#include "dg/Error.h"
#include "dg/RunHistory.h"
#include "dg/Sampling.h"
#include "models/Denoiser.h"

#include <QtTest>

#include <atomic>
#include <cmath>

using namespace dg;
using dg::test::maxAbsDiff;

namespace {

bool equal(const HostTensor& a, const HostTensor& b)
{
    return a.shape == b.shape && a.values == b.values;
}

struct Toy
{
    DenoiserPtr model = loadDenoiser("builtin:ring8-model", Device::Cpu);
    DiscriminatorPtr disc = loadDiscriminator("builtin:ring8-disc", Device::Cpu, {2});
};

RunSettings settings(double w, int64_t count = 16, double churn = 0.0)
{
    RunSettings s;
    s.count = count;
    s.seed = 42;
    s.guidance.weight = w;
    s.sampler.churn.churn = churn;
    return s;
}

// Wraps a denoiser, counts evaluations and cancels a token on the n-th one.
class CancellingDenoiser : public Denoiser
{
public:
    CancellingDenoiser(DenoiserPtr inner, CancelToken* token, int cancelAt)
        : m_inner(std::move(inner)), m_token(token), m_cancelAt(cancelAt)
    {
    }
    at::Tensor denoise(const at::Tensor& x, const at::Tensor& s, const std::optional<at::Tensor>& c) const override
    {
        if (++evaluations == m_cancelAt) m_token->cancel();
        return m_inner->denoise(x, s, c);
    }
    ModelInfo info() const override { return m_inner->info(); }
    mutable std::atomic<int> evaluations{0};

private:
    DenoiserPtr m_inner;
    CancelToken* m_token;
    int m_cancelAt;
};

// Counts every discriminator call (logit and logit-with-gradient).
class CountingDiscriminator : public Discriminator
{
public:
    explicit CountingDiscriminator(DiscriminatorPtr inner) : m_inner(std::move(inner)) {}
    at::Tensor logit(const at::Tensor& x, const at::Tensor& s, const std::optional<at::Tensor>& c) const override
    {
        ++calls;
        return m_inner->logit(x, s, c);
    }
    LogitGradient logitWithGradient(const at::Tensor& x, const at::Tensor& s,
                                    const std::optional<at::Tensor>& c) const override
    {
        ++calls;
        return m_inner->logitWithGradient(x, s, c);
    }
    ModelInfo info() const override { return m_inner->info(); }
    mutable std::atomic<int> calls{0};

private:
    DiscriminatorPtr m_inner;
};

} // namespace

class TrajectoryTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // The front ends' one stale-run filter (RunHistory::apply): another run's events change nothing; frames out of
    // order (or a step twice) are rejected; branches and their ends are recorded; events that are not about the run are
    // left to the caller.
    void historyAppliesOnlyTheCurrentRun()
    {
        RunHistory h;
        GuidanceSettings g;
        g.weight = 2.0;
        h.reset(3, g);
        auto frame = [](int branch, int step) {
            auto f = std::make_shared<Frame>();
            f->branch = branch;
            f->step = step;
            f->steps = 3;
            return f;
        };
        auto event = [](SessionEvent::Kind kind, uint64_t run, int branch = 0, FramePtr f = nullptr) {
            SessionEvent e;
            e.kind = kind;
            e.run = run;
            e.branch = branch;
            e.frame = std::move(f);
            return e;
        };
        using K = SessionEvent::Kind;
        QCOMPARE(h.apply(event(K::Frame, 6, 0, frame(0, 0)), 7, g), HistoryUpdate::Stale);
        QCOMPARE(h.frameCount(0), 0);
        QCOMPARE(h.apply(event(K::RunStarted, 7), 7, g), HistoryUpdate::RunStarted);
        QCOMPARE(h.apply(event(K::Frame, 7, 0, frame(0, 0)), 7, g), HistoryUpdate::FrameAdded);
        QCOMPARE(h.apply(event(K::Frame, 7, 0, frame(0, 0)), 7, g), HistoryUpdate::FrameRejected); // a step twice
        QCOMPARE(h.frameCount(0), 1);
        QCOMPARE(h.apply(event(K::Frame, 7, 0, frame(0, 2)), 7, g), HistoryUpdate::FrameRejected);
        QCOMPARE(h.apply(event(K::Frame, 7, 0, frame(0, 1)), 7, g), HistoryUpdate::FrameAdded);
        SessionEvent fork = event(K::BranchCreated, 7, 1);
        fork.parentBranch = 0;
        fork.forkStep = 1;
        GuidanceSettings other;
        other.weight = 0.5;
        QCOMPARE(h.apply(fork, 7, other), HistoryUpdate::BranchCreated);
        QCOMPARE(h.branches().at(1).guidance.weight, 0.5);
        QCOMPARE(h.frameCount(1), 1); // step 0 is its parent's
        QCOMPARE(h.apply(event(K::BranchFinished, 5, 1), 7, g), HistoryUpdate::Stale);
        QVERIFY(!h.finished(1));
        QCOMPARE(h.apply(event(K::BranchFinished, 7, 1), 7, g), HistoryUpdate::BranchFinished);
        QVERIFY(h.finished(1));
        QCOMPARE(h.apply(event(K::Failed, 3), 7, g), HistoryUpdate::Other);
        QCOMPARE(h.apply(event(K::SweepFinished, 6), 7, g), HistoryUpdate::Stale); // dg-lab used to let these through
    }

    void changingWeightAffectsOnlyLaterSteps()
    {
        Toy toy;
        Trajectory plain(toy.model, toy.disc, settings(0.0), Device::Cpu);
        Trajectory changed(toy.model, toy.disc, settings(0.0), Device::Cpu);
        plain.runToEnd();
        for (int k = 0; k < 6; ++k)
            changed.step();
        GuidanceSettings g;
        g.weight = 1.0;
        changed.setGuidance(g);
        changed.runToEnd();
        for (int k = 0; k <= 6; ++k)
            QVERIFY2(equal(plain.state(k), changed.state(k)), qPrintable(QString::number(k)));
        for (int k = 0; k < 6; ++k)
            QCOMPARE(changed.records()[k]->weight, 0.0);
        QCOMPARE(changed.records()[6]->weight, 1.0);
        QVERIFY(maxAbsDiff(plain.state(7), changed.state(7)) > 0.0f);
        QVERIFY(maxAbsDiff(plain.state(), changed.state()) > 0.05f);
    }

    void forkReplaysAndBranches()
    {
        Toy toy;
        Trajectory base(toy.model, toy.disc, settings(0.5, 16, 10.0), Device::Cpu);
        for (int k = 0; k < 9; ++k)
            base.step();
        Trajectory same = base.fork(4);
        QCOMPARE(same.currentStep(), 4);
        QCOMPARE(int(same.records().size()), 4);
        while (same.currentStep() < 9)
            same.step();
        QVERIFY(equal(same.state(), base.state())); // same settings (and churn noise) → the same path

        Trajectory branch = base.fork();
        GuidanceSettings g;
        g.weight = 3.0;
        branch.setGuidance(g);
        branch.runToEnd();
        base.runToEnd();
        QVERIFY(equal(branch.state(9), base.state(9)));
        QVERIFY(maxAbsDiff(branch.state(), base.state()) > 1e-3f);
        QCOMPARE(base.records()[12]->weight, 0.5); // the branch's settings did not leak back
        QVERIFY_THROWS_EXCEPTION(Error, base.fork(base.stepCount() + 1));
    }

    void cancelWithinOneEvaluation()
    {
        Toy toy;
        CancelToken token;
        auto counting = std::make_shared<CancellingDenoiser>(toy.model, &token, 3); // 2nd step's first evaluation
        auto disc = std::make_shared<CountingDiscriminator>(toy.disc);
        Trajectory t(counting, disc, settings(1.0), Device::Cpu);
        t.step(&token);
        QCOMPARE(disc->calls.load(), 2); // one step: the predictor's and the corrector's guidance
        QVERIFY_THROWS_EXCEPTION(Cancelled, t.step(&token));
        QCOMPARE(counting->evaluations.load(), 3); // nothing evaluated after the cancel …
        QCOMPARE(disc->calls.load(), 2);           // … not even the discriminator's gradient of that evaluation
        QCOMPARE(t.currentStep(), 1);              // the cancelled step left no trace
        QCOMPARE(int(t.records().size()), 1);

        token.reset();
        t.runToEnd(&token);
        Trajectory uncancelled(toy.model, toy.disc, settings(1.0), Device::Cpu);
        uncancelled.runToEnd();
        QVERIFY(equal(t.state(), uncancelled.state()));

        CancelToken already;
        already.cancel();
        Trajectory u(toy.model, toy.disc, settings(1.0), Device::Cpu);
        QVERIFY_THROWS_EXCEPTION(Cancelled, u.step(&already));
        QCOMPARE(u.currentStep(), 0);
    }

    void lockstepSharesNoise()
    {
        Toy toy;
        LockstepPair off(
            toy.model, toy.disc,
            [] {
                auto s = settings(0.0, 8, 30.0);
                return s;
            }(),
            Device::Cpu);
        while (!off.finished())
            off.step();
        QVERIFY(equal(off.guided().state(), off.unguided().state())); // zero weight: identical, churn included

        LockstepPair pair(toy.model, toy.disc, settings(1.0, 8, 30.0), Device::Cpu);
        while (!pair.finished())
            pair.step();
        QVERIFY(equal(pair.guided().state(0), pair.unguided().state(0)));
        for (int k = 0; k < pair.guided().stepCount(); ++k) {
            // x̂ − x: the churn noise added at step k is the same in both runs.
            const auto& g = pair.guided().records()[k]->x;
            const auto& u = pair.unguided().records()[k]->x;
            const auto gs = pair.guided().state(k), us = pair.unguided().state(k);
            float worst = 0.0f;
            for (size_t i = 0; i < g.values.size(); ++i)
                worst = std::max(worst, std::abs((g.values[i] - gs.values[i]) - (u.values[i] - us.values[i])));
            QVERIFY2(worst < 1e-4f, qPrintable(QString("step %1: churn differs by %2").arg(k).arg(worst)));
            QCOMPARE(pair.unguided().records()[k]->weight, 0.0);
        }
        QVERIFY(maxAbsDiff(pair.guided().state(), pair.unguided().state()) > 0.05f);
    }

    // Compare mode evaluates the guided run and its unguided companion in one denoiser call per evaluation
    // (Trajectory::stepTogether): every number equals two separate runs within float rounding, for every sampler,
    // with half the denoiser calls; the discriminator's gradient is taken for the guided rows only.
    void lockstepPairSharesOneDenoiserCall_data()
    {
        QTest::addColumn<QString>("sampler");
        QTest::addColumn<double>("churn");
        QTest::addColumn<bool>("images");
        for (const char* key : {"heun", "euler", "dpmpp-2m", "euler-ancestral"})
            QTest::newRow(key) << QString(key) << 0.0 << false;
        QTest::newRow("heun churn") << QStringLiteral("heun") << 30.0 << false;
        QTest::newRow("heun fmnist") << QStringLiteral("heun") << 0.0 << true;
    }
    void lockstepPairSharesOneDenoiserCall()
    {
        QFETCH(QString, sampler);
        QFETCH(double, churn);
        QFETCH(bool, images);
        const DenoiserPtr model =
            images ? loadDenoiser("builtin:fmnist", Device::Cpu) : loadDenoiser("builtin:ring8-model", Device::Cpu);
        const DiscriminatorPtr discBase = images ? loadDiscriminator("builtin:fmnist-disc", Device::Cpu, {1, 28, 28})
                                                 : loadDiscriminator("builtin:ring8-disc", Device::Cpu, {2});
        CancelToken never;
        auto counting = std::make_shared<CancellingDenoiser>(model, &never, -1);
        auto disc = std::make_shared<CountingDiscriminator>(discBase);
        RunSettings s = settings(2.0, images ? 3 : 16, churn);
        s.sampler.kind = sampler.toStdString();
        s.sampler.schedule.steps = images ? 3 : 8;
        LockstepPair pair(counting, disc, s, Device::Cpu);
        while (!pair.finished())
            pair.step();
        const int sharedCalls = counting->evaluations.load();
        const int sharedDisc = disc->calls.load();

        RunSettings off = s;
        off.guidance.enabled = false;
        Trajectory guided(counting, disc, s, Device::Cpu), unguided(counting, disc, off, Device::Cpu);
        counting->evaluations = 0;
        disc->calls = 0;
        guided.runToEnd();
        unguided.runToEnd();
        QCOMPARE(sharedCalls * 2, counting->evaluations.load()); // one call for both runs
        QCOMPARE(sharedDisc, disc->calls.load());                // the discriminator as often as before
        for (int k = 0; k <= guided.stepCount(); ++k) {
            QVERIFY2(maxAbsDiff(pair.guided().state(k), guided.state(k)) < 1e-5f, qPrintable(QString::number(k)));
            QVERIFY2(maxAbsDiff(pair.unguided().state(k), unguided.state(k)) < 1e-5f, qPrintable(QString::number(k)));
        }
        for (int k = 0; k < guided.stepCount(); ++k) {
            const auto &a = *pair.guided().records()[k], &b = *guided.records()[k];
            QCOMPARE(a.weight, b.weight);
            QCOMPARE(a.weight2, b.weight2);
            QCOMPARE(a.logit.size(), b.logit.size());
            for (size_t i = 0; i < a.logit.size(); ++i)
                QVERIFY(std::abs(a.logit[i] - b.logit[i]) < 1e-4f);
            QVERIFY(maxAbsDiff(a.correction, b.correction) < 1e-5f);
            QVERIFY(maxAbsDiff(pair.unguided().records()[k]->correction, unguided.records()[k]->correction) == 0.0f);
        }
        QVERIFY(maxAbsDiff(pair.guided().state(), pair.unguided().state()) > 1e-3f); // guidance did something
    }

    // Networks see at most setEvaluationRows rows per call (bounded memory, a cancel noticed within one such call);
    // the samples are those of one call within float rounding.
    void evaluationsInChunks()
    {
        Toy toy;
        CancelToken never;
        auto counting = std::make_shared<CancellingDenoiser>(toy.model, &never, -1);
        auto disc = std::make_shared<CountingDiscriminator>(toy.disc);
        Trajectory chunked(counting, disc, settings(1.0, 11), Device::Cpu);
        chunked.setEvaluationRows(3);
        chunked.step();
        QCOMPARE(counting->evaluations.load(), 2 * 4); // Heun: two evaluations of ceil(11 / 3) calls
        QCOMPARE(disc->calls.load(), 2 * 4);
        chunked.runToEnd();
        Trajectory whole(toy.model, toy.disc, settings(1.0, 11), Device::Cpu);
        whole.setEvaluationRows(0);
        whole.runToEnd();
        QVERIFY(maxAbsDiff(chunked.state(), whole.state()) < 1e-5f);

        CancelToken token;
        auto cancelling = std::make_shared<CancellingDenoiser>(toy.model, &token, 2); // the first step's 2nd chunk
        Trajectory cancelled(cancelling, toy.disc, settings(1.0, 11), Device::Cpu);
        cancelled.setEvaluationRows(3);
        QVERIFY_THROWS_EXCEPTION(Cancelled, cancelled.step(&token));
        QCOMPARE(cancelling->evaluations.load(), 2); // stopped inside the evaluation, before the 3rd chunk
        QCOMPARE(cancelled.currentStep(), 0);
        QVERIFY(defaultBatchSize({1, 28, 28}) >= 1 && defaultBatchSize({1, 28, 28}) <= 64);
        QCOMPARE(defaultBatchSize({2}) >= defaultBatchSize({3, 32, 32}), true);
    }

    void seedPerSampleIndependentOfBatchSize_data()
    {
        QTest::addColumn<double>("churn");
        QTest::newRow("ode") << 0.0;
        QTest::newRow("churn") << 20.0;
    }
    void seedPerSampleIndependentOfBatchSize()
    {
        QFETCH(double, churn);
        Toy toy;
        Trajectory small(toy.model, toy.disc, settings(1.0, 3, churn), Device::Cpu);
        Trajectory large(toy.model, toy.disc, settings(1.0, 11, churn), Device::Cpu);
        small.runToEnd();
        large.runToEnd();
        QVERIFY(maxAbsDiff(small.state(0), large.state(0).slice(0, 3)) == 0.0f);
        const float d = maxAbsDiff(small.state(), large.state().slice(0, 3));
        QVERIFY2(d < 1e-5f, qPrintable(QString("final differs by %1").arg(d)));
        RunSettings other = settings(1.0, 3, churn);
        other.seed = 43;
        Trajectory reseeded(toy.model, toy.disc, other, Device::Cpu);
        QVERIFY(maxAbsDiff(reseeded.state(0), small.state(0)) > 1.0f);
    }

    // A sample's noise (start and churn) depends on its index, not its position in the batch: samples 5–7 run as a
    // batch of their own (firstSample 5) equal rows 5–7 of an 11-sample run; and sampleInBatches (gen-fakes, eval,
    // sweep) gives the same samples with batches of 4 and of 11.
    void samplesIndependentOfBatchPosition_data()
    {
        QTest::addColumn<double>("churn");
        QTest::newRow("ode") << 0.0;
        QTest::newRow("churn") << 20.0;
    }
    void samplesIndependentOfBatchPosition()
    {
        QFETCH(double, churn);
        Toy toy;
        RunSettings part = settings(1.0, 3, churn);
        part.firstSample = 5;
        Trajectory middle(toy.model, toy.disc, part, Device::Cpu);
        Trajectory whole(toy.model, toy.disc, settings(1.0, 11, churn), Device::Cpu);
        middle.runToEnd();
        whole.runToEnd();
        QVERIFY(maxAbsDiff(middle.state(0), whole.state(0).slice(5, 3)) == 0.0f);
        const float d = maxAbsDiff(middle.state(), whole.state().slice(5, 3));
        QVERIFY2(d < 1e-5f, qPrintable(QString("samples 5-7 differ by %1").arg(d)));
        // Not trivially equal: other positions differ.
        QVERIFY(maxAbsDiff(middle.state(), whole.state().slice(0, 3)) > 1e-2f);

        SampleRequest r;
        r.denoiser = "builtin:ring8-model";
        r.discriminator = "builtin:ring8-disc";
        r.settings = settings(1.0, 11, churn);
        const auto byFour = sampleInBatches(r, 4, nullptr, nullptr);
        const auto byEleven = sampleInBatches(r, 11, nullptr, nullptr);
        QCOMPARE(byFour.shape, byEleven.shape);
        const float b = maxAbsDiff(byFour, byEleven);
        QVERIFY2(b < 1e-5f, qPrintable(QString("batch 4 vs 11 differ by %1").arg(b)));
        QVERIFY(maxAbsDiff(byEleven, whole.state()) < 1e-5f);
    }

    void nonFiniteNamesStepAndWeight()
    {
        Toy toy;
        Trajectory t(toy.model, toy.disc, settings(1e38), Device::Cpu);
        try {
            t.runToEnd();
            QFAIL("an absurd weight did not fail");
        } catch (const Error& e) {
            const QString msg = e.what();
            QVERIFY2(msg.contains("left the plausible range") && msg.contains("step") && msg.contains("sigma=") &&
                         msg.contains("‹dg-weight›") && !msg.contains('\n'),
                     e.what());
        }
    }

    void noiseInputAndFinish()
    {
        Toy toy;
        HostTensor noise{{3, 2}, {0.1f, 0.2f, -0.3f, 0.4f, 1.0f, -1.0f}};
        Trajectory t(toy.model, nullptr, settings(0.0), Device::Cpu, &noise);
        QCOMPARE(t.settings().count, int64_t(3));
        const auto start = t.state(0);
        for (size_t i = 0; i < noise.values.size(); ++i)
            QCOMPARE(start.values[i], noise.values[i] * 80.0f);
        t.runToEnd();
        QVERIFY(t.finished());
        QVERIFY_THROWS_EXCEPTION(Error, t.step());
        HostTensor wrong{{2, 3}, std::vector<float>(6, 0.0f)};
        QVERIFY_THROWS_EXCEPTION(Error, loadDenoiser("builtin:ring8-model", Device::Cpu, wrong.sampleShape()));
    }

    void classLabelsChecked()
    {
        Toy toy;
        RunSettings s = settings(0.0);
        s.classLabel = 3;
        try {
            Trajectory t(toy.model, nullptr, s, Device::Cpu);
            QFAIL("a class label for an unconditional model was accepted");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).startsWith("‹class›"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TrajectoryTest)
#include "TrajectoryTest.moc"
