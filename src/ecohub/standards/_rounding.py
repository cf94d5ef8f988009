"""Numerical rounding of the national standards: GB/T 8170-2008 "rules of rounding off".

GB/T 8170-2008 clause 3.3 ("四舍六入五成双"): a dropped part below 5 rounds down, above 5 rounds up,
and *exactly* 5 (nothing but zeros after it) rounds to the even neighbour: 34.5 → 34, 35.5 → 36,
2.25 → 2.2, 2.35 → 2.4, while 34.51 → 35.

The rule is stated on decimal numbers, but measurements arrive as binary floats, and 2.35 has no
exact binary representation (the float is 2.35000000000000008882…). A float is taken to *mean* the
decimal it is the nearest float to, so "exactly 5" is decided by asking whether the input is the
float nearest to the exact decimal half ``(2m + 1) / (2 · 10**d)``; IEEE 754 division of two exactly
representable integers is correctly rounded, so that nearest float is one division away. No decimal
strings, no tolerances, fully vectorised.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def round_units_gbt8170(values: ArrayLike, decimals: int) -> NDArray[np.float64]:
    """Round to ``decimals`` places per GB/T 8170-2008 3.3 and return the result in units of 10**-d.

    Parameters
    ----------
    values : array_like of float
        Finite numbers or NaN, magnitude below 2**52 / 10**decimals.
    decimals : int
        Number of decimal places kept (0 for µg/m³ integers, 1 for CO in mg/m³).

    Returns
    -------
    numpy.ndarray of float64
        Integer-valued floats ``k`` such that the rounded value is ``k / 10**decimals``; NaN stays
        NaN.
        Working in units keeps the result exact, so it can index a lookup table.

    References
    ----------
    .. [GBT8170] GB/T 8170-2008 数值修约规则与极限数值的表示和判定, 3.3 (四舍六入五成双).

    Examples
    --------
    >>> round_units_gbt8170([34.5, 35.5, 34.51, 2.25, 2.35], 0).tolist()[:3]
    [34.0, 36.0, 35.0]
    >>> round_units_gbt8170([2.25, 2.35], 1).tolist()
    [22.0, 24.0]
    """
    x = np.asarray(values, dtype=np.float64)
    if decimals == 0:
        # Below 2**52 every decimal ending in .5 is an exact binary float and rint rounds half to
        # even, so this is GB/T 8170 exactly.
        return np.rint(x)
    scale = float(10**decimals)
    m = np.floor(x * scale)
    # The float nearest to the decimal half between m and m + 1 (correctly rounded division).
    half = (2.0 * m + 1.0) / (2.0 * scale)
    # x above that half rounds up; x equal to it is an exact decimal 5 and goes to the even side.
    # If x * scale itself was rounded across an integer, m is off by one but x is then far from the
    # half and the comparison still lands on the nearest integer.
    up = (x > half) | ((x == half) & (np.fmod(m, 2.0) != 0.0))
    return m + up


def round_gbt8170(values: ArrayLike, decimals: int = 0) -> NDArray[np.float64] | float:
    """Round numbers per GB/T 8170-2008 3.3 (round half to even on an exact decimal 5).

    Parameters
    ----------
    values : float or array_like of float
        Finite numbers or NaN.
    decimals : int, default 0
        Number of decimal places kept.

    Returns
    -------
    float or numpy.ndarray
        The rounded values (scalar in, scalar out); NaN stays NaN.

    References
    ----------
    .. [GBT8170] GB/T 8170-2008, 3.3, the rule HJ 633-2026 4.2.2 applies to published
       concentrations. See ``docs/reference/standards.md`` §1.

    Examples
    --------
    >>> round_gbt8170(2.35, 1), round_gbt8170(2.25, 1), round_gbt8170(34.5)
    (2.4, 2.2, 34.0)
    """
    units = round_units_gbt8170(values, decimals) / float(10**decimals)
    return float(units) if np.ndim(values) == 0 else units
