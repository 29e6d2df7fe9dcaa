// dg-lab under xvfb-run: one rendered frame (the app's own --screenshot) has the particle view on the left and the
// ImGui panel on the right, both with non-blank pixels; bad options fail with one line.
#include "TestSupport.h"

#include "dg/Image.h"

#include <QTemporaryDir>
#include <QtTest>

#include <set>

using namespace dg;

namespace {

struct Counts
{
    int red = 0, distinct = 0;
};

Counts region(const RgbImage& img, int x0, int y0, int x1, int y1)
{
    Counts c;
    std::set<int> colours;
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) {
            const Rgb p = img.pixel(x, y);
            if (p.r > 200 && p.g < 110 && p.b < 110) ++c.red;
            colours.insert((p.r << 16) | (p.g << 8) | p.b);
        }
    c.distinct = static_cast<int>(colours.size());
    return c;
}

} // namespace

class LabWindowTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void oneFrameHasTheViewAndThePanels()
    {
        QTemporaryDir dir;
        const QString png = dir.filePath(QStringLiteral("lab.png"));
        const auto r =
            test::runProcess(QStringLiteral(DG_LAB_PATH),
                             {QStringLiteral("--screenshot"), png, QStringLiteral("--count"), QStringLiteral("200")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const RgbImage img = readPng(png.toStdString());
        QCOMPARE(img.width(), 1400);
        QCOMPARE(img.height(), 860);
        const int panelX = 1400 - 340;
        const Counts view = region(img, 0, 30, panelX - 10, 820);
        const Counts panel = region(img, panelX + 5, 0, 1400, 860);
        QVERIFY2(view.red > 200, qPrintable(QString::number(view.red)));            // guided particles (red discs)
        QVERIFY2(view.distinct > 500, qPrintable(QString::number(view.distinct)));  // density colormap, paths
        QVERIFY2(panel.distinct > 20, qPrintable(QString::number(panel.distinct))); // ImGui text and widgets
        QCOMPARE(panel.red, 0);
    }

    // "Where can it guide?" (D) in a rendered frame: the diagnosis window's curves (the reals' green, the fakes'
    // orange) are drawn over the view, which has neither colour without it.
    void diagnosisWindowIsDrawn()
    {
        QTemporaryDir dir;
        auto greenAndOrange = [](const RgbImage& img) {
            int green = 0, orange = 0;
            for (int y = 0; y < img.height(); ++y)
                for (int x = 0; x < img.width() - 340; ++x) {
                    const Rgb p = img.pixel(x, y);
                    green += p.r == 90 && p.g == 210 && p.b == 120;
                    orange += p.r == 255 && p.g == 150 && p.b == 60;
                }
            return std::pair{green, orange};
        };
        const QString with = dir.filePath(QStringLiteral("with.png")),
                      without = dir.filePath(QStringLiteral("without.png"));
        const auto r = test::runProcess(QStringLiteral(DG_LAB_PATH),
                                        {QStringLiteral("--diagnose"), QStringLiteral("--screenshot"), with});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto n = test::runProcess(QStringLiteral(DG_LAB_PATH), {QStringLiteral("--screenshot"), without});
        QVERIFY2(n.exitCode == 0, qPrintable(n.err));
        const auto [green, orange] = greenAndOrange(readPng(with.toStdString()));
        QVERIFY2(green > 200 && orange > 200, qPrintable(QString("%1 green, %2 orange").arg(green).arg(orange)));
        const auto [green0, orange0] = greenAndOrange(readPng(without.toStdString()));
        QCOMPARE(green0 + orange0, 0);
    }

    void badOptionsFailWithOneLine()
    {
        const auto r = test::runProcess(QStringLiteral(DG_LAB_PATH), {QStringLiteral("--count"), QStringLiteral("x")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.trimmed().startsWith(QStringLiteral("dg-lab: --count:")), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count(QLatin1Char('\n')), 0);
        const auto v =
            test::runProcess(QStringLiteral(DG_LAB_PATH), {QStringLiteral("--view"), QStringLiteral("sideways")});
        QCOMPARE(v.exitCode, 2);
        QVERIFY(v.err.contains(QStringLiteral("--view")));
    }

    void aBadModelFailsTheScreenshotRun()
    {
        QTemporaryDir dir;
        const auto r = test::runProcess(QStringLiteral(DG_LAB_PATH),
                                        {QStringLiteral("--denoiser"), QStringLiteral("/nonexistent/model.pt"),
                                         QStringLiteral("--screenshot"), dir.filePath(QStringLiteral("x.png"))});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(QStringLiteral("/nonexistent/model.pt")), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(LabWindowTest)
#include "LabWindowTest.moc"
