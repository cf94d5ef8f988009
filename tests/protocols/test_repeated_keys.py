"""Repeated keys in a data area are data, not noise.

A factor writes its ``Flag`` after each value, a converted ``Zs…`` value with its own ([S17]
§6.3.3, Table 4): each value keeps the flag written after it. Commands that take several
``PolId`` or ``CTime`` ([S17] App. C, [S05] CN 3014) keep every value, in order. The packets
are built here from the standard's grammar, with the codec's CRC.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hj212_vectors import reframe

from ecohub.protocols.hj212 import HJ212Error, Packet, parse, reassemble, split
from ecohub.protocols.hj212.data_area import flag_of_each
from ecohub.vocabulary import CHINA_TZ

MN = "010000A8900016F000169DC0"
HEADER_2017 = f"QN=20160801085857223;ST=31;CN=2011;PW=123456;MN={MN};Flag=5;"
HEADER_2005 = "ST=31;CN=2011;PW=123456;MN=88888880000001;"


def upload(cp: str, header: str = HEADER_2017) -> bytes:
    return reframe(f"{header}CP=&&{cp}&&")


def test_each_value_stored_with_the_flag_after_it() -> None:
    # the example as a 2005 upload (2005 factor codes are 2-3 characters, 01 smoke):
    # the Rtd is followed by N, the converted ZsRtd by M
    cp = ("DataTime=20160801084000;01-Rtd=3.52,01-Flag=N;02-Rtd=40.1,02-Flag=N;"
          "01-ZsRtd=4.69,01-Flag=M")
    for strict in (True, False):
        packet = parse(upload(cp, HEADER_2005), strict=strict)
        assert packet.readings() == [
            ("01", "Rtd", 3.52, "N"), ("01", "ZsRtd", 4.69, "M"), ("02", "Rtd", 40.1, "N"),
        ]  # fmt: skip
        assert packet.factors["01"] == {"Rtd": "3.52", "Flag": "N", "ZsRtd": "4.69"}
        assert packet.value_flags == {"01": {"Rtd": "N", "ZsRtd": "M"}}
        assert packet.deviations == []  # a repeated Flag is no deviation


def test_which_flag_applies() -> None:
    # the flag after a value applies to it and the values since the previous flag; values
    # after the last flag take the last one; a factor without a flag gives None
    assert flag_of_each(["Min", "Avg", "Flag", "Max", "Flag", "ZsAvg"]) == [2, 2, 2, 4, 4, 4]
    assert flag_of_each(["Rtd", "SampleTime"]) == [None, None]
    assert flag_of_each([]) == []
    packet = parse(upload(
        "DataTime=20160801084000;a21026-Min=1.0,a21026-Avg=2.0,a21026-Flag=N,"
        "a21026-Max=9.0,a21026-Flag=T;a21026-ZsAvg=2.5;a19001-Avg=20.0"
    ))
    assert [(suffix, flag) for _, suffix, _, flag in packet.readings()] == [
        ("Min", "N"), ("Avg", "N"), ("Max", "T"), ("ZsAvg", "T"), ("Avg", None),
    ]  # fmt: skip


def test_one_flag_applies_to_every_value_as_before() -> None:
    packet = parse(upload("DataTime=20160801084000;a21026-Flag=D,a21026-Rtd=3.5,a21026-ZsRtd=4.0"))
    assert packet.value_flags == {}
    assert [flag for *_, flag in packet.readings()] == ["D", "D"]


def test_a_value_twice_is_still_a_fault() -> None:
    data = upload("DataTime=20160801084000;a21026-Rtd=3.5,a21026-Flag=N,a21026-Rtd=3.6")
    with pytest.raises(HJ212Error, match="only once"):
        parse(data)
    assert parse(data, strict=False).deviations == [
        "cp.duplicate: a21026-Rtd repeated; kept '3.5', dropped '3.6'"
    ]
    with pytest.raises(HJ212Error, match="only once"):
        parse(upload("DataTime=20160801084000;DataTime=20160801084000"))


def test_flags_per_value_round_trip() -> None:
    packet = Packet(
        qn="20160801085857223", st="31", cn="2011", pw="123456", mn=MN, flag=5,
        data_time=datetime(2016, 8, 1, 8, 40, tzinfo=CHINA_TZ),
        factors={"a21026": {"Rtd": "3.52", "Flag": "N", "ZsRtd": "4.69", "EFlag": "A01"},
                 "a19001": {"Rtd": "20.1", "Flag": "N"}},
        value_flags={"a21026": {"Rtd": "N", "ZsRtd": "M"}},
    )  # fmt: skip
    data = packet.encode()
    assert b"CP=&&DataTime=20160801084000;a21026-Rtd=3.52,a21026-Flag=N,a21026-ZsRtd=4.69," \
           b"a21026-Flag=M,a21026-EFlag=A01;a19001-Rtd=20.1,a19001-Flag=N&&" in data
    again = parse(data)
    assert again == packet and again.encode() == data
    assert again.readings() == [
        ("a21026", "Rtd", 3.52, "N"), ("a21026", "ZsRtd", 4.69, "M"), ("a19001", "Rtd", 20.1, "N"),
    ]  # fmt: skip
    # received in another layout: re-sent verbatim while unchanged, canonical once edited
    received = upload("DataTime=20160801084000;a21026-Rtd=3.52,a21026-Flag=N;"
                      "a19001-Rtd=20.1,a19001-Flag=N;a21026-ZsRtd=4.69,a21026-Flag=M")
    parsed = parse(received)
    assert parsed.encode() == received
    parsed.value_flags["a21026"]["ZsRtd"] = "D"
    edited = parse(parsed.encode())
    assert edited.value_flags == {"a21026": {"Rtd": "N", "ZsRtd": "D"}}
    assert [flag for *_, flag in edited.readings()] == ["N", "D", "N"]


def test_repeated_command_parameters_kept_in_order() -> None:
    # [S17] App. C: one PolId per instrument; [S05] CN 3014: one CTime per sampling hour
    request = upload("PolId=w01018;PolId=w21003;PolId=w21011", HEADER_2017.replace("2011", "3012"))
    packet = parse(request)
    assert packet.fields == {"PolId": "w01018"}  # the first, as before
    assert packet.field_values("PolId") == ["w01018", "w21003", "w21011"]
    assert packet.repeated_fields == {"PolId": ["w01018", "w21003", "w21011"]}
    assert packet.encode() == request
    period = reframe("QN=20040516010101001;ST=32;CN=3014;PW=123456;MN=88888880000001;Flag=3;"
                     "CP=&&CstartTime=000000;CTime=04,CTime=10,CTime=16&&")
    packet = parse(period)
    assert packet.version == "2005"
    assert packet.field_values("CTime") == ["04", "10", "16"]
    assert packet.field_values("CstartTime") == ["000000"]
    assert packet.field_values("PolId") == []
    assert packet.encode() == period  # the ',' of the request kept: sent back verbatim
    built = Packet(st="32", cn="3014", fields={"CTime": "04"},
                   repeated_fields={"CTime": ["04", "10"]})
    assert b"CP=&&CTime=04;CTime=10&&" in built.encode()
    assert parse(built.encode(), strict=False).repeated_fields == {"CTime": ["04", "10"]}


def test_split_and_reassembled_keep_flags_per_value_and_repeated_fields() -> None:
    factors = {f"a{n:05d}": {"Rtd": "1.5", "Flag": "N", "ZsRtd": "1.8"} for n in range(40)}
    packet = Packet(
        qn="20160801085857223", st="31", cn="2011", pw="123456", mn=MN, flag=5,
        data_time=datetime(2016, 8, 1, 8, 40, tzinfo=CHINA_TZ), factors=factors,
        fields={"PolId": "a00000"}, repeated_fields={"PolId": ["a00000", "a00001"]},
        value_flags={code: {"Rtd": "N", "ZsRtd": "M"} for code in factors},
    )  # fmt: skip
    parts = split(packet)
    assert len(parts) > 1
    whole = reassemble([parse(part.encode()) for part in parts])
    assert whole.value_flags == packet.value_flags
    assert whole.repeated_fields == packet.repeated_fields
    assert whole.readings() == packet.readings()


def test_flags_per_value_edited_after_parsing_show_in_the_readings() -> None:
    data = upload("DataTime=20160801084000;a21026-Rtd=3.52,a21026-Flag=N;"
                  "a21026-ZsRtd=4.69,a21026-Flag=M")
    cleared = parse(data)
    cleared.value_flags = {}  # the factor's one Flag for every value
    assert [flag for *_, flag in cleared.readings()] == ["N", "N"]
    edited = parse(data)
    edited.value_flags["a21026"]["Rtd"] = "D"
    assert list(edited.reading_columns()[3]) == ["D", "M"]
