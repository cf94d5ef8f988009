"""Independent copy of the tables of docs/reference/standards.md §1.1 for the tests.

Deliberately not imported from ecohub: the tests check the code's tables against these.
Keys: (column, edition) → breakpoints; IAQI levels 0, 50, 100, 150, 200, 300, 400, 500.
"""

from fractions import Fraction
from math import ceil

LEVELS = (0, 50, 100, 150, 200, 300, 400, 500)
_COMMON = {
    "SO2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "SO2_1h": (0, 150, 500, 650, 800),
    "NO2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "NO2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "CO_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "CO_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "O3_8h": (0, 100, 160, 215, 265, 800),
    "O3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
}
TABLE = {
    "2026": _COMMON
    | {"PM10_24h": (0, 50, 120, 250, 350, 420, 500, 600),
       "PM2.5_24h": (0, 35, 60, 115, 150, 250, 350, 500)},
    "2012": _COMMON
    | {"PM10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
       "PM2.5_24h": (0, 35, 75, 115, 150, 250, 350, 500)},
}
# (pollutant code, period) → column of the table
COLUMN = {
    ("SO2", "hour"): "SO2_1h", ("SO2", "day"): "SO2_24h",
    ("NO2", "hour"): "NO2_1h", ("NO2", "day"): "NO2_24h",
    ("CO", "hour"): "CO_1h", ("CO", "day"): "CO_24h",
    ("O3", "hour"): "O3_1h", ("O3", "day"): "O3_1h",
    ("O3_8h", "hour"): "O3_8h", ("O3_8h", "day"): "O3_8h",
    ("PM10", "hour"): "PM10_24h", ("PM10", "day"): "PM10_24h",
    ("PM2.5", "hour"): "PM2.5_24h", ("PM2.5", "day"): "PM2.5_24h",
}


def exact_iaqi(bp: tuple[int, ...], c: Fraction) -> Fraction:
    """HJ 633 formula (1) in exact rational arithmetic, for BP_0 <= c <= BP_top."""
    for i in range(len(bp) - 1):
        if bp[i] <= c <= bp[i + 1]:
            return Fraction(LEVELS[i + 1] - LEVELS[i], bp[i + 1] - bp[i]) * (c - bp[i]) + LEVELS[i]
    raise ValueError(f"{c} beyond the table")


def published_iaqi(bp: tuple[int, ...], c: Fraction) -> int:
    """Ceiling of the exact value (HJ 633-2026 4.2.6)."""
    return ceil(exact_iaqi(bp, c))


def test_code_tables_equal_the_reference():
    """ecohub's HJ 633 Table 1 data equals the reference's copy, both editions."""
    from ecohub.standards import aqi

    assert aqi.IAQI_LEVELS == LEVELS
    for edition, table in TABLE.items():
        assert dict(aqi.BREAKPOINTS[edition]) == table
