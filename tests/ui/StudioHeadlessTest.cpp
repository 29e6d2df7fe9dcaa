// dg-studio without a display: the README's run command still produces the guided-vs-unguided comparison, and
// --help works; with a display, bad options end with one line and exit status 2.
#include "dg/Image.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

struct Result
{
    int exitCode = -1;
    QString out, err;
};

Result run(const QStringList& args, bool display, const QString& dir)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (!display) {
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    }
    p.setProcessEnvironment(env);
    p.setWorkingDirectory(dir);
    p.start(QStringLiteral(DG_STUDIO_PATH), args);
    p.waitForFinished(180000);
    return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
}

} // namespace

class StudioHeadlessTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void writesTheComparisonWithoutADisplay()
    {
        QTemporaryDir dir;
        const auto r = run({}, false, dir.path());
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString png = dir.filePath(QStringLiteral("dg-studio-comparison.png"));
        QVERIFY2(r.out.contains(png), qPrintable(r.out));
        const auto image = dg::readPng(png.toStdString());
        QVERIFY(image.width() > 400 && image.height() > 100);
        const auto text = dg::readPngText(png.toStdString());
        QVERIFY(text.count("dg.settings") && text.count("dg.command"));
        // Written like every export: the models' files with their SHA-256, a JSON sidecar, the kind's defaults (the
        // shipped image pair under the official recipe).
        QVERIFY2(text.count("dg.models") && text.at("dg.models").find("sha256") != std::string::npos,
                 text.count("dg.models") ? text.at("dg.models").c_str() : "no dg.models");
        QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("dg-studio-comparison.json"))));
        QVERIFY2(text.at("dg.settings").find("\"dg_preset\":\"official\"") != std::string::npos,
                 text.at("dg.settings").c_str());
        // The two halves differ: guidance changed the samples.
        int differing = 0;
        const int half = image.width() / 2;
        for (int y = 30; y < image.height(); y += 3)
            for (int x = 0; x + half < image.width(); x += 3) {
                const auto a = image.pixel(x, y), b = image.pixel(x + half + 2, y);
                differing += (a.r != b.r || a.g != b.g || a.b != b.b);
            }
        QVERIFY(differing > 100);
    }

    void helpWorksWithoutADisplay()
    {
        QTemporaryDir dir;
        const auto r = run({QStringLiteral("--help")}, false, dir.path());
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains(QStringLiteral("--screenshot")));
        QVERIFY(QDir(dir.path()).entryList(QDir::Files).isEmpty()); // --help writes nothing
    }

    void badOptionsFailWithOneLine()
    {
        if (qEnvironmentVariableIsEmpty("DISPLAY")) QSKIP("needs an X server (run under xvfb-run)");
        QTemporaryDir dir;
        const auto r = run({QStringLiteral("--count"), QStringLiteral("many"), QStringLiteral("--reset-settings")},
                           true, dir.path());
        QCOMPARE(r.exitCode, 2);
        const QStringList lines = r.err.trimmed().split(QLatin1Char('\n'));
        QVERIFY2(lines.last().startsWith(QStringLiteral("dg-studio: --count:")), qPrintable(r.err));
        const auto v = run({QStringLiteral("--view"), QStringLiteral("sideways")}, true, dir.path());
        QCOMPARE(v.exitCode, 2);
        QVERIFY2(v.err.contains(QStringLiteral("--view: 'sideways'")), qPrintable(v.err));
    }
};

QTEST_GUILESS_MAIN(StudioHeadlessTest)
#include "StudioHeadlessTest.moc"
