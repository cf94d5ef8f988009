"""Frames and the stream reader: :mod:`ecohub.protocols.hj212.framing` ([S17] §6.3.1).
"""

from __future__ import annotations

import pytest
from hj212_vectors import A1, A1_SEG, B1, B8, C2081, LOG3020, STRICT_OK, frame, reframe, segment_of
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.protocols import hj212
from ecohub.protocols.hj212 import (
    FrameError,
    FrameReader,
    parse,
)


@pytest.mark.parametrize("text", STRICT_OK)
def test_frame_rebuilds_verified_vectors(text: str) -> None:
    """[S17] §6.3.1: ## + length + segment + CRC + CR LF, byte for byte as in hj212.md."""
    assert hj212.frame(segment_of(text)) == frame(text)


STREAM_FRAMES = [frame(t) for t in (A1, B1, LOG3020, B8, C2081)]


def test_frame_reader_basic_cases() -> None:
    reader = FrameReader()
    assert reader.feed(STREAM_FRAMES[0][:10]) == []
    assert reader.feed(STREAM_FRAMES[0][10:] + STREAM_FRAMES[1]) == STREAM_FRAMES[:2]
    out = reader.feed(b"garbage" + STREAM_FRAMES[2] + b"\x00\xff" + STREAM_FRAMES[3])
    assert out == [
        FrameError(b"garbage", "bytes outside a frame"), STREAM_FRAMES[2],
        FrameError(b"\x00\xff", "bytes outside a frame"), STREAM_FRAMES[3],
    ]  # fmt: skip
    assert reader.pending == 0


def test_frame_reader_wrong_length_strict_resyncs_tolerant_uses_crlf() -> None:
    bad = frame("##0100" + A1[6:])  # declared one byte short
    stream = bad + STREAM_FRAMES[1]
    strict_out = FrameReader().feed(stream)
    assert isinstance(strict_out[0], FrameError) and strict_out[0].raw == bad
    assert strict_out[1:] == [STREAM_FRAMES[1]]
    assert FrameReader(strict=False).feed(stream) == [bad, STREAM_FRAMES[1]]
    too_long = frame("##0200" + A1[6:])  # declared far too long: next frame visible after CR LF
    strict_out = FrameReader().feed(too_long + STREAM_FRAMES[1])
    assert strict_out[0] == FrameError(too_long, "length field does not match the frame")
    assert strict_out[1:] == [STREAM_FRAMES[1]]
    assert FrameReader(strict=False).feed(too_long + STREAM_FRAMES[1]) == [
        too_long, STREAM_FRAMES[1],
    ]  # fmt: skip


def test_frame_reader_missing_crlf_tolerant() -> None:
    out = FrameReader(strict=False).feed(A1.encode() + STREAM_FRAMES[1])
    assert out == [A1.encode(), STREAM_FRAMES[1]]
    assert parse(out[0], strict=False).deviations[0].startswith("trailer.missing")


def test_frame_reader_oversize_reported_not_crashed() -> None:
    seg = A1_SEG.replace("RtdInterval=30", "PolId=" + "x" * 1100)
    big = reframe(seg)
    out = FrameReader().feed(big + STREAM_FRAMES[0])
    assert isinstance(out[0], FrameError) and out[0].raw == big and "1036" in out[0].reason
    assert out[1] == STREAM_FRAMES[0]
    tolerant = FrameReader(strict=False).feed(big)
    assert tolerant == [big]
    assert "length.oversize" in {d.split(":")[0] for d in parse(big, strict=False).deviations}


def test_frame_reader_memory_is_bounded() -> None:
    reader = FrameReader()
    out = []
    for _ in range(40):
        out += reader.feed(b"x" * 1000)
        assert reader.pending <= reader.max_buffer + 1000
    out += reader.feed(b"##9999" + b"y" * 20000)
    assert reader.pending <= reader.max_buffer
    assert all(isinstance(item, FrameError) for item in out)
    assert sum(len(item.raw) for item in out) + reader.pending == 40_000 + 20_006
    assert reader.flush()[0].reason.startswith("incomplete") if reader.pending else True


@settings(max_examples=100)
@given(
    st.lists(
        st.tuples(st.sampled_from(STREAM_FRAMES), st.binary(max_size=20).map(
            lambda b: b.replace(b"#", b"").replace(b"\r", b"").replace(b"\n", b""))),
        min_size=1, max_size=8,
    ),
    st.lists(st.integers(1, 400), max_size=30),
    st.booleans(),
)  # fmt: skip
def test_frame_reader_chunking_does_not_matter(
    items: list[tuple[bytes, bytes]], cuts: list[int], strict: bool
) -> None:
    stream = b"".join(garbage + frm for frm, garbage in items)
    reader = FrameReader(strict=strict)
    out: list[bytes | FrameError] = []
    position = 0
    for size in cuts:
        out += reader.feed(stream[position : position + size])
        position += size
    out += reader.feed(stream[position:])
    frames = [item for item in out if isinstance(item, bytes)]
    assert frames == [frm for frm, _ in items]
    junk = b"".join(item.raw for item in out if isinstance(item, FrameError))
    assert junk == b"".join(garbage for _, garbage in items)
