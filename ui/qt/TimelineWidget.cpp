#include "TimelineWidget.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QStyle>
#include <QToolButton>

#include <algorithm>

namespace dg::studio {

TimelineWidget::TimelineWidget(QWidget* parent) : QWidget(parent)
{
    auto button = [this](QStyle::StandardPixmap icon, const QString& tip) {
        auto* b = new QToolButton;
        b->setIcon(style()->standardIcon(icon));
        b->setToolTip(tip);
        b->setAutoRaise(true);
        return b;
    };
    m_back = button(QStyle::SP_MediaSeekBackward, tr("Previous step (←)"));
    m_play = button(QStyle::SP_MediaPlay, tr("Play / pause (Space)"));
    m_forward = button(QStyle::SP_MediaSeekForward, tr("Next step (→): computes it when it is not recorded yet"));
    m_slider = new QSlider(Qt::Horizontal);
    m_slider->setRange(0, 0);
    m_slider->setToolTip(tr("Scrub over the recorded steps (the handle stops at the last one computed)"));
    m_label = new QLabel(tr("no run"));
    m_label->setMinimumWidth(130);
    m_speed = new QComboBox;
    m_speed->addItem(tr("max speed"), 0);
    m_speed->addItem(tr("4 steps/s"), 250);
    m_speed->addItem(tr("2 steps/s"), 500);
    m_speed->addItem(tr("1 step/s"), 1000);
    m_speed->setToolTip(tr("Playback speed (also paces live sampling, for teaching)"));
    connect(m_back, &QToolButton::clicked, this, &TimelineWidget::stepBack);
    connect(m_play, &QToolButton::clicked, this, &TimelineWidget::playToggled);
    connect(m_forward, &QToolButton::clicked, this, &TimelineWidget::stepForward);
    connect(m_slider, &QSlider::valueChanged, this, [this](int v) {
        if (v > m_recorded - 1) { // a step not computed yet: the handle stops at the last one computed
            v = std::max(0, m_recorded - 1);
            const QSignalBlocker block(m_slider);
            m_slider->setValue(v);
        }
        m_label->setText(tr("step %1 / %2").arg(v).arg(m_total));
        Q_EMIT scrubbed(v);
    });
    connect(m_speed, &QComboBox::currentIndexChanged, this, [this] { Q_EMIT speedChanged(stepIntervalMs()); });
    auto* h = new QHBoxLayout(this);
    h->setContentsMargins(6, 2, 6, 2);
    h->addWidget(m_back);
    h->addWidget(m_play);
    h->addWidget(m_forward);
    h->addWidget(m_slider, 1);
    h->addWidget(m_label);
    h->addWidget(m_speed);
}

void TimelineWidget::setRange(int recorded, int total)
{
    // The scrubber spans the whole run (frames 0 … total), so the handle shows how far the run has come.
    m_total = total;
    m_recorded = recorded;
    const QSignalBlocker block(m_slider);
    m_slider->setRange(0, recorded > 0 ? std::max(total, recorded - 1) : 0);
    m_label->setText(tr("step %1 / %2").arg(m_slider->value()).arg(m_total));
}

void TimelineWidget::setPosition(int step)
{
    const QSignalBlocker block(m_slider);
    m_slider->setValue(step);
    m_label->setText(tr("step %1 / %2").arg(step).arg(m_total));
}

int TimelineWidget::position() const
{
    return m_slider->value();
}
int TimelineWidget::rangeEnd() const
{
    return m_slider->maximum();
}

void TimelineWidget::setPlaying(bool playing)
{
    m_play->setIcon(style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
}

int TimelineWidget::stepIntervalMs() const
{
    return m_speed->currentData().toInt();
}
void TimelineWidget::setSpeedIndex(int index)
{
    m_speed->setCurrentIndex(std::clamp(index, 0, m_speed->count() - 1));
}
int TimelineWidget::speedIndex() const
{
    return m_speed->currentIndex();
}

} // namespace dg::studio
