"""The HJ 212 CRC of a data segment, and the CRC-16/MODBUS that loggers send by mistake.

The HJ 212 CRC's byte loop is in C (``_crc.c``); this module formats its result.
"""

from __future__ import annotations

from ecohub.protocols.hj212._crc import crc16 as _crc16

__all__ = ["A001_TABLE", "crc", "crc_modbus"]


def _reflected_a001_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        reg = byte
        for _ in range(8):
            reg = (reg >> 1) ^ 0xA001 if reg & 1 else reg >> 1
        table.append(reg)
    return tuple(table)


#: The eight reflected shifts with polynomial 0xA001 of the CRC's inner loop, per byte value
#: ([S17] App. A): ``A001_TABLE[x]`` is the register after the shifts of ``x``.
A001_TABLE = _reflected_a001_table()
# The possible CRCs: T[x] for the last step's index x, and 0xFFFF for an empty segment.
_CRC_TEXT = {value: f"{value:04X}" for value in (*A001_TABLE, 0xFFFF)}


def crc(segment: bytes) -> str:
    """HJ 212 CRC of a data segment, as 4 upper-case hex digits (high byte first).

    The checksum of the standards' Appendix A ("ANSI CRC16"): register 0xFFFF; per byte
    ``reg = (reg >> 8) ^ byte`` then 8 reflected shifts with 0xA001; no final XOR. It is
    **not** CRC-16/MODBUS (which does ``reg ^= byte``). Computed over the UTF-8 bytes of the data
    segment only (from ``QN=`` to the closing ``&&``), in C (``_crc.c``: the per-byte loop was a
    fifth of a packet's parse in Python).

    Parameters
    ----------
    segment : bytes
        The data segment.

    Returns
    -------
    str
        Four upper-case hex digits.

    References
    ----------
    .. [S17] HJ 212-2017 Appendix A (CRC algorithm), §6.3.1 Table 2 (CRC field).
    .. [S05] HJ/T 212-2005 Appendix A.

    Examples
    --------
    >>> crc(b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    ...     b"Flag=5;CP=&&RtdInterval=30&&")
    '1C80'
    """
    return _CRC_TEXT[_crc16(segment)]


def crc_modbus(segment: bytes) -> str:
    """CRC-16/MODBUS of ``segment`` as 4 upper-case hex digits, high byte first.

    Not part of HJ 212: misconfigured loggers send it instead of the HJ 212 CRC;
    ``parse(strict=False)`` accepts it (and its byte-swapped form) as a deviation.

    References
    ----------
    .. [S17] HJ 212-2017 Appendix A (the CRC this is mistaken for).

    Examples
    --------
    >>> crc_modbus(b"123456789")  # the check value of CRC-16/MODBUS, 0x4B37
    '4B37'
    """
    reg = 0xFFFF
    table = A001_TABLE
    for byte in segment:
        reg = (reg >> 8) ^ table[(reg ^ byte) & 0xFF]
    return f"{reg:04X}"
