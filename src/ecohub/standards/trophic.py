"""Trophic state of lakes and reservoirs: the comprehensive trophic level index TLI(Σ).

The CNEMC method of 《湖泊（水库）富营养化评价方法及分级技术规定》 (总站生字〔2001〕090号):
TLI(Σ) = Σ W_j · TLI(j) over chlorophyll a, total phosphorus, total nitrogen, transparency and
the permanganate index, with chlorophyll a as the reference parameter, and five trophic classes.
Pure functions, no I/O. Marks as in ``docs/reference/standards.md``: ✔ read from the text,
◐ secondary source or long national practice, ⚑ a documented choice where the text is silent.

References
----------
.. [TLI] 中国环境监测总站, 湖泊（水库）富营养化评价方法及分级技术规定, 总站生字〔2001〕090号 ◐.
   See ``docs/reference/standards.md`` §4.1.

Examples
--------
>>> result = tli(chla=10.0, tp=0.05, tn=1.0, sd=1.5, codmn=4.0)
>>> round(result.value, 2), result.label_zh
(46.58, '中营养')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ecohub.standards._checks import as_float_array, check_range
from ecohub.standards.gb3838 import MISSING

__all__ = ["TLI_PARAMETERS", "TLIResult", "tli", "tli_array", "trophic_state"]


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
    """Trophic class of TLI values.

    1 贫营养 (< 30), 2 中营养 (30–50), 3 轻度富营养 (50–60], 4 中度富营养 (60–70],
    5 重度富营养 (> 70); NaN → :data:`MISSING`. Scalar in, int out.

    References
    ----------
    .. [TLI] 湖泊（水库）富营养化评价方法及分级技术规定, 总站生字〔2001〕090号, trophic
       classes ◐. See ``docs/reference/standards.md`` §4.1.

    Examples
    --------
    >>> trophic_state(50.0), trophic_state([29.9, 50.1, 75.0]).tolist()
    (2, [1, 3, 5])
    """
    values = as_float_array(tli_value, "tli_value")
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
    """Vectorised TLI(Σ) of many samples.

    Like :func:`tli`: the arrays broadcast together, the weights are renormalised per element
    over the parameters present there (NaN = missing); NaN where none is present.

    References
    ----------
    .. [TLI] 湖泊（水库）富营养化评价方法及分级技术规定, 总站生字〔2001〕090号 ◐. See
       ``docs/reference/standards.md`` §4.1.

    Examples
    --------
    >>> tli_array(chla=[10.0, float("nan")], tp=[0.05, 0.05]).round(2).tolist()
    [48.23, 45.71]
    """
    given = {
        name: v
        for name, v in zip(TLI_PARAMETERS, (chla, tp, tn, sd, codmn), strict=True)
        if v is not None
    }
    if not given:
        raise ValueError(
            "tli: no parameter given; expected at least one of chla, tp, tn, sd, codmn"
        )
    arrays = np.broadcast_arrays(*(as_float_array(v, name) for name, v in given.items()))
    weighted = np.zeros(arrays[0].shape)
    total_weight = np.zeros(arrays[0].shape)
    for name, x in zip(given, arrays, strict=True):
        check_range(x, name, _TINY, math.inf, "a value > 0 (the index takes its logarithm)")
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

    References
    ----------
    .. [TLI] 湖泊（水库）富营养化评价方法及分级技术规定, 总站生字〔2001〕090号: TLI(j), r_j, W_j and
       the trophic classes ◐. See ``docs/reference/standards.md`` §4.1.

    Examples
    --------
    >>> result = tli(chla=60.0)  # 25 + 10.86 ln 60
    >>> round(result.value, 2), result.label_zh, result.weights
    (69.46, '中度富营养', (1.0,))
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
