"""HJ 663 statistics: percentile, daily and 8-hour values, evaluation, indices (reference §2–3)."""

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.standards import air_stats as S
from ecohub.vocabulary import CHINA_TZ

CST = CHINA_TZ
START = dt.datetime(2026, 3, 1, tzinfo=CST)  # period start of the hour labelled 01:00


def test_percentile_worked_example():
    assert S.percentile([3, 4, 8, 2, 5, 4], 90) == 6.5  # reference §3, k = 5.5
    assert S.percentile([3, 4, 8, 2, 5, 4], 100) == 8
    assert S.percentile([5.0], 95) == 5 and np.isnan(S.percentile([np.nan], 95))
    with pytest.raises(ValueError, match="p=101"):
        S.percentile([1, 2], 101)


@given(st.lists(st.floats(0, 1000), min_size=1, max_size=60), st.floats(0, 100))
def test_percentile_is_numpy_linear(values, p):
    assert S.percentile(values, p) == pytest.approx(np.percentile(values, p, method="linear"))


def test_daily_mean_19_vs_20_hours():
    hours = np.full(48, 10.0)
    hours[:5] = np.nan  # day 1: 19 valid
    hours[24:28] = np.nan  # day 2: 20 valid
    d = S.daily_mean(hours, START)
    assert d.count.tolist() == [19, 20] and d.valid.tolist() == [False, True]
    assert np.isnan(d.value[0]) and d.value[1] == 10
    assert d.dates.tolist() == [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]


def test_natural_day_is_local_and_hour_labels_end():
    # 24 values starting 2026-02-28T16:00Z = 2026-03-01 00:00 CST → one whole natural day
    start_utc = np.datetime64("2026-02-28T16:00")
    d = S.daily_mean(np.arange(24.0), start_utc)
    assert d.dates.tolist() == [dt.date(2026, 3, 1)] and d.value[0] == 11.5
    # the same values keyed from 00:00 UTC straddle two CST days (08:00 … next 07:00)
    d = S.daily_mean(np.arange(24.0), np.datetime64("2026-03-01T00:00"))
    assert d.count.tolist() == [16, 8]
    with pytest.raises(ValueError, match="timezone-aware"):
        S.daily_mean(np.arange(24.0), dt.datetime(2026, 3, 1))
    with pytest.raises(ValueError, match="start of an hour"):
        S.daily_mean(np.arange(24.0), dt.datetime(2026, 3, 1, 0, 30, tzinfo=CST))


def test_moving_average_5_vs_6_hours():
    x = np.arange(1.0, 17.0)
    x[[3, 4, 5]] = np.nan  # window ending at 10 (hours 3…10) has 5 valid, ending at 11 has 6
    m = S.moving_average_8h(x)
    assert np.isnan(m[10]) and m[11] == pytest.approx(np.nanmean(x[4:12]))
    assert m[15] == pytest.approx(np.mean(x[8:16]))
    # hours before the data count as missing: the 6th hour is the first valid window
    m = S.moving_average_8h(np.arange(1.0, 10.0))
    assert np.isnan(m[4]) and m[5] == pytest.approx(3.5) and m[8] == pytest.approx(5.5)


def test_o3_daily_max_8h_windows_08_to_24():
    x = np.zeros(48)
    x[20:24] = 400.0  # hours starting 20:00–23:00 of day 1: only in windows labelled 21…24
    x[24:28] = 800.0  # hours of day 2 00:00–03:00; windows of day 1 never see them
    o = S.o3_daily_max_8h(x, START)
    assert o.value[0] == 200 and o.value[1] == 400 and o.count.tolist() == [17, 17]


def test_o3_validity_14_windows_or_over_limit():
    x = np.full(24, 50.0)
    x[:5] = np.nan  # hours 00–04 missing: windows starting 0…2 have < 6 → 14 valid
    assert S.o3_daily_max_8h(x, START).valid[0]
    x[5] = np.nan  # windows starting 0…3 invalid → 13 valid, 50 not over the limit
    o = S.o3_daily_max_8h(x, START)
    assert o.count[0] == 13 and not o.valid[0] and np.isnan(o.value[0])
    x[16:] = 170.0  # max 170 > 160 (grade 2) → valid with 13 windows
    assert S.o3_daily_max_8h(x, START).valid[0]
    assert not S.o3_daily_max_8h(np.where(x > 0, np.minimum(x, 160.4), x), START).valid[0]
    assert S.o3_daily_max_8h(np.minimum(x, 120.0), START, grade=1).valid[0]  # 120 > 100


