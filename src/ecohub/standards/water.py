"""Surface-water quality classes (GB 3838-2002) and lake trophic state (TLI).

Pure functions, no I/O, nothing else of ecohub imported.

Sources (marks as in ``shared/reference/standards.md``: ✔ read from the standard's text,
◐ secondary source or long national practice, ⚑ a documented choice where the text is silent):

* GB 3838-2002 《地表水环境质量标准》 Table 1, basic items, classes I–V ◐.
* 《地表水环境质量评价办法（试行）》 (环办〔2011〕22号) — single-factor method, section status,
  over-standard multiples, main pollutants, river/basin share table ◐.
* CNEMC (2001) comprehensive trophic state index TLI(Σ) for lakes and reservoirs ◐.

Classes are coded 1–5 for I–V and 6 for inferior V (劣V); :data:`MISSING` (0) marks a value that
is missing (NaN / null) and is never a class. Concentrations are in mg/L except pH
(dimensionless) and fecal coliform (count/L).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

__all__ = [
    "CLASS_LABELS",
    "FACTORS",
    "HJ212_WATER_CODES",
    "INFERIOR_V",
    "MISSING",
    "PH_RANGE",
    "TABLE_1",
    "TLI_PARAMETERS",
    "Factor",
    "Hj212WaterCode",
    "RiverStatus",
    "SectionClass",
    "TLIResult",
    "factor_class",
    "factor_from_hj212",
    "limit",
    "river_status",
    "river_status_from_values",
    "section_class",
    "section_classes",
    "section_status",
    "tli",
    "tli_array",
    "trophic_state",
]

Waterbody = Literal["river", "lake", "reservoir"]

MISSING: Final = 0
"""Class code returned for a missing value (NaN / null): never a water class."""

INFERIOR_V: Final = 6
"""Class code of 劣V (worse than class V)."""

CLASS_LABELS: Final[Mapping[int, str]] = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "劣V"}

# Relative tolerance when comparing a value with a limit. Limits have one or two significant
# digits and monitoring data are reported to a few digits, so a value within 1e-9 of a limit *is*
# the limit: this keeps binary-float artefacts of averaging (mean of 0.2, 0.2, 0.2 is
# 0.20000000000000004) from pushing a value over the limit. ⚑
_REL_TOL: Final = 1e-9


@dataclass(frozen=True)
class Factor:
    """One basic item of GB 3838-2002 Table 1.

    ``limits`` are the class I–V limits; ``direction`` says how a value meets them:
    ``"max"`` (value ≤ limit), ``"min"`` (value ≥ limit, dissolved oxygen) or ``"range"``
    (pH, inside :data:`PH_RANGE` for every class; its ``limits`` hold the lower bound only for
    a uniform table shape and are not used).
    """

    name: str
    zh: str
    unit: str
    limits: tuple[float, float, float, float, float]
    direction: Literal["max", "min", "range"] = "max"


PH_RANGE: Final = (6.0, 9.0)
"""GB 3838-2002 Table 1 item 2: pH 6–9 for every class; outside it the factor is 劣V ◐."""

# GB 3838-2002 Table 1 (地表水环境质量标准基本项目标准限值), classes I..V, "≤" unless noted ◐.
# Where two classes share a limit the value belongs to the better class (COD 15 → I); this
# falls out of counting the limits a value exceeds. Water temperature (item 1) has no class
# and is not a factor here. TN is the lake/reservoir row ("湖、库，以N计"); TP has a river row
# here and a lake/reservoir row in _LAKE_LIMITS.
TABLE_1: Final[Mapping[str, Factor]] = {
    f.name: f
    for f in (
        Factor("pH", "pH值", "dimensionless", (6.0, 6.0, 6.0, 6.0, 6.0), "range"),
        # Class I: 7.5 mg/L or 90 % saturation (饱和率90%); only the concentration is used here.
        Factor("DO", "溶解氧", "mg/L", (7.5, 6.0, 5.0, 3.0, 2.0), "min"),
        Factor("CODMn", "高锰酸盐指数", "mg/L", (2.0, 4.0, 6.0, 10.0, 15.0)),
        Factor("COD", "化学需氧量", "mg/L", (15.0, 15.0, 20.0, 30.0, 40.0)),
        Factor("BOD5", "五日生化需氧量", "mg/L", (3.0, 3.0, 4.0, 6.0, 10.0)),
        Factor("NH3-N", "氨氮", "mg/L", (0.15, 0.5, 1.0, 1.5, 2.0)),
        Factor("TP", "总磷", "mg/L", (0.02, 0.1, 0.2, 0.3, 0.4)),
        Factor("TN", "总氮", "mg/L", (0.2, 0.5, 1.0, 1.5, 2.0)),
        Factor("Cu", "铜", "mg/L", (0.01, 1.0, 1.0, 1.0, 1.0)),
        Factor("Zn", "锌", "mg/L", (0.05, 1.0, 1.0, 2.0, 2.0)),
        Factor("F", "氟化物", "mg/L", (1.0, 1.0, 1.0, 1.5, 1.5)),
        Factor("Se", "硒", "mg/L", (0.01, 0.01, 0.01, 0.02, 0.02)),
        Factor("As", "砷", "mg/L", (0.05, 0.05, 0.05, 0.1, 0.1)),
        Factor("Hg", "汞", "mg/L", (0.00005, 0.00005, 0.0001, 0.001, 0.001)),
        Factor("Cd", "镉", "mg/L", (0.001, 0.005, 0.005, 0.005, 0.01)),
        Factor("Cr6", "铬(六价)", "mg/L", (0.01, 0.05, 0.05, 0.05, 0.1)),
        Factor("Pb", "铅", "mg/L", (0.01, 0.01, 0.05, 0.05, 0.1)),
        Factor("CN", "氰化物", "mg/L", (0.005, 0.05, 0.2, 0.2, 0.2)),
        Factor("phenol", "挥发酚", "mg/L", (0.002, 0.002, 0.005, 0.01, 0.1)),
        Factor("oil", "石油类", "mg/L", (0.05, 0.05, 0.05, 0.5, 1.0)),
        Factor("LAS", "阴离子表面活性剂", "mg/L", (0.2, 0.2, 0.2, 0.3, 0.3)),
        Factor("S2", "硫化物", "mg/L", (0.05, 0.1, 0.2, 0.5, 1.0)),
        Factor(
            "fecal_coliform", "粪大肠菌群", "count/L", (200.0, 2000.0, 10000.0, 20000.0, 40000.0)
        ),
    )
}

# GB 3838-2002 Table 1 item 9, total phosphorus in lakes and reservoirs (湖、库) ◐.
_LAKE_LIMITS: Final[Mapping[str, tuple[float, float, float, float, float]]] = {
    "TP": (0.01, 0.025, 0.05, 0.1, 0.2),
}

FACTORS: Final[tuple[str, ...]] = tuple(TABLE_1)
"""Factor names accepted by this module, in GB 3838-2002 Table 1 order."""

# 评价办法 (2011): the section class uses the basic items except water temperature, total
# nitrogen and fecal coliform; TN is evaluated separately for lakes and reservoirs ◐.
_NOT_IN_SECTION_CLASS: Final = frozenset({"TN", "fecal_coliform"})

# 评价办法 (2011): no over-standard multiple for water temperature, pH and DO ◐.
_NO_MULTIPLE: Final = frozenset({"pH", "DO"})

# 评价办法 (2011): "当氰化物或铅、铬等重金属超标时，优先作为主要污染指标" ◐. The text names lead and
# chromium "and other heavy metals"; which Table 1 items count is not listed, so all metals and
# metalloids of Table 1 do ⚑.
_PRIORITY_POLLUTANTS: Final = frozenset({"CN", "Cu", "Zn", "Se", "As", "Hg", "Cd", "Cr6", "Pb"})


@dataclass(frozen=True)
class _Status:
    zh: str
    en: str
    colour: str


# 评价办法 (2011) section status: I–II 优 blue, III 良好 green, IV 轻度污染 yellow, V 中度污染
# orange, 劣V 重度污染 red ◐. The same five words and colours describe a river or basin.
_EXCELLENT = _Status("优", "excellent", "blue")
_GOOD = _Status("良好", "good", "green")
_LIGHT = _Status("轻度污染", "lightly polluted", "yellow")
_MODERATE = _Status("中度污染", "moderately polluted", "orange")
_HEAVY = _Status("重度污染", "heavily polluted", "red")
_STATUS_BY_CLASS: Final[Mapping[int, _Status]] = {
    1: _EXCELLENT,
    2: _EXCELLENT,
    3: _GOOD,
    4: _LIGHT,
    5: _MODERATE,
    6: _HEAVY,
}
_NA = _Status("NA", "not available", "")


# --------------------------------------------------------------------------- input checks


def _check_factor(factor: str, argument: str = "factor") -> Factor:
    try:
        return TABLE_1[factor]
    except (KeyError, TypeError):
        raise ValueError(
            f"{argument}: unknown water-quality factor {factor!r}; expected one of "
            f"{', '.join(FACTORS)}"
        ) from None


def _check_waterbody(waterbody: str) -> Literal["river", "lake"]:
    if waterbody == "river":
        return "river"
    if waterbody in ("lake", "reservoir"):
        return "lake"
    raise ValueError(
        f"waterbody: unknown waterbody {waterbody!r}; expected 'river', 'lake' or 'reservoir'"
    )


def _as_float_array(value: Any, argument: str) -> npt.NDArray[np.float64]:
    """Any array-like (list with None, NumPy, Polars/Pandas series) → float64, null → NaN."""
    if isinstance(value, pl.Series):
        value = value.cast(pl.Float64).to_numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{argument}: expected numbers, got {value!r}") from None


def _check_range(
    values: npt.NDArray[np.float64], argument: str, low: float, high: float, expected: str
) -> None:
    """Raise on the first value outside [low, high]; NaN (missing) passes."""
    bad = (values < low) | (values > high)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" at index {index[0] if len(index) == 1 else index}" if values.ndim else ""
        raise ValueError(
            f"{argument}: got {float(values[bad].flat[0])!r}{where} "
            f"({int(bad.sum())} such value(s)); expected {expected}"
        )


def _check_values(factor: Factor, values: npt.NDArray[np.float64], argument: str) -> None:
    if factor.direction == "range":
        _check_range(values, argument, 0.0, 14.0, "a pH between 0 and 14")
    else:
        _check_range(values, argument, 0.0, math.inf, f"a concentration ≥ 0 {factor.unit}")


# --------------------------------------------------------------------------- single factor


def limit(factor: str, water_class: int, *, waterbody: Waterbody = "river") -> float:
    """GB 3838-2002 Table 1 limit of ``factor`` for class ``water_class`` (1–5 = I–V).

    For DO it is the minimum, for every other factor the maximum (mg/L; fecal coliform
    count/L). pH has the range :data:`PH_RANGE` for every class and no single limit.
    """
    spec = _check_factor(factor)
    if spec.direction == "range":
        raise ValueError("factor: pH has the range 6–9 (PH_RANGE) for every class, not a limit")
    if water_class not in (1, 2, 3, 4, 5):
        raise ValueError(f"water_class: got {water_class!r}; expected 1–5 (classes I–V)")
    return _limits(spec, _check_waterbody(waterbody))[water_class - 1]


def _limits(spec: Factor, waterbody: Literal["river", "lake"]) -> tuple[float, ...]:
    if waterbody == "lake":
        return _LAKE_LIMITS.get(spec.name, spec.limits)
    return spec.limits


def _classify(
    spec: Factor, values: npt.NDArray[np.float64], waterbody: Literal["river", "lake"]
) -> npt.NDArray[np.int8]:
    """Vectorised single-factor class of checked values (any shape) → int8, NaN → MISSING."""
    if spec.direction == "range":
        low, high = PH_RANGE
        inside = (values >= low * (1 - _REL_TOL)) & (values <= high * (1 + _REL_TOL))
        classes = np.where(inside, 1, INFERIOR_V)
    else:
        limits = np.asarray(_limits(spec, waterbody))
        if spec.direction == "min":
            # Best class whose minimum the value reaches: count the minima it falls short of.
            misses = values[..., None] < limits * (1 - _REL_TOL)
        else:
            # Best class whose maximum the value meets: count the maxima it exceeds. Limits are
            # non-decreasing, so a value on a shared limit exceeds none of the better classes'.
            misses = values[..., None] > limits * (1 + _REL_TOL)
        classes = 1 + misses.sum(axis=-1)
    return np.where(np.isnan(values), MISSING, classes).astype(np.int8)


def factor_class(factor: str, value: Any, *, waterbody: Waterbody = "river") -> Any:
    """Single-factor water class of GB 3838-2002 Table 1 (评价办法 2011 single-factor method ◐).

    Parameters
    ----------
    factor
        One of :data:`FACTORS` (``"pH"``, ``"DO"``, ``"CODMn"``, ``"COD"``, ``"BOD5"``, ``"NH3-N"``,
        ``"TP"``, ``"TN"``, ``"Cu"``, ``"Zn"``, ``"F"``, ``"Se"``, ``"As"``, ``"Hg"``, ``"Cd"``,
        ``"Cr6"``, ``"Pb"``, ``"CN"``, ``"phenol"``, ``"oil"``, ``"LAS"``, ``"S2"``,
        ``"fecal_coliform"``).
    value
        Concentration in mg/L (pH dimensionless, fecal coliform count/L): a scalar or any
        array-like. NaN / None / null is missing.
    waterbody
        ``"river"`` or ``"lake"`` (``"reservoir"`` is a lake): selects the TP row of Table 1.
        TN has only the lake/reservoir row, which is applied whatever the waterbody (for a river
        it is informative only: :func:`section_class` does not use it).

    Returns
    -------
    int or numpy.ndarray of int8
        1–5 for classes I–V, 6 for 劣V, :data:`MISSING` (0) for a missing value. A scalar in
        gives an ``int`` out; an array in gives an array of the same shape.

    Notes
    -----
    The class is the best one whose limit the value meets; a value on a limit shared by two
    classes belongs to the better class (COD 15 mg/L → I). DO is the best class whose minimum
    it reaches (the 90 % saturation alternative of class I is not evaluated). pH inside 6–9 is
    class I, outside it 劣V. Values within a relative 1e-9 of a limit count as on it ⚑.

    Raises
    ------
    ValueError
        Unknown factor or waterbody, a negative concentration, a pH outside 0–14.
    """
    spec = _check_factor(factor)
    body = _check_waterbody(waterbody)
    values = _as_float_array(value, "value")
    _check_values(spec, values, f"value of {factor}")
    classes = _classify(spec, values, body)
    return int(classes) if classes.ndim == 0 else classes


def _multiple(spec: Factor, value: float, waterbody: Literal["river", "lake"]) -> float | None:
    """Over-standard multiple (C − III limit) / III limit (评价办法 2011 ◐); None for pH, DO."""
    if spec.name in _NO_MULTIPLE:
        return None
    class_iii = _limits(spec, waterbody)[2]
    return (value - class_iii) / class_iii


# --------------------------------------------------------------------------- one section


@dataclass(frozen=True)
class SectionClass:
    """Water class of one monitoring section (断面) by the single-factor method.

    ``water_class`` is 1–6 (6 = 劣V) or :data:`MISSING` when no factor had a value, in which
    case ``label`` and ``status`` are ``"NA"``.
    """

    water_class: int
    label: str
    status: str
    status_en: str
    colour: str
    deciding: tuple[str, ...]
    """Factor(s) whose class is the section's class (定类指标)."""
    over_standard: tuple[tuple[str, float | None], ...]
    """Factors above the class-III limit with their multiple (None for pH and DO)."""
    main_pollutants: tuple[str, ...]
    """Up to three main pollutants (主要污染指标); empty when the section is 优 or 良好."""
    evaluated: tuple[str, ...]
    """Factors with a value that entered the section class."""
    classes: tuple[tuple[str, int], ...]
    """Single-factor class of every factor given with a value, TN and fecal coliform included."""
    waterbody: Literal["river", "lake"]
    tn_class: int | None = None
    """Lakes and reservoirs: class of TN, evaluated separately (None when not given)."""

    @property
    def multiples(self) -> dict[str, float]:
        """Over-standard multiples by factor (factors that have one)."""
        return {name: m for name, m in self.over_standard if m is not None}

    def main_pollutant_labels(self, digits: int = 1) -> tuple[str, ...]:
        """Main pollutants as published, e.g. ``("高锰酸盐指数(1.2)", "溶解氧")``."""
        multiples = self.multiples
        return tuple(
            f"{TABLE_1[name].zh}({multiples[name]:.{digits}f})"
            if name in multiples
            else TABLE_1[name].zh
            for name in self.main_pollutants
        )


