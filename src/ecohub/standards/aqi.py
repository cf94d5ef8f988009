"""Air quality index (AQI) of China: HJ 633-2026 (in force from 2026-03-01) and HJ 633-2012.

The edition is a parameter (``edition="2026"`` default, ``"2012"`` for the old rules). Pollutant
indicator codes:

========  ===============================================================  =================
code      meaning                                                          unit
========  ===============================================================  =================
SO2       SO2 1-hour mean (``period="hour"``) or 24-hour mean (``"day"``)  µg/m³
NO2       NO2 1-hour or 24-hour mean                                       µg/m³
CO        CO 1-hour or 24-hour mean                                        mg/m³
PM10      PM10 mean; always the 24-hour breakpoints (see below)            µg/m³
PM2.5     PM2.5 mean; always the 24-hour breakpoints                       µg/m³
O3        O3 1-hour mean; for ``"day"`` the daily maximum 1-hour mean      µg/m³
O3_8h     O3 8-hour moving mean; for ``"day"`` the daily maximum 8-hour    µg/m³
========  ===============================================================  =================

PM10 / PM2.5 have no 1-hour breakpoints: HJ 633-2026 formula (1) applies the 24-hour breakpoints to
the 1-hour value in the real-time report; HJ 633-2012 5.1.3 reports the 24-hour moving average
there, which the caller passes in place of the 1-hour value (the function applies the 24-hour
breakpoints to whatever it is given).

Published values (HJ 633-2026 4.2.2 and 4.2.6; HJ 633-2012 6.2): concentrations are first rounded
per GB/T 8170 (integers in µg/m³, CO to 0.1 mg/m³), then the IAQI is rounded *up*. After that
rounding a concentration is an integer in a bounded range, so the exact published IAQI of every
possible value is computed once with integer arithmetic (no binary floating-point ceiling error)
and each call is a single table gather.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ecohub.standards._rounding import round_units_gbt8170

if TYPE_CHECKING:
    import polars as pl

Edition = Literal["2026", "2012"]
Period = Literal["hour", "day"]

EDITIONS: tuple[str, ...] = ("2026", "2012")
PERIODS: tuple[str, ...] = ("hour", "day")
POLLUTANTS: tuple[str, ...] = ("SO2", "NO2", "PM10", "PM2.5", "CO", "O3", "O3_8h")
ROUNDINGS: tuple[str, ...] = ("published", "none")

# HJ 633-2026 Table 1 (identical in HJ 633-2012 Table 1 except the IAQI-100 points of PM10 and
# PM2.5): IAQI levels and the concentration breakpoint of each level, per averaging column.
# Concentrations in µg/m³, CO in mg/m³. Columns shorter than IAQI_LEVELS end at their top level.
IAQI_LEVELS: tuple[int, ...] = (0, 50, 100, 150, 200, 300, 400, 500)
_BREAKPOINTS_2026: dict[str, tuple[int, ...]] = {
    "SO2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "SO2_1h": (0, 150, 500, 650, 800),  # note: above 800 see _ABOVE_TOP
    "NO2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "NO2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "CO_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "CO_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "O3_8h": (0, 100, 160, 215, 265, 800),  # note: above 800 see _ABOVE_TOP
    "O3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "PM10_24h": (0, 50, 120, 250, 350, 420, 500, 600),
    "PM2.5_24h": (0, 35, 60, 115, 150, 250, 350, 500),
}
BREAKPOINTS: Mapping[str, Mapping[str, tuple[int, ...]]] = MappingProxyType(
    {
        "2026": MappingProxyType(_BREAKPOINTS_2026),
        # HJ 633-2012 Table 1: PM10 IAQI 100 at 150 and PM2.5 IAQI 100 at 75.
        "2012": MappingProxyType(
            {
                **_BREAKPOINTS_2026,
                "PM10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
                "PM2.5_24h": (0, 35, 75, 115, 150, 250, 350, 500),
            }
        ),
    }
)

# IAQI reported for a concentration above the column's top breakpoint.
#  - SO2 1-hour above 800: HJ 633-2026 Table 1 note → IAQI 200; HJ 633-2012 Table 1 note 3 → no
#    IAQI from the 1-hour value, the SO2 IAQI is the one of its 24-hour mean (NaN marks "take it
#    from so2_24h").
#  - O3 8-hour above 800: HJ 633-2026 Table 1 note → IAQI 300; HJ 633-2012 Table 1 note 4 → no IAQI
#    from the 8-hour value, the O3 IAQI is the one of its 1-hour mean (NaN here; aqi() applies it).
#  - Every other column has no segment above its top: report 500 and flag the value as beyond the
#    scale; never extrapolate (platform reading ⚑, the standard is silent).
_ABOVE_TOP: dict[tuple[str, str], float] = {
    ("SO2_1h", "2026"): 200.0,
    ("SO2_1h", "2012"): np.nan,
    ("O3_8h", "2026"): 300.0,
    ("O3_8h", "2012"): np.nan,
}
_BEYOND_SCALE_IAQI = 500.0

# Decimal places kept by the GB/T 8170 rounding (HJ 633-2026 4.2.2): CO 0.1 mg/m³, others 1 µg/m³.
_DECIMALS: dict[str, int] = {"CO": 1}

_COLUMN_SUFFIX: dict[tuple[str, str], str] = {
    ("SO2", "hour"): "SO2_1h",
    ("SO2", "day"): "SO2_24h",
    ("NO2", "hour"): "NO2_1h",
    ("NO2", "day"): "NO2_24h",
    ("CO", "hour"): "CO_1h",
    ("CO", "day"): "CO_24h",
    ("PM10", "hour"): "PM10_24h",
    ("PM10", "day"): "PM10_24h",
    ("PM2.5", "hour"): "PM2.5_24h",
    ("PM2.5", "day"): "PM2.5_24h",
    ("O3", "hour"): "O3_1h",
    ("O3", "day"): "O3_1h",
    ("O3_8h", "hour"): "O3_8h",
    ("O3_8h", "day"): "O3_8h",
}

# Indicators of each report (HJ 633-2026 5.1: six 1-hour means for the real-time report; 24-hour
# means and the O3 daily maximum 8-hour mean for the daily report. HJ 633-2012 5.1: the real-time
# report adds the O3 8-hour moving mean (and the PM 24-hour moving means, passed as PM10/PM2.5);
# the daily report adds the O3 daily maximum 1-hour mean).
REPORT_INDICATORS: Mapping[tuple[str, str], tuple[str, ...]] = MappingProxyType(
    {
        ("2026", "hour"): ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5"),
        ("2026", "day"): ("SO2", "NO2", "CO", "O3_8h", "PM10", "PM2.5"),
        ("2012", "hour"): ("SO2", "NO2", "CO", "O3", "O3_8h", "PM10", "PM2.5"),
        ("2012", "day"): ("SO2", "NO2", "CO", "O3", "O3_8h", "PM10", "PM2.5"),
    }
)

# HJ 633-2026 Table 2: sensitive groups of each pollutant, given when its IAQI exceeds 100.
SENSITIVE_GROUPS: Mapping[str, str] = MappingProxyType(
    {
        "SO2": "哮喘患者、儿童、老年人",
        "NO2": "哮喘等呼吸系统疾病患者、儿童、老年人",
        "CO": "心血管疾病患者",
        "O3": "呼吸系统疾病患者、儿童、户外活动人群、老年人",
        "PM10": "心血管或呼吸系统疾病患者、儿童、户外活动人群、老年人",
        "PM2.5": "心血管或呼吸系统疾病患者、儿童、户外活动人群、老年人",
    }
)


@dataclass(frozen=True)
class AQIGrade:
    """One row of HJ 633-2026 Table 1 / Appendix A (identical in HJ 633-2012)."""

    grade: int
    label: str
    category: str
    category_en: str
    colour: str
    colour_en: str
    rgb: tuple[int, int, int]
    cmyk: tuple[int, int, int, int]
    aqi_max: int  # upper AQI bound of the grade (inclusive); 500 for grade VI

    @property
    def rgb_hex(self) -> str:
        """The RGB colour as ``#RRGGBB``."""
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


