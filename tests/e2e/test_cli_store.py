"""`ecohub store migrate` creates and upgrades the store once; the other commands only open it,
and on a data directory without a store say where they looked, in one line, creating nothing."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecohub.cli import app
from ecohub.store import open_store

runner = CliRunner()

READ_COMMANDS = [
    ["store", "info"],
    ["store", "export", "lake"],
    ["assess", "air", "--from", "2026-11-20", "--to", "2026-11-20"],
    ["quality", "report", "--from", "2026-11-20", "--to", "2026-11-20"],
    ["quality", "check", "--from", "2026-11-20", "--to", "2026-11-20"],
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=" ".join)
def test_a_read_command_without_a_store_says_where_it_looked(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECOHUB_DATABASE_URL", raising=False)
    where = tmp_path / "nonexistent"
    result = runner.invoke(app, [*command, "--data-dir", str(where)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    (line,) = result.output.splitlines()
    assert line.startswith(f"ecohub: no ecohub store in {where}: {where / 'ecohub.db'}")
    assert line.endswith("run `ecohub store migrate` to create it")
    assert not where.exists() and list(tmp_path.iterdir()) == []


def test_store_migrate_creates_once(tmp_path, monkeypatch):
    monkeypatch.delenv("ECOHUB_DATABASE_URL", raising=False)
    data = tmp_path / "data"
    created = runner.invoke(app, ["store", "migrate", "--data-dir", str(data)])
    assert created.exit_code == 0, created.output
    assert created.output.splitlines() == [
        f"operational database {data / 'ecohub.db'}: created at revision 0007",
        f"measurement store {data / 'measurements.duckdb'}: created at schema version 5"]
    again = runner.invoke(app, ["store", "migrate", "--data-dir", str(data)])
    assert again.exit_code == 0, again.output
    assert again.output.splitlines() == [
        f"operational database {data / 'ecohub.db'}: already current (revision 0007)",
        f"measurement store {data / 'measurements.duckdb'}: already current (schema version 5)"]
    info = runner.invoke(app, ["store", "info", "--data-dir", str(data)])
    assert info.exit_code == 0 and "registered devices: 0" in info.output


@pytest.mark.postgres
def test_store_migrate_on_postgresql(pg_url, tmp_path):
    info = runner.invoke(app, ["store", "info", "--database-url", pg_url])
    assert info.exit_code == 1
    assert "has no ecohub schema" in info.output and "run `ecohub store migrate`" in info.output
    created = runner.invoke(app, ["store", "migrate", "--database-url", pg_url])
    assert created.exit_code == 0, created.output
    assert created.output.startswith("operational database and measurement store postgresql")
    assert created.output.rstrip().endswith(": created at revision 0007")
    again = runner.invoke(app, ["store", "migrate", "--database-url", pg_url])
    assert again.output.rstrip().endswith(": already current (revision 0007)")
    info = runner.invoke(app, ["store", "info", "--database-url", pg_url])
    assert info.exit_code == 0 and "registered devices: 0" in info.output


def test_serve_migrates_a_new_data_directory_at_start(tmp_path):
    data = tmp_path / "data"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ecohub = Path(sys.executable).with_name("ecohub")
    process = subprocess.Popen([str(ecohub), "serve", "--no-http", "--host", "127.0.0.1",
                                "--port", str(port),
                                "--data-dir", str(data)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                break
            except OSError:
                time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 0, output
    assert f"operational database {data / 'ecohub.db'}: created at revision 0007" in output
    assert "measurement store" in output and "created at schema version 5" in output
    open_store(data_dir=data).close()


def test_ingest_rejected_lists_what_was_not_stored(tmp_path):
    from datetime import UTC, datetime

    from ecohub.store import RejectedPacket, open_store

    with open_store(data_dir=tmp_path, migrate=True) as store:
        store.registry.record_rejected_many([
            RejectedPacket(b"##0010QN=1;CN=2051;MN=LOGGER-1;CP=&&&&FFFF\r\n",
                           "crc: HJ 212 CRC: got 'FFFF', expected 1C80",
                           datetime(2026, 12, 2, 16, 30, tzinfo=UTC), "10.1.2.3:4000",
                           "LOGGER-1"),
        ])
    runner = CliRunner()
    listed = runner.invoke(app, ["ingest", "rejected", "--mn", "LOGGER-1", "--full",
                                 "--data-dir", str(tmp_path)], terminal_width=200)
    assert listed.exit_code == 0, listed.output
    assert "2026-12-03 00:30:00" in listed.output  # China Standard Time
    flat = "".join(c for c in listed.output if not c.isspace() and c not in "│┃")
    assert "got'FFFF',expected1C80" in flat and "10.1.2.3:4000" in flat  # folded cells
    assert "MN=LOGGER-1" in listed.output and "拒收" in listed.output
    none = runner.invoke(app, ["ingest", "rejected", "--mn", "OTHER", "--data-dir",
                               str(tmp_path)])
    assert none.exit_code == 0 and "no packet of OTHER was rejected" in none.output
    bad = runner.invoke(app, ["ingest", "rejected", "--disposition", "lost", "--data-dir",
                              str(tmp_path)])
    assert bad.exit_code == 2 and "quarantined" in bad.output and "lost" in bad.output
    missing = runner.invoke(app, ["ingest", "rejected", "--data-dir", str(tmp_path / "none")])
    assert missing.exit_code == 1 and not (tmp_path / "none").exists()


def test_ingest_status_per_logger(tmp_path, monkeypatch):
    import os
    from datetime import UTC, datetime, timedelta

    import pyarrow as pa

    from ecohub.cli import console
    from ecohub.ingest.status import gateway_directory, write_gateway_status
    from ecohub.store import PACKET_SCHEMA, READING_SCHEMA, ObjectSpec, RejectedPacket

    monkeypatch.setattr(console, "width", 200)  # one table row a line
    t0 = datetime(2026, 12, 2, 16, 5, tzinfo=UTC)  # 2026-12-03 00:05 China Standard Time
    with open_store(data_dir=tmp_path, migrate=True) as store:
        (oid,) = store.registry.add_objects([ObjectSpec("A1", "合肥站", "air_station")])
        for mn in ("MN-A", "MN-B", "MN-C"):
            store.registry.add_device(mn, oid, "123456", ["a34004"])
        readings = [{"mn": "MN-A", "object_id": oid, "factor": f, "kind": "minute",
                     "period_start": t0 - timedelta(minutes=5, seconds=-200), "period_s": 300,
                     "statistic": "Avg", "value": 1.0, "device_flag": "N", "received_at": t0,
                     "packet_id": "p1"} for f in ("a34004", "a34002")]
        readings.append({**readings[0], "mn": "MN-C", "packet_id": "p2"})
        store.measurements.write(
            pa.Table.from_pylist(readings, schema=READING_SCHEMA),
            pa.Table.from_pylist([
                {"packet_id": "p1", "mn": "MN-A", "cn": "2051", "received_at": t0, "raw": "##…",
                 "deviations": "crc.lowercase: CRC 'ab12'\nheader.order: MN before PW"},
                {"packet_id": "p2", "mn": "MN-C", "cn": "2051", "received_at": t0, "raw": "##…",
                 "deviations": None}], schema=PACKET_SCHEMA))
        store.registry.record_rejected_many([
            RejectedPacket(b"##0042QN=1;MN=MN-B;CP=&&&&0000\r\n", "crc: got 0000", t0, None,
                           "MN-B", reason_kind="crc"),
            RejectedPacket(b"##junk", "frame: no header", t0, None, None, reason_kind="frame")])
    runner = CliRunner()
    base = ["--since", "2026-12-03", "--data-dir", str(tmp_path)]
    out = runner.invoke(app, ["ingest", "status", *base])
    assert out.exit_code == 0, out.output
    cells = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[1:-1]]
             for line in out.output.splitlines() if line.startswith("│ MN-")}
    # MN, object, connected, last packet (CST), packets, readings, not stored, deviations, clock
    assert cells["MN-A"][2:] == ["否", "12-03 00:05", "1", "2", "—",
                                 "crc.lowercase×1, header.order×1", "+3 分 20 秒"]
    assert cells["MN-B"][2:] == ["否", "—", "0", "0", "crc 1", "—", "—"]
    text = " ".join(out.output.split())
    assert "2 of 3 loggers sent stored packets; 0 connected now; 1 packets not stored" in text
    assert "no gateway is running on this host" in text

    now = datetime.now(UTC)
    write_gateway_status(gateway_directory(tmp_path), "j1", pid=os.getpid(), host="0.0.0.0",
                         port=2756, started_at=now, connections=[
                             ("10.0.0.5:50312", "MN-A", now, now),
                             ("10.0.0.9:1234", None, now, now)])
    out = runner.invoke(app, ["ingest", "status", *base])
    assert out.exit_code == 0, out.output
    text = " ".join(out.output.split())
    assert "│ 10.0.0.5:50312 │" in out.output and "1 connected now" in text
    assert "no gateway is running" not in text
    assert "1 connections from unregistered or not yet identified MNs: 10.0.0.9:1234" in text

    conforming = runner.invoke(app, ["ingest", "status", "--non-conforming", *base])
    assert conforming.exit_code == 0, conforming.output
    listed = [line.split("│")[1].strip() for line in conforming.output.splitlines()
              if line.startswith("│ MN-")]
    assert listed == ["MN-A"] and "不合规数采仪" in conforming.output
    none = runner.invoke(app, ["ingest", "status", "--non-conforming", "--since", "2026-12-04",
                               "--data-dir", str(tmp_path)])
    assert none.exit_code == 0 and "no logger's stored packets deviated" in none.output

    one = runner.invoke(app, ["ingest", "status", "--mn", "MN-A", *base])
    assert one.exit_code == 0, one.output
    assert "connected: yes" in one.output
    assert "from 10.0.0.5:50312 to gateway 0.0.0.0:2756" in one.output
    assert "crc.lowercase×1  CRC 写成小写十六进制" in one.output
    assert "时钟偏差 clock offset: +3 分 20 秒 (median of 1 packets" in one.output
    other = runner.invoke(app, ["ingest", "status", "--mn", "MN-B", *base])
    assert other.exit_code == 0 and "##0042QN=1;MN=MN-B" in other.output
    assert "connected: no" in other.output and "not stored: crc 1" in other.output
    unknown = runner.invoke(app, ["ingest", "status", "--mn", "MN-X", "--data-dir",
                                  str(tmp_path)])
    assert unknown.exit_code == 1 and "MN-X" in unknown.output
    (gateway_directory(tmp_path) / "broken.json").write_text("{")
    broken = runner.invoke(app, ["ingest", "status", *base])
    assert broken.exit_code == 0 and "Traceback" not in broken.output
