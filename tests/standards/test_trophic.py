"""Tests of ecohub.standards.trophic: the CNEMC comprehensive trophic level index TLI(Σ)
as transcribed in docs/reference/standards.md §4.1, worked by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecohub.standards import trophic

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
    result = trophic.tli(**{name: x})
    assert result.value == pytest.approx(hand, abs=1e-4)
    assert result.value == pytest.approx(tli_j(name, x), rel=1e-12)
    assert result.parameters == (name,)
    assert result.weights == (1.0,)


def test_tli_all_parameters_and_table_weights() -> None:
    values = {"chla": 10.0, "tp": 0.05, "tn": 1.0, "sd": 1.5, "codmn": 4.0}
    total = sum(r * r for r in R.values())
    expected = sum(R[n] ** 2 / total * tli_j(n, x) for n, x in values.items())
    result = trophic.tli(**values)
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
    result = trophic.tli(chla=20.0, tp=None, tn=2.0, sd=float("nan"))
    total = 1.0 + 0.82**2
    expected = (1.0 * tli_j("chla", 20.0) + 0.82**2 * tli_j("tn", 2.0)) / total
    assert result.parameters == ("chla", "tn")
    assert result.weights == pytest.approx((1 / total, 0.82**2 / total))
    assert result.value == pytest.approx(expected, rel=1e-12)


def test_tli_array_renormalises_per_element() -> None:
    out = trophic.tli_array(chla=[10.0, np.nan], tp=[0.05, 0.05])
    both = (tli_j("chla", 10.0) + 0.84**2 * tli_j("tp", 0.05)) / (1 + 0.84**2)
    assert out[0] == pytest.approx(both)
    assert out[1] == pytest.approx(tli_j("tp", 0.05))


def test_trophic_classes_at_boundaries() -> None:
    values = [29.99, 30.0, 50.0, 50.01, 60.0, 60.01, 70.0, 70.01, float("nan")]
    assert trophic.trophic_state(values).tolist() == [1, 2, 2, 3, 3, 4, 4, 5, 0]
    # chl-a 60 mg/m³: 25 + 10.86·ln 60 = 25 + 10.86·4.094345 = 69.46 → 中度富营养.
    middle = trophic.tli(chla=60.0)
    assert (middle.trophic_class, middle.label_zh, middle.label_en) == (
        4,
        "中度富营养",
        "middle eutrophic",
    )
    # chl-a 100 mg/m³: 25 + 10.86·4.605170 = 75.01 → 重度富营养.
    assert trophic.tli(chla=100.0).label_zh == "重度富营养"
    # chl-a 2 mg/m³: 25 + 10.86·0.693147 = 32.53 → 中营养; chl-a 1 → 25 → 贫营养.
    assert trophic.tli(chla=2.0).label_zh == "中营养"
    assert trophic.tli(chla=1.0).label_zh == "贫营养"


def test_tli_bad_input() -> None:
    with pytest.raises(ValueError, match="chla"):
        trophic.tli(chla=0.0)
    with pytest.raises(ValueError, match="at least one"):
        trophic.tli()
