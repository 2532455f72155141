"""Plot helpers: rounded y ranges and the seconds-ago axis labels."""
import math

import numpy as np

from services.timeseries import RingBuffer
from views.plots import CurveSet, make_time_plot, nice_ceiling, seconds_ago_label


def test_nice_ceiling_rounds_up_to_1_2_5_steps():
    assert [nice_ceiling(v) for v in (0.3, 1.0, 1.5, 3.0, 7.0, 42.0, 1234.0)] == [
        0.5, 1.0, 2.0, 5.0, 10.0, 50.0, 2000.0,
    ]
    assert nice_ceiling(0.0) == nice_ceiling(-4.0) == nice_ceiling(math.nan) == 1.0


def test_seconds_ago_labels():
    assert [seconds_ago_label(v) for v in (0.0, -0.2, -30.0, -60.0, -90.0, -900.0)] == [
        "now", "now", "-30s", "-1m", "-90s", "-15m",
    ]


def test_curves_are_shown_relative_to_now_and_y_fits_the_peak(qtbot):
    plot = make_time_plot("rates", units="B/s")
    qtbot.addWidget(plot)
    curves = CurveSet(plot)
    buffer = RingBuffer(10)
    for t, value in ((100.0, 10.0), (101.0, 730.0), (102.0, 20.0)):
        buffer.append(t, value)
    curves.show_buffer("eth0 rx", buffer, t_min=100.5, t_now=102.0)
    curves.set_span(60.0)
    curves.fit_y()
    x, y = curves.data("eth0 rx")
    assert np.array_equal(x, [-1.0, 0.0]) and np.array_equal(y, [730.0, 20.0])
    (x_min, x_max), (y_min, y_max) = plot.getPlotItem().viewRange()
    assert (x_min, x_max) == (-60.0, 0.0)
    assert (y_min, y_max) == (0.0, 1000.0)


def test_live_plot_settings_keep_redraws_cheap(qtbot):
    plot = make_time_plot("cpu", units="%", y_range=(0.0, 100.0))
    qtbot.addWidget(plot)
    curves = CurveSet(plot)
    first = curves.curve("total")
    assert curves.curve("total") is first  # created once, then reused
    item = plot.getPlotItem()
    assert item.clipToViewMode()
    assert item.downsampleMode() == (1, True, "peak")
    assert first.opts["clipToView"] and first.opts["autoDownsample"]
    assert first.opts["downsampleMethod"] == "peak"
    assert first.opts["skipFiniteCheck"]
    assert first.opts["pen"].width() == 1
