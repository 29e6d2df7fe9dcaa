// View → Text size and presenter mode (issue 28, item 4): dg-studio readable from the back of a lecture hall.
#include "MainWindow.h"
#include "TimelineWidget.h"
#include "ViewerWidget.h"

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QFontInfo>
#include <QScreen>
#include <QStatusBar>
#include <QToolBar>
#include <QToolButton>

#include <algorithm>
#include <cmath>

namespace dg::studio {

void MainWindow::setTextScale(double scale)
{
    m_textScale = std::clamp(scale, 0.75, 3.5);
    QFont f = m_baseFont;
    if (m_baseFont.pointSizeF() > 0)
        f.setPointSizeF(m_baseFont.pointSizeF() * m_textScale);
    else
        f.setPixelSize(std::max(1, static_cast<int>(std::lround(m_baseFont.pixelSize() * m_textScale))));
    QApplication::setFont(f);
    m_viewer->setTextScale(static_cast<float>(m_textScale));
    const int icon = static_cast<int>(std::lround(16 * std::max(1.0, m_textScale)));
    for (auto* button : m_timeline->findChildren<QToolButton*>())
        button->setIconSize(QSize(icon, icon));
    for (auto* a : m_textScaleActions)
        a->setChecked(std::fabs(a->data().toDouble() - m_textScale) < 1e-6);
}

void MainWindow::setPresenterMode(bool on)
{
    if (on == m_presenting) return;
    m_presenting = on;
    if (on) {
        m_beforePresenting = {saveState(), isFullScreen(), m_textScale, geometry()};
        // The picture takes the screen: no docks, tool bar or status bar (keys and the timeline still drive it).
        for (auto* dock : findChildren<QDockWidget*>())
            dock->hide();
        for (auto* bar : findChildren<QToolBar*>())
            bar->hide();
        statusBar()->hide();
        // Text of at least 30 px whatever the platform's default font (9 pt is 12 px at 96 dpi: × 2.5).
        const int basePixels = std::max(1, QFontInfo(m_baseFont).pixelSize());
        setTextScale(std::max(2.0, 30.0 / basePixels));
        showFullScreen();
        setGeometry(screen()->geometry()); // without a window manager full screen is only a request
    } else {
        setTextScale(m_beforePresenting.textScale);
        statusBar()->show();
        if (!m_beforePresenting.fullScreen) {
            showNormal();
            setGeometry(m_beforePresenting.geometry);
        }
        restoreState(m_beforePresenting.docks); // the docks and the tool bar as they were
    }
    if (m_presenterAction) m_presenterAction->setChecked(on);
}

} // namespace dg::studio
