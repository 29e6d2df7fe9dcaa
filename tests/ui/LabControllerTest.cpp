// dg-lab's controller without GL or ImGui: the queue drained once per frame, stale runs dropped, a weight edit applied
// from the next step, replay, export with settings, the narration card.
#include "LabController.h"
#include "LabUi.h"
#include "TestSupport.h"

#include "dg/Animation.h"
#include "dg/Image.h"
#include "models/Denoiser.h"

#include <ATen/ATen.h>

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>

#include <thread>

using namespace dg;
using namespace dg::lab;

namespace {

// The UI loop: drain once per "frame" until done() or the timeout.
bool pump(LabController& c, const std::function<bool()>& done, int ms = 30000)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < ms) {
        c.drain();
        c.tick(static_cast<double>(t.elapsed()) / 1000.0);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return done();
}

void toy(LabController& c, double w, int steps)
{
    c.request.denoiser = "builtin:ring8-model";
    c.request.discriminator = "builtin:ring8-disc";
    c.request.settings.count = 64;
    c.request.settings.seed = 3;
    c.request.settings.sampler.schedule.steps = steps;
    c.request.settings.guidance.weight = w;
}

} // namespace

class LabControllerTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // The Model panel's buttons: a pair by name sets the batch its kind needs (issue 13: fmnist kept the toy's 256).
    void choosingAPairSetsItsBatch()
    {
        LabController c;
        QCOMPARE(c.request.settings.count, int64_t(256));
        c.choosePair("builtin:fmnist", "builtin:fmnist-disc");
        QCOMPARE(c.request.denoiser, std::string("builtin:fmnist"));
        QCOMPARE(c.request.discriminator, std::string("builtin:fmnist-disc"));
        QCOMPARE(c.request.settings.count, int64_t(16));
        c.choosePair("builtin:moons-model", "builtin:moons-disc");
        QCOMPARE(c.request.settings.count, int64_t(256));
        c.request.settings.count = 40;
        c.choosePair("builtin:ring8-model", "builtin:ring8-disc", true);
        QCOMPARE(c.request.settings.count, int64_t(40));
        // The Model panel's buttons also set the kind's weight: 2 on images, 1 on toys (the exact ratio's w).
        QCOMPARE(LabController::defaultsFor("builtin:fmnist").weight, 2.0);
        QCOMPARE(LabController::defaultsFor("builtin:moons-model").weight, 1.0);
    }

    // A Model-panel button loads and samples at once (issue 28, 2.10), with its kind's preset; every queued event
    // calls the wake hook (dg-lab's idle loop sleeps until one arrives).
    void pickingAPairLoadsAndSamples()
    {
        LabController c;
        std::atomic<int> wakes{0};
        c.wake = [&wakes] { ++wakes; };
        c.request.settings.guidance.enabled = false;
        c.pickPair("builtin:moons-model", "builtin:moons-disc");
        QVERIFY(c.loading()); // no Sample press needed
        QVERIFY(pump(c, [&] { return c.history().finished(0); }));
        QCOMPARE(c.runRequest().denoiser, std::string("builtin:moons-model"));
        QCOMPARE(c.runRequest().settings.count, int64_t(256));
        QVERIFY(!c.runRequest().settings.guidance.enabled); // kept off as it was
        QVERIFY(wakes > 0);
        c.request.settings.guidance.enabled = true;
        c.pickPair("builtin:fmnist", "builtin:fmnist-disc");
        QVERIFY(c.loading());
        const GuidanceSettings official = kindGuidance(false);
        QCOMPARE(c.request.settings.guidance.preset, official.preset);
        QCOMPARE(c.request.settings.guidance.sigmaLo, official.sigmaLo);
        QCOMPARE(c.request.settings.guidance.weight, official.weight);
        QVERIFY(c.request.settings.guidance.enabled);
        QCOMPARE(c.request.settings.count, int64_t(16));
    }

    // The lecture hall: d(x_t) badges grow with the presenter's font scale (issue 13), within their tile.
    void badgesScaleWithTheFontScale()
    {
        QCOMPARE(gl::badgeHeight(100, 1.0f), 12.0f);
        QCOMPARE(gl::badgeHeight(400, 1.0f), 14.0f);        // capped at scale 1 (the old size)
        QCOMPARE(gl::badgeHeight(100, 1.8f), 12.0f * 1.8f); // dg-lab's presenter mode
        QCOMPARE(gl::badgeHeight(400, 2.0f), 28.0f);
        QCOMPARE(gl::badgeHeight(20, 3.0f), 6.0f); // never more than 30 % of the tile
        QCOMPARE(gl::badgeHeight(10, 1.0f), 3.0f);
    }

    void eventsArriveOnlyThroughDrain()
    {
        LabController c;
        toy(c, 1.0, 5);
        c.sample();
        QVERIFY(c.loading());
        std::this_thread::sleep_for(std::chrono::milliseconds(500)); // the worker loads and samples meanwhile
        QCOMPARE(c.history().frameCount(0), 0);                      // … but nothing reached the UI state
        QVERIFY(pump(c, [&] { return c.history().finished(0); }));
        QVERIFY(c.models().has_value());
        QCOMPARE(c.history().frameCount(0), 6);
        QCOMPARE(c.step(), 5); // the cursor followed the run to the final sample
        QVERIFY(!c.playing());
    }

    void staleRunIsDropped()
    {
        LabController c;
        toy(c, 1.0, 300);
        c.request.settings.count = 1024;
        c.sample();
        QVERIFY(pump(c, [&] { return c.history().frameCount(0) >= 2; }));
        toy(c, 1.0, 4);
        c.sample();
        QVERIFY(pump(c, [&] { return c.history().finished(0); }));
        QCOMPARE(c.history().frameCount(0), 5);
        for (int k = 0; k < 5; ++k)
            QCOMPARE(c.history().frame(0, k)->steps, 4);
    }

    void weightEditAppliesFromTheNextStep()
    {
        LabController c;
        toy(c, 0.0, 6);
        // Without the companion: a pause that lands between a guided step and its companion would leave the next
        // step-forward catching the companion up instead of adding a step (a load-dependent race, not under test).
        c.compare = false;
        c.setStepInterval(400);
        c.sample();
        QVERIFY(pump(c, [&] { return c.history().frameCount(0) >= 1; }));
        c.togglePlay(); // pause
        QVERIFY(pump(
            c, [&] { return !c.playing(); }, 2000));
        pump(
            c, [] { return false; }, 500);
        const int done = c.history().frameCount(0);
        QVERIFY(done < 7);
        c.request.settings.guidance.weight = 2.0;
        c.applyGuidance(); // what the slider does
        c.setStepInterval(0);
        c.playback().stepForward();
        QVERIFY(pump(c, [&] { return c.history().frameCount(0) == done + 1; }));
        QCOMPARE(c.history().frame(0, done)->weight, 2.0);
        QCOMPARE(c.history().frame(0, done - 1)->weight, 0.0);
        c.toggleGuidance();
        c.playback().stepForward();
        QVERIFY(pump(c, [&] { return c.history().frameCount(0) == done + 2; }));
        QCOMPARE(c.history().frame(0, done + 1)->weight, 0.0);
    }

    void replayWalksTheRecordedSteps()
    {
        LabController c;
        toy(c, 1.0, 4);
        c.sample();
        QVERIFY(pump(c, [&] { return c.history().finished(0); }));
        c.playback().scrub(1);
        QCOMPARE(c.step(), 1);
        c.playback().stepBack();
        QCOMPARE(c.step(), 0);
        c.togglePlay(); // replays 0 → 4 at the pace, then stops
        QVERIFY(c.playing());
        QVERIFY(pump(
            c, [&] { return !c.playing(); }, 5000));
        QCOMPARE(c.step(), 4);
    }

    void panelsFollowCompareAndDifference()
    {
        LabController c;
        toy(c, 1.0, 3);
        c.sample();
        QVERIFY(pump(c, [&] { return c.history().finished(0); }));
        QCOMPARE(c.panels().size(), size_t(1));
        c.compareView = true;
        QCOMPARE(c.panels().size(), size_t(2));
        QVERIFY(c.panels()[1].unguided);
        c.mode = gl::ViewMode::Difference;
        QCOMPARE(c.panels().size(), size_t(3));
        QCOMPARE(c.panels()[2].title, std::string("difference"));
    }

    // "Where can it guide?": refused before a run, then computed off the UI thread, delivered only through drain(), and
    // the same numbers as the backend's own diagnosis of the run's pair.
    void diagnosisArrivesThroughDrain()
    {
        LabController c;
        c.diagnose();
        QVERIFY(!c.diagnosing());
        QVERIFY2(c.diagnosisError().find("sample once") != std::string::npos, c.diagnosisError().c_str());
        toy(c, 1.0, 6);
        c.sample();
        QVERIFY(pump(c, [&] { return c.history().finished(0); }));
        c.diagnose(200);
        QVERIFY(c.diagnosing());
        QVERIFY(!c.diagnosis());
        QVERIFY(pump(
            c, [&] { return !c.diagnosing(); }, 120000));
        QVERIFY2(c.diagnosisError().empty(), c.diagnosisError().c_str());
        QVERIFY(c.diagnosis().has_value());
        const auto& rows = c.diagnosis()->rows;
        QCOMPARE(rows.size(), defaultDiagnosticSigmas().size());
        SampleRequest r = c.runRequest();
        r.device = Device::Cpu;
        const auto expected = diagnoseAgainstOwnSamples(r, nullptr, 200, defaultDiagnosticSigmas(), 100, nullptr);
        for (size_t i = 0; i < rows.size(); ++i) {
            QCOMPARE(rows[i].sigma, expected.rows[i].sigma);
            QCOMPARE(rows[i].accuracy, expected.rows[i].accuracy);
        }
        QVERIFY2(rows.front().accuracy > 0.6, qPrintable(QString::number(rows.front().accuracy))); // small σ: it sees

        // Honest progress (issue 28, item 3): the stage and how far reach the UI through drain; Cancel ends it.
        c.diagnose(20000);
        QVERIFY(pump(
            c, [&] { return c.diagnosisProgress().stage.done > 0; }, 60000));
        QCOMPARE(c.diagnosisProgress().stage.stage, std::string("sampling"));
        QCOMPARE(c.diagnosisProgress().stage.total, int64_t(20000));
        c.cancelDiagnosis();
        QVERIFY(pump(
            c, [&] { return !c.diagnosing(); }, 20000));
        QCOMPARE(c.diagnosisError(), std::string("diagnosis cancelled"));
        QCOMPARE(c.diagnosis()->rows.size(), rows.size()); // the last finished diagnosis stays
    }

    // Lecture-hall readability (issue 13): a toy's plot always holds every particle (at σ = 80 they are far outside
    // the data's ±1.6, and the plot grows with them); the narration speaks of particles, not shapes, and sits in a
    // band under the plots; the correction map's colour scale ignores a few extreme pixels.
    void toyPlotsHoldEveryParticleAndNarrationFits()
    {
        LabController c;
        toy(c, 1.0, 8);
        c.sample();
        QVERIFY(pump(c, [&] { return c.history().finished(0); }));
        double first = 0.0;
        for (int k = 0; k < c.history().frameCount(0); ++k) {
            const FramePtr f = c.history().frame(0, k);
            for (const HostTensor* t : {&f->x, &f->unguidedX})
                for (float v : t->values)
                    QVERIFY2(std::fabs(v) <= f->extent,
                             qPrintable(QString("step %1: %2 outside +-%3").arg(k).arg(v).arg(f->extent)));
            if (k == 0) first = f->extent;
        }
        QVERIFY2(first > 10.0, qPrintable(QString::number(first)));
        QVERIFY(c.history().frame(0, c.history().frameCount(0) - 1)->extent <=
                2.0); // the final samples: the data scale

        c.playback().scrub(3);
        LabUi ui(c);
        const std::string card = ui.narration();
        QVERIFY2(card.find("particle") != std::string::npos && card.find("Shapes") == std::string::npos, card.c_str());
        ui.fontScale = 1.8f;
        ui.narrate = true;
        QCOMPARE(ui.viewArea(1920, 1080).h, 1080.0f - ui.narrationHeight());
        QVERIFY(ui.narrationHeight() > 0);
        ui.panelHidden = true;
        QCOMPARE(ui.viewArea(1920, 1080).w, 1920.0f);

        Frame f;
        f.x = HostTensor{{1, 1, 10, 10}, std::vector<float>(100, 0.0f)};
        f.correction = HostTensor{{1, 1, 10, 10}, std::vector<float>(100, 0.01f)};
        f.correction.values[7] = 100.0f; // one extreme pixel
        ExportView v;
        gl::exportValues(f, gl::ViewMode::Correction, 0, v);
        QCOMPARE(v.divergingScale, 0.01f);
    }

    void exportAndNarration()
    {
        QTemporaryDir dir;
        LabController c;
        toy(c, 1.5, 5);
        c.sample();
        QVERIFY(pump(c, [&] { return c.history().finished(0); }));
        c.playback().scrub(2);
        const std::string path = dir.filePath(QStringLiteral("lab.png")).toStdString();
        std::string error;
        QVERIFY2(c.exportGrid(path, &error), error.c_str());
        const auto text = readPngText(path);
        QCOMPARE(text.at("dg.settings"), toJson(c.runRequest()));
        QVERIFY(text.at("dg.view").find("\"step\":2") != std::string::npos);
        QVERIFY(!c.exportGrid(dir.filePath(QStringLiteral("no/such/dir/x.png")).toStdString(), &error));
        QVERIFY2(error.find("no/such/dir") != std::string::npos, error.c_str());

        // Compare on: the export holds what the view shows, both halves under their titles, sharing one plot range
        // (issue 13); the single export stays one panel.
        const int single = readPng(path).width();
        c.compareView = true;
        const std::string both = dir.filePath(QStringLiteral("both.png")).toStdString();
        QVERIFY2(c.exportGrid(both, &error), error.c_str());
        const std::string view = readPngText(both).at("dg.view");
        QVERIFY2(view.find("\"title\":\"guided (x_t)\"") != std::string::npos, view.c_str());
        QVERIFY2(view.find("\"title\":\"unguided (x_t)\"") != std::string::npos, view.c_str());
        QVERIFY(readPng(both).width() > single * 3 / 2); // two plots side by side
        const RgbImage sheet = readPng(both);
        int ink = 0; // the titles' band above the panels is drawn
        for (int y = 8; y < 30; ++y)
            for (int x = 0; x < sheet.width(); ++x)
                ink += sheet.pixel(x, y).r < 128;
        QVERIFY(ink > 50);
        c.mode = gl::ViewMode::Difference;
        QVERIFY2(c.exportGrid(both, &error), error.c_str());
        // On a 2-D toy the difference is a displacement: the export keeps the two positions, not a third plot.
        const std::string difference = readPngText(both).at("dg.view");
        QVERIFY2(difference.find("unguided (x_t)") != std::string::npos, difference.c_str());
        QVERIFY2(difference.find("difference (") == std::string::npos, difference.c_str());
        if (const char* keep = std::getenv("DG_KEEP_EXPORT"))
            QFile::copy(QString::fromStdString(both), QString::fromUtf8(keep));
        c.mode = gl::ViewMode::State;
        c.compareView = false;

        // The animation: steps + 1 frames (5 steps), the run's settings as its comment; MP4 as well.
        for (const char* name : {"lab.gif", "lab.mp4"}) {
            const std::string anim = dir.filePath(QString::fromLatin1(name)).toStdString();
            QVERIFY2(c.exportAnimation(anim, AnimationTiming{}, &error), error.c_str());
            const auto a = readAnimation(anim);
            const size_t holdRepeats = anim.ends_with(".mp4") ? 8 : 0; // 2 s at 4 frames/s
            QCOMPARE(a.frames.size(), size_t(6) + holdRepeats);
            QCOMPARE(a.metadata, toJson(c.runRequest()));
        }

        LabUi ui(c);
        const std::string card = ui.narration();
        QVERIFY2(card.find("Step 2 of 5") != std::string::npos, card.c_str());
        QVERIFY2(card.find("w = 1.5") != std::string::npos, card.c_str());
        QVERIFY2(card.find("Mean d(x_t)") != std::string::npos, card.c_str());
        // The narrated mean d(x_t) is the optimal discriminator's own verdict on the shown step's x at its σ.
        const double d = c.meanD();
        const FramePtr f = c.shownFrame();
        QVERIFY(f && f->x.batch() > 0);
        const auto disc = loadDiscriminator("builtin:ring8-disc", Device::Cpu, {2});
        const auto x = at::from_blob(const_cast<float*>(f->x.values.data()), {f->x.batch(), 2}, at::kFloat).clone();
        const double expected = at::sigmoid(disc->logit(x, at::full({x.size(0)}, f->sigma, at::kFloat), std::nullopt))
                                    .mean()
                                    .item<double>();
        QVERIFY2(std::abs(d - expected) < 1e-4, qPrintable(QString("mean d %1, expected %2").arg(d).arg(expected)));
    }
};

QTEST_GUILESS_MAIN(LabControllerTest)
#include "LabControllerTest.moc"
