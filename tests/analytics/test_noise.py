"""Noise assessment over stored hourly L_Aeq (GB 3096-2008, docs/reference/standards.md §5)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from ecohub.analytics.noise import assess_noise
from ecohub.standards.noise import Periods, Validity
from ecohub.store import open_store

from ._stores import add_object, cst, hourly, write

DAY = dt.date(2026, 3, 2)


def energy_mean(levels: list[float]) -> float:
    """10·lg of the mean of 10^(L/10) — the reference's definition, never an arithmetic mean."""
    return 10 * math.log10(sum(10 ** (x / 10) for x in levels) / len(levels))


@pytest.fixture
def store(tmp_path):
    with open_store(data_dir=tmp_path, migrate=True) as opened:
        yield opened


def test_day_and_night_levels_limits_and_city_share(store):
    n = add_object(store, "N1", "noise_station", "合肥市", "340100", zone_class="2")
    # Hours starting 06:00 … 21:00 CST are the day, 22:00 … 05:00 (next morning) the night.
    day = [60.0, 70.0] * 8
    night = [45.0] * 8
    # 00:00-05:00 on DAY belong to the previous night, which is not asked for.
    levels = [30.0] * 6 + day + night
    flags = ["N"] * len(levels)
    levels[10], flags[10] = 95.0, "D"  # an instrument fault inside the day: not counted
    write(store, hourly(n, "Leq", cst(2026, 3, 2), levels, flags))
    result = assess_noise(store, DAY, DAY)
    row = result.daily.row(0, named=True)
    expected_ld = energy_mean([v for i, v in enumerate(day) if i != 4])
    assert row["date"] == DAY and result.daily.height == 1
    assert row["Ld_dB"] == pytest.approx(expected_ld)
    assert row["Ln_dB"] == pytest.approx(45.0)
    assert (row["n_day_hours"], row["n_night_hours"], row["complete"]) == (15, 8, False)
    assert (row["day_limit_dB"], row["night_limit_dB"]) == (60, 50)  # zone 2, Table 1
    assert row["day_exceedance_dB"] == pytest.approx(expected_ld - 60)
    assert row["night_exceedance_dB"] == pytest.approx(-5.0)
    assert (row["day_complies"], row["night_complies"]) == (False, True)
    city = result.cities.row(0, named=True)
    assert (city["day_compliance"], city["night_compliance"]) == (0.0, 1.0)


def test_day_boundaries_are_a_setting(store):
    n = add_object(store, "N1", "noise_station", "合肥市", "340100", zone_class="1")
    # 24 hours from 00:00: 50 dB until 06:59, then 40 dB.
    write(store, hourly(n, "Leq", cst(2026, 3, 2), [50.0] * 7 + [40.0] * 17 + [40.0] * 7))
    default = assess_noise(store, DAY, DAY).daily.row(0, named=True)
    later = assess_noise(store, DAY, DAY, periods=Periods(dt.time(7), dt.time(23)))
    shifted = later.daily.row(0, named=True)
    assert default["Ld_dB"] == pytest.approx(energy_mean([50.0] + [40.0] * 15))
    assert shifted["Ld_dB"] == pytest.approx(40.0)
    assert (shifted["n_day_hours"], shifted["n_night_hours"]) == (16, 8)


def test_zone_4b_beside_an_existing_railway(store):
    n = add_object(store, "N1", "noise_station", "合肥市", "340100", zone_class="4b",
                   existing_railway=True)
    write(store, hourly(n, "Leq", cst(2026, 3, 2, 6), [65.0] * 16 + [58.0] * 8))
    row = assess_noise(store, DAY, DAY).daily.row(0, named=True)
    assert (row["night_limit_dB"], row["night_complies"]) == (55, False)  # not 60 (§5)
    assert row["night_exceedance_dB"] == pytest.approx(3.0)


def test_unknown_zone_class_names_the_station(store):
    n = add_object(store, "N9", "noise_station", "合肥市", "340100", zone_class="5")
    write(store, hourly(n, "Leq", cst(2026, 3, 2, 6), [50.0] * 24))
    with pytest.raises(ValueError, match=r"N9.*zone class '5'"):
        assess_noise(store, DAY, DAY)


