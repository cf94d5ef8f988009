"""`ecohub serve` as an operator runs it: a real process on uvloop, a logger over TCP, SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ecohub.protocols import hj212
from ecohub.store import ObjectSpec, open_store

MN = "010000A8900016F000169DC0"


def test_serve_answers_stores_and_stops_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with open_store(data_dir=data) as store:
        (oid,) = store.registry.add_objects([ObjectSpec("A1", "站点一", "air_station")])
        store.registry.add_device(mn=MN, object_id=oid, password="123456", factors=["a34004"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ecohub = Path(sys.executable).with_name("ecohub")
    process = subprocess.Popen([str(ecohub), "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--data-dir", str(data)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(200):
            try:
                link = socket.create_connection(("127.0.0.1", port), timeout=5)
                break
            except OSError:
                time.sleep(0.05)
        segment = (f"QN=20261129100000001;ST=22;CN=2051;PW=123456;MN={MN};Flag=5;"
                   "CP=&&DataTime=20261129095000;a34004-Avg=35,a34004-Flag=N&&").encode()
        with link:
            link.sendall(b"##%04d%s%s\r\n" % (len(segment), segment,
                                             hj212.crc(segment).encode()))
            reader, frames = hj212.FrameReader(), []
            while not frames:
                frames = reader.feed(link.recv(4096))
        answer = hj212.parse(frames[0])
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert (answer.cn, answer.qn) == ("9014", "20261129100000001")
    assert process.returncode == 0, output
    assert "stored=1" in output
    with open_store(data_dir=data) as store:
        assert store.measurements.count() == 1
    assert not list((data / "journal").glob("*.wal"))  # applied, then removed
