#include "dg/Distributed.h"

#include "core/DistributedTensors.h"
#include "dg/Device.h"
#include "dg/Error.h"

#include <glog/logging.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <regex>
#include <thread>
#include <unistd.h>

namespace dg {
namespace {

using Clock = std::chrono::steady_clock;

std::string firstLine(const std::string& text)
{
    const auto end = text.find('\n');
    return end == std::string::npos ? text : text.substr(0, end);
}

int integerVariable(const EnvironmentLookup& env, const std::string& name, int fallback, int lo)
{
    const auto v = env(name);
    if (!v || v->empty()) return fallback;
    static const std::regex digits("[0-9]{1,9}");
    if (!std::regex_match(*v, digits) || std::stoi(*v) < lo)
        throw Error(name + ": expected a whole number >= " + std::to_string(lo) + ", got '" + *v + "'");
    return std::stoi(*v);
}

std::vector<uint8_t> bytes(const std::string& s)
{
    return {s.begin(), s.end()};
}
std::string text(const std::vector<uint8_t>& b)
{
    return {b.begin(), b.end()};
}

bool isLoopback(const std::string& host)
{
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

} // namespace

std::string firstSlurmHost(const std::string& list)
{
    // "pre[07-09,12]suf,other" → "pre07suf": the first entry, with its bracket's first number.
    std::string first;
    int depth = 0;
    for (char c : list) {
        if (c == ',' && depth == 0) break;
        if (c == '[') ++depth;
        if (c == ']') --depth;
        first += c;
    }
    const auto open = first.find('[');
    if (open == std::string::npos) return first;
    const auto close = first.find(']', open);
    if (close == std::string::npos) throw Error("SLURM_JOB_NODELIST: unbalanced '[' in '" + list + "'");
    std::string range = first.substr(open + 1, close - open - 1);
    range = range.substr(0, range.find_first_of(",-"));
    return first.substr(0, open) + range + first.substr(close + 1);
}

LaunchInfo launchFromEnvironment(const EnvironmentLookup& env)
{
    LaunchInfo l;
    const auto has = [&](const char* name) { return env(name) && !env(name)->empty(); };
    if (has("RANK") || has("WORLD_SIZE")) {
        if (!has("RANK")) throw Error("RANK: not set while WORLD_SIZE is (torchrun sets both)");
        if (!has("WORLD_SIZE")) throw Error("WORLD_SIZE: not set while RANK is (torchrun sets both)");
        l.source = "torchrun variables";
        l.rank = integerVariable(env, "RANK", 0, 0);
        l.worldSize = integerVariable(env, "WORLD_SIZE", 1, 1);
        l.localRank = integerVariable(env, "LOCAL_RANK", 0, 0);
        if (l.worldSize > 1 && !has("MASTER_ADDR"))
            throw Error("MASTER_ADDR: not set (the host of rank 0, e.g. 127.0.0.1 on one machine)");
        if (has("MASTER_ADDR")) l.masterAddr = *env("MASTER_ADDR");
    } else if (has("SLURM_PROCID") && (has("SLURM_STEP_ID") || has("SLURM_STEPID"))) {
        // Only inside an srun step: a batch script's own shell also carries SLURM_PROCID = 0 and SLURM_NTASKS.
        l.source = "Slurm";
        l.rank = integerVariable(env, "SLURM_PROCID", 0, 0);
        l.worldSize = integerVariable(env, "SLURM_NTASKS", 1, 1);
        l.localRank = integerVariable(env, "SLURM_LOCALID", 0, 0);
        const auto nodes = has("SLURM_STEP_NODELIST") ? env("SLURM_STEP_NODELIST") : env("SLURM_JOB_NODELIST");
        if (has("MASTER_ADDR"))
            l.masterAddr = *env("MASTER_ADDR");
        else if (nodes && !nodes->empty())
            l.masterAddr = firstSlurmHost(*nodes);
        else if (l.worldSize > 1)
            throw Error("SLURM_JOB_NODELIST: not set, and no MASTER_ADDR: cannot tell where rank 0 runs");
    } else {
        return l;
    }
    l.masterPort = integerVariable(env, "MASTER_PORT", 29500, 1);
    if (l.masterPort > 65535) throw Error("MASTER_PORT: " + std::to_string(l.masterPort) + " is not a TCP port");
    if (l.rank >= l.worldSize)
        throw Error(std::string(l.source == "Slurm" ? "SLURM_PROCID" : "RANK") + ": " + std::to_string(l.rank) +
                    " is not below the job's size " + std::to_string(l.worldSize));
    return l;
}

LaunchInfo launchFromEnvironment()
{
    return launchFromEnvironment([](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        return v ? std::optional<std::string>(v) : std::nullopt;
    });
}

std::pair<int64_t, int64_t> shardOf(int64_t n, int rank, int size, int64_t block)
{
    const int64_t blocks = (n + block - 1) / block;
    const int64_t base = blocks / size, extra = blocks % size;
    const int64_t first = rank * base + std::min<int64_t>(rank, extra);
    const int64_t last = first + base + (rank < extra ? 1 : 0);
    return {std::min(n, first * block), std::min(n, last * block)};
}

struct DistributedJob::Impl
{
    LaunchInfo launch;
    std::chrono::milliseconds timeout{};
    c10::intrusive_ptr<c10d::TCPStore> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
    // A heartbeat: every rank bumps "alive/<rank>" in the store four times a second from a thread of its own, so that a
    // survivor can tell a dead rank (no beats) from one merely busy or blocked.
    std::shared_ptr<std::atomic<bool>> beating = std::make_shared<std::atomic<bool>>(true);
    std::vector<int> abandoned; // ranks fail() found dead or hung: nobody waits for their word any more