def section_status(water_class: int) -> tuple[str, str, str]:
    """Status of a section of class ``water_class`` (1–6): ``(Chinese, English, colour)``.

    评价办法 (2011) ◐: I–II 优 blue, III 良好 green, IV 轻度污染 yellow, V 中度污染 orange,
    劣V 重度污染 red.
    """
    if water_class not in _STATUS_BY_CLASS:
        raise ValueError(f"water_class: got {water_class!r}; expected 1–6 (6 = 劣V)")
    status = _STATUS_BY_CLASS[water_class]
    return status.zh, status.en, status.colour


def section_class(
    values: Mapping[str, float | None], *, waterbody: Waterbody = "river"
) -> SectionClass:
    """Water class of a section from its factor values (评价办法 2011 single-factor method ◐).

    Parameters
    ----------
    values
        ``{factor: value}`` with factors from :data:`FACTORS`, units as in
        :func:`factor_class`. Missing values (None / NaN) are left out of the evaluation.
    waterbody
        ``"river"`` or ``"lake"`` / ``"reservoir"``.

    Returns
    -------
    SectionClass
        The worst single-factor class over the evaluated factors (the basic items except TN and
        fecal coliform; TN classed separately for lakes and reservoirs), the deciding factors,
        the over-standard factors (above class III) with their multiples
        (C − C_III) / C_III, and the main pollutants: not reported when the section is 优 or
        良好; otherwise the factors worse than class III, cyanide and heavy metals first ⚑, then by
        class (worst first) and by multiple (largest first), at most three. pH and DO have no
        multiple and rank after factors that have one within their class ⚑.
    """
    body = _check_waterbody(waterbody)
    if not isinstance(values, Mapping):
        raise ValueError(f"values: expected a mapping of factor to value, got {type(values)!r}")
    given: dict[str, float] = {}
    for name, value in values.items():
        spec = _check_factor(name, "values")
        number = _as_float_array(value, f"values[{name!r}]")
        if number.ndim != 0:
            raise ValueError(
                f"values[{name!r}]: expected one number, got an array of shape {number.shape}; "
                "use section_classes() for many sections"
            )
        _check_values(spec, number, f"values[{name!r}]")
        if not np.isnan(number):
            given[name] = float(number)

    classes = {
        name: int(_classify(TABLE_1[name], np.asarray(v), body)) for name, v in given.items()
    }
    evaluated = tuple(
        name for name in FACTORS if name in given and name not in _NOT_IN_SECTION_CLASS
    )
    tn_class = classes.get("TN") if body == "lake" else None
    common = {
        "evaluated": evaluated,
        "classes": tuple((name, classes[name]) for name in FACTORS if name in classes),
        "waterbody": body,
        "tn_class": tn_class,
    }
    if not evaluated:
        return SectionClass(MISSING, "NA", _NA.zh, _NA.en, _NA.colour, (), (), (), **common)

    worst = max(classes[name] for name in evaluated)
    deciding = tuple(name for name in evaluated if classes[name] == worst)
    over = [name for name in evaluated if classes[name] > 3]
    multiples = {name: _multiple(TABLE_1[name], given[name], body) for name in over}
    status = _STATUS_BY_CLASS[worst]

    def rank(name: str) -> tuple[bool, int, float]:
        m = multiples[name]
        return (name not in _PRIORITY_POLLUTANTS, -classes[name], -m if m is not None else math.inf)

    main = tuple(sorted(over, key=rank)[:3]) if worst > 3 else ()
    return SectionClass(
        water_class=worst,
        label=CLASS_LABELS[worst],
        status=status.zh,
        status_en=status.en,
        colour=status.colour,
        deciding=deciding,
        over_standard=tuple((name, multiples[name]) for name in over),
        main_pollutants=main,
        **common,
    )


