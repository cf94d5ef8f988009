"""QARTOD tests: hand-made series with known answers, edges, and equivalence with ioos_qc 3.0."""

from __future__ import annotations

import math
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
    # step 1 h: a 3-hour window stands for 3 previous readings, at least ceil(0.75 * 3) = 3
    # are needed; an 8-hour one needs ceil(0.75 * 8) = 6.
    # 1 h, 2 h: not a full window yet, but the values already differ -> pass.
    # 10 h, 11 h: the window reaches back to 3 h across the gap and holds 1 and 2 earlier
    # readings, all 5: too few to be a run of repeated observations, not provably varying -> 2.
    # 12 h: {5 @ 3 h, 10 h, 11 h, 12 h} = 3 previous readings, flat -> suspect; the 8-hour
    # window holds 3 < 6 -> not fail.
    assert flat_line(x, t, 0.1, 3 * H, 8 * H).tolist() == [2, 1, 1, 1, 2, 2, 3]
    # a NaN inside a flat run is skipped, flagged missing only, and delays the verdict only
    # while the window is short of readings (3-hour windows: one NaN is a third of them)
    y = np.array([4.0, 4.0, np.nan, 4.0, 4.0, 4.0, 4.0])
    assert flat_line(y, np.arange(7) * H, 0.1, 3 * H, 5 * H).tolist() == [2, 2, 9, 2, 2, 4, 4]
    # with the PM2.5 windows (6 h / 12 h) one NaN changes nothing but its own flag
    z = np.full(20, 30.0)
    with_nan = z.copy()
    with_nan[3] = np.nan
    plain = flat_line(z, np.arange(20) * H, 0.5, 6 * H, 12 * H)
    holed = flat_line(with_nan, np.arange(20) * H, 0.5, 6 * H, 12 * H)
    assert plain.tolist() == [2] * 6 + [3] * 6 + [4] * 8
    assert np.delete(holed, 3).tolist() == np.delete(plain, 3).tolist() and holed[3] == 9


def test_flat_line_first_points_pass_once_values_differ() -> None:
    """Before the first window fills, a point whose values so far differ is provably not flat."""
    t = np.arange(6) * H
    assert flat_line([1.0, 5.0, 1.0, 1.0, 1.0, 1.0], t, 0.5, 6 * H, 12 * H).tolist() == [
        2, 1, 1, 1, 1, 1]
    # values so far within the tolerance: nothing is known yet
    assert flat_line([7.0, 7.2, 7.1, 8.0], t[:4], 0.5, 6 * H, 12 * H).tolist() == [2, 2, 2, 1]


