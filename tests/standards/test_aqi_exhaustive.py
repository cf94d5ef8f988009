"""The floating-point ceiling trap (reference §1.2 step 2), exhaustively.

Every 0.1 mg/m³ CO value and every integer µg/m³ value of the other pollutants from 0 to the top
breakpoint, both editions, both periods: the published IAQI must equal the ceiling of formula (1)
evaluated in exact rational arithmetic (fractions.Fraction) on the reference tables.
"""

from fractions import Fraction
from math import ceil

import numpy as np
import pytest
from test_aqi_reference_tables import COLUMN, TABLE, exact_iaqi

from ecohub.standards.aqi import iaqi


@pytest.mark.parametrize("edition", ["2026", "2012"])
@pytest.mark.parametrize("key", sorted(COLUMN), ids=lambda k: f"{k[0]}-{k[1]}")
def test_published_iaqi_exact_everywhere(key, edition):
    pollutant, period = key
    bp = TABLE[edition][COLUMN[key]]
    step = 10 if pollutant == "CO" else 1
    units = range(bp[-1] * step + 1)
    want = np.array([ceil(exact_iaqi(bp, Fraction(k, step))) for k in units], dtype=float)
    # k / step is the float nearest the decimal, as read from a file
    got = iaqi(pollutant, np.array([k / step for k in units]), period, edition=edition)
    bad = np.flatnonzero(got != want)
    assert bad.size == 0, [(units[i] / step, got[i], want[i]) for i in bad[:5]]
    # and the unrounded formula stays within float precision of the exact value
    exact = np.array([float(exact_iaqi(bp, Fraction(k, step))) for k in units])
    np.testing.assert_allclose(
        iaqi(pollutant, np.array(units) / step, period, edition=edition, rounding="none"),
        exact, rtol=1e-12, atol=1e-9,
    )
