"""QARTOD single-series tests: gross range, spike, rate of change, flat line (vectorised).

Each test follows the IOOS QARTOD manuals (U.S. IOOS, *Manual for Real-Time Quality Control of
In-situ Temperature and Salinity Data*, v2.1 2020, and the other manuals for fixed sensors, which
number the tests alike: 4 gross range, 6 spike, 7 rate of change, 8 flat line; see
docs/reference/sources.md) with the parameters and units of the ``ioos_qc`` 3.0 functions of the
same name, so that a configuration written for ``ioos_qc`` means the same thing here. The
implementation is ecohub's own: NumPy over whole arrays, O(n) or O(n log w) with no Python loop over
points, and able to run many series concatenated in one call (the ``segment`` cores used by
:func:`ecohub.quality.checks.run_qc`).

Flags are QARTOD codes (:mod:`ecohub.quality.flags`): 1 pass, 2 not evaluated, 3 suspect,
4 fail, 9 missing, returned as ``uint8`` arrays of the input's length.

Edge rules, the same for every test:

* **Missing** values — NaN, ±inf, masked entries of a ``numpy.ma.MaskedArray`` — are flagged 9
  and never used as a neighbour or in a window.
* **Times** are ``numpy.datetime64`` (any unit) or epoch seconds (float); they are handled at
  1 µs resolution and must be strictly increasing and not NaT, else ``ValueError`` names the
  first offending index. Duplicates and out-of-order arrivals are the job of
  :func:`ecohub.quality.checks.duplicate_test` / ``order_test`` before series tests run.
* **Thresholds** must be finite and positive, suspect ≤ fail, else ``ValueError`` naming the
  parameter — ``None`` included (ioos_qc: a raw ``TypeError``). A test is switched off by not
  running it (a ``None`` test in :class:`ecohub.quality.config.FactorConfig`), never by a
  ``None`` threshold; the optional ``fail_threshold`` of the rate of change is the one
  exception, as in ioos_qc (None: suspect only).

Where the results deliberately differ from ``ioos_qc`` 3.0 (documented per test and verified
in ``tests/quality/test_qartod.py``):

* rate of change: the first value, which has no predecessor, is NOT_EVALUATED (ioos_qc: pass);
  a value after missing ones is compared with the last valid value over the real time step
  (ioos_qc: pass without comparison), so a NaN row and an absent row give the same flags;
  time steps are exact (ioos_qc truncates them to whole seconds, so 0.5 s becomes 0 s);
* flat line: points whose look-back window is not yet filled are NOT_EVALUATED while the
  values seen so far are within the tolerance (ioos_qc: pass); once they differ by the
  tolerance or more they pass, as in ioos_qc. The window is "the last ``threshold`` seconds",
  by time rather than by a count of ``threshold / median step`` readings, so irregular
  sampling is handled; missing values are skipped rather than shrinking the window; the
  window reaches back to the last valid value at or before ``t - threshold`` and must hold at
  least 75 % of the ``threshold / step`` readings (QARTOD's REP_CNT), so a window that is
  mostly an outage is not a flat run (ioos_qc counts rows and has no such case on a regular
  grid; with NaN rows its window shrinks, ours skips them).
* spike and rate of change: a threshold of 0 is an error here (ioos_qc silently skips it);
* gross range: ±inf is MISSING like NaN, as in every other test (ioos_qc masks it as missing
  and then fails it, because its range comparison still sees the infinite value).
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt

from ecohub.quality.flags import FAIL, MISSING, NOT_EVALUATED, PASS, SUSPECT

__all__ = ["flat_line", "gross_range", "rate_of_change", "spike"]

_US_PER_S = 1_000_000


# ----------------------------------------------------------------------------- input handling
def as_values(values: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Values as float64 plus the boolean "missing" mask (NaN, ±inf or masked)."""
    mask = np.ma.getmaskarray(values) if np.ma.isMaskedArray(values) else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        x = np.asarray(np.ma.getdata(values), dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {x.shape}")
    missing = ~np.isfinite(x)
    if mask is not None:
        missing |= mask
    return x, missing


def as_microseconds(times: npt.ArrayLike, n: int) -> np.ndarray:
    """Times as int64 microseconds since the epoch (datetime64 of any unit, or epoch seconds)."""
    if np.ma.isMaskedArray(times) and np.ma.getmaskarray(times).any():
        i = int(np.flatnonzero(np.ma.getmaskarray(times))[0])
        raise ValueError(f"times[{i}] is masked; every reading needs a time")
    t = np.asarray(np.ma.getdata(times))
    if t.shape != (n,):
        raise ValueError(f"times has shape {t.shape}, expected ({n},) like values")
    if np.issubdtype(t.dtype, np.datetime64):
        nat = np.isnat(t)
        if nat.any():
            raise ValueError(f"times[{int(np.flatnonzero(nat)[0])}] is NaT")
        return t.astype("datetime64[us]").astype(np.int64)
    if t.dtype == object:  # e.g. python datetimes
        return as_microseconds(t.astype("datetime64[us]"), n)
    ts = np.asarray(t, dtype=np.float64)
    bad = ~np.isfinite(ts)
    if bad.any():
        raise ValueError(f"times[{int(np.flatnonzero(bad)[0])}] = {ts[bad][0]} is not a time")
    return np.round(ts * _US_PER_S).astype(np.int64)


def check_increasing(t_us: np.ndarray, new_segment: np.ndarray | None = None) -> None:
    """Raise ValueError unless times increase strictly within each segment."""
    if t_us.size < 2:
        return
    bad = np.diff(t_us) <= 0
    if new_segment is not None:
        bad &= ~new_segment[1:]
    if bad.any():
        i = int(np.flatnonzero(bad)[0]) + 1
        what = "duplicate" if t_us[i] == t_us[i - 1] else "earlier"
        raise ValueError(
            f"times must be strictly increasing: times[{i}] ({np.datetime64(int(t_us[i]), 'us')})"
            f" is {what} than times[{i - 1}] ({np.datetime64(int(t_us[i - 1]), 'us')}); "
            "sort the series and resolve duplicates first")


def _positive(name: str, value: float | None, allow_none: bool = False) -> float | None:
    """``value`` as a finite float > 0, else ValueError naming ``name`` (None only if allowed)."""
    if value is None and allow_none:
        return None
    if value is None:
        raise ValueError(f"{name} is None; expected a finite number > 0 (to switch a test off, "
                         "leave it out of the configuration rather than give it no threshold)")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}") from None
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return v


