"""Air assessment over stored readings, checked against the worked examples of
docs/reference/standards.md (HJ 633 §1.2, GB 3095 Table 4 §2.3, HJ 663 §3)."""

from __future__ import annotations

import datetime as dt
from math import ceil

import polars as pl
import pyarrow as pa
import pytest

from ecohub.analytics.air import assess_air, to_standard_units
from ecohub.store import QC_FLAG_SCHEMA, open_store

from ._stores import add_object, cst, hourly, write

PM25, PM10, SO2, NO2, CO, O3 = "a34004", "a34002", "a21026", "a21004", "a21005", "a05024"
MARCH_1 = dt.date(2026, 3, 1)


@pytest.fixture
def store(tmp_path):
    with open_store(data_dir=tmp_path, migrate=True) as opened:
        yield opened


def station(store, code="A1", city="合肥市", city_code="340100", **attributes):
    return add_object(store, code, "air_station", city, city_code, **attributes)


def day_of(table: pl.DataFrame, day: dt.date, **match) -> dict:
    rows = table.filter(pl.col("date") == day, *(pl.col(k) == v for k, v in match.items()))
    assert rows.height == 1, rows
    return rows.row(0, named=True)


def test_pm25_daily_iaqi_follows_the_edition_of_the_day(store):
    # §1.2: PM2.5 24-h = 45 → IAQI 70 (HJ 633-2026), 62.5 → 63 (HJ 633-2012); switch 2026-03-01.
    a = station(store)
    write(store, hourly(a, PM25, cst(2026, 2, 28), [45.0] * 48))
    result = assess_air(store, dt.date(2026, 2, 28), MARCH_1)
    before, after = (day_of(result.station_daily, d) for d in (dt.date(2026, 2, 28), MARCH_1))
    assert (before["edition"], before["stage"], before["iaqi_PM2.5"]) == ("2012", None, 63)
    assert (after["edition"], after["stage"], after["iaqi_PM2.5"]) == ("2026", "transition", 70)
    assert before["PM2.5_ug_m3"] == after["PM2.5_ug_m3"] == 45
    # The other five indicators are missing and the AQI of PM2.5 alone is <= 100: "NA" (5.3).
    assert before["aqi"] is None and after["aqi"] is None
    # Like-for-like: one edition over the whole period.
    fixed = assess_air(store, dt.date(2026, 2, 28), MARCH_1, edition="2026")
    assert fixed.station_daily["iaqi_PM2.5"].to_list() == [70, 70]
    assert set(fixed.station_daily["edition"]) == {"2026"}


def test_hour_labels_and_real_time_pm_rule_of_each_edition(store):
    a = station(store)
    write(store, hourly(a, PM25, cst(2026, 2, 28), [45.0] * 48))
    hours = assess_air(store, dt.date(2026, 2, 28), MARCH_1).station_hourly
    assert hours.height == 48
    first = hours.row(0, named=True)
    assert first["period_start"] == dt.datetime(2026, 2, 28, tzinfo=dt.timezone(
        dt.timedelta(hours=8)))
    assert (first["date"], first["hour"]) == (dt.date(2026, 2, 28), "01:00")
    # 2012 real-time: the PM IAQI is that of the 24-hour moving mean (HJ 633-2012 5.1.3), valid
    # from 20 hours on (GB 3095 Table 4): hours 1-19 of the first day have none.
    feb = hours.filter(pl.col("date") == dt.date(2026, 2, 28))
    assert feb["iaqi_PM2.5"].null_count() == 19
    assert feb.row(23, named=True)["hour"] == "24:00"
    assert feb.row(23, named=True)["iaqi_PM2.5"] == 63
    # 2026 real-time: the 1-hour value with the 24-hour breakpoints, from the first hour.
    march = hours.filter(pl.col("date") == MARCH_1)
    assert march["iaqi_PM2.5"].to_list() == [70] * 24
    assert set(march["edition"]) == {"2026"}


@pytest.mark.parametrize("backend", ["embedded", pytest.param("postgresql",
                                                             marks=pytest.mark.postgres)])
def test_city_concentration_is_the_mean_of_its_stations(backend, request, tmp_path):
    # Two stations with 40 and 50 → city 45 → IAQI 70 (2026), HJ 663 city value ◐.
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    with open_store(url, data_dir=tmp_path, migrate=True) as store:
        a, b = station(store, "A1"), station(store, "A2")
        other = station(store, "B1", city="芜湖市", city_code="340200")
        write(store, hourly(a, PM25, cst(2026, 3, 2), [40.0] * 24),
              hourly(b, PM25, cst(2026, 3, 2), [50.0] * 24),
              hourly(other, PM25, cst(2026, 3, 2), [10.0] * 24))
        result = assess_air(store, dt.date(2026, 3, 2), dt.date(2026, 3, 2), city="合肥市")
    city = day_of(result.city_daily, dt.date(2026, 3, 2))
    assert (city["city"], city["n_stations"], city["PM2.5_ug_m3"]) == ("合肥市", 2, 45)
    assert city["iaqi_PM2.5"] == 70
    assert result.city_hourly["PM2.5_ug_m3"].to_list() == [45.0] * 24
    assert set(result.station_daily["code"]) == {"A1", "A2"}  # the city filter


