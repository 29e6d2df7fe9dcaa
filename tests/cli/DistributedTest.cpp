#include "TestSupport.h"

#include "dg/Distributed.h"
#include "dg/Error.h"
#include "dg/TensorFile.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <map>
#include <memory>

using namespace dg;

namespace {

const QString kDg = QStringLiteral(DG_CLI_PATH);

// A port free on 127.0.0.1 now, as the kernel hands one out.
int freePort()
{
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    close(fd);
    return ntohs(a.sin_port);
}

EnvironmentLookup lookup(std::map<std::string, std::string> vars)
{
    return [vars](const std::string& name) -> std::optional<std::string> {
        const auto it = vars.find(name);
        return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
}

double maxDifference(const HostTensor& a, const HostTensor& b)
{
    if (a.shape != b.shape) return INFINITY;
    double d = 0.0;
    for (size_t i = 0; i < a.values.size(); ++i)
        d = std::max(d, double(std::abs(a.values[i] - b.values[i])));
    return d;
}

} // namespace

class DistributedTest : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    QString p(const QString& name) const { return m_dir.path() + "/" + name; }

    // Rank `rank` of `world` started with torchrun's variables set by hand (or an srun step's).
    std::unique_ptr<QProcess> startRank(int rank, int world, int port, const QStringList& args,
                                        bool slurm = false) const
    {
        auto proc = std::make_unique<QProcess>();
        auto env = QProcessEnvironment::systemEnvironment();
        if (slurm) {
            env.insert("SLURM_PROCID", QString::number(rank));
            env.insert("SLURM_LOCALID", QString::number(rank));
            env.insert("SLURM_NTASKS", QString::number(world));
            env.insert("SLURM_STEP_ID", "0");
            env.insert("SLURM_JOB_NODELIST", "localhost");
        } else {
            env.insert("RANK", QString::number(rank));
            env.insert("LOCAL_RANK", QString::number(rank));
            env.insert("WORLD_SIZE", QString::number(world));
            env.insert("MASTER_ADDR", "127.0.0.1");
        }
        env.insert("MASTER_PORT", QString::number(port));
        env.insert("DG_NUM_THREADS", "1");
        proc->setProcessEnvironment(env);
        proc->setWorkingDirectory(m_dir.path());
        proc->start(kDg, args);
        return proc;
    }

    // Runs `args` as `world` ranks; returns their exit codes and rank 0's stdout + every rank's stderr.
    std::pair<std::vector<int>, QString> runJob(int world, const QStringList& args, bool slurm = false,
                                                int timeoutMs = 300000) const
    {
        const int port = freePort();
        std::vector<std::unique_ptr<QProcess>> ranks;
        for (int r = 0; r < world; ++r)
            ranks.push_back(startRank(r, world, port, args, slurm));
        std::vector<int> codes;
        QString text;
        for (auto& proc : ranks) {
            if (!proc->waitForFinished(timeoutMs)) proc->kill(), proc->waitForFinished();
            codes.push_back(proc->exitStatus() == QProcess::NormalExit ? proc->exitCode() : -1);
            text += QString::fromUtf8(proc->readAllStandardOutput()) + QString::fromUtf8(proc->readAllStandardError());
        }
        return {codes, text};
    }