def _fraction(name: str, value: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}") from None
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1], got {value!r}")
    return v


def _ordered(suspect_name: str, suspect: float, fail_name: str, fail: float | None) -> None:
    if fail is not None and fail < suspect:
        raise ValueError(f"{fail_name} ({fail}) must be >= {suspect_name} ({suspect})")


def _segment_starts(n: int, new_segment: np.ndarray | None) -> np.ndarray:
    """Boolean array, True at the first element of each segment (a single series: index 0)."""
    if new_segment is None:
        starts = np.zeros(n, dtype=bool)
    else:
        starts = np.asarray(new_segment, dtype=bool).copy()
    if n:
        starts[0] = True
    return starts


# ----------------------------------------------------------------------------- gross range
def _span(name: str, span: tuple[float, float]) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in span)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a (min, max) pair of numbers, got {span!r}") from exc
    if np.isnan(lo) or np.isnan(hi) or lo > hi:
        raise ValueError(f"{name} must satisfy min <= max, got {span!r}")
    return lo, hi


def gross_range(values: npt.ArrayLike, fail_span: tuple[float, float],
                suspect_span: tuple[float, float] | None = None) -> np.ndarray:
    """QARTOD gross range test: is each value within the sensor / operator span.

    QARTOD test 4 "gross range" (docs/reference/sources.md; ``ioos_qc.qartod.gross_range_test``).
    A value strictly below ``fail_span[0]`` or above ``fail_span[1]`` fails (outside the
    sensor's measuring range); otherwise a value outside ``suspect_span`` is suspect (outside
    what the operator considers plausible for the site). Bounds themselves pass.

    Parameters
    ----------
    values : array_like of float, or numpy.ma.MaskedArray
        One series, in the unit of the spans.
    fail_span : (float, float)
        Sensor span (min, max), same unit as values; ±inf allowed for an open side.
    suspect_span : (float, float), optional
        Operator span, must lie within ``fail_span``.

    Returns
    -------
    numpy.ndarray of uint8
        1 pass, 3 suspect, 4 fail, 9 missing.

    Raises
    ------
    ValueError
        A span with min > max or NaN bounds, or a suspect span outside the fail span. (ioos_qc
        sorts a reversed span silently; here it is treated as a configuration error.)
    """
    x, missing = as_values(values)
    flo, fhi = _span("fail_span", fail_span)
    flags = np.full(x.shape, PASS, dtype=np.uint8)
    if suspect_span is not None:
        slo, shi = _span("suspect_span", suspect_span)
        if slo < flo or shi > fhi:
            raise ValueError(f"suspect_span {suspect_span!r} must lie within fail_span "
                             f"{fail_span!r}")
        flags[(x < slo) | (x > shi)] = SUSPECT
    flags[(x < flo) | (x > fhi)] = FAIL
    flags[missing] = MISSING
    return flags


