"""Tests of the HJ 212 codec against the vectors of the project reference (hj212.md).

Vector names (A1, B1…B9, C1/C3/C4) are those of reference §1.5; the "self-computed" frames are
the reference author's framings of [S17] Appendix C data segments.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import pickle
import re
from datetime import UTC, datetime, timedelta, timezone
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.protocols import hj212
from ecohub.protocols.hj212 import (
    FrameError,
    FrameReader,
    HJ212Error,
    Packet,
    crc,
    layout,
    parse,
    parsing,
    tables,
)

CST = timezone(timedelta(hours=8))

# ---- reference §1.5, verified HJ 212 CRCs (verbatim) -----------------------------------------
A1 = (
    "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&RtdInterval=30&&1C80"
)
B1 = (
    "##0162QN=20231008123340461;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&DataTime=20231008123340;w01008-SampleTime=20231008123340,w01008-Rtd=123.456&&F441"
)
B2 = (
    "##0094QN=20231008125115215;ST=22;CN=9011;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
    "CP=&&QnRtn=1&&CC01"
)
B3 = (
    "##0137QN=20231008130452757;ST=22;CN=2081;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&DataTime=20231008130452;RestartTime=20231007130452&&3AC0"
)
B4 = (
    "##0285QN=20190925181031464;ST=22;CN=2061;PW=BF470F88957588DE902D1A52;MN=Z13401000010301;"
    "Flag=5;CP=&&DataTime=20190924220000;a34006-Avg=2.69700,a34006-Flag=N;a34007-Avg=7.96600,"
    "a34007-Flag=N;a34048-Avg=3.30600,a34048-Flag=N;a34047-Avg=7.35700,a34047-Flag=N;"
    "a34049-Avg=10.66300,a34049-Flag=N&&C181"
)
B6 = (
    "##0087QN=20201015123632010;ST=91;CN=9014;PW=123456;MN=410183160889201000212505;Flag=4;"
    "CP=&&&&f001"
)
B8 = (
    "##0136ST=32;CN=2011;PW=000000;MN=LD130133000015;CP=&&DataTime=20160824003817;"
    "011-Rtd=231.0,011-Flag=N;B01-Rtd=36.91;060-Rtd=1.803,060-Flag=N&&1DC0"
)
B9 = (
    "##0124QN=20040516010101001;ST=32;CN=2051;PW=123456;MN=88888880000001;Flag=3;"
    "CP=&&BeginTime=20040506111000,EndTime=20040506151000&&6B80"
)
# Self-computed framings of [S17] App. C data segments (reference §1.5).
HDR = "QN=20160801085857223;ST=91;CN={cn};PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
R9014 = "##0087" + HDR.format(cn="9014") + "CP=&&&&3240"
R9011 = "##0094" + HDR.format(cn="9011") + "CP=&&QnRtn=1&&1B00"
R9012 = "##0095" + HDR.format(cn="9012") + "CP=&&ExeRtn=1&&6240"
R9013 = "##0087" + HDR.format(cn="9013") + "CP=&&&&2A80"
C1000 = (
    "##0107QN=20160801085857223;ST=32;CN=1000;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&OverTime=5;ReCount=3&&CAC1"
)
C2081 = (
    "##0137QN=20160801085857223;ST=32;CN=2081;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&DataTime=20160801085857;RestartTime=20160801085624&&9AC1"
)
LOG3020 = (
    "##0152QN=20160801085857223;ST=32;CN=3020;PW=123456;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&DataTime=20100301145000;PolId=w01018;i11001-Info=//清洗管路//&&9741"
)
STRICT_OK = [A1, B1, B2, B3, B8, B9, R9014, R9011, R9012, R9013, C1000, C2081, LOG3020]

# ---- reference §1.5, packets that do NOT carry an HJ 212 CRC --------------------------------
C1 = (
    "##0136ST=32;CN=2011;PW=123456;MN=LD130133000015;CP=&&DataTime=20160824003817;"
    "B01-Rtd=36.91;011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=N&&4980"
)
C3 = (
    "##0091QN=20170516010101001;ST=22;CN=1062;PW=123456;MN=ABCDEFG1234567;Flag=3;"
    "CP=&&RtdInterval=30&&EF98"
)
# C4: real device traffic, tonyxia2016/HJ212Receiver sources/GB212Service/bin/Debug/rx.log
# (2020-09-23 11:34:53), byte-swapped CRC-16/MODBUS; HJ 212 CRC would be 0440.
_C4_FACTORS = (
    "112-Rtd=11.285;121-Rtd=27.702;023-Rtd=4.372;802-Rtd=12.668;803-Rtd=4.314;808-Rtd=0.000;"
    "801-Rtd=2.920;811-Rtd=266.765;810-Rtd=44.881;812-Rtd=1.508;806-Rtd=10.850;039-Rtd=14.531;"
    "805-Rtd=23.591;817-Rtd=1.583;a99949-Rtd=786.913;a99948-Rtd=267.765;804-Rtd=140.124;"
    "040-Rtd=0.000;028-Rtd=0.160;029-Rtd=4.685;030-Rtd=40.235;041-Rtd=0.000;809-Rtd=1.615;"
    "814-Rtd=4.697;038-Rtd=0.881;816-Rtd=1.284;813-Rtd=2.116;033-Rtd=0.000;036-Rtd=0.000;"
    "807-Rtd=0.000;815-Rtd=0.721"
)
C4 = (
    "##0868ST=31;CN=2011;PW=123456;MN=4201003;CP=&&DataTime=20200923111707;"
    + ";".join(f"{item},{item.split('-')[0]}-Flag=N" for item in _C4_FACTORS.split(";"))
    + "&&A6EC"
)


def frame(text: str) -> bytes:
    return text.encode("utf-8") + b"\r\n"


def segment_of(text: str) -> bytes:
    return text.encode("utf-8")[6:-4]


def reframe(segment: str, crc_text: str | None = None) -> bytes:
    """Frame a data segment with the correct length and (unless given) the HJ 212 CRC."""
    data = segment.encode("utf-8")
    return b"##%04d%b%b\r\n" % (len(data), data, (crc_text or crc(data)).encode())


def naive_crc(data: bytes) -> int:
    """The reference §1.3 pseudo-code, byte by byte."""
    reg = 0xFFFF
    for byte in data:
        reg = (reg >> 8) ^ byte
        for _ in range(8):
            reg = (reg >> 1) ^ 0xA001 if reg & 1 else reg >> 1
    return reg


# ============================================================================================
# CRC ([S17] Appendix A)
# ============================================================================================


@pytest.mark.parametrize("text", [*STRICT_OK, B4, B6])
def test_crc_of_verified_vectors(text: str) -> None:
    assert crc(segment_of(text)) == text[-4:].upper()


@pytest.mark.parametrize("text", STRICT_OK)
def test_frame_rebuilds_verified_vectors(text: str) -> None:
    """[S17] §6.3.1: ## + length + segment + CRC + CR LF, byte for byte as in hj212.md."""
    assert hj212.frame(segment_of(text)) == frame(text)


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


