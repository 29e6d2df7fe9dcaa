#include "ViewerWidget.h"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QOpenGLContext>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace dg::studio {
namespace {

constexpr float kTitleBand = 24.0f;
constexpr float kMargin = 8.0f;
constexpr float kToyContent = 1000.0f; // 2-D toys: [-extent, extent]² maps onto a square of this many content units
constexpr int kMaxPaths = 256;

const gl::Color kBackground{0.12f, 0.12f, 0.14f, 1.0f};
const gl::Color kGap{0.18f, 0.18f, 0.21f, 1.0f};

float sigmoid(float logit) { return 1.0f / (1.0f + std::exp(-logit)); }

// d(x_t) as a badge colour: red = "looks generated" (d → 0), green = "looks real" (d → 1).
gl::Color badgeColor(float d)
{
    d = std::clamp(d, 0.0f, 1.0f);
    return {0.85f * (1 - d) + 0.15f * d, 0.20f * (1 - d) + 0.70f * d, 0.20f, 0.9f};
}

QString number(double v, int precision = 3) { return QString::number(v, 'g', precision); }

void toyToContent(float x, float y, double extent, float& cx, float& cy)
{
    cx = static_cast<float>((x + extent) / (2 * extent)) * kToyContent;
    cy = static_cast<float>((extent - y) / (2 * extent)) * kToyContent;
}

} // namespace

const char* toString(ViewMode mode)
{
    switch (mode) {
    case ViewMode::State: return "x_t";
    case ViewMode::Denoised: return "denoised";
    case ViewMode::Correction: return "DG correction";
    case ViewMode::Difference: return "guided - unguided";
    }
    return "";
}

ViewerWidget::ViewerWidget(QWidget* parent) : QOpenGLWidget(parent)
{
    setMouseTracking(true);
    setMinimumSize(320, 240);
    setFocusPolicy(Qt::StrongFocus);
}

ViewerWidget::~ViewerWidget()
{
    disconnect(m_contextConnection); // the base class destroys the context after our members are gone
    if (context()) {
        makeCurrent();
        releaseGl();
        doneCurrent();
    }
}

void ViewerWidget::releaseGl() { m_renderer.release(); }

void ViewerWidget::setPanels(std::vector<ViewerPanel> panels)
{
    m_panels = std::move(panels);
    m_dirty = true;
    update();
}

void ViewerWidget::setMode(ViewMode mode)
{
    m_mode = mode;
    m_dirty = true;
    update();
}

void ViewerWidget::setSeed(uint64_t seed, int64_t firstSample)
{
    m_seed = seed;
    m_firstSample = firstSample;
}

void ViewerWidget::setBadges(bool on)
{
    m_badges = on;
    update();
}

void ViewerWidget::resetView()
{
    m_zoom = 1.0f;
    m_pan = {};
    update();
}

bool ViewerWidget::isToy() const
{
    return !m_panels.empty() && m_panels.front().frame && m_panels.front().frame->x.isPoints2d();
}

ViewerWidget::Content ViewerWidget::contentOf(const ViewerPanel& p) const
{
    Content c;
    const Frame& f = *p.frame;
    switch (m_mode) {
    case ViewMode::State:
        c.values = p.unguided ? f.unguidedX : f.x;
        if (c.values.isImages() && f.sigma > 0) {
            // Shown as x_t / √(1 + σ²) so the noise stays in the displayable range at large σ.
            const float k = static_cast<float>(1.0 / std::sqrt(1.0 + f.sigma * f.sigma));
            for (float& v : c.values.values) v *= k;
            c.caption = QStringLiteral("x_t / √(1 + σ²)");
        }
        break;
    case ViewMode::Denoised:
        c.values = p.unguided ? f.unguidedDenoised : f.denoised;
        break;
    case ViewMode::Correction:
        c.colormap = gl::Colormap::Diverging;
        if (p.unguided) {
            c.caption = QStringLiteral("no guidance on this run");
            break;
        }
        c.values = f.correction;
        c.scale = std::max(gl::maxAbs(c.values), 1e-6f);
        c.caption = QStringLiteral("blue − / red +, full colour at |w·σ²·∇logit| = %1").arg(number(c.scale));
        break;
    case ViewMode::Difference:
        c.colormap = gl::Colormap::Diverging;
        if (f.unguidedX.values.empty()) {
            c.caption = QStringLiteral("turn Compare on to record the unguided run");
            break;
        }
        c.values = gl::difference(f.x, f.unguidedX);
        c.scale = std::max(gl::maxAbs(c.values), 1e-6f);
        c.caption = QStringLiteral("guided − unguided x_t; full colour at |Δ| = %1").arg(number(c.scale));
        break;
    }
    return c;
}

