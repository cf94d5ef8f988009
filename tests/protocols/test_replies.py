"""Replies 9011–9014 ([S17] §6.5, App. C): :mod:`ecohub.protocols.hj212.replies`.

The tests of :func:`~ecohub.protocols.hj212.reply_frame` moved here from the gateway's tests: the
gateway's hand-made 9014 became this public function of the codec.
"""

from __future__ import annotations

import pytest
from hj212_vectors import B1, B2, B6, B8, B9, R9011, R9012, R9013, R9014, frame
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.protocols import hj212
from ecohub.protocols.hj212 import HJ212Error, Packet, parse

MN = "010000A8900016F000169DC0"
PW = "123456"



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


# The common 9014 is formatted directly; it must be the codec's answer byte for byte, for every
# shape of packet: 2017 / 2005 / unknown version (Flag bits [S17] Table 3), with and without QN,
# uploads, notifications and interaction answers.
@given(
    cn=st.sampled_from(["2011", "2051", "2061", "2031", "2081", "1013", "9014", "9011"]),
    flag=st.one_of(st.none(), st.integers(0, 15)),
    qn=st.one_of(st.none(), st.from_regex(r"20240501\d{9}", fullmatch=True)),
    pw=st.one_of(st.none(), st.from_regex(r"[0-9A-Za-z]{6}", fullmatch=True)),
    mn=st.one_of(st.none(), st.from_regex(r"[0-9A-F]{24}", fullmatch=True)),
)
@settings(max_examples=300, deadline=None)
def test_reply_frame_is_the_codecs_answer(cn: str, flag: int | None, qn: str | None,
                                          pw: str | None, mn: str | None) -> None:
    packet = hj212.Packet(qn=qn, st="22", cn=cn, pw=pw, mn=mn, flag=flag)
    expected = hj212.reply_for(packet)
    assert hj212.reply_frame(packet) == (None if expected is None else expected.encode())


def test_reply_frame_of_a_parsed_upload_is_its_9014() -> None:
    cp = ("DataTime=20240501084000;a34004-Min=30.1,a34004-Avg=35.2,a34004-Max=40.0,"
          "a34004-Flag=N;a21004-Min=20.0,a21004-Avg=25.5,a21004-Max=31.0,a21004-Flag=D")
    raw = hj212.frame(
        f"QN=20240501085000123;ST=22;CN=2051;PW={PW};MN={MN};Flag=5;CP=&&{cp}&&".encode()
    )
    answer = hj212.parse(hj212.reply_frame(hj212.parse(raw)))
    assert (answer.qn, answer.st, answer.cn, answer.pw, answer.mn, answer.flag) == (
        "20240501085000123", "91", "9014", PW, MN, 4)  # [S17] §6.5.2, C.14


def test_reply_frame_of_a_split_part_echoes_its_qn() -> None:
    # [S17] C.50: each part of a split upload is answered with a 9014 carrying that part's QN
    part = hj212.Packet(qn="20240501085000124", st="22", cn="2051", pw=PW, mn=MN, flag=7,
                        pnum=2, pno=2)
    assert hj212.parse(hj212.reply_frame(part)).qn == "20240501085000124"
