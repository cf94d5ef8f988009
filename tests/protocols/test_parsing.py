"""Parsing (:func:`ecohub.protocols.hj212.parse`): reference vectors, tolerant mode, bad input.

The reference vectors parse and re-encode byte for byte, the negative vectors are rejected, each
real-world deviation is accepted and recorded in tolerant mode, and malformed input always raises
:class:`~ecohub.protocols.hj212.HJ212Error` naming the field.

Vector names (A1, B1…B9, C1/C3/C4) are those of the project reference's §1.5; the "self-computed"
frames are the reference author's framings of [S17] Appendix C data segments.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import pytest
from hj212_vectors import (
    A1,
    A1_SEG,
    B1,
    B2,
    B3,
    B4,
    B6,
    B8,
    B9,
    C1,
    C3,
    C4,
    CST,
    LOG3020,
    STRICT_OK,
    frame,
    packets,
    reframe,
    segment_of,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.protocols import hj212
from ecohub.protocols.hj212 import (
    HJ212Error,
    Packet,
    crc,
    parse,
)


@pytest.mark.parametrize("text", STRICT_OK)
def test_strict_vectors_parse_and_reencode_byte_for_byte(text: str) -> None:
    packet = parse(frame(text))
    assert packet.deviations == []
    assert packet.encode() == frame(text)
    assert parse(packet.encode()) == packet


def test_a1_header_and_fields() -> None:
    p = parse(frame(A1))
    assert (p.qn, p.st, p.cn, p.pw, p.mn, p.flag) == (
        "20160801085857223", "32", "1062", "100000", "010000A8900016F000169DC0", 5,
    )  # fmt: skip
    assert p.fields == {"RtdInterval": "30"}
    assert p.version == "2017" and p.needs_reply and not p.is_split
    assert p.pnum is None and p.data_time is None


def test_b1_factor_fields_and_sample_time() -> None:
    p = parse(frame(B1))
    assert p.data_time == datetime(2023, 10, 8, 12, 33, 40, tzinfo=CST)
    assert p.data_time.utcoffset() == timedelta(hours=8)
    assert p.factors == {"w01008": {"SampleTime": "20231008123340", "Rtd": "123.456"}}
    assert p.readings() == [("w01008", "Rtd", 123.456, None)]


def test_b2_b3_answer_and_restart() -> None:
    assert parse(frame(B2)).fields == {"QnRtn": "1"}
    p = parse(frame(B3))
    assert p.fields == {"RestartTime": "20231007130452"}
    assert p.data_time == datetime(2023, 10, 8, 13, 4, 52, tzinfo=CST)


def test_b4_strict_rejects_pw_and_tolerant_records_mn_pw() -> None:
    with pytest.raises(HJ212Error) as err:
        parse(frame(B4))
    assert err.value.field == "PW"
    p = parse(frame(B4), strict=False)
    kinds = {d.split(":")[0] for d in p.deviations}
    assert kinds == {"pw.format", "mn.format"}
    assert p.factors["a34049"] == {"Avg": "10.66300", "Flag": "N"}  # string kept as received
    assert p.encode() == frame(B4)
    assert ("a34006", "Avg", 2.697, "N") in p.readings()


def test_b6_lower_case_crc() -> None:
    with pytest.raises(HJ212Error) as err:
        parse(frame(B6))
    assert err.value.field == "CRC"
    p = parse(frame(B6), strict=False)
    assert p.deviations[0].startswith("crc.lowercase:")
    assert p.encode() == frame(B6[:-4] + "F001")  # re-emitted in upper case


def test_b8_2005_packet() -> None:
    p = parse(frame(B8))
    assert p.version == "2005" and p.qn is None and p.flag is None and not p.needs_reply
    assert p.factors == {
        "011": {"Rtd": "231.0", "Flag": "N"},
        "B01": {"Rtd": "36.91"},
        "060": {"Rtd": "1.803", "Flag": "N"},
    }


def test_b9_2005_comma_separated_fields_reencode_exactly() -> None:
    p = parse(frame(B9))
    assert p.version == "2005" and p.needs_reply
    assert p.fields == {"BeginTime": "20040506111000", "EndTime": "20040506151000"}
    assert p.encode() == frame(B9)
    p.fields["EndTime"] = "20040506161000"  # changed content is re-encoded canonically
    assert b"BeginTime=20040506111000;EndTime=20040506161000&&" in p.encode()


def test_chinese_log_packet_3020() -> None:
    p = parse(frame(LOG3020))
    assert p.fields == {"PolId": "w01018"}
    assert p.factors == {"i11001": {"Info": "//清洗管路//"}}
    assert p.encode() == frame(LOG3020)


def test_str_input_is_accepted() -> None:
    assert parse(A1 + "\r\n") == parse(frame(A1))


def test_c1_wrong_crc_rejected_in_both_modes() -> None:
    for strict in (True, False):
        with pytest.raises(HJ212Error, match="CRC") as err:
            parse(frame(C1), strict=strict)
        assert err.value.field == "CRC" and err.value.value == "4980"
        assert "3C00" in err.value.expected


def test_c3_modbus_strict_rejects_tolerant_records() -> None:
    with pytest.raises(HJ212Error, match="CRC"):
        parse(frame(C3))
    p = parse(frame(C3), strict=False)
    assert any(d.startswith("crc.modbus:") for d in p.deviations)
    assert p.fields == {"RtdInterval": "30"}


def test_c4_byte_swapped_modbus() -> None:
    assert len(segment_of(C4)) == 868
    with pytest.raises(HJ212Error, match="CRC"):
        parse(frame(C4))
    p = parse(frame(C4), strict=False)
    assert any(d.startswith("crc.modbus_swapped:") for d in p.deviations)
    assert p.factors["a99949"] == {"Rtd": "786.913", "Flag": "N"}
    assert len(p.readings()) == 31


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (A1.encode(), "trailer.missing"),
        (frame("##0100" + A1[6:]), "length.mismatch"),
        (frame(A1[:-4] + "1c80"), "crc.lowercase"),
        (frame(A1[:-4] + "1C80").replace(b"1C80", b"1C80  "), "space.stray"),
        (reframe(A1_SEG.replace("223;ST", "223,ST")), "header.comma"),  # [S17] C.22
        (reframe(A1_SEG.replace("CP=&&Rtd", "CP=&& Rtd")), "space.stray"),  # [S17] C.2
        (reframe(A1_SEG.replace("Flag=5;", "Flag=5")), "header.separator"),  # [S17] C.19
        (reframe("ST=32;QN=20160801085857223;" + A1_SEG.replace("QN=20160801085857223;ST=32;", "")),
         "header.order"),
        (reframe(A1_SEG, hj212.crc_modbus(A1_SEG.encode())), "crc.modbus"),
    ],
)  # fmt: skip
def test_tolerant_deviations(data: bytes, kind: str) -> None:
    with pytest.raises(HJ212Error):
        parse(data)
    p = parse(data, strict=False)
    assert kind in {d.split(":")[0] for d in p.deviations}
    assert p.cn == "1062" and p.fields == {"RtdInterval": "30"}


def test_tolerant_unknown_flag_and_17_digit_time() -> None:
    seg = A1_SEG.replace("CN=1062", "CN=2011").replace(
        "RtdInterval=30", "DataTime=20160824003817000;a21026-Rtd=1.0,a21026-Flag=X"
    )
    with pytest.raises(HJ212Error):
        parse(reframe(seg))
    p = parse(reframe(seg), strict=False)
    assert {d.split(":")[0] for d in p.deviations} == {"time.milliseconds", "flag.unknown"}
    assert p.data_time == datetime(2016, 8, 24, 0, 38, 17, tzinfo=CST)
    assert p.encode() == reframe(seg)  # the 17-digit time is reproduced


MALFORMED = {
    "empty": (b"", "header"),
    "no hashes": (b"QN=1;CP=&&&&1C80\r\n", "header"),
    "truncated": (frame(A1)[:50], "CP"),
    "bad length digits": (frame("##01a1" + A1[6:]), "length"),
    "non-hex CRC": (frame(A1[:-4] + "1G80"), "CRC"),
    "short CRC": (frame(A1[:-4] + "C80"), "CRC"),
    "missing CP": (reframe(A1_SEG.replace("CP=&&RtdInterval=30&&", "X=&&")), "CP"),
    "missing closing &&": (frame(A1[:-6] + "1C80"), "CP"),
    "bad Flag": (reframe(A1_SEG.replace("Flag=5", "Flag=x5")), "Flag"),
    "Flag > 255": (reframe(A1_SEG.replace("Flag=5", "Flag=300")), "Flag"),
    "bad QN": (reframe(A1_SEG.replace("QN=20160801085857223", "QN=20161301085857223")), "QN"),
    "bad DataTime": (reframe(A1_SEG.replace("RtdInterval=30", "DataTime=20160230120000")),
                     "DataTime"),
    "MN too long": (reframe(A1_SEG.replace("MN=010000A8900016F000169DC0",
                                           "MN=010000A8900016F000169DC0FF")), "MN"),
    "oversize": (reframe(A1_SEG.replace("RtdInterval=30", "PolId=" + "x" * 1000)), "length"),
    "missing ST": (reframe(A1_SEG.replace("ST=32;", "")), "ST"),
    "bad CN": (reframe(A1_SEG.replace("CN=1062", "CN=10a2")), "CN"),
    "duplicate header": (reframe(A1_SEG.replace("PW=100000;", "PW=100000;PW=100000;")), "PW"),
    "unknown header": (reframe(A1_SEG.replace("PW=100000;", "PW=100000;XX=1;")), "XX"),
    "CP item without =": (reframe(A1_SEG.replace("RtdInterval=30", "RtdInterval30")), "CP"),
    "PNO > PNUM": (reframe(A1_SEG.replace("Flag=5;", "Flag=7;PNUM=2;PNO=3;")), "PNO"),
    "PNO without PNUM": (reframe(A1_SEG.replace("Flag=5;", "Flag=7;PNO=1;")), "PNUM"),
    "split bit without PNUM": (reframe(A1_SEG.replace("Flag=5;", "Flag=7;")), "Flag"),
    "non-numeric Avg": (reframe(A1_SEG.replace("RtdInterval=30", "a34004-Avg=1.2.3")),
                        "a34004-Avg"),
    "bad data flag": (reframe(A1_SEG.replace("RtdInterval=30", "a34004-Avg=1,a34004-Flag=Q")),
                      "a34004-Flag"),
    "duplicate suffix": (reframe(A1_SEG.replace("RtdInterval=30", "a34004-Avg=1,a34004-Avg=2")),
                         "a34004-Avg"),
    "CR LF missing": (A1.encode(), "trailer"),
    "not UTF-8": (reframe(A1_SEG.replace("RtdInterval=30", "PolId=w01018"))
                  .replace(b"w01018", b"w\xff1018"), "CRC"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_input_gives_clear_error(name: str) -> None:
    data, field_name = MALFORMED[name]
    with pytest.raises(HJ212Error) as err:
        parse(data)
    assert err.value.field == field_name
    message = str(err.value)
    assert field_name in message and "expected" in message and len(message) < 240


def test_error_message_shortens_long_values() -> None:
    err = HJ212Error("CP", "x" * 5000, "something")
    assert len(str(err)) < 200 and err.value == "x" * 5000
    assert isinstance(err, ValueError)


def test_utf8_error_after_valid_crc() -> None:
    data = reframe("QN=20160801085857223;ST=32;CN=3020;PW=123456;MN=010000A8900016F000169DC0;"
                   "Flag=5;CP=&&PolId=w01018&&")  # fmt: skip
    seg = data[6:-6].replace(b"w01018", b"\xc7\xe5\xcf\xb4")  # GBK bytes of 清洗
    bad = b"##%04d%b%b\r\n" % (len(seg), seg, crc(seg).encode())
    with pytest.raises(HJ212Error) as err:
        parse(bad)
    assert err.value.field == "data segment"
    p = parse(bad, strict=False)
    assert p.fields == {"PolId": "清洗"} and p.deviations[0].startswith("encoding.gbk")


@given(st.binary(max_size=300))
def test_random_bytes_never_raise_anything_else(data: bytes) -> None:
    for strict in (True, False):
        with contextlib.suppress(HJ212Error):
            parse(data, strict=strict)


@given(st.text(alphabet="#0123456789QNSTCPWMF=;,&-.aAvgRtd\r\n ", max_size=200))
def test_random_protocol_like_text_never_raises_anything_else(text: str) -> None:
    for strict in (True, False):
        with contextlib.suppress(HJ212Error):
            parse("##" + text, strict=strict)


@settings(max_examples=150)
@given(packets())
def test_parse_encode_round_trip(packet: Packet) -> None:
    data = packet.encode()
    parsed = parse(data)
    assert parsed == packet
    assert parsed.encode() == data
    assert parsed.deviations == []


@settings(max_examples=150)
@given(packets(), st.data())
def test_any_single_byte_corruption_is_detected(packet: Packet, data: st.DataObject) -> None:
    original = packet.encode()
    index = data.draw(st.integers(0, len(original) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != original[index]))
    corrupted = original[:index] + bytes([new]) + original[index + 1 :]
    with pytest.raises(HJ212Error):
        parse(corrupted)
    try:  # tolerant mode may accept some (e.g. a lower-case CRC digit) but says so
        accepted = parse(corrupted, strict=False)
    except HJ212Error:
        return
    assert accepted.deviations


def test_header_mn_of_packets_that_do_not_parse():
    """HJ 212-2017 §6.3.2 Table 3: the header's MN names the logger even when the CRC, the
    length or the end of the frame is wrong; a data-area key is never taken for it."""
    good = hj212.frame(b"QN=20240501085000001;ST=22;CN=2051;PW=123456;MN=Y80110010000010;"
                       b"Flag=5;CP=&&DataTime=20240501085000;a34004-Avg=30,a34004-Flag=N&&")
    assert hj212.header_mn(good) == "Y80110010000010"
    assert hj212.header_mn(good[:-6] + b"0000\r\n") == "Y80110010000010"  # CRC wrong
    assert hj212.header_mn(b"##9999" + good[6:]) == "Y80110010000010"  # length wrong
    assert hj212.header_mn(good[:70]) == "Y80110010000010"  # cut off after the header's MN
    assert hj212.header_mn(b"##0080QN=20240501;ST=22;CN=2051;PW=123456;MN=") is None
    assert hj212.header_mn(b"##0060QN=1;ST=22;CN=2051;CP=&&MN=FAKE;a34004-Avg=1&&") is None
    assert hj212.header_mn(b"garbage") is None
