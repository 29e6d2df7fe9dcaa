// dg sample --animation: GIF and MP4 read back with giflib's and FFmpeg's decoders — frame count (steps + 1, plus the
// hold's repeats in an MP4), frame size, timing, the settings as metadata, every frame's caption, and (GIF, exact
// greys) the last frame showing the samples written to --out.
#include "TestSupport.h"

#include "dg/Animation.h"
#include "dg/SampleRequest.h"
#include "dg/Schedule.h"
#include "dg/TensorFile.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace dg;

namespace {

const QString kDg = QStringLiteral(DG_CLI_PATH);

// Pixels of the caption strip (font scale 3 at the frame's top-left margin) that differ from `caption` drawn the way
// the exporter draws it, as a fraction of the strip.
double captionMismatch(const RgbImage& frame, const std::string& caption)
{
    const int w = std::min(frame.width(), RgbImage::textWidth(caption, 3) + 24), h = 7 * 3 + 24;
    RgbImage expected(w, h, {255, 255, 255});
    expected.drawText(12, 12, caption, {20, 20, 24}, 3);
    int wrong = 0;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const Rgb a = frame.pixel(x, y), b = expected.pixel(x, y);
            if (std::abs(a.r - b.r) + std::abs(a.g - b.g) + std::abs(a.b - b.b) > 150) ++wrong;
        }
    return static_cast<double>(wrong) / (w * h);
}

} // namespace

class AnimationTest : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void readBack_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("steps");
        QTest::addColumn<int>("fps");
        QTest::addColumn<double>("hold");
        QTest::addColumn<double>("weight");
        QTest::newRow("gif toy compare") << "toy.gif" << QStringList{"--denoiser",      "builtin:ring8-model",
                                                                     "--discriminator", "builtin:ring8-disc",
                                                                     "--count",         "300",
                                                                     "--compare"}
                                         << 6 << 5 << 1.0 << 1.0;
        QTest::newRow("gif images") << "images.gif"
                                    << QStringList{"--denoiser",          "builtin:fmnist", "--discriminator",
                                                   "builtin:fmnist-disc", "--count",        "4"}
                                    << 5 << 4 << 0.5 << 2.0;
        QTest::newRow("mp4 images denoised")
            << "images.mp4"
            << QStringList{"--denoiser", "builtin:fmnist",   "--discriminator", "builtin:fmnist-disc", "--count", "4",
                           "--compare",  "--animation-view", "denoised"}
            << 5 << 4 << 0.5 << 2.0;
    }
    void readBack()
    {
        QFETCH(QString, file);
        QFETCH(QStringList, args);
        QFETCH(int, steps);
        QFETCH(int, fps);
        QFETCH(double, hold);
        QFETCH(double, weight);
        const QString path = m_dir.filePath(file), out = m_dir.filePath(file + ".pt");
        const auto r =
            test::runProcess(kDg, QStringList{"sample", "--quiet", "--steps", QString::number(steps), "--dg-weight",
                                              QString::number(weight), "--fps", QString::number(fps), "--hold",
                                              QString::number(hold), "--out", out, "--animation", path} +
                                      args);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto a = readAnimation(path.toStdString());
        const bool gif = file.endsWith(".gif");
        const int repeats = gif ? 0 : static_cast<int>(std::lround(hold * fps));
        QCOMPARE(static_cast<int>(a.frames.size()), steps + 1 + repeats);
        QVERIFY(a.frames.front().width() >= 200 && a.frames.front().height() >= 100);
        for (const auto& f : a.frames) {
            QCOMPARE(f.width(), a.frames.front().width());
            QCOMPARE(f.height(), a.frames.front().height());
        }
        if (gif) {
            QCOMPARE(a.codec, std::string("gif"));
            for (int k = 0; k < steps; ++k)
                QCOMPARE(a.seconds[k], std::round(100.0 / fps) / 100.0);
            QCOMPARE(a.seconds.back(), std::round(100.0 / fps) / 100.0 + hold);
        } else {
            QVERIFY2(a.codec == "h264" || a.codec == "mpeg4", a.codec.c_str());
            QVERIFY(std::fabs(a.seconds.front() - 1.0 / fps) < 1e-6);
        }
        const SampleRequest request = requestFromJson(a.metadata);
        QCOMPARE(request.settings.guidance.weight, weight);
        QCOMPARE(request.settings.sampler.schedule.steps, steps);

        ScheduleSettings schedule;
        schedule.steps = steps;
        const auto sigmas = edmSigmas(schedule);
        for (int k = 0; k < static_cast<int>(a.frames.size()); ++k) {
            const int step = std::min(k, steps);
            const auto caption = animationCaption(step, steps, sigmas[step], weight);
            const double miss = captionMismatch(a.frames[k], caption);
            QVERIFY2(miss < 0.01, qPrintable(QString("frame %1: caption '%2' differs in %3 of the strip")
                                                 .arg(k)
                                                 .arg(caption.c_str())
                                                 .arg(miss)));
            // The check can fail: another step's caption does not match.
            const auto other =
                animationCaption((step + 1) % (steps + 1), steps, sigmas[(step + 1) % (steps + 1)], weight);
            QVERIFY(captionMismatch(a.frames[k], other) > 0.01);
        }

        if (file == "images.gif") { // exact greys: the last frame is the samples of --out, drawn by the exporter
            const HostTensor samples = loadTensorFile(out.toStdString());
            const auto expected = composeAnimation({AnimationPanel{"DG, w = 2", {samples}}},
                                                   {animationCaption(steps, steps, 0.0, weight)}, {0.0});
            // (frames are padded on the right to the widest caption of the run)
            QVERIFY(expected.front().width() <= a.frames.back().width());
            QCOMPARE(expected.front().height(), a.frames.back().height());
            int differing = 0;
            for (int y = 0; y < expected.front().height(); ++y)
                for (int x = 0; x < expected.front().width(); ++x) {
                    const Rgb p = a.frames.back().pixel(x, y), q = expected.front().pixel(x, y);
                    if (std::abs(p.r - (q.r * 299 + q.g * 587 + q.b * 114 + 500) / 1000) > 1) ++differing;
                }
            QCOMPARE(differing, 0);
        }
    }
};

QTEST_GUILESS_MAIN(AnimationTest)
#include "AnimationTest.moc"