# --------------------------------------------------------------------------- many sections


def _columns(
    columns: Mapping[str, Any] | pl.DataFrame, argument: str
) -> tuple[dict[str, npt.NDArray[np.float64]], int]:
    """Factor columns → equal-length float arrays, checked; returns them and the row count."""
    if isinstance(columns, pl.DataFrame):
        columns = {name: columns.get_column(name) for name in columns.columns}
    if not isinstance(columns, Mapping):
        raise ValueError(
            f"{argument}: expected a dict of arrays or a polars DataFrame, got {type(columns)!r}"
        )
    arrays: dict[str, npt.NDArray[np.float64]] = {}
    for name, column in columns.items():
        spec = _check_factor(name, f"{argument} column")
        array = _as_float_array(column, f"{argument}[{name!r}]")
        if array.ndim != 1:
            raise ValueError(
                f"{argument}[{name!r}]: expected a 1-D column, got shape {array.shape}"
            )
        _check_values(spec, array, f"{argument}[{name!r}]")
        arrays[name] = array
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{argument}: columns differ in length: {lengths}")
    return arrays, next(iter(lengths.values()), 0)


def section_classes(
    columns: Mapping[str, Any] | pl.DataFrame, *, waterbody: Waterbody = "river"
) -> pl.DataFrame:
    """Vectorised :func:`section_class` over many sections (one row each).

    Parameters
    ----------
    columns
        Factor columns: a dict of equal-length arrays or a polars DataFrame whose columns are
        all factor names from :data:`FACTORS` (select them first, e.g.
        ``df.select([c for c in df.columns if c in FACTORS])``); units as in :func:`factor_class`.
    waterbody
        ``"river"`` or ``"lake"`` / ``"reservoir"``.

    Returns
    -------
    polars.DataFrame
        One row per input row: ``water_class`` (Int8, 1–6, :data:`MISSING` when no evaluated
        factor has a value), ``label`` ("I".."V", "劣V"; null when missing) and ``deciding``
        (deciding factors joined by ","; null when missing); for lakes also ``tn_class``
        (Int8, evaluated separately) when a TN column is given.
    """
    body = _check_waterbody(waterbody)
    arrays, n_rows = _columns(columns, "columns")
    names = [name for name in FACTORS if name in arrays and name not in _NOT_IN_SECTION_CLASS]
    if names:
        matrix = np.stack([_classify(TABLE_1[n], arrays[n], body) for n in names], axis=1)
        worst = matrix.max(axis=1)
    else:
        matrix = np.zeros((n_rows, 0), dtype=np.int8)
        worst = np.zeros(n_rows, dtype=np.int8)
    flags = pl.DataFrame(
        {name: (matrix[:, i] == worst) & (worst != MISSING) for i, name in enumerate(names)},
        schema={name: pl.Boolean for name in names},
        height=n_rows,
    )
    labels = np.array(["", *CLASS_LABELS.values()], dtype=object)[worst]
    out = pl.DataFrame(
        {
            "water_class": pl.Series(worst, dtype=pl.Int8),
            "label": pl.Series(labels, dtype=pl.String),
        }
    ).with_columns(pl.when(pl.col("water_class") != MISSING).then(pl.col("label")).alias("label"))
    deciding = (
        flags.select(
            pl.concat_str(
                [pl.when(pl.col(n)).then(pl.lit(n)) for n in names],
                separator=",",
                ignore_nulls=True,
            ).alias("deciding")
        ).to_series()
        if names
        else pl.Series("deciding", [""] * n_rows, dtype=pl.String)
    )
    out = out.with_columns(
        pl.when(pl.col("water_class") != MISSING).then(deciding).alias("deciding")
    )
    if body == "lake" and "TN" in arrays:
        out = out.with_columns(
            pl.Series("tn_class", _classify(TABLE_1["TN"], arrays["TN"], body), dtype=pl.Int8)
        )
    return out


