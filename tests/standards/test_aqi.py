"""HJ 633-2026 / HJ 633-2012 AQI: worked examples, boundaries, special rules, report rules.

Expected values come from docs/reference/standards.md §1 (clauses cited per test) and from
exact rational arithmetic on the reference tables (tests/standards/test_aqi_reference_tables.py).
"""

from fractions import Fraction
from math import ceil, isnan

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_aqi_reference_tables import COLUMN, LEVELS, TABLE, exact_iaqi

from ecohub.standards import aqi as A
from ecohub.standards._rounding import round_gbt8170


# -- worked examples, reference §1.2 (HJ 633-2026 formula (1), 4.2.6) --------------------------
@pytest.mark.parametrize(
    ("pollutant", "c", "period", "edition", "expected"),
    [
        ("PM2.5", 45, "day", "2026", 70),  # (100−50)/(60−35)·10+50 = 70
        ("PM2.5", 45, "day", "2012", 63),  # 50/40·10+50 = 62.5 → 63
        ("PM10", 130, "day", "2026", 104),  # 103.85 → 104
        ("PM10", 130, "day", "2012", 90),
        ("CO", 7.3, "hour", "2026", 73),
        ("SO2", 900, "hour", "2026", 200),  # HJ 633-2026 Table 1 note: SO2 1h > 800 → 200
    ],
)
def test_worked_examples(pollutant, c, period, edition, expected):
    assert A.iaqi(pollutant, c, period, edition=edition) == expected


def test_so2_1h_above_800_2012_uses_24h_value():
    # HJ 633-2012 Table 1 note 3; reference example 24h = 300 → 123.08 → 124.
    assert A.iaqi("SO2", 900, "hour", edition="2012", so2_24h=300) == 124
    # without the 24-hour mean there is no IAQI (missing, not 0, not 500)
    assert isnan(A.iaqi("SO2", 900, "hour", edition="2012"))
    # at 800 the 1-hour table still applies
    assert A.iaqi("SO2", 800, "hour", edition="2012", so2_24h=300) == 200


def test_o3_8h_above_800():
    # HJ 633-2026 Table 1 note → 300; HJ 633-2012 Table 1 note 4 → no IAQI from the 8-hour value
    assert A.iaqi("O3_8h", 801, "day") == 300
    assert A.iaqi("O3_8h", 800, "day") == 300
    assert isnan(A.iaqi("O3_8h", 801, "day", edition="2012"))
    r = A.aqi(
        {"SO2": 5, "NO2": 5, "CO": 0.2, "O3": 700, "O3_8h": 900, "PM10": 5, "PM2.5": 5},
        "day", edition="2012",
    )
    expected_o3 = ceil(exact_iaqi(TABLE["2012"]["O3_1h"], Fraction(700)))  # 275
    assert r.iaqi["O3_8h"] == r.iaqi["O3"] == expected_o3 == r.aqi
    assert r.beyond_scale == ()


@pytest.mark.parametrize("edition", ["2026", "2012"])
@pytest.mark.parametrize("period", ["hour", "day"])
@pytest.mark.parametrize("pollutant", A.POLLUTANTS)
def test_every_breakpoint_below_at_above(pollutant, period, edition):
    """Each breakpoint of reference §1.1: the level itself, and just below / above it."""
    bp = TABLE[edition][COLUMN[(pollutant, period)]]
    step = Fraction(1, 10) if pollutant == "CO" else Fraction(1)
    for i, b in enumerate(bp):
        assert A.iaqi(pollutant, float(b), period, edition=edition) == LEVELS[i]
        for c in (b - step, b + step):
            if 0 <= c <= bp[-1]:
                want = ceil(exact_iaqi(bp, c))
                assert A.iaqi(pollutant, float(c), period, edition=edition) == want, (b, c)


@pytest.mark.parametrize("edition", ["2026", "2012"])
def test_beyond_scale_is_500_and_flagged(edition):
    # reference §1.1 ⚑: IAQI 500, flagged, never extrapolated
    assert A.iaqi("PM2.5", 501, "day", edition=edition) == 500
    assert A.iaqi("PM2.5", 5000, "day", edition=edition, rounding="none") == 500
    r = A.aqi({"SO2": 5, "NO2": 5, "CO": 0.2, "O3_8h": 50, "PM10": 700, "PM2.5": 480},
              "day", edition="2026")
    assert r.aqi == 500 and r.beyond_scale == ("PM10",) and r.primary == ("PM10",)
    # 500.4 rounds to 500: on the scale
    assert A.aqi({"PM2.5": 500.4}, "day", not_monitored=("SO2", "NO2", "CO", "O3_8h", "PM10")
                 ).beyond_scale == ()