# HJ 633-2026 Table 1 and Appendix A. The 2026 table starts grade I at AQI 1 (2012: 0); an AQI of 0
# arises only when every concentration is 0 and is reported as computed, grade I (⚑).
GRADES: tuple[AQIGrade, ...] = (
    AQIGrade(1, "一级", "优", "excellent", "绿色", "green", (0, 228, 0), (40, 0, 100, 0), 50),
    AQIGrade(2, "二级", "良", "good", "黄色", "yellow", (255, 255, 0), (0, 0, 100, 0), 100),
    AQIGrade(3, "三级", "轻度污染", "lightly polluted", "橙色", "orange",
             (255, 126, 0), (0, 52, 100, 0), 150),
    AQIGrade(4, "四级", "中度污染", "moderately polluted", "红色", "red",
             (255, 0, 0), (0, 100, 100, 0), 200),
    AQIGrade(5, "五级", "重度污染", "heavily polluted", "紫色", "purple",
             (153, 0, 76), (10, 100, 40, 30), 300),
    AQIGrade(6, "六级", "严重污染", "severely polluted", "褐红色", "maroon",
             (126, 0, 35), (30, 100, 100, 30), 500),
)
_GRADE_UPPER = np.array([g.aqi_max for g in GRADES[:-1]], dtype=np.float64)


