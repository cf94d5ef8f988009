"""Surface-water assessment over stored readings (GB 3838-2002 and the 2011 evaluation method,
docs/reference/standards.md §4)."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest

from ecohub.analytics.water import assess_water
from ecohub.store import open_store

from ._stores import add_object, cst, hourly, write

PH, DO, CODMN, NH3N, TP, TN = "w01001", "w01009", "w01019", "w21003", "w21011", "w21001"
DAY = dt.date(2026, 3, 2)


@pytest.fixture
def store(tmp_path):
    with open_store(data_dir=tmp_path, migrate=True) as opened:
        yield opened


def section(store, code, city="合肥市", city_code="340100", water="南淝河", waterbody="river"):
    return add_object(store, code, "water_station", city, city_code, water=water,
                      waterbody=waterbody, target_class=3)


@pytest.fixture
def region(store):
    r1 = section(store, "R1")
    start = cst(2026, 3, 2, 8)
    write(store,
          hourly(r1, CODMN, start, [5.0, 7.0]),
          hourly(r1, NH3N, start, [1.2, 1.4, 9.9], flags=["N", "N", "D"]),
          hourly(r1, DO, start, [6.5, 5.5]),
          hourly(r1, PH, start, [7.0, 7.4]))
    # Four more sections of the same river: NH3-N classes II, III, III, 劣V (Table 1 limits
    # 0.5 / 1.0 / 2.0).
    for i, nh3n in enumerate([0.4, 0.8, 0.9, 2.5], start=2):
        write(store, hourly(section(store, f"R{i}"), NH3N, start, [nh3n]))
    lake = section(store, "L1", city="巢湖市", city_code="340181", water="巢湖", waterbody="lake")
    write(store, hourly(lake, TP, start, [0.04]), hourly(lake, TN, start, [1.2]),
          hourly(lake, CODMN, start, [4.0]))
    return assess_water(store, DAY, DAY)


def test_section_class_deciding_factor_and_target(region):
    r1 = region.sections.filter(pl.col("code") == "R1").row(0, named=True)
    # Means: CODMn 6 → III (≤ 6), NH3-N 1.3 → IV (≤ 1.5; the D-flagged 9.9 is not counted),
    # DO 6.0 → II (≥ 6), pH 7.2 → I: the section is IV, decided by NH3-N.
    assert r1["CODMn_mg_L"] == pytest.approx(6.0)
    assert r1["NH3-N_mg_L"] == pytest.approx(1.3)
    assert (r1["water_class"], r1["label"], r1["status"], r1["deciding"]) == (
        4, "IV", "轻度污染", "NH3-N")
    # Over class III: multiple (1.3 − 1.0) / 1.0 = 0.3.
    assert r1["over_standard"] == "氨氮(0.30)" and r1["main_pollutants"] == "氨氮(0.30)"
    assert (r1["target_class"], r1["complies"]) == (3, False)
    factors = region.factors.filter(pl.col("code") == "R1", pl.col("factor") == "NH3-N")
    assert factors.row(0, named=True)["multiple"] == pytest.approx(0.3)


def test_river_status_from_the_share_table(region):
    river = region.waterbodies.filter(pl.col("water") == "南淝河").row(0, named=True)
    # Classes IV, II, III, III, 劣V: I–III 60 % < 75 %, 劣V 20 % → 中度污染.
    assert (river["method"], river["n_sections"], river["status"]) == ("share", 5, "中度污染")
    assert (river["share_i_iii"], river["share_inferior_v"]) == (pytest.approx(0.6),
                                                                  pytest.approx(0.2))
    city = region.cities.filter(pl.col("city") == "合肥市").row(0, named=True)
    assert (city["method"], city["status"]) == ("share", "中度污染")


def test_lake_limits_tn_and_tli(region):
    lake = region.sections.filter(pl.col("code") == "L1").row(0, named=True)
    # TP 0.04: lake class III (≤ 0.05; a river would be II), TN 1.2 → IV, classed separately.
    assert (lake["water_class"], lake["deciding"], lake["tn_class"]) == (3, "TP", 4)
    # TLI from TP, TN, CODMn with the weights renormalised over those three (§4.1).
    parts = {"tp": (0.84, 9.436 + 1.624 * math.log(0.04)),
             "tn": (0.82, 5.453 + 1.694 * math.log(1.2)),
             "codmn": (0.83, 0.109 + 2.661 * math.log(4.0))}
    weight = sum(r**2 for r, _ in parts.values())
    expected = sum(r**2 / weight * 10 * t for r, t in parts.values())
    assert lake["tli"] == pytest.approx(expected)
    assert lake["tli_parameters"] == "tp,tn,codmn"
    body = region.waterbodies.filter(pl.col("water") == "巢湖").row(0, named=True)
    # One section: the averaging rule, not the share table.
    assert (body["method"], body["water_class"], body["status"]) == ("mean", 3, "良好")
    assert body["tli"] == pytest.approx(expected)


def test_bad_target_class_names_the_section(store):
    w = add_object(store, "X1", "water_station", "合肥市", "340100", water="河",
                   waterbody="river", target_class="VII")
    write(store, hourly(w, NH3N, cst(2026, 3, 2, 8), [0.4]))
    with pytest.raises(ValueError, match="X1.*target_class='VII'"):
        assess_water(store, DAY, DAY)


def test_a_section_without_valid_readings_stays_listed_unclassed(store):
    quiet = section(store, "Q1")
    write(store, hourly(quiet, NH3N, cst(2026, 3, 2, 8), [0.4], flags="D"))
    result = assess_water(store, DAY, DAY)
    row = result.sections.row(0, named=True)
    assert (row["code"], row["n_readings"], row["water_class"], row["complies"]) == (
        "Q1", 0, None, None)
    assert result.waterbodies.row(0, named=True)["status"] == "NA"