    void startHeartbeat()
    {
        std::thread([store = store, key = key("alive", launch.rank), beating = beating] {
            try {
                while (beating->load()) {
                    store->add(key, 1);
                    std::this_thread::sleep_for(std::chrono::milliseconds(250));
                }
            } catch (...) { // the store is gone: nothing left to tell
            }
        }).detach();
    }

    std::vector<int64_t> beats()
    {
        std::vector<int64_t> out;
        for (int k = 0; k < launch.worldSize; ++k)
            out.push_back(store->add(key("alive", k), 0));
        return out;
    }

    std::string member(int k) const { return "rank " + std::to_string(k) + " of " + std::to_string(launch.worldSize); }
    std::string key(const char* what, int k) const { return std::string("dg/") + what + "/" + std::to_string(k); }

    // A collective failed: find out which peer is gone (each survivor leaves "lost/<rank>", a rank that failed on
    // its own left "failed/<rank>" with its message) and end with one line naming it.
    [[noreturn]] void fail(const std::string& cause)
    {
        std::string line;
        group.reset(); // first close the connections: peers blocked on this rank notice at once and report too
        try {
            store->set(key("lost", launch.rank), bytes("1"));
            // Watch the others for a while: a rank that left a note failed on its own; one whose heartbeat stopped
            // is dead; one still beating that never reports the failed collective hangs outside it.
            const auto before = beats();
            const auto deadline = Clock::now() + std::chrono::milliseconds(1500);
            while (line.empty() && Clock::now() < deadline) {
                for (int k = 0; k < launch.worldSize && line.empty(); ++k) {
                    if (k == launch.rank || !store->check({key("failed", k)})) continue;
                    const std::string note = text(store->get(key("failed", k)));
                    if (note.rfind("distributed job:", 0) != 0) line = member(k) + " failed: " + note; // not a survivor
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            if (line.empty()) {
                const auto after = beats();
                std::vector<int> dead, hung;
                for (int k = 0; k < launch.worldSize; ++k) {
                    // A survivor like this rank left "lost" (and may have ended since, its heartbeat with it).
                    if (k == launch.rank || store->check({key("lost", k)}) || store->check({key("failed", k)}))
                        continue;
                    (after[k] == before[k] ? dead : hung).push_back(k);
                }
                const auto list = [&](const std::vector<int>& ranks, const std::string& what) {
                    std::string out = member(ranks.front()) + what;
                    for (size_t i = 1; i < ranks.size(); ++i)
                        out += "; so did rank " + std::to_string(ranks[i]);
                    return out;
                };
                abandoned = dead;
                abandoned.insert(abandoned.end(), hung.begin(), hung.end());
                if (!dead.empty())
                    line = list(dead, " stopped answering (it exited, was killed or is frozen)");
                else if (!hung.empty())
                    line = list(hung, " is alive but never reached the collective (it hangs)");
                else
                    line = "a collective failed on every rank (" + firstLine(cause) + ")";
            }
            store->set(key("done", launch.rank), bytes("1")); // rank 0 keeps the store up until this
        } catch (const std::exception&) {
            line = launch.rank == 0 ? "lost the job's store (" + firstLine(cause) + ")"
                                    : member(0) + " is gone (it hosts the job's store at " + launch.masterAddr + ":" +
                                          std::to_string(launch.masterPort) + ")";
        }
        throw PeerLost("distributed job: " + line + "; " + member(launch.rank) + " ends here");
    }

    // Takes the caller's handle: a failed work holds the Gloo context, whose connections must close before fail()
    // waits for the peers (else a peer blocked on this rank notices only when the process ends).
    void wait(c10::intrusive_ptr<c10d::Work> work)
    {
        std::string error;
        try {
            work->wait(timeout);
        } catch (const std::exception& e) {
            error = e.what();
        }
        if (error.empty()) return;
        work.reset();
        fail(error);
    }

    // Every rank's first dimension and values (all ranks receive all).
    std::vector<at::Tensor> allGather(const at::Tensor& part)
    {
        if (!group) fail("the process group is closed");
        std::vector<std::vector<at::Tensor>> out(1);
        for (int k = 0; k < launch.worldSize; ++k)
            out[0].push_back(at::empty_like(part));
        std::vector<at::Tensor> in{part};
        c10::intrusive_ptr<c10d::Work> work;
        try {
            work = group->allgather(out, in);
        } catch (const std::exception& e) {
            fail(e.what());
        }
        wait(std::move(work));
        return out[0];
    }
};

DistributedJob::DistributedJob(const LaunchInfo& launch, std::chrono::milliseconds timeout,
                               const std::string& settingsKey)
    : m_impl(std::make_unique<Impl>())
{
    auto& m = *m_impl;
    m.launch = launch;
    m.timeout = timeout;
    // c10d and Gloo log every failed bind or lost peer to stderr; the Errors below say it in one line each.
    if (!std::getenv("DG_DIST_DEBUG")) FLAGS_minloglevel = google::GLOG_FATAL;
    useGpuOfLocalRank(launch.localRank); // one process per GPU
    const std::string where = launch.masterAddr + ":" + std::to_string(launch.masterPort);
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(launch.masterPort);
    o.isServer = launch.rank == 0;
    o.waitWorkers = false; // the arrival check below names the ranks that are missing
    o.timeout = timeout;
    try {
        m.store = c10::make_intrusive<c10d::TCPStore>(launch.masterAddr, o);
    } catch (const std::exception& e) {
        const std::string why = e.what();
        if (launch.rank == 0 && why.find("already in use") != std::string::npos)
            throw Error("MASTER_PORT: port " + std::to_string(launch.masterPort) +
                        " is in use on this machine (rank 0 serves the job's store there); choose another");
        if (launch.rank == 0)
            throw Error("MASTER_PORT: rank 0 cannot serve the job's store on " + where + " (" + firstLine(why) + ")");
        throw Error("MASTER_ADDR: " + m.member(launch.rank) + " found no store of rank 0 at " + where + " within " +
                    std::to_string(timeout.count() / 1000) +
                    " s (‹dist-timeout›): did rank 0 start there, or end before the others arrived?");
    }
    // Arrival: every rank leaves its settings' hash; all wait for all.
    try {
        m.store->set(m.key("arrived", launch.rank), bytes(settingsKey));
        const auto deadline = Clock::now() + timeout;
        std::vector<int> missing;
        do {
            missing.clear();
            for (int k = 0; k < launch.worldSize; ++k)
                if (!m.store->check({m.key("arrived", k)})) missing.push_back(k);
            if (missing.empty()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        } while (Clock::now() < deadline);
        if (!missing.empty()) {
            std::string ranks;
            for (int k : missing)
                ranks += (ranks.empty() ? "" : ", ") + std::to_string(k);
            throw Error("distributed job: rank" + std::string(missing.size() > 1 ? "s " : " ") + ranks + " of " +
                        std::to_string(launch.worldSize) + " never arrived at " + where + " within " +
                        std::to_string(timeout.count() / 1000) + " s (‹dist-timeout›); " + m.member(launch.rank) +
                        " ends here");
        }
        for (int k = 0; k < launch.worldSize; ++k)
            if (text(m.store->get(m.key("arrived", k))) != settingsKey)
                throw Error("distributed job: " + m.member(k) + " was started with other settings than " +
                            (k == launch.rank ? "the others" : m.member(launch.rank)) +
                            " (its command line differs); start every rank with the same command");
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error("distributed job: lost the store at " + where + " while meeting (" + firstLine(e.what()) + ")");
    }
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    try {
        if (const char* iface = std::getenv("GLOO_SOCKET_IFNAME"); iface && *iface)
            options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(iface));
        else if (isLoopback(launch.masterAddr))
            options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        else
            options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        const auto prefixed = c10::make_intrusive<c10d::PrefixStore>("dg/gloo", m.store);
        m.group = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, launch.rank, launch.worldSize, options);
        m.startHeartbeat();
    } catch (const std::exception& e) {
        throw Error("distributed job: " + m.member(launch.rank) + " could not connect to its peers (" +
                    firstLine(e.what()) + "; GLOO_SOCKET_IFNAME names the network interface to use)");
    }
}

DistributedJob::~DistributedJob()
{
    m_impl->beating->store(false);
}

int DistributedJob::rank() const
{
    return m_impl->launch.rank;
}
int DistributedJob::size() const
{
    return m_impl->launch.worldSize;
}
std::chrono::milliseconds DistributedJob::timeout() const
{
    return m_impl->timeout;
}

HostTensor DistributedJob::allGather(const HostTensor& part)
{
    auto& m = *m_impl;
    constexpr int64_t kMaxDims = 8;
    if (static_cast<int64_t>(part.shape.size()) > kMaxDims)
        throw Error("distributed job: a part of too many dimensions");
    // First each part's shape ([rows, dims, shape…]), then the values padded to the longest part.
    std::vector<double> header(kMaxDims + 1, 0.0);
    header[0] = static_cast<double>(part.shape.size());
    for (size_t i = 0; i < part.shape.size(); ++i)
        header[i + 1] = static_cast<double>(part.shape[i]);
    const auto shapes = m.allGather(at::tensor(header, at::kDouble));
    std::vector<int64_t> rows, sampleShape;
    int64_t longest = 0, total = 0;
    for (const auto& h : shapes) {
        const auto dims = static_cast<int64_t>(h[0].item<double>());
        std::vector<int64_t> shape;
        for (int64_t i = 0; i < dims; ++i)
            shape.push_back(static_cast<int64_t>(h[i + 1].item<double>()));
        rows.push_back(shape.empty() ? 0 : shape[0]);
        if (rows.back() == 0) continue;
        const std::vector<int64_t> tail(shape.begin() + 1, shape.end());
        if (!sampleShape.empty() && tail != sampleShape)
            throw Error("distributed job: the ranks' parts hold samples of different shapes (" +
                        shapeToString(sampleShape) + ", " + shapeToString(tail) + ")");
        sampleShape = tail;
        longest = std::max(longest, rows.back());
        total += rows.back();
    }
    int64_t each = 1;
    for (int64_t d : sampleShape)
        each *= d;
    auto padded = at::zeros({std::max<int64_t>(1, longest * each)}, at::kFloat);
    if (!part.values.empty()) std::copy(part.values.begin(), part.values.end(), padded.data_ptr<float>());
    const auto parts = m.allGather(padded);
    HostTensor out;
    out.shape = {total};
    out.shape.insert(out.shape.end(), sampleShape.begin(), sampleShape.end());
    out.values.reserve(static_cast<size_t>(total * each));
    for (size_t k = 0; k < parts.size(); ++k) {
        const float* p = parts[k].data_ptr<float>();
        out.values.insert(out.values.end(), p, p + rows[k] * each);
    }
    return out;
}

std::vector<double> DistributedJob::allReduceSum(const std::vector<double>& values)
{
    auto t = at::tensor(values, at::kDouble);
    std::vector<at::Tensor> list{t};
    allReduceSumTensors(*this, list);
    return {t.data_ptr<double>(), t.data_ptr<double>() + t.numel()};
}

void DistributedJob::barrier()
{
    allReduceSum({0.0});
}

void DistributedJob::reportFailure(const std::string& message) noexcept
{
    auto& m = *m_impl;
    try {
        m.store->set(m.key("failed", m.launch.rank), bytes(firstLine(message)));
        m.group.reset(); // peers waiting in a collective with this rank notice at once
        if (m.launch.rank != 0) return;
        // Keep the store up until every survivor has made up its mind: one still blocked in a collective notices the
        // loss only at its own --dist-timeout, so wait that long (at most a minute) plus the time fail() takes.
        const auto deadline = Clock::now() + std::min<std::chrono::milliseconds>(m.timeout, std::chrono::minutes(1)) +
                              std::chrono::seconds(4);
        auto last = m.beats();
        auto lastChange = std::vector<Clock::time_point>(last.size(), Clock::now());
        while (Clock::now() < deadline) {
            bool all = true;
            const auto now = m.beats();
            for (int k = 1; k < m.launch.worldSize; ++k) {
                if (now[k] != last[k]) lastChange[k] = Clock::now();
                const bool givenUp = std::find(m.abandoned.begin(), m.abandoned.end(), k) != m.abandoned.end();
                const bool silent = Clock::now() - lastChange[k] > std::chrono::seconds(2); // no heartbeat: gone
                if (!givenUp && !silent && !m.store->check({m.key("done", k)}) && !m.store->check({m.key("failed", k)}))
                    all = false;
            }
            last = now;
            if (all) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    } catch (...) {
    }
}

void allReduceSumTensors(DistributedJob& job, std::vector<at::Tensor>& tensors)
{
    auto& m = job.impl();
    if (!m.group) m.fail("the process group is closed");
    if (tensors.empty()) return;
    // One collective for all: flattened into one host tensor of the first tensor's type.
    std::vector<at::Tensor> flat;
    for (const auto& t : tensors)
        flat.push_back(t.detach().reshape({-1}).to(at::kCPU, tensors.front().scalar_type()));
    std::vector<at::Tensor> buffer{at::cat(flat)};
    c10::intrusive_ptr<c10d::Work> work;
    try {
        work = m.group->allreduce(buffer);
    } catch (const std::exception& e) {
        m.fail(e.what());
    }
    m.wait(std::move(work));
    int64_t at = 0;
    for (auto& t : tensors) {
        const int64_t n = t.numel();
        t.detach().copy_(buffer[0].slice(0, at, at + n).reshape(t.sizes()));
        at += n;
    }
}

GradientSum sumGradients(DistributedJob& job, std::vector<at::Tensor> parameters, const at::Tensor& loss, bool stopHere)
{
    std::vector<at::Tensor> list;
    for (auto& p : parameters) {
        auto& g = p.mutable_grad();
        if (!g.defined()) g = at::zeros_like(p);
        list.push_back(g);
    }
    list.push_back(at::tensor({loss.item<float>(), stopHere ? 1.0f : 0.0f}));
    allReduceSumTensors(job, list);
    return {list.back()[0].item<double>(), list.back()[1].item<float>() > 0.0f};
}

HostTensor
spreadSampling(DistributedJob* job, int64_t total, int64_t batchSize,
               const std::function<HostTensor(int64_t, int64_t, const std::function<void(int64_t)>&)>& sampleRange,
               const std::function<void(int64_t, int64_t)>& progress)
{
    if (!job)
        return sampleRange(0, total, [&](int64_t done) {
            if (progress) progress(done, total);
        });
    const auto [begin, end] = job->shard(total, batchSize);
    const int64_t batches = (total + batchSize - 1) / batchSize;
    const int64_t rounds = (batches + job->size() - 1) / job->size(); // the same number of collectives on every rank
    int64_t calls = 0;
    const auto sync = [&](int64_t done) {
        if (calls >= rounds) return;
        ++calls;
        const auto sum = job->allReduceSum({static_cast<double>(done)});
        if (progress && job->isMain()) progress(static_cast<int64_t>(sum[0]), total);
    };
    const HostTensor part = end > begin ? sampleRange(begin, end - begin, sync) : HostTensor{};
    while (calls < rounds)
        sync(end - begin);
    return job->allGather(part);
}

} // namespace dg