def grade_of(aqi_value: float) -> AQIGrade:
    """Grade, category and colour of an AQI value (HJ 633-2026 Table 1).

    Parameters
    ----------
    aqi_value : float
        Published (integer) AQI, >= 0.

    References
    ----------
    .. [HJ633] HJ 633-2026 Table 2 (AQI grades, categories and colours; Appendix A RGB).
       See ``docs/reference/standards.md`` §1.

    Examples
    --------
    >>> grade_of(120).category
    '轻度污染'
    """
    if not np.isfinite(aqi_value) or aqi_value < 0:
        raise ValueError(f"aqi_value={aqi_value!r}: expected a finite AQI >= 0")
    return GRADES[int(np.searchsorted(_GRADE_UPPER, aqi_value, side="left"))]


# ---------------------------------------------------------------------------------------------
# argument checking
# ---------------------------------------------------------------------------------------------


def _check_edition(edition: str | int) -> str:
    text = str(edition)
    if text not in EDITIONS:
        raise ValueError(f"edition={edition!r}: expected one of {EDITIONS}")
    return text


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name}={value!r}: expected one of {allowed}")
    return value  # type: ignore[return-value]


def _as_concentrations(name: str, values: ArrayLike) -> NDArray[np.float64]:
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}={values!r}: expected a number or an array of numbers") from exc
    # two NaN-ignoring reductions first: the common all-valid case allocates nothing
    if x.size and (np.fmin.reduce(x, axis=None) < 0 or np.fmax.reduce(x, axis=None) == np.inf):
        bad = (x < 0) | np.isinf(x)
        where = np.argwhere(bad)[0]
        at = f" at index {tuple(int(i) for i in where)}" if x.ndim else ""
        raise ValueError(
            f"{name}={x[tuple(where)]!r}{at}: expected a finite concentration >= 0 "
            "(NaN for missing)"
        )
    return x


# ---------------------------------------------------------------------------------------------
# IAQI
# ---------------------------------------------------------------------------------------------


