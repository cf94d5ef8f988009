"""Parsing a frame into a :class:`.packet.Packet`: the frame and its CRC, header, data area.

Each step has one quick route for what conforms and the detailed checks, which name the fault or
note the tolerated deviation: a frame in one regular expression, else field by field; a 2017
header in one regular expression, else field by field; the data area by its cached layout
(:mod:`.layout`), else item by item (:mod:`.data_area`). The quick routes accept only what the
detailed checks accept without a deviation, and give the same packet.
"""

from __future__ import annotations

import re

from ecohub.protocols.hj212.checksum import crc, crc_modbus
from ecohub.protocols.hj212.data_area import parse_data_area
from ecohub.protocols.hj212.errors import HJ212Error
from ecohub.protocols.hj212.layout import match_data_area
from ecohub.protocols.hj212.packet import Packet
from ecohub.protocols.hj212.tables import (
    HEADER_BY_UPPER,
    HEADER_ORDER,
    HEADER_RANK,
    MAX_CP_2005,
    MAX_CP_2017,
    MAX_FRAME,
    MAX_SEGMENT,
    QN,
    RE_CN,
    RE_HEX4,
    RE_HEX_ANY,
    RE_MN_2005,
    RE_MN_2017,
    RE_MN_ANY,
    RE_PW,
    RE_QN,
    RE_SMALL_INT,
    RE_ST,
    RE_TOLERANT_ID,
    version_of,
)

__all__ = ["header_mn", "parse"]

def parse(data: bytes | str, strict: bool = True) -> Packet:
    r"""Parse one HJ 212 frame ``##LLLL<segment>CCCC\r\n`` into a :class:`.packet.Packet`.

    Parameters
    ----------
    data : bytes or str
        One frame (a ``str`` is encoded as UTF-8).
    strict : bool, default True
        Enforce [S17] (or [S05] for 2005 packets): the HJ 212 CRC in upper case, the exact
        length, CR LF, the header order and formats (QN 17 digits, ST 2, CN 4, PW 6, MN 24 hex /
        14 for 2005), Flag/PNUM/PNO consistency, N14 times, data flags of the version's table
        and numeric measurement values. ``strict=False`` accepts the known real-world
        deviations (lower-case or unpadded CRC, CRC-16/MODBUS and byte-swapped MODBUS, wrong
        length, missing CR LF, stray spaces, ``,`` in the header, header out of order,
        over-long frames, MN/PW/ST of other shapes, 17-digit times, unknown data flags, GBK
        text) and records each in ``packet.deviations`` as ``"<kind>: <explanation>"``.

    Returns
    -------
    Packet
        The packet; its ``factors`` are built on first access when the data area took the
        layout route.

    Raises
    ------
    HJ212Error
        Anything unparseable, naming the field, the value and what was expected.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.1 Table 2 (frame), §6.3.2 Table 3 (header), §6.3.3 (data area),
       §6.6 (codes and flags), Appendix A (CRC).
    .. [S05] HJ/T 212-2005 §6.3 (packet), Appendix A (CRC).

    Examples
    --------
    >>> packet = parse(b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    ...                b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n")
    >>> packet.cn, packet.version, packet.needs_reply, packet.fields
    ('1062', '2017', True, {'RtdInterval': '30'})
    >>> parse(b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    ...       b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1c80\r\n",
    ...       strict=False).deviations
    ["crc.lowercase: CRC '1c80' written as '1C80' by the standard"]
    """
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    deviations: list[str] = []
    segment = _unframe(raw, strict, deviations)
    try:
        text = segment.decode("utf-8")
    except UnicodeDecodeError as exc:
        if strict:
            raise HJ212Error("data segment", segment, "UTF-8 text ([S17] §6.3)") from None
        try:
            text = segment.decode("gb18030")
        except UnicodeDecodeError:
            raise HJ212Error("data segment", segment, "UTF-8 (or GBK) text") from exc
        deviations.append("encoding.gbk: the data segment is GBK-encoded, the standard says UTF-8")
    return _parse_segment(text, strict, deviations)