def test_gbt8170_half_even_cases():
    # reference §1.2 step 1: 34.5 → 34, 35.5 → 36, 2.25 → 2.2, 2.35 → 2.4, 34.51 → 35
    assert round_gbt8170(34.5) == 34 and round_gbt8170(35.5) == 36
    assert round_gbt8170(2.25, 1) == 2.2 and round_gbt8170(2.35, 1) == 2.4
    assert round_gbt8170(34.51) == 35 and round_gbt8170(34.49) == 34
    # in use: PM2.5 34.5 → 34 (IAQI 49), 35.5 → 36 (2026: 52); CO 2.25 → 2.2, 2.35 → 2.4
    assert A.iaqi("PM2.5", 34.5, "day") == ceil(Fraction(50, 35) * 34)
    assert A.iaqi("PM2.5", 35.5, "day") == 52
    assert A.iaqi("CO", 2.25, "day") == 55 and A.iaqi("CO", 2.35, "day") == 60


@given(st.decimals(min_value=0, max_value=100000, places=3, allow_nan=False))
def test_gbt8170_matches_decimal(d):
    from decimal import ROUND_HALF_EVEN, Decimal

    for places in (0, 1):
        want = float(d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN))
        assert round_gbt8170(float(d), places) == want


def test_float_ceiling_trap_co_65_4():
    # reference §1.2 step 2: naive float gives 218.00000000000003 → 219; published is 218
    assert A.iaqi("CO", 65.4, "hour") == 218


def test_array_nan_scalar_shapes():
    out = A.iaqi("PM2.5", np.array([[45.0, np.nan], [0.0, 600.0]]), "day")
    assert out.shape == (2, 2) and np.isnan(out[0, 1])
    np.testing.assert_array_equal(out[[0, 1, 1], [0, 0, 1]], [70, 0, 500])
    assert isinstance(A.iaqi("PM2.5", 45, "day"), float)
    assert isnan(A.iaqi("PM2.5", float("nan"), "day"))
    assert A.iaqi("PM2.5", [45], "day").tolist() == [70.0]


def test_rounding_none_is_the_formula():
    assert A.iaqi("PM10", 130, "day", rounding="none") == pytest.approx(100 + 50 / 130 * 10)
    assert A.iaqi("CO", 2.35, "day", rounding="none") == pytest.approx(58.75)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"pollutant": "PM25"}, ["pollutant", "PM25"]),
        ({"period": "week"}, ["period", "week"]),
        ({"edition": "2020"}, ["edition", "2020"]),
        ({"rounding": "up"}, ["rounding", "up"]),
        ({"concentration": -1.0}, ["concentration", "-1.0", ">= 0"]),
        ({"concentration": [1.0, float("inf")]}, ["concentration", "inf", "index (1,)"]),
        ({"concentration": "abc"}, ["concentration", "abc"]),
        ({"so2_24h": 3.0}, ["so2_24h"]),
    ],
)
def test_bad_input_names_argument(kwargs, words):
    args = {"pollutant": "PM2.5", "concentration": 10.0, "period": "day"} | kwargs
    with pytest.raises(ValueError) as err:
        A.iaqi(args.pop("pollutant"), args.pop("concentration"), args.pop("period"), **args)
    for w in words:
        assert w in str(err.value)


@given(
    st.sampled_from(A.POLLUTANTS), st.sampled_from(A.PERIODS), st.sampled_from(A.EDITIONS),
    st.sampled_from(A.ROUNDINGS), st.lists(st.floats(0, 4000), min_size=2, max_size=30),
)
def test_monotone_non_decreasing(pollutant, period, edition, rounding, values):
    x = np.sort(np.array(values))
    y = A.iaqi(pollutant, x, period, edition=edition, rounding=rounding)
    # the special rules (SO2 1h, O3 8h above 800) are steps down by design: test up to 800 there
    if COLUMN[(pollutant, period)] in ("SO2_1h", "O3_8h"):
        y = y[x <= 800]
    assert (np.diff(y) >= 0).all()


@given(st.sampled_from(sorted(COLUMN)), st.sampled_from(A.EDITIONS), st.data())
def test_continuous_across_breakpoints(key, edition, data):
    pollutant, period = key
    bp = TABLE[edition][COLUMN[key]]
    b = data.draw(st.sampled_from(bp[1:-1] or bp[1:]))
    eps = 1e-7
    lo, at, hi = A.iaqi(pollutant, [b - eps, b, b + eps], period, edition=edition,
                        rounding="none")
    assert lo == pytest.approx(at, abs=1e-4) and hi == pytest.approx(at, abs=1e-4)


# -- AQI, reference §1.3–1.4 -------------------------------------------------------------------
DAY = {"SO2": 10, "NO2": 30, "CO": 0.5, "O3_8h": 120, "PM10": 130, "PM2.5": 45}


