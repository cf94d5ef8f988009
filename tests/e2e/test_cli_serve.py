"""`ecohub serve` as an operator runs it: a real process on uvloop, a logger over TCP, SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ecohub.store import open_store


def test_serve_answers_stores_and_stops_cleanly(logger_site) -> None:
    data = logger_site.data_dir
    ecohub = Path(sys.executable).with_name("ecohub")
    process = subprocess.Popen([str(ecohub), "serve", "--host", "127.0.0.1",
                                "--port", str(logger_site.port), "--data-dir", str(data),
                                "--log-level", "debug"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(200):
            try:
                link = socket.create_connection(("127.0.0.1", logger_site.port), timeout=5)
                break
            except OSError:
                time.sleep(0.05)
        with link:
            answer = logger_site.exchange(link, logger_site.upload(0))
            link.sendall(logger_site.upload(1)[:-6] + b"0000\r\n")  # a wrong CRC: no answer
            time.sleep(0.5)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert (answer.cn, answer.qn) == ("9014", logger_site.qn(0))
    assert process.returncode == 0, output
    assert "stored=1" in output
    # --log-level debug names every packet not stored by its logger and peer
    assert f"HJ 212 packet of MN {logger_site.mn} from 127.0.0.1:" in output
    assert "rejected: crc" in output
    with open_store(data_dir=data) as store:
        assert store.measurements.count() == 1
    assert not list((data / "journal").glob("*.wal"))  # applied, then removed
