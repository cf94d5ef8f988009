"""run_qc over long tables: per-test flags, streaming == batch, and the table-level checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from ecohub.quality import (
    climatology_envelope,
    completeness,
    default_config,
    gaps,
    load_config,
    run_qc,
)
from ecohub.quality.config import ClimatologyConfig

T0 = datetime(2024, 3, 1, tzinfo=UTC)
SCHEMA = {"mn": pl.String, "object_id": pl.Int64, "factor": pl.String, "kind": pl.String,
          "period_start": pl.Datetime("us", "UTC"), "period_s": pl.Int32,
          "statistic": pl.String, "value": pl.Float64, "device_flag": pl.String,
          "received_at": pl.Datetime("us", "UTC"), "packet_id": pl.String}
OT = {1: "air_station", 2: "water_station"}


def reading(factor: str, hour: int, value: float, *, mn: str = "M1", obj: int = 1,
            flag: str | None = "N", delay_min: float = 5, packet: str | None = None) -> dict:
    return {"mn": mn, "object_id": obj, "factor": factor, "kind": "hour",
            "period_start": T0 + timedelta(hours=hour), "period_s": 3600, "statistic": "Avg",
            "value": value, "device_flag": flag,
            "received_at": T0 + timedelta(hours=hour + 1, minutes=delay_min),
            "packet_id": packet or f"{mn}-{hour}"}


def frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA)


def flags_of(out: pl.DataFrame, factor: str) -> pl.DataFrame:
    return (out.filter(pl.col("factor") == factor).sort("period_start", "received_at")
            .select("value", "qc_flag", "qc_valid", pl.col("qc_tests").struct.unnest()))


def test_hand_made_air_series() -> None:
    pm25 = [30.0, 31, 32, 400, 33, np.nan, 34, 35, 36, 37]
    rows = [reading("a34004", h, v) for h, v in enumerate(pm25)]
    rows += [reading("a34002", h, 60.0 + h) for h in range(10)]
    rows[8]["device_flag"] = "M"                     # maintenance
    out = run_qc(frame(rows), default_config(), object_types=OT)
    t = flags_of(out, "a34004")
    assert t["gross_range"].to_list() == [1, 1, 1, 1, 1, 9, 1, 1, 1, 1]  # 400 < 1000 passes
    # spike: |400 - (32+33)/2| = 367.5 > 250 -> 4; neighbours |32 - 216| > 100 -> 3
    assert t["spike"].to_list() == [2, 1, 3, 4, 2, 9, 2, 1, 1, 2]  # 33: NaN neighbour
    # roc 200 µg/m³/h: 368/h up and 367/h down are suspect; after NaN: (34-33)/2h passes
    assert t["rate_of_change"].to_list() == [2, 1, 1, 3, 3, 9, 1, 1, 1, 1]
    # 400 > 1.1 * 63 + 10 -> both readings of that hour suspect
    assert t["consistency"].to_list() == [1, 1, 1, 3, 1, 2, 1, 1, 1, 1]
    assert t["device"].to_list() == [1] * 8 + [4, 1]
    assert t["qc_flag"].to_list() == [1, 1, 3, 4, 3, 9, 1, 1, 4, 1]
    assert t["qc_valid"].to_list() == [True, True, True, False, True, False, True, True,
                                       False, True]
    pm10 = flags_of(out, "a34002")
    assert pm10["consistency"].to_list()[3] == 3
    assert out["qc_version"].unique().to_list() == [default_config().version]


def test_gap_in_hourly_series_is_a_missing_neighbour_for_spike() -> None:
    rows = [reading("a34004", h, 30.0) for h in (0, 1, 2, 5, 6)]
    t = flags_of(run_qc(frame(rows), default_config(), object_types=OT), "a34004")
    # 2 and 5 are not adjacent hours: neither is evaluated against the other
    assert t["spike"].to_list() == [2, 1, 2, 2, 2]


def test_timeliness_duplicates_order() -> None:
    rows = [reading("a34004", 0, 30.0), reading("a34004", 1, 31.0, delay_min=180),
            reading("a34004", 2, 32.0, delay_min=-70),        # sent 70 min before hour ended
            reading("a34004", 3, 33.0), reading("a34004", 3, 33.0, delay_min=9, packet="x"),
            reading("a34004", 4, 34.0), reading("a34004", 4, 99.0, delay_min=9, packet="y")]
    out = run_qc(frame(rows), default_config(), object_types=OT)
    t = flags_of(out, "a34004")
    assert t["timeliness"].to_list() == [1, 3, 4, 1, 1, 1, 1]
    # first arrival kept; a disagreeing copy makes the kept one suspect, copies fail
    assert t["duplicate"].to_list() == [1, 1, 1, 1, 4, 3, 4]
    # hour 1 arrived (03:05) after hour 2 (01:50) and hour 3 (04:05)? only after hour 2
    assert t["order"].to_list() == [1, 3, 1, 1, 2, 1, 2]
    assert t["qc_valid"].to_list()[4] is False and t["qc_valid"].to_list()[6] is False
    assert out.height == len(rows)


def test_missing_object_type_is_an_error() -> None:
    with pytest.raises(ValueError, match="object_id"):
        run_qc(frame([reading("a34004", 0, 1.0, obj=7)]), default_config(), object_types=OT)
    with pytest.raises(ValueError, match="lacks column 'value'"):
        run_qc(frame([reading("a34004", 0, 1.0)]).drop("value"), default_config(),
               object_types=OT)


def _random_readings(seed: int, hours: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for mn, obj in (("A", 1), ("B", 1), ("W", 2)):
        factors = ("a34004", "a34002") if obj == 1 else ("w21003", "w21001")
        for f in factors:
            base = 40.0 if f.startswith("a") else 1.0
            v = base + rng.normal(0, base / 5, hours).cumsum() / 3
            v[rng.random(hours) < 0.05] = np.nan
            v[rng.integers(0, hours, 3)] *= 8
            a = int(rng.integers(0, hours - 20))
            v[a:a + 15] = v[a]                      # flat run
            for h in range(hours):
                if rng.random() < 0.03:
                    continue                        # absent row (gap)
                r = reading(f, h, float(v[h]), mn=mn, obj=obj,
                            delay_min=float(rng.choice([5, 5, 5, 200, -90])),
                            flag=str(rng.choice(["N"] * 20 + ["M", "D", "T"])))
                rows.append(r)
                if rng.random() < 0.02:             # resend, sometimes with another value
                    rows.append({**r, "packet_id": r["packet_id"] + "r",
                                 "value": r["value"] + float(rng.choice([0, 1])),
                                 "received_at": r["received_at"] + timedelta(minutes=30)})
    return frame(rows)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_streaming_equals_batch(seed: int) -> None:
    """Consecutive batches with history + revisions give the one-batch result exactly."""
    cfg = default_config()
    data = _random_readings(seed, 120)
    key = ["mn", "factor", "kind", "statistic", "period_start", "packet_id"]
    batch = run_qc(data, cfg, object_types=OT)
    assert batch.height == data.height

    state: dict[tuple, dict] = {}
    data = data.sort("received_at", "packet_id")
    bounds = np.linspace(0, data.height, 9).astype(int)
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        new = data.slice(lo, hi - lo)
        stored = pl.DataFrame(list(state.values()), schema=batch.schema) if state else None
        history = None
        if stored is not None:
            # the last 80 hours of each series: longer than every window in the config
            history = stored.filter(pl.col("period_start") >= new["period_start"].min()
                                    - timedelta(hours=80))
        out = run_qc(new, cfg, history=history, object_types=OT)
        assert out.filter(~pl.col("qc_revised")).height == new.height
        for r in out.drop("qc_revised").with_columns(qc_revised=pl.lit(False)).iter_rows(
                named=True):
            state[tuple(r[k] for k in key)] = r
    streamed = pl.DataFrame(list(state.values()), schema=batch.schema)
    a = batch.sort(key).drop("qc_revised")
    b = streamed.sort(key).drop("qc_revised")
    assert a.equals(b), a.join(b, on=key).filter(pl.col("qc_tests") != pl.col("qc_tests_right"))


def test_climatology() -> None:
    rng = np.random.default_rng(3)
    rows = []
    for year in (2021, 2022, 2023):
        start = datetime(year, 3, 1, tzinfo=UTC)
        for h in range(0, 31 * 24, 6):
            rows.append({**reading("a34004", 0, float(rng.uniform(20, 80))),
                         "period_start": start + timedelta(hours=h)})
    hist = frame(rows)
    settings = ClimatologyConfig(period="month", low_quantile=0.0, high_quantile=1.0,
                                 min_count=100, min_years=2)
    env = climatology_envelope(hist, settings)
    assert env.height == 1 and env["bin"][0] == 3 and env["years"][0] == 3
    cfg = load_config({"object_types": {"air_station": {"factors": {
        "a34004": {"climatology": settings.model_dump()}}}}})
    new = frame([reading("a34004", 0, 50.0), reading("a34004", 1, 95.0),
                 {**reading("a34004", 2, 50.0), "period_start": datetime(2024, 4, 1,
                                                                         tzinfo=UTC)}])
    out = run_qc(new, cfg, object_types=OT, climatology={("air_station", "a34004"): env})
    # inside, above the March maximum, April has no history -> 1, 3, 2
    assert flags_of(out, "a34004")["climatology"].to_list() == [1, 3, 2]
    few = ClimatologyConfig(min_count=10_000)
    assert climatology_envelope(hist, few).height == 0


def test_completeness_and_gaps() -> None:
    rows = [reading("a34004", h, 1.0) for h in range(48) if h not in (3, 4, 30)]
    rows[0]["value"] = float("nan")                  # hour 0 received but missing
    df = frame(rows)
    c = completeness(df, T0, T0 + timedelta(days=2))
    assert c["expected"].to_list() == [24, 24]
    assert c["received"].to_list() == [22, 23]
    assert c["valid"].to_list() == [21, 23]
    g = gaps(df, T0, T0 + timedelta(days=2))
    assert [(r["gap_start"] - T0, r["missing"]) for r in g.iter_rows(named=True)] == [
        (timedelta(0), 1), (timedelta(hours=3), 2), (timedelta(hours=30), 1)]


def test_lateness_marks_delivery_not_the_value() -> None:
    """A backfilled series (every hour 3 h late) keeps its values' verdicts; only a timestamp
    from the future (clock error) fails the reading."""
    late = [reading("a34004", h, 30.0 + h, delay_min=180) for h in range(6)]
    out = flags_of(run_qc(frame(late), default_config(), object_types=OT), "a34004")
    assert out["timeliness"].to_list() == [3] * 6
    assert out["qc_flag"].to_list() == [1] * 6
    assert out["qc_valid"].all()
    early = [reading("a34004", h, 30.0 + h) for h in range(5)]
    early.append(reading("a34004", 5, 35.0, delay_min=-70))
    out = flags_of(run_qc(frame(early), default_config(), object_types=OT), "a34004")
    assert out["timeliness"].to_list()[-1] == 4 and out["qc_flag"].to_list()[-1] == 4


def test_flat_line_after_an_outage_in_run_qc() -> None:
    """PM2.5 defaults (6 h / 12 h, tolerance 0.5): a lone repeat after a 12-hour outage is not
    failed; a sensor stuck for 12 hours still is (QARTOD test 8, ecohub.quality.qartod)."""
    rows = [reading("a34004", h, 40.0 + h) for h in range(20)]
    rows.append(reading("a34004", 19 + 13, 59.0))          # first reading after 12 h: repeat
    rows += [reading("a34004", 100 + h, 35.0) for h in range(14)]  # stuck for 13 hours
    t = flags_of(run_qc(frame(rows), default_config(), object_types=OT), "a34004")
    flat = t["flat_line"].to_list()
    assert flat[20] == 2 and t["qc_flag"][20] != 4
    # after a 68-hour gap the window reaches back to the 59 before it: varying -> pass, until
    # 6 (then 12) hours of the stuck value fill the windows
    assert flat[21:] == [1] * 6 + [3] * 6 + [4] * 2
