#pragma once

#include "dg/HostTensor.h"

#include <QString>
#include <QStringList>
#include <QTemporaryDir>

namespace dg::test {

// max |a − b| over all values; infinity when the shapes differ.
float maxAbsDiff(const HostTensor& a, const HostTensor& b);

// Debian's Python with PyTorch (the python3 on PATH may be another interpreter without torch).
QString pythonExe();

// Runs tests/support/make_models.py into dir (ring8 mixtures exported from the C++ built-ins); returns an error
// message, empty on success.
QString writePythonModels(const QString& dir);

struct ProcessResult
{
    int exitCode = -1;
    QString out;
    QString err;
};

// Runs a program to completion (kills it after timeoutMs).
ProcessResult runProcess(const QString& program, const QStringList& args, int timeoutMs = 120000);

// The CLI tests' temporary folder, holding the models of make_models.py.
class ModelFolder
{
public:
    // Writes the models; returns an error message, empty on success.
    QString init();
    QString path(const QString& name) const { return m_dir.path() + "/" + name; }
    // A command line split on spaces, "{dir}" replaced by the folder.
    QStringList expand(const QString& args) const;

private:
    QTemporaryDir m_dir;
};

// torch.load facts about files as parsed JSON (see tests/support/check_outputs.py).
QString describeWithPython(const QStringList& files);

} // namespace dg::test