# --------------------------------------------------------------------------- river / basin


@dataclass(frozen=True)
class RiverStatus:
    """Water-quality status of a river, basin or region (评价办法 2011 ◐).

    ``method`` is ``"share"`` when the share table of section classes was used (≥ 5 sections)
    or ``"mean"`` when each factor was averaged over the sections and classed by the
    single-factor method (fewer than 5 sections; always for a lake or reservoir), in which case
    ``section`` holds that class. Shares are fractions 0–1 of the sections with a class.
    """

    status: str
    status_en: str
    colour: str
    n_sections: int
    method: Literal["share", "mean"]
    share_i_iii: float | None = None
    share_inferior_v: float | None = None
    section: SectionClass | None = None


_MIN_SECTIONS_FOR_SHARES: Final = 5
"""评价办法 (2011): the share table applies to rivers with 5 sections or more ◐."""


def _status_from_shares(n_good: int, n_inferior: int, n: int) -> _Status:
    """Share table of 评价办法 (2011) ◐, compared in integer arithmetic (no float edges).

    | I–III ≥ 90 %                       | 优       |
    | 75 % ≤ I–III < 90 %                | 良好     |
    | I–III < 75 % and 劣V < 20 %        | 轻度污染 |
    | I–III < 75 % and 20 % ≤ 劣V < 40 % | 中度污染 |
    | I–III < 60 % and 劣V ≥ 40 %        | 重度污染 |

    ⚑ The only case the table leaves open, I–III exactly 60 % with 劣V exactly 40 %, is 重度污染
    (the row read as "I–III < 75 % and 劣V ≥ 40 %", as a city bureau publishes it).
    """
    if 100 * n_good >= 90 * n:
        return _EXCELLENT
    if 100 * n_good >= 75 * n:
        return _GOOD
    if 100 * n_inferior < 20 * n:
        return _LIGHT
    if 100 * n_inferior < 40 * n:
        return _MODERATE
    return _HEAVY