def test_aqi_day_2026_full_result():
    r = A.aqi(DAY, "day")
    assert r.aqi == 104 and r.primary == ("PM10",) and r.edition == "2026"
    assert r.grade.grade == 3 and r.category == "轻度污染"
    assert r.grade.rgb == (255, 126, 0) and r.grade.cmyk == (0, 52, 100, 0)
    assert r.exceeding == ()  # deleted in HJ 633-2026
    assert dict(r.sensitive_groups) == {"PM10": A.SENSITIVE_GROUPS["PM10"]}
    r12 = A.aqi(DAY | {"O3": 150}, "day", edition="2012")
    assert r12.exceeding == () and r12.aqi == 90 and r12.sensitive_groups == {}
    r12 = A.aqi(DAY | {"O3": 150, "PM10": 200}, "day", edition="2012")
    assert r12.exceeding == ("PM10",)


def test_primary_ties_and_not_below_51():
    # ties: PM2.5 60 (2026: 100) and PM10 120 (100) → both primary
    r = A.aqi(DAY | {"PM2.5": 60, "PM10": 120, "O3_8h": 50}, "day")
    assert r.aqi == 100 and set(r.primary) == {"PM2.5", "PM10"}
    # AQI <= 50 → no primary pollutant (HJ 633-2026 4.4)
    r = A.aqi({"SO2": 5, "NO2": 5, "CO": 0.2, "O3_8h": 100, "PM10": 5, "PM2.5": 5}, "day")
    assert r.aqi == 50 and r.primary == () and r.category == "优"


@pytest.mark.parametrize(
    ("value", "grade", "category", "rgb"),
    [(0, 1, "优", (0, 228, 0)), (50, 1, "优", (0, 228, 0)), (51, 2, "良", (255, 255, 0)),
     (100, 2, "良", (255, 255, 0)), (101, 3, "轻度污染", (255, 126, 0)),
     (150, 3, "轻度污染", (255, 126, 0)), (151, 4, "中度污染", (255, 0, 0)),
     (200, 4, "中度污染", (255, 0, 0)), (201, 5, "重度污染", (153, 0, 76)),
     (300, 5, "重度污染", (153, 0, 76)), (301, 6, "严重污染", (126, 0, 35)),
     (500, 6, "严重污染", (126, 0, 35))],
)
def test_grade_boundaries(value, grade, category, rgb):
    g = A.grade_of(value)  # HJ 633-2026 Table 1, Appendix A
    assert (g.grade, g.category, g.rgb) == (grade, category, rgb)


def test_completeness_rule_5_3():
    # missing O3_8h, others AQI 70 (<= 100): AQI etc. NA, single IAQIs kept
    r = A.aqi(DAY | {"PM10": 30, "O3_8h": None}, "day")
    assert r.aqi is None and r.grade is None and r.primary == () and not r.published
    assert r.missing == ("O3_8h",) and r.iaqi["PM2.5"] == 70
    # missing, others above 100 → published
    r = A.aqi({k: v for k, v in DAY.items() if k != "O3_8h"}, "day")
    assert r.aqi == 104 and r.primary == ("PM10",) and r.missing == ("O3_8h",)
    # not monitored does not block
    r = A.aqi({k: v for k, v in DAY.items() if k != "CO"} | {"PM10": 30}, "day",
              not_monitored=["CO"])
    assert r.aqi == 70 and "CO" not in r.iaqi


def test_aqi_zero_reported_as_computed():
    r = A.aqi(dict.fromkeys(("SO2", "NO2", "CO", "O3", "PM10", "PM2.5"), 0), "hour")
    assert r.aqi == 0 and r.grade.grade == 1  # reference §1.3 ⚑


def test_aqi_bad_keys():
    with pytest.raises(ValueError, match="'O3'.*2026 day"):
        A.aqi(DAY | {"O3": 100}, "day")
    with pytest.raises(ValueError, match="not_monitored.*'XX'"):
        A.aqi(DAY, "day", not_monitored=["XX"])
    with pytest.raises(ValueError, match="PM10"):
        A.aqi(DAY | {"PM10": -3}, "day")


def test_aqi_columns_matches_scalar():
    rng = np.random.default_rng(7)
    n = 400
    cols = {
        "SO2": rng.gamma(2, 10, n), "NO2": rng.gamma(3, 12, n), "CO": rng.gamma(3, 0.3, n),
        "O3_8h": rng.gamma(4, 30, n), "PM10": rng.gamma(2, 40, n), "PM2.5": rng.gamma(2, 30, n),
    }
    cols["NO2"][::17] = np.nan
    frame = A.aqi_columns(cols, "day")
    assert isinstance(frame, pl.DataFrame) and frame.height == n
    for i in range(n):
        r = A.aqi({k: float(v[i]) for k, v in cols.items()}, "day")
        row = frame.row(i, named=True)
        assert row["aqi"] == r.aqi and row["category"] == r.category
        assert tuple(row["primary"]) == r.primary
        assert row["edition"] == "2026" and row["complete"] == (not r.missing)
