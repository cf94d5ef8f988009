"""Shared vectors and helpers of the HJ 212 codec tests (the project reference's §1.5 vectors).

Vector names (A1, B1…B9, C1/C3/C4) are those of the reference; the "self-computed" frames are the
reference author's framings of [S17] Appendix C data segments.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

from ecohub.protocols import hj212
from ecohub.protocols.hj212 import (
    Packet,
    crc,
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


A1_SEG = A1[6:-4]

# ---- hypothesis strategies: packets of [S17] §6.3 ------------------------------------------
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
