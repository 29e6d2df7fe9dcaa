#include "dg/Device.h"

#include <QProcess>
#include <QtTest>

#include <ATen/Parallel.h>

#include <cstdlib>
#include <thread>

using namespace dg;

class DeviceTest : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void threadsFollowTheIdleCores_data()
    {
        QTest::addColumn<double>("idle");
        QTest::addColumn<double>("total");
        QTest::addColumn<int>("machine");
        QTest::addColumn<int>("allowed");
        QTest::addColumn<int>("threads");
        QTest::newRow("idle machine") << 10.0 << 10.0 << 2 << 2 << 2;
        QTest::newRow("one of two cores busy") << 5.0 << 10.0 << 2 << 2 << 1;
        QTest::newRow("coarse ticks round to the nearest core") << 6.0 << 10.0 << 2 << 2 << 1;
        QTest::newRow("every core busy still runs") << 0.0 << 10.0 << 2 << 2 << 1;
        QTest::newRow("12 of 16 idle") << 60.0 << 80.0 << 16 << 16 << 12;
        QTest::newRow("affinity caps an idle machine") << 80.0 << 80.0 << 16 << 4 << 4;
        QTest::newRow("no elapsed time: all allowed") << 0.0 << 0.0 << 8 << 8 << 8;
        QTest::newRow("idle beyond total is clamped") << 12.0 << 10.0 << 4 << 4 << 4;
        QTest::newRow("negative idle (counter wrap): all allowed") << -3.0 << 10.0 << 4 << 3 << 3;
    }
    void threadsFollowTheIdleCores()
    {
        QFETCH(double, idle);
        QFETCH(double, total);
        QFETCH(int, machine);
        QFETCH(int, allowed);
        QFETCH(int, threads);
        QCOMPARE(threadsForIdleCores(idle, total, machine, allowed), threads);
    }

    // One core kept busy by another process: under IdleCores the runtime leaves it out instead of starting as many
    // intra-op threads as there are cores. (A busy thread of this process would not count: its own time is its own.)
    void initRuntimeLeavesACoreBusyElsewhereAlone()
    {
        const int cores = static_cast<int>(std::thread::hardware_concurrency());
        if (cores < 2) QSKIP("needs two cores");
        qunsetenv("DG_NUM_THREADS");
        setThreadPolicy(ThreadPolicy::IdleCores); // the front ends' choice; dg keeps every core
        QProcess spinner;
        spinner.start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("while :; do :; done")});
        QVERIFY2(spinner.waitForStarted(), "/bin/sh did not start");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        initRuntime();
        spinner.kill();
        spinner.waitForFinished();
        QCOMPARE(intraOpThreads(), at::get_num_threads());
        const int n = at::get_num_threads();
        QCOMPARE(describeDevice(Device::Cpu),
                 std::string("cpu (") + std::to_string(n) + (n == 1 ? " thread)" : " threads)"));
        QVERIFY2(at::get_num_threads() >= 1, "at least one thread");
        QVERIFY2(at::get_num_threads() <= cores - 1,
                 qPrintable(QString("%1 threads on %2 cores with one busy").arg(at::get_num_threads()).arg(cores)));
    }
};

QTEST_GUILESS_MAIN(DeviceTest)
#include "DeviceTest.moc"
