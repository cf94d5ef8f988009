"""Tests of ecohub.standards.noise against GB 3096-2008 as transcribed in
docs/reference/standards.md §5. Expected values are hand computed or plain-Python formulas."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.standards import noise

# standards.md §5, GB 3096-2008 Table 1, dB(A): (day, night).
REFERENCE = {
    "0": (50, 40),
    "1": (55, 45),
    "2": (60, 50),
    "3": (65, 55),
    "4a": (70, 55),
    "4b": (70, 60),
}


def energy_mean(levels: list[float]) -> float:
    return 10 * math.log10(sum(10 ** (x / 10) for x in levels) / len(levels))


# --------------------------------------------------------------------------- limits


@pytest.mark.parametrize(("zone", "limits"), REFERENCE.items())
def test_zone_limits(zone: str, limits: tuple[int, int]) -> None:
    assert noise.limit(zone, "day") == limits[0]
    assert noise.limit(zone, "night") == limits[1]


def test_zone_spellings_and_vectorised_lookup() -> None:
    assert noise.limit(0, "night") == 40
    assert noise.limit("4A", "day") == 70
    out = noise.limit(["0", 1, "4b", "3"], ["day", "night", "night", "day"])
    assert out.tolist() == [50, 45, 60, 65]


def test_existing_railway_variant_of_4b() -> None:
    assert noise.limit("4b", "night", existing_railway=True) == 55
    assert noise.limit("4b", "day", existing_railway=True) == 70
    assert noise.limit("2", "night", existing_railway=True) == 50  # other zones unchanged


def test_exceedance_sign_and_missing() -> None:
    out = noise.exceedance([53.0, 48.5, np.nan], "2", "night")
    assert out[0] == pytest.approx(3.0)  # 53 − 50: over
    assert out[1] == pytest.approx(-1.5)  # under
    assert math.isnan(out[2])
    assert noise.exceedance(72.0, "4b", "night", existing_railway=True) == pytest.approx(17.0)


def test_night_sudden_noise_maximum() -> None:
    assert noise.sudden_noise_limit("1") == 60  # 45 + 15
    assert noise.sudden_noise_limit("4b") == 75
    assert noise.sudden_noise_exceedance([60.0, 61.0], "1").tolist() == [0.0, 1.0]


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: noise.limit("5", "day"), ["zone", "'5'", "4a"]),
        (lambda: noise.limit("4", "day"), ["zone", "'4'"]),
        (lambda: noise.limit("1", "evening"), ["period", "'evening'", "night"]),
        (lambda: noise.exceedance(float("inf"), "1"), ["level", "inf"]),
        (lambda: noise.is_daytime([1, 2]), ["timestamps", "datetimes"]),
    ],
)
def test_bad_input(call, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value)


# --------------------------------------------------------------------------- energy mean


def test_energy_mean_hand_values() -> None:
    # 10·log10((10^6 + 10^7) / 2) = 10·log10(5.5·10^6) = 67.40 dB
    assert noise.leq_energy_mean([60, 70]) == pytest.approx(67.4036, abs=1e-4)
    assert round(noise.leq_energy_mean([60, 70]), 1) == 67.4
    assert noise.leq_energy_mean([55, 55, 55]) == pytest.approx(55.0)
    # 50 and 60 dB: 10·log10((10^5 + 10^6) / 2) = 10·log10(5.5·10^5) = 57.40 dB
    assert noise.leq_energy_mean([50, 60]) == pytest.approx(57.4036, abs=1e-4)


def test_energy_mean_missing_and_axis() -> None:
    assert noise.leq_energy_mean([60, np.nan, 70]) == pytest.approx(energy_mean([60, 70]))
    assert math.isnan(noise.leq_energy_mean([np.nan, np.nan]))
    assert math.isnan(noise.leq_energy_mean([60, np.nan], skipna=False))
    rows = noise.leq_energy_mean([[60, 70], [40, 40]], axis=1)
    assert rows.tolist() == pytest.approx([energy_mean([60, 70]), 40.0])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(20, 120), min_size=1, max_size=30))
def test_energy_mean_bounds(levels: list[float]) -> None:
    mean = noise.leq_energy_mean(levels)
    assert mean == pytest.approx(energy_mean(levels), abs=1e-9)
    assert min(levels) - 1e-9 <= mean <= max(levels) + 1e-9
    assert mean >= sum(levels) / len(levels) - 1e-9  # never below the arithmetic mean


# --------------------------------------------------------------------------- day and night


def hours(start: dt.datetime, n: int) -> list[dt.datetime]:
    return [start + dt.timedelta(hours=h) for h in range(n)]


def test_day_night_split_at_boundaries_by_start() -> None:
    ts = [dt.datetime(2024, 5, 1, h) for h in (5, 6, 21, 22, 23, 0)]
    assert noise.is_daytime(ts).tolist() == [False, True, True, False, False, False]


def test_day_night_split_by_end_label() -> None:
    # Published label = end of hour: "06:00" is 05:00–06:00 (night), "22:00" is 21–22 (day).
    ts = [dt.datetime(2024, 5, 1, h) for h in (6, 7, 22, 23)]
    assert noise.is_daytime(ts, label="end").tolist() == [False, True, True, False]


def test_local_boundaries_are_a_setting() -> None:
    periods = noise.Periods(day_start=dt.time(7), night_start=dt.time(23))
    ts = [dt.datetime(2024, 5, 1, h) for h in (6, 7, 22, 23)]
    assert noise.is_daytime(ts, periods=periods).tolist() == [False, True, True, False]


def test_timezone_aware_timestamps_use_local_time() -> None:
    utc = ZoneInfo("UTC")
    # 22:00 UTC = 06:00 CST (day); 13:59 UTC = 21:59 CST (day); 14:00 UTC = 22:00 CST (night).
    ts = [dt.datetime(2024, 5, 1, 22, tzinfo=utc), dt.datetime(2024, 5, 1, 13, 59, tzinfo=utc)]
    ts.append(dt.datetime(2024, 5, 1, 14, tzinfo=utc))
    assert noise.is_daytime(ts).tolist() == [True, True, False]
    as_numpy = np.array([dt.datetime(2024, 5, 1, 5), dt.datetime(2024, 5, 1, 6)], "datetime64[s]")
    assert noise.is_daytime(as_numpy).tolist() == [False, True]


def test_ld_ln_are_energy_means_of_their_hours() -> None:
    ts = hours(dt.datetime(2024, 5, 1, 0), 24)
    levels = [45.0] * 6 + [60.0, 70.0] * 8 + [50.0, 40.0]  # 00–05 night, 06–21 day, 22–23 night
    result = noise.day_night_levels(levels, ts)
    assert result.ld == pytest.approx(energy_mean([60.0, 70.0]))  # 67.40
    assert result.ln == pytest.approx(energy_mean([45.0] * 6 + [50.0, 40.0]))
    assert (result.n_day, result.n_night) == (16, 8)


def test_ld_ln_skip_missing_hours() -> None:
    ts = hours(dt.datetime(2024, 5, 1, 5), 3)  # 05 night, 06 and 07 day
    result = noise.day_night_levels([40.0, np.nan, 62.0], ts)
    assert result.ld == pytest.approx(62.0)
    assert result.ln == pytest.approx(40.0)
    assert (result.n_day, result.n_night) == (1, 1)


def test_daily_levels_put_the_night_under_its_evening() -> None:
    ts = hours(dt.datetime(2024, 5, 1, 0), 48)
    levels = np.full(48, 50.0)
    levels[22:30] = 40.0  # night of 1 May: 22:00 1 May → 06:00 2 May
    levels[30:46] = 65.0  # day of 2 May
    out = noise.daily_day_night_levels(levels, pl.Series(ts))
    assert out["date"].to_list() == [dt.date(2024, 4, 30), dt.date(2024, 5, 1), dt.date(2024, 5, 2)]
    assert out["n_night"].to_list() == [6, 8, 2]
    assert out["n_day"].to_list() == [0, 16, 16]
    may1 = out.row(1, named=True)
    assert may1["ld"] == pytest.approx(50.0)
    assert may1["ln"] == pytest.approx(40.0)
    assert out.row(2, named=True)["ld"] == pytest.approx(65.0)
    assert out.row(0, named=True)["ld"] is None


def test_levels_and_timestamps_must_pair() -> None:
    with pytest.raises(ValueError, match="levels"):
        noise.day_night_levels([50.0, 51.0], [dt.datetime(2024, 5, 1, 6)])


# --------------------------------------------------------------------------- nights across midnight


def test_night_spanning_midnight_by_hand() -> None:
    # 22:00 1 May → 06:00 2 May is the night of 1 May (GB 3096-2008 clause 3: 22:00–06:00).
    # 22:00, 23:00, 00:00, 01:00 at 60 dB; 02:00 … 05:00 at 50 dB. By hand:
    # 10·lg((4·10^6 + 4·10^5) / 8) = 10·lg(550 000) = 57.4036 dB — not 60 dB, the level of
    # 22:00–24:00 alone.
    ts = hours(dt.datetime(2024, 5, 1, 22), 8)
    out = noise.daily_day_night_levels([60.0] * 4 + [50.0] * 4, ts)
    assert out.height == 1
    row = out.row(0, named=True)
    assert row["date"] == dt.date(2024, 5, 1)
    assert row["ln"] == pytest.approx(57.4036, abs=1e-4)
    assert row["ln"] == pytest.approx(10 * math.log10(550_000))
    assert (row["n_night"], row["night_valid"]) == (8, True)
    assert row["ld"] is None and row["n_day"] == 0 and row["day_valid"] is False


def test_boundary_hours_0600_is_day_2200_is_night() -> None:
    # the hours starting 05:00 and 06:00 on 2 May, 21:00 and 22:00 on 2 May
    ts = [dt.datetime(2024, 5, 2, h) for h in (5, 6, 21, 22)]
    out = noise.daily_day_night_levels([41.0, 66.0, 64.0, 43.0], ts)
    first, second = out.row(0, named=True), out.row(1, named=True)
    # 05:00 is the last hour of the night of 1 May; 22:00 the first of the night of 2 May
    assert (first["date"], first["n_night"]) == (dt.date(2024, 5, 1), 1)
    assert first["ln"] == pytest.approx(41.0)
    assert (second["date"], second["n_day"], second["n_night"]) == (dt.date(2024, 5, 2), 2, 1)
    assert second["ld"] == pytest.approx(energy_mean([66.0, 64.0]))
    assert second["ln"] == pytest.approx(43.0)
    # published labels (end of hour): "06:00" is 05:00–06:00, night; "22:00" is 21–22, day
    ends = [dt.datetime(2024, 5, 2, h) for h in (6, 7, 22, 23)]
    labelled = noise.daily_day_night_levels([41.0, 66.0, 64.0, 43.0], ends, label="end")
    assert labelled["n_night"].to_list() == [1, 1] and labelled["n_day"].to_list() == [0, 2]


def test_incomplete_night_is_flagged() -> None:
    ts = hours(dt.datetime(2024, 5, 1, 6), 18)  # a full day and 22:00, 23:00 of the night
    out = noise.daily_day_night_levels([55.0] * 16 + [48.0, 48.0], ts)
    row = out.row(0, named=True)
    assert (row["n_day"], row["day_valid"]) == (16, True)
    assert (row["n_night"], row["night_valid"]) == (2, False)  # 2 of 8 hours: < 6
    assert row["ln"] == pytest.approx(48.0)  # the level is still reported
    # exactly the minimum is valid; one missing hour below it is not
    six = noise.daily_day_night_levels([45.0] * 6, hours(dt.datetime(2024, 5, 1, 22), 6))
    assert six["night_valid"].to_list() == [True]
    gappy = [45.0] * 6
    gappy[2] = float("nan")
    five = noise.daily_day_night_levels(gappy, hours(dt.datetime(2024, 5, 1, 22), 6))
    assert (five["n_night"][0], five["night_valid"][0]) == (5, False)


def test_validity_is_a_parameter() -> None:
    assert noise.Validity().required() == (12.0, 6.0)
    assert noise.DEFAULT_PERIODS.hours() == (16.0, 8.0)
    ts = hours(dt.datetime(2024, 5, 1, 22), 2)
    strict = noise.daily_day_night_levels([48.0, 48.0], ts)
    lenient = noise.daily_day_night_levels(
        [48.0, 48.0], ts, validity=noise.Validity(min_night_hours=2))
    assert strict["night_valid"].to_list() == [False]
    assert lenient["night_valid"].to_list() == [True]
    with pytest.raises(ValueError, match="min_day_hours"):
        noise.Validity(min_day_hours=-1)


def test_moved_boundary_moves_the_night_and_its_date() -> None:
    periods = noise.Periods(day_start=dt.time(7), night_start=dt.time(23))
    assert periods.hours() == (16.0, 8.0)
    # 06:00 on 2 May is still night (of 1 May) when the night runs 23:00–07:00
    ts = [dt.datetime(2024, 5, 1, 22), dt.datetime(2024, 5, 1, 23), dt.datetime(2024, 5, 2, 6),
          dt.datetime(2024, 5, 2, 7)]
    out = noise.daily_day_night_levels([60.0, 50.0, 40.0, 70.0], ts, periods=periods)
    first, second = out.row(0, named=True), out.row(1, named=True)
    assert first["date"] == dt.date(2024, 5, 1)
    assert first["n_day"] == 1 and first["ld"] == pytest.approx(60.0)  # 22:00 is day now
    assert first["n_night"] == 2
    assert first["ln"] == pytest.approx(energy_mean([50.0, 40.0]))
    assert (second["date"], second["n_day"]) == (dt.date(2024, 5, 2), 1)
    assert second["ld"] == pytest.approx(70.0)
    # a shorter night: 00:00–06:00 is 6 hours, 75 % of it rounded up is 5
    short = noise.Periods(day_start=dt.time(6), night_start=dt.time(0))
    assert short.hours() == (18.0, 6.0)
    assert noise.Validity().required(short) == (14.0, 5.0)
