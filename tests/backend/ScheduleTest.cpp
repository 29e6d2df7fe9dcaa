#include "dg/Schedule.h"
#include "dg/Error.h"

#include <QtTest>

#include <cmath>
#include <limits>

using namespace dg;

class ScheduleTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void edmSigmas_data()
    {
        QTest::addColumn<int>("steps");
        QTest::addColumn<double>("sigmaMin");
        QTest::addColumn<double>("sigmaMax");
        QTest::addColumn<double>("rho");
        QTest::newRow("edm default") << 18 << 0.002 << 80.0 << 7.0;
        QTest::newRow("rho 1 is linear") << 5 << 0.1 << 1.0 << 1.0;
        QTest::newRow("many steps") << 256 << 0.002 << 80.0 << 7.0;
        QTest::newRow("two steps") << 2 << 0.01 << 10.0 << 3.0;
    }
    void edmSigmas()
    {
        QFETCH(int, steps);
        QFETCH(double, sigmaMin);
        QFETCH(double, sigmaMax);
        QFETCH(double, rho);
        const auto s = dg::edmSigmas({steps, sigmaMin, sigmaMax, rho});
        QCOMPARE(int(s.size()), steps + 1);
        QVERIFY(std::abs(s.front() - sigmaMax) < 1e-9 * sigmaMax);
        QVERIFY(std::abs(s[steps - 1] - sigmaMin) < 1e-9);
        QCOMPARE(s.back(), 0.0);
        for (int i = 0; i + 1 < int(s.size()); ++i)
            QVERIFY(s[i] > s[i + 1]);
        // EDM eq. 5 at the midpoint, written out independently.
        const int i = steps / 2;
        const double expected =
            std::pow(std::pow(sigmaMax, 1 / rho) +
                         double(i) / (steps - 1) * (std::pow(sigmaMin, 1 / rho) - std::pow(sigmaMax, 1 / rho)),
                     rho);
        QVERIFY(std::abs(s[i] - expected) < 1e-9 * expected);
    }

    void edmSigmasKnownValues()
    {
        // Rounded values from the EDM reference schedule (18 steps, 0.002..80, rho 7).
        const auto s = dg::edmSigmas({18, 0.002, 80.0, 7.0});
        QVERIFY(std::abs(s[1] - 57.5860) < 1e-3);
        QVERIFY(std::abs(s[9] - 1.9233) < 1e-3);
    }

    void churnGamma_data()
    {
        QTest::addColumn<double>("churn");
        QTest::addColumn<double>("sMin");
        QTest::addColumn<double>("sMax");
        QTest::addColumn<double>("sigma");
        QTest::addColumn<double>("expected");
        const double inf = std::numeric_limits<double>::infinity();
        QTest::newRow("no churn") << 0.0 << 0.0 << inf << 5.0 << 0.0;
        QTest::newRow("churn/N") << 4.0 << 0.0 << inf << 5.0 << 4.0 / 18;
        QTest::newRow("capped at sqrt2-1") << 40.0 << 0.0 << inf << 5.0 << std::sqrt(2.0) - 1.0;
        QTest::newRow("below s_min") << 4.0 << 1.0 << inf << 0.5 << 0.0;
        QTest::newRow("above s_max") << 4.0 << 0.0 << 2.0 << 5.0 << 0.0;
    }
    void churnGamma()
    {
        QFETCH(double, churn);
        QFETCH(double, sMin);
        QFETCH(double, sMax);
        QFETCH(double, sigma);
        QFETCH(double, expected);
        QCOMPARE(dg::churnGamma({churn, sMin, sMax, 1.0}, 18, sigma), expected);
    }

    void validateRejects_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("message");
        QTest::newRow("steps") << "steps"
                               << "‹steps›";
        QTest::newRow("sigma-min") << "sigmaMin"
                                   << "‹sigma-min›";
        QTest::newRow("sigma-max") << "sigmaMax"
                                   << "‹sigma-max›";
        QTest::newRow("rho") << "rho"
                             << "‹rho›";
        QTest::newRow("churn") << "churn"
                               << "‹churn›";
        QTest::newRow("weight") << "weight"
                                << "‹dg-weight›";
        QTest::newRow("window") << "window"
                                << "‹dg-sigma-max›";
        QTest::newRow("count") << "count"
                               << "‹count›";
    }
    void validateRejects()
    {
        QFETCH(QString, field);
        QFETCH(QString, message);
        RunSettings r;
        validate(r); // defaults are valid
        if (field == "steps") r.sampler.schedule.steps = 0;
        if (field == "sigmaMin") r.sampler.schedule.sigmaMin = -1;
        if (field == "sigmaMax") r.sampler.schedule.sigmaMax = 0.001;
        if (field == "rho") r.sampler.schedule.rho = 0;
        if (field == "churn") r.sampler.churn.churn = -1;
        if (field == "weight") r.guidance.weight = std::nan("");
        if (field == "window") {
            r.guidance.sigmaLo = 2;
            r.guidance.sigmaHi = 1;
        }
        if (field == "count") r.count = 0;
        try {
            validate(r);
            QFAIL("validate accepted a bad value");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).startsWith(message), e.what());
        }
    }

    // EDM's edm_sampler: sigma_min = max(sigma_min, net.sigma_min), sigma_max = min(sigma_max, net.sigma_max).
    void fitSchedule_data()
    {
        QTest::addColumn<double>("modelMin");
        QTest::addColumn<double>("modelMax");
        QTest::addColumn<double>("wantMin");
        QTest::addColumn<double>("wantMax");
        const double inf = std::numeric_limits<double>::infinity();
        QTest::newRow("EDMPrecond: no limits") << 0.0 << inf << 0.002 << 80.0;
        QTest::newRow("VPPrecond: wider than the defaults") << 0.001 << 152.2 << 0.002 << 80.0;
        QTest::newRow("VEPrecond: sigma_min raised") << 0.02 << 100.0 << 0.02 << 80.0;
        QTest::newRow("sigma_max lowered") << 0.0 << 50.0 << 0.002 << 50.0;
    }
    void fitSchedule()
    {
        QFETCH(double, modelMin);
        QFETCH(double, modelMax);
        QFETCH(double, wantMin);
        QFETCH(double, wantMax);
        ScheduleSettings asked; // 0.002 ... 80
        const auto got = dg::fitSchedule(asked, modelMin, modelMax);
        QCOMPARE(got.sigmaMin, wantMin);
        QCOMPARE(got.sigmaMax, wantMax);
        QCOMPARE(got.steps, asked.steps);
        QCOMPARE(dg::edmSigmas(got).front(), wantMax);
    }
    void fitScheduleRefusesNoOverlap()
    {
        ScheduleSettings asked;
        asked.sigmaMin = 0.001;
        asked.sigmaMax = 0.01;
        QVERIFY_THROWS_EXCEPTION(Error, dg::fitSchedule(asked, 0.02, 100.0));
    }
};

QTEST_GUILESS_MAIN(ScheduleTest)
#include "ScheduleTest.moc"
