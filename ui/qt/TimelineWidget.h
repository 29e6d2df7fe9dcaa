#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QSlider;
class QToolButton;

namespace dg::studio {

// Play / pause, single steps, a scrubber over every recorded step, and the playback speed.
class TimelineWidget : public QWidget
{
    Q_OBJECT
public:
    explicit TimelineWidget(QWidget* parent = nullptr);
    void setRange(int recorded, int total); // recorded frames (0 … recorded−1) of total + 1
    void setPosition(int step);             // no signal
    int position() const;
    int rangeEnd() const; // the scrubber's last position: the run's last frame
    void setPlaying(bool playing);
    int stepIntervalMs() const; // minimum time per step for the chosen speed (0: as fast as computed)
    void setSpeedIndex(int index);
    int speedIndex() const;

Q_SIGNALS:
    void playToggled();
    void stepForward();
    void stepBack();
    void scrubbed(int step);
    void speedChanged(int intervalMs);

private:
    QToolButton* m_back;
    QToolButton* m_play;
    QToolButton* m_forward;
    QSlider* m_slider;
    QLabel* m_label;
    QComboBox* m_speed;
    int m_total = 0;
    int m_recorded = 0;
};

} // namespace dg::studio