# ============================================================================================
# Parsing the reference vectors
# ============================================================================================


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


# ============================================================================================
# Negative vectors C1, C3, C4
# ============================================================================================


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


# ============================================================================================
# Tolerant mode: each real-world deviation is accepted and recorded
# ============================================================================================

A1_SEG = A1[6:-4]


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


# ============================================================================================
# Malformed input: always HJ212Error naming the field
# ============================================================================================

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


# ============================================================================================
# Hypothesis round trips
# ============================================================================================

codes = st.sampled_from(["a34004", "a34002", "a21026", "w01018", "w21003", "a01001", "LA", "011"])
numbers = st.decimals(min_value=-1000, max_value=100000, places=3, allow_nan=False).map(str)
factor_values = st.fixed_dictionaries(
    {},
    optional={
        "Rtd": numbers, "Avg": numbers, "Min": numbers, "Max": numbers, "Cou": numbers,
        "ZsAvg": numbers, "Flag": st.sampled_from(sorted(hj212.DATA_FLAGS_2017)),
        "EFlag": st.sampled_from(["A01", "B2"]), "SampleTime": st.just("20160801070000"),
        "Custom": st.from_regex(r"[A-Za-z0-9.]{1,8}", fullmatch=True),
    },
).filter(bool)  # fmt: skip
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(CST)
).map(lambda t: t.replace(microsecond=0))