def river_status(classes: Sequence[int] | npt.ArrayLike) -> RiverStatus:
    """Status of a river / basin / region from the classes of its sections (share table ◐).

    Parameters
    ----------
    classes
        Section classes 1–6 (6 = 劣V); :data:`MISSING` (0) and NaN entries are sections without
        a class and are left out.

    Raises
    ------
    ValueError
        A class outside 0–6, or fewer than 5 sections with a class: the share table does not
        apply then; use :func:`river_status_from_values`, which averages each factor.
    """
    array = _as_float_array(classes, "classes").ravel()
    valid = array[~np.isnan(array) & (array != MISSING)]
    bad = ~np.isin(valid, (1, 2, 3, 4, 5, 6))
    if bad.any():
        raise ValueError(
            f"classes: got {float(valid[bad][0])!r}; expected section classes 1–6 or 0 (missing)"
        )
    n = len(valid)
    if n < _MIN_SECTIONS_FOR_SHARES:
        raise ValueError(
            f"classes: {n} section(s) with a class; the share table needs at least "
            f"{_MIN_SECTIONS_FOR_SHARES} — use river_status_from_values() for fewer sections"
        )
    n_good = int((valid <= 3).sum())
    n_inferior = int((valid == INFERIOR_V).sum())
    status = _status_from_shares(n_good, n_inferior, n)
    return RiverStatus(
        status=status.zh,
        status_en=status.en,
        colour=status.colour,
        n_sections=n,
        method="share",
        share_i_iii=n_good / n,
        share_inferior_v=n_inferior / n,
    )