# ----------------------------------------------------------------------------- spike
def spike_core(x: np.ndarray, missing: np.ndarray, suspect_threshold: float,
               fail_threshold: float, new_segment: np.ndarray | None = None) -> np.ndarray:
    """Spike test over concatenated series; ``new_segment`` marks each series' first value."""
    n = x.size
    flags = np.full(n, NOT_EVALUATED, dtype=np.uint8)
    if n >= 3:
        starts = _segment_starts(n, new_segment)
        ends = np.zeros(n, dtype=bool)
        ends[:-1] = starts[1:]
        ends[-1] = True
        with np.errstate(over="ignore", invalid="ignore"):
            xc = np.where(missing, 0.0, x)
            ref = (xc[:-2] + xc[2:]) / 2  # mean of the two neighbours of x[1:-1]
            dev = np.abs(xc[1:-1] - ref)
        ok = (~missing[:-2] & ~missing[2:] & ~starts[1:-1] & ~ends[1:-1] & np.isfinite(ref))
        inner = np.where(dev > fail_threshold, FAIL,
                         np.where(dev > suspect_threshold, SUSPECT, PASS)).astype(np.uint8)
        flags[1:-1] = np.where(ok, inner, NOT_EVALUATED)
    flags[missing] = MISSING
    return flags


def spike(values: npt.ArrayLike, suspect_threshold: float, fail_threshold: float) -> np.ndarray:
    """QARTOD spike test: distance of each value from the mean of its two neighbours.

    QARTOD test 6 "spike" (docs/reference/sources.md; ``ioos_qc.qartod.spike_test`` with
    ``method="average"``): for the value x[n], ``|x[n] - (x[n-1] + x[n+1]) / 2|`` is compared
    with the thresholds; strictly greater than ``suspect_threshold`` is suspect, strictly
    greater than ``fail_threshold`` fails. Neighbours are the adjacent array elements: the
    test assumes (near-)regular sampling, as the manual does.

    Parameters
    ----------
    values : array_like of float, or numpy.ma.MaskedArray
        One series in time order.
    suspect_threshold, fail_threshold : float
        In the unit of the values; > 0 and suspect <= fail.

    Returns
    -------
    numpy.ndarray of uint8
        1 pass, 2 not evaluated (the first and last values, and values next to a missing one —
        as ioos_qc), 3 suspect, 4 fail, 9 missing.
    """
    s = _positive("suspect_threshold", suspect_threshold)
    f = _positive("fail_threshold", fail_threshold)
    _ordered("suspect_threshold", s, "fail_threshold", f)  # type: ignore[arg-type]
    x, missing = as_values(values)
    return spike_core(x, missing, s, f)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- rate of change