@st.composite
def packets(draw: st.DrawFn) -> Packet:
    split_part = draw(st.booleans())
    pnum = draw(st.integers(1, 20)) if split_part else None
    return Packet(
        qn=draw(times).strftime("%Y%m%d%H%M%S") + f"{draw(st.integers(0, 999)):03d}",
        st=draw(st.sampled_from(["21", "22", "31", "32", "91", "A1"])),
        cn=draw(st.sampled_from(["2011", "2051", "2061", "2031", "1062", "9014"])),
        pw=draw(st.from_regex(r"[0-9A-Za-z]{6}", fullmatch=True)),
        mn=draw(st.from_regex(r"[0-9A-F]{24}", fullmatch=True)),
        flag=4 | draw(st.integers(0, 1)) | (2 if split_part else 0),
        pnum=pnum,
        pno=draw(st.integers(1, pnum)) if pnum else None,
        data_time=draw(st.none() | times),
        fields=draw(st.dictionaries(st.sampled_from(["RtdInterval", "PolId", "QnRtn"]),
                                    st.from_regex(r"[0-9a-z]{1,6}", fullmatch=True), max_size=2)),
        factors=draw(st.dictionaries(codes, factor_values, max_size=3)),
    )  # fmt: skip


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


# ============================================================================================
# Stream framing
# ============================================================================================

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


# ============================================================================================
# Split packets
# ============================================================================================


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


# ============================================================================================
# Replies and commands ([S17] §6.5 / App. C; reference §1.5 self-computed frames)
# ============================================================================================

REQUEST = Packet(
    qn="20160801085857223", st="32", cn="1062", pw="123456", mn="010000A8900016F000169DC0",
    flag=5, fields={"RtdInterval": "30"},
)  # fmt: skip


def test_replies_match_reference_frames_byte_for_byte() -> None:
    assert hj212.data_reply(REQUEST).encode() == frame(R9014)
    assert hj212.request_reply(REQUEST, 1).encode() == frame(R9011)
    assert hj212.execution_result(REQUEST, 1).encode() == frame(R9012)
    assert hj212.notification_reply(REQUEST).encode() == frame(R9013)


def test_b6_data_reply_to_upload() -> None:
    upload = Packet(qn="20201015123632010", st="22", cn="2011", pw="123456",
                    mn="410183160889201000212505", flag=5)  # fmt: skip
    assert hj212.data_reply(upload).encode() == frame(B6[:-4] + "F001")


def test_2005_answer_shapes() -> None:
    b9 = parse(frame(B9))
    assert hj212.request_reply(b9).encode()[6:-6] == (
        b"ST=91;CN=9011;PW=123456;MN=88888880000001;Flag=0;CP=&&QN=20040516010101001;QnRtn=1&&"
    )
    assert hj212.execution_result(b9).encode()[6:-6] == (
        b"ST=91;CN=9012;PW=123456;MN=88888880000001;CP=&&QN=20040516010101001;ExeRtn=1&&"
    )
    assert hj212.data_reply(b9).encode()[6:-6] == (
        b"ST=91;CN=9014;PW=123456;MN=88888880000001;CP=&&QN=20040516010101001;CN=2051&&"
    )
    assert hj212.data_reply(parse(frame(B8))).encode()[6:-6] == (
        b"ST=91;CN=9014;PW=000000;MN=LD130133000015;CP=&&CN=2011&&"
    )
    with pytest.raises(HJ212Error):
        hj212.request_reply(b9, 9)  # QnRtn 9 exists only in 2017 ([S17] Table 6)


