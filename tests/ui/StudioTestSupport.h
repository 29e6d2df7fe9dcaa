// Helpers shared by dg-studio's window tests (StudioWindowTest, StudioFixesTest).
#pragma once

#include "MainWindow.h"

#include "dg/Session.h"

#include <QElapsedTimer>
#include <QTimer>
#include <QtTest>

#include <functional>

namespace dg::studio::uitest {

inline SampleRequest toy(double w, int steps, int count)
{
    SampleRequest r;
    r.denoiser = "builtin:ring8-model";
    r.discriminator = "builtin:ring8-disc";
    r.device = Device::Cpu;
    r.settings.count = count;
    r.settings.seed = 11;
    r.settings.sampler.schedule.steps = steps;
    r.settings.guidance.weight = w;
    return r;
}

inline bool waitUntil(const std::function<bool()>& done, int ms = 60000)
{
    QElapsedTimer t;
    t.start();
    while (!done() && t.elapsed() < ms)
        QTest::qWait(10);
    return done();
}

// Keyboard shortcuts go to the active window; the viewer has focus (a spin box would take the letters).
inline bool activate(MainWindow& w)
{
    w.activateWindow();
    w.viewer().setFocus();
    return QTest::qWaitForWindowActive(&w);
}

inline bool finished(MainWindow& w, int branch)
{
    const auto& b = w.controller().branches();
    return branch < static_cast<int>(b.size()) && b[static_cast<size_t>(branch)].finished;
}

// Largest gap between ticks of a 5 ms timer on the GUI thread while `busy` holds.
struct StallProbe
{
    QTimer timer;
    QElapsedTimer clock;
    qint64 last = 0, worst = 0;
    int ticks = 0;
    StallProbe()
    {
        timer.setInterval(5);
        QObject::connect(&timer, &QTimer::timeout, [this] {
            const qint64 now = clock.elapsed();
            if (ticks++ > 0) worst = std::max(worst, now - last);
            last = now;
        });
        clock.start();
        timer.start();
    }
};

} // namespace dg::studio::uitest