def rate_of_change_core(x: np.ndarray, missing: np.ndarray, t_us: np.ndarray, threshold: float,
                        fail_threshold: float | None,
                        new_segment: np.ndarray | None = None) -> np.ndarray:
    """Rate-of-change test over concatenated series (times already checked increasing)."""
    n = x.size
    flags = np.full(n, MISSING, dtype=np.uint8)
    idx = np.flatnonzero(~missing)
    if idx.size == 0:
        return flags
    seg = np.cumsum(_segment_starts(n, new_segment))[idx]
    xv, tv = x[idx], t_us[idx]
    out = np.full(idx.size, NOT_EVALUATED, dtype=np.uint8)
    if idx.size > 1:
        # equal times occur only across series boundaries, which are masked out below
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            rate = np.abs(np.diff(xv) / (np.diff(tv) / _US_PER_S))  # units per second
        verdict = np.where(rate > threshold, SUSPECT, PASS).astype(np.uint8)
        if fail_threshold is not None:
            verdict[rate > fail_threshold] = FAIL
        out[1:] = np.where(seg[1:] == seg[:-1], verdict, NOT_EVALUATED)
    flags[idx] = out
    return flags


def rate_of_change(values: npt.ArrayLike, times: npt.ArrayLike, threshold: float,
                   fail_threshold: float | None = None) -> np.ndarray:
    """QARTOD rate-of-change test: the change from the previous valid value per second.

    QARTOD test 7 "rate of change" (docs/reference/sources.md;
    ``ioos_qc.qartod.rate_of_change_test``): ``|x[n] - x[p]| / (t[n] - t[p])`` where p is the
    previous valid value, in value units per second; strictly above ``threshold`` is suspect,
    strictly above ``fail_threshold`` fails.

    Parameters
    ----------
    values : array_like of float, or numpy.ma.MaskedArray
        One series.
    times : array_like of numpy.datetime64, or of float epoch seconds
        Strictly increasing, same length as values.
    threshold : float
        Suspect threshold, value units per second, > 0.
    fail_threshold : float, optional
        Fail threshold, value units per second, >= threshold.

    Returns
    -------
    numpy.ndarray of uint8
        1 pass, 2 not evaluated (first valid value), 3 suspect, 4 fail, 9 missing.
        Differences from ioos_qc: see the module docstring.
    """
    s = _positive("threshold", threshold)
    f = _positive("fail_threshold", fail_threshold, allow_none=True)
    _ordered("threshold", s, "fail_threshold", f)  # type: ignore[arg-type]
    x, missing = as_values(values)
    t_us = as_microseconds(times, x.size)
    check_increasing(t_us)
    return rate_of_change_core(x, missing, t_us, s, f)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- flat line
FLAT_LINE_MIN_FRACTION = 0.75
"""Share of the ``threshold / step`` readings a flat-line window must hold (⚑ ecohub)."""

_SHIFT_MAX = 64  # longest look-back (in readings) answered by shifted passes


def _trailing_range(xv: np.ndarray, back: np.ndarray) -> np.ndarray:
    """Range (max - min) of xv[k - back[k] .. k] for every k (back >= 0), NaN where back < 0.

    Short look-backs (the usual case: hours of hourly data) take ``max(back)`` shifted
    passes over the array, O(n) for a bounded window and cache friendly. Longer ones use
    sparse-table range queries built one level at a time (level L holds the min/max of blocks
    of 2**L values): O(n log w) time for a longest window w, O(n) memory. No loop over points.
    """
    out = np.full(xv.size, np.nan)
    ok = back >= 0
    if not ok.any():
        return out
    top = int(back[ok].max())
    if top <= _SHIFT_MAX:
        mx, mn = xv.copy(), xv.copy()
        out[back == 0] = 0.0
        for d in range(1, top + 1):
            np.maximum(mx[d:], xv[:-d], out=mx[d:])
            np.minimum(mn[d:], xv[:-d], out=mn[d:])
            hit = np.flatnonzero(back == d)
            out[hit] = mx[hit] - mn[hit]
        return out
    hi = np.flatnonzero(ok)
    lo = hi - back[hi]
    level = np.frexp(back[hi] + 1)[1].astype(np.int64) - 1  # exact floor(log2(length))
    mx, mn = xv.copy(), xv.copy()
    for lvl in range(int(level.max()) + 1):
        if lvl:
            half = 1 << (lvl - 1)
            mn = np.minimum(mn[:-half], mn[half:])
            mx = np.maximum(mx[:-half], mx[half:])
        q = np.flatnonzero(level == lvl)
        a, b = lo[q], hi[q] - (1 << lvl) + 1
        out[hi[q]] = np.maximum(mx[a], mx[b]) - np.minimum(mn[a], mn[b])
    return out


