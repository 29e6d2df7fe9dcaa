#include "RequestJson.h"
#include "dg/Error.h"

#include "dg/Image.h"

#include <QFile>
#include <QFileInfo>

namespace dg::studio {

std::optional<SampleRequest> requestFromJson(const QByteArray& json, QString* error)
{
    try {
        return dg::requestFromJson(json.toStdString());
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(dg::errorMessage(e));
        return std::nullopt;
    }
}

std::optional<SampleRequest> requestFromFile(const QString& path, QString* error)
{
    QByteArray json;
    const QFileInfo info(path);
    if (!info.exists()) {
        if (error) *error = QStringLiteral("%1: no such file").arg(path);
        return std::nullopt;
    }
    if (!info.isFile()) {
        if (error) *error = QStringLiteral("%1: not a regular file").arg(path);
        return std::nullopt;
    }
    if (info.size() > 16 * 1024 * 1024) {
        if (error) *error = QStringLiteral("%1: too large for a settings file (%2 bytes)").arg(path).arg(info.size());
        return std::nullopt;
    }
    if (path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)) {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly)) {
            if (error) *error = QStringLiteral("%1: %2").arg(path, f.errorString());
            return std::nullopt;
        }
        json = f.readAll();
    } else {
        try {
            const auto text = readPngText(path.toStdString());
            const auto it = text.find("dg.settings");
            if (it == text.end()) {
                if (error)
                    *error = QStringLiteral("%1: no DG Studio settings in this PNG (no dg.settings text)").arg(path);
                return std::nullopt;
            }
            json = QByteArray::fromStdString(it->second);
        } catch (const std::exception& e) {
            if (error) *error = QString::fromStdString(dg::errorMessage(e));
            return std::nullopt;
        }
    }
    QString why;
    auto r = requestFromJson(json, &why);
    if (!r && error) *error = QStringLiteral("%1: %2").arg(path, why);
    return r;
}

} // namespace dg::studio
