"""No user error ends in a traceback; nothing changes meaning silently; times are CST.

Each test names an item of issue 13 ("What a bureau data engineer hits in the first hour"); the
sweep at the end runs every command with bad input and asserts one clear message, no traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from ecohub.cli import app
from ecohub.quality import QCConfigError, default_config, load_config
from ecohub.store import READING_SCHEMA, ObjectSpec, open_store

runner = CliRunner()
ROOT = Path(__file__).parents[2]
CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def _no_server_url(monkeypatch):
    monkeypatch.delenv("ECOHUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("ECOHUB_DEBUG", raising=False)


@pytest.fixture
def data(tmp_path) -> Path:
    """A migrated store with one air station in 合肥市 (MN-A1) and one hour of PM2.5."""
    where = tmp_path / "data"
    with open_store(data_dir=where, migrate=True) as store:
        (object_id,) = store.registry.add_objects([ObjectSpec(
            code="A1", name="合肥A1", object_type="air_station", city="合肥市",
            city_code="340100", attributes={})])
        store.registry.add_device("MN-A1", object_id, "123456", [])
        start = dt.datetime(2026, 12, 2, 8, tzinfo=CST)
        store.measurements.write(pa.Table.from_pylist([{
            "mn": "MN-A1", "object_id": object_id, "factor": "a34004", "kind": "hour",
            "period_start": start, "period_s": 3600, "statistic": "Avg", "value": 35.0,
            "device_flag": "N", "received_at": start + dt.timedelta(hours=1),
            "packet_id": None}], schema=READING_SCHEMA))
    return where


def one_line_error(result, *words: str) -> str:
    """The command failed with one ``ecohub: …`` line naming ``words``, no traceback."""
    assert result.exit_code not in (0, None), result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.splitlines() if line.startswith("ecohub: ")]
    assert len(lines) == 1, result.output
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# ----------------------------------------------------------------------------- tracebacks
def test_assessing_a_new_store_says_no_data(tmp_path):
    where = tmp_path / "new"
    assert runner.invoke(app, ["store", "migrate", "--data-dir", str(where)]).exit_code == 0
    for domain in ("air", "water", "noise"):
        result = runner.invoke(app, ["assess", domain, "--from", "2026-12-01", "--to",
                                     "2026-12-01", "--data-dir", str(where)])
        one_line_error(result, f"no {domain} data for 2026-12-01", "registered")


def test_an_assessment_without_readings_says_no_data_instead_of_an_empty_table(data):
    result = runner.invoke(app, ["assess", "air", "--from", "2026-11-01", "--to", "2026-11-03",
                                 "--data-dir", str(data)])
    line = one_line_error(result, "no air data for 2026-11-01 – 2026-11-03 (CST)",
                          "ecohub store info")
    assert "┃" not in result.output  # no empty table
    assert line


def test_map_of_a_day_without_data_is_a_message(data, tmp_path):
    svg = tmp_path / "map.svg"
    result = runner.invoke(app, ["assess", "air", "--from", "2026-11-01", "--to", "2026-11-01",
                                 "--map", str(svg), "--data-dir", str(data)])
    one_line_error(result, "no air data")
    assert not svg.exists()


def test_out_into_a_missing_directory_is_refused_before_the_work(data, tmp_path):
    out = tmp_path / "missing" / "air.xlsx"
    result = runner.invoke(app, ["assess", "air", "--from", "2026-12-02", "--to", "2026-12-02",
                                 "--out", str(out), "--data-dir", str(data)])
    one_line_error(result, "--out", str(out.parent), "does not exist")
    assert "┃" not in result.output  # refused before any table was printed


@contextlib.contextmanager
def as_nobody():
    """Run the block as user nobody, for whom root-owned files are read-only (root may write
    anything, so a permission test needs another user)."""
    if os.geteuid() != 0:
        yield
        return
    os.setegid(65534)
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


def test_a_read_only_store_or_output_directory_is_one_line(data, tmp_path):
    # under /tmp itself: pytest's own temporary directories may not be entered by nobody
    base = Path(tempfile.mkdtemp(prefix="ecohub-read-only-"))
    base.chmod(0o755)
    data = Path(shutil.copytree(data, base / "data"))
    locked = base / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    data.chmod(0o555)
    for part in data.iterdir():
        part.chmod(0o444)
    # warm up as root: every module the commands import is loaded before dropping privileges
    runner.invoke(app, ["assess", "air", "--from", "2026-12-02", "--to", "2026-12-02",
                        "--data-dir", str(data)])
    runner.invoke(app, ["store", "info", "--data-dir", str(data)])
    try:
        with as_nobody():
            info = runner.invoke(app, ["store", "info", "--data-dir", str(data)])
            out = runner.invoke(app, ["registry", "template", str(locked / "t.xlsx")])
    finally:
        data.chmod(0o755)
        locked.chmod(0o755)
        shutil.rmtree(base)
    one_line_error(info, str(data / "ecohub.db"), "write")
    one_line_error(out, str(locked), "cannot write")


def test_serve_on_a_port_in_use_exits_cleanly(data):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "ecohub.cli", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--data-dir", str(data)],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert done.returncode == 1, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "address already in use" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in output and "nanobind" not in output, output


@pytest.mark.parametrize("url, words", [
    ("mysql://u@h/db", ["scheme 'mysql' is not supported"]),
    ("postgresql://u@127.0.0.1:x/db", ["database URL", "expected"]),
    ("postgresql://nobody@127.0.0.1:1/db", ["cannot reach the database", "127.0.0.1"]),
])
def test_an_unsupported_or_unreachable_database_url_is_one_line(url, words):
    result = runner.invoke(app, ["store", "info", "--database-url", url])
    one_line_error(result, *words)


def test_debug_shows_the_traceback():
    result = runner.invoke(app, ["--debug", "store", "info", "--database-url", "mysql://u@h/db"])
    assert isinstance(result.exception, ValueError)


def test_a_qc_config_saved_as_gbk_is_read(tmp_path):
    config = tmp_path / "qc.toml"
    config.write_bytes('extends = "default"  # 质控配置，GBK 编码\n'.encode("gbk"))
    assert load_config(config) == default_config()


# ----------------------------------------------------------------------------- silent changes
def test_an_empty_qc_config_is_an_error_not_every_test_off(tmp_path, data):
    empty = tmp_path / "qc.toml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    with pytest.raises(QCConfigError, match="configures no object type"):
        load_config(empty)
    with pytest.raises(QCConfigError, match='extends = "default"'):
        load_config({})
    result = runner.invoke(app, ["quality", "check", "--from", "2026-12-02", "--to",
                                 "2026-12-02", "--config", str(empty), "--data-dir", str(data)])
    assert result.exit_code == 1 and "configures no object type" in result.output
    assert "Traceback" not in result.output


def test_the_example_qc_config_loads_and_equals_the_defaults():
    example = load_config(ROOT / "docs" / "qc.example.toml")
    assert example == default_config()
    assert example.version == default_config().version


@pytest.mark.parametrize("command", [
    ["store", "info"], ["registry", "devices"], ["registry", "list"],
    ["ingest", "status"], ["ingest", "rejected"],
    ["assess", "noise", "--from", "2026-12-01", "--to", "2026-12-01"],
], ids=" ".join)
def test_read_commands_on_a_mistyped_data_dir_create_nothing(command, tmp_path):
    typo = tmp_path / "ecohub-dta"
    result = runner.invoke(app, [*command, "--data-dir", str(typo)])
    one_line_error(result, f"no ecohub store in {typo}", "ecohub store migrate")
    assert not typo.exists()


@pytest.mark.parametrize("option", ["--from", "--to"])
def test_assess_refuses_times_of_day_rather_than_dropping_them(data, option):
    args = {"--from": "2026-12-02", "--to": "2026-12-02"}
    args[option] = "2026-12-02T08:00"
    result = runner.invoke(app, ["assess", "air", "--from", args["--from"], "--to",
                                 args["--to"], "--data-dir", str(data)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "time of day" in result.output and "whole natural days" in result.output


# ----------------------------------------------------------------------------- one time zone
def test_store_info_shows_china_standard_time(data):
    result = runner.invoke(app, ["store", "info", "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "2026-12-02 08:00 CST" in result.output and "UTC" not in result.output


def test_store_export_partitions_by_china_date(data, tmp_path):
    lake = tmp_path / "lake"
    with open_store(data_dir=data) as store:  # 2026-12-02 02:00 CST is 2026-12-01 18:00 UTC
        (object_id,) = [o.id for o in store.registry.objects()]
        early = dt.datetime(2026, 12, 2, 2, tzinfo=CST)
        store.measurements.write(pa.Table.from_pylist([{
            "mn": "MN-A1", "object_id": object_id, "factor": "a34004", "kind": "hour",
            "period_start": early, "period_s": 3600, "statistic": "Avg", "value": 30.0,
            "device_flag": "N", "received_at": early + dt.timedelta(hours=1),
            "packet_id": None}], schema=READING_SCHEMA))
    result = runner.invoke(app, ["store", "export", str(lake), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in (lake / "kind=hour").iterdir()] == ["date=2026-12-02"]


def test_messages_write_times_in_cst_not_as_python_reprs(data):
    result = runner.invoke(app, ["quality", "review", "--mn", "MN-A1", "--factor", "a34004",
                                 "--kind", "hour", "--time", "2026-12-03T08:00", "--accept",
                                 "--by", "王工", "--reason", "checked", "--data-dir", str(data)])
    line = one_line_error(result, "2026-12-03 08:00 CST", "MN-A1")
    assert "datetime" not in line and "tzinfo" not in line


# ----------------------------------------------------------------------------- small things
def test_version():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output == f"ecohub {version('ecohub')}\n"


def test_an_unknown_mn_is_named_as_not_registered(data):
    result = runner.invoke(app, ["quality", "review", "--mn", "NO-SUCH-MN", "--factor",
                                 "a34004", "--kind", "hour", "--time", "2026-12-02T08:00",
                                 "--accept", "--by", "王工", "--reason", "checked",
                                 "--data-dir", str(data)])
    one_line_error(result, "MN NO-SUCH-MN is not registered", "ecohub registry devices")


def test_migrations_do_not_log_unless_debug(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    env.pop("ECOHUB_DATABASE_URL", None)
    quiet = subprocess.run([sys.executable, "-m", "ecohub.cli", "store", "migrate", "--data-dir",
                            str(tmp_path / "a")], capture_output=True, text=True, env=env,
                           timeout=120)
    assert quiet.returncode == 0 and "INFO" not in quiet.stdout + quiet.stderr
    assert "created at" in quiet.stdout
    loud = subprocess.run([sys.executable, "-m", "ecohub.cli", "--debug", "store", "migrate",
                           "--data-dir", str(tmp_path / "b")], capture_output=True, text=True,
                          env=env, timeout=120)
    assert loud.returncode == 0 and "alembic" in loud.stderr


# ----------------------------------------------------------------------------- the sweep
def sweep_commands(data: Path, tmp: Path) -> list[list[str]]:
    """Every command with one kind of bad input each."""
    missing = str(tmp / "no-such-dir" / "x")
    nodir = str(tmp / "nowhere")
    d = ["--data-dir", str(data)]
    day = ["--from", "2026-12-02", "--to", "2026-12-02"]
    return [
        ["store", "info", "--data-dir", nodir],
        ["store", "export", missing, *d],
        ["store", "export", "lake", "--kind", "weekly", *d],
        ["assess", "air", "--from", "2026-13-01", "--to", "2026-12-02", *d],
        ["assess", "air", "--from", "yesterday", "--to", "2026-12-02", *d],
        ["assess", "air", *day, "--city", "北京市", *d],
        ["assess", "air", *day, "--edition", "2020", *d],
        ["assess", "soil", *day, *d],
        ["assess", "air", *day, "--out", missing + ".xlsx", *d],
        ["assess", "air", *day, "--data-dir", nodir],
        ["report", "air-daily", "--day", "2026-13-01", *d],
        ["report", "air-daily", "--day", "2026-11-30", *d],
        ["report", "air-monthly", "--month", "2026-12", "--out", missing + ".pdf", *d],
        ["quality", "check", *day, "--config", missing + ".toml", *d],
        ["quality", "check", "--from", "2026-12-03", "--to", "2026-12-01", *d],
        ["quality", "report", *day, "--by", "planet", *d],
        ["quality", "report", *day, "--out", missing + ".xlsx", *d],
        ["quality", "review", "--mn", "X", "--factor", "a34004", "--kind", "weekly", "--time",
         "2026-12-02T08:00", "--accept", "--by", "a", "--reason", "b", *d],
        ["quality", "review", "--mn", "MN-A1", "--factor", "a34004", "--kind", "hour", "--time",
         "noon", "--accept", "--by", "a", "--reason", "b", *d],
        ["registry", "template", missing + ".xlsx"],
        ["registry", "import", missing + ".xlsx", *d],
        ["registry", "export", missing + ".xlsx", *d],
        ["registry", "list", "--type", "火山", *d],
        ["registry", "list", "--data-dir", nodir],
        ["import", "readings", missing + ".csv", *d],
        ["import", "readings", str(ROOT / "README.md"), "--kind", "weekly", *d],
        ["ingest", "rejected", "--since", "2026-02-30", *d],
        ["ingest", "status", "--mn", "NO-SUCH-MN", *d],
        ["ingest", "release", "--data-dir", nodir],
        ["serve", "--unknown-mn", "keep", "--port", "0", *d],
        ["serve", "--log-level", "loud", *d],
        ["demo", "--start", "someday", "--data-dir", str(tmp / "demo")],
        ["store", "info", "--database-url", "oracle://u@h/db"],
    ]


def test_sweep_bad_input_never_ends_in_a_traceback(data, tmp_path):
    for command in sweep_commands(data, tmp_path):
        result = runner.invoke(app, command)
        shown = " ".join(command)
        assert result.exit_code not in (0, None), f"{shown}: {result.output}"
        assert isinstance(result.exception, SystemExit), \
            f"{shown}: {result.exception!r}\n{result.output}"
        assert "Traceback" not in result.output, f"{shown}: {result.output}"
        assert result.output.strip(), f"{shown}: no message"


@pytest.mark.postgres
def test_assessing_a_new_postgresql_store_says_no_data(pg_url):
    assert runner.invoke(app, ["store", "migrate", "--database-url", pg_url]).exit_code == 0
    with open_store(pg_url) as store:
        (object_id,) = store.registry.add_objects([ObjectSpec(
            code="A1", name="合肥A1", object_type="air_station", city="合肥市",
            city_code="340100", attributes={})])
    for domain in ("air", "water", "noise"):
        result = runner.invoke(app, ["assess", domain, "--from", "2026-12-01", "--to",
                                     "2026-12-01", "--database-url", pg_url])
        one_line_error(result, f"no {domain} data for 2026-12-01")
    info = runner.invoke(app, ["store", "info", "--database-url", pg_url])
    assert info.exit_code == 0 and "no readings stored yet" in info.output
