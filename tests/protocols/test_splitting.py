"""Split packets (PNUM/PNO, [S17] App. C.47–C.50): :mod:`ecohub.protocols.hj212.splitting`.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hj212_vectors import A1, CST, frame

from ecohub.protocols import hj212
from ecohub.protocols.hj212 import (
    HJ212Error,
    Packet,
    parse,
)


def minute_packet(n_factors: int = 60) -> Packet:
    return Packet(
        qn="20160801085857534", st="32", cn="2051", pw="123456",
        mn="010000A8900016F000169DC0", flag=5,
        data_time=datetime(2016, 8, 1, 8, 0, tzinfo=CST),
        factors={f"w{i:05d}": {"Min": "1.0", "Avg": f"{i}.5", "Max": "9.9", "Flag": "N"}
                 for i in range(n_factors)},
    )  # fmt: skip


def test_split_and_reassemble() -> None:
    whole = minute_packet()
    with pytest.raises(HJ212Error, match="split"):
        whole.encode()
    parts = hj212.split(whole)
    assert len(parts) > 1
    decoded = [parse(part.encode()) for part in parts]  # each part is a valid framed packet
    assert [p.pno for p in decoded] == list(range(1, len(parts) + 1))
    assert all(p.flag == 7 and p.pnum == len(parts) and p.data_time == whole.data_time
               for p in decoded)  # fmt: skip
    assert len({p.qn for p in decoded}) == len(parts)  # its own QN per part ([S17] C.49)
    assert decoded[1].qn == "20160801085857535"
    merged = hj212.reassemble(reversed(decoded))
    assert merged == whole


def test_reassemble_errors() -> None:
    parts = [parse(p.encode()) for p in hj212.split(minute_packet())]
    with pytest.raises(HJ212Error, match=r"missing \[2\]") as err:
        hj212.reassemble([parts[0], *parts[2:]])
    assert err.value.field == "PNO"
    with pytest.raises(HJ212Error, match=r"duplicated \[1\]"):
        hj212.reassemble([parts[0], *parts])
    other = parse(hj212.split(minute_packet())[1].encode())
    other.mn = "010000A8900016F000169DC1"
    with pytest.raises(HJ212Error, match="same as part 1"):
        hj212.reassemble([parts[0], other, *parts[2:]])
    with pytest.raises(HJ212Error):
        hj212.reassemble([parse(frame(A1))])


def test_reassembler_streaming_and_eviction() -> None:
    parts = [parse(p.encode()) for p in hj212.split(minute_packet())]
    r = hj212.Reassembler(timeout=60)
    assert r.add(parse(frame(A1)), "conn") == parse(frame(A1))  # not split: passed through
    results = [r.add(part, "conn", now=0.0) for part in parts[::-1]]
    assert results[:-1] == [None] * (len(parts) - 1)
    assert results[-1] == minute_packet()
    assert len(r) == 0
    # re-sent identical part is ignored; incomplete set is evicted with its parts
    assert r.add(parts[0], "c2", now=0.0) is None
    assert r.add(parts[0], "c2", now=1.0) is None
    assert r.expire(now=30.0) == []
    evicted = r.expire(now=100.0)
    assert len(evicted) == 1 and evicted[0].parts == [parts[0]]
    assert "missing PNO [2" in evicted[0].reason
