"""``ecohub report air-daily`` / ``air-monthly``: the bulletins from the command line.

A store with one day of the six pollutants at two cities; the file written is checked, and
every kind of bad input ends in one message without a traceback.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import openpyxl
import pyarrow as pa
import pytest
from test_cli_errors import as_nobody, one_line_error
from typer.testing import CliRunner

from ecohub.cli import app
from ecohub.store import READING_SCHEMA, ObjectSpec, open_store

runner = CliRunner()
CST = dt.timezone(dt.timedelta(hours=8))
SIX = {"a34004": 80.0, "a34002": 90.0, "a21026": 10.0, "a21004": 20.0, "a21005": 0.6,
       "a05024": 80.0}


@pytest.fixture(autouse=True)
def _no_server_url(monkeypatch):
    monkeypatch.delenv("ECOHUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("ECOHUB_DEBUG", raising=False)


@pytest.fixture
def data(tmp_path) -> Path:
    where = tmp_path / "data"
    start = dt.datetime(2026, 12, 1, tzinfo=CST)
    with open_store(data_dir=where, migrate=True) as store:
        ids = store.registry.add_objects([
            ObjectSpec(code="H1", name="合肥站", object_type="air_station", city="合肥市",
                       city_code="340100", longitude=117.23, latitude=31.82),
            ObjectSpec(code="W1", name="芜湖站", object_type="air_station", city="芜湖市",
                       city_code="340200", longitude=118.38, latitude=31.33)])
        rows = [{"mn": f"MN-{object_id}", "object_id": object_id, "factor": code,
                 "kind": "hour", "period_start": start + dt.timedelta(hours=h),
                 "period_s": 3600, "statistic": "Avg", "value": value * (1 + i),
                 "device_flag": "N", "received_at": start + dt.timedelta(hours=h + 1),
                 "packet_id": None}
                for i, object_id in enumerate(ids) for code, value in SIX.items()
                for h in range(24)]
        for object_id in ids:
            store.registry.add_device(f"MN-{object_id}", object_id, "123456", [])
        store.measurements.write(pa.Table.from_pylist(rows, schema=READING_SCHEMA))
    return where


def test_daily_pdf_in_the_current_directory_by_default(data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["report", "air-daily", "--day", "2026-12-01",
                                 "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    written = tmp_path / "安徽省城市环境空气质量日报_2026-12-01.pdf"
    assert written.read_bytes()[:5] == b"%PDF-"
    assert "已写入" in result.output and "GB 3095-2026（过渡阶段）" in result.output


def test_monthly_xlsx_with_edition_and_stage(data, tmp_path):
    out = tmp_path / "月报.xlsx"
    result = runner.invoke(app, ["report", "air-monthly", "--month", "2026-12", "--out",
                                 str(out), "--edition", "2026", "--stage", "final",
                                 "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    title = next(iter(book["城市排名"].values))[0]
    assert "GB 3095-2026（最终阶段）" in title and "2026年12月" in title
    assert [r[1] for r in list(book["城市排名"].values)[2:]] == ["合肥市", "芜湖市"]


def test_no_data_and_unwritable_output_are_one_line(data, tmp_path):
    result = runner.invoke(app, ["report", "air-daily", "--day", "2026-11-30", "--out",
                                 str(tmp_path / "x.pdf"), "--data-dir", str(data)])
    one_line_error(result, "no air data for 2026-11-30")
    assert not (tmp_path / "x.pdf").exists()
    result = runner.invoke(app, ["report", "air-monthly", "--month", "2026-12", "--out",
                                 str(tmp_path / "missing" / "x.pdf"), "--data-dir", str(data)])
    one_line_error(result, "--out", "does not exist")
    result = runner.invoke(app, ["report", "air-daily", "--day", "2026-12-01",
                                 "--data-dir", str(tmp_path / "typo")])
    one_line_error(result, "no ecohub store")


def test_read_only_output_directory_is_one_line_before_the_work(data):
    # under /tmp itself: pytest's own temporary directories may not be entered by nobody
    base = Path(tempfile.mkdtemp(prefix="ecohub-report-"))
    base.chmod(0o755)
    locked = base / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with as_nobody():  # the output is checked before the store is opened
            result = runner.invoke(app, ["report", "air-daily", "--day", "2026-12-01",
                                         "--out", str(locked / "x.pdf"), "--data-dir",
                                         str(data)])
    finally:
        locked.chmod(0o755)
        shutil.rmtree(base)
    one_line_error(result, str(locked), "cannot write")


@pytest.mark.parametrize("args, words", [
    (["air-daily", "--day", "2026-13-01"], ["--day", "not a date"]),
    (["air-daily", "--day", "2026-12-01T08:00"], ["--day", "time of day"]),
    (["air-monthly", "--month", "2026-1"], ["--month", "YYYY-MM"]),
    (["air-daily", "--day", "2026-12-01", "--out", "x.docx"], ["--out", ".pdf or .xlsx"]),
    (["air-daily", "--day", "2026-12-01", "--stage", "final"], ["--stage", "--edition 2026"]),
    (["air-monthly", "--month", "2026-12", "--edition", "2020"], ["--edition", "2026 or 2012"]),
], ids=lambda v: " ".join(v) if isinstance(v, list) and v[0].startswith("air") else "")
def test_bad_options_name_the_option_without_a_traceback(data, args, words):
    result = runner.invoke(app, ["report", *args, "--data-dir", str(data)])
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    text = " ".join(result.output.split())
    for word in words:
        assert word in text, text
