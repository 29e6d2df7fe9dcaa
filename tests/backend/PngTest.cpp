#include "dg/Error.h"
#include "dg/Export.h"
#include "dg/Hash.h"
#include "dg/Image.h"
#include "dg/Models.h"
#include "dg/Render.h"
#include "io/TextFont.h"

#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <map>

using namespace dg;

class PngTest : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string path(const char* name) const { return (m_dir.path() + "/" + name).toStdString(); }

private Q_SLOTS:
    // FIPS 180-2 appendix B test vectors (one block, two blocks, a million 'a'), and a file against its bytes.
    void sha256KnownAnswers()
    {
        QCOMPARE(sha256Hex("abc", 3), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        QCOMPARE(sha256Hex(two.data(), two.size()),
                 std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
        const std::string million(1000000, 'a');
        QCOMPARE(sha256Hex(million.data(), million.size()),
                 std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
        QCOMPARE(sha256Hex("", 0), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("m.bin")).toStdString();
        {
            std::ofstream(path, std::ios::binary) << million;
        }
        QCOMPARE(sha256File(path), sha256Hex(million.data(), million.size()));
        QVERIFY_THROWS_EXCEPTION(dg::Error, sha256File(dir.filePath(QStringLiteral("missing")).toStdString()));
    }

    // Exports name the files behind their models with the files' SHA-256 (PNG text and sidecar).
    void exportsRecordModelFiles()
    {
        QTemporaryDir dir;
        SampleRequest r;
        r.denoiser = "builtin:ring8-mlp";
        r.discriminator = "builtin:ring8-mlp-disc";
        HostTensor points;
        points.shape = {3, 2};
        points.values = {0.1f, 0.2f, -0.5f, 0.4f, 1.0f, -1.0f};
        const std::string png = dir.filePath(QStringLiteral("g.png")).toStdString();
        exportGrid(png, points, r, ExportView{});
        const auto models =
            QJsonDocument::fromJson(QByteArray::fromStdString(readPngText(png).at("dg.models"))).array();
        QCOMPARE(models.size(), 2);
        for (const auto& m : models) {
            const auto o = m.toObject();
            const bool denoiser = o.value(QStringLiteral("role")).toString() == QStringLiteral("denoiser");
            const std::string file = modelFile(denoiser ? r.denoiser : r.discriminator,
                                               denoiser ? ModelRole::Denoiser : ModelRole::Discriminator);
            QVERIFY(!file.empty());
            QCOMPARE(o.value(QStringLiteral("file")).toString().toStdString(), file);
            QCOMPARE(o.value(QStringLiteral("sha256")).toString().toStdString(), sha256File(file));
        }
        QFile sidecar(QString::fromStdString(sidecarPath(png)));
        QVERIFY(sidecar.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(sidecar.readAll()).object().value(QStringLiteral("models")).toArray(), models);
    }

    // A filmstrip's x_t columns show x_t / √(1 + σ²) as the screen does (issue 28, 2.7): a state of constant 40 at
    // σ = 80 is mid-grey-ish (0.5 → 191), not clipped white, and the view is recorded in the PNG and the sidecar.
    void filmstripScalesLikeTheScreen()
    {
        QTemporaryDir dir;
        SampleRequest r;
        HostTensor noisy, clean;
        noisy.shape = clean.shape = {1, 1, 4, 4};
        noisy.values.assign(16, 40.0f);
        clean.values.assign(16, 0.0f);
        const std::string png = dir.filePath(QStringLiteral("f.png")).toStdString();
        exportFilmstrip(png, {noisy, clean}, {0, 5}, {80.0, 0.0}, 1, r);
        const RgbImage img = readPng(png);
        const auto view = QJsonDocument::fromJson(QByteArray::fromStdString(readPngText(png).at("dg.view"))).object();
        QVERIFY2(view.value(QStringLiteral("scale")).toString().contains(QStringLiteral("sqrt(1 + sigma^2)")),
                 qPrintable(QJsonDocument(view).toJson()));
        // The first column's tile starts at (64, 40) (the filmstrip's margins), three pixels per value.
        const auto px = img.pixel(64 + 4, 40 + 4);
        const int expected = static_cast<int>(std::lround((40.0 / std::sqrt(1.0 + 6400.0) + 1.0) * 0.5 * 255.0));
        QVERIFY2(std::abs(px.r - expected) <= 2, qPrintable(QString("%1 vs %2").arg(px.r).arg(expected)));
        QFile sidecar(QString::fromStdString(sidecarPath(png)));
        QVERIFY(sidecar.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(sidecar.readAll()).object().value(QStringLiteral("view")).toObject(), view);
    }

    // A reference line's label never sits on a curve (issue 28, 2.8: the diagnosis figure's "chance"): with the curves
    // hugging 50 % at large σ, where the label used to go, no curve pixel lies within 3 px of it. The label's pixels
    // are those that differ from the same plot drawn without it.
    void referenceLabelAvoidsTheCurves()
    {
        std::vector<PlotSeries> series;
        const std::vector<Rgb> colours{{40, 120, 60}, {200, 50, 40}, {30, 30, 36}};
        for (int k = 0; k < 3; ++k) {
            PlotSeries s;
            s.color = colours[static_cast<size_t>(k)];
            for (double sigma : {0.002, 0.02, 0.2, 2.0, 20.0, 80.0}) {
                s.x.push_back(sigma);
                s.y.push_back((sigma > 1.0 ? 0.52 : 0.88) + 0.01 * k);
            }
            series.push_back(s);
        }
        LinePlotOptions o;
        o.width = 620;
        o.height = 380;
        o.logX = true;
        o.yMin = 0.0;
        o.yMax = 1.0;
        o.referenceY = {0.5};
        const RgbImage plain = renderLinePlot(series, o);
        o.referenceLabels = {"chance"};
        const RgbImage img = renderLinePlot(series, o);
        int x0 = img.width(), x1 = -1, y0 = img.height(), y1 = -1;
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                const Rgb a = img.pixel(x, y), b = plain.pixel(x, y);
                if (a.r == b.r && a.g == b.g && a.b == b.b) continue;
                x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
            }
        QVERIFY(x1 > x0 + 10 && y1 > y0 + 4); // the label is drawn
        int near = 0;
        for (int y = std::max(0, y0 - 3); y <= std::min(img.height() - 1, y1 + 3); ++y)
            for (int x = std::max(0, x0 - 3); x <= std::min(img.width() - 1, x1 + 3); ++x) {
                const Rgb n = img.pixel(x, y);
                for (const Rgb& k : colours)
                    near += n.r == k.r && n.g == k.g && n.b == k.b;
            }
        QVERIFY2(
            near == 0,
            qPrintable(
                QString("%1 curve pixels at the label [%2, %3] x [%4, %5]").arg(near).arg(x0).arg(x1).arg(y0).arg(y1)));
    }

    // The marker's label ("best w = 2") stays readable when reference lines crowd the top of the plot (the Tune
    // plot with an unguided value and two matched-compute baselines near it): every pixel of its text (drawn with the
    // label, not without it) is still there with the reference labels.
    void referenceLabelsLeaveTheMarkerLabel()
    {
        PlotSeries s;
        s.x = {0.0, 1.0, 2.0};
        s.y = {6.1, 4.6, 3.8};
        LinePlotOptions o;
        o.markX = 2.0;
        o.markLabel = "best w = 2";
        o.referenceY = {6.1, 6.3, 6.2};
        const Rgb mark{20, 120, 60}; // the marker's colour
        const auto isMark = [&](const Rgb& c) { return c.r == mark.r && c.g == mark.g && c.b == mark.b; };
        const RgbImage plain = renderLinePlot({s}, o);
        o.markLabel.clear();
        const RgbImage unlabelled = renderLinePlot({s}, o);
        o.markLabel = "best w = 2";
        o.referenceLabels = {"unguided", "unguided, 25 steps (DG's compute)", "unguided, 25 steps, churn 5"};
        const RgbImage img = renderLinePlot({s}, o);
        int markPixels = 0, lost = 0, changed = 0;
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                const Rgb a = plain.pixel(x, y), b = img.pixel(x, y);
                changed += a.r != b.r || a.g != b.g || a.b != b.b;
                if (!isMark(a) || isMark(unlabelled.pixel(x, y))) continue;
                ++markPixels;
                lost += !isMark(b);
            }
        QVERIFY(markPixels > 100); // the label is drawn
        QVERIFY(changed > 100);    // and so are the three reference labels
        QVERIFY2(lost == 0, qPrintable(QString("%1 of %2 marker pixels covered").arg(lost).arg(markPixels)));
    }

    void roundTripPixelsAndText()
    {
        RgbImage img(37, 21, {10, 20, 30});
        img.fillRect(5, 5, 4, 3, {250, 0, 0});
        img.setPixel(36, 20, {1, 2, 3});
        const PngText text{{"dg.settings", "{\"seed\":3,\"dg_weight\":1.5}"}, {"Software", "dg test"}};
        writePng(path("a.png"), img, text);
        QCOMPARE(readPngText(path("a.png")), text);
        const auto back = readPng(path("a.png"));
        QCOMPARE(back.width(), 37);
        QCOMPARE(back.height(), 21);
        QVERIFY(back.bytes() == img.bytes());
        // An independent decoder (Qt's libpng) agrees on pixels and text.
        QImage q(QString::fromStdString(path("a.png")));
        QVERIFY(!q.isNull());
        QCOMPARE(q.pixelColor(6, 6), QColor(250, 0, 0));
        QCOMPARE(q.pixelColor(36, 20), QColor(1, 2, 3));
        QCOMPARE(q.text("dg.settings"), QString("{\"seed\":3,\"dg_weight\":1.5}"));
    }

    void readsQtWrittenRgba()
    {
        QImage q(9, 4, QImage::Format_ARGB32);
        q.fill(QColor(0, 128, 255, 255));
        q.setPixelColor(8, 3, QColor(7, 8, 9));
        q.setText("hello", "world");
        QVERIFY(q.save(QString::fromStdString(path("qt.png"))));
        const auto img = readPng(path("qt.png"));
        QCOMPARE(int(img.pixel(0, 0).b), 255);
        QCOMPARE(int(img.pixel(8, 3).r), 7);
        QCOMPARE(readPngText(path("qt.png")).at("hello"), std::string("world"));
    }

    // libpng reads what other writers produce: 8-bit grey, a palette, 16 bits with alpha (as RGB), and UTF-8 text
    // (iTXt) beside the image.
    void readsGreyPaletteAndSixteenBit()
    {
        QImage grey(5, 3, QImage::Format_Grayscale8);
        grey.fill(200);
        QVERIFY(grey.save(QString::fromStdString(path("grey.png"))));
        QCOMPARE(int(readPng(path("grey.png")).pixel(4, 2).g), 200);
        QImage palette(6, 2, QImage::Format_Indexed8);
        palette.setColorTable({qRgb(255, 0, 0), qRgb(0, 0, 255)});
        palette.fill(1);
        palette.setText("caption", "x_t / √(1 + σ²)");
        QVERIFY(palette.save(QString::fromStdString(path("palette.png"))));
        QCOMPARE(int(readPng(path("palette.png")).pixel(5, 1).b), 255);
        QCOMPARE(readPngText(path("palette.png")).at("caption"), std::string("x_t / √(1 + σ²)"));
        QImage deep(4, 4, QImage::Format_RGBA64);
        deep.fill(QColor(10, 20, 30, 128));
        QVERIFY(deep.save(QString::fromStdString(path("deep.png"))));
        const auto d = readPng(path("deep.png"));
        QCOMPARE(d.width(), 4);
        QVERIFY(std::abs(int(d.pixel(0, 0).r) - 10) <= 1 && std::abs(int(d.pixel(0, 0).b) - 30) <= 1);
    }

    void corruptFiles()
    {
        QFile f(QString::fromStdString(path("bad.png")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16);
        f.close();
        QVERIFY_THROWS_EXCEPTION(Error, readPngText(path("bad.png")));
        QVERIFY_THROWS_EXCEPTION(Error, readPng(path("missing.png")));
        QVERIFY_THROWS_EXCEPTION(Error, writePng(path("no/such/folder/x.png"), RgbImage(2, 2)));
    }

    // Figure text is DejaVu Sans through FreeType (io/TextFont): proportional, with lower case and Greek, the cap
    // height ≈ 7 × scale pixels below y (where the old 5×7 bitmap font put it).
    void textDrawsGlyphs()
    {
        QVERIFY(realFontAvailable());
        RgbImage img(80, 16, {255, 255, 255});
        const int w = img.drawText(1, 1, "DG w=1", {0, 0, 0});
        QCOMPARE(w, RgbImage::textWidth("DG w=1"));
        auto dark = [](const RgbImage& i, int x0, int y0, int x1, int y1) {
            int n = 0;
            for (int y = y0; y < y1; ++y)
                for (int x = x0; x < x1; ++x)
                    n += i.pixel(x, y).r < 128;
            return n;
        };
        QVERIFY(dark(img, 0, 0, 80, 16) > 20);
        QCOMPARE(dark(img, w + 2, 0, 80, 16), 0);                       // nothing drawn past the advance
        QVERIFY(RgbImage::textWidth("il") < RgbImage::textWidth("WM")); // proportional
        RgbImage h(40, 40, {255, 255, 255});
        h.drawText(5, 10, "H", {0, 0, 0}, 2);
        QCOMPARE(dark(h, 0, 0, 40, 9), 0);    // nothing above the top
        QVERIFY(dark(h, 0, 10, 40, 24) > 10); // the cap height, 7 × 2
        QCOMPARE(dark(h, 0, 26, 40, 40), 0);  // nothing below it (no descender)
        auto drawn = [](const std::string& t) {
            RgbImage i(40, 20, {255, 255, 255});
            i.drawText(2, 2, t, {0, 0, 0}, 2);
            return i.bytes();
        };
        QVERIFY(drawn("a") != drawn("A"));    // lower case is its own
        QVERIFY(drawn("σ") != drawn("\xff")); // Greek has a glyph (a malformed byte draws the replacement mark)
    }

    void imageGridLayout()
    {
        HostTensor images{{5, 1, 2, 2}, std::vector<float>(20, -1.0f)};
        images.values[4 * 4 + 3] = 1.0f; // last image, bottom-right pixel white
        const auto grid = renderImageGrid(images, 1);
        QCOMPARE(grid.width(), 3 * 4 + 2); // ceil(sqrt(5)) = 3 columns, 2 px padding
        QCOMPARE(grid.height(), 2 * 4 + 2);
        QCOMPARE(int(grid.pixel(2, 2).r), 0);                   // first tile, black
        QCOMPARE(int(grid.pixel(2 + 4 + 1, 2 + 4 + 1).r), 255); // tile 4 (row 1, col 1), pixel (1, 1)
    }
};

QTEST_GUILESS_MAIN(PngTest)
#include "PngTest.moc"
