"""The encoded answers of :func:`ecohub.protocols.hj212.reply_frame` (moved here from the
gateway's tests: the gateway's hand-made 9014 became this public function of the codec)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.protocols import hj212

MN = "010000A8900016F000169DC0"
PW = "123456"


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