# ---- the frame ([S17] §6.3.1) ---------------------------------------------------------------

# A conforming frame in one match: '##', 4 digits, the data segment up to its last '&&', 4
# upper-case hex digits, CR LF. Anything else takes the field-by-field checks of _unframe.
_FRAME = re.compile(rb"##([0-9]{4})(.*&&)([0-9A-F]{4})\r\n", re.S)


def _unframe(raw: bytes, strict: bool, deviations: list[str]) -> bytes:
    """Check the frame around the data segment and its CRC; return the segment bytes."""
    whole = _FRAME.fullmatch(raw)  # a conforming frame, in either mode
    if whole is not None and len(raw) <= MAX_FRAME:
        digits, segment, given = whole.groups()
        # the conditions below, in one go: length field, 'CP=&&' before the end, CRC
        if (
            int(digits) == len(segment)
            and raw.find(b"CP=&&", 6) < len(segment)
            and crc(segment) == given.decode("ascii")
        ):
            return segment
    if not strict:
        has_trailer = raw.endswith(b"\r\n")
        body = raw[:-2] if has_trailer else raw
        stripped = body.strip(b" \t\r\n\x00")
        if not has_trailer:
            deviations.append("trailer.missing: the frame does not end with CR LF")
        if stripped != body:
            deviations.append("space.stray: whitespace around the frame")
        raw = stripped + b"\r\n"
    if not raw.startswith(b"##"):
        raise HJ212Error("header", raw[:8], "a frame starting with '##'")
    if len(raw) > MAX_FRAME:
        if strict:
            raise HJ212Error("length", len(raw), f"a frame of at most {MAX_FRAME} bytes")
        deviations.append(f"length.oversize: frame of {len(raw)} bytes, maximum {MAX_FRAME}")
    digits = raw[2:6]
    if len(digits) != 4 or not digits.isdigit():
        raise HJ212Error("length", digits, "4 decimal digits after '##'")
    end = raw.rfind(b"&&") + 2
    if end < raw.find(b"CP=&&", 6) + 7 or end < 8:  # no "CP=&&", or no "&&" closing it
        raise HJ212Error("CP", raw[-40:], "a data segment ending with 'CP=&&…&&'")
    segment = raw[6:end]
    tail = raw[end:]
    if tail[-2:] != b"\r\n":
        raise HJ212Error("trailer", tail[-2:], "CR LF (0x0D 0x0A) after the CRC")
    tail = tail[:-2]
    if not (RE_HEX4 if strict else RE_HEX_ANY).fullmatch(tail):
        raise HJ212Error("CRC", tail, "4 upper-case hex digits" if strict else "4 hex digits")
    declared = int(digits)
    if declared != len(segment):
        if strict:
            raise HJ212Error(
                "length", digits.decode(), f"{len(segment):04d}, the data segment's byte count"
            )
        deviations.append(
            f"length.mismatch: declared {digits.decode()}, data segment is {len(segment)} bytes"
        )
    if strict and declared > MAX_SEGMENT:
        raise HJ212Error("length", declared, f"a data segment of at most {MAX_SEGMENT} bytes")
    expected = crc(segment)
    given = tail.decode("ascii")
    if given != expected:
        _tolerate_crc(segment, given, expected, strict, deviations)
    return segment


def _tolerate_crc(
    segment: bytes, given: str, expected: str, strict: bool, deviations: list[str]
) -> None:
    upper = given.upper().zfill(4)
    if not strict:
        if upper == expected:
            kind = "crc.unpadded" if len(given) == 3 else "crc.lowercase"
            deviations.append(f"{kind}: CRC {given!r} written as {expected!r} by the standard")
            return
        modbus = crc_modbus(segment)
        if upper == modbus:
            deviations.append(f"crc.modbus: CRC {given} is CRC-16/MODBUS, HJ 212 gives {expected}")
            return
        if upper == modbus[2:] + modbus[:2]:
            deviations.append(
                f"crc.modbus_swapped: CRC {given} is byte-swapped CRC-16/MODBUS, "
                f"HJ 212 gives {expected}"
            )
            return
    raise HJ212Error("CRC", given, f"{expected} (HJ 212 CRC of the data segment, [S17] App. A)")


