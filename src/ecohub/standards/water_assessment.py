"""The surface-water assessment method: section classes and status, river and lake status.

《地表水环境质量评价办法（试行）》 (环办〔2011〕22号) applied to the single-factor classes of
GB 3838-2002 (:mod:`ecohub.standards.gb3838`): which items enter a section's class, the section
status and colour, over-standard multiples, main pollutants, and the status of a river, basin or
region from the shares of its sections' classes. Pure functions, no I/O. Marks as in
``docs/reference/standards.md``: ✔ read from the text, ◐ secondary source or long national
practice, ⚑ a documented choice where the text is silent. Factor names, units and class codes
are those of :mod:`ecohub.standards.gb3838`.

References
----------
.. [M2011] 地表水环境质量评价办法（试行）, 环办〔2011〕22号: single-factor method, section status,
   over-standard multiples, main pollutants, river/basin share table ◐. See
   ``docs/reference/standards.md`` §4.
.. [GB3838] GB 3838-2002 地表水环境质量标准, Table 1.

Examples
--------
>>> result = section_class({"COD": 25.0, "NH3-N": 0.8, "DO": 6.5})
>>> result.label, result.status, result.deciding
('IV', '轻度污染', ('COD',))
>>> river_status([1, 2, 2, 3, 3, 3, 3, 4]).status  # I–III 7 of 8 sections
'良好'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from ecohub.standards._checks import as_float_array
from ecohub.standards.gb3838 import (
    CLASS_LABELS,
    FACTORS,
    INFERIOR_V,
    MISSING,
    TABLE_1,
    Factor,
    Waterbody,
    # the single-factor core of GB 3838: checked names, values and waterbody; vectorised class
    _check_factor,
    _check_values,
    _check_waterbody,
    _classify,
    limit,
)

__all__ = [
    "RiverStatus",
    "SectionClass",
    "river_status",
    "river_status_from_values",
    "section_class",
    "section_classes",
    "section_status",
]

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


def _multiple(spec: Factor, value: float, waterbody: Literal["river", "lake"]) -> float | None:
    """Over-standard multiple (C − III limit) / III limit (评价办法 2011 ◐); None for pH, DO."""
    if spec.name in _NO_MULTIPLE:
        return None
    class_iii = limit(spec.name, 3, waterbody=waterbody)
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
        """Publication labels of the main pollutants, e.g. ``("高锰酸盐指数(1.2)", "溶解氧")``."""
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

    References
    ----------
    .. [M2011] 地表水环境质量评价办法（试行）, 环办〔2011〕22号, section status table ◐. See
       ``docs/reference/standards.md`` §4.

    Examples
    --------
    >>> section_status(3)
    ('良好', 'good', 'green')
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
        :func:`~ecohub.standards.gb3838.factor_class`. Missing values (None / NaN) are left
        out of the evaluation.
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

    References
    ----------
    .. [M2011] 地表水环境质量评价办法（试行）, 环办〔2011〕22号: single-factor method, items
       evaluated, over-standard multiples, main pollutants ◐. See
       ``docs/reference/standards.md`` §4.
    .. [GB3838] GB 3838-2002, Table 1.

    Examples
    --------
    >>> result = section_class({"TP": 0.45, "NH3-N": 1.2, "DO": 4.0})
    >>> result.label, result.deciding, result.main_pollutant_labels()
    ('劣V', ('TP',), ('总磷(1.2)', '氨氮(0.2)', '溶解氧'))
    """
    body = _check_waterbody(waterbody)
    if not isinstance(values, Mapping):
        raise ValueError(f"values: expected a mapping of factor to value, got {type(values)!r}")
    given: dict[str, float] = {}
    for name, value in values.items():
        spec = _check_factor(name, "values")
        number = as_float_array(value, f"values[{name!r}]")
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
        array = as_float_array(column, f"{argument}[{name!r}]")
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
        ``df.select([c for c in df.columns if c in FACTORS])``); units as in
        :func:`~ecohub.standards.gb3838.factor_class`.
    waterbody
        ``"river"`` or ``"lake"`` / ``"reservoir"``.

    Returns
    -------
    polars.DataFrame
        One row per input row: ``water_class`` (Int8, 1–6, :data:`MISSING` when no evaluated
        factor has a value), ``label`` ("I".."V", "劣V"; null when missing) and ``deciding``
        (deciding factors joined by ","; null when missing); for lakes also ``tn_class``
        (Int8, evaluated separately) when a TN column is given.

    References
    ----------
    .. [M2011] 地表水环境质量评价办法（试行）, 环办〔2011〕22号, single-factor method ◐. See
       ``docs/reference/standards.md`` §4.

    Examples
    --------
    >>> out = section_classes({"COD": [15.0, 35.0], "DO": [8.0, 1.0]})
    >>> out["label"].to_list(), out["deciding"].to_list()
    (['I', '劣V'], ['DO,COD', 'DO'])
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

    References
    ----------
    .. [M2011] 地表水环境质量评价办法（试行）, 环办〔2011〕22号, the river / basin share table ◐.
       See ``docs/reference/standards.md`` §4.

    Examples
    --------
    >>> result = river_status([2, 2, 3, 3, 4, 6])  # I–III 4 of 6, 劣V 1 of 6
    >>> result.status, round(result.share_i_iii, 3)
    ('轻度污染', 0.667)
    """
    array = as_float_array(classes, "classes").ravel()
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

    Parameters
    ----------
    columns
        Factor columns, one row per section, as in :func:`section_classes`.
    waterbody
        ``"river"`` or ``"lake"`` / ``"reservoir"``.

    Returns
    -------
    RiverStatus
        With ``method`` ``"share"`` or ``"mean"``; for ``"mean"`` the class of the means in
        ``section``.

    References
    ----------
    .. [M2011] 地表水环境质量评价办法（试行）, 环办〔2011〕22号, river and lake status ◐. See
       ``docs/reference/standards.md`` §4.

    Examples
    --------
    >>> result = river_status_from_values({"COD": [10.0, 20.0, 33.0]})  # mean 21 mg/L
    >>> result.method, result.section.label, result.status
    ('mean', 'IV', '轻度污染')
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
