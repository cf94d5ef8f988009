"""GB 3095-2026 / GB 3095-2012 limits and Table 4 validity (reference §2)."""

import datetime as dt

import numpy as np
import pytest

from ecohub.standards import gb3095 as G

# reference §2.1 Table 1: (pollutant, averaging) → transition g1, g2, final g1, g2, 2012 g1, g2
TABLE_1 = {
    ("SO2", "year"): (20, 60, 20, 20, 20, 60), ("SO2", "day"): (50, 150, 50, 50, 50, 150),
    ("SO2", "hour"): (150, 500, 150, 150, 150, 500), ("NO2", "year"): (40, 40, 30, 30, 40, 40),
    ("NO2", "day"): (80, 80, 50, 50, 80, 80), ("NO2", "hour"): (200, 200, 200, 200, 200, 200),
    ("CO", "day"): (4, 4, 4, 4, 4, 4), ("CO", "hour"): (10, 10, 10, 10, 10, 10),
    ("O3", "max_8h"): (100, 160, 100, 160, 100, 160),
    ("O3", "hour"): (160, 200, 160, 200, 160, 200),
    ("PM10", "year"): (40, 60, 20, 50, 40, 70), ("PM10", "day"): (50, 120, 50, 100, 50, 150),
    ("PM2.5", "year"): (15, 30, 10, 25, 15, 35), ("PM2.5", "day"): (35, 60, 25, 50, 35, 75),
}


@pytest.mark.parametrize(("key", "row"), TABLE_1.items())
def test_table_1_all_editions_stages_grades(key, row):
    got = tuple(
        G.limit(*key, grade, edition=e, stage=s).value
        for e, s in (("2026", "transition"), ("2026", "final"), ("2012", None))
        for grade in (1, 2)
    )
    assert got == row


def test_table_2_other_items():
    final = {("TSP", "year"): 200, ("TSP", "day"): 300, ("NOx", "year"): 40, ("NOx", "day"): 70,
             ("NOx", "hour"): 250, ("Pb", "year"): 0.5, ("Pb", "quarter"): 1.0,
             ("BaP", "year"): 0.001, ("BaP", "day"): 0.0025}
    for key, value in final.items():
        assert G.limit(*key, 2, edition="2026", stage="final").value == value
    assert G.limit("NOx", "year", 1, edition="2026", stage="transition").value == 50
    assert G.limit("NOx", "day", 2, edition="2026", stage="transition").value == 100
    assert G.limit("TSP", "year", 1).value == 80


def test_limit_names_its_source():
    lim = G.limit("PM2.5", "day", 2)
    assert (lim.edition, lim.stage, lim.unit, lim.clause) == ("2026", "transition", "µg/m³",
                                                              "GB 3095-2026 Table 1")
    assert G.limit("CO", "day").unit == "mg/m³"
    assert G.limit("PM2.5", "day", edition="2012").stage is None


@pytest.mark.parametrize(
    ("day", "edition", "stage", "pm25_day"),
    [(dt.date(2026, 2, 28), "2012", None, 75), (dt.date(2026, 3, 1), "2026", "transition", 60),
     (dt.date(2030, 12, 31), "2026", "transition", 60), (dt.date(2031, 1, 1), "2026", "final", 50)],
)
def test_edition_by_date(day, edition, stage, pm25_day):
    assert G.edition_for_date(day) == G.EditionStage(edition, stage)
    lim = G.limit_in_force("PM2.5", "day", 2, day)
    assert (lim.edition, lim.stage, lim.value) == (edition, stage, pm25_day)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [({"pollutant": "PM25"}, "pollutant"), ({"averaging": "week"}, "averaging"),
     ({"grade": 3}, "grade"), ({"edition": "2020"}, "edition"), ({"stage": "early"}, "stage"),
     ({"pollutant": "CO", "averaging": "year"}, "averaging")],
)
def test_bad_input(kwargs, word):
    args = {"pollutant": "SO2", "averaging": "day"} | kwargs
    with pytest.raises(ValueError, match=word):
        G.limit(args.pop("pollutant"), args.pop("averaging"), **args)


def test_validity_table_4_edges():
    assert G.valid_day([19, 20]).tolist() == [False, True]
    assert G.valid_8h([5, 6]).tolist() == [False, True]
    assert G.valid_hour([44, 45]).tolist() == [False, True]
    assert G.valid_month([26, 27, 24, 25], [3, 3, 2, 2]).tolist() == [False, True, False, True]
    full = np.array([27, 25] + [27] * 10)
    assert G.valid_year(full + np.array([0, 0] + [3] * 10)) is True  # 324 + …
    assert G.valid_year(np.array([31, 25] + [27] * 9 + [0])) is False  # a month empty
    assert G.valid_year(np.full(12, 26) + (np.arange(12) < 11)) is False  # months invalid
    year = np.array([27] * 12)  # 324 days, each month 27
    assert G.valid_year(year) is True
    year[0] -= 1
    year[1] += 1  # 324 days but January 26
    assert G.valid_year(year) is False
    assert G.validity_rule("O3", "8h").minimum == 6
    with pytest.raises(ValueError, match="counts"):
        G.valid_day([-1])


def test_editions_for_days_in_force_and_fixed():
    days = np.array(["2026-02-28", "2026-03-01", "2030-12-31", "2031-01-01"], dtype="datetime64[D]")
    editions, stages = G.editions_for_days(days)
    assert editions.tolist() == ["2012", "2026", "2026", "2026"]
    assert stages.tolist() == [None, "transition", "transition", "final"]
    # one edition for the whole period: 2026 before its start takes the transition stage (⚑)
    assert G.editions_for_days(days, edition="2026")[1].tolist() == [
        "transition", "transition", "transition", "final"]
    assert G.editions_for_days(days, edition="2026", stage="final")[1].tolist() == ["final"] * 4
    editions, stages = G.editions_for_days(days, edition="2012")
    assert editions.tolist() == ["2012"] * 4 and stages.tolist() == [None] * 4
    with pytest.raises(ValueError, match="stage"):
        G.editions_for_days(days, edition="2026", stage="early")


def test_grade_for_zone():
    # GB 3095-2026 4.2: class-1 zones take the grade-1 limits, class-2 zones grade 2.
    assert G.grade_for_zone(["1", "2", 1, 2]).tolist() == [1, 2, 1, 2]
    assert G.grade_for_zone([None]).tolist() == [2]  # no zone class: grade 2 (⚑)
    with pytest.raises(ValueError, match="'3'"):
        G.grade_for_zone(["1", "3"])
