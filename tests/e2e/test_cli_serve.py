"""`ecohub serve` as an operator runs it: a real process on uvloop, a logger over TCP, SIGTERM."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from ecohub.identity import audit
from ecohub.store import open_store


@dataclasses.dataclass
class Served:
    """A running ``ecohub serve``, a logger's link to it, and what it printed once stopped."""

    process: subprocess.Popen
    link: socket.socket
    output: str = ""


@contextlib.contextmanager
def serving(site, *options: str) -> Iterator[Served]:
    """``ecohub serve`` on the site's data directory and gateway port, and a logger's link to
    it; on leaving, SIGTERM and wait for a clean stop."""
    ecohub = Path(sys.executable).with_name("ecohub")
    process = subprocess.Popen([str(ecohub), "serve", "--host", "127.0.0.1",
                                "--port", str(site.port), "--data-dir", str(site.data_dir),
                                *options],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(200):
            try:
                link = socket.create_connection(("127.0.0.1", site.port), timeout=5)
                break
            except OSError:
                time.sleep(0.05)
        served = Served(process, link)
        with link:
            yield served
        process.send_signal(signal.SIGTERM)
        served.output, _ = process.communicate(timeout=30)
    finally:
        process.kill()


def test_serve_answers_stores_and_stops_cleanly(logger_site) -> None:
    data = logger_site.data_dir
    with serving(logger_site, "--no-http", "--log-level", "debug") as served:
        answer = logger_site.exchange(served.link, logger_site.upload(0))
        served.link.sendall(logger_site.upload(1)[:-6] + b"0000\r\n")  # a wrong CRC: no answer
        time.sleep(0.5)
    process, output = served.process, served.output
    assert (answer.cn, answer.qn) == ("9014", logger_site.qn(0))
    assert process.returncode == 0, output
    assert "stored=1" in output
    # --log-level debug names every packet not stored by its logger and peer
    assert f"HJ 212 packet of MN {logger_site.mn} from 127.0.0.1:" in output
    assert "rejected: crc" in output
    with open_store(data_dir=data) as store:
        assert store.measurements.count() == 1
    assert not list((data / "journal").glob("*.wal"))  # applied, then removed


def test_a_logger_registered_from_another_terminal_is_served_without_restart(logger_site) -> None:
    """The embedded store: `ecohub registry device add` works beside `ecohub serve`."""
    data = logger_site.data_dir
    ecohub = Path(sys.executable).with_name("ecohub")
    new = dataclasses.replace(logger_site, mn="Y80110010000010", password="654321")
    with serving(logger_site, "--no-http", "--unknown-mn", "quarantine") as served:
        quarantined = new.exchange(served.link, new.upload(0))  # answered: held for registration
        added = subprocess.run(
            [str(ecohub), "registry", "device", "add", new.mn, "--object", "A1",
             "--factors", "a34004", "--password-stdin", "--by", "张工",
             "--data-dir", str(data)],
            input=f"{new.password}\n", capture_output=True, text=True, timeout=60)
        time.sleep(2.5)  # the gateway polls the registry every 2 s
        stored = new.exchange(served.link, new.upload(1))
    process, output = served.process, served.output
    assert added.returncode == 0, added.stdout + added.stderr
    assert (quarantined.qn, stored.qn) == (new.qn(0), new.qn(1))
    assert process.returncode == 0, output
    with open_store(data_dir=data) as store:
        assert store.measurements.readings().filter(mn=new.mn).height == 2  # released + new
        assert [r.disposition for r in store.registry.rejected()] == ["released"]


def test_read_commands_work_beside_the_running_server(logger_site) -> None:
    """The embedded store is the server's; `store info` and `ingest status` ask it instead."""
    data = logger_site.data_dir
    ecohub = Path(sys.executable).with_name("ecohub")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        http_port = probe.getsockname()[1]
    with serving(logger_site, "--http-host", "127.0.0.1", "--http-port", str(http_port)
                 ) as served:
        for n in range(3):
            logger_site.exchange(served.link, logger_site.upload(n))
        time.sleep(1.0)  # the store applies the journal in the background
        beside = {command: subprocess.run(
            [str(ecohub), *command.split(), "--data-dir", str(data)],
            capture_output=True, text=True, timeout=120)
            for command in ("store info", "ingest status --since 2026-11-01")}
    process, output = served.process, served.output
    for command, done in beside.items():
        assert done.returncode == 0, (command, done.stdout + done.stderr)
        assert "in use" not in done.stdout + done.stderr
    assert re.search(r"minute\s*│\s*3\s*│", beside["store info"].stdout)
    assert logger_site.mn in beside["ingest status --since 2026-11-01"].stdout
    assert process.returncode == 0, output
    assert not (data / "server.json").exists()  # gone with the server
    with open_store(data_dir=data) as store:
        reads = [e for e in audit.events(store, action="read")
                 if e.target == "/api/v1/internal/query"]
    assert reads and all(e.actor_kind == "cli" and e.outcome == "ok" for e in reads)
