// The viewer draws what it is given: known tiles come back from the framebuffer with the right colours (grey map,
// diverging map), 2-D particles are drawn, hovering names the tile. Needs an X server (xvfb-run).
#include "GridLayout.h"
#include "ViewerWidget.h"

#include <QFontMetricsF>
#include <QtTest>

#include <cmath>
#include <optional>
#include <set>

using namespace dg;
using namespace dg::studio;

namespace {

// Four 4×4 tiles: −1 (black), +1 (white), 0 (mid grey), and left half −1 / right half +1.
std::shared_ptr<Frame> knownFrame()
{
    auto f = std::make_shared<Frame>();
    f->steps = 2;
    f->step = 2; // the final sample: σ = 0, shown unscaled
    f->x.shape = {4, 1, 4, 4};
    for (int i = 0; i < 4; ++i)
        for (int y = 0; y < 4; ++y)
            for (int x = 0; x < 4; ++x)
                f->x.values.push_back(i == 0 ? -1.0f : i == 1 ? 1.0f : i == 2 ? 0.0f : (x < 2 ? -1.0f : 1.0f));
    f->denoised = f->x;
    f->correction = f->x; // diverging map: −s blue, +s red, 0 white
    return f;
}

QPoint tileCentre(const ViewerWidget& w, int index, float fx = 0.5f, float fy = 0.5f)
{
    // The viewer's own layout math: one panel, the default margins, the atlas fitted at zoom 1.
    const gl::GridLayout layout(4, 4, 4);
    const gl::RectF panel{8, 28, static_cast<float>(w.width()) - 16, static_cast<float>(w.height()) - 24 - 30};
    const auto t =
        gl::PanelTransform::fit(panel, static_cast<float>(layout.width()), static_cast<float>(layout.height()));
    const auto r = t.toScreen(layout.tile(index));
    return {static_cast<int>(r.x + r.w * fx), static_cast<int>(r.y + r.h * fy)};
}

bool near(QRgb c, int r, int g, int b, int tolerance = 3)
{
    return std::abs(qRed(c) - r) <= tolerance && std::abs(qGreen(c) - g) <= tolerance &&
           std::abs(qBlue(c) - b) <= tolerance;
}

QString describe(QRgb c)
{
    return QStringLiteral("(%1, %2, %3)").arg(qRed(c)).arg(qGreen(c)).arg(qBlue(c));
}

} // namespace

class ViewerTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    // The view-mode table is the one place a mode is defined: keys are unique, and each entry's show function gives
    // what its panel shows of a frame with a companion (x_t scaled by 1/sqrt(1 + sigma^2), the prediction, the
    // correction on the diverging map at its 99th percentile, guided - unguided), and nothing a run does not have.
    void everyViewModeShowsAFrame()
    {
        auto f = std::make_shared<Frame>(*knownFrame());
        f->step = 1;
        f->sigma = f->unguidedSigma = 3.0;
        f->unguidedX = f->x;
        for (float& v : f->unguidedX.values)
            v *= 0.5f;
        f->unguidedDenoised = f->unguidedX;
        std::set<std::string> keys;
        for (const auto& m : gl::viewModes()) {
            QVERIFY2(keys.insert(m.key).second, m.key);
            QVERIFY2(gl::viewModeFromKey(m.key) == m.mode, m.key);
            const gl::ViewContent guided = m.show(*f, false), unguided = m.show(*f, true);
            QVERIFY2(guided.values.shape == f->x.shape, m.key);
            QVERIFY2(!guided.caption.empty() || m.mode == gl::ViewMode::Denoised, m.key);
            if (m.comparable) QVERIFY2(unguided.values.shape == f->x.shape, m.key); // guided | unguided side by side
            if (guided.colormap == gl::Colormap::Diverging) QVERIFY2(guided.scale > 0, m.key);
        }
        QVERIFY(!gl::viewModeFromKey("x")); // one spelling: the table's key
        const float k = static_cast<float>(1.0 / std::sqrt(10.0));
        QCOMPARE(gl::viewModeInfo(gl::ViewMode::State).show(*f, false).values.values[16], 1.0f * k);
        QCOMPARE(gl::viewModeInfo(gl::ViewMode::State).show(*f, true).values.values[16], 0.5f * k);
        QCOMPARE(gl::viewModeInfo(gl::ViewMode::Difference).show(*f, false).values.values[16], 0.5f);
        QVERIFY(gl::viewModeInfo(gl::ViewMode::Correction).show(*f, true).values.values.empty()); // no guidance there
        const auto c = gl::viewModeInfo(gl::ViewMode::Correction).show(*f, false);
        QCOMPARE(c.scale, 1.0f); // |correction| is 0 or 1: its 99th percentile is 1
        f->unguidedX = {};
        QVERIFY(gl::viewModeInfo(gl::ViewMode::Difference).show(*f, false).values.values.empty());
        QVERIFY(gl::viewModeInfo(gl::ViewMode::Difference).show(*f, false).caption.find("Compare") !=
                std::string::npos);
    }

    void drawsKnownTilesInGrey()
    {
        ViewerWidget w;
        w.resize(420, 360);
        w.setBadges(false);
        w.setPanels({{knownFrame(), false, "known", {}}});
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.lastError().isEmpty(), qPrintable(w.lastError()));
        const QImage img = w.grabFramebuffer();
        const QRgb black = img.pixel(tileCentre(w, 0)), white = img.pixel(tileCentre(w, 1));
        const QRgb grey = img.pixel(tileCentre(w, 2));
        QVERIFY2(near(black, 0, 0, 0), qPrintable(describe(black)));
        QVERIFY2(near(white, 255, 255, 255), qPrintable(describe(white)));
        QVERIFY2(near(grey, 128, 128, 128), qPrintable(describe(grey)));
        QVERIFY(near(img.pixel(tileCentre(w, 3, 0.2f)), 0, 0, 0));
        QVERIFY(near(img.pixel(tileCentre(w, 3, 0.8f)), 255, 255, 255));
        // The gap between tiles and the background are neither black nor white.
        const QPoint gap = (tileCentre(w, 0, 1.0f) + tileCentre(w, 1, 0.0f)) / 2;
        QVERIFY(!near(img.pixel(gap), 0, 0, 0, 10) && !near(img.pixel(gap), 255, 255, 255, 10));
    }

    void drawsTheCorrectionWithTheDivergingMap()
    {
        ViewerWidget w;
        w.resize(420, 360);
        w.setBadges(false);
        w.setMode(ViewMode::Correction);
        w.setPanels({{knownFrame(), false, {}, {}}});
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QImage img = w.grabFramebuffer();
        // shaders/image.frag: −1 → blue (0.13, 0.40, 0.67), +1 → red (0.70, 0.09, 0.17), 0 → white (0.97).
        QVERIFY2(near(img.pixel(tileCentre(w, 0)), 33, 102, 171), qPrintable(describe(img.pixel(tileCentre(w, 0)))));
        QVERIFY2(near(img.pixel(tileCentre(w, 1)), 179, 23, 43), qPrintable(describe(img.pixel(tileCentre(w, 1)))));
        QVERIFY2(near(img.pixel(tileCentre(w, 2)), 247, 247, 247), qPrintable(describe(img.pixel(tileCentre(w, 2)))));
    }

    void drawsBadgesFromLogits()
    {
        auto f = knownFrame();
        f->step = 0;
        f->sigma = 0.0;
        f->logit = {-4.0f, 4.0f, 0.0f, 0.0f}; // d ≈ 0.02 (red badge), d ≈ 0.98 (green badge)
        ViewerWidget w;
        w.resize(420, 360);
        w.setPanels({{f, false, {}, {}}});
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QImage img = w.grabFramebuffer();
        const QRgb low = img.pixel(tileCentre(w, 0, 0.9f, 0.02f)), high = img.pixel(tileCentre(w, 1, 0.9f, 0.02f));
        QVERIFY2(qRed(low) > 150 && qGreen(low) < 80, qPrintable(describe(low)));
        QVERIFY2(qGreen(high) > 120 && qRed(high) < 80, qPrintable(describe(high)));
    }

    void drawsParticles()
    {
        auto f = std::make_shared<Frame>();
        f->steps = 1;
        f->step = 1;
        f->extent = 1.6;
        f->x.shape = {1, 2};
        f->x.values = {0.0f, 0.0f}; // one particle in the centre of the plot
        ViewerWidget w;
        w.resize(400, 400);
        w.setPanels({{f, false, {}, {f}}});
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QImage img = w.grabFramebuffer();
        const gl::RectF panel{8, 28, 400 - 16, 400 - 24 - 30};
        const QPoint centre(static_cast<int>(panel.x + panel.w / 2), static_cast<int>(panel.y + panel.h / 2));
        const QRgb c = img.pixel(centre);
        QVERIFY2(qRed(c) > 200 && qGreen(c) < 120, qPrintable(describe(c))); // the guided particle colour
        const QRgb away = img.pixel(centre + QPoint(60, 60));
        QVERIFY(!(qRed(away) > 200 && qGreen(away) < 120));
    }

    // Teaching (issue 28, item 4): with the whole run's axes a particle at x = 1.2 sits near the centre of a ±100
    // plot (the run began at extent 100), following the cloud it sits out at 60 % of the ±2 plot; the default rule
    // fixes the axes only while playing. The caption says which.
    void toyAxesFollowOrStayFixed()
    {
        auto first = std::make_shared<Frame>();
        first->steps = 2;
        first->step = 0;
        first->extent = 100.0;
        first->x.shape = {1, 2};
        first->x.values = {60.0f, 0.0f};
        auto now = std::make_shared<Frame>(*first);
        now->step = 1;
        now->extent = 2.0;
        now->x.values = {1.2f, 0.0f};
        ViewerWidget w;
        w.resize(400, 400);
        w.setPanels({{now, false, {}, {first, now}}});
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const gl::RectF panel{8, 28, 400 - 16, 400 - 24 - 30};
        const float side = std::min(panel.w, panel.h), cx = panel.x + panel.w / 2, cy = panel.y + panel.h / 2;
        const QPointF followed(cx + 0.6f * side / 2, cy), fixed(cx + 0.012f * side / 2, cy);
        auto caption = [&] {
            w.grabFramebuffer();
            for (const auto& l : w.lastLabels())
                if (l.text.find("axes fixed") != std::string::npos || l.text.find("plot spans") != std::string::npos)
                    return QString::fromStdString(l.text);
            return QString();
        };
        w.setToyAxis(gl::ToyAxis::Follow, true);
        QVERIFY2(caption().contains(QStringLiteral("plot spans +-2")), qPrintable(caption()));
        QVERIFY(w.describeAt(followed).contains(QStringLiteral("x = (1.2")));
        w.setToyAxis(gl::ToyAxis::WholeRunWhilePlaying, true);
        QVERIFY2(caption().contains(QStringLiteral("axes fixed at +-100")), qPrintable(caption()));
        QVERIFY(w.describeAt(fixed).contains(QStringLiteral("x = (1.2")));
        QVERIFY(!w.describeAt(followed).contains(QStringLiteral("x = (1.2")));
        w.setToyAxis(gl::ToyAxis::WholeRunWhilePlaying, false); // paused: its own detail again
        QVERIFY2(caption().contains(QStringLiteral("plot spans +-2")), qPrintable(caption()));
        w.setToyAxis(gl::ToyAxis::WholeRun, false);
        QVERIFY2(caption().contains(QStringLiteral("axes fixed at +-100")), qPrintable(caption()));
    }

    // Compare + difference (issue 13, item 6): one shared header, then each panel's name within its own panel — no
    // label reaches into the next panel; no d(x) values on the difference panel.
    void compareHeadersFitTheirPanels()
    {
        auto f = std::make_shared<Frame>();
        f->steps = 18;
        f->step = 10;
        f->sigma = 1.0937;
        f->weight = f->weight2 = 2.0;
        f->x.shape = {16, 1, 28, 28};
        f->x.values.assign(16 * 28 * 28, 0.25f);
        f->unguidedX = f->x;
        f->unguidedX.values.assign(16 * 28 * 28, -0.25f);
        f->denoised = f->x;
        f->unguidedDenoised = f->unguidedX;
        f->logit.assign(16, 0.5f);
        ViewerWidget w;
        w.resize(660, 640); // the viewer's size in a 1280 x 800 window
        w.setMode(ViewMode::Difference);
        w.setPanels(gl::comparePanels(f, "guided", {}, ViewMode::Difference));
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_VERIFY(!w.lastLabels().empty());
        const QFontMetricsF metrics(w.labelFont());
        std::vector<gl::Label> names;
        int headers = 0;
        std::string header;
        for (const auto& l : w.lastLabels()) {
            if (l.small) continue; // badges
            if (l.y < 4)
                ++headers, header = l.text;
            else if (l.y < 2 * gl::FrameView::kTitleBand)
                names.push_back(l);
            if (l.y < 2 * gl::FrameView::kTitleBand)
                QVERIFY2(metrics.horizontalAdvance(QString::fromStdString(l.text)) <= l.w,
                         qPrintable(QString::fromStdString(l.text) + " does not fit"));
        }
        QCOMPARE(headers, 1);
        QCOMPARE(names.size(), size_t(3));
        for (size_t i = 1; i < names.size(); ++i)
            QVERIFY(names[i - 1].x + names[i - 1].w <= names[i].x);
        QVERIFY2(names[0].text.find("w=2") != std::string::npos, names[0].text.c_str());
        QVERIFY2(header.find("step 10/18") != std::string::npos, header.c_str());
        // The difference panel carries no d(x) badge values (they belong to a state, not to a difference).
        int badges = 0;
        for (const auto& l : w.lastLabels())
            badges += l.small && l.x > names[2].x;
        QCOMPARE(badges, 0);
    }

    void hoverDescribesTheTile()
    {
        auto f = knownFrame();
        f->logit = {0.5f, 1.0f, 2.0f, 3.0f};
        ViewerWidget w;
        w.resize(420, 360);
        w.setSeed(9, 0);
        w.setPanels({{f, false, {}, {}}});
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.grabFramebuffer();
        const QString text = w.describeAt(tileCentre(w, 1));
        QVERIFY2(text.contains(QStringLiteral("sample 1")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("seed 9")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("logit = 1")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("= 1")), qPrintable(text)); // the pixel value of the white tile
        QVERIFY(w.describeAt(QPointF(2, 2)).isEmpty());

        // The next step arrives under a still mouse (→): before any repaint the read-out gives the new frame's pixel,
        // not the old one (issue 28, item 2.2: σ and the logit updated, the pixel value did not).
        auto next = knownFrame();
        for (float& v : next->x.values)
            v = -0.25f;
        next->step = 1;
        next->sigma = 0.5;
        w.setPanels({{next, false, {}, {}}});
        const QString after = w.describeAt(tileCentre(w, 1));
        QVERIFY2(after.contains(QStringLiteral("sigma = 0.5")), qPrintable(after));
        QVERIFY2(after.contains(QStringLiteral(") = -0.2")), qPrintable(after)); // −0.25 / √(1 + σ²) on screen
    }
};

QTEST_MAIN(ViewerTest)
#include "ViewerTest.moc"
