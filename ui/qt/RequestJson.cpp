#include "RequestJson.h"

#include "dg/Image.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <limits>

namespace dg::studio {
namespace {

double number(const QJsonValue& v, double fallback)
{
    if (v.isString()) {
        const QString s = v.toString();
        if (s == QLatin1String("inf")) return std::numeric_limits<double>::infinity();
        if (s == QLatin1String("-inf")) return -std::numeric_limits<double>::infinity();
        return fallback;
    }
    return v.isDouble() ? v.toDouble() : fallback;
}

} // namespace

std::optional<SampleRequest> requestFromJson(const QByteArray& json, QString* error)
{
    QJsonParseError parseError;
    const auto doc = QJsonDocument::fromJson(json, &parseError);
    if (!doc.isObject()) {
        if (error) *error = QStringLiteral("settings are not a JSON object (%1)").arg(parseError.errorString());
        return std::nullopt;
    }
    QJsonObject o = doc.object();
    if (o.contains(QLatin1String("settings")) && o.value(QLatin1String("settings")).isObject())
        o = o.value(QLatin1String("settings")).toObject(); // a sidecar
    if (!o.contains(QLatin1String("denoiser"))) {
        if (error) *error = QStringLiteral("settings name no denoiser");
        return std::nullopt;
    }
    SampleRequest r;
    r.denoiser = o.value(QLatin1String("denoiser")).toString().toStdString();
    r.discriminator = o.value(QLatin1String("discriminator")).toString().toStdString();
    r.noiseFile = o.value(QLatin1String("noise")).toString().toStdString();
    auto& s = r.settings;
    const double seed = o.value(QLatin1String("seed")).toDouble(0);
    // JSON numbers are doubles here: seeds up to 2^53 read back exactly; others are refused, not rounded.
    if (!(seed >= 0 && seed <= 9007199254740992.0 && seed == std::floor(seed))) {
        if (error) *error = QStringLiteral("seed: expected a whole number from 0 to 2^53, got %1")
                                .arg(o.value(QLatin1String("seed")).toVariant().toString());
        return std::nullopt;
    }
    s.seed = static_cast<uint64_t>(seed);
    s.count = static_cast<int64_t>(o.value(QLatin1String("count")).toDouble(16));
    if (o.value(QLatin1String("class")).isDouble()) s.classLabel = o.value(QLatin1String("class")).toInt();
    if (o.value(QLatin1String("class")).toString() == QLatin1String("all")) s.classLabel = dg::kEveryClass;
    const auto kind = parseSamplerKind(o.value(QLatin1String("sampler")).toString(QStringLiteral("heun")).toStdString());
    if (!kind) {
        if (error) *error = QStringLiteral("unknown sampler '%1'").arg(o.value(QLatin1String("sampler")).toString());
        return std::nullopt;
    }
    s.sampler.kind = *kind;
    auto& sch = s.sampler.schedule;
    sch.steps = o.value(QLatin1String("steps")).toInt(18);
    sch.sigmaMin = number(o.value(QLatin1String("sigma_min")), 0.002);
    sch.sigmaMax = number(o.value(QLatin1String("sigma_max")), 80.0);
    sch.rho = number(o.value(QLatin1String("rho")), 7.0);
    auto& c = s.sampler.churn;
    c.churn = number(o.value(QLatin1String("churn")), 0.0);
    c.sMin = number(o.value(QLatin1String("s_min")), 0.0);
    c.sMax = number(o.value(QLatin1String("s_max")), std::numeric_limits<double>::infinity());
    c.sNoise = number(o.value(QLatin1String("s_noise")), 1.0);
    auto& g = s.guidance;
    g.enabled = o.value(QLatin1String("dg_enabled")).toBool(true);
    g.weight = number(o.value(QLatin1String("dg_weight")), 0.0);
    const double w2 = number(o.value(QLatin1String("dg_weight_2nd")), g.weight);
    if (w2 != g.weight) g.weight2 = w2;
    g.sigmaLo = number(o.value(QLatin1String("dg_sigma_min")), 0.0);
    g.sigmaHi = number(o.value(QLatin1String("dg_sigma_max")), std::numeric_limits<double>::infinity());
    g.logitClip = number(o.value(QLatin1String("dg_logit_clip")), std::numeric_limits<double>::infinity());
    g.boost = o.value(QLatin1String("dg_boost")).toBool(false);
    const QString preset = o.value(QLatin1String("dg_preset")).toString(QStringLiteral("none"));
    const auto parsedPreset = parseGuidancePreset(preset.toStdString());
    if (!parsedPreset) {
        if (error) *error = QStringLiteral("dg_preset: expected none or official, got '%1'").arg(preset);
        return std::nullopt;
    }
    g.preset = *parsedPreset;
    const QString device = o.value(QLatin1String("device")).toString(QStringLiteral("auto"));
    try {
        r.device = parseDevice(device.toStdString());
        validate(s);
    } catch (const std::exception& e) {
        if (error) *error = QString::fromUtf8(e.what());
        return std::nullopt;
    }
    return r;
}

std::optional<SampleRequest> requestFromFile(const QString& path, QString* error)
{
    QByteArray json;
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
                if (error) *error = QStringLiteral("%1: no DG Studio settings in this PNG (no dg.settings text)").arg(path);
                return std::nullopt;
            }
            json = QByteArray::fromStdString(it->second);
        } catch (const std::exception& e) {
            if (error) *error = QString::fromUtf8(e.what());
            return std::nullopt;
        }
    }
    QString why;
    auto r = requestFromJson(json, &why);
    if (!r && error) *error = QStringLiteral("%1: %2").arg(path, why);
    return r;
}

} // namespace dg::studio