def river_status_from_values(
    columns: Mapping[str, Any] | pl.DataFrame, *, waterbody: Waterbody = "river"
) -> RiverStatus:
    """Status of a river or lake from its sections' factor values (one row per section).

    A river with 5 or more sections that have a class is judged by the share table
    (:func:`river_status`). With fewer sections, and always for a lake or reservoir, each
    factor is averaged over the sections (missing values skipped) and the section class of the
    means gives the status (评价办法 2011 ◐; for lakes average each point over time first).
    Columns as in :func:`section_classes`.
    """
    body = _check_waterbody(waterbody)
    arrays, n_rows = _columns(columns, "columns")
    if body == "river":
        classes = section_classes(arrays, waterbody=body)["water_class"].to_numpy()
        if int((classes != MISSING).sum()) >= _MIN_SECTIONS_FOR_SHARES:
            return river_status(classes)
    means = {
        name: float(np.mean(a[~np.isnan(a)])) if (~np.isnan(a)).any() else math.nan
        for name, a in arrays.items()
    }
    section = section_class(means, waterbody=body)
    status = _STATUS_BY_CLASS.get(section.water_class, _NA)
    return RiverStatus(
        status=status.zh,
        status_en=status.en,
        colour=status.colour,
        n_sections=n_rows,
        method="mean",
        section=section,
    )


# --------------------------------------------------------------------------- trophic state


@dataclass(frozen=True)
class _TLIParameter:
    name: str
    r: float
    a: float
    b: float


# CNEMC (2001) TLI(j) = 10 (a + b ln x) and the correlation r_j of parameter j with chl-a ◐.
# The weight is W_j = r_j² / Σ r_j² over the parameters present (reference §4.1).
TLI_PARAMETERS: Final[Mapping[str, _TLIParameter]] = {
    p.name: p
    for p in (
        _TLIParameter("chla", 1.0, 2.5, 1.086),  # chlorophyll a, mg/m³
        _TLIParameter("tp", 0.84, 9.436, 1.624),  # total phosphorus, mg/L
        _TLIParameter("tn", 0.82, 5.453, 1.694),  # total nitrogen, mg/L
        _TLIParameter("sd", -0.83, 5.118, -1.94),  # Secchi depth (transparency), m
        _TLIParameter("codmn", 0.83, 0.109, 2.661),  # permanganate index, mg/L
    )
}