# ---- the header ([S17] §6.3.2 Table 3) -------------------------------------------------------

# The common, fully conforming 2017 header in one match (anything else takes the field-by-field
# route of _parse_header, which also produces the precise error messages).
_FAST_HEADER = re.compile(
    rf"QN=({QN});ST=([0-9A-Z]{{2}});CN=(\d{{4}});PW=([0-9A-Za-z]{{6}});MN=([0-9A-F]{{24}});"
    r"Flag=([4-7]);(?:PNUM=(\d{1,4});PNO=(\d{1,4});)?CP=&&"
)


def _parse_segment(text: str, strict: bool, deviations: list[str]) -> Packet:
    cp_at = text.find("CP=&&")
    if cp_at < 0:
        raise HJ212Error("CP", text[-40:], "a 'CP=&&…&&' data area")
    if len(text) - cp_at < 7 or not text.endswith("&&"):
        raise HJ212Error("CP", text[cp_at:], "'CP=&&…&&'")
    cp = text[cp_at + 5 : -2]

    fast = _FAST_HEADER.match(text)
    if fast is not None and fast.end() == cp_at + 5:
        qn, st, cn, pw, mn, flag_text, pnum_text, pno_text = fast.groups()
        flag = int(flag_text)
        pnum = int(pnum_text) if pnum_text else None
        pno = int(pno_text) if pno_text else None
        version = "2017"
        if pnum is not None or flag & 0x02:  # else nothing to check: no split, bit D clear
            _check_split(flag, pnum, pno, strict, deviations)
    else:
        qn, st, cn, pw, mn, flag, pnum, pno = _parse_header(text[:cp_at], strict, deviations)
        version = version_of(flag)

    limit = MAX_CP_2005 if version == "2005" else MAX_CP_2017
    cp_bytes = len(cp.encode("utf-8")) + 7 if not cp.isascii() else len(cp) + 7
    if cp_bytes > limit:
        if strict:
            raise HJ212Error("CP", cp_bytes, f"'CP=&&…&&' of at most {limit} bytes")
        deviations.append(f"cp.oversize: CP is {cp_bytes} bytes, maximum {limit}")
    conforming = match_data_area(cp, version)
    if conforming is not None:
        # Built without calling Packet() (its keyword handling costs as much as the rest of this
        # function), every field but ``factors`` and ``repeated_fields``, which are built on
        # first access (Packet.__getattr__). tests: test_lazy_packet_sets_every_field.
        data_time, layout, values = conforming
        packet = object.__new__(Packet)
        packet.qn, packet.st, packet.cn, packet.pw, packet.mn = qn, st, cn, pw, mn
        packet.flag, packet.pnum, packet.pno = flag, pnum, pno
        packet.data_time = data_time
        packet.fields = layout.fields(values) if layout.plain else {}  # uploads: no call
        packet.value_flags = layout.value_flags(values) if layout.flagged else {}
        packet._items = layout, values
        packet.deviations, packet.raw_cp = deviations, cp
        return packet
    area = parse_data_area(cp, strict, version, deviations)
    return Packet(
        qn=qn, st=st, cn=cn, pw=pw, mn=mn, flag=flag, pnum=pnum, pno=pno,
        data_time=area.data_time, fields=area.fields, repeated_fields=area.repeated_fields,
        factors=area.factors, value_flags=area.value_flags, deviations=deviations, raw_cp=cp,
    )  # fmt: skip