def _median_step_us(t_us: np.ndarray, seg: np.ndarray | None) -> float:
    """Median time step (µs) between consecutive valid readings of the same series; NaN if none."""
    d = np.diff(t_us)
    if seg is not None:
        d = d[seg[1:] == seg[:-1]]
    return float(np.median(d)) if d.size else float("nan")


def flat_line_core(x: np.ndarray, missing: np.ndarray, t_us: np.ndarray, tolerance: float,
                   suspect_threshold: float, fail_threshold: float,
                   new_segment: np.ndarray | None = None, step_us: npt.ArrayLike | None = None,
                   min_fraction: float = FLAT_LINE_MIN_FRACTION) -> np.ndarray:
    """Flat-line test over concatenated series (times already checked increasing).

    ``step_us`` is the nominal time step of each reading in µs (an array as long as ``x`` or a
    scalar; 0 or NaN: unknown, no count requirement); None takes the median step of the valid
    readings (as ``ioos_qc`` does). The rule is in :func:`flat_line`.
    """
    n = x.size
    flags = np.full(n, MISSING, dtype=np.uint8)
    idx = np.flatnonzero(~missing)
    if idx.size == 0:
        return flags
    xv, tg = x[idx], t_us[idx]
    seg = np.cumsum(_segment_starts(n, new_segment))[idx] if new_segment is not None else None
    if step_us is None:
        step_v = np.full(idx.size, _median_step_us(tg, seg))
    else:
        step_v = np.broadcast_to(np.asarray(step_us, dtype=np.float64), (n,))[idx]
    seg_first = np.zeros(idx.size, dtype=np.int64)
    if seg is not None:
        # Make the valid times increase across segments too, so one searchsorted serves all
        # series; each window is then clipped to its own segment's first valid value.
        is_first = np.r_[True, seg[1:] != seg[:-1]]
        first = np.flatnonzero(is_first)
        rank = np.cumsum(is_first) - 1
        span = np.r_[tg[first[1:] - 1], tg[-1]] - tg[first]
        offset = np.r_[0, np.cumsum(span + 1)[:-1]]
        tg = tg - tg[first][rank] + offset[rank]
        seg_first = first[rank]
    pos = np.arange(idx.size)
    verdict = []
    for threshold in (suspect_threshold, fail_threshold):
        thr_us = round(threshold * _US_PER_S)
        # window: from the last valid value at or before t - threshold (so a run covers
        # >= threshold seconds) up to t, clipped to the series' first valid value
        lo = np.searchsorted(tg, tg - thr_us, side="right") - 1
        reaches = lo >= seg_first
        previous = pos - np.maximum(lo, seg_first)  # valid readings before t in the window
        # enough readings: >= min_fraction of the threshold / step the window stands for
        with np.errstate(invalid="ignore", divide="ignore"):
            need = np.where(step_v > 0, np.ceil(min_fraction * thr_us / step_v - 1e-9), 1.0)
        full = reaches & (previous >= np.maximum(need, 1.0))
        flat = _trailing_range(xv, previous) < tolerance
        verdict.append((full, flat))
    (full_s, flat_s), (full_f, flat_f) = verdict
    out = np.full(idx.size, NOT_EVALUATED, dtype=np.uint8)
    out[full_s | ~flat_s] = PASS  # a window that already varies is provably not flat
    out[full_s & flat_s] = SUSPECT
    out[full_f & flat_f] = FAIL
    flags[idx] = out
    return flags


