"""The whole system from the command line: `ecohub demo` over real TCP, then the commands that
read what it stored."""

from __future__ import annotations

import re

import pytest
from rich.console import Console
from typer.testing import CliRunner

from ecohub import cli
from ecohub.cli import app
from ecohub.region import anhui_region

runner = CliRunner()
SEED = 7
LOGGERS = len(anhui_region(SEED).devices)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr(cli, "console", Console(width=240))


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    original, cli.console = cli.console, Console(width=240)
    data_dir = tmp_path_factory.mktemp("demo")
    result = runner.invoke(app, ["demo", "--data-dir", str(data_dir), "--days", "0.5",
                                 "--start", "2026-11-20T00:00", "--seed", str(SEED)])
    cli.console = original
    assert result.exit_code == 0, result.output
    return data_dir, result.output


def test_demo_reports_what_arrived(demo_dir):
    _, output = demo_dir
    assert f"{LOGGERS} data loggers" in output
    stored = int(re.search(r"gateway: ([\d,]+) packets stored", output)[1].replace(",", ""))
    assert stored > 1000
    for object_type in ("air_station", "water_station", "outlet", "noise_station"):
        assert object_type in output
    assert "Packets not stored" in output and "crc" in output  # the simulator's bad packets
    assert "measurements.duckdb" in output


def test_store_info_after_demo(demo_dir):
    data_dir, _ = demo_dir
    result = runner.invoke(app, ["store", "info", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "hour" in result.output and f"registered devices: {LOGGERS}" in result.output


def test_assess_air_reads_the_demo_store(demo_dir, tmp_path):
    data_dir, _ = demo_dir
    out = tmp_path / "air.xlsx"
    result = runner.invoke(app, ["assess", "air", "--from", "2026-11-20", "--to", "2026-11-20",
                                 "--data-dir", str(data_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "合肥市" in result.output
    import openpyxl

    sheets = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert "城市日报" in sheets
    assert f"完整表格已写入：{out}" in result.output
    assert len(result.output.splitlines()) < 60


def test_map_of_a_half_day_says_why_it_cannot_be_drawn(demo_dir, tmp_path):
    data_dir, _ = demo_dir  # half a simulated day: no daily AQI (GB 3095-2026 Table 4)
    result = runner.invoke(app, ["assess", "air", "--from", "2026-11-20", "--to", "2026-11-20",
                                 "--data-dir", str(data_dir), "--map", str(tmp_path / "m.svg")])
    assert result.exit_code != 0 and "no city has a daily AQI" in result.output


def test_assess_rejects_bad_arguments(demo_dir):
    data_dir, _ = demo_dir
    result = runner.invoke(app, ["assess", "soil", "--from", "2026-11-20", "--to", "2026-11-20",
                                 "--data-dir", str(data_dir)])
    assert result.exit_code != 0 and "expected one of air, water, noise" in result.output
    result = runner.invoke(app, ["assess", "air", "--from", "20/11/2026", "--to", "2026-11-20",
                                 "--data-dir", str(data_dir)])
    assert result.exit_code != 0 and "is not a date" in result.output