def _split_header(header: str, strict: bool, deviations: list[str]) -> list[tuple[str, str]]:
    if "," in header:
        if strict:
            raise HJ212Error("header", header, "';' between header fields, not ','")
        deviations.append("header.comma: ',' used between header fields instead of ';'")
        header = header.replace(",", ";")
    if header and not header.endswith(";"):
        if strict:
            raise HJ212Error("header", header[-20:], "';' before 'CP=&&'")
        deviations.append("header.separator: ';' missing before 'CP=&&'")
        header += ";"
    pairs = []
    for item in header[:-1].split(";"):
        name, eq, value = item.partition("=")
        if not eq:
            raise HJ212Error("header", item, "NAME=value")
        if name != name.strip() or value != value.strip():
            if strict:
                raise HJ212Error(name.strip() or "header", item, "no spaces around the field")
            deviations.append(f"space.stray: spaces in header field {item!r}")
            name, value = name.strip(), value.strip()
        if name not in HEADER_RANK:
            known = HEADER_BY_UPPER.get(name.upper())
            if known is None or strict:
                raise HJ212Error(name, value, "a header field QN, ST, CN, PW, MN, Flag, PNUM, PNO")
            deviations.append(f"header.case: field {name!r} should be written {known!r}")
            name = known
        pairs.append((name, value))
    return pairs


def _parse_header(
    header: str, strict: bool, deviations: list[str]
) -> tuple[str | None, str, str, str | None, str | None, int | None, int | None, int | None]:
    """The header's fields (QN, ST, CN, PW, MN, Flag, PNUM, PNO), each checked."""
    pairs = _split_header(header, strict, deviations)
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values:
            raise HJ212Error(name, value, f"{name} only once (already {values[name]!r})")
        values[name] = value

    flag_text = values.get("Flag")
    flag = None
    if flag_text is not None:
        if not (flag_text.isdigit() and flag_text.isascii() and len(flag_text) <= 3):
            raise HJ212Error("Flag", flag_text, "an integer 0–255 (bits V5…V0 D A)")
        flag = int(flag_text)
        if flag > 255:
            raise HJ212Error("Flag", flag_text, "an integer 0–255 (bits V5…V0 D A)")
    version = version_of(flag)
    if version == "unknown":
        deviations.append(f"flag.version: Flag={flag} has version bits {flag >> 2}, not 2005/2017")

    names = [name for name, _ in pairs]
    ranks = [HEADER_RANK[name] for name in names]
    if ranks != sorted(ranks) and version != "2005":  # [S05]'s own examples vary the order
        if strict:
            raise HJ212Error("header", ";".join(names), "the order " + ";".join(HEADER_ORDER))
        deviations.append("header.order: fields " + ";".join(names) + " not in the 2017 order")

    for required in ("ST", "CN") if version == "2005" else ("QN", "ST", "CN", "PW", "MN"):
        if required not in values:
            raise HJ212Error(required, None, f"a {required}= header field ({version} packet)")

    qn = values.get("QN")
    if qn is not None:
        _check_qn(qn, strict, deviations)
    st = values["ST"]
    if not RE_ST.fullmatch(st):
        if strict or not RE_TOLERANT_ID.fullmatch(st):
            raise HJ212Error("ST", st, "2 characters 0-9/A-Z ([S17] §6.6.1)")
        deviations.append(f"st.format: ST={st} is not 2 characters 0-9/A-Z")
    cn = values["CN"]
    if not RE_CN.fullmatch(cn):
        raise HJ212Error("CN", cn, "4 digits ([S17] §6.6.5)")
    pw = values.get("PW")
    if pw is not None and not RE_PW.fullmatch(pw):
        if strict or not (pw == "" or RE_TOLERANT_ID.fullmatch(pw)):
            raise HJ212Error("PW", pw, "6 characters 0-9/a-z/A-Z")
        deviations.append(f"pw.format: PW of {len(pw)} characters, the standard says 6")
    mn = values.get("MN")
    if mn is not None:
        rule, expected = {
            "2017": (RE_MN_2017, "24 hex digits 0-9/A-F (EPC-96, [S17] Table 3)"),
            "2005": (RE_MN_2005, "14 characters ([S05] §6.3.2)"),
        }.get(version, (RE_MN_ANY, "1–24 characters 0-9/A-Z/a-z"))
        if not rule.fullmatch(mn):
            if strict or not RE_TOLERANT_ID.fullmatch(mn):
                raise HJ212Error("MN", mn, expected if strict else "an ID of 1–32 characters")
            deviations.append(f"mn.format: MN={mn} does not fit the {version} rule ({expected})")
    pnum = _small_int(values, "PNUM")
    pno = _small_int(values, "PNO")
    if flag is not None or pnum is not None or pno is not None:
        _check_split(flag, pnum, pno, strict, deviations)
    return qn, st, cn, pw, mn, flag, pnum, pno