def _year(value_fn, year=2025):
    dates = np.arange(f"{year}-01-01", f"{year + 1}-01-01", dtype="datetime64[D]")
    return dates, value_fn(dates)


def test_period_evaluation_year():
    dates, pm = _year(lambda d: np.where(np.arange(d.size) % 10 == 0, 100.0, 30.0))
    ev = S.evaluate_period(dates, {"PM2.5": pm}, edition="2026", stage="transition")
    p = ev.pollutants["PM2.5"]
    mean = pm.mean()  # 37 → round 37 > 30 (transition grade 2 annual)
    assert p.statistics[0].value == round(mean) and p.statistics[0].meets is False
    assert p.statistics[0].exceedance_multiple == pytest.approx((round(mean) - 30) / 30)
    assert p.statistics[1].value == 100 and p.days_over == 37
    assert p.exceedance_rate == pytest.approx(37 / 365)
    assert ev.meets is False and ev.edition == "2026" and ev.stage == "transition"
    ev12 = S.evaluate_period(dates, {"PM2.5": pm}, edition="2012")
    assert ev12.pollutants["PM2.5"].statistics[0].meets is False  # 37 > 35
    assert ev12.pollutants["PM2.5"].days_over == 37 and ev12.stage is None


def test_month_validity_26_27_and_february_24_25():
    march = np.arange("2025-03-01", "2025-04-01", dtype="datetime64[D]")
    for valid_days, ok in ((26, False), (27, True)):
        v = np.where(np.arange(31) < valid_days, 10.0, np.nan)
        ev = S.evaluate_period(march, {"SO2": v}, period="month")
        assert ev.pollutants["SO2"].valid is ok and ev.meets is (True if ok else None)
    feb = np.arange("2024-02-01", "2024-03-01", dtype="datetime64[D]")
    for valid_days, ok in ((24, False), (25, True)):
        v = np.where(np.arange(29) < valid_days, 10.0, np.nan)
        assert S.evaluate_period(feb, {"CO": v}, period="month").pollutants["CO"].valid is ok
    with pytest.raises(ValueError, match="more than one month"):
        S.evaluate_period(np.concatenate([march, feb]), {"SO2": np.ones(60)}, period="month")


def test_year_validity_needs_324_days():
    dates, so2 = _year(lambda d: np.full(d.size, 10.0))
    month = dates.astype("datetime64[M]").astype(int) % 12 + 1
    day = (dates - dates.astype("datetime64[M]")).astype(int) + 1
    keep = np.where(month == 2, 25, np.where(month == 1, 29, 27))  # 29 + 25 + 10·27 = 324
    so2[day > keep] = np.nan
    ev = S.evaluate_period(dates, {"SO2": so2})
    assert ev.pollutants["SO2"].days == 324 and ev.pollutants["SO2"].valid
    so2[0] = np.nan  # 323 days, every month still valid
    assert not S.evaluate_period(dates, {"SO2": so2}).pollutants["SO2"].valid


def test_good_day_share_na_not_valid():
    g = S.good_day_share([50, 100, 101, None, np.nan, 300])
    assert (g.good, g.valid, g.share) == (2, 4, 0.5)
    g = S.good_day_share(np.array([50, 100, 101, 300.0]), exclude=[False, False, False, True])
    assert (g.good, g.valid) == (2, 3)


def test_composite_index_presets():
    c = {"SO2": 6, "NO2": 20, "PM10": 35, "PM2.5": 17.5, "CO": 2, "O3": 80}
    r13 = S.composite_index(c, "2013")  # reference §3: weights 1, S = 60, 40, 70, 35, 4, 160
    assert r13.value == pytest.approx(0.1 + 0.5 + 0.5 + 0.5 + 0.5 + 0.5) and r13.preset == "2013"
    r26 = S.composite_index(c, "2026")  # PM2.5×3, NO2×2, O3×2; S transition 60, 40, 60, 30
    want = 6 / 60 + 2 * 20 / 40 + 35 / 60 + 3 * 17.5 / 30 + 2 / 4 + 2 * 80 / 160
    assert r26.value == pytest.approx(want) and r26.preset == "2026"
    fin = S.composite_index(c, "2026", stage="final")  # S 20, 30, 50, 25
    assert fin.standards["PM2.5"] == 25 and fin.standards["SO2"] == 20
    custom = S.composite_index(c, "2013", weights={"PM2.5": 2})
    assert custom.preset == "2013+custom" and custom.value == pytest.approx(r13.value + 0.5)
    arr = S.composite_index({k: [v, np.nan] for k, v in c.items()}, "2013")
    assert arr.value[0] == pytest.approx(r13.value) and np.isnan(arr.value[1])
    with pytest.raises(ValueError, match="preset"):
        S.composite_index(c, "2020")