def test_night_across_midnight_from_the_store(store):
    """The night of DAY is 22:00 DAY → 06:00 DAY + 1 (GB 3096-2008 clause 3), all 8 hours."""
    n = add_object(store, "N1", "noise_station", "合肥市", "340100", zone_class="1")
    # 06:00 … 21:00 at 50 dB; 22:00 … 01:00 at 60 dB; 02:00 … 05:00 (next day) at 40 dB
    write(store, hourly(n, "Leq", cst(2026, 3, 2, 6), [50.0] * 16 + [60.0] * 4 + [40.0] * 4))
    row = assess_noise(store, DAY, DAY).daily.row(0, named=True)
    # by hand: 10·lg((4·10^6 + 4·10^4) / 8) = 10·lg(505 000) = 57.033 dB; 22:00–24:00 alone
    # would give 60 dB
    assert row["Ln_dB"] == pytest.approx(10 * math.log10(505_000))
    assert row["Ln_dB"] == pytest.approx(57.033, abs=1e-3)
    assert (row["n_night_hours"], row["night_valid"], row["complete"]) == (8, True, True)
    assert row["night_exceedance_dB"] == pytest.approx(row["Ln_dB"] - 45)  # zone 1 night 45
    assert row["night_complies"] is False


def test_incomplete_night_is_shown_and_not_judged(store):
    n = add_object(store, "N1", "noise_station", "合肥市", "340100", zone_class="2")
    # a full quiet day, then only 22:00 and 23:00 of the night — loud, 70 dB over a 50 limit
    write(store, hourly(n, "Leq", cst(2026, 3, 2, 6), [55.0] * 16 + [70.0] * 2))
    result = assess_noise(store, DAY, DAY)
    row = result.daily.row(0, named=True)
    assert row["Ln_dB"] == pytest.approx(70.0)  # reported …
    assert (row["n_night_hours"], row["night_valid"]) == (2, False)  # … as 2 of 8 hours …
    assert row["night_exceedance_dB"] is None and row["night_complies"] is None  # … unjudged
    assert (row["day_valid"], row["day_complies"]) == (True, True)
    city = result.cities.row(0, named=True)
    assert (city["night_station_days"], city["night_not_judged"]) == (0, 1)
    assert city["night_compliance"] is None
    assert (city["day_station_days"], city["day_not_judged"]) == (1, 0)
    # a bureau that accepts 2 night hours gets a verdict
    lenient = assess_noise(store, DAY, DAY, validity=Validity(min_night_hours=2))
    judged = lenient.daily.row(0, named=True)
    assert (judged["night_valid"], judged["night_complies"]) == (True, False)
    assert judged["night_exceedance_dB"] == pytest.approx(20.0)


def test_moved_boundary_over_the_store_counts_the_moved_night(store):
    n = add_object(store, "N1", "noise_station", "合肥市", "340100", zone_class="1")
    # 07:00 DAY … 06:00 DAY + 1 under a 07:00 / 23:00 setting: the night is 23:00 … 06:00
    write(store, hourly(n, "Leq", cst(2026, 3, 2, 7), [52.0] * 16 + [44.0] * 8))
    periods = Periods(dt.time(7), dt.time(23))
    row = assess_noise(store, DAY, DAY, periods=periods).daily.row(0, named=True)
    assert (row["n_day_hours"], row["n_night_hours"]) == (16, 8)
    assert (row["day_valid"], row["night_valid"]) == (True, True)
    assert row["Ln_dB"] == pytest.approx(44.0) and row["night_complies"] is True
    # under the standard's 06:00 / 22:00 the same data lacks 06:00 of DAY, and 06:00 of DAY + 1
    # starts the next day: the night holds 22:00 … 05:00 = 8 hours, the day 15 of 16
    standard = assess_noise(store, DAY, DAY).daily.row(0, named=True)
    assert (standard["n_day_hours"], standard["n_night_hours"]) == (15, 8)
    assert standard["day_valid"] is True and standard["complete"] is False
