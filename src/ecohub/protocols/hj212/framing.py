"""Frames (``##`` + length + data segment + CRC + CR LF): built, and cut out of a byte stream.

:func:`frame` builds one; :class:`FrameReader` cuts a TCP byte stream into frames.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecohub.protocols.hj212.checksum import crc
from ecohub.protocols.hj212.tables import MAX_FRAME

__all__ = ["FrameError", "FrameReader", "frame"]


def frame(segment: bytes) -> bytes:
    r"""``##`` + 4-digit length + data segment + CRC + CR LF.

    The segment is framed as given (no check of its content or length: see
    ``Packet.encode``).

    Parameters
    ----------
    segment : bytes
        The data segment, from ``QN=`` (or ``ST=``) to the closing ``&&``.

    Returns
    -------
    bytes
        The frame.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.1 Table 2 (packet structure), Appendix A (CRC).

    Examples
    --------
    >>> frame(b"ST=91;CN=9014;CP=&&&&")
    b'##0021ST=91;CN=9014;CP=&&&&4980\r\n'
    """
    return b"##%04d%b%b\r\n" % (len(segment), segment, crc(segment).encode("ascii"))


@dataclass(frozen=True, slots=True)
class FrameError:
    """Bytes from the stream that do not form a frame: ``raw`` kept whole, and ``reason``."""

    raw: bytes
    reason: str


class FrameReader:
    """Cut a TCP byte stream into HJ 212 frames.

    :meth:`feed` returns, in stream order, each complete frame (``bytes`` from ``##`` to CR LF)
    or a :class:`FrameError` for bytes that are not one (kept whole, with the reason). A frame
    ends where its length field says if CR LF is there. When it is not (wrong length field),
    a strict reader reports the bytes up to the first CR LF or next ``##`` and resynchronises on
    the next ``##``; a tolerant reader (``strict=False``) ends the frame at the first CR LF (or
    before the next ``##`` when CR LF is missing) and passes it on, for ``parse(strict=False)``
    to record the deviation. Frames longer than ``max_frame`` (1036 bytes) are reported
    (strict) or passed on (tolerant). Bytes between frames are reported when the next ``##``
    arrives, or by :meth:`flush`. At most ``max_buffer`` bytes are held.

    Parameters
    ----------
    strict : bool, default True
        Frames must be as the length field says and at most ``max_frame`` bytes.
    max_frame : int, default 1036
        The longest frame passed on in strict mode.
    max_buffer : int, default 16384
        The most bytes held while waiting for the end of a frame.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.1 Table 2 (packet structure and length), §6.1 (TCP/IP link).

    Examples
    --------
    >>> reader = FrameReader()
    >>> data = frame(b"ST=91;CN=9014;CP=&&&&")
    >>> reader.feed(b"noise" + data[:10])
    [FrameError(raw=b'noise', reason='bytes outside a frame')]
    >>> reader.feed(data[10:]) == [data]
    True
    """

    def __init__(
        self, strict: bool = True, max_frame: int = MAX_FRAME, max_buffer: int = 16_384
    ) -> None:
        if max_buffer < 9999 + 12:
            raise ValueError("max_buffer must hold the longest declarable frame (10011 bytes)")
        self.strict = strict
        self.max_frame = max_frame
        self.max_buffer = max_buffer
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held while waiting for the rest of a frame."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes | FrameError]:
        """Add bytes received from the connection; return the frames they complete."""
        buf = self._buffer
        buf += data
        out: list[bytes | FrameError] = []
        while True:
            start = buf.find(b"##")
            if start < 0:
                if len(buf) > self.max_buffer:
                    out.extend(self.flush())
                break
            if start:
                out.append(FrameError(bytes(buf[:start]), "bytes outside a frame"))
                del buf[:start]
            end = self._frame_end(buf) if len(buf) >= 6 else None
            if end is None:
                if len(buf) > self.max_buffer:
                    out.append(FrameError(bytes(buf), "no frame end within the buffer limit"))
                    buf.clear()
                break
            piece = bytes(buf[: abs(end)])
            del buf[: abs(end)]
            if end < 0:
                out.append(FrameError(piece, "length field does not match the frame"))
            elif self.strict and len(piece) > self.max_frame:
                reason = f"frame of {len(piece)} bytes exceeds the {self.max_frame}-byte maximum"
                out.append(FrameError(piece, reason))
            else:
                out.append(piece)
        return out

    def flush(self) -> list[FrameError]:
        """Report and drop whatever is buffered (call when the connection closes)."""
        if not self._buffer:
            return []
        rest = FrameError(bytes(self._buffer), "incomplete data at the end of the stream")
        self._buffer.clear()
        return [rest]

    def _frame_end(self, buf: bytearray) -> int | None:
        """End offset of the frame at the start of ``buf`` (negative: a bad frame); None: wait."""
        digits = bytes(buf[2:6])
        declared = int(digits) + 12 if digits.isdigit() else None
        if (
            declared is not None
            and buf[declared - 2 : declared] == b"\r\n"
            and (self.strict or buf.find(b"\r\n", 6, declared - 2) < 0)
        ):
            return declared
        crlf = buf.find(b"\r\n", 6)
        following = buf.find(b"##", 2)
        if not self.strict:
            if crlf >= 0 and (following < 0 or crlf < following):
                return crlf + 2
            return following if following >= 0 else None
        if declared is not None and len(buf) < declared:
            # Wait for the declared length unless a new frame visibly began after a CR LF.
            early = buf.find(b"\r\n##", 6)
            return None if early < 0 else -(early + 2)
        ends = [end for end in (crlf + 2 if crlf >= 0 else -1, following) if end > 0]
        return -min(ends) if ends else None