def test_a_day_needs_20_valid_hours(store):
    # GB 3095 Table 4: a 24-hour mean needs >= 20 hourly means.
    a, b = station(store, "A1"), station(store, "A2")
    write(store, hourly(a, PM25, cst(2026, 3, 2), [30.0] * 19),
          hourly(b, PM25, cst(2026, 3, 2), [30.0] * 20))
    daily = assess_air(store, dt.date(2026, 3, 2), dt.date(2026, 3, 2)).station_daily
    assert day_of(daily, dt.date(2026, 3, 2), code="A1")["PM2.5_ug_m3"] is None
    assert day_of(daily, dt.date(2026, 3, 2), code="A1")["PM2.5_valid_hours"] == 19
    assert day_of(daily, dt.date(2026, 3, 2), code="A2")["PM2.5_ug_m3"] == 30


def test_device_flag_d_is_not_counted(store):
    # 20 normal hours of 40 and 4 hours of 400 flagged D (instrument fault): mean 40, not 100.
    a = station(store)
    write(store, hourly(a, PM25, cst(2026, 3, 2), [40.0] * 20 + [400.0] * 4,
                        flags=["N"] * 20 + ["D"] * 4))
    row = day_of(assess_air(store, dt.date(2026, 3, 2), dt.date(2026, 3, 2)).station_daily,
                 dt.date(2026, 3, 2))
    assert (row["PM2.5_ug_m3"], row["PM2.5_valid_hours"]) == (40, 20)


def test_reviews_and_qc_verdicts_decide_validity(store):
    a = station(store)
    values = [40.0] * 23 + [400.0]
    write(store, hourly(a, PM25, cst(2026, 3, 2), values))
    last = cst(2026, 3, 2, 23).astimezone(dt.UTC)
    key = {"mn": f"MN-{a}", "factor": PM25, "kind": "hour", "period_start": last,
           "statistic": "Avg"}

    def mean() -> float:
        daily = assess_air(store, dt.date(2026, 3, 2), dt.date(2026, 3, 2)).station_daily
        return day_of(daily, dt.date(2026, 3, 2))["PM2.5_ug_m3"]

    assert mean() == pytest.approx(sum(values) / 24)  # 55
    store.measurements.add_review(key, "reject", "张工", "spike after calibration", last)
    assert mean() == pytest.approx(40.0)
    # Automatic QC fails it as well; an operator's later "accept" wins over the QC verdict.
    store.measurements.write_flags(pa.Table.from_pylist([key | {
        "qc_flag": 4, "qc_tests": "spike:4", "qc_valid": False, "qc_version": "t",
        "checked_at": last}], schema=QC_FLAG_SCHEMA))
    store.measurements.add_review(key, "accept", "李工", "real dust event", last +
                                  dt.timedelta(hours=1))
    assert mean() == pytest.approx(55.0)


def test_units_are_converted_explicitly(store):
    # Air stations send CO in mg/m³ (kept), an outlet's SO2 arrives in mg/m³ (HJ 212 Table B.2
    # default) and becomes µg/m³.
    a = station(store)
    outlet_source = add_object(store, "S1", "pollution_source", "合肥市", "340100")
    write(store, hourly(a, CO, cst(2026, 3, 2), [1.2] * 24))
    row = day_of(assess_air(store, dt.date(2026, 3, 2), dt.date(2026, 3, 2)).station_daily,
                 dt.date(2026, 3, 2))
    assert row["CO_mg_m3"] == pytest.approx(1.2)
    readings = pl.DataFrame({"object_id": [outlet_source, a], "factor": [SO2, SO2],
                             "value": [0.5, 12.0]})
    types = pl.DataFrame({"object_id": [outlet_source, a],
                          "object_type": ["pollution_source", "air_station"]})
    converted = to_standard_units(readings, types).sort("object_id")
    assert converted.filter(pl.col("object_id") == outlet_source)["value"][0] == pytest.approx(500)
    assert converted.filter(pl.col("object_id") == a)["value"][0] == pytest.approx(12.0)
    assert set(converted["unit"]) == {"µg/m³"}


def test_o3_daily_maximum_8_hours(store):
    # 8 hours of 180 inside a day of 100 → O3 8-h max 180 → IAQI 50/55·20 + 100 = 118.2 → 119.
    a = station(store)
    write(store, hourly(a, O3, cst(2026, 3, 2), [100.0] * 12 + [180.0] * 8 + [100.0] * 4))
    row = day_of(assess_air(store, dt.date(2026, 3, 2), dt.date(2026, 3, 2)).station_daily,
                 dt.date(2026, 3, 2))
    assert row["O3_max_8h_ug_m3"] == pytest.approx(180)
    assert row["iaqi_O3_8h"] == ceil(50 / 55 * 20 + 100)
    assert row["O3_valid_8h_windows"] == 17
    assert row["aqi"] == 119 and row["primary"] == ["O3_8h"]  # > 100: published despite gaps


