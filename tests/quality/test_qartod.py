"""QARTOD tests: hand-made series with known answers, edges, and equivalence with ioos_qc 3.0."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.quality import flat_line, gross_range, rate_of_change, spike
from ecohub.quality.qartod import flat_line_core, rate_of_change_core, spike_core

ioos = pytest.importorskip("ioos_qc.qartod")
H = 3600.0


# ----------------------------------------------------------------------------- hand-made
def test_gross_range_known() -> None:
    # ioos_qc docstring example: [1, 2, 3, 4, 8], fail (0, 5), suspect (1, 4) -> 1 1 1 1 4
    assert gross_range([1, 2, 3, 4, 8], (0, 5), (1, 4)).tolist() == [1, 1, 1, 1, 4]
    x = np.ma.masked_array([-1.0, 0.0, 0.5, np.nan, np.inf, 7.0], mask=[0, 0, 0, 0, 0, 1])
    assert gross_range(x, (0, 5), (1, 4)).tolist() == [4, 3, 3, 9, 9, 9]
    assert gross_range([], (0, 1)).dtype == np.uint8


@pytest.mark.parametrize("bad", [((5, 0), None), ((0, 5), (-1, 4)), ((0, 5), (3, 2)),
                                 ((0, float("nan")), None)])
def test_gross_range_bad_spans(bad: tuple) -> None:
    with pytest.raises(ValueError, match="span"):
        gross_range([1.0], *bad)


def test_spike_known() -> None:
    x = [1.0, 1.0, 9.0, 1.0, 1.0, 3.0, 1.0, np.nan, 1.0, 1.0]
    # |9 - 1| = 8 > fail 5 -> 4; its neighbours: |1 - (1+9)/2| = 4 > 2 -> 3
    # index 5: |3 - 1| = 2, not > 2 -> 1; index 6 and 8 next to NaN -> 2; first/last 2
    assert spike(x, 2, 5).tolist() == [2, 3, 4, 3, 1, 1, 2, 9, 2, 2]
    assert spike([5.0], 1, 2).tolist() == [2]
    assert spike([5.0, np.nan], 1, 2).tolist() == [2, 9]
    assert spike([], 1, 2).size == 0


def test_spike_segments_do_not_leak() -> None:
    x = np.array([1.0, 1.0, 1.0, 50.0, 1.0, 1.0])
    seg = np.array([1, 0, 0, 1, 0, 0], dtype=bool)  # 50 is the first value of series two
    f = spike_core(x, np.zeros(6, bool), 2, 5, seg)
    assert f.tolist() == [2, 1, 2, 2, 4, 2]


def test_rate_of_change_known() -> None:
    t = np.arange(6) * 60.0
    x = [10.0, 11.0, 40.0, np.nan, 41.0, 41.5]
    # rates per s: 1/60, 29/60, -, (41-40)/120, 0.5/60 ; threshold 0.1/s, fail 0.4/s
    assert rate_of_change(x, t, 0.1, 0.4).tolist() == [2, 1, 4, 9, 1, 1]
    dt64 = np.datetime64("2024-01-01T00:00") + np.arange(6) * np.timedelta64(1, "m")
    assert rate_of_change(x, dt64, 0.1, 0.4).tolist() == [2, 1, 4, 9, 1, 1]


def test_rate_of_change_nan_row_equals_absent_row() -> None:
    t = np.arange(5) * H
    x = np.array([1.0, 2.0, np.nan, 9.0, 9.5])
    with_nan = rate_of_change(x, t, 2 / H)
    without = rate_of_change(np.delete(x, 2), np.delete(t, 2), 2 / H)
    assert np.delete(with_nan, 2).tolist() == without.tolist() == [2, 1, 3, 1]


@pytest.mark.parametrize("times", [[0.0, 60.0, 60.0], [0.0, 120.0, 60.0]])
def test_times_must_increase(times: list[float]) -> None:
    with pytest.raises(ValueError, match=r"times\[2\].*(duplicate|earlier)"):
        rate_of_change([1.0, 2.0, 3.0], times, 1.0)
    with pytest.raises(ValueError, match="strictly increasing"):
        flat_line([1.0, 2.0, 3.0], times, 0.1, 60, 120)


def test_bad_thresholds() -> None:
    with pytest.raises(ValueError, match="suspect_threshold"):
        spike([1.0], 0, 1)
    with pytest.raises(ValueError, match="fail_threshold"):
        spike([1.0], 2, 1)
    with pytest.raises(ValueError, match="tolerance"):
        flat_line([1.0], [0.0], -1, 1, 2)
    with pytest.raises(ValueError, match="NaT"):
        rate_of_change([1.0, 2.0], np.array(["2024-01-01", "NaT"], "datetime64[s]"), 1)


def test_flat_line_constant_series() -> None:
    t = np.arange(10) * H
    # suspect after 3 h (4 readings), fail after 5 h (6 readings)
    f = flat_line(np.full(10, 7.0), t, 0.01, 3 * H, 5 * H)
    assert f.tolist() == [2, 2, 2, 3, 3, 4, 4, 4, 4, 4]


def test_flat_line_gap_and_nan() -> None:
    t = np.array([0, 1, 2, 3, 10, 11, 12]) * H  # 7-hour gap between 3 h and 10 h
    x = np.array([1.0, 2.0, 3.0, 5.0, 5.0, 5.0, 5.0])
    # at 10 h the window reaches back to 3 h (last value <= 10-3 = 7 h): {5, 5} flat -> 3;
    # at 11 h the 8-hour window reaches back to 3 h as well: flat for 8 h across the gap -> 4
    # (an outage does not reset a stuck sensor); at 3 h, {1, 2, 3, 5}... window from 0 h -> 1
    assert flat_line(x, t, 0.1, 3 * H, 8 * H).tolist() == [2, 2, 2, 1, 3, 4, 4]
    # a NaN inside a flat run neither breaks it nor is flagged other than missing
    y = np.array([4.0, 4.0, np.nan, 4.0, 4.0, 4.0, 4.0])
    assert flat_line(y, np.arange(7) * H, 0.1, 3 * H, 5 * H).tolist() == [2, 2, 9, 3, 3, 4, 4]


def test_flat_line_window_at_series_boundary() -> None:
    x = np.full(8, 3.0)
    t = np.r_[np.arange(4), np.arange(4)] * H  # two series, times restart
    seg = np.zeros(8, bool)
    seg[4] = True
    f = flat_line_core(x, np.zeros(8, bool), (t * 1e6).astype(np.int64), 0.1, 2 * H, 3 * H,
                       seg)
    assert f.tolist() == [2, 2, 3, 4, 2, 2, 3, 4]


def test_rate_core_segments() -> None:
    x = np.array([1.0, 2.0, 100.0, 101.0])
    seg = np.array([1, 0, 1, 0], dtype=bool)
    f = rate_of_change_core(x, np.zeros(4, bool), np.array([0, 1, 0, 1]) * 1_000_000, 5, None,
                            seg)
    assert f.tolist() == [2, 1, 2, 1]


# ----------------------------------------------------------------------------- vs ioos_qc
def _series(rng: np.random.Generator, n: int, nan: bool) -> np.ndarray:
    x = np.round(50 + rng.normal(0, 3, n).cumsum(), 1)
    k = rng.integers(0, n, max(1, n // 20))
    x[k] += rng.normal(0, 40, k.size)
    for _ in range(max(1, n // 30)):  # flat runs
        a = int(rng.integers(0, n))
        x[a:a + int(rng.integers(2, 9))] = x[a]
    if nan:
        x[rng.random(n) < 0.05] = np.nan
    return x


def _ioos(fn, *args, **kw) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(fn(*args, **kw)).astype(np.uint8)


@pytest.mark.parametrize("seed", range(25))
def test_equivalent_to_ioos_qc(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 400))
    x = _series(rng, n, nan=bool(seed % 2))
    t = np.arange(n) * H + 1.7e9
    # gross range and spike: identical everywhere, NaN included
    assert (gross_range(x, (0, 100), (10, 90))
            == _ioos(ioos.gross_range_test, x, (0, 100), (10, 90))).all()
    assert (spike(x, 4, 12) == _ioos(ioos.spike_test, x, 4, 12)).all()

    # rate of change: identical except by design (module docstring): the first valid value is
    # NOT_EVALUATED, and a value after missing ones is compared with the last valid value
    # (ioos_qc leaves both at PASS without comparing)
    ours = rate_of_change(x, t, 5 / H, 15 / H)
    ref = _ioos(ioos.rate_of_change_test, x, t, 5 / H, 15 / H)
    valid = np.flatnonzero(np.isfinite(x))
    after_gap = valid[1:][np.diff(valid) > 1]
    by_design = np.zeros(n, bool)
    by_design[valid[0]] = True
    by_design[after_gap] = True
    assert (ours[~by_design] == ref[~by_design]).all()
    assert ours[valid[0]] == 2 and ref[valid[0]] == 1
    assert (ref[after_gap] == 1).all()

    # flat line without NaN on a regular grid, thresholds multiples of the step: identical
    # except the not-yet-filled first window (ours NOT_EVALUATED, ioos_qc PASS)
    y = np.where(np.isfinite(x), x, 50.0)
    ours = flat_line(y, t, 0.05, 3 * H, 6 * H)
    ref = _ioos(ioos.flat_line_test, y, t, 3 * H, 6 * H, 0.05)
    assert (ours[3:] == ref[3:]).all()
    assert (ours[:3] == 2).all() and (ref[:3] == 1).all()


def test_ioos_flat_line_window_shrinks_on_nan() -> None:
    """Documented difference: ioos_qc counts NaN rows inside its window, we skip them.

    With a NaN 3 steps back, ioos_qc's window (4 readings) holds only 3 valid values spanning
    2 h, yet it flags a 3-hour flat line; ours reaches back to the last valid value at or
    before t - 3 h, which differs, so the run is not yet 3 hours long.
    """
    x = np.array([1.0, 2.0, np.nan, 5.0, 5.0, 5.0])
    t = np.arange(6) * H
    assert _ioos(ioos.flat_line_test, x, t, 3 * H, 6 * H, 0.1)[5] == 3
    assert flat_line(x, t, 0.1, 3 * H, 6 * H)[5] == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=60),
       st.floats(0.01, 100), st.floats(1, 10))
def test_spike_property_matches_ioos(values: list[float], s: float, k: float) -> None:
    x = np.array(values)
    assert (spike(x, s, s * k) == _ioos(ioos.spike_test, x, s, s * k)).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.1, 0.2, 1.0, np.nan]), min_size=3, max_size=80))
def test_flat_line_brute_force(values: list[float]) -> None:
    """Against a direct transcription of the rule (Python loop, tiny inputs only)."""
    x = np.array(values)
    t = np.arange(x.size) * 60.0 + np.cumsum(np.arange(x.size) % 3) * 7.0  # irregular steps
    got = flat_line(x, t, 0.15, 150, 400)
    for n in range(x.size):
        if np.isnan(x[n]):
            assert got[n] == 9
            continue
        expect = 2
        for thr, flag in ((150, 3), (400, 4)):
            prior = [j for j in range(n) if np.isfinite(x[j]) and t[j] <= t[n] - thr]
            if not prior:
                continue
            w = x[prior[-1]:n + 1]
            w = w[np.isfinite(w)]
            if flag == 3:
                expect = 1
            if w.max() - w.min() < 0.15:
                expect = flag
        assert got[n] == expect, (n, got, x)


def test_flat_line_long_windows_use_sparse_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """The O(n log w) path for long windows gives the same flags as the shifted passes."""
    import ecohub.quality.qartod as q

    rng = np.random.default_rng(7)
    x = np.round(rng.normal(0, 1, 3000).cumsum() / 10, 1)
    x[rng.random(3000) < 0.05] = np.nan
    t = np.cumsum(rng.integers(30, 90, 3000)).astype(float)
    short = flat_line(x, t, 0.15, 600, 1800)
    monkeypatch.setattr(q, "_SHIFT_MAX", 0)
    assert (flat_line(x, t, 0.15, 600, 1800) == short).all()
    assert {1, 2, 3, 9} <= set(short.tolist())