std::vector<gl::RectF> ViewerWidget::panelRects() const
{
    std::vector<gl::RectF> rects;
    const int n = std::max<int>(1, static_cast<int>(m_panels.size()));
    const float w = (static_cast<float>(width()) - kMargin * (n + 1)) / n;
    for (int i = 0; i < n; ++i)
        rects.push_back({kMargin + i * (w + kMargin), kTitleBand + 4, w, static_cast<float>(height()) - kTitleBand - 30});
    return rects;
}

void ViewerWidget::initializeGL()
{
    try {
        m_renderer.initialize();
        m_error.clear();
    } catch (const std::exception& e) {
        m_error = QString::fromUtf8(e.what());
    }
    // Qt may destroy the context before this widget (reparenting, shutdown): free GL objects while it still exists.
    disconnect(m_contextConnection);
    m_contextConnection = connect(context(), &QOpenGLContext::aboutToBeDestroyed, this, [this] {
        makeCurrent();
        releaseGl();
        doneCurrent();
    });
    m_dirty = true;
}

void ViewerWidget::paintGL()
{
    const float dpr = static_cast<float>(devicePixelRatioF());
    QPainter painter(this);
    if (!m_renderer.initialized()) {
        painter.fillRect(rect(), QColor(30, 30, 36));
        painter.setPen(Qt::white);
        painter.drawText(rect(), Qt::AlignCenter, QStringLiteral("OpenGL renderer unavailable: %1").arg(m_error));
        return;
    }
    const auto rects = panelRects();
    painter.beginNativePainting(); // the shared renderer draws with raw GL; QPainter text goes on top
    m_renderer.beginFrame(static_cast<int>(width() * dpr), static_cast<int>(height() * dpr), kBackground);
    if (!m_panels.empty() && m_panels.front().frame) {
        if (m_dirty) {
            m_contents.clear();
            for (const auto& p : m_panels) m_contents.push_back(contentOf(p));
        }
        if (isToy())
            drawToy(rects);
        else
            drawImages(rects);
        m_dirty = false;
    }
    m_renderer.endFrame();
    painter.endNativePainting();
    drawOverlay(painter, rects);
}

void ViewerWidget::drawImages(const std::vector<gl::RectF>& rects)
{
    const float dpr = static_cast<float>(devicePixelRatioF());
    const auto& shape = m_panels.front().frame->x.shape;
    m_layout = gl::GridLayout(static_cast<int>(shape[0]), static_cast<int>(shape[3]), static_cast<int>(shape[2]));
    std::vector<gl::RectF> badges;
    std::vector<gl::Color> badgeColors;
    for (size_t i = 0; i < m_panels.size() && i < static_cast<size_t>(gl::Renderer::kImageSlots); ++i) {
        const Content& c = m_contents[i];
        if (c.values.values.empty() || !c.values.isImages()) continue;
        if (m_dirty) m_renderer.setImage(static_cast<int>(i), gl::makeAtlas(c.values, m_layout));
        const auto t = gl::PanelTransform::fit(rects[i], static_cast<float>(m_layout.width()),
                                               static_cast<float>(m_layout.height()), m_zoom,
                                               static_cast<float>(m_pan.x()), static_cast<float>(m_pan.y()));
        const gl::RectF clip{rects[i].x * dpr, rects[i].y * dpr, rects[i].w * dpr, rects[i].h * dpr};
        m_renderer.setClip(&clip);
        const auto screen = t.toScreen({0, 0, static_cast<float>(m_layout.width()), static_cast<float>(m_layout.height())});
        m_renderer.drawImage(static_cast<int>(i), {screen.x * dpr, screen.y * dpr, screen.w * dpr, screen.h * dpr},
                             c.colormap, c.scale, kGap);
        const auto& logit = m_panels[i].frame->logit;
        if (m_badges && !m_panels[i].unguided && !logit.empty()) {
            // A bar along the top of each tile, coloured by d(x_t); the number is drawn by the overlay when it fits.
            for (int k = 0; k < m_layout.count() && k < static_cast<int>(logit.size()); ++k) {
                const auto tile = t.toScreen(m_layout.tile(k));
                const float h = std::max(3.0f, std::min(14.0f, tile.h * 0.12f));
                badges.push_back({tile.x * dpr, tile.y * dpr, tile.w * dpr, h * dpr});
                badgeColors.push_back(badgeColor(sigmoid(logit[static_cast<size_t>(k)])));
            }
            m_renderer.drawRects(badges, badgeColors);
            badges.clear();
            badgeColors.clear();
        }
    }
    m_renderer.setClip(nullptr);
}

