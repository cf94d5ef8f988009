"""The QC pipeline through the real store: streaming hook == batch re-check, revisions, units,
reviews that survive re-checks, and a bad configuration that never half-applies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from ecohub.cli import app
from ecohub.quality import default_config, load_config, run_qc
from ecohub.quality.rechecks import recheck
from ecohub.quality.reviews import review
from ecohub.quality.stored import decode_tests, read_for_statistics
from ecohub.quality.streaming import QualityControl
from ecohub.quality.units import qc_scale
from ecohub.store import READING_SCHEMA, ObjectSpec, Store, open_store

T0 = datetime(2024, 3, 1, tzinfo=UTC)
KEY = ["mn", "factor", "kind", "statistic", "period_start"]


def register(store: Store) -> tuple[int, int]:
    air, water = store.registry.add_objects([
        ObjectSpec(code="340100-A01", name="合肥市长江中路", object_type="air_station",
                   department="合肥市生态环境监测中心"),
        ObjectSpec(code="340100-W01", name="巢湖1号断面", object_type="water_station",
                   department="合肥市生态环境监测中心")])
    store.registry.add_device("MA", air, "1", ["a34004", "a34002", "a21004", "a21002"])
    store.registry.add_device("MW", water, "1", ["w21003", "w21001"])
    return air, water


def reading(mn: str, obj: int, factor: str, hour: int, value: float, *, stat: str = "Avg",
            flag: str | None = "N", delay_min: float = 5.0) -> dict:
    return {"mn": mn, "object_id": obj, "factor": factor, "kind": "hour",
            "period_start": T0 + timedelta(hours=hour), "period_s": 3600, "statistic": stat,
            "value": value, "device_flag": flag,
            "received_at": T0 + timedelta(hours=hour + 1, minutes=delay_min),
            "packet_id": f"{mn}-{hour}"}


def table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=READING_SCHEMA)


def random_rows(air: int, water: int, hours: int = 100, seed: int = 0) -> list[dict]:
    """Noisy series with spikes, flat runs, NaN, absent hours, a long outage, late arrivals."""
    rng = np.random.default_rng(seed)
    rows = []
    for mn, obj, factors in (("MA", air, ("a34004", "a34002")), ("MW", water,
                                                                  ("w21003", "w21001"))):
        for f in factors:
            base = 40.0 if f.startswith("a") else 1.0
            v = base + rng.normal(0, base / 5, hours).cumsum() / 3
            v[rng.random(hours) < 0.05] = np.nan
            v[rng.integers(0, hours, 3)] *= 8
            a = int(rng.integers(0, hours - 20))
            v[a:a + 15] = v[a]
            for h in range(hours):
                if rng.random() < 0.03 or 40 <= h < 52:
                    continue
                for stat, k in (("Avg", 1.0), ("Max", 1.3)):
                    rows.append(reading(mn, obj, f, h, float(v[h]) * k, stat=stat,
                                        flag=str(rng.choice(["N"] * 20 + ["M", "D"])),
                                        delay_min=float(rng.choice([5, 5, 5, 200, 900, -90]))))
    return rows


def stored_flags(store: Store) -> pl.DataFrame:
    return (store.measurements.readings(with_qc=True)
            .select(*KEY, "qc_flag", "qc_tests", "qc_version").sort(KEY))


def one_run(store: Store, air: int, water: int) -> pl.DataFrame:
    """run_qc once over everything stored: the reference both paths must reproduce."""
    out = run_qc(store.measurements.readings(), default_config(),
                 object_types={air: "air_station", water: "water_station"})
    return out.select(*KEY, pl.col("qc_flag").cast(pl.Int16),
                      pl.col("qc_tests").struct.json_encode(), "qc_version").sort(KEY)


def stream(store: Store, rows: list[dict], commits: int, background: bool) -> QualityControl:
    data = table(rows).sort_by("received_at")
    bounds = np.linspace(0, data.num_rows, commits + 1).astype(int)
    qc = QualityControl(store, default_config(), background=background)
    with qc:
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            part = data.slice(lo, hi - lo)
            store.measurements.write(part)
            qc(part)
    return qc


@pytest.mark.parametrize("background", [False, True])
def test_streaming_equals_batch_through_the_store(tmp_path, background: bool) -> None:
    with open_store(data_dir=tmp_path, migrate=True) as store:
        air, water = register(store)
        rows = random_rows(air, water)
        qc = stream(store, rows, commits=12, background=background)
        assert qc.readings == len(rows) and qc.failures == 0
        streamed = stored_flags(store)
        reference = one_run(store, air, water)
        assert streamed.height == len(rows)
        assert streamed.equals(reference)
        if background:
            assert qc.passes <= 12  # commits queued meanwhile are checked together
            return
        # one re-check of the whole period, in chunks of 7 h, rewrites the same flags
        done: list[tuple[int, int]] = []
        result = recheck(store, default_config(), T0, T0 + timedelta(days=5),
                         chunk=timedelta(hours=7), progress=lambda d, t: done.append((d, t)))
        assert result.readings == len(rows) and done[-1] == (result.chunks, result.chunks)
        assert stored_flags(store).equals(reference)


def realtime_rows(air: int, minutes: int = 600, step_min: int = 30, seed: int = 1) -> list[dict]:
    """HJ 212 real-time data (CN 2011, ``Rtd``, period length 0) every ``step_min`` minutes,
    with spikes, NaN and a few late arrivals."""
    rng = np.random.default_rng(seed)
    n = minutes // step_min
    rows = []
    for f in ("a34004", "a34002"):
        v = 40.0 + rng.normal(0, 8, n).cumsum() / 3
        v[rng.random(n) < 0.05] = np.nan
        v[rng.integers(0, n, 3)] *= 8
        for i in range(n):
            start = T0 + timedelta(minutes=i * step_min)
            delay = float(rng.choice([1, 1, 1, 1, 95]))
            rows.append({"mn": "MA", "object_id": air, "factor": f, "kind": "realtime",
                         "period_start": start, "period_s": 0, "statistic": "Rtd",
                         "value": float(v[i]), "device_flag": "N",
                         "received_at": start + timedelta(minutes=delay),
                         "packet_id": f"MA-rt-{i}"})
    return rows


@pytest.mark.parametrize("kind", ["realtime", "hour"])
def test_a_lagging_check_equals_batch(tmp_path, kind: str) -> None:
    # the background worker may run behind the gateway: when it checks a commit, a later one
    # can be stored already, not yet checked. That one must not count as what the earlier
    # checks saw, or the last reading of the previous pass keeps its "not evaluated" spike
    # verdict (real-time data have no fixed period, so no gap rule keeps them apart).
    with open_store(data_dir=tmp_path, migrate=True) as store:
        air, water = register(store)
        rows = realtime_rows(air) if kind == "realtime" else random_rows(air, water, hours=60)
        data = table(rows).sort_by("received_at")
        bounds = np.linspace(0, data.num_rows, 9).astype(int)
        commits = [data.slice(lo, hi - lo) for lo, hi in zip(bounds[:-1], bounds[1:],
                                                               strict=True)]
        qc = QualityControl(store, default_config())
        for i, commit in enumerate(commits):
            store.measurements.write(commit)
            if i % 2 == 0:  # odd commits are checked one commit late, even ones at once
                for late in commits[max(i - 1, 0):i + 1]:
                    qc(late)
        if len(commits) % 2 == 0:
            qc(commits[-1])
        streamed = stored_flags(store)
        assert streamed.height == len(rows) and qc.readings == len(rows)
        reference = one_run(store, air, water)
        differ = streamed.join(reference, on=KEY, suffix="_batch").filter(
            pl.col("qc_tests") != pl.col("qc_tests_batch"))
        assert differ.select(*KEY, "qc_tests", "qc_tests_batch").to_dicts() == []
        assert streamed.equals(reference)


def test_a_late_reading_revises_its_neighbours(tmp_path) -> None:
    with open_store(data_dir=tmp_path, migrate=True) as store:
        air, _ = register(store)
        qc = QualityControl(store)
        first = table([reading("MA", air, "a34004", h, v)
                       for h, v in ((0, 30.0), (1, 31.0), (3, 33.0), (4, 34.0))])
        store.measurements.write(first)
        assert qc(first).readings == 4
        late = table([reading("MA", air, "a34004", 2, 200.0, delay_min=125)])
        store.measurements.write(late)
        result = qc(late)
        assert (result.readings, result.revised) == (1, 2)  # hours 1 and 3 get a spike verdict
        spikes = (store.measurements.readings(with_qc=True).sort("period_start")
                  .select(decode_tests().struct.field("spike"))["spike"].to_list())
        # QARTOD spike: |31 - (30+200)/2| = 84 <= 100 pass; |200 - (31+33)/2| = 168 in
        # (100, 250] suspect; |33 - (200+34)/2| = 84 pass; first and last not evaluated
        assert spikes == [2, 1, 3, 1, 2]


def test_nox_at_air_stations_is_converted_to_the_qc_unit(tmp_path) -> None:
    # NOx travels in mg/m³ (HJ 212-2017 Table B.2), the QC configuration is in µg/m³
    assert qc_scale("air_station", "a21002") == 1000.0
    assert qc_scale("air_station", "a34004") == 1.0
    assert qc_scale("outlet", "a21002") == 1.0
    with open_store(data_dir=tmp_path, migrate=True) as store:
        air, _ = register(store)
        commit = table([reading("MA", air, "a21004", 0, 80.0),      # NO2 80 µg/m³
                        reading("MA", air, "a21002", 0, 0.1)])      # NOx 0.1 mg/m³ = 100 µg/m³
        store.measurements.write(commit)
        QualityControl(store)(commit)
        tests = store.measurements.readings(with_qc=True).select(decode_tests())
        # 80 <= 100 * 1.05 + 5: consistent; unconverted 80 > 0.1 * 1.05 + 5 would be suspect
        assert tests["qc_tests"].struct.field("consistency").to_list() == [1, 1]
        assert store.measurements.readings()["value"].to_list() == [0.1, 80.0]  # stored raw


def test_review_survives_a_recheck(tmp_path) -> None:
    with open_store(data_dir=tmp_path, migrate=True) as store:
        air, _ = register(store)
        # 1200 µg/m³ fails the gross range (0-1000); absent hours around it keep the spike
        # test of its neighbours out (rate of change only makes them suspect, still valid)
        commit = table([reading("MA", air, "a34004", h, v)
                        for h, v in ((0, 30.0), (1, 31.0), (3, 1200.0), (5, 33.0))])
        store.measurements.write(commit)
        QualityControl(store)(commit)
        key = {"mn": "MA", "factor": "a34004", "kind": "hour", "statistic": "Avg",
               "period_start": T0 + timedelta(hours=3)}
        assert read_for_statistics(store)["valid"].to_list() == [True, True, False, True]
        row = review(store, key, "accept", "张工", "dust storm confirmed on site")
        assert row["review"].to_list() == ["accept"] and row["qc_flag"].to_list() == [4]
        looser = load_config({"extends": "default", "object_types": {"air_station": {
            "factors": {"a34004": {"gross_range": {"fail_span": [0, 2000]}}}}}})
        result = recheck(store, looser, T0, T0 + timedelta(days=1))
        after = read_for_statistics(store).sort("period_start")
        assert result.version == looser.version != default_config().version
        assert after["qc_version"].unique().to_list() == [looser.version]
        assert after["review"].to_list() == [None, None, "accept", None]
        assert after["valid"].to_list() == [True] * 4
        with pytest.raises(ValueError, match="decision 'maybe'"):
            review(store, key, "maybe", "a", "b")


BAD_TOML = """extends = "default"