@cache
def _published_table(column: str, edition: str) -> NDArray[np.float64]:
    """IAQI published for every rounded concentration 0 … top (10**-d units), then 2 sentinels.

    Entry ``top + 1`` is the value above the top breakpoint, entry ``top + 2`` is NaN (missing).
    The ceiling is taken in integer arithmetic on the exact rational formula value, so it is exact.
    """
    scale = 10 ** _DECIMALS.get(column.split("_")[0], 0)
    bp = np.array(BREAKPOINTS[edition][column], dtype=np.int64) * scale
    levels = np.array(IAQI_LEVELS[: len(bp)], dtype=np.int64)
    k = np.arange(bp[-1] + 1, dtype=np.int64)
    seg = np.clip(np.searchsorted(bp, k, side="right") - 1, 0, len(bp) - 2)
    num = (levels[seg + 1] - levels[seg]) * (k - bp[seg])
    den = bp[seg + 1] - bp[seg]
    iaqi = levels[seg] + -((-num) // den)  # ceil of a non-negative rational
    above = _ABOVE_TOP.get((column, edition), _BEYOND_SCALE_IAQI)
    return np.concatenate([iaqi.astype(np.float64), [above, np.nan]])


def _iaqi_core(
    pollutant: str,
    concentration: NDArray[np.float64],
    period: str,
    edition: str,
    rounding: str,
    so2_24h: NDArray[np.float64] | None,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """IAQI and the beyond-the-scale mask of validated concentrations (at least 1-d)."""
    column = _COLUMN_SUFFIX[(pollutant, period)]
    decimals = _DECIMALS.get(pollutant, 0)
    bp = BREAKPOINTS[edition][column]
    if rounding == "published":
        top = bp[-1] * 10**decimals
        index = round_units_gbt8170(concentration, decimals)
        beyond = index > top
        np.minimum(index, top + 1, out=index)
        np.copyto(index, top + 2, where=np.isnan(index))
        values = _published_table(column, edition).take(index.astype(np.intp))
    else:
        edges = np.array(bp, dtype=np.float64)
        levels = np.array(IAQI_LEVELS[: len(bp)], dtype=np.float64)
        seg = np.clip(np.searchsorted(edges, concentration, side="right") - 1, 0, len(bp) - 2)
        values = (levels[seg + 1] - levels[seg]) / (edges[seg + 1] - edges[seg]) * (
            concentration - edges[seg]
        ) + levels[seg]
        beyond = concentration > edges[-1]
        values = np.where(beyond, _ABOVE_TOP.get((column, edition), _BEYOND_SCALE_IAQI), values)
    if (column, edition) in _ABOVE_TOP:
        # A special rule, not the scale's end: the value is not beyond the scale.
        if column == "SO2_1h" and edition == "2012" and so2_24h is not None and beyond.any():
            daily_conc = np.broadcast_to(so2_24h, concentration.shape)
            daily, daily_beyond = _iaqi_core("SO2", daily_conc, "day", edition, rounding, None)
            values = np.where(beyond, daily, values)
            beyond = beyond & daily_beyond
        else:
            beyond = np.zeros_like(beyond)
    return values, beyond


def iaqi(
    pollutant: str,
    concentration: ArrayLike,
    period: str,
    *,
    edition: str = "2026",
    rounding: str = "published",
    so2_24h: ArrayLike | None = None,
) -> float | NDArray[np.float64]:
    """Individual air quality index (IAQI) per HJ 633-2026 formula (1) or HJ 633-2012 formula (1).

    IAQI_P = (IAQI_Hi − IAQI_Lo) / (BP_Hi − BP_Lo) · (C_P − BP_Lo) + IAQI_Lo, with the breakpoints
    of HJ 633 Table 1 for the edition.

    Parameters
    ----------
    pollutant : str
        One of ``SO2, NO2, PM10, PM2.5, CO, O3, O3_8h`` (see the module docstring).
    concentration : float or array_like
        µg/m³ (CO mg/m³), >= 0; NaN marks a missing value and gives NaN.
    period : {"hour", "day"}
        ``"hour"`` for the real-time (1-hour) breakpoints, ``"day"`` for the 24-hour ones.
    edition : {"2026", "2012"}, default "2026"
        HJ 633-2026 or HJ 633-2012.
    rounding : {"published", "none"}, default "published"
        ``"published"``: the concentration is rounded per GB/T 8170 (CO to 0.1 mg/m³, others to
        1 µg/m³) and the IAQI is the exact ceiling (HJ 633-2026 4.2.2, 4.2.6). ``"none"``: the
        formula value of the concentration as given.
    so2_24h : float or array_like, optional
        SO2 24-hour mean, µg/m³, broadcastable against ``concentration``. Only for
        ``pollutant="SO2", period="hour", edition="2012"``: above 800 µg/m³ no IAQI is computed from
        the 1-hour value and the IAQI of the 24-hour mean is reported (HJ 633-2012 Table 1 note 3).
        Without it such values give NaN. Ignored by the 2026 edition, where the IAQI is 200.

    Returns
    -------
    float or numpy.ndarray of float64
        Scalar in, scalar out; array in, array out. Above the top breakpoint: 500 (never
        extrapolated; :func:`aqi` flags it), except the special rules of SO2 1-hour and O3 8-hour
        above 800 µg/m³ (2026: 200 and 300; 2012: see ``so2_24h``; an O3 8-hour value gives NaN
        and :func:`aqi` reports the O3 1-hour IAQI instead, HJ 633-2012 Table 1 note 4).

    Raises
    ------
    ValueError
        Unknown pollutant, period, edition or rounding; a negative or infinite concentration.

    References
    ----------
    .. [HJ633] HJ 633-2026 Table 1 and formula (1), 4.2.2 and 4.2.6 (published rounding);
       HJ 633-2012 Table 1 and 6.2. See ``docs/reference/standards.md`` §1.1.

    Examples
    --------
    >>> iaqi("PM2.5", 45, "day")  # HJ 633-2026 worked example
    70.0
    >>> iaqi("PM2.5", 45, "day", edition="2012")
    63.0
    """
    _check_choice("pollutant", pollutant, POLLUTANTS)
    _check_choice("period", period, PERIODS)
    edition = _check_edition(edition)
    _check_choice("rounding", rounding, ROUNDINGS)
    x = _as_concentrations("concentration", concentration)
    daily = None
    if so2_24h is not None:
        if (pollutant, period) != ("SO2", "hour"):
            raise ValueError(
                f"so2_24h given with pollutant={pollutant!r}, period={period!r}: it applies only "
                "to pollutant='SO2', period='hour'"
            )
        daily = _as_concentrations("so2_24h", so2_24h)
    values, _ = _iaqi_core(pollutant, np.atleast_1d(x), period, edition, rounding, daily)
    return float(values[0]) if x.ndim == 0 else values.reshape(x.shape)


# ---------------------------------------------------------------------------------------------
# AQI
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AQIResult:
    """AQI of one place and time (HJ 633 clause 4 and 5).

    ``aqi``, ``grade`` and ``primary`` are None / empty when the AQI is published as "NA"
    (HJ 633-2026 5.3: an indicator is missing and the AQI of the others is not above 100).
    """

    aqi: int | None
    grade: AQIGrade | None
    primary: tuple[str, ...]
    iaqi: Mapping[str, float]  # published IAQI per indicator; NaN = missing
    beyond_scale: tuple[str, ...]  # indicators above the top breakpoint (IAQI reported as 500)
    missing: tuple[str, ...]  # indicators without an IAQI (missing or invalid data)
    exceeding: tuple[str, ...]  # HJ 633-2012 3.4 "超标污染物" (IAQI > 100); empty for 2026
    sensitive_groups: Mapping[str, str]  # HJ 633-2026 Table 2 for IAQI > 100; empty for 2012
    edition: str
    period: str

    @property
    def published(self) -> bool:
        """False when the AQI and everything derived from it is published as "NA"."""
        return self.aqi is not None

    @property
    def category(self) -> str | None:
        """Category (优 / 良 / 轻度污染 / 中度污染 / 重度污染 / 严重污染), None when NA."""
        return None if self.grade is None else self.grade.category


def _aqi_core(
    concentrations: Mapping[str, ArrayLike],
    period: str,
    edition: str,
    so2_24h: ArrayLike | None,
    not_monitored: Iterable[str],
) -> tuple[
    tuple[str, ...], NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64], NDArray[np.bool_]
]:
    """IAQIs, beyond-scale mask, published AQI and completeness of a report.

    Shapes: IAQIs (indicators, n), beyond-scale mask (indicators, n), published AQI (n; NaN = NA)
    and completeness (n; no indicator missing).
    """
    _check_choice("period", period, PERIODS)
    edition = _check_edition(edition)
    expected = REPORT_INDICATORS[(edition, period)]
    for key in concentrations:
        if key not in expected:
            raise ValueError(
                f"concentrations key {key!r}: expected indicators of the {edition} "
                f"{period} report {expected}"
            )
    skipped = set(not_monitored)
    for key in skipped:
        if key not in expected:
            raise ValueError(f"not_monitored entry {key!r}: expected one of {expected}")
    names = tuple(k for k in expected if k in concentrations or k not in skipped)
    arrays = {k: _as_concentrations(k, v) for k, v in concentrations.items()}
    daily = None if so2_24h is None else _as_concentrations("so2_24h", so2_24h)
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()), ())
    if daily is not None:
        shape = np.broadcast_shapes(shape, daily.shape)
    n = int(np.prod(shape))

    # one row per indicator: every per-indicator step and the max run over contiguous memory
    iaqis = np.empty((len(names), n))
    beyond = np.zeros((len(names), n), dtype=bool)
    for j, name in enumerate(names):
        if name not in arrays:
            iaqis[j] = np.nan
            continue
        x = np.broadcast_to(arrays[name], shape).ravel()
        d = None
        if name == "SO2" and period == "hour" and daily is not None:
            d = np.broadcast_to(daily, shape).ravel()
        iaqis[j], beyond[j] = _iaqi_core(name, x, period, edition, "published", d)
    if edition == "2012" and "O3_8h" in names and "O3" in arrays:
        # HJ 633-2012 Table 1 note 4: O3 8-hour above 800 → the O3 IAQI is that of the 1-hour mean.
        j8, j1 = names.index("O3_8h"), names.index("O3")
        over = np.broadcast_to(arrays["O3_8h"], shape).ravel() > 800
        iaqis[j8, over] = iaqis[j1, over]

    complete = ~np.isnan(iaqis).any(axis=0)
    worst = np.fmax.reduce(iaqis, axis=0, initial=np.nan) if names else np.full(n, np.nan)
    # HJ 633-2026 5.3: with an indicator missing the AQI of the others is published only above 100.
    published = np.where(complete | (worst > 100), worst, np.nan)
    return names, iaqis, beyond, published, complete