void ViewerWidget::drawToy(const std::vector<gl::RectF>& rects)
{
    const float dpr = static_cast<float>(devicePixelRatioF());
    for (size_t i = 0; i < m_panels.size() && i < static_cast<size_t>(gl::Renderer::kImageSlots); ++i) {
        const ViewerPanel& p = m_panels[i];
        const Frame& f = *p.frame;
        const double extent = f.extent > 0 ? f.extent : 1.6;
        const auto t = gl::PanelTransform::fit(rects[i], kToyContent, kToyContent, m_zoom,
                                               static_cast<float>(m_pan.x()), static_cast<float>(m_pan.y()));
        auto toScreen = [&](float x, float y, float& sx, float& sy) {
            float cx = 0, cy = 0;
            toyToContent(x, y, extent, cx, cy);
            sx = (t.offsetX + cx * t.scale) * dpr;
            sy = (t.offsetY + cy * t.scale) * dpr;
        };
        const auto square = t.toScreen({0, 0, kToyContent, kToyContent});
        const gl::RectF squarePx{square.x * dpr, square.y * dpr, square.w * dpr, square.h * dpr};
        // Clip to the plot square within the panel: early particles (σ up to 80) lie far outside the plot.
        const float cx0 = std::max(rects[i].x, square.x), cy0 = std::max(rects[i].y, square.y);
        const float cx1 = std::min(rects[i].x + rects[i].w, square.x + square.w);
        const float cy1 = std::min(rects[i].y + rects[i].h, square.y + square.h);
        const gl::RectF clip{cx0 * dpr, cy0 * dpr, std::max(0.0f, cx1 - cx0) * dpr, std::max(0.0f, cy1 - cy0) * dpr};
        m_renderer.setClip(&clip);
        if (!f.logDensity.empty()) {
            if (m_dirty) {
                // Density relative to its peak, square-rooted so the faint bridges between modes still show.
                gl::ImageData d{f.densityRes, f.densityRes, 1, f.logDensity};
                const float top = *std::max_element(d.values.begin(), d.values.end());
                for (float& v : d.values) v = std::sqrt(std::exp(v - top));
                m_renderer.setImage(static_cast<int>(i), d);
            }
            m_renderer.drawImage(static_cast<int>(i), squarePx, gl::Colormap::Sequential, 1.0f, kGap, true);
        } else {
            m_renderer.drawRects({squarePx}, {{0.2f, 0.2f, 0.24f, 1}});
        }
        const bool showUnguided = p.unguided || m_mode == ViewMode::Difference;
        const HostTensor& now = showUnguided && !f.unguidedX.values.empty() ? f.unguidedX
                                : m_mode == ViewMode::Denoised ? (p.unguided ? f.unguidedDenoised : f.denoised)
                                                               : f.x;
        const int n = static_cast<int>(now.batch());
        // Paths: each particle's positions over the frames so far.
        std::vector<float> segments;
        const int paths = std::min(n, kMaxPaths);
        for (size_t k = 1; k < p.history.size(); ++k) {
            const HostTensor& a = p.unguided ? p.history[k - 1]->unguidedX : p.history[k - 1]->x;
            const HostTensor& b = p.unguided ? p.history[k]->unguidedX : p.history[k]->x;
            if (a.batch() < paths || b.batch() < paths) continue;
            for (int j = 0; j < paths; ++j) {
                float x0, y0, x1, y1;
                toScreen(a.sample(j)[0], a.sample(j)[1], x0, y0);
                toScreen(b.sample(j)[0], b.sample(j)[1], x1, y1);
                segments.insert(segments.end(), {x0, y0, x1, y1});
            }
        }
        if (!segments.empty()) m_renderer.drawLines(segments, {{1.0f, 1.0f, 1.0f, 0.18f}});
        std::vector<float> points;
        for (int j = 0; j < n; ++j) {
            float sx, sy;
            toScreen(now.sample(j)[0], now.sample(j)[1], sx, sy);
            points.insert(points.end(), {sx, sy});
        }
        const gl::Color pointColor = p.unguided ? gl::Color{0.75f, 0.75f, 0.80f, 0.95f} : gl::Color{0.95f, 0.30f, 0.25f, 0.95f};
        if (m_mode == ViewMode::Difference && !f.unguidedX.values.empty()) {
            // Unguided in grey, guided in red, a line from each unguided particle to its guided twin.
            std::vector<float> links;
            std::vector<float> guided;
            for (int j = 0; j < n; ++j) {
                float gx, gy;
                toScreen(f.x.sample(j)[0], f.x.sample(j)[1], gx, gy);
                links.insert(links.end(), {points[2 * j], points[2 * j + 1], gx, gy});
                guided.insert(guided.end(), {gx, gy});
            }
            m_renderer.drawLines(links, {{1.0f, 0.85f, 0.3f, 0.8f}});
            m_renderer.drawPoints(points, {{0.75f, 0.75f, 0.80f, 0.9f}}, 6.0f * dpr);
            m_renderer.drawPoints(guided, {{0.95f, 0.30f, 0.25f, 0.95f}}, 6.0f * dpr);
        } else {
            m_renderer.drawPoints(points, {pointColor}, 6.0f * dpr);
        }
        if (m_mode == ViewMode::Correction && !p.unguided && f.correction.batch() == n) {
            // DG correction w·σ²·∇logit as arrows from each particle, scaled so the longest is 12 % of the plot.
            const float longest = std::max(gl::maxAbs(f.correction), 1e-9f);
            const float k = static_cast<float>(0.12 * 2 * extent) / longest;
            std::vector<float> arrows;
            for (int j = 0; j < n; ++j) {
                const float* x = f.x.sample(j);
                const float* c = f.correction.sample(j);
                float x0, y0, x1, y1;
                toScreen(x[0], x[1], x0, y0);
                toScreen(x[0] + k * c[0], x[1] + k * c[1], x1, y1);
                const float dx = x1 - x0, dy = y1 - y0, len = std::sqrt(dx * dx + dy * dy);
                if (len < 1.5f) continue;
                const float ux = dx / len, uy = dy / len, head = std::min(6.0f * dpr, len * 0.4f);
                arrows.insert(arrows.end(), {x0, y0, x1, y1, x1, y1, x1 - head * (ux - 0.5f * uy), y1 - head * (uy + 0.5f * ux),
                                             x1, y1, x1 - head * (ux + 0.5f * uy), y1 - head * (uy - 0.5f * ux)});
            }
            if (!arrows.empty()) m_renderer.drawLines(arrows, {{0.3f, 0.9f, 1.0f, 0.9f}});
        }
    }
    m_renderer.setClip(nullptr);
}

