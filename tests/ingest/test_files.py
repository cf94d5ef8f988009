"""Readings from CSV and Excel files: layouts, encodings, row errors, idempotence, the CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from ecohub.cli import app
from ecohub.ingest.files import ERROR_REASON, FileError, import_readings
from ecohub.store import ObjectSpec, Store, open_store

AIR_MN, WATER_MN = "Y80110010000010", "JLYP01_WATER_0001"


def register(store: Store) -> None:
    """An air station A1 and a water station W1, one logger each."""
    air, water = store.registry.add_objects([ObjectSpec("A1", "一号空气站", "air_station"),
                                             ObjectSpec("W1", "一号水质站", "water_station")])
    store.registry.add_device(mn=AIR_MN, object_id=air, password="x", factors=["a34004"])
    store.registry.add_device(mn=WATER_MN, object_id=water, password="x", factors=["w01018"])


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def cst(hour: int, day: int = 1) -> datetime:
    """An hour of November 2026 in CST, as UTC."""
    return datetime.fromisoformat(f"2026-11-{day:02d}T{hour:02d}:00:00+08:00").astimezone(UTC)


MIXED = [
    "对象编码,因子,时间,数值,单位,标记",
    "A1,PM2.5,2026-11-01 10:00,35,µg/m³,N",          # 2 good
    "A1,细微颗粒物PM2.5,2026/11/1 11:00,0.04,mg/m3,N",  # 3 good: Chinese name, mg/m³ → µg/m³
    "W1,化学需氧量,2026-11-01 10:00,15.5,mg/L,",       # 4 good: empty flag → N
    "X9,a34004,2026-11-01 10:00,35,µg/m³,N",          # 5 unknown object
    "A1,钙钛矿,2026-11-01 12:00,35,µg/m³,N",           # 6 unknown factor
    "A1,a34004,昨天,35,µg/m³,N",                      # 7 bad time
    "A1,a34004,2026-11-01 13:00,三十,µg/m³,N",         # 8 bad number
    "A1,a34004,2026-11-01 14:00,3,dB(A),N",           # 9 unconvertible unit
    "A1,a34004,2026-11-01 10:00,36,µg/m³,N",          # 10 duplicate of row 2
    f"{AIR_MN},a34004,2026-11-01T07:00:00Z,40,ug/m3,M",  # 11 good: MN in the object column, UTC
]

MIXED_ERRORS = [
    (5, "对象编码", "X9", "object code X9 is not registered"),
    (6, "因子", "钙钛矿",
     "factor 钙钛矿 is not an HJ 212-2017 factor code, Chinese name or symbol"),
    (7, "时间", "昨天",
     "time 昨天 is not a date-time (expected e.g. 2026-11-01 10:00, CST unless a zone is given)"),
    (8, "数值", "三十", "value 三十 is not a number"),
    (9, "单位", "dB(A)",
     "unit dB(A) cannot be converted to µg/m³, the unit of a34004 for object type air_station"),
    (10, "时间", "2026-11-01 10:00", "duplicate: same object, factor and time as row 2"),
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_good_rows_stored_bad_rows_reported_exactly(store, tmp_path, encoding):
    register(store)
    path = write_csv(tmp_path / "mixed.csv", MIXED, encoding)
    result = import_readings(store, path)
    assert result.encoding == ("utf-8" if encoding.startswith("utf-8") else "gb18030")
    assert (result.layout, result.rows, result.readings, result.inserted) == ("long", 10, 4, 4)
    assert result.errors.rows() == MIXED_ERRORS
    stored = store.measurements.readings(with_qc=True).sort("mn", "period_start")
    assert stored.select("mn", "factor", "period_start", "value", "device_flag").rows() == [
        (WATER_MN, "w01018", cst(10), 15.5, "N"),
        (AIR_MN, "a34004", cst(10), 35.0, "N"),
        (AIR_MN, "a34004", cst(11), 40.0, "N"),
        (AIR_MN, "a34004", cst(15), 40.0, "M"),
    ]
    # the gateway's key and shape; told apart by the missing packet
    assert set(stored["kind"]) == {"hour"} and set(stored["statistic"]) == {"Avg"}
    assert set(stored["period_s"]) == {3600} and stored["packet_id"].null_count() == 4
    assert stored["qc_flag"].null_count() == 0  # the streaming QC ran on them
    assert result.checked == 4


def test_reimport_changes_nothing_and_dry_run_writes_nothing(store, tmp_path):
    register(store)
    path = write_csv(tmp_path / "mixed.csv", MIXED)
    dry = import_readings(store, path, dry_run=True)
    assert (dry.readings, dry.inserted, dry.errors.height) == (4, 0, 6)
    assert store.measurements.count() == 0 and store.measurements.qc_flags().height == 0
    import_readings(store, path)
    before = store.measurements.readings(with_qc=True)
    again = import_readings(store, path)
    assert (again.readings, again.inserted, again.existing, again.checked) == (4, 0, 4, 0)
    assert store.measurements.readings(with_qc=True).equals(before)


def test_wide_layout_csv_and_excel(store, tmp_path):
    register(store)
    rows = [["MN", "时间", "PM2.5(mg/m³)", "a34002", "标记"],
            [AIR_MN, "2026-11-01 10:00", "0.035", "60", "N"],
            [AIR_MN, "2026-11-01 11:00", "", "abc", "N"],      # empty cell: no reading
            [AIR_MN, "2026-11-01 12:00", "0.041", "62", ""]]
    write_csv(tmp_path / "wide.csv", [",".join(r) for r in rows])
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(rows[0])
    for r in rows[1:]:  # Excel cells: numbers and date-times, as a user types them
        sheet.append([r[0], datetime.fromisoformat(r[1]),
                      *(float(v) if v.replace(".", "").isdigit() else (v or None)
                        for v in r[2:4]), r[4] or None])
    workbook.save(tmp_path / "wide.xlsx")
    for name in ("wide.csv", "wide.xlsx"):
        result = import_readings(store, tmp_path / name)
        assert result.layout == "wide"
        assert result.readings == 4
        assert result.errors.rows() == [(3, "a34002", "abc", "value abc is not a number")]
    stored = store.measurements.readings().sort("factor", "period_start")
    assert stored.select("factor", "period_start", "value").rows() == [
        ("a34002", cst(10), 60.0), ("a34002", cst(12), 62.0),
        ("a34004", cst(10), 35.0), ("a34004", cst(12), 41.0)]


def test_errors_file_can_be_fixed_and_imported_again(store, tmp_path):
    register(store)
    path = write_csv(tmp_path / "mixed.csv", MIXED)
    import_readings(store, path, errors_path=tmp_path / "errors.xlsx")
    rejected = pl.read_excel(tmp_path / "errors.xlsx", engine="openpyxl",
                             infer_schema_length=0)
    assert rejected.columns == [*MIXED[0].split(","), ERROR_REASON]
    assert rejected[ERROR_REASON].to_list() == [reason for *_, reason in MIXED_ERRORS]
    fixed = rejected.drop(ERROR_REASON).with_columns(
        pl.Series("数值", ["35", "35", "35", "30", "3", "36"]),
        pl.Series("对象编码", ["W1", "A1", "A1", "A1", "A1", "A1"]),
        pl.Series("因子", ["w01018", "a34004", "a34004", "a34004", "a34004", "a34004"]),
        pl.Series("时间", [f"2026-11-01 {h}:00" for h in (20, 12, 16, 13, 14, 10)]),
        pl.Series("单位", ["mg/L", "µg/m³", "µg/m³", "µg/m³", "µg/m³", "µg/m³"]))
    fixed.write_csv(tmp_path / "fixed.csv")
    again = import_readings(store, tmp_path / "fixed.csv", errors_path=tmp_path / "e2.csv")
    assert again.errors.height == 0 and not (tmp_path / "e2.csv").exists()
    assert (again.readings, again.inserted) == (6, 5)  # row 10's key was stored the first time


def test_chunks_give_the_same_result(store, tmp_path):
    """A duplicate in a later chunk is still found; row numbers stay those of the file."""
    register(store)
    path = write_csv(tmp_path / "mixed.csv", MIXED)
    result = import_readings(store, path, chunk_rows=3, dry_run=True)
    assert result.errors.rows() == MIXED_ERRORS and result.readings == 4


def test_kinds_periods_and_zones(store, tmp_path):
    register(store)
    path = write_csv(tmp_path / "m.csv", ["mn,factor,time,value",
                                          f"{AIR_MN},a34004,2026-11-01 10:05,30",
                                          f"{AIR_MN},a34004,2026-11-01 10:07,31",
                                          f"{AIR_MN},a34004,2026-11-01T02:10:00+00:00,32"])
    with pytest.raises(ValueError, match="minute data needs its period"):
        import_readings(store, path, kind="minute")
    result = import_readings(store, path, kind="minute", minutes=5)
    assert result.errors.rows() == [(3, "time", "2026-11-01 10:07",
                                     "time is not the start of a 5-minute period")]
    stored = store.measurements.readings(kind="minute")
    assert stored.select("period_start", "period_s").rows() == [
        (datetime(2026, 11, 1, 2, 5, tzinfo=UTC), 300),
        (datetime(2026, 11, 1, 2, 10, tzinfo=UTC), 300)]
    day = write_csv(tmp_path / "d.csv", ["对象编码,因子,时间,数值", "W1,w01018,2026-11-01,12"])
    assert import_readings(store, day, kind="day").inserted == 1
    assert store.measurements.readings(kind="day")["period_start"].to_list() == [
        datetime(2026, 10, 31, 16, tzinfo=UTC)]


def test_blank_lines_are_skipped_and_still_counted(store, tmp_path):
    register(store)
    path = write_csv(tmp_path / "b.csv", ["MN,因子,时间,数值", "",
                                          f"{AIR_MN},PM10,2026-11-01 10:00,5", ",,,",
                                          "X,PM10,2026-11-01 10:00,5"])
    result = import_readings(store, path)
    assert (result.rows, result.inserted) == (2, 1)
    assert result.errors.rows() == [(5, "MN", "X", "MN X is not registered")]


def test_whole_file_errors(store, tmp_path):
    register(store)
    with pytest.raises(FileError, match="no such file"):
        import_readings(store, tmp_path / "none.csv")
    no_time = write_csv(tmp_path / "t.csv", ["对象编码,因子,数值", "A1,a34004,3"])
    with pytest.raises(FileError, match="no time column: expected a column 时间"):
        import_readings(store, no_time)
    odd = write_csv(tmp_path / "w.csv", ["MN,时间,PM2.5,备注", f"{AIR_MN},2026-11-01 10:00,3,x"])
    with pytest.raises(FileError, match="'备注': not a factor code or name"):
        import_readings(store, odd)
    assert store.measurements.count() == 0


runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path) -> Path:
    with open_store(data_dir=tmp_path / "data", migrate=True) as store:
        register(store)
    return tmp_path / "data"


def test_cli_summary_and_error_file(data_dir, tmp_path):
    path = write_csv(tmp_path / "mixed.csv", MIXED, "gb18030")
    out = runner.invoke(app, ["import", "readings", str(path), "--data-dir", str(data_dir),
                              "--errors", str(tmp_path / "errors.csv")])
    assert out.exit_code == 3, out.output
    assert "long layout, gb18030, 10 rows; 4 valid readings (4 stored, 0 already stored" in \
        " ".join(out.output.split())
    assert "6 rejected" in out.output and "钙钛矿" in out.output
    errors = (tmp_path / "errors.csv").read_text("utf-8-sig").splitlines()
    assert errors[0].endswith(ERROR_REASON) and len(errors) == 7
    dry = runner.invoke(app, ["import", "readings", str(path), "--data-dir", str(data_dir),
                              "--dry-run"])
    assert "dry run: nothing stored" in dry.output


@pytest.mark.parametrize(("content", "option", "message"), [
    (None, [], "no such file"),
    (b"\xff\xfe\x00\x81\x30", [], "neither UTF-8 nor gb18030"),
    ("对象编码,因子,时间,单位\nA1,a34004,2026-11-01 10:00,µg/m³\n".encode(), [],
     "long layout without a value column: expected a column 数值"),
    (b"a,b\n1,2\n", ["--encoding", "klingon"], "not a known text encoding"),
])
def test_cli_bad_file_one_line_exit_1(data_dir, tmp_path, content, option, message):
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_bytes(content)
    out = runner.invoke(app, ["import", "readings", str(path), "--data-dir", str(data_dir),
                              *option])
    assert out.exit_code == 1
    assert message in out.output and "Traceback" not in out.output
    assert [line for line in out.output.splitlines() if line.strip()] == [
        line for line in out.output.splitlines() if line.startswith("ecohub: ")]
