#include "TestSupport.h"

#include "models/ToyModels.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

#include <cmath>
#include <limits>

namespace dg::test {
namespace {

QJsonObject mixtureJson(const GaussianMixture& m)
{
    const auto means = m.means().cpu().contiguous();
    const auto stds = m.stds().cpu().contiguous();
    const auto weights = m.weights().cpu().contiguous();
    QJsonArray meanRows, stdList, weightList;
    for (int64_t k = 0; k < means.size(0); ++k) {
        meanRows.append(QJsonArray{means[k][0].item<double>(), means[k][1].item<double>()});
        stdList.append(stds[k].item<double>());
        weightList.append(weights[k].item<double>());
    }
    return QJsonObject{{"means", meanRows}, {"stds", stdList}, {"weights", weightList}};
}

} // namespace

float maxAbsDiff(const HostTensor& a, const HostTensor& b)
{
    if (a.shape != b.shape) return std::numeric_limits<float>::infinity();
    float m = 0.0f;
    for (size_t i = 0; i < a.values.size(); ++i)
        m = std::max(m, std::abs(a.values[i] - b.values[i]));
    return m;
}

QString pythonExe()
{
    return QStringLiteral("/usr/bin/python3");
}

ProcessResult runProcess(const QString& program, const QStringList& args, int timeoutMs)
{
    QProcess p;
    p.start(program, args);
    ProcessResult r;
    if (!p.waitForStarted(10000)) {
        r.err = QStringLiteral("could not start ") + program;
        return r;
    }
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out: ") + program;
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QString writePythonModels(const QString& dir)
{
    const auto* toy = findToy("ring8");
    const QJsonObject params{{"data", mixtureJson(toy->data)}, {"model", mixtureJson(toy->model)}};
    const QString paramsPath = dir + "/ring8_params.json";
    QFile f(paramsPath);
    if (!f.open(QIODevice::WriteOnly)) return "cannot write " + paramsPath;
    f.write(QJsonDocument(params).toJson());
    f.close();
    const auto r = runProcess(pythonExe(), {QStringLiteral(DG_TEST_SUPPORT_DIR "/make_models.py"), dir, paramsPath});
    if (r.exitCode != 0) return "make_models.py failed: " + r.err;
    return {};
}

QString describeWithPython(const QStringList& files)
{
    QStringList args{QStringLiteral(DG_TEST_SUPPORT_DIR "/check_outputs.py")};
    args += files;
    const auto r = runProcess(pythonExe(), args);
    return r.exitCode == 0 ? r.out : QStringLiteral("ERROR: ") + r.err;
}

QString ModelFolder::init()
{
    if (!m_dir.isValid()) return "cannot create a temporary folder: " + m_dir.errorString();
    return writePythonModels(m_dir.path());
}

QStringList ModelFolder::expand(const QString& args) const
{
    QStringList list = args.split(' ', Qt::SkipEmptyParts);
    for (auto& a : list)
        a.replace("{dir}", m_dir.path());
    return list;
}

} // namespace dg::test