def test_reply_codes_are_checked() -> None:
    with pytest.raises(HJ212Error) as err:
        hj212.execution_result(REQUEST, 7)
    assert err.value.field == "ExeRtn"
    assert hj212.request_reply(REQUEST, 9).fields == {"QnRtn": "9"}


def test_reply_for() -> None:
    assert hj212.reply_for(parse(frame(B1))) == hj212.data_reply(parse(frame(B1)))
    assert hj212.reply_for(parse(frame(B2))) is None  # 9011 is not answered
    no_answer = parse(frame(B1))
    no_answer.flag = 4
    assert hj212.reply_for(no_answer) is None
    notice = Packet(qn="20160801085857223", st="32", cn="1013", pw="123456",
                    mn="010000A8900016F000169DC0", flag=5)  # fmt: skip
    assert hj212.reply_for(notice).cn == "9013"


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


# ============================================================================================
# Tables
# ============================================================================================


def test_tables_follow_the_reference() -> None:
    assert set(hj212.DATA_FLAGS_2017) == set("NFMSDCTB")  # [S17] §6.6.4 Table 8
    assert set(hj212.DATA_FLAGS_2005) == set("NFMSDCTP0123")
    assert set(hj212.QN_RTN) == {1, 2, 3, 4, 5, 6, 7, 8, 9, 100}  # [S17] Table 6
    assert set(hj212.EXE_RTN) == {1, 2, 3, 4, 5, 6, 100}  # [S17] Table 7
    assert hj212.FLAG_BITS["A"][0] == 1 and hj212.FLAG_BITS["D"][0] == 2
    assert {"Rtd", "Min", "Avg", "Max", "Cou", "ZsRtd", "ZsMin", "ZsAvg", "ZsMax", "Flag",
            "EFlag", "SampleTime", "Info"} <= set(hj212.FIELD_SUFFIXES)  # fmt: skip


# ============================================================================================
# The fast path: conforming data areas of factor values are checked against a cached layout and
# built on first access. It must accept exactly what the detailed path accepts without
# deviations, with the same content, and hand everything else to the detailed path.
# ============================================================================================

MINUTE_CP = (  # [S17] App. C.16 minute data (reference §4.7), as one data area
    "DataTime=20160801084000;w00000-Cou=10.5,w00000-Min=16.4,w00000-Avg=17.5,w00000-Max=20.1,"
    "w00000-Flag=N;w01001-Min=7.1,w01001-Avg=7.5,w01001-Max=7.8,w01001-Flag=N"
)
MINUTE = reframe(A1_SEG.replace("CN=1062", "CN=2051").replace("RtdInterval=30", MINUTE_CP))


def detailed(data: bytes, strict: bool = True) -> Packet | HJ212Error:
    """``parse`` with the fast path switched off: the packet, or the error it raises."""
    with mock.patch.object(parsing, "match_data_area", return_value=None):
        try:
            return parse(data, strict=strict)
        except HJ212Error as error:
            return error


def readings_of(columns: tuple) -> list[tuple[str, str, float, str | None]]:
    """``Packet.readings()`` from ``Packet.reading_columns()`` (numbers as text)."""
    factors, statistics, numbers, flags = columns
    assert all(isinstance(n, str) for n in numbers)
    return list(zip(factors, statistics, map(float, numbers), flags, strict=True))


def same_outcome(data: bytes, strict: bool) -> None:
    """``parse`` gives what the detailed path gives: equal packet, deviations and readings,
    or an error naming the same field, value and expectation."""
    reference = detailed(data, strict)
    try:
        parse(data, strict=strict)  # the second parse takes the cached pattern of its shape
        packet = parse(data, strict=strict)
    except HJ212Error as error:
        assert isinstance(reference, HJ212Error), f"fast path rejected what is valid: {error}"
        assert (error.field, error.value, error.expected) == (
            reference.field, reference.value, reference.expected,
        )  # fmt: skip
        return
    assert isinstance(reference, Packet), f"fast path accepted what is invalid: {reference}"
    columns = packet.reading_columns()  # before factors are built
    assert packet.readings() == reference.readings() == readings_of(columns)
    assert all(len(c) == len(reference.readings()) for c in columns)
    assert readings_of(reference.reading_columns()) == reference.readings()
    assert packet == reference and packet.deviations == reference.deviations
    assert (packet.fields, packet.factors) == (reference.fields, reference.factors)
    assert packet.encode() == reference.encode()


