"""Ring buffers for live plots: order, wrap-around, capacity and named series."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.timeseries import RingBuffer, SeriesSet


def test_empty_buffer_has_empty_arrays():
    buf = RingBuffer(4)
    times, values = buf.arrays()
    assert len(buf) == 0 and times.size == 0 and values.size == 0


def test_partial_fill_keeps_insertion_order():
    buf = RingBuffer(5)
    for i in range(3):
        buf.append(float(i), i * 10.0)
    times, values = buf.arrays()
    assert times.tolist() == [0.0, 1.0, 2.0]
    assert values.tolist() == [0.0, 10.0, 20.0]


def test_wrap_around_drops_oldest_and_stays_ordered():
    buf = RingBuffer(4)
    for i in range(11):
        buf.append(float(i), -float(i))
    times, values = buf.arrays()
    assert len(buf) == 4 == buf.capacity
    assert times.tolist() == [7.0, 8.0, 9.0, 10.0]
    assert values.tolist() == [-7.0, -8.0, -9.0, -10.0]


def test_arrays_are_views_into_fixed_storage():
    buf = RingBuffer(3)
    for i in range(5):
        buf.append(float(i), float(i))
    first_times, _ = buf.arrays()
    buf.append(5.0, 5.0)
    second_times, _ = buf.arrays()
    # Both views share one preallocated buffer: reading allocates no sample storage.
    assert np.shares_memory(first_times, second_times)
    assert not second_times.flags.writeable


def test_since_returns_only_the_window():
    buf = RingBuffer(10)
    for i in range(10):
        buf.append(100.0 + i, float(i))
    times, values = buf.since(106.0)
    assert times.tolist() == [106.0, 107.0, 108.0, 109.0]
    assert values.tolist() == [6.0, 7.0, 8.0, 9.0]
    assert buf.since(200.0)[0].size == 0


def test_clear_empties_the_buffer():
    buf = RingBuffer(2)
    buf.append(1.0, 1.0)
    buf.clear()
    assert len(buf) == 0 and buf.arrays()[0].size == 0


def test_capacity_must_be_positive():
    with pytest.raises(ValueError):
        RingBuffer(0)


@given(st.integers(1, 50), st.lists(st.floats(allow_nan=False), max_size=200))
def test_matches_the_tail_of_a_plain_list(capacity, samples):
    buf = RingBuffer(capacity)
    for i, value in enumerate(samples):
        buf.append(float(i), value)
    times, values = buf.arrays()
    assert values.tolist() == samples[-capacity:]
    assert times.tolist() == [float(i) for i in range(len(samples))][-capacity:]


def test_series_set_creates_series_on_first_sight():
    series = SeriesSet(3)
    series.append(1.0, {"cpu0": 10.0, "cpu1": 20.0})
    series.append(2.0, {"cpu0": 11.0, "cpu1": 21.0, "cpu2": 31.0})
    assert list(series) == ["cpu0", "cpu1", "cpu2"]
    assert series["cpu0"].arrays()[1].tolist() == [10.0, 11.0]
    assert series["cpu2"].arrays()[0].tolist() == [2.0]


def test_series_set_wraps_each_series_independently():
    series = SeriesSet(2)
    for t in range(5):
        series.append(float(t), {"eth0": float(t)})
    series.append(5.0, {"wlan0": 50.0})
    assert series["eth0"].arrays()[0].tolist() == [3.0, 4.0]
    assert series["wlan0"].arrays()[1].tolist() == [50.0]
    assert len(series) == 2 and series.capacity == 2
    series.clear()
    assert len(series) == 0
