"""The one server process: its log format and what it refuses to start."""

from __future__ import annotations

import asyncio
import json
import logging
import socket

import pytest

from ecohub.server import HttpConfig, JsonLogFormatter, serve
from ecohub.store import open_store


def test_json_log_lines_are_one_object_each() -> None:
    record = logging.LogRecord("ecohub.ingest", logging.WARNING, __file__, 1,
                               "MN %s from %s: 认证失败", ("Y801", "10.0.0.5:5000"), None)
    line = JsonLogFormatter().format(record)
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "ecohub.ingest"
    assert entry["message"] == "MN Y801 from 10.0.0.5:5000: 认证失败"
    assert entry["time"].endswith("+00:00") and "\n" not in line


def test_an_http_port_in_use_is_one_clear_error(tmp_path) -> None:
    with socket.socket() as taken, open_store(data_dir=tmp_path, migrate=True) as store:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=rf"HTTP service cannot listen on 127.0.0.1:{port}.*"
                                          "--http-port"):
            asyncio.run(serve(store, None, HttpConfig("127.0.0.1", port)))


def test_nothing_to_serve_is_refused(tmp_path) -> None:
    with open_store(data_dir=tmp_path, migrate=True) as store, \
            pytest.raises(ValueError, match="neither the gateway nor the HTTP service"):
        asyncio.run(serve(store, None, None))