# Trophic classes (reference §4.1 ◐): upper bounds are inclusive except oligotrophic (< 30).
_TROPHIC: Final = (
    (1, "贫营养", "oligotrophic"),
    (2, "中营养", "mesotrophic"),
    (3, "轻度富营养", "light eutrophic"),
    (4, "中度富营养", "middle eutrophic"),
    (5, "重度富营养", "hypereutrophic"),
)


@dataclass(frozen=True)
class TLIResult:
    """Comprehensive trophic state index TLI(Σ) and its class."""

    value: float
    trophic_class: int
    """1 oligotrophic … 5 hypereutrophic; :data:`MISSING` when no parameter was given."""
    label_zh: str
    label_en: str
    parameters: tuple[str, ...]
    """Parameters used (those given with a value)."""
    weights: tuple[float, ...]
    """Their weights, renormalised to sum to 1 over the parameters used."""


def trophic_state(tli_value: Any) -> Any:
    """Trophic class of TLI values: 1 贫营养 (< 30), 2 中营养 (30–50), 3 轻度富营养 (50–60],
    4 中度富营养 (60–70], 5 重度富营养 (> 70); NaN → :data:`MISSING`. Scalar in, int out."""
    values = _as_float_array(tli_value, "tli_value")
    classes = np.select(
        [values < 30, values <= 50, values <= 60, values <= 70, values > 70],
        [1, 2, 3, 4, 5],
        default=MISSING,
    ).astype(np.int8)
    return int(classes) if classes.ndim == 0 else classes


_TINY: Final = float(np.finfo(np.float64).tiny)  # smallest positive value: "> 0" as a closed range


def tli_array(
    chla: Any = None, tp: Any = None, tn: Any = None, sd: Any = None, codmn: Any = None
) -> npt.NDArray[np.float64]:
    """Vectorised TLI(Σ): like :func:`tli`, arrays broadcast together, weights renormalised per
    element over the parameters present there (NaN = missing); NaN where none is present."""
    given = {
        name: v
        for name, v in zip(TLI_PARAMETERS, (chla, tp, tn, sd, codmn), strict=True)
        if v is not None
    }
    if not given:
        raise ValueError(
            "tli: no parameter given; expected at least one of chla, tp, tn, sd, codmn"
        )
    arrays = np.broadcast_arrays(*(_as_float_array(v, name) for name, v in given.items()))
    weighted = np.zeros(arrays[0].shape)
    total_weight = np.zeros(arrays[0].shape)
    for name, x in zip(given, arrays, strict=True):
        _check_range(x, name, _TINY, math.inf, "a value > 0 (the index takes its logarithm)")
        p = TLI_PARAMETERS[name]
        present = ~np.isnan(x)
        with np.errstate(invalid="ignore"):
            index_j = 10.0 * (p.a + p.b * np.log(x))
        weighted += np.where(present, p.r**2 * index_j, 0.0)
        total_weight += np.where(present, p.r**2, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total_weight > 0, weighted / total_weight, np.nan)


def tli(
    chla: float | None = None,
    tp: float | None = None,
    tn: float | None = None,
    sd: float | None = None,
    codmn: float | None = None,
) -> TLIResult:
    """Comprehensive trophic state index TLI(Σ) of a lake or reservoir (CNEMC 2001 ◐).

    TLI(Σ) = Σ W_j · TLI(j), W_j = r_j² / Σ r_j², with chlorophyll a as the reference parameter:

    ==========  =============================  ======
    parameter   TLI(j)                         r_j
    ==========  =============================  ======
    chla        10 (2.5 + 1.086 ln chla)       1
    tp          10 (9.436 + 1.624 ln TP)       0.84
    tn          10 (5.453 + 1.694 ln TN)       0.82
    sd          10 (5.118 − 1.94 ln SD)        −0.83
    codmn       10 (0.109 + 2.661 ln CODMn)    0.83
    ==========  =============================  ======

    Parameters
    ----------
    chla
        Chlorophyll a, mg/m³ (= µg/L).
    tp, tn
        Total phosphorus and total nitrogen, mg/L.
    sd
        Transparency (Secchi depth), m.
    codmn
        Permanganate index, mg/L.

    Missing parameters (None or NaN) are left out and the weights renormalised over those
    present (W_j = r_j² / Σ_present r_j²); the result says which were used.

    Returns
    -------
    TLIResult
        The index, its class (TLI < 30 贫营养 oligotrophic, 30 ≤ TLI ≤ 50 中营养 mesotrophic,
        50 < TLI ≤ 60 轻度富营养, 60 < TLI ≤ 70 中度富营养, TLI > 70 重度富营养), the parameters
        used and their weights.
    """
    arguments = dict(zip(TLI_PARAMETERS, (chla, tp, tn, sd, codmn), strict=True))
    for name, v in arguments.items():
        if v is not None and np.ndim(v) != 0:
            raise ValueError(f"{name}: expected one number, got an array; use tli_array()")
    value = float(tli_array(**arguments))
    used = tuple(
        name for name, v in arguments.items() if v is not None and not math.isnan(float(v))
    )
    total = sum(TLI_PARAMETERS[name].r ** 2 for name in used)
    code = trophic_state(value)
    _, zh, en = _TROPHIC[code - 1] if code != MISSING else (0, "NA", "not available")
    return TLIResult(
        value=value,
        trophic_class=code,
        label_zh=zh,
        label_en=en,
        parameters=used,
        weights=tuple(TLI_PARAMETERS[name].r ** 2 / total for name in used),
    )


