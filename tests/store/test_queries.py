"""The named reads of the measurement store: same results and dtypes on DuckDB and PostgreSQL.

Each test runs on both backends (the ``store`` fixture) and compares the backend's answer with
an embedded reference store holding the same data, so on PostgreSQL it compares PostgreSQL with
DuckDB; the expected values are checked as well.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import duckdb
import polars as pl
import pyarrow as pa
import pytest

from ecohub.store import (
    PACKET_SCHEMA,
    QC_FLAG_SCHEMA,
    READING_SCHEMA,
    ObjectSpec,
    ReadTimeout,
    Store,
    open_store,
)
from ecohub.store.measurements import ReadingCursor
from ecohub.store.settings import resolve

T0 = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)  # 22:00 CST
UTC_US = pl.Datetime("us", "UTC")


def reading(mn: str, object_id: int, factor: str, kind: str, start: datetime, value: float | None,
            statistic: str = "Avg", period_s: int = 3600) -> dict:
    return {"mn": mn, "object_id": object_id, "factor": factor, "kind": kind,
            "period_start": start, "period_s": period_s, "statistic": statistic, "value": value,
            "device_flag": "N", "received_at": start + timedelta(seconds=period_s + 30),
            "packet_id": f"{mn}-{start:%H%M}"}


def fill(store: Store) -> tuple[int, int]:
    air, water = store.registry.add_objects([
        ObjectSpec("340100-001", "合肥 长江中路", "air_station"),
        ObjectSpec("340100-W01", "合肥 董铺水库", "water_station")])
    store.registry.add_device("MN0001", air, "123456", ["a34004", "a34002"])
    store.registry.add_device("MN0002", water, "123456", ["w01018"])
    hour = timedelta(hours=1)
    rows = [reading("MN0001", air, f, "hour", T0 + h * hour, v + h)
            for h in range(6) for f, v in (("a34004", 30.0), ("a34002", 60.0))]
    rows += [reading("MN0001", air, "a34004", "hour", T0 + h * hour, 40.0 + h, "Max")
             for h in range(6)]
    rows += [reading("MN0002", water, "w01018", "hour", T0 + h * hour, v)
             for h, v in enumerate([12.0, float("nan"), None, 14.0])]
    rows += [reading("MN0001", air, "a34004", "minute", T0 + timedelta(minutes=5 * m),
                     30.0 + m, period_s=300) for m in range(10)]
    packets = [{"packet_id": f"MN0001-{i}", "mn": "MN0001", "cn": "2061",
                "received_at": T0 + i * hour, "raw": f"##packet {i}\r\n"} for i in range(2)]
    store.measurements.write(pa.Table.from_pylist(rows, schema=READING_SCHEMA),
                             pa.Table.from_pylist(packets, schema=PACKET_SCHEMA))
    flags = [{"mn": "MN0001", "factor": "a34004", "kind": "hour", "period_start": T0 + h * hour,
              "statistic": "Avg", "qc_flag": 4 if h == 2 else 1, "qc_tests": "{}",
              "qc_valid": h != 2, "qc_version": "v1", "checked_at": T0} for h in range(6)]
    store.measurements.write_flags(pa.Table.from_pylist(flags, schema=QC_FLAG_SCHEMA))
    key = {"mn": "MN0001", "factor": "a34004", "kind": "hour", "period_start": T0 + 2 * hour,
           "statistic": "Avg"}
    store.measurements.add_review(key, "accept", "张工", "checked on site", T0)
    store.measurements.add_review(key, "reject", "李工", "drift", T0 + hour)
    return air, water


@pytest.fixture
def pair(store, tmp_path) -> Iterator[tuple[Store, Store]]:
    """The store under test and an embedded reference, both holding the same data."""
    reference = open_store(data_dir=tmp_path / "reference", migrate=True)
    try:
        assert fill(store) == fill(reference)
        yield store, reference
    finally:
        reference.close()


def same(frame: pl.DataFrame, reference: pl.DataFrame) -> pl.DataFrame:
    assert frame.schema == reference.schema
    assert frame.equals(reference), f"{frame}\n!=\n{reference}"
    return frame


def test_readings_filters_columns_and_dtypes(pair):
    store, ref = pair
    full = same(store.measurements.readings(), ref.measurements.readings())
    assert full.height == 12 + 6 + 4 + 10
    assert dict(full.schema) == dict(pl.from_arrow(READING_SCHEMA.empty_table()).schema)
    assert full.select("mn", "factor", "kind", "statistic", "period_start").equals(
        full.select("mn", "factor", "kind", "statistic", "period_start").sort(
            "mn", "factor", "kind", "statistic", "period_start"))
    for args in [dict(kind="hour", factors=["a34004"], statistic="Max"),
                 dict(start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=3)),
                 dict(object_ids=[2], with_qc=True),
                 dict(with_qc=True, columns=["period_start", "value", "qc_flag", "review"])]:
        same(store.measurements.readings(**args), ref.measurements.readings(**args))
    qc = store.measurements.readings(kind="hour", factors=["a34004"], statistic="Avg",
                                     with_qc=True)
    assert qc["qc_flag"].to_list() == [1, 1, 4, 1, 1, 1]
    assert qc["review"].to_list() == [None, None, "reject", None, None, None]
    for empty in [dict(kind="day"), dict(object_ids=[]), dict(factors=[], with_qc=True),
                  dict(kind="day", columns=["value", "qc_valid"], with_qc=True)]:
        frame = same(store.measurements.readings(**empty), ref.measurements.readings(**empty))
        assert frame.is_empty()
    with pytest.raises(ValueError, match="unknown column"):
        store.measurements.readings(columns=["value; DROP TABLE readings"])


def test_readings_in_keyset_pages(pair):
    store, ref = pair
    full = store.measurements.readings(with_qc=True)
    pages = list(store.measurements.reading_pages(with_qc=True, page_rows=7))
    assert [p.height for p in pages] == [7, 7, 7, 7, 4]
    same(pl.concat(pages), full)
    first = store.measurements.readings(limit=5)
    after = ReadingCursor.after_last(first)
    assert after is not None and after.mn == "MN0001"
    same(store.measurements.readings(after=after, limit=5),
         ref.measurements.readings(after=after, limit=5))
    assert store.measurements.readings(after=after, limit=5)["value"].to_list() == \
        full["value"][5:10].to_list()


def test_latest_value_per_object_and_factor(pair):
    store, ref = pair
    latest = same(store.measurements.latest(kind="hour", statistic="Avg"),
                  ref.measurements.latest(kind="hour", statistic="Avg"))
    assert latest.select("object_id", "factor", "value").rows() == [
        (1, "a34002", 65.0), (1, "a34004", 35.0), (2, "w01018", 14.0)]
    assert latest["period_start"].to_list() == [T0 + timedelta(hours=5)] * 2 + [
        T0 + timedelta(hours=3)]
    same(store.measurements.latest(), ref.measurements.latest())
    before = store.measurements.latest(factors=["a34004"], kind="minute",
                                       before=T0 + timedelta(minutes=20))
    assert before["value"].to_list() == [33.0]
    same(store.measurements.latest(object_ids=[]), ref.measurements.latest(kind="day"))


def test_summaries_and_counts(pair):
    store, ref = pair
    summary = same(store.measurements.kind_summary(), ref.measurements.kind_summary())
    assert summary.rows() == [("hour", 22, T0, T0 + timedelta(hours=5)),
                              ("minute", 10, T0, T0 + timedelta(minutes=45))]
    window = (T0 + timedelta(hours=1), T0 + timedelta(hours=4))
    assert store.measurements.hours_extent(*window) == ref.measurements.hours_extent(*window) \
        == (T0 + timedelta(hours=1), T0 + timedelta(hours=3))
    assert store.measurements.hours_extent(T0 - timedelta(days=9), T0) is None
    counts = same(store.measurements.counts_by_object_and_kind(),
                  ref.measurements.counts_by_object_and_kind())
    assert counts.rows() == [(1, "hour", 18), (1, "minute", 10), (2, "hour", 4)]
    flags = same(store.measurements.qc_flag_counts(), ref.measurements.qc_flag_counts())
    assert flags.rows() == [(1, 1, 5), (1, 4, 1)]
    stored = same(store.measurements.qc_flags(), ref.measurements.qc_flags())
    assert dict(stored.schema) == dict(pl.from_arrow(QC_FLAG_SCHEMA.empty_table()).schema)
    assert store.measurements.count() == ref.measurements.count() == 32


def test_packets_and_reading_lookup(pair):
    store, ref = pair
    packets = same(store.measurements.packets(), ref.measurements.packets())
    assert packets["packet_id"].to_list() == ["MN0001-0", "MN0001-1"]
    same(store.measurements.packets(["MN0001-1"]), ref.measurements.packets(["MN0001-1"]))
    same(store.measurements.packets([]), ref.measurements.packets(["none"]))
    assert store.measurements.packet_count() == 2
    key = {"mn": "MN0002", "factor": "w01018", "kind": "hour", "period_start": T0,
           "statistic": "Avg"}
    assert store.measurements.reading_exists(key)
    assert not store.measurements.reading_exists({**key, "statistic": "Max"})


def test_chunk_summary(pair):
    store, ref = pair
    lo, hi = T0 + timedelta(hours=1), T0 + timedelta(hours=3)
    chunk = same(store.measurements.chunk_summary(lo, hi), ref.measurements.chunk_summary(lo, hi))
    seen = T0 + timedelta(hours=3, seconds=30)  # hour 2 received 30 s after its end
    assert chunk.rows() == [("MN0001", "hour", 1, lo, seen), ("MN0002", "hour", 2, lo, seen)]
    same(store.measurements.chunk_summary(lo, hi, [2]), ref.measurements.chunk_summary(lo, hi, [2]))
    same(store.measurements.chunk_summary(lo, hi, []), ref.measurements.chunk_summary(T0, T0))


def test_qc_context_windows(pair):
    store, ref = pair
    ts = pl.Datetime("us", "UTC")
    near_windows = pl.DataFrame(
        {"mn": ["MN0001", "MN0002"], "kind": ["hour", "hour"],
         "floor": [T0 + timedelta(hours=3), T0], "until": [None, T0 + timedelta(hours=2)],
         "ahead": [None, T0 + timedelta(hours=2)], "seen": [None, T0 + timedelta(hours=1)]},
        schema={"mn": pl.String, "kind": pl.String, "floor": ts, "until": ts, "ahead": ts,
                "seen": ts})
    for checked_only in (False, True):
        order = ("mn", "factor", "statistic", "period_start")
        near = same(store.measurements.qc_context_near(near_windows, checked_only).sort(order),
                    ref.measurements.qc_context_near(near_windows, checked_only).sort(order))
        assert near.height == 3 * 3 + 2
        assert near["checked"].sum() == (3 if checked_only else 11)
    far_windows = pl.DataFrame(
        {"mn": ["MN0001", "MN0002"], "kind": ["hour", "hour"], "lo": [T0, T0],
         "floor": [T0 + timedelta(hours=4), T0 + timedelta(hours=3)],
         "ahead": [None, T0 + timedelta(hours=1)], "hi": [None, T0 + timedelta(hours=9)]},
        schema={"mn": pl.String, "kind": pl.String, "lo": ts, "floor": ts, "ahead": ts,
                "hi": ts})
    far = same(store.measurements.qc_context_far(far_windows, False).sort(
        "mn", "factor", "statistic", "period_start"), ref.measurements.qc_context_far(
        far_windows, False).sort("mn", "factor", "statistic", "period_start"))
    water = far.filter(pl.col("mn") == "MN0002")
    # before floor: the last two (hours 1, 2: NaN and null) and the last finite (hour 0);
    # after ahead: the first (hour 1)
    assert water["period_start"].to_list() == [T0, T0 + timedelta(hours=1),
                                               T0 + timedelta(hours=1), T0 + timedelta(hours=2)]
    empty = far_windows.clear()
    same(store.measurements.qc_context_far(empty, True),
         ref.measurements.qc_context_far(empty, True))
    same(store.measurements.qc_context_near(near_windows.clear(), True),
         ref.measurements.qc_context_near(near_windows.clear(), True))


def test_empty_store_answers_typed(store, tmp_path):
    with open_store(data_dir=tmp_path / "reference", migrate=True) as ref:
        for name in ("readings", "latest", "kind_summary", "counts_by_object_and_kind",
                     "qc_flag_counts", "qc_flags", "packets"):
            frame = same(getattr(store.measurements, name)(), getattr(ref.measurements, name)())
            assert frame.is_empty(), name
        same(store.measurements.readings(with_qc=True), ref.measurements.readings(with_qc=True))
        same(store.measurements.chunk_summary(T0, T0 + timedelta(days=1)),
             ref.measurements.chunk_summary(T0, T0 + timedelta(days=1)))
        assert store.measurements.count() == store.measurements.packet_count() == 0


def test_parquet_export_by_china_date_with_codes_and_flags(pair, tmp_path):
    store, _ = pair
    late = reading("MN0001", 1, "a34004", "hour", datetime(2026, 11, 30, 17, tzinfo=UTC), 9.0,
                   "Min")
    store.measurements.write(pa.Table.from_pylist([late], schema=READING_SCHEMA))
    codes = {o.id: o.code for o in store.registry.objects()}
    out = tmp_path / "lake"
    assert store.measurements.export_parquet(out, codes) == 33
    assert sorted(p.name for p in (out / "kind=hour").iterdir()) == [
        "date=2026-11-30", "date=2026-12-01"]
    lake = duckdb.read_parquet(f"{out}/**/*.parquet", hive_partitioning=True).pl()
    assert lake.height == 33
    assert lake.select("mn", "factor", "kind", "period_start", "statistic").n_unique() == 33
    row = lake.filter(pl.col("statistic") == "Min").row(0, named=True)
    assert (str(row["date"]), row["object_code"]) == ("2026-12-01", "340100-001")  # 01:00 CST
    early = lake.filter(pl.col("packet_id") == "MN0002-1400")  # 14:00 UTC
    assert early["date"].cast(pl.String).to_list() == ["2026-11-30"]  # 22:00 CST
    assert early["object_code"].to_list() == ["340100-W01"]
    flagged = lake.filter(pl.col("qc_flag") == 4).row(0, named=True)
    assert (flagged["qc_valid"], flagged["review"]) == (False, "reject")
    assert lake["qc_flag"].null_count() == 33 - 6
    assert store.measurements.export_parquet(tmp_path / "minute", codes, "minute") == 10


def big(store: Store, rows: int) -> None:
    """``rows`` hourly readings of one object (enough for a read that takes a while)."""
    (oid,) = store.registry.add_objects([ObjectSpec("big", "big", "air_station")])
    i = pl.col("i")
    table = pl.DataFrame({"i": pl.int_range(rows, eager=True)}).select(
        mn=pl.lit("MNBIG"), object_id=pl.lit(oid, pl.Int64),
        factor=pl.format("a{}", i % 100), kind=pl.lit("hour"),
        period_start=pl.lit(T0, UTC_US) + pl.duration(hours=i // 100),
        period_s=pl.lit(3600, pl.Int32), statistic=pl.lit("Avg"), value=i.cast(pl.Float64),
        device_flag=pl.lit("N"), received_at=pl.lit(T0, UTC_US),
        packet_id=pl.lit(None, pl.String)).to_arrow()
    store.measurements.write(table)


@pytest.mark.parametrize("rows", [200_000])
def test_a_read_over_the_time_limit_stops(store, monkeypatch, rows):
    big(store, rows)
    monkeypatch.setenv("ECOHUB_READ_TIMEOUT", "0.001")
    limited = open_store(store.settings.database_url, store.settings.data_dir)
    try:
        assert limited.settings.read_timeout_s == 0.001
        with pytest.raises(ReadTimeout, match=r"read 'readings' stopped: .* 0\.001 s"):
            limited.measurements.readings(with_qc=True)
        assert store.measurements.count() == rows  # the default limit leaves room
    finally:
        limited.close()
    assert store.measurements.kind_summary()["readings"].to_list() == [rows]


def test_a_long_read_does_not_block_a_write(store):
    big(store, 200_000)
    reading_now, done, stop = threading.Event(), [0], threading.Event()

    def reader() -> None:
        while not stop.is_set():
            reading_now.set()
            store.measurements.readings(with_qc=True)
            done[0] += 1

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        for attempt in range(5):  # a write that lands between two reads proves nothing
            reading_now.wait(10)
            time.sleep(0.002)
            finished = done[0]
            row = reading("MNBIG", 1, "x", "hour", T0 + timedelta(days=attempt), 1.0)
            started = time.perf_counter()
            store.measurements.write(pa.Table.from_pylist([row], schema=READING_SCHEMA))
            took = time.perf_counter() - started
            if done[0] == finished:
                break  # the write completed while the read was running
        else:
            pytest.fail(f"every write waited for a read to finish (last took {took:.3f} s)")
    finally:
        stop.set()
        thread.join(30)


def test_read_timeout_and_duckdb_threads_settings(tmp_path, monkeypatch):
    monkeypatch.delenv("ECOHUB_READ_TIMEOUT", raising=False)
    monkeypatch.delenv("ECOHUB_DUCKDB_THREADS", raising=False)
    default = resolve(data_dir=tmp_path)
    assert default.read_timeout_s == 30.0
    assert default.duckdb_threads == max(1, (os.cpu_count() or 1) - 1)  # a core for the gateway
    monkeypatch.setenv("ECOHUB_READ_TIMEOUT", "2.5")
    monkeypatch.setenv("ECOHUB_DUCKDB_THREADS", "3")
    assert resolve("postgresql://db/eco", data_dir=tmp_path).read_timeout_s == 2.5
    assert resolve(data_dir=tmp_path).duckdb_threads == 3
    with open_store(data_dir=tmp_path, migrate=True) as store:
        assert store.measurements.count() == 0
    monkeypatch.setenv("ECOHUB_READ_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="ECOHUB_READ_TIMEOUT 'soon'"):
        resolve(data_dir=tmp_path)
    monkeypatch.setenv("ECOHUB_READ_TIMEOUT", "1")
    monkeypatch.setenv("ECOHUB_DUCKDB_THREADS", "0")
    with pytest.raises(ValueError, match="ECOHUB_DUCKDB_THREADS '0'"):
        resolve(data_dir=tmp_path)


def test_reads_on_worker_threads_yield_the_cpu_to_ingest(store):
    """A worker thread's first read lowers its CPU priority to ECOHUB_READER_NICE (default 10),
    so a heavy reader takes only what ingest leaves; the main thread keeps its priority."""
    def priority() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    main_before = priority()
    store.measurements.kind_summary()
    assert priority() == main_before
    seen: dict[str, int] = {}

    def reader() -> None:
        seen["before"] = priority()
        store.measurements.kind_summary()
        seen["after"] = priority()

    thread = threading.Thread(target=reader)
    thread.start()
    thread.join(30)
    assert store.settings.reader_nice == 10
    assert seen["after"] == max(10, seen["before"])


def test_reader_nice_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("ECOHUB_READER_NICE", "0")
    assert resolve(data_dir=tmp_path).reader_nice == 0
    monkeypatch.setenv("ECOHUB_READER_NICE", "19")
    assert resolve("postgresql://db/eco", data_dir=tmp_path).reader_nice == 19
    monkeypatch.setenv("ECOHUB_READER_NICE", "20")
    with pytest.raises(ValueError, match="ECOHUB_READER_NICE '20'"):
        resolve(data_dir=tmp_path)


def test_device_activity(pair):
    """Per logger: stored packets and readings received from a moment on, last packet."""
    store, ref = pair
    hour = timedelta(hours=1)
    later = same(store.measurements.device_activity(T0 + hour),
                 ref.measurements.device_activity(T0 + hour))
    # one packet at T0 + 1 h; every hourly reading arrives 30 s after its hour (18 of them),
    # the 5-minute ones before T0 + 1 h
    assert later.rows() == [("MN0001", 1, 18, T0 + hour)]
    whole = same(store.measurements.device_activity(T0 - hour),
                 ref.measurements.device_activity(T0 - hour))
    assert whole.rows() == [("MN0001", 2, 12 + 6 + 10, T0 + hour)]
    same(store.measurements.device_activity(T0 + 10 * hour),
         ref.measurements.device_activity(T0 + 10 * hour))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.measurements.device_activity(datetime(2026, 1, 1))


def test_deviations_by_logger(store, tmp_path):
    """Per logger and deviation kind: the stored packets since a moment that carried it."""
    reference = open_store(data_dir=tmp_path / "reference", migrate=True)
    packets = [
        ("p1", "MN0001", T0, "crc.lowercase: CRC 'ab12' written as 'AB12'\n"
                             "header.order: MN before PW"),
        ("p2", "MN0001", T0 + timedelta(minutes=1), "crc.lowercase: CRC 'cd34' …"),
        ("p3", "MN0001", T0 + timedelta(minutes=2), None),
        ("p4", "MN0002", T0 + timedelta(minutes=3),
         "time.milliseconds: DataTime 1\ntime.milliseconds: QN 2\nclock.offset: +400 s"),
        ("p5", "MN0002", T0 - timedelta(hours=1), "mn.format: not EPC-96"),  # before since
        ("p6", "MN0003", T0, ""),
    ]
    table = pa.Table.from_pylist(
        [{"packet_id": i, "mn": mn, "cn": "2011", "received_at": at, "raw": "##…",
          "deviations": d} for i, mn, at, d in packets], schema=PACKET_SCHEMA)
    try:
        for one in (store, reference):
            one.measurements.write(READING_SCHEMA.empty_table(), table)
        found = same(store.measurements.deviations_by_logger(T0),
                     reference.measurements.deviations_by_logger(T0))
        assert found.rows() == [("MN0001", "crc.lowercase", 2), ("MN0001", "header.order", 1),
                                ("MN0002", "clock.offset", 1),
                                ("MN0002", "time.milliseconds", 1)]  # once per packet
        assert dict(found.schema) == {"mn": pl.String, "kind": pl.String,
                                      "packets": pl.Int64}
        early = store.measurements.deviations_by_logger(T0 - timedelta(days=1))
        assert ("MN0002", "mn.format", 1) in early.rows()
        none = same(store.measurements.deviations_by_logger(T0 + timedelta(days=1)),
                    reference.measurements.deviations_by_logger(T0 + timedelta(days=1)))
        assert none.is_empty()
        with pytest.raises(ValueError, match="timezone-aware"):
            store.measurements.deviations_by_logger(datetime(2026, 1, 1))
    finally:
        reference.close()


def test_clock_offsets(store, tmp_path):
    """Per logger: the DataTime (or period end) against arrival, median and farthest, per packet."""
    reference = open_store(data_dir=tmp_path / "reference", migrate=True)
    rows = []
    # MN0001: hour data arriving 30 s after each hour ends (3 packets of two readings each)
    for h in range(3):
        for factor in ("a34004", "a34002"):
            rows.append(reading("MN0001", 1, factor, "hour", T0 + timedelta(hours=h), 1.0))
    # MN0002: realtime, clock ahead by 200 s, 100 s and 3 600 s; one reading before `since`
    for ahead, at in ((200, T0 + timedelta(minutes=1)), (100, T0 + timedelta(minutes=2)),
                      (3600, T0 + timedelta(minutes=3)), (5, T0 - timedelta(hours=2))):
        row = reading("MN0002", 2, "w01018", "realtime", at + timedelta(seconds=ahead), 1.0,
                      period_s=0)
        rows.append({**row, "received_at": at})
    # MN0003: day data arriving 2 days late (clock behind)
    day = reading("MN0003", 3, "w01018", "day", T0 - timedelta(days=3), 1.0, period_s=86400)
    rows.append({**day, "received_at": T0 - timedelta(days=2) + timedelta(days=2)})
    table = pa.Table.from_pylist(rows, schema=READING_SCHEMA)
    try:
        for one in (store, reference):
            one.measurements.write(table)
        since = T0 - timedelta(hours=1)
        found = same(store.measurements.clock_offsets(since),
                     reference.measurements.clock_offsets(since))
        assert dict(found.schema) == {"mn": pl.String, "offset_s": pl.Float64,
                                      "offset_s_max_abs": pl.Float64, "samples": pl.Int64}
        assert found.rows() == [("MN0001", -30.0, -30.0, 3), ("MN0002", 200.0, 3600.0, 3),
                                ("MN0003", -2 * 86400.0, -2 * 86400.0, 1)]
        assert store.measurements.clock_offsets(T0 + timedelta(days=1)).is_empty()
        with pytest.raises(ValueError, match="timezone-aware"):
            store.measurements.clock_offsets(datetime(2026, 1, 1))
    finally:
        reference.close()


def test_the_latest_kept_by_the_writer_is_the_latest_of_the_readings(store):
    """queries.LATEST_TABLE: the same answer as ranking every reading, newer replaces, an
    older or equal period (a resend) does not."""
    import datetime as dt

    import pyarrow as pa

    from ecohub.store import READING_SCHEMA

    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    def rows(hours, value, received_offset=1):
        return pa.Table.from_pylist([
            {"mn": f"MN{o}", "object_id": o, "factor": f, "kind": "hour",
             "period_start": start + dt.timedelta(hours=h), "period_s": 3600,
             "statistic": "Avg", "value": value + h, "device_flag": "N",
             "received_at": start + dt.timedelta(hours=h + received_offset),
             "packet_id": None}
            for o in (1, 2) for f in ("a34004", "a21026") for h in hours], schema=READING_SCHEMA)

    store.measurements.write(rows(range(5), 10.0))
    store.measurements.write(rows([2], 99.0, 9))        # a resend of an older hour: ignored
    store.measurements.write(rows([4], 77.0, 9))        # the same latest hour again: first kept
    kept = store.measurements.latest()
    ranked = store.measurements.latest(before=start + dt.timedelta(days=365))
    assert kept.equals(ranked) and kept.height == 4
    assert set(kept["value"]) == {14.0}
    store.measurements.write(rows([7], 50.0))           # a newer hour replaces
    assert set(store.measurements.latest(factors=["a34004"])["value"]) == {57.0}
    assert store.measurements.latest(object_ids=[2], kind="hour").height == 2