void ViewerWidget::drawOverlay(QPainter& painter, const std::vector<gl::RectF>& rects)
{
    painter.setRenderHint(QPainter::Antialiasing);
    QFont font = painter.font();
    font.setPointSizeF(9.5);
    painter.setFont(font);
    if (m_panels.empty() || !m_panels.front().frame) {
        painter.setPen(QColor(200, 200, 210));
        painter.drawText(rect(), Qt::AlignCenter,
                         QStringLiteral("Load a model and press Sample (Ctrl+R)\n\nD_DG(x; σ) = D(x; σ) + w · σ² · ∇ₓ log(d / (1 − d))"));
        return;
    }
    for (size_t i = 0; i < m_panels.size() && i < rects.size(); ++i) {
        const ViewerPanel& p = m_panels[i];
        const Frame& f = *p.frame;
        const gl::RectF& r = rects[i];
        painter.setPen(QColor(235, 235, 240));
        QString title = p.title.isEmpty() ? QString() : p.title + QStringLiteral("  ·  ");
        title += f.step >= f.steps ? QStringLiteral("final sample (step %1/%1)").arg(f.steps)
                                   : QStringLiteral("step %1/%2  σ = %3").arg(f.step).arg(f.steps).arg(number(f.sigma));
        if (!p.unguided && f.step < f.steps) title += QStringLiteral("  w = %1").arg(number(f.weight));
        title += QStringLiteral("  ·  %1").arg(QString::fromLatin1(toString(m_mode)));
        painter.drawText(QRectF(r.x, 2, r.w, kTitleBand), Qt::AlignVCenter | Qt::AlignLeft, title);
        if (i < m_contents.size() && !m_contents[i].caption.isEmpty()) {
            painter.setPen(QColor(190, 190, 200));
            painter.drawText(QRectF(r.x, r.y + r.h + 2, r.w, 24), Qt::AlignVCenter | Qt::AlignLeft, m_contents[i].caption);
        }
        if (!isToy() && m_badges && !p.unguided && !f.logit.empty() && m_layout.count() > 0) {
            const auto t = gl::PanelTransform::fit(r, static_cast<float>(m_layout.width()),
                                                   static_cast<float>(m_layout.height()), m_zoom,
                                                   static_cast<float>(m_pan.x()), static_cast<float>(m_pan.y()));
            painter.setClipRect(QRectF(r.x, r.y, r.w, r.h));
            for (int k = 0; k < m_layout.count() && k < static_cast<int>(f.logit.size()); ++k) {
                const auto tile = t.toScreen(m_layout.tile(k));
                if (tile.w < 56) break; // too small for a number: the colour bar says it
                const float h = std::min(14.0f, tile.h * 0.12f);
                painter.setPen(Qt::white);
                QFont small = font;
                small.setPixelSize(std::max(8, static_cast<int>(h) - 2));
                painter.setFont(small);
                painter.drawText(QRectF(tile.x + 2, tile.y, tile.w - 4, h), Qt::AlignVCenter | Qt::AlignLeft,
                                 QStringLiteral("d=%1").arg(sigmoid(f.logit[static_cast<size_t>(k)]), 0, 'f', 2));
            }
            painter.setFont(font);
            painter.setClipping(false);
        }
    }
    if (isToy() && m_mode == ViewMode::Correction) {
        painter.setPen(QColor(120, 220, 255));
        painter.drawText(QRectF(8, height() - 24, width() - 16, 22), Qt::AlignVCenter | Qt::AlignRight,
                         QStringLiteral("arrows: DG correction w·σ²·∇logit (longest scaled to 12 % of the plot)"));
    }
}