    // Starts ranks 0 and 1 of a 2-rank job and waits until rank 0's stderr shows `marker` (false after 2 minutes).
    bool startTwoUntil(const QStringList& args, const char* marker, std::unique_ptr<QProcess>& rank0,
                       std::unique_ptr<QProcess>& rank1) const
    {
        const int port = freePort();
        rank0 = startRank(0, 2, port, args);
        rank1 = startRank(1, 2, port, args);
        QElapsedTimer t;
        t.start();
        while (!rank0->readAllStandardError().contains(marker) && t.elapsed() < 120000)
            rank0->waitForReadyRead(500);
        return t.elapsed() < 120000;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void launchVariables()
    {
        auto l = launchFromEnvironment(lookup({}));
        QVERIFY(!l.distributed());
        l = launchFromEnvironment(lookup({{"RANK", "2"},
                                          {"WORLD_SIZE", "4"},
                                          {"LOCAL_RANK", "0"},
                                          {"MASTER_ADDR", "node7"},
                                          {"MASTER_PORT", "1234"}}));
        QCOMPARE(l.rank, 2);
        QCOMPARE(l.worldSize, 4);
        QCOMPARE(l.masterAddr, std::string("node7"));
        QCOMPARE(l.masterPort, 1234);
        // Slurm: only inside an srun step (a batch script's shell carries SLURM_PROCID too).
        const std::map<std::string, std::string> slurm = {{"SLURM_PROCID", "5"},
                                                          {"SLURM_NTASKS", "8"},
                                                          {"SLURM_LOCALID", "1"},
                                                          {"SLURM_JOB_NODELIST", "gpu[07-09,12],cpu1"}};
        QVERIFY(!launchFromEnvironment(lookup(slurm)).distributed());
        auto step = slurm;
        step["SLURM_STEP_ID"] = "0";
        l = launchFromEnvironment(lookup(step));
        QCOMPARE(l.rank, 5);
        QCOMPARE(l.worldSize, 8);
        QCOMPARE(l.localRank, 1);
        QCOMPARE(l.masterAddr, std::string("gpu07"));
        QCOMPARE(l.masterPort, 29500);
        QCOMPARE(firstSlurmHost("a1,b[1-2]"), std::string("a1"));
        QCOMPARE(firstSlurmHost("rack[3-4]-n1,x"), std::string("rack3-n1"));
        // Bad values name the variable.
        const auto refuses = [](std::map<std::string, std::string> vars, const char* name) {
            try {
                launchFromEnvironment(lookup(vars));
            } catch (const Error& e) {
                return std::string(e.what()).rfind(name, 0) == 0;
            }
            return false;
        };
        QVERIFY(refuses({{"RANK", "x"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}, "RANK"));
        QVERIFY(refuses({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}, "RANK"));
        QVERIFY(refuses({{"RANK", "0"}, {"WORLD_SIZE", "2"}}, "MASTER_ADDR"));
        QVERIFY(refuses({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}},
                        "MASTER_PORT"));
        QVERIFY(refuses({{"WORLD_SIZE", "2"}}, "RANK"));
    }

    void shardsCoverTheRunInWholeBatches()
    {
        for (int64_t n : {1, 7, 100, 1001})
            for (int size : {1, 2, 3, 5})
                for (int64_t block : {1, 10, 250}) {
                    int64_t next = 0, biggest = 0, smallest = INT64_MAX;
                    for (int r = 0; r < size; ++r) {
                        const auto [b, e] = shardOf(n, r, size, block);
                        QCOMPARE(b, next); // contiguous, in rank order
                        QVERIFY(e >= b);
                        if (e < n) QCOMPARE(e % block, int64_t(0)); // ends on a batch boundary
                        const int64_t blocks = (e - b + block - 1) / block;
                        biggest = std::max(biggest, blocks);
                        smallest = std::min(smallest, blocks);
                        next = e;
                    }
                    QCOMPARE(next, n);
                    QVERIFY(biggest - smallest <= 1);
                }
    }

    // gen-fakes of the class-conditional model as 2 ranks: the same bytes as one process, labels included.
    void genFakesEqualsOneProcess()
    {
        const QStringList common = {"gen-fakes", "--denoiser", "builtin:fmnist-cond", "--count", "13", "--batch", "4",
                                    "--steps",   "6"};
        auto one = test::runProcess(kDg, common + QStringList{"--out", p("one.pt")}, 300000);
        QVERIFY2(one.exitCode == 0, qPrintable(one.err));
        const auto [codes, text] = runJob(2, common + QStringList{"--out", p("two.pt")});
        QVERIFY2(codes == std::vector<int>({0, 0}), qPrintable(text));
        QVERIFY(text.contains("13/13 samples"));          // rank 0 prints the job's progress
        QCOMPARE(text.count("wrote [13, 1, 28, 28]"), 1); // and it alone writes
        const auto a = loadTensorFile(p("one.pt").toStdString()), b = loadTensorFile(p("two.pt").toStdString());
        QCOMPARE(a.shape, b.shape);
        QVERIFY(a.values == b.values); // whole batches per rank: bit for bit
        QVERIFY(loadTensorFile(p("one.labels.pt").toStdString()).values ==
                loadTensorFile(p("two.labels.pt").toStdString()).values);
        // The same through dg launch, three ranks (one of them with a short share).
        auto three = test::runProcess(
            kDg, QStringList{"launch", "--nproc", "3", "--", "dg"} + common + QStringList{"--out", p("three.pt")},
            300000);
        QVERIFY2(three.exitCode == 0, qPrintable(three.err));
        QVERIFY(loadTensorFile(p("three.pt").toStdString()).values == a.values);
    }

    // The same job from Slurm's variables (an srun step on one node, the master the first host of the node list).
    void slurmVariablesMakeAJob()
    {
        const QStringList args = {"gen-fakes", "--denoiser", "builtin:ring8-mlp", "--count", "1001", "--batch", "100"};
        auto one = test::runProcess(kDg, args + QStringList{"--out", p("slurm1.pt")});
        QVERIFY2(one.exitCode == 0, qPrintable(one.err));
        const auto [codes, text] = runJob(3, args + QStringList{"--out", p("slurm3.pt")}, true);
        QVERIFY2(codes == std::vector<int>({0, 0, 0}), qPrintable(text));
        QCOMPARE(text.count("wrote [1001, 2]"), 1);
        QVERIFY(loadTensorFile(p("slurm1.pt").toStdString()).values ==
                loadTensorFile(p("slurm3.pt").toStdString()).values);
    }

    // Ctrl+C reaches every rank (as from torchrun's terminal): all stop on the same iteration, rank 0 saves it, and a
    // resumed run ends where one uninterrupted process does.
    void interruptedTrainingKeepsItsIterations()
    {
        const QStringList args = {"train-score",  "--data", "toy:ring8",    "--batch",  "64",
                                  "--iterations", "100000", "--checkpoint", p("int.pt")};
        std::unique_ptr<QProcess> rank0, rank1;
        QVERIFY2(startTwoUntil(args, "it ", rank0, rank1), "no training progress");
        kill(static_cast<pid_t>(rank0->processId()), SIGINT);
        kill(static_cast<pid_t>(rank1->processId()), SIGINT);
        QVERIFY(rank0->waitForFinished(60000) && rank1->waitForFinished(60000));
        const QString err = QString::fromUtf8(rank0->readAllStandardError());
        QVERIFY2(rank0->exitCode() == 130 && rank1->exitCode() == 130, qPrintable(err));
        QVERIFY2(err.contains("interrupted; iterations 0 to ") && err.contains(" are saved in '"), qPrintable(err));
        // The checkpoint holds the finished iterations (asking for 1 names how many); resumed alone to 20 more, it
        // equals one uninterrupted process.
        const QStringList common = {"train-score", "--data", "toy:ring8", "--batch", "64"};
        auto r = test::runProcess(kDg, common + QStringList{"--iterations", "1", "--checkpoint", p("int.pt")});
        const QRegularExpression held("already holds (\\d+) iterations");
        const auto match = held.match(r.err);
        QVERIFY2(match.hasMatch(), qPrintable(r.err));
        const int done = match.captured(1).toInt();
        QVERIFY(done > 0);
        const QString end = QString::number(done + 20);
        r = test::runProcess(kDg, common + QStringList{"--iterations", end, "--checkpoint", p("int.pt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = test::runProcess(kDg, common + QStringList{"--iterations", end, "--checkpoint", p("whole.pt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        for (const char* k : {"int", "whole"})
            QCOMPARE(test::runProcess(kDg, {"sample", "--denoiser", p(QString("%1.pt").arg(k)), "--count", "200",
                                            "--out", p(QString("%1-x.pt").arg(k)), "--quiet"})
                         .exitCode,
                     0);
        const double d =
            maxDifference(loadTensorFile(p("int-x.pt").toStdString()), loadTensorFile(p("whole-x.pt").toStdString()));
        QVERIFY2(d < 1e-4, qPrintable(QString::number(d)));
    }

    // eval: the samples drawn and the judge's features extracted by two ranks give one process's numbers.
    void evalEqualsOneProcess()
    {
        const QStringList args = {"eval",    "--denoiser", "builtin:fmnist", "--count", "20", "--batch", "10",
                                  "--steps", "6",          "--classifier",   "none"};
        auto one = test::runProcess(kDg, args, 300000);
        QVERIFY2(one.exitCode == 0, qPrintable(one.err));
        const auto [codes, text] = runJob(2, args);
        QVERIFY2(codes == std::vector<int>({0, 0}), qPrintable(text));
        const auto row = [](const QString& out) {
            for (const auto& line : out.split('\n'))
                if (line.startsWith("| ") && line.at(2).isDigit()) return line;
            return QString();
        };
        QVERIFY(!row(one.out).isEmpty());
        QCOMPARE(row(text), row(one.out));
    }

    // train-disc as 2 ranks equals one process with the same global batch; train-score too, resumed with another N.
    void trainingEqualsOneProcess()
    {
        auto r = test::runProcess(
            kDg, {"gen-fakes", "--denoiser", "builtin:ring8-mlp", "--count", "2000", "--out", p("toyfakes.pt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList disc = {"train-disc", "--data", "toy:ring8", "--fakes", p("toyfakes.pt"),
                                  "--epochs",   "2",      "--batch",   "128"};
        r = test::runProcess(kDg, disc + QStringList{"--checkpoint", p("d1.pt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        auto [codes, text] = runJob(2, disc + QStringList{"--checkpoint", p("d2.pt")});
        QVERIFY2(codes == std::vector<int>({0, 0}), qPrintable(text));
        // Compare the two discriminators through what they do: guided samples from the same noise.
        const auto guided = [&](const QString& d, const QString& out) {
            return test::runProcess(kDg, {"sample", "--denoiser", "builtin:ring8-mlp", "--discriminator", d,
                                          "--dg-weight", "2", "--count", "400", "--out", out, "--quiet"});
        };
        QCOMPARE(guided(p("d1.pt"), p("g1.pt")).exitCode, 0);
        QCOMPARE(guided(p("d2.pt"), p("g2.pt")).exitCode, 0);
        const auto g1 = loadTensorFile(p("g1.pt").toStdString()), g2 = loadTensorFile(p("g2.pt").toStdString());
        QVERIFY2(maxDifference(g1, g2) < 1e-4, qPrintable(QString::number(maxDifference(g1, g2))));
        // A discriminator trained differently (another seed) is told apart by the same comparison.
        r = test::runProcess(kDg, disc + QStringList{"--seed", "1", "--checkpoint", p("d3.pt")});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(guided(p("d3.pt"), p("g3.pt")).exitCode, 0);
        QVERIFY(maxDifference(g1, loadTensorFile(p("g3.pt").toStdString())) > 1e-3);

        const QStringList score = {"train-score", "--data", "toy:ring8", "--batch", "65"};
        r = test::runProcess(kDg, score + QStringList{"--iterations", "40", "--checkpoint", p("s1.pt")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        std::tie(codes, text) = runJob(2, score + QStringList{"--iterations", "20", "--checkpoint", p("s2.pt")});
        QVERIFY2(codes == std::vector<int>({0, 0}), qPrintable(text));
        std::tie(codes, text) = runJob(3, score + QStringList{"--iterations", "40", "--checkpoint", p("s2.pt")});
        QVERIFY2(codes == std::vector<int>({0, 0, 0}), qPrintable(text));
        for (const char* k : {"1", "2"})
            QCOMPARE(test::runProcess(kDg, {"sample", "--denoiser", p(QString("s%1.pt").arg(k)), "--count", "300",
                                            "--out", p(QString("x%1.pt").arg(k)), "--quiet"})
                         .exitCode,
                     0);
        const double d =
            maxDifference(loadTensorFile(p("x1.pt").toStdString()), loadTensorFile(p("x2.pt").toStdString()));
        QVERIFY2(d < 1e-4, qPrintable(QString::number(d)));
    }

    // A rank killed mid-run: the other ends soon with one line naming it, and writes nothing.
    void killedRankEndsTheOther()
    {
        const QStringList args = {"gen-fakes", "--denoiser", "builtin:fmnist", "--count",        "400", "--batch",
                                  "2",         "--out",      p("never.pt"),    "--dist-timeout", "120"};
        std::unique_ptr<QProcess> rank0, rank1;
        QVERIFY2(startTwoUntil(args, "samples", rank0, rank1), "rank 0 never reported progress");
        rank1->kill();
        rank1->waitForFinished();
        QVERIFY(rank0->waitForFinished(60000)); // long before --dist-timeout: Gloo sees the closed connection
        const QString err = QString::fromUtf8(rank0->readAllStandardError());
        QVERIFY2(rank0->exitCode() == 1, qPrintable(err));
        QVERIFY2(err.contains("rank 1 of 2 stopped answering"), qPrintable(err));
        QCOMPARE(err.count("error:"), 1);
        QVERIFY(!QFile::exists(p("never.pt")));
    }

    // Three ranks: whichever dies or freezes, both survivors name that one (not each other).
    void survivorsNameTheLostRank()
    {
        for (const int lost : {1, 2}) {
            const bool freeze = lost == 2;
            const QStringList args = {
                "gen-fakes", "--denoiser", "builtin:ring8-mlp", "--count",        "1000000", "--batch",
                "10",        "--out",      p("lost.pt"),        "--dist-timeout", "4"};
            const int port = freePort();
            std::vector<std::unique_ptr<QProcess>> ranks;
            for (int r = 0; r < 3; ++r)
                ranks.push_back(startRank(r, 3, port, args));
            QElapsedTimer t;
            t.start();
            while (!ranks[0]->readAllStandardError().contains("samples") && t.elapsed() < 60000)
                ranks[0]->waitForReadyRead(500);
            QVERIFY(t.elapsed() < 60000);
            const auto pid = static_cast<pid_t>(ranks[lost]->processId());
            kill(pid, freeze ? SIGSTOP : SIGKILL);
            for (int r = 0; r < 3; ++r) {
                if (r == lost) continue;
                QVERIFY(ranks[r]->waitForFinished(60000));
                const QString err = QString::fromUtf8(ranks[r]->readAllStandardError());
                QVERIFY2(ranks[r]->exitCode() == 1, qPrintable(err));
                QVERIFY2(err.contains(QString("rank %1 of 3 stopped answering").arg(lost)) && !err.contains("so did"),
                         qPrintable(err));
            }
            kill(pid, SIGKILL);
            ranks[lost]->waitForFinished();
            QVERIFY(!QFile::exists(p("lost.pt")));
        }
    }

    void refusals()
    {
        const QStringList args = {"gen-fakes", "--denoiser", "builtin:ring8-mlp", "--count", "50",
                                  "--out",     p("r.pt"),    "--dist-timeout",    "3"};
        // A rank that never arrives.
        QElapsedTimer t;
        t.start();
        auto alone = startRank(0, 2, freePort(), args);
        QVERIFY(alone->waitForFinished(30000));
        QVERIFY(t.elapsed() < 20000);
        QString err = QString::fromUtf8(alone->readAllStandardError());
        QCOMPARE(alone->exitCode(), 1);
        QVERIFY2(err.contains("rank 1 of 2 never arrived") && err.count('\n') == 1, qPrintable(err));
        // Ranks started with other settings.
        const int port = freePort();
        auto a = startRank(0, 2, port, args);
        auto b = startRank(1, 2, port, QStringList(args).replaceInStrings("50", "51"));
        QVERIFY(a->waitForFinished(30000) && b->waitForFinished(30000));
        err = QString::fromUtf8(a->readAllStandardError());
        QCOMPARE(a->exitCode(), 1);
        QVERIFY2(err.contains("rank 1 of 2 was started with other settings"), qPrintable(err));
        // A port in use.
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_ANY);
        const int busy = freePort();
        addr.sin_port = htons(static_cast<uint16_t>(busy));
        QCOMPARE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        listen(fd, 1);
        auto c = startRank(0, 2, busy, args);
        QVERIFY(c->waitForFinished(30000));
        close(fd);
        err = QString::fromUtf8(c->readAllStandardError());
        QVERIFY2(err.contains("MASTER_PORT: port " + QString::number(busy) + " is in use") && err.count('\n') == 1,
                 qPrintable(err));
        // Commands that run alone, and per-step records, refuse a job.
        auto d = startRank(0, 2, freePort(), {"export", "--torchscript", p("ts")});
        QVERIFY(d->waitForFinished(30000));
        QCOMPARE(d->exitCode(), 2);
        QVERIFY(d->readAllStandardError().contains("runs as one process"));
        const auto [codes, text] = runJob(2, {"sample", "--denoiser", "builtin:ring8-mlp", "--count", "10", "--out",
                                              p("t.pt"), "--trajectory", p("tr.pt")});
        QCOMPARE(codes, std::vector<int>({2, 2}));
        QVERIFY2(text.contains("--trajectory: records every step"), qPrintable(text));
    }
};

QTEST_GUILESS_MAIN(DistributedTest)
#include "DistributedTest.moc"
