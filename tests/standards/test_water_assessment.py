"""Tests of ecohub.standards.water_assessment: the 2011 surface-water assessment method
(环办〔2011〕22号) as transcribed in docs/reference/standards.md §4 — section class, status,
multiples, main pollutants, river and lake status.

Expected values are worked out by hand in the comments, never taken from the module's tables.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.standards import gb3838, water_assessment

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
    result = water_assessment.section_class(POLLUTED)
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
    result = water_assessment.section_class(POLLUTED)
    assert {name for name, _ in result.over_standard} == {"DO", "CODMn", "NH3-N", "TP", "Pb"}
    multiples = result.multiples
    assert "DO" not in multiples  # no multiple for DO (nor pH)
    assert multiples["CODMn"] == pytest.approx((13.2 - 6) / 6)
    assert multiples["NH3-N"] == pytest.approx(0.8)
    assert multiples["TP"] == pytest.approx(0.75)
    assert multiples["Pb"] == pytest.approx(0.2)


def test_main_pollutants_heavy_metals_first_then_by_multiple() -> None:
    result = water_assessment.section_class(POLLUTED)
    # Lead exceeds: it comes first; then the class-V factors by multiple: CODMn 1.2, NH3-N 0.8.
    assert result.main_pollutants == ("Pb", "CODMn", "NH3-N")
    assert result.main_pollutant_labels() == ("铅(0.2)", "高锰酸盐指数(1.2)", "氨氮(0.8)")


def test_main_pollutants_worst_class_before_larger_multiple() -> None:
    # TP 0.45 is 劣V with multiple 1.25; CODMn 14 is V with multiple 1.33: class decides first.
    result = water_assessment.section_class({"TP": 0.45, "CODMn": 14.0, "BOD5": 5.0, "NH3-N": 1.2})
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
    good = water_assessment.section_class({"COD": 18.0, "NH3-N": 0.3, "DO": 8.0})
    assert (good.water_class, good.status, good.colour) == (3, "良好", "green")
    assert good.main_pollutants == () and good.over_standard == ()
    excellent = water_assessment.section_class({"COD": 15.0, "DO": 6.5})
    assert (excellent.water_class, excellent.label, excellent.status) == (2, "II", "优")
    assert excellent.colour == "blue"
    assert excellent.deciding == ("DO",)


def test_ph_and_do_have_no_multiple_and_rank_last_in_their_class() -> None:
    result = water_assessment.section_class({"pH": 9.5, "DO": 1.0, "COD": 45.0})
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
        status = water_assessment.section_status(k)
        assert (status[0], status[2]) == (zh, colour)


def test_lake_tn_evaluated_separately() -> None:
    result = water_assessment.section_class({"TP": 0.04, "TN": 1.2, "CODMn": 3.0}, waterbody="lake")
    assert result.water_class == 3  # TP 0.04 → lake III; CODMn 3 → II; TN left out
    assert result.tn_class == 4
    assert "TN" not in result.evaluated


def test_missing_values_are_left_out() -> None:
    result = water_assessment.section_class({"COD": None, "TP": float("nan"), "DO": 6.0})
    assert result.evaluated == ("DO",)
    assert result.water_class == 2
    nothing = water_assessment.section_class({"COD": None})
    assert nothing.water_class == gb3838.MISSING and nothing.label == "NA"

@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: water_assessment.section_class({"NH3N": 1.0}), ["values", "'NH3N'", "NH3-N"]),
        (lambda: water_assessment.section_class({"TP": -0.1}), ["TP", "-0.1"]),
    ],
)
def test_bad_input_names_argument_value_and_expectation(call, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value)


# --------------------------------------------------------------------------- many sections


def test_section_classes_vectorised_matches_hand_values() -> None:
    columns = {
        "COD": [15.0, 35.0, np.nan, 50.0],
        "TP": [0.1, 0.4, np.nan, 0.5],
        "DO": [8.0, 1.0, np.nan, 5.0],
    }
    out = water_assessment.section_classes(columns)
    assert out["water_class"].to_list() == [2, 6, 0, 6]
    assert out["label"].to_list() == ["II", "劣V", None, "劣V"]
    assert out["deciding"].to_list() == ["TP", "DO", None, "COD,TP"]


def test_section_classes_from_polars_with_lake_tn() -> None:
    frame = pl.DataFrame({"TP": [0.02, 0.15], "TN": [0.4, 2.5]})  # lake TP: II, V
    out = water_assessment.section_classes(frame, waterbody="reservoir")
    assert out["water_class"].to_list() == [2, 5]
    assert out["tn_class"].to_list() == [2, 6]


def test_section_classes_rejects_unknown_column() -> None:
    with pytest.raises(ValueError, match="'station'"):
        water_assessment.section_classes({"COD": [1.0], "station": [1.0]})


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
    out = water_assessment.section_classes(columns, waterbody=waterbody)
    for row, got, deciding in zip(rows, out["water_class"], out["deciding"], strict=True):
        one = water_assessment.section_class(row, waterbody=waterbody)
        assert got == one.water_class
        assert (deciding or "") == ",".join(one.deciding)


# --------------------------------------------------------------------------- river status


def status_of(n_good: int, n_iv: int, n_inferior: int) -> str:
    classes = [2] * n_good + [4] * n_iv + [6] * n_inferior
    return water_assessment.river_status(classes).status


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
    result = water_assessment.river_status([1, 2, 3, 4, 6, 0, float("nan")])
    assert result.n_sections == 5
    assert result.share_i_iii == pytest.approx(0.6)
    assert result.share_inferior_v == pytest.approx(0.2)
    assert (result.status, result.colour, result.method) == ("中度污染", "orange", "share")


def test_share_table_needs_five_sections() -> None:
    with pytest.raises(ValueError, match="at least 5"):
        water_assessment.river_status([1, 2, 3, 6])
    with pytest.raises(ValueError, match="classes"):
        water_assessment.river_status([1, 2, 3, 4, 7])


def test_fewer_than_five_sections_average_each_factor() -> None:
    # Means: COD (10 + 20 + 33) / 3 = 21 → IV; NH3-N (0.5 + 1.0 + 1.5) / 3 = 1.0 → III.
    result = water_assessment.river_status_from_values(
        {"COD": [10.0, 20.0, 33.0], "NH3-N": [0.5, 1.0, 1.5]}
    )
    assert result.method == "mean"
    assert result.section is not None
    assert result.section.water_class == 4
    assert result.section.deciding == ("COD",)
    assert (result.status, result.colour) == ("轻度污染", "yellow")
    assert result.n_sections == 3


def test_five_sections_use_the_share_table() -> None:
    # Classes by COD: I, I, III, IV, 劣V → I–III 60 %, 劣V 20 % → 中度污染.
    result = water_assessment.river_status_from_values({"COD": [10.0, 14.0, 19.0, 25.0, 45.0]})
    assert result.method == "share"
    assert result.status == "中度污染"


def test_lakes_always_average() -> None:
    values = {"TP": [0.02, 0.03, 0.04, 0.05, 0.06], "TN": [1.0] * 5}
    result = water_assessment.river_status_from_values(values, waterbody="lake")
    assert result.method == "mean"
    assert result.section is not None
    assert result.section.water_class == 3  # mean TP 0.04 → lake III
    assert result.section.tn_class == 3