def test_hourly_grid_and_daily_indicators():
    base = dt.datetime(2026, 2, 28, 16, tzinfo=dt.UTC)  # 2026-03-01 00:00 CST
    times = [base + dt.timedelta(hours=h) for h in range(48)]
    rows = []
    for st_id, level in (("B", 2.0), ("A", 1.0)):
        for h, t in enumerate(times):
            if st_id == "A" and h == 30:
                continue  # one absent row: stays missing
            rows.append({"station": st_id, "period_start": t, "SO2": level, "NO2": level,
                         "CO": level, "O3": 100.0 * level, "PM10": level, "PM2.5": level})
    frame = pl.DataFrame(rows)
    grid = S.hourly_grid(frame, ["SO2", "NO2", "CO", "O3", "PM10", "PM2.5"])
    assert grid.stations == ("A", "B") and np.isnan(grid.values["SO2"][0, 30])
    daily = S.daily_indicators(grid)
    assert daily.height == 4 and daily["SO2_n"].to_list() == [24, 23, 24, 24]
    assert daily["O3_8h"].to_list() == [100, 100, 200, 200]
    with pytest.raises(ValueError, match="several rows"):
        S.hourly_grid(pl.concat([frame, frame.head(1)]), ["SO2"])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(0, 500)), min_size=1, max_size=60))
def test_24_hour_moving_mean_matches_its_definition(values):
    # Mean of the valid values among the 24 hours ending at each hour, valid with >= 20 of
    # them (GB 3095 Table 4), written out plainly.
    x = np.array([np.nan if v is None else v for v in values])
    got = S.moving_average_24h(x)
    for i in range(len(x)):
        window = [v for v in x[max(0, i - 23): i + 1] if not np.isnan(v)]
        if len(window) >= 20:
            assert got[i] == pytest.approx(sum(window) / len(window))
        else:
            assert np.isnan(got[i])


def test_city_means_average_the_stations_valid_for_each_indicator():
    frame = pl.DataFrame({
        "city_code": ["340100", "340100", "340100", "340200"],
        "city": ["合肥", "合肥", "合肥", "芜湖"],
        "date": [dt.date(2026, 3, 1)] * 4,
        "PM2.5": [30.0, 40.0, None, 50.0],
        "O3_8h": [None, 100.0, None, None],
    })
    out = S.city_means(frame, ["PM2.5", "O3_8h"], ["city_code", "city", "date"])
    assert out["city"].to_list() == ["合肥", "芜湖"]
    assert out["PM2.5"].to_list() == [35.0, 50.0]
    assert out["O3_8h"].to_list() == [100.0, None]
    assert out["n_stations"].to_list() == [2, 1]  # the third station has no valid value


def test_validity_note_names_the_rule_the_pollutants_and_the_request():
    march = np.arange("2026-03-01", "2026-04-01", dtype="datetime64[D]")
    full = S.evaluate_period(march, {"SO2": np.ones(31)}, period="month")
    assert S.validity_note(full, days_requested=31) is None
    short = np.where(np.arange(31) < 20, 1.0, np.nan)
    uneven = S.evaluate_period(
        march, {"SO2": short, "NO2": np.where(np.arange(31) < 25, 1.0, np.nan)}, period="month"
    )
    assert S.validity_note(uneven) == (
        "not valid per GB 3095-2026 Table 4 (a month needs >= 27 valid days (February 25)): "
        "valid days SO2 20, NO2 25"
    )
    year = S.evaluate_period(march, {"PM10": np.ones(31)}, period="year", edition="2012")
    assert S.validity_note(year, days_requested=31) == (
        "not valid per GB 3095-2012 Table 4 (a year needs >= 324 valid days and every month "
        "valid): valid days 31 for PM10; the request covers 31 of its 365 days"
    )