def aqi(
    concentrations: Mapping[str, float | None],
    period: str,
    *,
    edition: str = "2026",
    so2_24h: float | None = None,
    not_monitored: Iterable[str] = (),
) -> AQIResult:
    """AQI, primary pollutants, grade, category and colour (HJ 633-2026 clause 4 and 5).

    AQI = max of the published IAQIs (HJ 633 formula (2)). Primary pollutants are the indicators
    with the largest IAQI when AQI > 50, ties all primary (HJ 633-2026 4.4). HJ 633-2026 5.3: when
    an indicator is missing or invalid the AQI is computed from the others and published only if it
    is above 100; otherwise AQI, primary pollutant, grade and category are "NA" (None here) while
    the single IAQIs are kept. An indicator listed in ``not_monitored`` (not in the site's
    programme) does not block publication. The 2026 rule is applied to both editions (⚑: HJ 633-2012
    is silent).

    Parameters
    ----------
    concentrations : mapping of indicator code → concentration
        Codes of the edition's report (``REPORT_INDICATORS``), µg/m³ (CO mg/m³); None or NaN for
        missing. A code left out counts as missing unless listed in ``not_monitored``.
    period : {"hour", "day"}
        Real-time (hourly) or daily report.
    edition : {"2026", "2012"}, default "2026"
    so2_24h : float, optional
        SO2 24-hour mean for the 2012 real-time rule above 800 µg/m³ (see :func:`iaqi`).
    not_monitored : iterable of str
        Indicators the site's programme does not monitor ("/" in the report).

    Returns
    -------
    AQIResult

    References
    ----------
    .. [HJ633] HJ 633-2026 5.1-5.3 (AQI, primary pollutant, "NA"); HJ 633-2012 5.1-5.3.
       See ``docs/reference/standards.md`` §1.2.
    """
    clean = {k: (np.nan if v is None else v) for k, v in concentrations.items()}
    names, iaqis, beyond, published, _ = _aqi_core(
        clean, period, edition, so2_24h, not_monitored
    )
    edition = _check_edition(edition)
    values = dict(zip(names, iaqis[:, 0].tolist(), strict=True))
    value = published[0]
    na = bool(np.isnan(value))
    primary: tuple[str, ...] = ()
    if not na and value > 50:
        primary = tuple(k for k, v in values.items() if v == value)
    over = tuple(k for k, v in values.items() if v > 100)
    return AQIResult(
        aqi=None if na else int(value),
        grade=None if na else grade_of(value),
        primary=primary,
        iaqi=MappingProxyType(values),
        beyond_scale=tuple(k for k, b in zip(names, beyond[:, 0], strict=True) if b),
        missing=tuple(k for k, v in values.items() if np.isnan(v)),
        exceeding=over if edition == "2012" else (),
        sensitive_groups=MappingProxyType(
            {k: SENSITIVE_GROUPS[k.split("_")[0]] for k in over} if edition == "2026" else {}
        ),
        edition=edition,
        period=period,
    )


