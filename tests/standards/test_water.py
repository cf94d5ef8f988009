"""Tests of ecohub.standards.water against GB 3838-2002 Table 1, the 2011 assessment method
and the CNEMC TLI, as transcribed in shared/reference/standards.md §4 and §4.1.

Expected values come from this file's own copy of the reference tables and plain-Python rules,
never from the module's tables.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.standards import water

# standards.md §4, GB 3838-2002 Table 1, classes I..V ("≤"; DO "≥").
REFERENCE_LIMITS: dict[str, tuple[float, ...]] = {
    "CODMn": (2, 4, 6, 10, 15),
    "COD": (15, 15, 20, 30, 40),
    "BOD5": (3, 3, 4, 6, 10),
    "NH3-N": (0.15, 0.5, 1.0, 1.5, 2.0),
    "TP": (0.02, 0.1, 0.2, 0.3, 0.4),
    "TN": (0.2, 0.5, 1.0, 1.5, 2.0),
    "Cu": (0.01, 1.0, 1.0, 1.0, 1.0),
    "Zn": (0.05, 1.0, 1.0, 2.0, 2.0),
    "F": (1.0, 1.0, 1.0, 1.5, 1.5),
    "Se": (0.01, 0.01, 0.01, 0.02, 0.02),
    "As": (0.05, 0.05, 0.05, 0.1, 0.1),
    "Hg": (0.00005, 0.00005, 0.0001, 0.001, 0.001),
    "Cd": (0.001, 0.005, 0.005, 0.005, 0.01),
    "Cr6": (0.01, 0.05, 0.05, 0.05, 0.1),
    "Pb": (0.01, 0.01, 0.05, 0.05, 0.1),
    "CN": (0.005, 0.05, 0.2, 0.2, 0.2),
    "phenol": (0.002, 0.002, 0.005, 0.01, 0.1),
    "oil": (0.05, 0.05, 0.05, 0.5, 1.0),
    "LAS": (0.2, 0.2, 0.2, 0.3, 0.3),
    "S2": (0.05, 0.1, 0.2, 0.5, 1.0),
    "fecal_coliform": (200, 2000, 10000, 20000, 40000),
}
REFERENCE_TP_LAKE = (0.01, 0.025, 0.05, 0.1, 0.2)
REFERENCE_DO = (7.5, 6, 5, 3, 2)


def expected_max_class(limits: tuple[float, ...], value: float) -> int:
    """Best class whose maximum the value meets (shared limits → the better class), else 6."""
    return next((k for k, lim in enumerate(limits, start=1) if value <= lim), 6)


def boundary_cases(table: dict[str, tuple[float, ...]]):
    for factor, limits in table.items():
        for k, lim in enumerate(limits, start=1):
            for label, value in (("below", lim * 0.999), ("at", lim), ("above", lim * 1.001)):
                yield pytest.param(factor, k, value, id=f"{factor}-{k}-{label}")


# --------------------------------------------------------------------------- single factor


@pytest.mark.parametrize(("factor", "k", "value"), list(boundary_cases(REFERENCE_LIMITS)))
def test_every_boundary_of_every_factor(factor: str, k: int, value: float) -> None:
    expected = expected_max_class(REFERENCE_LIMITS[factor], value)
    assert water.factor_class(factor, value) == expected
    if factor != "TP":  # Table 1 has one row for the others: the waterbody does not matter
        assert water.factor_class(factor, value, waterbody="lake") == expected


@pytest.mark.parametrize(("factor", "k", "value"), list(boundary_cases({"TP": REFERENCE_TP_LAKE})))
def test_lake_tp_boundaries(factor: str, k: int, value: float) -> None:
    expected = expected_max_class(REFERENCE_TP_LAKE, value)
    assert water.factor_class("TP", value, waterbody="lake") == expected
    assert water.factor_class("TP", value, waterbody="reservoir") == expected


def test_at_the_limit_belongs_to_that_class() -> None:
    # Hand-read from Table 1: a value on a limit is in that class; shared limits → better class.
    assert water.factor_class("COD", 15) == 1  # I and II share 15
    assert water.factor_class("COD", 15.01) == 3
    assert water.factor_class("CODMn", 6) == 3
    assert water.factor_class("CODMn", 6.01) == 4
    assert water.factor_class("Cu", 1.0) == 2  # II–V share 1.0
    assert water.factor_class("Cu", 1.01) == 6
    assert water.factor_class("CN", 0.2) == 3  # III–V share 0.2
    assert water.factor_class("Hg", 0.00005) == 1
    assert water.factor_class("Hg", 0.0001) == 3
    assert water.factor_class("NH3-N", 2.0) == 5
    assert water.factor_class("NH3-N", 2.01) == 6


def test_river_vs_lake_tp() -> None:
    # 0.05 mg/L: river class II (0.02 < 0.05 ≤ 0.1), lake class III (0.025 < 0.05 ≤ 0.05).
    assert water.factor_class("TP", 0.05) == 2
    assert water.factor_class("TP", 0.05, waterbody="lake") == 3
    # 0.3 mg/L: river IV, lake 劣V (> 0.2).
    assert water.factor_class("TP", 0.3) == 4
    assert water.factor_class("TP", 0.3, waterbody="lake") == 6


@pytest.mark.parametrize(("k", "minimum"), list(enumerate(REFERENCE_DO, start=1)))
def test_dissolved_oxygen_is_not_lower_than(k: int, minimum: float) -> None:
    assert water.factor_class("DO", minimum) == k  # reaching the minimum is enough
    assert water.factor_class("DO", minimum * 1.001) == k
    assert water.factor_class("DO", minimum * 0.999) == k + 1  # 2 → 6 (劣V) below class V


def test_do_direction_examples() -> None:
    assert water.factor_class("DO", [9.0, 7.5, 7.0, 4.0, 1.0]).tolist() == [1, 1, 2, 4, 6]


def test_ph_range() -> None:
    values = [5.99, 6.0, 7.0, 9.0, 9.01]
    assert water.factor_class("pH", values).tolist() == [6, 1, 1, 1, 6]


def test_vectorised_shape_and_scalar() -> None:
    out = water.factor_class("COD", np.array([[10.0, 25.0], [45.0, np.nan]]))
    assert out.shape == (2, 2)
    assert out.tolist() == [[1, 4], [6, water.MISSING]]
    scalar = water.factor_class("COD", 25.0)
    assert isinstance(scalar, int) and scalar == 4


def test_missing_is_never_a_class() -> None:
    assert water.MISSING == 0
    assert water.factor_class("TP", float("nan")) == water.MISSING
    assert water.factor_class("DO", [None, 5.0]).tolist() == [0, 3]
    assert water.factor_class("pH", pl.Series([7.0, None])).tolist() == [1, 0]


def test_float_noise_of_an_average_does_not_cross_a_limit() -> None:
    mean = float(np.mean([0.2, 0.2, 0.2]))
    assert mean > 0.2  # 0.20000000000000004
    assert water.factor_class("TP", mean) == 3


def test_limit_lookup() -> None:
    assert water.limit("COD", 3) == 20
    assert water.limit("DO", 1) == 7.5
    assert water.limit("TP", 1, waterbody="lake") == 0.01
    with pytest.raises(ValueError, match="water_class"):
        water.limit("COD", 6)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: water.factor_class("CODcr", 1.0), ["factor", "'CODcr'", "CODMn"]),
        (lambda: water.factor_class("COD", [1.0, -2.0]), ["COD", "-2.0", "index 1", "≥ 0"]),
        (lambda: water.factor_class("COD", 1.0, waterbody="sea"), ["waterbody", "'sea'", "lake"]),
        (lambda: water.factor_class("pH", 15.0), ["pH", "15.0", "0 and 14"]),
        (lambda: water.section_class({"NH3N": 1.0}), ["values", "'NH3N'", "NH3-N"]),
        (lambda: water.section_class({"TP": -0.1}), ["TP", "-0.1"]),
    ],
)
def test_bad_input_names_argument_value_and_expectation(call, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value)


@settings(max_examples=150, deadline=None)
@given(
    factor=st.sampled_from([f for f in water.FACTORS if f not in ("pH", "DO")]),
    a=st.floats(0, 1e5, allow_nan=False),
    b=st.floats(0, 1e5, allow_nan=False),
    waterbody=st.sampled_from(["river", "lake"]),
)
def test_class_is_monotone_in_concentration(factor, a, b, waterbody) -> None:
    low, high = sorted((a, b))
    assert water.factor_class(factor, low, waterbody=waterbody) <= water.factor_class(
        factor, high, waterbody=waterbody
    )


@settings(max_examples=100, deadline=None)
@given(a=st.floats(0, 20, allow_nan=False), b=st.floats(0, 20, allow_nan=False))
def test_do_class_is_non_increasing_in_concentration(a, b) -> None:
    low, high = sorted((a, b))
    assert water.factor_class("DO", low) >= water.factor_class("DO", high)


# --------------------------------------------------------------------------- one section

POLLUTED = {
    "pH": 7.5,  # I
    "DO": 4.0,  # IV (3 ≤ 4 < 5)
    "CODMn": 13.2,  # V, multiple (13.2 − 6) / 6 = 1.2
    "NH3-N": 1.8,  # V, multiple (1.8 − 1) / 1 = 0.8
    "TP": 0.35,  # V (river), multiple (0.35 − 0.2) / 0.2 = 0.75
    "Pb": 0.06,  # V, multiple (0.06 − 0.05) / 0.05 = 0.2
    "COD": 18.0,  # III
    "TN": 3.0,  # 劣V, but TN is not in a section's class
    "fecal_coliform": 50000.0,  # 劣V, not in a section's class either
}


def test_section_class_worst_factor_and_deciding() -> None:
    result = water.section_class(POLLUTED)
    assert result.water_class == 5
    assert result.label == "V"
    assert (result.status, result.status_en, result.colour) == (
        "中度污染",
        "moderately polluted",
        "orange",
    )
    assert set(result.deciding) == {"CODMn", "NH3-N", "TP", "Pb"}
    assert set(result.evaluated) == {"pH", "DO", "CODMn", "NH3-N", "TP", "Pb", "COD"}
    assert result.tn_class is None
    assert dict(result.classes)["TN"] == 6


def test_over_standard_factors_and_multiples() -> None:
    result = water.section_class(POLLUTED)
    assert {name for name, _ in result.over_standard} == {"DO", "CODMn", "NH3-N", "TP", "Pb"}
    multiples = result.multiples
    assert "DO" not in multiples  # no multiple for DO (nor pH)
    assert multiples["CODMn"] == pytest.approx((13.2 - 6) / 6)
    assert multiples["NH3-N"] == pytest.approx(0.8)
    assert multiples["TP"] == pytest.approx(0.75)
    assert multiples["Pb"] == pytest.approx(0.2)


def test_main_pollutants_heavy_metals_first_then_by_multiple() -> None:
    result = water.section_class(POLLUTED)
    # Lead exceeds: it comes first; then the class-V factors by multiple: CODMn 1.2, NH3-N 0.8.
    assert result.main_pollutants == ("Pb", "CODMn", "NH3-N")
    assert result.main_pollutant_labels() == ("铅(0.2)", "高锰酸盐指数(1.2)", "氨氮(0.8)")


def test_main_pollutants_worst_class_before_larger_multiple() -> None:
    # TP 0.45 is 劣V with multiple 1.25; CODMn 14 is V with multiple 1.33: class decides first.
    result = water.section_class({"TP": 0.45, "CODMn": 14.0, "BOD5": 5.0, "NH3-N": 1.2})
    assert result.water_class == 6
    assert result.label == "劣V"
    assert (result.status, result.colour) == ("重度污染", "red")
    assert result.deciding == ("TP",)
    assert result.main_pollutants == ("TP", "CODMn", "BOD5")
    assert result.main_pollutant_labels(digits=2) == (
        "总磷(1.25)",
        "高锰酸盐指数(1.33)",
        "五日生化需氧量(0.25)",
    )


def test_no_main_pollutants_when_excellent_or_good() -> None:
    good = water.section_class({"COD": 18.0, "NH3-N": 0.3, "DO": 8.0})
    assert (good.water_class, good.status, good.colour) == (3, "良好", "green")
    assert good.main_pollutants == () and good.over_standard == ()
    excellent = water.section_class({"COD": 15.0, "DO": 6.5})
    assert (excellent.water_class, excellent.label, excellent.status) == (2, "II", "优")
    assert excellent.colour == "blue"
    assert excellent.deciding == ("DO",)


def test_ph_and_do_have_no_multiple_and_rank_last_in_their_class() -> None:
    result = water.section_class({"pH": 9.5, "DO": 1.0, "COD": 45.0})
    assert result.water_class == 6
    assert set(result.deciding) == {"pH", "DO", "COD"}
    assert result.main_pollutants[0] == "COD"
    assert result.main_pollutant_labels()[0] == "化学需氧量(1.2)"  # (45 − 20) / 20 = 1.25 → 1.2
    assert set(result.main_pollutant_labels()[1:]) == {"pH值", "溶解氧"}


def test_status_label_and_colour_per_class() -> None:
    expected = {
        1: ("优", "blue"),
        2: ("优", "blue"),
        3: ("良好", "green"),
        4: ("轻度污染", "yellow"),
        5: ("中度污染", "orange"),
        6: ("重度污染", "red"),
    }
    for k, (zh, colour) in expected.items():
        status = water.section_status(k)
        assert (status[0], status[2]) == (zh, colour)


def test_lake_tn_evaluated_separately() -> None:
    result = water.section_class({"TP": 0.04, "TN": 1.2, "CODMn": 3.0}, waterbody="lake")
    assert result.water_class == 3  # TP 0.04 → lake III; CODMn 3 → II; TN left out
    assert result.tn_class == 4
    assert "TN" not in result.evaluated


def test_missing_values_are_left_out() -> None:
    result = water.section_class({"COD": None, "TP": float("nan"), "DO": 6.0})
    assert result.evaluated == ("DO",)
    assert result.water_class == 2
    nothing = water.section_class({"COD": None})
    assert nothing.water_class == water.MISSING and nothing.label == "NA"


# --------------------------------------------------------------------------- many sections


def test_section_classes_vectorised_matches_hand_values() -> None:
    columns = {
        "COD": [15.0, 35.0, np.nan, 50.0],
        "TP": [0.1, 0.4, np.nan, 0.5],
        "DO": [8.0, 1.0, np.nan, 5.0],
    }
    out = water.section_classes(columns)
    assert out["water_class"].to_list() == [2, 6, 0, 6]
    assert out["label"].to_list() == ["II", "劣V", None, "劣V"]
    assert out["deciding"].to_list() == ["TP", "DO", None, "COD,TP"]


def test_section_classes_from_polars_with_lake_tn() -> None:
    frame = pl.DataFrame({"TP": [0.02, 0.15], "TN": [0.4, 2.5]})  # lake TP: II, V
    out = water.section_classes(frame, waterbody="reservoir")
    assert out["water_class"].to_list() == [2, 5]
    assert out["tn_class"].to_list() == [2, 6]


def test_section_classes_rejects_unknown_column() -> None:
    with pytest.raises(ValueError, match="'station'"):
        water.section_classes({"COD": [1.0], "station": [1.0]})


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "COD": st.one_of(st.none(), st.floats(0, 60)),
                "DO": st.one_of(st.none(), st.floats(0, 12)),
                "TP": st.one_of(st.none(), st.floats(0, 0.6)),
                "pH": st.one_of(st.none(), st.floats(4, 11)),
            }
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["river", "lake"]),
)
def test_vectorised_agrees_with_scalar(rows, waterbody) -> None:
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    out = water.section_classes(columns, waterbody=waterbody)
    for row, got, deciding in zip(rows, out["water_class"], out["deciding"], strict=True):
        one = water.section_class(row, waterbody=waterbody)
        assert got == one.water_class
        assert (deciding or "") == ",".join(one.deciding)


# --------------------------------------------------------------------------- river status


def status_of(n_good: int, n_iv: int, n_inferior: int) -> str:
    classes = [2] * n_good + [4] * n_iv + [6] * n_inferior
    return water.river_status(classes).status


def test_share_table_edges() -> None:
    assert status_of(9, 1, 0) == "优"  # I–III 90 %
    assert status_of(17, 3, 0) == "良好"  # 85 %
    assert status_of(15, 5, 0) == "良好"  # exactly 75 %
    assert status_of(149, 51, 0) == "轻度污染"  # 74.5 %
    assert status_of(14, 3, 3) == "轻度污染"  # 70 %, 劣V 15 %
    assert status_of(14, 2, 4) == "中度污染"  # 劣V exactly 20 %
    assert status_of(50, 11, 39) == "中度污染"  # 劣V 39 %
    assert status_of(10, 2, 8) == "重度污染"  # 劣V exactly 40 %, I–III 50 %
    assert status_of(6, 0, 4) == "重度污染"  # the 60 % / 40 % corner (⚑)
    assert status_of(0, 0, 5) == "重度污染"


def test_share_table_75_percent_wins_over_inferior_v() -> None:
    # I–III 75 % and 劣V 25 %: the I–III rows come first in the table.
    assert status_of(15, 0, 5) == "良好"


def test_river_status_shares_and_missing_sections() -> None:
    result = water.river_status([1, 2, 3, 4, 6, 0, float("nan")])
    assert result.n_sections == 5
    assert result.share_i_iii == pytest.approx(0.6)
    assert result.share_inferior_v == pytest.approx(0.2)
    assert (result.status, result.colour, result.method) == ("中度污染", "orange", "share")


def test_share_table_needs_five_sections() -> None:
    with pytest.raises(ValueError, match="at least 5"):
        water.river_status([1, 2, 3, 6])
    with pytest.raises(ValueError, match="classes"):
        water.river_status([1, 2, 3, 4, 7])


def test_fewer_than_five_sections_average_each_factor() -> None:
    # Means: COD (10 + 20 + 33) / 3 = 21 → IV; NH3-N (0.5 + 1.0 + 1.5) / 3 = 1.0 → III.
    result = water.river_status_from_values({"COD": [10.0, 20.0, 33.0], "NH3-N": [0.5, 1.0, 1.5]})
    assert result.method == "mean"
    assert result.section is not None
    assert result.section.water_class == 4
    assert result.section.deciding == ("COD",)
    assert (result.status, result.colour) == ("轻度污染", "yellow")
    assert result.n_sections == 3


def test_five_sections_use_the_share_table() -> None:
    # Classes by COD: I, I, III, IV, 劣V → I–III 60 %, 劣V 20 % → 中度污染.
    result = water.river_status_from_values({"COD": [10.0, 14.0, 19.0, 25.0, 45.0]})
    assert result.method == "share"
    assert result.status == "中度污染"


def test_lakes_always_average() -> None:
    values = {"TP": [0.02, 0.03, 0.04, 0.05, 0.06], "TN": [1.0] * 5}
    result = water.river_status_from_values(values, waterbody="lake")
    assert result.method == "mean"
    assert result.section is not None
    assert result.section.water_class == 3  # mean TP 0.04 → lake III
    assert result.section.tn_class == 3


# --------------------------------------------------------------------------- TLI (§4.1)


def tli_j(name: str, x: float) -> float:
    """standards.md §4.1, written out by hand."""
    return {
        "chla": lambda: 10 * (2.5 + 1.086 * math.log(x)),
        "tp": lambda: 10 * (9.436 + 1.624 * math.log(x)),
        "tn": lambda: 10 * (5.453 + 1.694 * math.log(x)),
        "sd": lambda: 10 * (5.118 - 1.94 * math.log(x)),
        "codmn": lambda: 10 * (0.109 + 2.661 * math.log(x)),
    }[name]()


R = {"chla": 1.0, "tp": 0.84, "tn": 0.82, "sd": -0.83, "codmn": 0.83}


@pytest.mark.parametrize(
    ("name", "x", "hand"),
    [
        # chl-a 10 mg/m³: 10·(2.5 + 1.086·2.302585) = 50.0061
        ("chla", 10.0, 50.0061),
        # TP 0.05 mg/L: 10·(9.436 + 1.624·(−2.995732)) = 10·(9.436 − 4.865069) = 45.7093
        ("tp", 0.05, 45.7093),
        # TN 1.0 mg/L: 10·(5.453 + 0) = 54.53
        ("tn", 1.0, 54.53),
        # SD 1.5 m: 10·(5.118 − 1.94·0.405465) = 43.3140
        ("sd", 1.5, 43.3140),
        # CODMn 4 mg/L: 10·(0.109 + 2.661·1.386294) = 37.9793
        ("codmn", 4.0, 37.9793),
    ],
)
def test_tli_single_parameter_worked_examples(name: str, x: float, hand: float) -> None:
    result = water.tli(**{name: x})
    assert result.value == pytest.approx(hand, abs=1e-4)
    assert result.value == pytest.approx(tli_j(name, x), rel=1e-12)
    assert result.parameters == (name,)
    assert result.weights == (1.0,)


def test_tli_all_parameters_and_table_weights() -> None:
    values = {"chla": 10.0, "tp": 0.05, "tn": 1.0, "sd": 1.5, "codmn": 4.0}
    total = sum(r * r for r in R.values())
    expected = sum(R[n] ** 2 / total * tli_j(n, x) for n, x in values.items())
    result = water.tli(**values)
    assert result.value == pytest.approx(expected, rel=1e-12)
    # With the rounded W column of standards.md §4.1 instead of r²/Σr²: the same to 0.01.
    table_w = {"chla": 0.2663, "tp": 0.1879, "tn": 0.1790, "sd": 0.1834, "codmn": 0.1834}
    assert result.value == pytest.approx(
        sum(table_w[n] * tli_j(n, x) for n, x in values.items()), abs=0.01
    )
    # standards.md §4.1 W column.
    assert result.weights == pytest.approx((0.2663, 0.1879, 0.1790, 0.1834, 0.1834), abs=5e-5)
    assert (result.trophic_class, result.label_zh, result.label_en) == (2, "中营养", "mesotrophic")


def test_tli_renormalises_over_present_parameters() -> None:
    result = water.tli(chla=20.0, tp=None, tn=2.0, sd=float("nan"))
    total = 1.0 + 0.82**2
    expected = (1.0 * tli_j("chla", 20.0) + 0.82**2 * tli_j("tn", 2.0)) / total
    assert result.parameters == ("chla", "tn")
    assert result.weights == pytest.approx((1 / total, 0.82**2 / total))
    assert result.value == pytest.approx(expected, rel=1e-12)


def test_tli_array_renormalises_per_element() -> None:
    out = water.tli_array(chla=[10.0, np.nan], tp=[0.05, 0.05])
    both = (tli_j("chla", 10.0) + 0.84**2 * tli_j("tp", 0.05)) / (1 + 0.84**2)
    assert out[0] == pytest.approx(both)
    assert out[1] == pytest.approx(tli_j("tp", 0.05))


def test_trophic_classes_at_boundaries() -> None:
    values = [29.99, 30.0, 50.0, 50.01, 60.0, 60.01, 70.0, 70.01, float("nan")]
    assert water.trophic_state(values).tolist() == [1, 2, 2, 3, 3, 4, 4, 5, 0]
    # chl-a 60 mg/m³: 25 + 10.86·ln 60 = 25 + 10.86·4.094345 = 69.46 → 中度富营养.
    middle = water.tli(chla=60.0)
    assert (middle.trophic_class, middle.label_zh, middle.label_en) == (
        4,
        "中度富营养",
        "middle eutrophic",
    )
    # chl-a 100 mg/m³: 25 + 10.86·4.605170 = 75.01 → 重度富营养.
    assert water.tli(chla=100.0).label_zh == "重度富营养"
    # chl-a 2 mg/m³: 25 + 10.86·0.693147 = 32.53 → 中营养; chl-a 1 → 25 → 贫营养.
    assert water.tli(chla=2.0).label_zh == "中营养"
    assert water.tli(chla=1.0).label_zh == "贫营养"


def test_tli_bad_input() -> None:
    with pytest.raises(ValueError, match="chla"):
        water.tli(chla=0.0)
    with pytest.raises(ValueError, match="at least one"):
        water.tli()


# --------------------------------------------------------------------------- HJ 212 codes


def test_hj212_codes_of_the_reference() -> None:
    # standards.md §6 and hj212.md §5.3 (HJ 212-2017 Table B.1).
    expected = {
        "w01001": "pH",
        "w01009": "DO",
        "w01019": "CODMn",
        "w01018": "COD",
        "w21003": "NH3-N",
        "w21011": "TP",
        "w21001": "TN",
        "w01017": "BOD5",
        "w22001": "oil",
        "w20117": "Cr6",
        "w20111": "Hg",
        "w21016": "CN",
        "w23002": "phenol",
    }
    for code, factor in expected.items():
        assert water.factor_from_hj212(code) == factor
    assert set(c.factor for c in water.HJ212_WATER_CODES.values()) <= set(water.FACTORS)


def test_hj212_wire_units_convert_to_mg_per_litre() -> None:
    mercury = water.HJ212_WATER_CODES["w20111"]  # 总汞, µg/L on the wire
    assert mercury.wire_unit == "µg/L"
    assert water.factor_class("Hg", 0.08 * mercury.to_table_unit) == 3  # 0.08 µg/L = 0.00008 mg/L
    with pytest.raises(ValueError, match="w01010"):
        water.factor_from_hj212("w01010")  # water temperature has no class