def _small_int(values: dict[str, str], name: str) -> int | None:
    text = values.get(name)
    if text is None:
        return None
    if not RE_SMALL_INT.fullmatch(text) or int(text) == 0:
        raise HJ212Error(name, text, "an integer 1–9999 (N4)")
    return int(text)


def _check_split(
    flag: int | None, pnum: int | None, pno: int | None, strict: bool, deviations: list[str]
) -> None:
    if (pnum is None) != (pno is None):
        raise HJ212Error("PNUM" if pnum is None else "PNO", None, "PNUM and PNO together")
    if pnum is not None and pno is not None and pno > pnum:
        raise HJ212Error("PNO", pno, f"a packet number from 1 to PNUM={pnum}")
    split_bit = flag is not None and bool(flag & 0x02)
    if split_bit != (pnum is not None) and version_of(flag) != "2005":
        # [S05]'s own App. C requests use Flag=3 without PNUM/PNO, so 2005 is not held to it.
        if strict:
            raise HJ212Error("Flag", flag, "bit D = 1 exactly when PNUM and PNO are present")
        deviations.append(
            f"flag.split: Flag={flag} has bit D={int(split_bit)} but PNUM/PNO are "
            + ("present" if pnum is not None else "absent")
        )


def _check_qn(qn: str, strict: bool, deviations: list[str]) -> None:
    if RE_QN.fullmatch(qn):
        return
    if strict or not RE_TOLERANT_ID.fullmatch(qn):
        raise HJ212Error("QN", qn, "17 digits YYYYMMDDhhmmsszzz (a valid local time)")
    deviations.append(f"qn.format: QN={qn} is not a 17-digit millisecond timestamp")




# The MN field of a header, up to the data area: after ``##dddd`` or a ``;`` (HJ 212-2017 §6.3.2
# Table 3 puts MN between PW and Flag; a deviating logger may order the fields otherwise).
_HEADER_MN = re.compile(rb"(?:^##\d{4}|;)MN=([^;,=&\s]{1,64});")


def header_mn(raw: bytes) -> str | None:
    r"""The MN in the header of a frame that may not parse, or None if it cannot be read.

    A packet rejected for its CRC, its length or a cut-off frame still names its data logger
    when the header's ``MN=…;`` is intact, and an operator asks "why is my logger's data not
    arriving" by MN. Only the header is looked at (the text before ``CP=``), so a data-area key
    is never taken for the MN; no check of the MN's form is made.

    Parameters
    ----------
    raw : bytes
        The frame as received, whole or in part.

    Returns
    -------
    str or None
        The MN as sent (ASCII), or None.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.2 Table 3 (the header fields: QN, ST, CN, PW, MN, Flag, CP).

    Examples
    --------
    >>> header_mn(b"##0101QN=20160801085857223;ST=32;CN=2051;PW=123456;"
    ...           b"MN=010000A8900016F000169DC0;Flag=5;CP=&&DataTime=2016&&FFFF\r\n")
    '010000A8900016F000169DC0'
    >>> header_mn(b"##0040QN=2016;ST=32;CN=2051;PW=123456;MN=") is None   # cut off
    True
    """
    header = raw.split(b"CP=", 1)[0]
    found = _HEADER_MN.search(header)
    return None if found is None else found.group(1).decode("ascii", "replace")