@cache
def _grade_index_table() -> NDArray[np.intp]:
    """Grade index (0 … 5) of every published AQI 0 … 500, then 6 ("NA") at entry 501."""
    grade = np.searchsorted(_GRADE_UPPER, np.arange(501, dtype=np.float64), side="left")
    return np.append(grade, len(GRADES))


@cache
def _grade_labels() -> tuple[pl.Series, pl.Series, pl.Series]:
    """Grade number, category and colour of each grade index, None ("NA") at index 6."""
    import polars as pl

    def label(values: list[str]) -> pl.Series:
        # Enum (categorical) columns: a gather of small integer codes, not of strings
        return pl.Series([*values, None], dtype=pl.Enum(values))

    return (
        pl.Series([g.grade for g in GRADES] + [None], dtype=pl.Int8),
        label([g.category for g in GRADES]),
        label([g.rgb_hex for g in GRADES]),
    )


@cache
def _primary_sets(names: tuple[str, ...]) -> pl.Series:
    """Every subset of ``names`` as a list, subset ``code`` holding the names of its set bits."""
    import polars as pl

    sets = [[k for j, k in enumerate(names) if code >> j & 1] for code in range(1 << len(names))]
    return pl.Series(sets, dtype=pl.List(pl.Enum(names)))


def aqi_columns(
    concentrations: Mapping[str, ArrayLike],
    period: str,
    *,
    edition: str = "2026",
    so2_24h: ArrayLike | None = None,
    not_monitored: Iterable[str] = (),
) -> pl.DataFrame:
    """Vectorised :func:`aqi` over columns of concentrations.

    Parameters are those of :func:`aqi`, with arrays (or polars Series) of one length in place of
    numbers.

    Returns
    -------
    polars.DataFrame
        One row per input row: ``iaqi_<code>`` (Float64, NaN missing) per indicator, ``aqi`` (Int16,
        null = "NA"), ``grade`` (Int8), ``category`` (str), ``colour_rgb`` (``#RRGGBB``),
        ``primary`` (list of codes), ``beyond_scale`` (bool, any indicator above its scale),
        ``complete`` (bool, no indicator missing) and ``edition`` (str).

    References
    ----------
    .. [HJ633] HJ 633-2026 5.1-5.3 and Appendix A; HJ 633-2012 5.1-5.3.
       See ``docs/reference/standards.md`` §1.2.
    """
    import polars as pl

    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in concentrations.items()}
    names, iaqis, beyond, published, complete = _aqi_core(
        arrays, period, edition, so2_24h, not_monitored
    )
    edition = _check_edition(edition)
    na = np.isnan(published)
    # A published AQI is an integer 0 … 500 (each IAQI is a table entry), so its grade is one
    # gather from a table over 0 … 500; entry 501 stands for "NA".
    grade_index = _grade_index_table().take(np.where(na, 501.0, published).astype(np.intp))
    # the primary set of each row as a bit mask → one gather from the list of every possible set
    # (bit j = indicator j; at most 7 indicators, so one byte per row)
    mask = np.equal(iaqis, published).view(np.uint8)
    np.left_shift(mask, np.arange(len(names), dtype=np.uint8)[:, None], out=mask)
    mask = np.bitwise_or.reduce(mask, axis=0)
    mask *= published > 50
    grades, categories, colours = _grade_labels()
    return pl.DataFrame(
        {f"iaqi_{k}": iaqis[j] for j, k in enumerate(names)}
        | {
            "aqi": pl.Series(published).fill_nan(None).cast(pl.Int16),
            "grade": grades.gather(grade_index),
            "category": categories.gather(grade_index),
            "colour_rgb": colours.gather(grade_index),
            "primary": _primary_sets(names).gather(mask),
            "beyond_scale": beyond.any(axis=0),
            "complete": complete,
        }
    ).with_columns(pl.lit(edition).alias("edition"))
