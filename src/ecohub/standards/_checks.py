"""Input checks shared by the water-quality modules (GB 3838-2002, its assessment method, TLI)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl


def as_float_array(value: Any, argument: str) -> npt.NDArray[np.float64]:
    """Any array-like (list with None, NumPy, Polars/Pandas series) → float64, null → NaN."""
    if isinstance(value, pl.Series):
        value = value.cast(pl.Float64).to_numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{argument}: expected numbers, got {value!r}") from None


def check_range(
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