[object_types.air_station.factors.a34004]
gross_range = { fail_span = [500, 0] }
"""


def test_cli_check_review_and_a_bad_config_that_changes_nothing(tmp_path) -> None:
    data = tmp_path / "data"
    with open_store(data_dir=data, migrate=True) as store:
        air, water = register(store)
        store.measurements.write(table(random_rows(air, water, hours=30, seed=3)))
    runner = CliRunner()
    ok = runner.invoke(app, ["quality", "check", "--from", "2024-03-01", "--to", "2024-03-02",
                             "--data-dir", str(data)])
    assert ok.exit_code == 0, ok.output
    assert "re-checked" in ok.output and default_config().version in ok.output
    with open_store(data_dir=data) as store:
        before = store.measurements.qc_flags()
    assert before.height > 0
    bad = tmp_path / "qc.toml"
    bad.write_text(BAD_TOML, encoding="utf-8")
    failed = runner.invoke(app, ["quality", "check", "--from", "2024-03-01", "--to",
                                 "2024-03-02", "--config", str(bad), "--data-dir", str(data)])
    assert failed.exit_code == 1
    assert "nothing was applied" in failed.output
    assert "line 4" in failed.output and "gross_range" in failed.output
    with open_store(data_dir=data) as store:
        assert store.measurements.qc_flags().equals(before)

    reviewed = runner.invoke(app, [
        "quality", "review", "--mn", "MA", "--factor", "a34004", "--kind", "hour",
        "--time", "2024-03-01T09:00", "--statistic", "Avg", "--reject", "--by", "李工",
        "--reason", "analyser drift", "--data-dir", str(data)])
    assert reviewed.exit_code == 0, reviewed.output
    assert "reject" in reviewed.output and "李工" in reviewed.output
    with open_store(data_dir=data) as store:
        # 09:00 CST is 01:00 UTC
        row = read_for_statistics(store).filter(
            (pl.col("factor") == "a34004") & (pl.col("statistic") == "Avg")
            & (pl.col("period_start") == T0 + timedelta(hours=1)))
        assert row["review"].to_list() == ["reject"] and row["valid"].to_list() == [False]
    undecided = runner.invoke(app, [
        "quality", "review", "--mn", "MA", "--factor", "a34004", "--kind", "hour",
        "--time", "2024-03-01T09:00", "--by", "李工", "--reason", "x", "--data-dir", str(data)])
    assert undecided.exit_code != 0 and "--accept" in undecided.output


@pytest.mark.postgres
def test_pipeline_on_postgresql(pg_url) -> None:
    with open_store(pg_url, migrate=True) as store:
        air, water = register(store)
        rows = random_rows(air, water, hours=48, seed=5)
        stream(store, rows, commits=4, background=False)
        reference = one_run(store, air, water)
        assert stored_flags(store).equals(reference)
        recheck(store, None, T0, T0 + timedelta(days=3))
        assert stored_flags(store).equals(reference)