# --------------------------------------------------------------------------- HJ 212 codes


@dataclass(frozen=True)
class Hj212WaterCode:
    """An HJ 212-2017 water factor code mapped to a factor of this module.

    ``wire_unit`` is the code's default unit in HJ 212-2017 App. B Table B.1; multiply a value
    in that unit by ``to_table_unit`` to get the unit of GB 3838-2002 Table 1 (mg/L).
    """

    code: str
    factor: str
    wire_unit: str
    to_table_unit: float


# HJ 212-2017 App. B Table B.1 (quoting HJ 525-2009), transcribed in shared/reference/hj212.md
# §5.3 ✔. Where the table has both a "total" code (总铜 w20122) and a plain one (铜 w20138) both
# map to the GB 3838 item. Default units differ: several metals are µg/L on the wire. A device
# may be configured with other units: check the unit that came with the value.
HJ212_WATER_CODES: Final[Mapping[str, Hj212WaterCode]] = {
    c.code: c
    for c in (
        Hj212WaterCode("w01001", "pH", "dimensionless", 1.0),
        Hj212WaterCode("w01009", "DO", "mg/L", 1.0),
        Hj212WaterCode("w01019", "CODMn", "mg/L", 1.0),
        Hj212WaterCode("w01018", "COD", "mg/L", 1.0),
        Hj212WaterCode("w01017", "BOD5", "mg/L", 1.0),
        Hj212WaterCode("w21003", "NH3-N", "mg/L", 1.0),
        Hj212WaterCode("w21011", "TP", "mg/L", 1.0),
        Hj212WaterCode("w21001", "TN", "mg/L", 1.0),
        Hj212WaterCode("w20122", "Cu", "mg/L", 1.0),  # 总铜
        Hj212WaterCode("w20138", "Cu", "mg/L", 1.0),  # 铜
        Hj212WaterCode("w20123", "Zn", "mg/L", 1.0),  # 总锌
        Hj212WaterCode("w20139", "Zn", "mg/L", 1.0),  # 锌
        Hj212WaterCode("w21017", "F", "mg/L", 1.0),
        Hj212WaterCode("w20128", "Se", "µg/L", 1e-3),  # 总硒
        Hj212WaterCode("w20140", "Se", "mg/L", 1.0),  # 硒
        Hj212WaterCode("w20119", "As", "µg/L", 1e-3),  # 总砷
        Hj212WaterCode("w20141", "As", "mg/L", 1.0),  # 砷
        Hj212WaterCode("w20111", "Hg", "µg/L", 1e-3),  # 总汞
        Hj212WaterCode("w20142", "Hg", "µg/L", 1e-3),  # 汞
        Hj212WaterCode("w20115", "Cd", "µg/L", 1e-3),  # 总镉
        Hj212WaterCode("w20143", "Cd", "µg/L", 1e-3),  # 镉
        Hj212WaterCode("w20117", "Cr6", "µg/L", 1e-3),  # 六价铬
        Hj212WaterCode("w20120", "Pb", "µg/L", 1e-3),  # 总铅
        Hj212WaterCode("w20144", "Pb", "mg/L", 1.0),  # 铅
        Hj212WaterCode("w21016", "CN", "mg/L", 1.0),
        Hj212WaterCode("w23002", "phenol", "mg/L", 1.0),
        Hj212WaterCode("w22001", "oil", "mg/L", 1.0),
        Hj212WaterCode("w19002", "LAS", "mg/L", 1.0),
        Hj212WaterCode("w21019", "S2", "mg/L", 1.0),
        Hj212WaterCode("w02003", "fecal_coliform", "count/L", 1.0),
    )
}


def factor_from_hj212(code: str) -> str:
    """Factor name of an HJ 212-2017 water code (e.g. ``"w21011"`` → ``"TP"``).

    See :data:`HJ212_WATER_CODES` for the wire units, which are not always mg/L.
    """
    try:
        return HJ212_WATER_CODES[code].factor
    except KeyError:
        raise ValueError(
            f"code: {code!r} is not an HJ 212-2017 water code with a GB 3838-2002 class; "
            f"expected one of {', '.join(HJ212_WATER_CODES)}"
        ) from None
