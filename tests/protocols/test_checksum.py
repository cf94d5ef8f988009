"""The HJ 212 CRC ([S17] Appendix A) and CRC-16/MODBUS: :mod:`ecohub.protocols.hj212.checksum`.
"""

from __future__ import annotations

import pytest
from hj212_vectors import (
    A1,
    A1_SEG,
    B4,
    B6,
    C3,
    C4,
    LOG3020,
    STRICT_OK,
    naive_crc,
    reframe,
    segment_of,
)
from hypothesis import given
from hypothesis import strategies as st

from ecohub.protocols import hj212
from ecohub.protocols.hj212 import (
    crc,
    parse,
)


@pytest.mark.parametrize("text", [*STRICT_OK, B4, B6])
def test_crc_of_verified_vectors(text: str) -> None:
    assert crc(segment_of(text)) == text[-4:].upper()


def test_crc_standard_example_and_empty() -> None:
    seg = segment_of(A1)
    assert crc(seg) == "1C80"  # [S17] App. A (the prose's "1C08" is a typo, reference §1.3)
    assert crc(b"") == "FFFF"  # reference §1.3


def test_crc_over_utf8_bytes_not_characters() -> None:
    # reference §1.4: 9741 over UTF-8 bytes, DEC1 over GBK bytes.
    seg_text = LOG3020[6:-4]
    assert crc(seg_text.encode("utf-8")) == "9741"
    assert crc(seg_text.encode("gbk")) == "DEC1"
    assert len(seg_text.encode("utf-8")) == 152 and len(seg_text) == 144


def test_crc_is_not_modbus() -> None:
    # reference §1.4 (hutool PR 963): HJ 212 = 1E00, CRC-16/MODBUS = 25FB for the same data.
    assert crc(segment_of(C3)) == "D801"
    assert hj212.crc_modbus(segment_of(C3)) == "EF98"
    assert hj212.crc_modbus(segment_of(C4)) == "ECA6"
    assert crc(segment_of(C4)) == "0440"


@given(st.binary(max_size=1100))
def test_crc_matches_bytewise_definition(data: bytes) -> None:
    assert crc(data) == f"{naive_crc(data):04X}"


def test_crc_low_byte_property() -> None:
    # reference §1.3: the low byte of an HJ 212 CRC is one of 00 01 40 41 80 81 C0 C1.
    lows = {int(crc(bytes([i, j, 7])), 16) & 0xFF for i in range(256) for j in range(0, 256, 17)}
    assert lows <= {0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xC0, 0xC1}


def test_crc_of_segments_longer_than_any_frame() -> None:
    # longer than any data segment (tolerant parse of oversized frames)
    for n in (4100, 8300, 20_000):
        data = bytes(range(256)) * (n // 256) + b"x" * (n % 256)
        assert crc(data) == f"{naive_crc(data):04X}"
    big = reframe(A1_SEG.replace("RtdInterval=30", "PolId=" + "x" * 9000))
    assert "length.oversize" in {d.split(":")[0] for d in parse(big, strict=False).deviations}