def flat_line(values: npt.ArrayLike, times: npt.ArrayLike, tolerance: float,
              suspect_threshold: float, fail_threshold: float, *,
              step: float | None = None,
              min_fraction: float = FLAT_LINE_MIN_FRACTION) -> np.ndarray:
    """QARTOD flat-line test: has the value stayed within ``tolerance`` for too long.

    QARTOD test 8 "flat line" (docs/reference/sources.md; ``ioos_qc.qartod.flat_line_test``).
    The manuals define it by a count of observations: "This test compares the present
    observation (n) to a number (REP_CNT_FAIL or REP_CNT_SUSPECT) of previous observations",
    flagged when ``|x[n] - x[n-i]| < EPS`` for i = 1 … REP_CNT (e.g. IOOS, *Manual for
    Real-Time Quality Control of Phytoplankton Data* v1.0, 2017, Test 8; the pH and wind
    manuals word it alike). ``ioos_qc`` states the thresholds in seconds and turns them into
    REP_CNT = threshold / median step. ecohub keeps the seconds and asks for both:

    * the **window** of the value at time t runs from the last valid value at or before
      ``t - threshold`` up to t (so a run covers at least ``threshold`` seconds, also on
      irregular data), clipped to the first value of the series;
    * the window must hold **enough readings**: at least ``min_fraction`` (default 0.75) of
      the REP_CNT = ``threshold / step`` previous observations the threshold stands for, and
      at least one. ⚑ ecohub's choice: a few missing readings (NaN rows are skipped) do not
      hide a stuck sensor, but a window that is mostly an outage is not a run of repeated
      observations — after a 12-hour outage, one reading equal to the last one before it is
      two readings, not REP_CNT + 1, and is not flagged (it is not evaluated while the window
      stays flat and short). The 75 % echoes the data-capture rules of GB 3095-2026 Table 4
      (e.g. ≥ 6 hourly values in 8 hours). A sensor stuck across an outage is flagged again
      once enough readings have arrived (the readings before the outage count too).

    A full window whose range (max - min) is strictly below ``tolerance`` is suspect
    (``suspect_threshold``) or fails (``fail_threshold``); the strict "< tolerance" is the
    manual's "< EPS": set tolerance to about the instrument resolution (e.g. 0.5 µg/m³ for
    values reported as integers). A window that is not full (series start, outage) but whose
    values already differ by ``tolerance`` or more passes: the point provably is not flat.

    On a regular series without missing values and with thresholds that are whole multiples of
    the step, this is exactly ioos_qc's rule (its window of ``threshold / step + 1`` readings)
    except at the first points of the series (module docstring).

    Parameters
    ----------
    values : array_like of float, or numpy.ma.MaskedArray
        One series.
    times : array_like of numpy.datetime64, or of float epoch seconds
        Strictly increasing.
    tolerance : float
        Value units, > 0.
    suspect_threshold, fail_threshold : float
        Seconds, > 0 and suspect <= fail.
    step : float, optional
        Nominal time step of the series in seconds (e.g. 3600 for hourly data); default the
        median step between valid readings.
    min_fraction : float
        Share of the ``threshold / step`` previous readings a window must hold, 0 … 1.

    Returns
    -------
    numpy.ndarray of uint8
        1 pass, 2 not evaluated (the window is not yet full and its values are within
        ``tolerance``), 3 suspect, 4 fail, 9 missing.

    Notes
    -----
    Cost O(n) for windows of up to 64 readings, O(n log w) beyond; a constant series is
    suspect/fail from the first point that completes a window.
    """
    tol = _positive("tolerance", tolerance)
    s = _positive("suspect_threshold", suspect_threshold)
    f = _positive("fail_threshold", fail_threshold)
    _ordered("suspect_threshold", s, "fail_threshold", f)  # type: ignore[arg-type]
    frac = _fraction("min_fraction", min_fraction)
    x, missing = as_values(values)
    t_us = as_microseconds(times, x.size)
    check_increasing(t_us)
    step_us = None if step is None else _positive("step", step) * _US_PER_S  # type: ignore[operator]
    return flat_line_core(x, missing, t_us, tol, s, f, step_us=step_us,  # type: ignore[arg-type]
                          min_fraction=frac)