def _month(store, object_id, pm25: float, days: int) -> None:
    constant = {SO2: 10.0, NO2: 20.0, CO: 0.5, O3: 80.0, PM10: 60.0, PM25: pm25}
    write(store, *(hourly(object_id, code, cst(2026, 3, 1), [v] * 24 * days)
                   for code, v in constant.items()))


def test_month_evaluation_good_days_and_ranking(store):
    a = station(store, "A1")
    b = station(store, "B1", city="芜湖市", city_code="340200")
    _month(store, a, 45.0, 31)
    _month(store, b, 30.0, 26)
    result = assess_air(store, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    march = result.city_periods.filter(pl.col("period") == "month")
    hefei = march.filter(pl.col("city") == "合肥市").row(0, named=True)
    assert (hefei["valid"], hefei["valid_aqi_days"], hefei["good_share"]) == (True, 31, 1.0)
    # PM2.5 mean 45 > 30 (GB 3095-2026 transition annual limit): not met, multiple 0.5.
    assert hefei["meets"] is False and hefei["note"] is None
    pm = result.evaluation.filter(pl.col("city") == "合肥市", pl.col("period") == "month",
                                  pl.col("pollutant") == "PM2.5")
    mean = pm.filter(pl.col("statistic") == "mean").row(0, named=True)
    p95 = pm.filter(pl.col("statistic") == "p95").row(0, named=True)
    assert (mean["value"], mean["limit"], mean["meets"]) == (45, 30, False)
    assert mean["exceedance_multiple"] == pytest.approx(0.5)
    assert (p95["value"], p95["limit"], p95["meets"], p95["days_over"]) == (45, 60, True, 0)
    # 26 valid days < 27: not valid, compliance withheld and said so.
    wuhu = march.filter(pl.col("city") == "芜湖市").row(0, named=True)
    assert wuhu["valid"] is False and wuhu["meets"] is None
    assert "26" in wuhu["note"] and ">= 27" in wuhu["note"]
    # Comprehensive index, preset "2026" (PM2.5×3, NO2×2, O3×2; S of the transition stage).
    ranking = result.ranking.filter(pl.col("period") == "month")
    expected = 10 / 60 + 2 * 20 / 40 + 60 / 60 + 3 * 45 / 30 + 0.5 / 4 + 2 * 80 / 160
    top, second = ranking.row(0, named=True), ranking.row(1, named=True)
    assert (top["city"], top["rank"], second["city"], second["rank"]) == (
        "芜湖市", 1, "合肥市", 2)
    assert second["composite_index"] == pytest.approx(expected)
    assert set(ranking["preset"]) == {"2026"}
    old = assess_air(store, dt.date(2026, 3, 1), dt.date(2026, 3, 31), ranking_preset="2013")
    expected_2013 = 10 / 60 + 20 / 40 + 60 / 70 + 45 / 35 + 0.5 / 4 + 80 / 160
    row = old.ranking.filter(pl.col("city") == "合肥市", pl.col("period") == "month")
    assert row["composite_index"][0] == pytest.approx(expected_2013)
    assert row["preset"][0] == "2013"


def test_daily_aqi_and_primary_pollutant_across_the_switch(store):
    # Six pollutants, constant: PM2.5 45 → 63 (2012) / 70 (2026); PM10 60 → 55 / 58 (§1.2);
    # SO2, NO2, CO, O3 far lower: the AQI is the PM2.5 IAQI and PM2.5 is primary (> 50).
    a = station(store)
    constant = {SO2: 10.0, NO2: 20.0, CO: 0.5, O3: 80.0, PM10: 60.0, PM25: 45.0}
    write(store, *(hourly(a, code, cst(2026, 2, 28), [v] * 48) for code, v in constant.items()))
    result = assess_air(store, dt.date(2026, 2, 28), MARCH_1)
    feb, mar = (day_of(result.city_daily, d) for d in (dt.date(2026, 2, 28), MARCH_1))
    assert (feb["iaqi_PM10"], mar["iaqi_PM10"]) == (55, ceil(50 / 70 * 10 + 50))
    assert (feb["aqi"], feb["category"], feb["primary"]) == (63, "良", ["PM2.5"])
    assert (mar["aqi"], mar["category"], mar["primary"]) == (70, "良", ["PM2.5"])
    assert feb["iaqi_O3"] is not None and mar["iaqi_O3"] is None  # 7 indicators in 2012 only
    assert list(result.tables())[0] == "air_city_daily"
    summary = result.summary()
    assert {"good_%", "rank", "preset", "note"} <= set(summary.columns)


def test_bad_arguments_are_named(store):
    station(store)
    with pytest.raises(ValueError, match="city='北京市'"):
        assess_air(store, MARCH_1, MARCH_1, city="北京市")
    with pytest.raises(ValueError, match="edition='2020'"):
        assess_air(store, MARCH_1, MARCH_1, edition="2020")
    with pytest.raises(ValueError, match="timezone-aware"):
        assess_air(store, dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 2))
    empty = assess_air(store, MARCH_1, MARCH_1)
    assert empty.station_daily.is_empty() and empty.ranking.is_empty()