def _pm25_flat_line(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    from ecohub.quality import default_config

    cfg = default_config().object_types["air_station"].factor("a34004", "hour")
    assert cfg is not None and cfg.flat_line is not None
    fl = cfg.flat_line
    assert (fl.tolerance, fl.suspect_threshold, fl.fail_threshold) == (0.5, 6 * H, 12 * H)
    return flat_line(x, t, fl.tolerance, fl.suspect_threshold, fl.fail_threshold)


def test_flat_line_outage_then_one_repeated_reading_is_not_failed() -> None:
    """PM2.5 defaults: the first reading after a 12-hour outage repeats the last value."""
    before = 40.0 + np.arange(20)  # varying hourly data, last value 59
    t = np.r_[np.arange(20), 19 + 13 + np.arange(3)] * H  # 12 hours without data
    x = np.r_[before, 59.0, 61.0, 58.0]
    f = _pm25_flat_line(x, t)
    assert f[20] == 2  # two readings are not a run of 12 hours: not evaluated, never 3 or 4
    assert f[21:].tolist() == [1, 1]  # the values differ again: pass
    assert (f[1:20] == 1).all()


def test_flat_line_stuck_sensor_still_fails() -> None:
    # a sensor stuck at 59 for 20 hours: suspect from 6 h, fail from 12 h, as ioos_qc
    t = np.arange(20) * H
    f = _pm25_flat_line(np.full(20, 59.0), t)
    assert f.tolist() == [2] * 6 + [3] * 6 + [4] * 8
    # stuck before and after a 12-hour outage: flagged again once enough readings arrived
    # (6 h window: 5 of 6 readings; 12 h window: 9 of 12, the last one before the outage
    # included), never on the lone first reading
    x = np.r_[40.0 + np.arange(20), np.full(12, 59.0)]
    t = np.r_[np.arange(20), 19 + 13 + np.arange(12)] * H
    f = _pm25_flat_line(x, t)
    assert f[20:].tolist() == [2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4]
    # an hourly series with 1 reading in 4 missing that is stuck: still fails
    y = np.full(48, 59.0)
    y[::4] = np.nan
    g = _pm25_flat_line(y, np.arange(48) * H)
    assert (g[24:][np.isfinite(y[24:])] == 4).all()


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: spike([1.0, 2.0, 3.0], None, 5), "suspect_threshold"),
        (lambda: spike([1.0, 2.0, 3.0], 2, None), "fail_threshold"),
        (lambda: rate_of_change([1.0, 2.0], [0.0, 60.0], None), "threshold"),
        (lambda: flat_line([1.0, 2.0], [0.0, 60.0], None, 60, 120), "tolerance"),
        (lambda: flat_line([1.0, 2.0], [0.0, 60.0], 0.1, None, 120), "suspect_threshold"),
        (lambda: flat_line([1.0, 2.0], [0.0, 60.0], 0.1, 60, None), "fail_threshold"),
        (lambda: flat_line([1.0, 2.0], [0.0, 60.0], 0.1, 60, 120, step=None,
                           min_fraction=None), "min_fraction"),
        (lambda: spike([1.0, 2.0, 3.0], "abc", 5), "suspect_threshold"),
        (lambda: gross_range([1.0], None), "fail_span"),
        (lambda: gross_range([1.0], (0, None)), "fail_span"),
    ],
)
def test_none_threshold_is_a_clear_value_error(call, name: str) -> None:
    """ioos_qc ends in a raw TypeError; here the parameter and what is expected are named."""
    with pytest.raises(ValueError, match=rf"^{name}\b.*(number|pair)"):
        call()


def test_optional_fail_threshold_none_means_suspect_only() -> None:
    # the one None the API (and config.RateOfChangeConfig) accepts, as in ioos_qc
    assert rate_of_change([0.0, 10.0], [0.0, 1.0], 1.0, None).tolist() == [2, 3]


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
    # except the not-yet-filled first window while its values are within the tolerance (ours
    # NOT_EVALUATED, ioos_qc PASS); once they differ both pass
    y = np.where(np.isfinite(x), x, 50.0)
    ours = flat_line(y, t, 0.05, 3 * H, 6 * H)
    ref = _ioos(ioos.flat_line_test, y, t, 3 * H, 6 * H, 0.05)
    assert (ours[3:] == ref[3:]).all()
    so_far = np.maximum.accumulate(y[:3]) - np.minimum.accumulate(y[:3])
    assert ours[:3].tolist() == np.where(so_far < 0.05, 2, 1).tolist()
    assert (ref[:3] == 1).all()


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
    ok = np.isfinite(x)
    step = np.median(np.diff(t[ok])) if ok.sum() > 1 else np.nan
    for n in range(x.size):
        if np.isnan(x[n]):
            assert got[n] == 9
            continue
        verdict = {}
        for thr in (150, 400):
            before = [j for j in range(n) if ok[j]]
            reach = [j for j in before if t[j] <= t[n] - thr]
            start = reach[-1] if reach else (before[0] if before else n)
            w = [j for j in range(start, n + 1) if ok[j]]
            need = max(1, math.ceil(0.75 * thr / step - 1e-9)) if step > 0 else 1
            full = bool(reach) and len(w) - 1 >= need
            verdict[thr] = (full, np.ptp(x[w]) < 0.15)
        (full_s, flat_s), (full_f, flat_f) = verdict[150], verdict[400]
        expect = (4 if full_f and flat_f else 3 if full_s and flat_s
                  else 1 if full_s or not flat_s else 2)
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
