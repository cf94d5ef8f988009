"""Tests of ecohub.standards.gb3838 against GB 3838-2002 Table 1 as transcribed in
docs/reference/standards.md §4, and of its HJ 212-2017 water codes.

Expected values come from this file's own copy of the reference tables and plain-Python rules,
never from the module's tables.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub import vocabulary
from ecohub.standards import gb3838

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
    assert gb3838.factor_class(factor, value) == expected
    if factor != "TP":  # Table 1 has one row for the others: the waterbody does not matter
        assert gb3838.factor_class(factor, value, waterbody="lake") == expected


@pytest.mark.parametrize(("factor", "k", "value"), list(boundary_cases({"TP": REFERENCE_TP_LAKE})))
def test_lake_tp_boundaries(factor: str, k: int, value: float) -> None:
    expected = expected_max_class(REFERENCE_TP_LAKE, value)
    assert gb3838.factor_class("TP", value, waterbody="lake") == expected
    assert gb3838.factor_class("TP", value, waterbody="reservoir") == expected


def test_at_the_limit_belongs_to_that_class() -> None:
    # Hand-read from Table 1: a value on a limit is in that class; shared limits → better class.
    assert gb3838.factor_class("COD", 15) == 1  # I and II share 15
    assert gb3838.factor_class("COD", 15.01) == 3
    assert gb3838.factor_class("CODMn", 6) == 3
    assert gb3838.factor_class("CODMn", 6.01) == 4
    assert gb3838.factor_class("Cu", 1.0) == 2  # II–V share 1.0
    assert gb3838.factor_class("Cu", 1.01) == 6
    assert gb3838.factor_class("CN", 0.2) == 3  # III–V share 0.2
    assert gb3838.factor_class("Hg", 0.00005) == 1
    assert gb3838.factor_class("Hg", 0.0001) == 3
    assert gb3838.factor_class("NH3-N", 2.0) == 5
    assert gb3838.factor_class("NH3-N", 2.01) == 6


def test_river_vs_lake_tp() -> None:
    # 0.05 mg/L: river class II (0.02 < 0.05 ≤ 0.1), lake class III (0.025 < 0.05 ≤ 0.05).
    assert gb3838.factor_class("TP", 0.05) == 2
    assert gb3838.factor_class("TP", 0.05, waterbody="lake") == 3
    # 0.3 mg/L: river IV, lake 劣V (> 0.2).
    assert gb3838.factor_class("TP", 0.3) == 4
    assert gb3838.factor_class("TP", 0.3, waterbody="lake") == 6


@pytest.mark.parametrize(("k", "minimum"), list(enumerate(REFERENCE_DO, start=1)))
def test_dissolved_oxygen_is_not_lower_than(k: int, minimum: float) -> None:
    assert gb3838.factor_class("DO", minimum) == k  # reaching the minimum is enough
    assert gb3838.factor_class("DO", minimum * 1.001) == k
    assert gb3838.factor_class("DO", minimum * 0.999) == k + 1  # 2 → 6 (劣V) below class V


def test_do_direction_examples() -> None:
    assert gb3838.factor_class("DO", [9.0, 7.5, 7.0, 4.0, 1.0]).tolist() == [1, 1, 2, 4, 6]


def test_ph_range() -> None:
    values = [5.99, 6.0, 7.0, 9.0, 9.01]
    assert gb3838.factor_class("pH", values).tolist() == [6, 1, 1, 1, 6]


def test_vectorised_shape_and_scalar() -> None:
    out = gb3838.factor_class("COD", np.array([[10.0, 25.0], [45.0, np.nan]]))
    assert out.shape == (2, 2)
    assert out.tolist() == [[1, 4], [6, gb3838.MISSING]]
    scalar = gb3838.factor_class("COD", 25.0)
    assert isinstance(scalar, int) and scalar == 4


def test_missing_is_never_a_class() -> None:
    assert gb3838.MISSING == 0
    assert gb3838.factor_class("TP", float("nan")) == gb3838.MISSING
    assert gb3838.factor_class("DO", [None, 5.0]).tolist() == [0, 3]
    assert gb3838.factor_class("pH", pl.Series([7.0, None])).tolist() == [1, 0]


def test_float_noise_of_an_average_does_not_cross_a_limit() -> None:
    mean = float(np.mean([0.2, 0.2, 0.2]))
    assert mean > 0.2  # 0.20000000000000004
    assert gb3838.factor_class("TP", mean) == 3


def test_limit_lookup() -> None:
    assert gb3838.limit("COD", 3) == 20
    assert gb3838.limit("DO", 1) == 7.5
    assert gb3838.limit("TP", 1, waterbody="lake") == 0.01
    with pytest.raises(ValueError, match="water_class"):
        gb3838.limit("COD", 6)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: gb3838.factor_class("CODcr", 1.0), ["factor", "'CODcr'", "CODMn"]),
        (lambda: gb3838.factor_class("COD", [1.0, -2.0]), ["COD", "-2.0", "index 1", "≥ 0"]),
        (lambda: gb3838.factor_class("COD", 1.0, waterbody="sea"), ["waterbody", "'sea'", "lake"]),
        (lambda: gb3838.factor_class("pH", 15.0), ["pH", "15.0", "0 and 14"]),
    ],
)
def test_bad_input_names_argument_value_and_expectation(call, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value)


@settings(max_examples=150, deadline=None)
@given(
    factor=st.sampled_from([f for f in gb3838.FACTORS if f not in ("pH", "DO")]),
    a=st.floats(0, 1e5, allow_nan=False),
    b=st.floats(0, 1e5, allow_nan=False),
    waterbody=st.sampled_from(["river", "lake"]),
)
def test_class_is_monotone_in_concentration(factor, a, b, waterbody) -> None:
    low, high = sorted((a, b))
    assert gb3838.factor_class(factor, low, waterbody=waterbody) <= gb3838.factor_class(
        factor, high, waterbody=waterbody
    )


@settings(max_examples=100, deadline=None)
@given(a=st.floats(0, 20, allow_nan=False), b=st.floats(0, 20, allow_nan=False))
def test_do_class_is_non_increasing_in_concentration(a, b) -> None:
    low, high = sorted((a, b))
    assert gb3838.factor_class("DO", low) >= gb3838.factor_class("DO", high)


# --------------------------------------------------------------------------- HJ 212 codes


def test_hj212_codes_of_the_reference() -> None:
    # standards.md §6 and HJ 212-2017 Table B.1.
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
        assert gb3838.factor_from_hj212(code) == factor
    assert set(gb3838.HJ212_WATER_CODES.values()) <= set(gb3838.FACTORS)
    assert set(gb3838.HJ212_WATER_CODES) <= set(vocabulary.FACTORS)


def test_hj212_wire_units_convert_to_mg_per_litre() -> None:
    assert vocabulary.FACTORS["w20111"].wire_unit == "µg/L"  # 总汞, µg/L on the wire
    to_table_unit = gb3838.hj212_to_table_unit("w20111")
    assert gb3838.factor_class("Hg", 0.08 * to_table_unit) == 3  # 0.08 µg/L = 0.00008 mg/L
    with pytest.raises(ValueError, match="w01010"):
        gb3838.factor_from_hj212("w01010")  # water temperature has no class


def test_hj212_units_that_are_not_concentrations_pass_unchanged() -> None:
    # The factor table spells pH's unit "" and fecal coliform's 个/L; Table 1 has the same units.
    assert gb3838.hj212_to_table_unit("w01001") == 1.0
    assert gb3838.hj212_to_table_unit("w02003") == 1.0
    assert gb3838.hj212_to_table_unit("w21011") == 1.0
