"""Surface-water quality classes of GB 3838-2002 《地表水环境质量标准》: Table 1 and single factors.

Pure functions, no I/O; of ecohub only :mod:`ecohub.vocabulary` is imported (the HJ 212 wire
units). Marks as in ``docs/reference/standards.md``: ✔ read from the standard's text,
◐ secondary source or long national practice, ⚑ a documented choice where the text is silent.

Classes are coded 1–5 for I–V and 6 for inferior V (劣V); :data:`MISSING` (0) marks a value that
is missing (NaN / null) and is never a class. Concentrations are in mg/L except pH
(dimensionless) and fecal coliform (count/L). The class of a monitoring section, its status
and the status of a river or lake follow the assessment method
(:mod:`ecohub.standards.water_assessment`); the trophic state of lakes is
:mod:`ecohub.standards.trophic`.

References
----------
.. [GB3838] GB 3838-2002 地表水环境质量标准, Table 1 (basic items, classes I–V) ◐ and clause 7
   (single-factor evaluation). See ``docs/reference/standards.md`` §4.
.. [S17] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, Appendix B Table B.1 (water factor
   codes and their default units, quoting HJ 525-2009) ✔. See ``docs/reference/sources.md``.

Examples
--------
>>> factor_class("NH3-N", 1.2)
4
>>> CLASS_LABELS[factor_class("DO", 1.5)]
'劣V'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from ecohub import vocabulary
from ecohub.standards._checks import as_float_array, check_range

__all__ = [
    "CLASS_LABELS",
    "FACTORS",
    "HJ212_WATER_CODES",
    "INFERIOR_V",
    "MISSING",
    "PH_RANGE",
    "TABLE_1",
    "Factor",
    "Waterbody",
    "factor_class",
    "factor_from_hj212",
    "hj212_to_table_unit",
    "limit",
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


def _check_values(factor: Factor, values: npt.NDArray[np.float64], argument: str) -> None:
    if factor.direction == "range":
        check_range(values, argument, 0.0, 14.0, "a pH between 0 and 14")
    else:
        check_range(values, argument, 0.0, math.inf, f"a concentration ≥ 0 {factor.unit}")


# --------------------------------------------------------------------------- single factor


def limit(factor: str, water_class: int, *, waterbody: Waterbody = "river") -> float:
    """GB 3838-2002 Table 1 limit of ``factor`` for class ``water_class`` (1–5 = I–V).

    For DO it is the minimum, for every other factor the maximum (mg/L; fecal coliform
    count/L). pH has the range :data:`PH_RANGE` for every class and no single limit.

    Parameters
    ----------
    factor
        One of :data:`FACTORS` except ``"pH"``.
    water_class
        1–5 for classes I–V.
    waterbody
        ``"river"`` or ``"lake"`` / ``"reservoir"``: selects the TP row of Table 1.

    Returns
    -------
    float
        The limit in the item's unit.

    References
    ----------
    .. [GB3838] GB 3838-2002, Table 1. See ``docs/reference/standards.md`` §4.

    Examples
    --------
    >>> limit("COD", 3)
    20.0
    >>> limit("TP", 3, waterbody="lake")
    0.05
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
        it is informative only: the section class of
        :func:`ecohub.standards.water_assessment.section_class` does not use it).

    Returns
    -------
    int or numpy.ndarray of int8
        1–5 for classes I–V, 6 for 劣V, :data:`MISSING` (0) for a missing value. A scalar in
        gives an ``int`` out; an array in gives an array of the same shape.

    Raises
    ------
    ValueError
        Unknown factor or waterbody, a negative concentration, a pH outside 0–14.

    Notes
    -----
    The class is the best one whose limit the value meets; a value on a limit shared by two
    classes belongs to the better class (COD 15 mg/L → I). DO is the best class whose minimum
    it reaches (the 90 % saturation alternative of class I is not evaluated). pH inside 6–9 is
    class I, outside it 劣V. Values within a relative 1e-9 of a limit count as on it ⚑.

    References
    ----------
    .. [GB3838] GB 3838-2002, Table 1 and clause 7 (single-factor evaluation). See
       ``docs/reference/standards.md`` §4.
    .. [M2011] 地表水环境质量评价办法（试行）, 环办〔2011〕22号, single-factor method ◐.

    Examples
    --------
    >>> factor_class("COD", 15)  # classes I and II share 15 mg/L: the better class
    1
    >>> factor_class("TP", [0.05, 0.3]).tolist()
    [2, 4]
    >>> factor_class("TP", [0.05, 0.3], waterbody="lake").tolist()  # the lake row of TP
    [3, 6]
    >>> factor_class("pH", [5.5, 7.0, None]).tolist()
    [6, 1, 0]
    """
    spec = _check_factor(factor)
    body = _check_waterbody(waterbody)
    values = as_float_array(value, "value")
    _check_values(spec, values, f"value of {factor}")
    classes = _classify(spec, values, body)
    return int(classes) if classes.ndim == 0 else classes


# --------------------------------------------------------------------------- HJ 212 codes

# HJ 212-2017 App. B Table B.1 code → the Table 1 item it measures ([S17] ✔). Where the table has
# both a "total" code (总铜 w20122) and a plain one (铜 w20138) both map to the GB 3838 item. The
# wire units are the vocabulary's (several metals are µg/L); a device may be configured with
# other units: check the unit that came with the value.
HJ212_WATER_CODES: Final[Mapping[str, str]] = {
    "w01001": "pH",
    "w01009": "DO",
    "w01019": "CODMn",
    "w01018": "COD",
    "w01017": "BOD5",
    "w21003": "NH3-N",
    "w21011": "TP",
    "w21001": "TN",
    "w20122": "Cu",  # 总铜
    "w20138": "Cu",  # 铜
    "w20123": "Zn",  # 总锌
    "w20139": "Zn",  # 锌
    "w21017": "F",
    "w20128": "Se",  # 总硒
    "w20140": "Se",  # 硒
    "w20119": "As",  # 总砷
    "w20141": "As",  # 砷
    "w20111": "Hg",  # 总汞
    "w20142": "Hg",  # 汞
    "w20115": "Cd",  # 总镉
    "w20143": "Cd",  # 镉
    "w20117": "Cr6",  # 六价铬
    "w20120": "Pb",  # 总铅
    "w20144": "Pb",  # 铅
    "w21016": "CN",
    "w23002": "phenol",
    "w22001": "oil",
    "w19002": "LAS",
    "w21019": "S2",
    "w02003": "fecal_coliform",
}
"""HJ 212-2017 water codes with a GB 3838-2002 class → the Table 1 item (:data:`FACTORS`)."""

# The two Table 1 units that are not mass concentrations, as the HJ 212 factor table spells them.
_HJ212_SPELLING: Final[Mapping[str, str]] = {"dimensionless": "", "count/L": "个/L"}


def factor_from_hj212(code: str) -> str:
    """Table 1 item measured by an HJ 212-2017 water code.

    Parameters
    ----------
    code
        A code of :data:`HJ212_WATER_CODES`, e.g. ``"w21011"``.

    Returns
    -------
    str
        The item's name in :data:`FACTORS`. Values on the wire are in the code's HJ 212 unit
        (``ecohub.vocabulary.FACTORS[code].wire_unit``), not always mg/L: see
        :func:`hj212_to_table_unit`.

    Raises
    ------
    ValueError
        A code without a GB 3838-2002 class (water temperature, conductivity, …).

    References
    ----------
    .. [S17] HJ 212-2017, Appendix B Table B.1. See ``docs/reference/sources.md``.

    Examples
    --------
    >>> factor_from_hj212("w21011")
    'TP'
    """
    try:
        return HJ212_WATER_CODES[code]
    except KeyError:
        raise ValueError(
            f"code: {code!r} is not an HJ 212-2017 water code with a GB 3838-2002 class; "
            f"expected one of {', '.join(HJ212_WATER_CODES)}"
        ) from None


def hj212_to_table_unit(code: str) -> float:
    """Multiplier from the HJ 212 wire unit of ``code`` to the unit of its Table 1 item.

    Parameters
    ----------
    code
        A code of :data:`HJ212_WATER_CODES`.

    Returns
    -------
    float
        1.0 where the wire unit is the table's (mg/L, pH, fecal coliform count/L); 1e-3 for the
        metals HJ 212 sends in µg/L.

    References
    ----------
    .. [S17] HJ 212-2017, Appendix B Table B.1 (default units). See ``docs/reference/sources.md``.
    .. [GB3838] GB 3838-2002, Table 1 (mg/L).

    Examples
    --------
    >>> vocabulary.FACTORS["w20111"].wire_unit  # 总汞
    'µg/L'
    >>> hj212_to_table_unit("w20111")
    0.001
    """
    unit = TABLE_1[factor_from_hj212(code)].unit
    return vocabulary.unit_factor(
        vocabulary.FACTORS[code].wire_unit, _HJ212_SPELLING.get(unit, unit)
    )