QString ViewerWidget::describeAt(const QPointF& pos) const
{
    if (m_panels.empty() || !m_panels.front().frame) return {};
    const auto rects = panelRects();
    for (size_t i = 0; i < m_panels.size() && i < rects.size(); ++i) {
        const gl::RectF& r = rects[i];
        if (!r.contains(static_cast<float>(pos.x()), static_cast<float>(pos.y()))) continue;
        const ViewerPanel& p = m_panels[i];
        const Frame& f = *p.frame;
        int index = -1;
        QString where;
        if (isToy()) {
            const double extent = f.extent > 0 ? f.extent : 1.6;
            const auto t = gl::PanelTransform::fit(r, kToyContent, kToyContent, m_zoom, static_cast<float>(m_pan.x()),
                                                   static_cast<float>(m_pan.y()));
            const HostTensor& x = p.unguided ? f.unguidedX : f.x;
            float best = 8.0f;
            for (int j = 0; j < x.batch(); ++j) {
                float cx, cy;
                toyToContent(x.sample(j)[0], x.sample(j)[1], extent, cx, cy);
                const float dx = t.offsetX + cx * t.scale - static_cast<float>(pos.x());
                const float dy = t.offsetY + cy * t.scale - static_cast<float>(pos.y());
                const float dist = std::sqrt(dx * dx + dy * dy);
                if (dist < best) {
                    best = dist;
                    index = j;
                }
            }
            if (index >= 0)
                where = QStringLiteral("x = (%1, %2)").arg(number(x.sample(index)[0])).arg(number(x.sample(index)[1]));
        } else {
            const auto t = gl::PanelTransform::fit(r, static_cast<float>(m_layout.width()),
                                                   static_cast<float>(m_layout.height()), m_zoom,
                                                   static_cast<float>(m_pan.x()), static_cast<float>(m_pan.y()));
            float cx, cy;
            t.toContent(static_cast<float>(pos.x()), static_cast<float>(pos.y()), cx, cy);
            index = m_layout.tileAt(cx, cy);
            if (index >= 0 && i < m_contents.size() && !m_contents[i].values.values.empty()) {
                const auto tile = m_layout.tile(index);
                const int px = static_cast<int>(cx - tile.x), py = static_cast<int>(cy - tile.y);
                const auto& v = m_contents[i].values;
                const float value = v.sample(index)[static_cast<int64_t>(py) * v.shape[3] + px];
                where = QStringLiteral("pixel (%1, %2) = %3").arg(px).arg(py).arg(number(value, 4));
            }
        }
        if (index < 0) return {};
        QString text = QStringLiteral("sample %1 · seed %2 (noise key %2/%3) · σ = %4")
                           .arg(index)
                           .arg(m_seed)
                           .arg(m_firstSample + index)
                           .arg(number(f.sigma));
        if (!f.logit.empty() && index < static_cast<int>(f.logit.size()) && !p.unguided)
            text += QStringLiteral(" · logit = %1, d = %2")
                        .arg(number(f.logit[static_cast<size_t>(index)]))
                        .arg(sigmoid(f.logit[static_cast<size_t>(index)]), 0, 'f', 3);
        if (!where.isEmpty()) text += QStringLiteral(" · ") + where;
        return text;
    }
    return {};
}