def test_fast_path_taken_for_standard_uploads_and_equal_to_detailed() -> None:
    # uploads of factor values, and data areas with plain fields (A1 RtdInterval, B2 QnRtn,
    # B3 RestartTime, B9 BeginTime/EndTime of a 2005 request)
    for data in (MINUTE, frame(B1), frame(B4), frame(A1), frame(B2), frame(B3), frame(B9)):
        strict = data != frame(B4)  # B4: PW of 24 characters, tolerant only
        packet = parse(data, strict=strict)
        assert layout.match_data_area(packet.raw_cp, packet.version) is not None
        with pytest.raises(AttributeError):  # factors not built yet: the layout route was taken
            object.__getattribute__(packet, "factors")
        same_outcome(data, strict)
    assert parse(MINUTE).readings()[:5] == [  # [S17] C.16 values, in order, flag N
        ("w00000", "Cou", 10.5, "N"), ("w00000", "Min", 16.4, "N"), ("w00000", "Avg", 17.5, "N"),
        ("w00000", "Max", 20.1, "N"), ("w01001", "Min", 7.1, "N"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "cp",
    [
        MINUTE_CP.replace("w01001-Max=7.8", "w01001-Avg=7.8"),  # a key twice
        MINUTE_CP.replace("w01001-Max=7.8", "w01001-Max=7.8.1"),  # not a number
        MINUTE_CP.replace("w01001-Max=7.8", "w01001-Max="),  # empty number
        MINUTE_CP.replace("w01001-Flag=N", "w01001-Flag=P"),  # 2005-only flag in a 2017 packet
        MINUTE_CP.replace(",w01001-Flag=N", ",w01001-Flag"),  # item without '='
        MINUTE_CP.replace("w01001-Max=7.8", "w01001-Max=7=8"),  # two '='
        MINUTE_CP.replace(";w01001", ";;w01001"),  # empty item
        MINUTE_CP.replace("DataTime=20160801084000", "DataTime=20160230084000"),  # no such day
        MINUTE_CP.replace("DataTime=20160801084000", "DataTime=20160801084000000"),  # 17 digits
        MINUTE_CP.replace("w00000-Cou", "w00000- Cou"),  # a space
        MINUTE_CP.replace("w01001-Max", "-Max"),  # no factor code
        MINUTE_CP.replace("w01001-Max=7.8", "w01001-Max=٧.٨"),  # Arabic-Indic digits
        MINUTE_CP + ";PolId=w01018",  # a plain field
        MINUTE_CP + ";w00000-Data=1.5",  # a factor in two items (merged by the detailed path)
        MINUTE_CP + ";a21026-i22004-Info=1",  # a two-dash key (reference §4.7)
        MINUTE_CP + ";i11001-Info=//清洗;管路//",  # log text
        MINUTE_CP + ";w21003-EFlag=A01,w21003-Rtd=-0.5",  # extended flag, negative number
        "DataTime=20160801084000",
        "",
    ],
)
def test_fast_path_edge_cases_agree_with_detailed(cp: str) -> None:
    data = reframe(A1_SEG.replace("CN=1062", "CN=2051").replace("RtdInterval=30", cp))
    for strict in (True, False):
        same_outcome(data, strict)


@st.composite
def standard_cps(draw: st.DrawFn) -> str:
    """Data areas in the standard layout ([S17] §6.3.3), with the odd negative, ',' or ';'."""
    items = []
    for code in draw(st.lists(codes, min_size=1, max_size=4, unique=True)):
        values = draw(factor_values)
        pairs = [f"{code}-{suffix}={value}" for suffix, value in values.items()]
        items.append(",".join(pairs))
    cp = ";".join(items)
    if draw(st.booleans()):
        cp = "DataTime=" + draw(times).strftime("%Y%m%d%H%M%S") + ";" + cp
    return cp


MUTATIONS = ";,=-. +NPQ/09aA\u00e9&"


def mutated(cp: str, data: st.DataObject) -> str:
    """``cp`` with up to 3 characters replaced, inserted or deleted, or an item or pair repeated."""
    for _ in range(data.draw(st.integers(0, 3))):
        kind = data.draw(st.sampled_from(["replace", "insert", "delete", "repeat"]))
        at = data.draw(st.integers(0, max(len(cp) - 1, 0)))
        char = data.draw(st.sampled_from(MUTATIONS))
        if kind == "replace":
            cp = cp[:at] + char + cp[at + 1 :]
        elif kind == "insert":
            cp = cp[:at] + char + cp[at:]
        elif kind == "delete":
            cp = cp[:at] + cp[at + 1 :]
        else:
            pieces = re.split("([;,])", cp)
            cp = cp + data.draw(st.sampled_from([";", ","])) + data.draw(st.sampled_from(pieces))
    return cp


@settings(max_examples=300, deadline=None)
@given(standard_cps(), st.data(), st.sampled_from(["Flag=4", "Flag=5", "Flag=9", None]))
def test_fast_path_and_detailed_path_agree_on_mutated_packets(
    cp: str, data: st.DataObject, flag: str | None
) -> None:
    original = cp
    cp = mutated(cp, data)
    header = A1_SEG.split("CP=&&")[0]
    if flag != "Flag=5":  # 2017 with A=0, an unknown version, or a 2005 packet (no Flag)
        header = header.replace("Flag=5;", f"{flag};" if flag else "")
    header = header.replace("CN=1062", "CN=2011")
    for strict in (True, False):  # the unmutated area first: the mutated one (often of the
        with contextlib.suppress(HJ212Error):  # same shape) meets its cached pattern
            parse(reframe(header + f"CP=&&{original}&&"), strict=strict)
    data_bytes = reframe(header + f"CP=&&{cp}&&")
    for strict in (True, False):
        same_outcome(data_bytes, strict)


plain_items = st.sampled_from([
    "RtdInterval=30", "PolId=w01018", "QnRtn=1", "ExeRtn=100", "RestartTime=20160801085624",
    "BeginTime=20040506111000,EndTime=20040506151000", "QN=20160801085857223", "CN=2051",
    "SystemTime=20160801085857", "Empty=", "DataTime=20160801084000",
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(standard_cps(), st.lists(st.tuples(st.integers(0, 5), plain_items), max_size=3),
       st.data(), st.sampled_from(["Flag=4", "Flag=5", "Flag=9", None]))
def test_fast_path_and_detailed_path_agree_on_data_areas_with_plain_fields(
    cp: str, plain: list[tuple[int, str]], data: st.DataObject, flag: str | None
) -> None:
    # plain fields ([S17] Table 4: RtdInterval, PolId, QnRtn …) among the factors, anywhere
    items = cp.split(";")
    for at, item in plain:
        items.insert(at, item)
    original = ";".join(items)
    header = A1_SEG.split("CP=&&")[0]
    if flag != "Flag=5":
        header = header.replace("Flag=5;", f"{flag};" if flag else "")
    for area in (original, mutated(original, data)):
        for strict in (True, False):
            same_outcome(reframe(header + f"CP=&&{area}&&"), strict)


def test_a_cached_pattern_of_another_layout_of_the_same_shape_is_not_used() -> None:
    # same number of items and first key, other keys: the cached pattern fails, the layout of
    # the keys as sent is used (and cached in turn)
    first, second = (f"DataTime=20160801084000;a34004-Avg=35.2,{code}-Avg=1.5"
                     for code in ("a21026", "a21004"))
    for cp, code in ((first, "a21026"), (second, "a21004"), (first, "a21026")):
        packet = parse(reframe(A1_SEG.replace("CN=1062", "CN=2051")
                               .replace("RtdInterval=30", cp)))
        assert packet.readings() == [("a34004", "Avg", 35.2, None), (code, "Avg", 1.5, None)]


@given(st.text(alphabet="0123456789.+-;e ", max_size=40))
def test_number_list_pattern_is_the_number_rule(text: str) -> None:
    # the possessive pattern of the fast path accepts exactly ';'-joined [S17] numbers
    expected = all(tables.RE_NUMBER.fullmatch(number) for number in text.split(";"))
    assert bool(layout.NUMBERS.fullmatch(text)) == expected


def test_lazy_packet_sets_every_field() -> None:
    packet = parse(MINUTE)
    for spec in dataclasses.fields(Packet):
        if spec.name != "factors":  # the one built on first access
            object.__getattribute__(packet, spec.name)
    with pytest.raises(AttributeError):
        object.__getattribute__(packet, "factors")
    with pytest.raises(AttributeError, match="no_such"):
        packet.no_such  # noqa: B018 - other missing attributes are still errors
    assert packet.factors["w01001"] == {"Min": "7.1", "Avg": "7.5", "Max": "7.8", "Flag": "N"}
    assert packet.factors is packet.factors  # built once, then a plain attribute


def test_lazy_packet_behaves_like_a_plain_dataclass() -> None:
    built = detailed(MINUTE)
    assert isinstance(built, Packet)
    assert parse(MINUTE) == built and repr(parse(MINUTE)) == repr(built)
    assert copy.copy(parse(MINUTE)) == built and copy.deepcopy(parse(MINUTE)) == built
    assert pickle.loads(pickle.dumps(parse(MINUTE))) == built
    assert dataclasses.replace(parse(MINUTE), qn="20160801085857224").factors == built.factors
    edited = parse(MINUTE)  # edits after parsing show in readings and in the frame
    edited.factors["w01001"]["Avg"] = "8.0"
    assert ("w01001", "Avg", 8.0, "N") in edited.readings()
    assert b"w01001-Avg=8.0" in edited.encode()
    replaced = parse(MINUTE)  # factors replaced without being read first
    replaced.factors = {"a34004": {"Avg": "35.0"}}
    assert replaced.readings() == [("a34004", "Avg", 35.0, None)]


def test_crc_of_segments_longer_than_any_frame() -> None:
    # longer than any data segment (tolerant parse of oversized frames)
    for n in (4100, 8300, 20_000):
        data = bytes(range(256)) * (n // 256) + b"x" * (n % 256)
        assert crc(data) == f"{naive_crc(data):04X}"
    big = reframe(A1_SEG.replace("RtdInterval=30", "PolId=" + "x" * 9000))
    assert "length.oversize" in {d.split(":")[0] for d in parse(big, strict=False).deviations}


def test_flags_of_the_other_edition_rejected_in_strict_mode() -> None:
    # P (power failure) is a 2005 flag only ([S05] field table; [S17] Table 8 has no P)
    cp = MINUTE_CP.replace("w01001-Flag=N", "w01001-Flag=P")
    data = reframe(A1_SEG.replace("CN=1062", "CN=2051").replace("RtdInterval=30", cp))
    with pytest.raises(HJ212Error) as err:
        parse(data)
    assert (err.value.field, err.value.value) == ("w01001-Flag", "P")
    assert parse(data, strict=False).deviations == [
        "flag.unknown: w01001-Flag=P is not a data flag of 2017"
    ]


def test_tolerant_deviation_listed_once() -> None:
    # a 17-digit DataTime in a layout the quick dict builder declines (a factor in two items)
    seg = A1_SEG.replace("CN=1062", "CN=2011").replace(
        "RtdInterval=30", "DataTime=20160824003817000;a21026-Rtd=1,a21026-Flag=N;a21026-Avg=2"
    )
    assert parse(reframe(seg), strict=False).deviations == [
        "time.milliseconds: DataTime=20160824003817000 has 17 digits, the standard says N14"
    ]
