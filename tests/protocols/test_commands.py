"""Platform commands 1011 / 1012 ([S17] App. C.5, C.6): :mod:`ecohub.protocols.hj212.commands`.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ecohub.protocols import hj212
from ecohub.protocols.hj212 import (
    HJ212Error,
    parse,
)


def test_time_commands() -> None:
    get = hj212.get_time_command("010000A8900016F000169DC0", "123456", "32",
                                 qn="20160801085857223", pol_id="w01018")  # fmt: skip
    assert get.encode()[6:-6] == (
        b"QN=20160801085857223;ST=32;CN=1011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
        b"CP=&&PolId=w01018&&"
    )
    at = datetime(2016, 8, 1, 0, 58, 57, tzinfo=UTC)  # 08:58:57 in China
    put = hj212.set_time_command("010000A8900016F000169DC0", "123456", "32", at,
                                 qn="20160801085857223")  # fmt: skip
    assert put.encode()[6:-6] == (
        b"QN=20160801085857223;ST=32;CN=1012;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
        b"CP=&&SystemTime=20160801085857&&"
    )
    assert parse(put.encode()) == put
    with pytest.raises(HJ212Error):
        hj212.set_time_command("X" * 24, "123456", "32", datetime(2016, 8, 1))  # naive time
    assert len(hj212.get_time_command("010000A8900016F000169DC0", "123456", "32").qn) == 17