void ViewerWidget::wheelEvent(QWheelEvent* event)
{
    const float factor = std::pow(1.0015f, static_cast<float>(event->angleDelta().y()));
    const float zoom = std::clamp(m_zoom * factor, 0.2f, 40.0f);
    // Keep the point under the cursor fixed: pan scales with zoom about the panel centre.
    const auto rects = panelRects();
    const gl::RectF& r = rects.front();
    const QPointF centre(r.x + r.w / 2, r.y + r.h / 2);
    QPointF local = event->position();
    for (const auto& rr : rects)
        if (rr.contains(static_cast<float>(local.x()), static_cast<float>(local.y()))) local -= QPointF(rr.x - r.x, 0);
    const QPointF d = local - centre - m_pan;
    m_pan -= d * (zoom / m_zoom - 1.0);
    m_zoom = zoom;
    update();
    event->accept();
}

void ViewerWidget::mousePressEvent(QMouseEvent* event)
{
    m_dragStart = event->position();
    m_panStart = m_pan;
}

void ViewerWidget::mouseMoveEvent(QMouseEvent* event)
{
    if (event->buttons() & Qt::LeftButton) {
        m_pan = m_panStart + (event->position() - m_dragStart);
        update();
    }
    Q_EMIT hoverText(describeAt(event->position()));
}

void ViewerWidget::mouseDoubleClickEvent(QMouseEvent*) { resetView(); }

bool ViewerWidget::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const QString text = describeAt(help->pos());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), text, this);
        return true;
    }
    return QOpenGLWidget::event(event);
}

} // namespace dg::studio
