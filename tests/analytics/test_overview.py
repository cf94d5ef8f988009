"""The figures the pages and the cockpit show, computed in the domain: the daily ranking by AQI,
good days to date against the year before, the day's overview, water classes per day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import polars as pl
import pytest
from tests.web.data import LAST_DAY, populate_rich

from ecohub.analytics.air import (
    REGION,
    AirAssessment,
    assess_air,
    good_days_to_date,
    same_day_last_year,
)
from ecohub.analytics.overview import day_overview
from ecohub.analytics.water import daily_classes
from ecohub.ingest.reasons import REASONS, explain
from ecohub.store import Store, open_store


@pytest.fixture(scope="module")
def rich(tmp_path_factory) -> Iterator[Store]:
    store = open_store(data_dir=tmp_path_factory.mktemp("rich"), migrate=True)
    populate_rich(store)
    try:
        yield store
    finally:
        store.close()


def test_the_daily_ranking_ranks_by_aqi_ties_share_and_na_comes_last():
    daily = pl.DataFrame({
        "date": [LAST_DAY] * 4, "city": list("ABCD"), "city_code": ["1", "2", "3", "4"],
        "aqi": [80, None, 45, 80], "grade": [2, None, 1, 2],
        "category": ["良", None, "优", "良"], "colour_rgb": ["#FFFF00", None, "#00E400", "#FFFF00"],
        "primary": [["PM2.5"], None, [], ["O3"]], "edition": ["2026"] * 4,
        "stage": ["transition"] * 4, "PM2.5_ug_m3": [55.0, None, 20.0, 30.0]})
    assessment = AirAssessment(
        *(daily if name == "city_daily" else pl.DataFrame() for name in (
            "station_hourly", "station_daily", "city_hourly", "city_daily", "evaluation",
            "city_periods", "ranking")), start=None, end=None)
    ranked = assessment.daily_ranking
    assert ranked["city"].to_list() == ["C", "A", "D", "B"]
    assert ranked["rank"].to_list() == [1, 2, 2, None]
    assert ranked.columns[:5] == ["date", "rank", "city", "city_code", "aqi"]
    assert "PM2.5_ug_m3" in ranked.columns


def test_good_days_to_date_against_the_same_period_a_year_before(rich):
    frame = good_days_to_date(rich, LAST_DAY)
    cities = frame.filter(pl.col("city") != REGION)
    region = frame.filter(pl.col("city") == REGION).row(0, named=True)
    assert cities.height == 3 and frame["city"][-1] == REGION
    for row in cities.iter_rows(named=True):
        assert row["good_share"] == pytest.approx(row["good_days"] / row["valid_aqi_days"])
        assert row["change_pp"] == pytest.approx(
            (row["good_share"] - row["good_share_last"]) * 100)
        assert (row["from"], row["to"]) == (dt.date(2026, 1, 1), LAST_DAY)
        assert (row["from_last"], row["to_last"]) == (dt.date(2025, 1, 1), dt.date(2025, 12, 1))
    assert region["good_share"] == pytest.approx(cities["good_share"].mean())
    assert region["valid_aqi_days"] == cities["valid_aqi_days"].sum()
    # like for like: both periods under the edition in force on the day (not 2012 a year before)
    assert set(cities["edition"]) == set(cities["edition_last"]) == {"2026"}
    assert set(cities["stage_last"]) == {"transition"}
    old = good_days_to_date(rich, LAST_DAY, edition="2012")
    assert set(old["edition"].drop_nulls()) == set(old["edition_last"].drop_nulls()) == {"2012"}
    assert old["good_share"].to_list() != frame["good_share"].to_list()


def test_good_days_to_date_counts_as_the_whole_period_assessed(rich):
    """The empty months before the first reading are skipped (a year-long grid of empty hours
    was 7 s of the cockpit's 8): the counts are those of assessing 1 January to the day."""
    frame = good_days_to_date(rich, LAST_DAY).filter(pl.col("city") != REGION)
    whole = assess_air(rich, dt.date(2026, 1, 1), LAST_DAY, edition="2026",
                       stage="transition").city_periods.filter(pl.col("period") == "year")
    expected = {row["city"]: (row["good_days"], row["valid_aqi_days"])
                for row in whole.iter_rows(named=True)}
    assert {row["city"]: (row["good_days"], row["valid_aqi_days"])
            for row in frame.iter_rows(named=True)} == expected
    assert all(valid > 0 for _, valid in expected.values())
    first = rich.measurements.hours_extent(
        dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
    assert first is not None and first[0] > dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert rich.measurements.hours_extent(
        dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2020, 2, 1, tzinfo=dt.UTC)) is None


def test_same_day_last_year_of_29_february():
    assert same_day_last_year(dt.date(2028, 2, 29)) == dt.date(2027, 2, 28)
    assert same_day_last_year(dt.date(2026, 12, 1)) == dt.date(2025, 12, 1)


def test_the_overview_is_made_of_the_domains_figures(rich):
    overview = day_overview(rich, LAST_DAY)
    daily = assess_air(rich, LAST_DAY, LAST_DAY).daily_ranking
    air = overview["air"]["day"]
    assert air["cities"] == 3
    assert air["mean_aqi"] == round(daily["aqi"].mean())
    assert air["worst"]["city"] == daily["city"][-1]
    assert sum(c["cities"] for c in air["by_category"]) == 3
    assert [r["city"] for r in overview["ranking"]] == daily["city"].to_list()
    assert [t["date"] for t in overview["trend"]] == [
        LAST_DAY - dt.timedelta(days=d) for d in range(6, -1, -1)]
    assert overview["good_days"]["city"] == REGION
    water = overview["water"]["day"]
    assert (water["classed"], water["class_i_iii"]) == (2, 1) and water["share_i_iii"] == 0.5
    assert overview["exceedances"]["day"] == {"date": LAST_DAY, "limits": 2, "with_data": 1,
                                              "exceeded": 1, "outlets_exceeded": 1}
    assert overview["rejected"]["today"] == 3
    assert overview["loggers"]["registered"] == 7 and overview["loggers"]["sending"] == 3
    # the viewer's outlets only
    assert day_overview(rich, LAST_DAY, outlets=[])["exceedances"]["day"]["limits"] == 0


def test_water_classes_per_day(rich):
    frame = daily_classes(rich, dt.date(2026, 11, 28), LAST_DAY, section="W-001")
    assert frame["date"].to_list() == [dt.date(2026, 11, 28) + dt.timedelta(days=d)
                                       for d in range(4)]
    assert set(frame["code"]) == {"W-001"}
    one = daily_classes(rich, LAST_DAY, LAST_DAY)
    from ecohub.analytics.water import assess_water

    assert one["label"].to_list() == assess_water(rich, LAST_DAY, LAST_DAY).sections[
        "label"].to_list()
    with pytest.raises(ValueError, match="before"):
        daily_classes(rich, LAST_DAY, dt.date(2026, 11, 1))


def test_every_reason_the_gateway_gives_is_explained():
    import re
    from pathlib import Path

    import ecohub.ingest.hj212_server as server

    source = Path(server.__file__).read_text(encoding="utf-8")
    kinds = set(re.findall(r'self\._reject\([^"]*f?"([a-z_]+): ', source))
    assert {"password", "frame", "split"} <= kinds
    # reasons built before the call: the unknown MN's and a profile's refusal
    kinds |= {k for k in ("unknown_mn", "profile") if f'f"{k}: ' in source}
    assert {"unknown_mn", "profile"} <= kinds
    assert kinds <= set(REASONS), kinds - set(REASONS)
    assert explain("CRC") is REASONS["crc"]
    assert explain("no-such-kind").explanation and explain(None).action


def test_a_day_without_data_has_no_figures_and_no_error(rich):
    day = dt.date(2026, 6, 1)
    ranked = assess_air(rich, day, day).daily_ranking
    assert ranked.height == 0 and {"rank", "aqi", "category", "colour_rgb"} <= set(ranked.columns)
    overview = day_overview(rich, day)
    assert overview["air"]["day"]["cities"] == 0 and overview["air"]["day"]["mean_aqi"] is None
    assert overview["ranking"] == [] and overview["water"]["day"]["share_i_iii"] is None
