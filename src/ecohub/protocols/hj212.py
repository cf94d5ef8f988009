"""HJ 212 data-transmission protocol codec (HJ 212-2017 and HJ/T 212-2005), without I/O.

A packet on the wire is ``##`` + 4-digit length + data segment + 4 hex CRC + CR LF
([S17] §6.3.1 Table 2). The data segment is
``QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&`` ([S17] §6.3.2 Table 3) and
the ``CP`` data area holds ``key=value`` items, ``;`` between items and ``,`` between the
values of one factor ([S17] §6.3.3).

Sources (the project's notes: ``/work/shared/reference/hj212.md``):

* [S17] HJ 212-2017 《污染物在线监控（监测）系统数据传输标准》.
* [S05] HJ/T 212-2005 《污染源在线自动监控（监测）系统数据传输标准》.

Entry points: :func:`parse`, :meth:`Packet.encode`, :func:`crc`, :class:`FrameReader`,
:func:`reassemble` / :class:`Reassembler`, :func:`split`, and the reply/command builders
:func:`data_reply` (9014), :func:`notification_reply` (9013), :func:`request_reply` (9011),
:func:`execution_result` (9012), :func:`get_time_command` (1011), :func:`set_time_command` (1012).

``parse(strict=True)`` rejects what the standards forbid. ``parse(strict=False)`` accepts the
deviations seen in real traffic and lists each one in ``Packet.deviations`` as
``"<kind>: <explanation>"``; the kind before the colon (e.g. ``crc.modbus``) groups them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Container, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from itertools import repeat
from operator import itemgetter

from ecohub.protocols._hj212crc import crc16 as _crc16

__all__ = [
    "CHINA_TZ",
    "COMMANDS_2017",
    "DATA_FLAGS_2005",
    "DATA_FLAGS_2017",
    "EXE_RTN",
    "EXE_RTN_2005",
    "FIELD_SUFFIXES",
    "FLAG_BITS",
    "FLAG_VERSIONS",
    "MAX_CP_2005",
    "MAX_CP_2017",
    "MAX_FRAME",
    "MAX_SEGMENT",
    "NOTIFICATION_CNS",
    "NUMERIC_SUFFIXES",
    "QN_RTN",
    "QN_RTN_2005",
    "SYSTEM_CODES",
    "FrameError",
    "FrameReader",
    "HJ212Error",
    "Incomplete",
    "Packet",
    "Reassembler",
    "crc",
    "crc_modbus",
    "data_reply",
    "execution_result",
    "frame",
    "get_time_command",
    "new_qn",
    "notification_reply",
    "parse",
    "reassemble",
    "reply_for",
    "request_reply",
    "set_time_command",
    "split",
]

# --------------------------------------------------------------------------------------------
# Tables (data, with the clause they come from)
# --------------------------------------------------------------------------------------------

#: HJ 212 times on the wire are local time, China Standard Time (UTC+8).
CHINA_TZ = timezone(timedelta(hours=8))

#: Frame limits, [S17] §6.3.1 Table 2 ([S05] §6.3.1): data segment 0…1024 bytes, so a whole frame
#: is at most 2 + 4 + 1024 + 4 + 2 = 1036 bytes.
MAX_SEGMENT = 1024
MAX_FRAME = 1036
#: Length of ``CP=&&…&&`` including the ``CP=`` prefix: [S17] §6.3.2 Table 3 (950), [S05] (960).
MAX_CP_2017 = 950
MAX_CP_2005 = 960

#: Packet ``Flag`` bits, [S17] §6.3.2 Table 3 ([S05] §6.3.2 uses the same A and D bits).
#: Bit layout ``V5 V4 V3 V2 V1 V0 D A``.
FLAG_BITS: dict[str, tuple[int, str]] = {
    "A": (0x01, "命令是否应答: 1 = the receiver must answer, 0 = no answer"),
    "D": (0x02, "是否有数据包序号: 1 = split packet carrying PNUM and PNO, 0 = not split"),
}
#: Version bits V5…V0 (``Flag >> 2``), [S17] §6.3.2 Table 3: 000000 = HJ/T 212-2005,
#: 000001 = HJ 212-2017.
FLAG_VERSIONS: dict[int, str] = {0: "2005", 1: "2017"}

#: Data flags (``xxxxxx-Flag``), HJ 212-2017: [S17] §6.6.4 Table 8.
DATA_FLAGS_2017: dict[str, str] = {
    "N": "在线监控（监测）仪器仪表工作正常 (instrument working normally)",
    "F": "在线监控（监测）仪器仪表停运 (instrument stopped)",
    "M": "在线监控（监测）仪器仪表处于维护期间产生的数据 (data produced during maintenance)",
    "S": "手工输入的设定值 (manually entered set value)",
    "D": "在线监控（监测）仪器仪表故障 (instrument fault)",
    "C": "在线监控（监测）仪器仪表处于校准状态 (instrument calibrating)",
    "T": "在线监控（监测）仪器仪表采样数值超过测量上限 (value above the measuring upper limit)",
    "B": "在线监控（监测）仪器仪表与数采仪通讯异常 (instrument-DAU communication failure)",
}
#: Data flags, HJ/T 212-2005: [S05] §6.3.3 field table. 0–3 are for ambient-air stations only.
DATA_FLAGS_2005: dict[str, str] = {
    "N": "正常 (normal)",
    "F": "排放源停运 (emission source stopped)",
    "M": "维护期间数据 (maintenance)",
    "S": "手工输入的设定值 (set value)",
    "D": "故障 (fault)",
    "C": "校验 (calibration)",
    "T": "超测上限 (above upper measuring limit)",
    "P": "电源故障 (power failure)",
    "0": "空气站: 校准数据 (ambient air: calibration data)",
    "1": "空气站: 气象参数 (ambient air: meteorological parameter)",
    "2": "空气站: 异常 (ambient air: abnormal)",
    "3": "空气站: 正常 (ambient air: normal)",
}

#: Request answer codes ``QnRtn`` (CN 9011), [S17] §6.6.2 Table 6.
QN_RTN: dict[int, str] = {
    1: "准备执行请求 (ready to execute)",
    2: "请求被拒绝 (request rejected)",
    3: "PW 错误 (password wrong)",
    4: "MN 错误 (MN wrong)",
    5: "ST 错误 (ST wrong)",
    6: "Flag 错误 (Flag wrong)",
    7: "QN 错误 (QN wrong)",
    8: "CN 错误 (CN wrong)",
    9: "CRC 校验错误 (CRC error)",
    100: "未知错误 (unknown error)",
}
#: ``QnRtn`` in HJ/T 212-2005 ([S05] §6.5): only 1–3.
QN_RTN_2005: dict[int, str] = {1: QN_RTN[1], 2: QN_RTN[2], 3: QN_RTN[3]}

#: Execution result codes ``ExeRtn`` (CN 9012), [S17] §6.6.3 Table 7.
EXE_RTN: dict[int, str] = {
    1: "执行成功 (success)",
    2: "执行失败，但不知道原因 (failed, reason unknown)",
    3: "命令请求条件错误 (request condition error)",
    4: "通讯超时 (communication time-out)",
    5: "系统繁忙不能执行 (system busy)",
    6: "系统故障 (system fault)",
    100: "没有数据 (no data)",
}
#: ``ExeRtn`` in HJ/T 212-2005 ([S05] §6.5): 1, 2 and 100.
EXE_RTN_2005: dict[int, str] = {1: EXE_RTN[1], 2: EXE_RTN[2], 100: EXE_RTN[100]}

#: System codes ``ST``, [S17] §6.6.1 Table 5 (10–29 environmental quality, 30–49 pollution
#: sources, 50–69 process monitoring, 91–99 system interaction, A0–Z9 extension).
SYSTEM_CODES: dict[str, str] = {
    "21": "地表水质量监测", "22": "空气质量监测", "23": "声环境质量监测", "24": "地下水质量监测",
    "25": "土壤质量监测", "26": "海水质量监测", "27": "挥发性有机物监测",
    "31": "大气环境污染源", "32": "地表水体环境污染源", "33": "地下水体环境污染源",
    "34": "海洋环境污染源", "35": "土壤环境污染源", "36": "声环境污染源", "37": "振动环境污染源",
    "38": "放射性环境污染源", "39": "工地扬尘污染源", "41": "电磁环境污染源",
    "51": "烟气排放过程监控", "52": "污水排放过程监控", "91": "系统交互",
}  # fmt: skip

#: Command codes ``CN`` of HJ 212-2017, [S17] §6.6.5 Table 9 (the HJ/T 212-2005 set differs for
#: 1001, 3013 and 3014, [S05] §6.5).
COMMANDS_2017: dict[str, str] = {
    "1000": "设置超时时间及重发次数", "1011": "提取/上传现场机时间", "1012": "设置现场机时间",
    "1013": "现场机时间校准请求", "1061": "提取/上传实时数据间隔", "1062": "设置实时数据间隔",
    "1063": "提取/上传分钟数据间隔", "1064": "设置分钟数据间隔", "1072": "设置现场机访问密码",
    "2011": "取/上传污染物实时数据", "2012": "停止察看污染物实时数据",
    "2021": "取/上传设备运行状态数据", "2022": "停止察看设备运行状态",
    "2031": "取/上传污染物日历史数据",
    "2041": "取/上传设备运行时间日历史数据", "2051": "取/上传污染物分钟数据",
    "2061": "取/上传污染物小时数据", "2081": "上传数采仪开机时间", "3011": "零点校准量程校准",
    "3012": "即时采样", "3013": "启动清洗/反吹", "3014": "比对采样", "3015": "超标留样",
    "3016": "设置采样时间周期", "3017": "提取采样时间周期", "3018": "提取出样时间",
    "3019": "提取设备唯一标识", "3020": "提取/上传现场机信息", "3021": "设置现场机参数",
    "9011": "请求应答", "9012": "执行结果", "9013": "通知应答", "9014": "数据应答",
}  # fmt: skip

#: Notification commands, answered with 9013 ([S17] §6.5.3, Table 9): 1013 (F→P), 2012, 2022.
NOTIFICATION_CNS = frozenset({"1013", "2012", "2022"})

#: Per-factor field suffixes, [S17] §6.3.3.2.3 Table 4 (2005 ones: [S05] field table).
#: Unknown suffixes are passed through unchanged.
FIELD_SUFFIXES: dict[str, str] = {
    "Rtd": "实时数据 real-time value",
    "Min": "指定时间内最小值 minimum over the period",
    "Avg": "指定时间内平均值 average over the period",
    "Max": "指定时间内最大值 maximum over the period",
    "Cou": "指定时间内累计值 cumulative value (emission amount, volume)",
    "ZsRtd": "折算实时数据 converted real-time value",
    "ZsMin": "折算最小值 converted minimum",
    "ZsAvg": "折算平均值 converted average",
    "ZsMax": "折算最大值 converted maximum",
    "Flag": "数据标记 data flag (DATA_FLAGS_2017 / DATA_FLAGS_2005)",
    "EFlag": "设备自定义扩展标记 instrument-defined extended flag (2017)",
    "SampleTime": "采样时间 sampling time YYYYMMDDhhmmss (2017)",
    "Data": "噪声时段数据 noise value of the period",
    "DayData": "噪声昼间数据 noise day-time value",
    "NightData": "噪声夜间数据 noise night-time value",
    "Info": "现场端信息 site information (i-codes)",
    "SN": "设备唯一标识 instrument unique ID (2017)",
    "RS": "设备运行状态 facility running state",
    "RT": "设备运行时间 facility running time (h)",
    "Ala": "报警数据 value during alarm (2005 only)",
    "UpValue": "报警上限 alarm upper threshold (2005 only)",
    "LowValue": "报警下限 alarm lower threshold (2005 only)",
}
#: Suffixes whose values are measurements ([S17] Table 4), yielded by :meth:`Packet.readings`.
NUMERIC_SUFFIXES = frozenset(
    {"Rtd", "Min", "Avg", "Max", "Cou", "ZsRtd", "ZsMin", "ZsAvg", "ZsMax",
     "Data", "DayData", "NightData"}
)  # fmt: skip

# Header field order of [S17] §6.3.2 Table 3, used when encoding and for the strict order check.
_HEADER_ORDER = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")
_HEADER_RANK = {name: i for i, name in enumerate(_HEADER_ORDER)}
_HEADER_BY_UPPER = {name.upper(): name for name in _HEADER_ORDER}

# Field formats. 2017: [S17] §6.3.2 Table 3 and §6.6.1; 2005: [S05] §6.3.2.
# QN: a millisecond timestamp YYYYMMDDhhmmsszzz; fields are range-checked, not calendar-checked.
_QN = r"\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d[0-5]\d\d{3}"
_RE_QN = re.compile(_QN)
_RE_ST = re.compile(r"[0-9A-Z]{2}")
_RE_CN = re.compile(r"\d{4}")
_RE_PW = re.compile(r"[0-9A-Za-z]{6}")
_RE_MN_2017 = re.compile(r"[0-9A-F]{24}")  # EPC-96 in hex
_RE_MN_2005 = re.compile(r"[0-9A-Za-z]{14}")
_RE_MN_ANY = re.compile(r"[0-9A-Za-z]{1,24}")
_RE_TOLERANT_ID = re.compile(r"[^;,=&\s]{1,32}")  # bounded opaque identifier (tolerant mode)
_RE_SMALL_INT = re.compile(r"\d{1,4}")
_RE_HEX4 = re.compile(rb"[0-9A-F]{4}")
_RE_HEX_ANY = re.compile(rb"[0-9A-Fa-f]{3,4}")

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def _shorten(value: object, limit: int = 60) -> str:
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20]}…{text[-12:]} ({len(text)} chars)"


class HJ212Error(ValueError):
    """A packet or frame that does not satisfy HJ 212.

    Attributes: ``field`` (which part: ``"CRC"``, ``"length"``, ``"MN"``, ``"CP"``, …),
    ``value`` (what was received) and ``expected`` (what the standard requires).
    """

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"HJ 212 {field}: got {_shorten(value)}, expected {expected}")


# --------------------------------------------------------------------------------------------
# CRC ([S17] Appendix A, [S05] Appendix A)
# --------------------------------------------------------------------------------------------


def _reflected_a001_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        reg = byte
        for _ in range(8):
            reg = (reg >> 1) ^ 0xA001 if reg & 1 else reg >> 1
        table.append(reg)
    return tuple(table)


_T = _reflected_a001_table()
# The possible CRCs: T[x] for the last step's index x, and 0xFFFF for an empty segment.
_CRC_TEXT = {value: f"{value:04X}" for value in (*_T, 0xFFFF)}


def crc(segment: bytes) -> str:
    """HJ 212 CRC of a data segment, as 4 upper-case hex digits (high byte first).

    The checksum of [S17] Appendix A / [S05] Appendix A ("ANSI CRC16"): register 0xFFFF;
    per byte ``reg = (reg >> 8) ^ byte`` then 8 reflected shifts with 0xA001; no final XOR.
    It is **not** CRC-16/MODBUS (which does ``reg ^= byte``). Computed over the UTF-8 bytes of
    the data segment only (from ``QN=`` to the closing ``&&``), in C (``_hj212crc.c``: the
    per-byte loop was a fifth of a packet's parse in Python).

    >>> crc(b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
    ...     b"Flag=5;CP=&&RtdInterval=30&&")
    '1C80'
    """
    return _CRC_TEXT[_crc16(segment)]


def frame(segment: bytes) -> bytes:
    """``##`` + 4-digit length + data segment + CRC + CR LF ([S17] §6.3.1 Table 2).

    The segment is framed as given (no check of its content or length: see
    :meth:`Packet.encode`).
    """
    return b"##%04d%b%b\r\n" % (len(segment), segment, crc(segment).encode("ascii"))


def crc_modbus(segment: bytes) -> str:
    """CRC-16/MODBUS of ``segment`` as 4 upper-case hex digits, high byte first.

    Not part of HJ 212: misconfigured loggers send it instead of the HJ 212 CRC (reference §1.4);
    :func:`parse` with ``strict=False`` accepts it (and its byte-swapped form) as a deviation.
    """
    reg = 0xFFFF
    for byte in segment:
        reg = (reg >> 8) ^ _T[(reg ^ byte) & 0xFF]
    return f"{reg:04X}"


# --------------------------------------------------------------------------------------------
# Times
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _local_time(digits: str) -> datetime | None:
    """``YYYYMMDDhhmmss`` or ``YYYYMMDDhhmmsszzz`` as UTC+8 time; None if these are not ASCII
    digits of a real date and time. Cached: the devices of a network send the same DataTime."""
    if not (digits.isdigit() and digits.isascii() and len(digits) in (14, 17)):
        return None
    fraction = "." + digits[14:] if len(digits) == 17 else ""
    try:
        return datetime.fromisoformat(f"{digits[:8]}T{digits[8:14]}{fraction}+08:00")
    except ValueError:
        return None


def _parse_time(text: str, field_name: str, strict: bool, deviations: list[str]) -> datetime:
    """``YYYYMMDDhhmmss`` (N14, [S17] Table 4) in UTC+8; tolerant mode also takes ``…zzz`` ms."""
    n = len(text)
    if n == 14 or (n == 17 and not strict):
        stamp = _local_time(text)
        if stamp is not None:
            if n == 17:
                deviations.append(
                    f"time.milliseconds: {field_name}={text} has 17 digits, the standard says N14"
                )
            return stamp
    raise HJ212Error(field_name, text, "a valid local time YYYYMMDDhhmmss (N14)")


def _format_time(stamp: datetime, field_name: str) -> str:
    if stamp.tzinfo is None:
        raise HJ212Error(field_name, stamp, "a timezone-aware datetime (HJ 212 sends UTC+8)")
    return stamp.astimezone(CHINA_TZ).strftime("%Y%m%d%H%M%S")


def new_qn(now: datetime | None = None) -> str:
    """A fresh request number ``QN``: local (UTC+8) time ``YYYYMMDDhhmmsszzz`` ([S17] Table 3)."""
    stamp = (now or datetime.now(CHINA_TZ)).astimezone(CHINA_TZ)
    return stamp.strftime("%Y%m%d%H%M%S") + f"{stamp.microsecond // 1000:03d}"


def _check_qn(qn: str, strict: bool, deviations: list[str]) -> None:
    if _RE_QN.fullmatch(qn):
        return
    if strict or not _RE_TOLERANT_ID.fullmatch(qn):
        raise HJ212Error("QN", qn, "17 digits YYYYMMDDhhmmsszzz (a valid local time)")
    deviations.append(f"qn.format: QN={qn} is not a 17-digit millisecond timestamp")


# --------------------------------------------------------------------------------------------
# Packet
# --------------------------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class Packet:
    """One HJ 212 packet: header fields and the parsed ``CP`` data area.

    Header ([S17] §6.3.2 Table 3): ``qn`` request number (17-digit ms timestamp, absent in many
    2005 packets), ``st`` system code, ``cn`` command code, ``pw`` password, ``mn`` device ID,
    ``flag`` (int, bits in :data:`FLAG_BITS`), ``pnum``/``pno`` (split packets only).

    Data area ([S17] §6.3.3): ``data_time`` is ``DataTime`` as a timezone-aware datetime (UTC+8
    wire time); ``fields`` holds every other plain item (``RtdInterval``, ``QnRtn``,
    ``BeginTime``, ``PolId`` …) as received, in order; ``factors`` maps each factor code to its
    suffix → value strings (``{"Avg": "35.2", "Flag": "N"}``), values kept exactly as received.
    A key with two dashes (``a21026-i22004-Info``) is factor ``a21026``, suffix ``i22004-Info``.

    ``deviations`` lists what a tolerant parse accepted (``"kind: explanation"``); ``raw_cp``
    is the data area as received, which :meth:`encode` reproduces when the content is unchanged.

    :func:`parse` builds ``factors`` of a conforming data area of factor values (the common
    upload) on first access only; it is an ordinary dict from then on. :meth:`readings` does not
    need it.
    """

    qn: str | None = None
    st: str
    cn: str
    pw: str | None = None
    mn: str | None = None
    flag: int | None = None
    pnum: int | None = None
    pno: int | None = None
    data_time: datetime | None = None
    fields: dict[str, str] = field(default_factory=dict)
    factors: dict[str, dict[str, str]] = field(default_factory=dict)
    deviations: list[str] = field(default_factory=list, compare=False)
    raw_cp: str | None = field(default=None, compare=False, repr=False)
    # A data area checked by parse but not yet built into ``factors`` (see _standard_cp).
    _items: tuple[_Layout, list[str | None]] | None = field(
        default=None, init=False, compare=False, repr=False
    )

    def __getattr__(self, name: str) -> object:
        # Python calls this only for an attribute that is not set: here, ``factors`` of a
        # packet parsed lazily (see _parse_segment), built now and stored, so that later
        # accesses are plain slot reads. Anything else is a real miss.
        # (never self._items here: on a bare instance, as copy makes, that would recurse)
        items = object.__getattribute__(self, "_items") if name == "factors" else None
        if items is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        layout, values = items
        self.factors = layout.build(values)
        self._items = None
        return self.factors

    @property
    def version(self) -> str:
        """``'2017'``, ``'2005'`` or ``'unknown'`` from the Flag version bits ([S17] Table 3).

        A packet without ``Flag`` is HJ/T 212-2005 style (2017 makes Flag mandatory).
        """
        return _version(self.flag)

    @property
    def needs_reply(self) -> bool:
        """Flag bit A: the receiver must answer ([S17] Table 3)."""
        return self.flag is not None and bool(self.flag & 0x01)

    @property
    def is_split(self) -> bool:
        """One part of a split transfer: carries PNUM/PNO ([S17] Table 3, C.47).

        In a strict 2017 packet this is exactly Flag bit D; [S05] examples set bit D on
        requests without PNUM/PNO, so the numbers, not the bit, decide.
        """
        return self.pnum is not None

    def readings(self) -> list[tuple[str, str, float, str | None]]:
        """Numeric readings ``(factor, statistic, value, flag)`` for the ingest path.

        One tuple per value whose suffix is in :data:`NUMERIC_SUFFIXES` (Rtd, Min, Avg, Max,
        Cou, Zs…, noise Data); ``flag`` is the factor's ``-Flag`` (or None). Values that are not
        decimal numbers are left out here (they stay, unchanged, in :attr:`factors`). Units are
        the factor's default unit of [S17] Appendix B unless agreed otherwise.
        """
        if self._items is not None and not _items_built(self):
            # parsed lazily, factors neither built nor replaced: straight from the values
            layout, values = self._items
            return layout.readings(values)
        numeric = NUMERIC_SUFFIXES
        try:
            return [
                (code, suffix, float(text), values.get("Flag"))
                for code, values in self.factors.items()
                for suffix, text in values.items()
                if suffix in numeric
            ]
        except ValueError:
            pass
        out = []
        for code, values in self.factors.items():
            flag = values.get("Flag")
            for suffix, text in values.items():
                if suffix in numeric:
                    try:
                        out.append((code, suffix, float(text), flag))
                    except ValueError:
                        continue
        return out

    def reading_columns(
        self,
    ) -> tuple[Sequence[str], Sequence[str], Sequence[str], Sequence[str | None]]:
        """:meth:`readings` as four columns ``(factors, statistics, numbers, flags)``, the
        numbers as decimal text: ``float(numbers[i])`` is the value of ``readings()[i]``.

        The ingest path gathers readings by column and converts a whole batch of numbers at
        once (``float()`` per value would cost a quarter of a packet's parse). A conforming
        upload gives its columns straight from the parsed values — the numbers as received,
        checked against [S17] §6.3.3.2.2 — without a tuple per reading; any other packet gives
        each value's shortest round-trip text (``repr``).
        """
        if self._items is not None and not _items_built(self):
            layout, values = self._items
            return (layout.codes, layout.suffixes, layout.numbers(values),  # type: ignore[return-value]
                    layout.reading_flags(values))
        rows = self.readings()
        if not rows:
            return (), (), (), ()
        factors, statistics, numbers, flags = zip(*rows, strict=True)
        return factors, statistics, tuple(map(repr, numbers)), flags

    # ---- encoding ------------------------------------------------------------------------

    def _canonical_cp(self) -> str:
        items = []
        if self.data_time is not None:
            items.append("DataTime=" + _format_time(self.data_time, "DataTime"))
        items.extend(f"{key}={value}" for key, value in self.fields.items())
        items.extend(
            code + "-" + ("," + code + "-").join(map("=".join, values.items()))
            for code, values in self.factors.items()
            if values
        )
        return ";".join(items)

    def _cp_text(self) -> str:
        canonical = self._canonical_cp()
        raw = self.raw_cp
        if raw is None or raw == canonical:
            return canonical
        # The data area was received in a non-canonical layout (e.g. "BeginTime=…,EndTime=…"):
        # re-emit it verbatim, so the bytes and CRC are reproduced, unless the content changed.
        try:
            data_time, fields, factors = _parse_cp_slow(raw, False, "unknown", [])
        except HJ212Error:
            return canonical
        same = data_time == self.data_time and fields == self.fields and factors == self.factors
        return raw if same else canonical

    def _segment(self) -> bytes:
        parts = []
        if self.qn is not None:
            parts.append(f"QN={self.qn};")
        parts.append(f"ST={self.st};CN={self.cn};")
        if self.pw is not None:
            parts.append(f"PW={self.pw};")
        if self.mn is not None:
            parts.append(f"MN={self.mn};")
        if self.flag is not None:
            parts.append(f"Flag={self.flag};")
        if self.pnum is not None:
            parts.append(f"PNUM={self.pnum};")
        if self.pno is not None:
            parts.append(f"PNO={self.pno};")
        parts.append(f"CP=&&{self._cp_text()}&&")
        return "".join(parts).encode("utf-8")

    def encode(self) -> bytes:
        """The complete frame: ``##`` + length + data segment + CRC + CR LF ([S17] §6.3.1).

        Header fields in the 2017 order (QN ST CN PW MN Flag PNUM PNO CP, [S17] Table 3),
        absent (None) fields omitted; length counted in UTF-8 bytes; CRC as 4 upper-case hex
        digits. Raises :class:`HJ212Error` if the data segment exceeds 1024 bytes (use
        :func:`split`).
        """
        segment = self._segment()
        if len(segment) > MAX_SEGMENT:
            raise HJ212Error(
                "length", len(segment), f"a data segment of at most {MAX_SEGMENT} bytes; split it"
            )
        return frame(segment)


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------

# The common, fully conforming 2017 header in one match (a fast path; anything else takes the
# field-by-field route, which also produces the precise error messages).
_FAST_HEADER = re.compile(
    rf"QN=({_QN});ST=([0-9A-Z]{{2}});CN=(\d{{4}});PW=([0-9A-Za-z]{{6}});MN=([0-9A-F]{{24}});"
    r"Flag=([4-7]);(?:PNUM=(\d{1,4});PNO=(\d{1,4});)?CP=&&"
)
_RE_LOG_TEXT = re.compile(r"//.*?//", re.S)


def parse(data: bytes | str, strict: bool = True) -> Packet:
    """Parse one HJ 212 frame ``##LLLL<segment>CCCC\\r\\n`` into a :class:`Packet`.

    ``strict=True`` enforces [S17] (or [S05] for 2005 packets): the HJ 212 CRC in upper case,
    the exact length, CR LF, the header order and formats (QN 17 digits, ST 2, CN 4, PW 6, MN 24
    hex / 14 for 2005), Flag/PNUM/PNO consistency, N14 times, data flags of the version's table
    and numeric measurement values. ``strict=False`` accepts the known real-world deviations
    (lower-case or unpadded CRC, CRC-16/MODBUS and byte-swapped MODBUS, wrong length, missing
    CR LF, stray spaces, ``,`` in the header, header out of order, over-long frames, MN/PW/ST of
    other shapes, 17-digit times, unknown data flags, GBK text) and records each in
    ``packet.deviations``. Anything unparseable raises :class:`HJ212Error`.
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


# A conforming frame in one match ([S17] §6.3.1): '##', 4 digits, the data segment up to its last
# '&&', 4 upper-case hex digits, CR LF. Anything else takes the field-by-field checks of _unframe.
_FRAME = re.compile(rb"##([0-9]{4})(.*&&)([0-9A-F]{4})\r\n", re.S)


def _unframe(raw: bytes, strict: bool, deviations: list[str]) -> bytes:
    """Check the frame around the data segment and its CRC; return the segment bytes."""
    if strict:
        frame = _FRAME.fullmatch(raw)
        if frame is not None and len(raw) <= MAX_FRAME:
            digits, segment, given = frame.groups()
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
    if not (_RE_HEX4 if strict else _RE_HEX_ANY).fullmatch(tail):
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
        if name not in _HEADER_RANK:
            known = _HEADER_BY_UPPER.get(name.upper())
            if known is None or strict:
                raise HJ212Error(name, value, "a header field QN, ST, CN, PW, MN, Flag, PNUM, PNO")
            deviations.append(f"header.case: field {name!r} should be written {known!r}")
            name = known
        pairs.append((name, value))
    return pairs


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
        version = _version(flag)

    limit = MAX_CP_2005 if version == "2005" else MAX_CP_2017
    cp_bytes = len(cp.encode("utf-8")) + 7 if not cp.isascii() else len(cp) + 7
    if cp_bytes > limit:
        if strict:
            raise HJ212Error("CP", cp_bytes, f"'CP=&&…&&' of at most {limit} bytes")
        deviations.append(f"cp.oversize: CP is {cp_bytes} bytes, maximum {limit}")
    standard = _standard_cp(cp, version)
    if standard is not None:
        # The common upload: built without calling Packet() (its keyword handling costs as much
        # as the rest of this function), every field but ``factors``, which is built on first
        # access (Packet.__getattr__). tests: test_lazy_packet_sets_every_field.
        packet = object.__new__(Packet)
        packet.qn, packet.st, packet.cn, packet.pw, packet.mn = qn, st, cn, pw, mn
        packet.flag, packet.pnum, packet.pno = flag, pnum, pno
        packet.data_time, packet.fields, packet._items = standard[0], {}, standard[1:]
        packet.deviations, packet.raw_cp = deviations, cp
        return packet
    data_time, fields, factors = _parse_cp(cp, strict, version, deviations)
    return Packet(
        qn=qn, st=st, cn=cn, pw=pw, mn=mn, flag=flag, pnum=pnum, pno=pno,
        data_time=data_time, fields=fields, factors=factors,
        deviations=deviations, raw_cp=cp,
    )  # fmt: skip


def _parse_header(
    header: str, strict: bool, deviations: list[str]
) -> tuple[str | None, str, str, str | None, str | None, int | None, int | None, int | None]:
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
    version = _version(flag)
    if version == "unknown":
        deviations.append(f"flag.version: Flag={flag} has version bits {flag >> 2}, not 2005/2017")

    names = [name for name, _ in pairs]
    ranks = [_HEADER_RANK[name] for name in names]
    if ranks != sorted(ranks) and version != "2005":  # [S05]'s own examples vary the order
        if strict:
            raise HJ212Error("header", ";".join(names), "the order " + ";".join(_HEADER_ORDER))
        deviations.append("header.order: fields " + ";".join(names) + " not in the 2017 order")

    for required in ("ST", "CN") if version == "2005" else ("QN", "ST", "CN", "PW", "MN"):
        if required not in values:
            raise HJ212Error(required, None, f"a {required}= header field ({version} packet)")

    qn = values.get("QN")
    if qn is not None:
        _check_qn(qn, strict, deviations)
    st = values["ST"]
    if not _RE_ST.fullmatch(st):
        if strict or not _RE_TOLERANT_ID.fullmatch(st):
            raise HJ212Error("ST", st, "2 characters 0-9/A-Z ([S17] §6.6.1)")
        deviations.append(f"st.format: ST={st} is not 2 characters 0-9/A-Z")
    cn = values["CN"]
    if not _RE_CN.fullmatch(cn):
        raise HJ212Error("CN", cn, "4 digits ([S17] §6.6.5)")
    pw = values.get("PW")
    if pw is not None and not _RE_PW.fullmatch(pw):
        if strict or not (pw == "" or _RE_TOLERANT_ID.fullmatch(pw)):
            raise HJ212Error("PW", pw, "6 characters 0-9/a-z/A-Z")
        deviations.append(f"pw.format: PW of {len(pw)} characters, the standard says 6")
    mn = values.get("MN")
    if mn is not None:
        rule, expected = {
            "2017": (_RE_MN_2017, "24 hex digits 0-9/A-F (EPC-96, [S17] Table 3)"),
            "2005": (_RE_MN_2005, "14 characters ([S05] §6.3.2)"),
        }.get(version, (_RE_MN_ANY, "1–24 characters 0-9/A-Z/a-z"))
        if not rule.fullmatch(mn):
            if strict or not _RE_TOLERANT_ID.fullmatch(mn):
                raise HJ212Error("MN", mn, expected if strict else "an ID of 1–32 characters")
            deviations.append(f"mn.format: MN={mn} does not fit the {version} rule ({expected})")
    pnum = _small_int(values, "PNUM")
    pno = _small_int(values, "PNO")
    if flag is not None or pnum is not None or pno is not None:
        _check_split(flag, pnum, pno, strict, deviations)
    return qn, st, cn, pw, mn, flag, pnum, pno


def _version(flag: int | None) -> str:
    return "2005" if flag is None else FLAG_VERSIONS.get(flag >> 2, "unknown")


def _small_int(values: dict[str, str], name: str) -> int | None:
    text = values.get(name)
    if text is None:
        return None
    if not _RE_SMALL_INT.fullmatch(text) or int(text) == 0:
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
    if split_bit != (pnum is not None) and _version(flag) != "2005":
        # [S05]'s own App. C requests use Flag=3 without PNUM/PNO, so 2005 is not held to it.
        if strict:
            raise HJ212Error("Flag", flag, "bit D = 1 exactly when PNUM and PNO are present")
        deviations.append(
            f"flag.split: Flag={flag} has bit D={int(split_bit)} but PNUM/PNO are "
            + ("present" if pnum is not None else "absent")
        )


def _cp_items(cp: str) -> list[str]:
    """Split the data area into ``key=value`` strings; ``//…//`` log text is opaque ([S17] C.40)."""
    if "//" not in cp:
        if "," in cp:
            return [kv for item in cp.split(";") for kv in item.split(",")]
        return cp.split(";")
    # Protect separators inside //…// by cutting around the log texts first.
    items: list[str] = []
    current = ""
    position = 0
    for match in _RE_LOG_TEXT.finditer(cp):
        pieces = re.split("[;,]", cp[position : match.start()])
        pieces[0] = current + pieces[0]
        items.extend(pieces[:-1])
        current = pieces[-1] + match.group()
        position = match.end()
    pieces = re.split("[;,]", cp[position:])
    pieces[0] = current + pieces[0]
    items.extend(pieces)
    return items


# Decimal numbers of [S17] §6.3.3.2.2 (optional sign, digits, optional decimal point).
_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_RE_NUMBER = re.compile(_NUMBER)
# An '=' after a numeric suffix ([S17] Table 4) whose value is not a number (fixed-width
# look-behinds, tried only where the value is not numeric).
_RE_BAD_NUMBER = re.compile(
    rf"=(?!{_NUMBER}(?:[;,]|$))"
    r"(?:(?<=-Rtd=)|(?<=-Min=)|(?<=-Avg=)|(?<=-Max=)|(?<=-Cou=)|(?<=-ZsRtd=)|(?<=-ZsMin=)"
    r"|(?<=-ZsAvg=)|(?<=-ZsMax=)|(?<=-Data=)|(?<=-DayData=)|(?<=-NightData=))"
)
_RE_FLAG_VALUE = re.compile(r"-Flag=([^;,]*)")
_EQUALS = repeat("=")
_DASHES = repeat("-")
_CpContent = tuple[datetime | None, dict[str, str], dict[str, dict[str, str]]]


def _parse_cp(cp: str, strict: bool, version: str, deviations: list[str]) -> _CpContent:
    """Parse the data area; the fast route covers common layouts, the slow one the rest."""
    if "//" not in cp and " " not in cp:
        notes: list[str] = []  # kept only if the fast route succeeds (the slow one notes again)
        try:
            content = _parse_cp_fast(cp, strict, notes)
        except (ValueError, HJ212Error):  # a piece without exactly one '=', a bad DataTime
            content = None
        if content is not None and (
            not ("-Flag=" in cp or strict) or _cp_values_ok(cp, strict, version)
        ):
            deviations.extend(notes)
            return content
    return _parse_cp_slow(cp, strict, version, deviations)


def _flags_allowed(version: str) -> Container[str]:
    if version == "2017":
        return DATA_FLAGS_2017
    if version == "2005":
        return DATA_FLAGS_2005
    return DATA_FLAGS_2017.keys() | DATA_FLAGS_2005.keys()


# ---- the standard data area: checked against a cached layout, built on demand ---------------
# A data logger sends the same keys in the same order in every upload, so what the keys say
# (factor codes, suffixes, which values must be numbers or flags, the order of the readings) is
# worked out once per layout and cached; each packet then only has its values checked, with
# C-level splits and one regular expression over its numbers.

#: Numbers of [S17] §6.3.3.2.2 (:data:`_NUMBER`) joined by ';', in ASCII digits (others take the
#: detailed path, which accepts them as before). Possessive quantifiers: a number has one parse,
#: so nothing is lost by never backtracking, and the match is twice as fast.
_ASCII_NUMBER = r"[+-]?+(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)"
_NUMBERS = re.compile(rf"{_ASCII_NUMBER}(?:;{_ASCII_NUMBER})*+")
_FLAG_SETS = {
    version: frozenset(_flags_allowed(version)) for version in ("2017", "2005", "unknown")
}


def _getter(positions: list[int]) -> Callable[[Sequence[str | None]], Sequence[str | None]]:
    """``values -> the values at positions``, always a sequence (``itemgetter`` of a single
    position would return the bare item)."""
    if len(positions) > 1:
        return itemgetter(*positions)
    if positions:
        return itemgetter(slice(positions[0], positions[0] + 1))
    return itemgetter(slice(0, 0))


@dataclass(frozen=True, slots=True)
class _Layout:
    """What the keys of a data area say, by position of the values (see :func:`_layout`)."""

    names: tuple[str, ...]  # the keys, in order
    factors: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]  # code, ((suffix, position), …)
    numbers: Callable[[Sequence[str | None]], Sequence[str | None]]  # the numeric values
    flags: Callable[[Sequence[str | None]], Sequence[str | None]]  # the -Flag values
    codes: tuple[str, ...]  # per reading, in the order of Packet.readings
    suffixes: tuple[str, ...]
    reading_flags: Callable[[Sequence[str | None]], Sequence[str | None]]

    def build(self, values: list[str | None]) -> dict[str, dict[str, str]]:
        """``Packet.factors`` from the values."""
        return {
            code: {suffix: values[position] for suffix, position in pairs}  # type: ignore[misc]
            for code, pairs in self.factors
        }

    def readings(self, values: list[str | None]) -> list[tuple[str, str, float, str | None]]:
        """``Packet.readings()`` from the values: C-level iterators, no dicts."""
        numbers = map(float, self.numbers(values))  # type: ignore[arg-type]
        flags = self.reading_flags(values)
        return list(zip(self.codes, self.suffixes, numbers, flags, strict=True))  # type: ignore[arg-type]


@lru_cache(maxsize=1024)
def _layout(keys: str) -> _Layout | None:
    """The layout of a data area whose keys, in order, are ``keys`` (``"k1=;k2=;…;kn="``).

    None unless every key is ``code-Suffix`` (a factor value, [S17] §6.3.3) and no key repeats;
    anything else (plain fields such as ``RtdInterval``, repeated keys) takes the detailed path.
    The factors and the order of the readings are those of the dicts the detailed path builds:
    codes by first appearance, suffixes in order, whichever items they were written in.
    """
    names = keys[:-1].split("=;")
    if len(set(names)) != len(names):
        return None
    by_code: dict[str, list[tuple[str, int]]] = {}
    for position, name in enumerate(names):
        code, dash, suffix = name.partition("-")
        if not (dash and code and suffix):
            return None
        by_code.setdefault(code, []).append((suffix, position))
    flag_of = {
        code: p for code, pairs in by_code.items() for suffix, p in pairs if suffix == "Flag"
    }
    readings = [
        (code, suffix, p)
        for code, pairs in by_code.items()
        for suffix, p in pairs
        if suffix in NUMERIC_SUFFIXES
    ]
    return _Layout(
        names=tuple(names),
        factors=tuple((code, tuple(pairs)) for code, pairs in by_code.items()),
        numbers=_getter([p for _, _, p in readings]),
        flags=_getter(list(flag_of.values())),
        codes=tuple(code for code, _, _ in readings),
        suffixes=tuple(suffix for _, suffix, _ in readings),
        # position len(names): the None appended to the values, for a factor without a flag
        reading_flags=_getter([flag_of.get(code, len(names)) for code, _, _ in readings]),
    )


@lru_cache(maxsize=1024)
def _layout_pattern(keys: str, version: str) -> re.Pattern[str]:
    """One expression for a whole data area (after DataTime) of the layout of ``keys`` (see
    :func:`_layout`): the keys as written, ``;`` or ``,`` between items, and per value what its
    key asks for — a number (:data:`_ASCII_NUMBER`), a data flag of the version, or any text
    without a separator — each value a group."""
    layout = _layout(keys)
    assert layout is not None, keys
    flags = "|".join(map(re.escape, sorted(_FLAG_SETS[version], key=len, reverse=True)))
    kinds = {"Flag": f"({flags})"} | dict.fromkeys(NUMERIC_SUFFIXES, f"({_ASCII_NUMBER})")
    items = (
        re.escape(name) + "=" + kinds.get(name.partition("-")[2], "([^=;,]*+)")
        for name in layout.names
    )
    return re.compile("[;,]".join(items))


#: (version, number of items, first key) -> the pattern and layout last seen with that shape
#: (a guess, which the pattern's full match confirms: its keys are literal).
_SHAPES: dict[tuple[str, int, str], tuple[re.Pattern[str], _Layout]] = {}
_MAX_SHAPES = 4096


def _standard_cp(cp: str, version: str) -> tuple[datetime | None, _Layout, list[str | None]] | None:
    """``(DataTime, layout, values)`` of a conforming data area of factor values, else None.

    Conforming as the detailed path would find it in strict mode, and without any deviation in
    tolerant mode: ``DataTime`` (N14, a real local time) first if present, then
    ``code-Suffix=value`` pairs separated by ``;`` or ``,``, no key twice, numbers ([S17]
    §6.3.3.2.2) for the numeric suffixes, data flags of the version ([S17] Table 8), no spaces
    and no ``//`` log text.
    ``values`` has a None appended (the flag of a factor that has none).
    """
    data_time = None
    body = cp
    if cp.startswith("DataTime="):
        data_time = _local_time(cp[9:23]) if cp[23:24] == ";" else None
        if data_time is None:
            return None
        body = cp[24:]
    if not body or " " in body or "//" in body:
        return None
    shape = (version, body.count("="), body[: body.find("=")])
    known = _SHAPES.get(shape)
    if known is not None and (match := known[0].fullmatch(body)) is not None:
        values: list[str | None] = list(match.groups())
        values.append(None)
        return data_time, known[1], values
    # "k=v,k=v;k=v" -> ["k=", "v", "k=", "v", "k=", "v"]: a token holds at most one '=', at its end.
    # The text is pieces "key=value" exactly when the tokens alternate key=, value, that is when
    # there are two per '=' and every '=' is in a key.
    tokens = body.replace("=", "=;").replace(",", ";").split(";")
    keys = ";".join(tokens[0::2])
    pairs = body.count("=")
    if len(tokens) != 2 * pairs or keys.count("=") != pairs:
        return None  # an item without '=' or with two, or an empty item
    layout = _layout(keys)
    if layout is None:
        return None
    if len(_SHAPES) >= _MAX_SHAPES:
        _SHAPES.clear()
    _SHAPES[shape] = (_layout_pattern(keys, version), layout)
    values = tokens[1::2]  # type: ignore[assignment]
    numbers = layout.numbers(values)
    if numbers and not _NUMBERS.fullmatch(";".join(numbers)):  # type: ignore[arg-type]
        return None
    if not _FLAG_SETS[version].issuperset(layout.flags(values)):
        return None
    values.append(None)
    return data_time, layout, values


def _items_built(packet: Packet) -> bool:
    """Whether ``packet.factors`` is set (``object.__getattribute__`` does not build it)."""
    try:
        object.__getattribute__(packet, "factors")
    except AttributeError:
        return False
    return True


def _cp_values_ok(cp: str, strict: bool, version: str) -> bool:
    """Numbers where Table 4 wants numbers (strict) and known data flags (both modes)."""
    if strict and _RE_BAD_NUMBER.search(cp):
        return False
    flags = cp.count("-Flag=")
    if not flags or cp.count("-Flag=N") == flags:  # N (normal) means the same in 2005 and 2017
        return True
    allowed = _flags_allowed(version)
    return all(flag in allowed for flag in _RE_FLAG_VALUE.findall(cp))


def _parse_cp_fast(cp: str, strict: bool, notes: list[str]) -> _CpContent | None:
    """The standard layout: ``DataTime`` first, ``;`` between items, one factor per item with
    its values joined by ``,`` (``a34004-Avg=35.2,a34004-Flag=N``), built with C-level string
    methods. None when the area needs the general parser; ValueError on a malformed piece."""
    data_time = None
    if not cp:
        return data_time, {}, {}
    items = cp.split(";")
    n_items = len(items)
    if items[0].startswith("DataTime="):
        data_time = _parse_time(items[0][9:], "DataTime", strict, notes)
        del items[0]
    fields: dict[str, str] = {}
    try:  # only factor items (uploads): one dict comprehension
        factors = {
            code: dict(map(str.split, rest.split("," + code + "-"), _EQUALS))
            for code, _, rest in map(str.partition, items, _DASHES)
        }
    except ValueError:  # plain items too (RtdInterval=30, QnRtn=1, …)
        factors = {}
        for item in items:
            code, dash, rest = item.partition("-")
            if dash and "=" not in code:
                factors[code] = dict(map(str.split, rest.split("," + code + "-"), _EQUALS))
            else:
                key, _, value = item.partition("=")
                fields[key] = value
    pairs = sum(map(len, factors.values())) + len(fields) + (data_time is not None)
    # Every '=' and ',' must have produced one pair: this rules out duplicated keys or factors,
    # values containing ',' (e.g. "BeginTime=…,EndTime=…"), items without '=' and empty keys.
    if (
        cp.count("=") != pairs
        or cp.count(",") != pairs - n_items
        or len(factors) + len(fields) + (data_time is not None) != n_items
        or "-=" in cp
        or "" in factors
        or "" in fields
        or "DataTime" in fields
    ):
        return None
    return data_time, fields, factors


def _parse_cp_slow(cp: str, strict: bool, version: str, deviations: list[str]) -> _CpContent:
    data_time = None
    fields: dict[str, str] = {}
    factors: dict[str, dict[str, str]] = {}
    if not cp:
        return data_time, fields, factors
    if " " in cp and cp.strip() == "":
        if strict:
            raise HJ212Error("CP", cp, "an empty data area written 'CP=&&&&'")
        deviations.append("space.stray: spaces in an empty data area")
        return data_time, fields, factors
    flags_allowed = _flags_allowed(version)
    numeric = NUMERIC_SUFFIXES
    for item in _cp_items(cp):
        key, eq, value = item.partition("=")
        if not eq or not key:
            if item.strip() == "" and not strict:
                deviations.append("cp.empty_item: an empty item between separators in CP")
                continue
            raise HJ212Error("CP", item, "items 'Name=value' separated by ';' or ','")
        if " " in key or (" " in value and not value.startswith("//")):
            if strict:
                raise HJ212Error(key.strip(), item, "no spaces around CP items")
            deviations.append(f"space.stray: spaces in CP item {item!r}")
            key, value = key.strip(), value.strip()
        code, dash, suffix = key.partition("-")
        if dash:
            if not code or not suffix:
                raise HJ212Error("CP", item, "'code-Suffix=value' with a factor code and a suffix")
            values = factors.get(code)
            if values is None:
                values = factors[code] = {}
            elif suffix in values:
                _duplicate(key, value, values[suffix], strict, deviations)
                continue
            values[suffix] = value
            if strict:
                if suffix in numeric:
                    _check_number(key, value)
                elif suffix == "Flag" and value not in flags_allowed:
                    raise HJ212Error(key, value, f"a data flag of HJ 212-{version} ([S17] Table 8)")
            elif suffix == "Flag" and value not in flags_allowed:
                deviations.append(f"flag.unknown: {key}={value} is not a data flag of {version}")
        elif key == "DataTime":
            if data_time is not None:
                _duplicate(key, value, "", strict, deviations)
                continue
            data_time = _parse_time(value, "DataTime", strict, deviations)
        elif key in fields:
            _duplicate(key, value, fields[key], strict, deviations)
        else:
            fields[key] = value
    return data_time, fields, factors


def _check_number(key: str, value: str) -> None:
    if not _RE_NUMBER.fullmatch(value):
        raise HJ212Error(key, value, "a decimal number ([S17] §6.3.3.2.2)")


def _duplicate(key: str, value: str, kept: str, strict: bool, deviations: list[str]) -> None:
    if strict:
        raise HJ212Error(key, value, f"{key} only once in CP")
    deviations.append(f"cp.duplicate: {key} repeated; kept {kept!r}, dropped {value!r}")


# --------------------------------------------------------------------------------------------
# Stream framing (for the TCP gateway)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FrameError:
    """Bytes from the stream that do not form a frame: ``raw`` kept whole, and ``reason``."""

    raw: bytes
    reason: str


class FrameReader:
    """Cut a TCP byte stream into HJ 212 frames ([S17] §6.3.1; reference §1.6, §6.3 item 4).

    :meth:`feed` returns, in stream order, each complete frame (``bytes`` from ``##`` to CR LF)
    or a :class:`FrameError` for bytes that are not one (kept whole, with the reason). A frame
    ends where its length field says if CR LF is there. When it is not (wrong length field),
    a strict reader reports the bytes up to the first CR LF or next ``##`` and resynchronises on
    the next ``##``; a tolerant reader (``strict=False``) ends the frame at the first CR LF (or
    before the next ``##`` when CR LF is missing) and passes it on, for ``parse(strict=False)``
    to record the deviation. Frames longer than ``max_frame`` (1036 bytes) are reported
    (strict) or passed on (tolerant). Bytes between frames are reported when the next ``##``
    arrives, or by :meth:`flush`. At most ``max_buffer`` bytes are held.
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
            frame = bytes(buf[: abs(end)])
            del buf[: abs(end)]
            if end < 0:
                out.append(FrameError(frame, "length field does not match the frame"))
            elif self.strict and len(frame) > self.max_frame:
                reason = f"frame of {len(frame)} bytes exceeds the {self.max_frame}-byte maximum"
                out.append(FrameError(frame, reason))
            else:
                out.append(frame)
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


# --------------------------------------------------------------------------------------------
# Split packets ([S17] App. C.47–C.50)
# --------------------------------------------------------------------------------------------


def split(
    packet: Packet, max_segment: int = MAX_SEGMENT, qns: list[str] | None = None
) -> list[Packet]:
    """Split a packet whose data segment is too long into parts (Flag bit D, PNUM/PNO).

    As in [S17] C.47–C.50: every part repeats ``DataTime`` and carries whole factors; plain
    fields go into the first part; each part gets its own QN (``qns``, or the original QN plus
    the part index in milliseconds). A packet that fits is returned alone, unchanged.
    :func:`reassemble` is the inverse.
    """
    if len(packet._segment()) <= max_segment:
        return [packet]
    flag = (packet.flag if packet.flag is not None else 0) | 0x02
    groups: list[list[str]] = [[]]
    for code in packet.factors:
        trial = groups[-1] + [code]
        candidate = _part(packet, flag, 9999, 9999, packet.qn, trial, len(groups) == 1)
        if groups[-1] and len(candidate._segment()) > max_segment:
            groups.append([code])
        else:
            groups[-1] = trial
    parts = []
    for index, codes in enumerate(groups, start=1):
        qn = qns[index - 1] if qns is not None else _qn_plus(packet.qn, index - 1)
        part = _part(packet, flag, len(groups), index, qn, codes, index == 1)
        if len(part._segment()) > max_segment:
            raise HJ212Error("CP", codes, f"factors that fit in a {max_segment}-byte segment")
        parts.append(part)
    return parts


def _qn_plus(qn: str | None, milliseconds: int) -> str | None:
    if qn is None or milliseconds == 0 or not _RE_QN.fullmatch(qn):
        return qn
    stamp = datetime.strptime(qn[:14], "%Y%m%d%H%M%S").replace(tzinfo=CHINA_TZ)
    return new_qn(stamp + timedelta(milliseconds=int(qn[14:]) + milliseconds))


def _part(
    packet: Packet, flag: int, pnum: int, pno: int, qn: str | None, codes: list[str], first: bool
) -> Packet:
    return Packet(
        qn=qn, st=packet.st, cn=packet.cn, pw=packet.pw, mn=packet.mn, flag=flag,
        pnum=pnum, pno=pno, data_time=packet.data_time,
        fields=dict(packet.fields) if first else {},
        factors={code: dict(packet.factors[code]) for code in codes},
    )  # fmt: skip


def reassemble(parts: Iterable[Packet]) -> Packet:
    """Join the parts of a split transfer into one packet ([S17] §6.3.2 PNUM/PNO, C.47–C.50).

    All parts must share MN, CN, DataTime and PNUM, carry each PNO from 1 to PNUM exactly once,
    and may not give one item two different values. The result keeps the header of part 1
    (its QN), clears Flag bit D and drops PNUM/PNO; fields and factors are merged in PNO order.
    The standard names no correlation key; MN + CN + DataTime (per connection) is the practical
    one (reference §2.4).
    """
    ordered = sorted(parts, key=lambda part: part.pno or 0)
    if not ordered:
        raise HJ212Error("PNO", [], "at least one part")
    first = ordered[0]
    key = (first.mn, first.cn, first.data_time)
    pnum = first.pnum
    if pnum is None:
        raise HJ212Error("PNUM", None, "parts of a split packet (Flag bit D, PNUM/PNO)")
    numbers = [part.pno for part in ordered]
    for part in ordered:
        if (part.mn, part.cn, part.data_time) != key:
            raise HJ212Error(
                "MN/CN/DataTime", (part.mn, part.cn, part.data_time), f"the same as part 1: {key}"
            )
        if part.pnum != pnum:
            raise HJ212Error("PNUM", part.pnum, f"the same total in every part ({pnum})")
    if numbers != list(range(1, pnum + 1)):
        missing = sorted(set(range(1, pnum + 1)) - set(numbers))
        duplicated = sorted({n for n in numbers if numbers.count(n) > 1})
        raise HJ212Error(
            "PNO", numbers, f"each of 1…{pnum} once (missing {missing}, duplicated {duplicated})"
        )
    fields: dict[str, str] = {}
    factors: dict[str, dict[str, str]] = {}
    deviations: list[str] = []
    for part in ordered:
        deviations.extend(part.deviations)
        for name, value in part.fields.items():
            if fields.setdefault(name, value) != value:
                raise HJ212Error(name, value, f"the value of the other parts ({fields[name]!r})")
        for code, values in part.factors.items():
            merged = factors.setdefault(code, {})
            for suffix, value in values.items():
                if merged.setdefault(suffix, value) != value:
                    raise HJ212Error(f"{code}-{suffix}", value, f"one value ({merged[suffix]!r})")
    return Packet(
        qn=first.qn, st=first.st, cn=first.cn, pw=first.pw, mn=first.mn,
        flag=None if first.flag is None else first.flag & ~0x02,
        data_time=first.data_time, fields=fields, factors=factors, deviations=deviations,
    )  # fmt: skip


@dataclass(slots=True)
class Incomplete:
    """A split transfer evicted before all parts arrived: the parts received, and why."""

    key: tuple[Hashable, ...]
    parts: list[Packet]
    reason: str


class Reassembler:
    """Streaming reassembly of split packets for a gateway.

    :meth:`add` returns the whole packet once the last part of a set arrives (a packet that is
    not split is returned at once). Sets are keyed by (connection, MN, CN, DataTime, PNUM); a
    set older than ``timeout`` seconds, or the oldest set beyond ``max_sets``, is evicted with
    its parts and handed back by :meth:`expire`, so no part is lost. An identical re-sent part
    (the device got no 9014) is ignored; a conflicting one raises :class:`HJ212Error`.
    """

    def __init__(self, timeout: float = 600.0, max_sets: int = 1024) -> None:
        self.timeout = timeout
        self.max_sets = max_sets
        self._sets: dict[tuple[Hashable, ...], tuple[float, dict[int, Packet]]] = {}
        self.evicted: list[Incomplete] = []

    def __len__(self) -> int:
        return len(self._sets)

    def add(
        self, part: Packet, connection: Hashable = None, now: float | None = None
    ) -> Packet | None:
        """Accept one packet; return the complete packet when its set is complete, else None."""
        if not part.is_split:
            return part
        if part.pno is None or part.pnum is None:
            raise HJ212Error("PNUM/PNO", (part.pnum, part.pno), "both on a split packet")
        now = time.monotonic() if now is None else now
        self._evict_old(now)
        key = (connection, part.mn, part.cn, part.data_time, part.pnum)
        started, received = self._sets.get(key, (now, {}))
        previous = received.get(part.pno)
        if previous is not None:
            if previous != part:
                raise HJ212Error("PNO", part.pno, "a re-sent part identical to the first copy")
            return None
        received[part.pno] = part
        if len(received) == part.pnum:
            self._sets.pop(key, None)
            return reassemble(received.values())
        self._sets[key] = (started, received)
        while len(self._sets) > self.max_sets:
            oldest = next(iter(self._sets))
            self._evict(oldest, f"more than {self.max_sets} incomplete sets")
        return None

    def expire(self, now: float | None = None) -> list[Incomplete]:
        """Evict sets older than the timeout; return everything evicted since the last call."""
        self._evict_old(time.monotonic() if now is None else now)
        evicted, self.evicted = self.evicted, []
        return evicted

    def _evict_old(self, now: float) -> None:
        for key, (started, _) in list(self._sets.items()):
            if now - started > self.timeout:
                self._evict(key, f"incomplete after {self.timeout:g} s")

    def _evict(self, key: tuple[Hashable, ...], reason: str) -> None:
        _, received = self._sets.pop(key)
        parts = [received[pno] for pno in sorted(received)]
        missing = sorted(set(range(1, parts[0].pnum + 1)) - set(received)) if parts else []
        self.evicted.append(Incomplete(key, parts, f"{reason}; missing PNO {missing}"))


# --------------------------------------------------------------------------------------------
# Replies and platform commands ([S17] §6.5, App. C; [S05] App. C)
# --------------------------------------------------------------------------------------------


def _answer(to: Packet, cn: str, cp_fields: dict[str, str]) -> Packet:
    """An interaction answer (ST=91) in the shape of ``to``'s version."""
    if to.version == "2005":
        # [S05] App. C: answers carry no QN in the header; the answered QN goes into CP.
        fields = {"QN": to.qn} if to.qn is not None else {}
        fields.update(cp_fields)
        return Packet(st="91", cn=cn, pw=to.pw, mn=to.mn, fields=fields)
    return Packet(qn=to.qn, st="91", cn=cn, pw=to.pw, mn=to.mn, flag=4, fields=dict(cp_fields))


def data_reply(packet: Packet) -> Packet:
    """CN 9014 data answer to an upload ([S17] §6.5.2, C.14–C.19; [S05] App. C).

    2017: same QN, ``ST=91``, the device's PW and MN, ``Flag=4``, ``CP=&&&&`` (the answer to a
    split part echoes that part's QN, C.50). 2005: ``ST=91;CN=9014;PW;MN;CP=&&QN=…;CN=…&&``,
    plus ``PNO``/``PNUM`` for a split part. Send it only when ``packet.needs_reply``.
    """
    if packet.version == "2005":
        extra = {"CN": packet.cn}
        if packet.pno is not None and packet.pnum is not None:
            extra |= {"PNO": str(packet.pno), "PNUM": str(packet.pnum)}
        return _answer(packet, "9014", extra)
    return _answer(packet, "9014", {})


def notification_reply(packet: Packet) -> Packet:
    """CN 9013 answer to a notification (1013, 2012, 2022): same QN, ST=91, Flag=4, empty CP
    ([S17] §6.5.3, C.4, C.11, C.13)."""
    return _answer(packet, "9013", {})


def request_reply(request: Packet, qn_rtn: int = 1) -> Packet:
    """CN 9011 request answer with ``QnRtn`` (:data:`QN_RTN`, [S17] Table 6; 2005: 1–3).

    Same QN as the request, ``ST=91``, ``Flag=4``, ``CP=&&QnRtn=<code>&&`` ([S17] §6.5.1);
    2005 shape ``ST=91;CN=9011;PW;MN;Flag=0;CP=&&QN=<request QN>;QnRtn=<code>&&``.
    """
    table = QN_RTN_2005 if request.version == "2005" else QN_RTN
    if qn_rtn not in table:
        raise HJ212Error("QnRtn", qn_rtn, f"one of {sorted(table)} ([S17] Table 6)")
    reply = _answer(request, "9011", {"QnRtn": str(qn_rtn)})
    if request.version == "2005":
        reply.flag = 0
    return reply


def execution_result(request: Packet, exe_rtn: int = 1) -> Packet:
    """CN 9012 execution result with ``ExeRtn`` (:data:`EXE_RTN`, [S17] Table 7; 2005: 1, 2, 100).

    Same QN as the request, ``ST=91``, ``Flag=4``, ``CP=&&ExeRtn=<code>&&``; 2005 shape
    ``ST=91;CN=9012;PW;MN;CP=&&QN=<request QN>;ExeRtn=<code>&&``.
    """
    table = EXE_RTN_2005 if request.version == "2005" else EXE_RTN
    if exe_rtn not in table:
        raise HJ212Error("ExeRtn", exe_rtn, f"one of {sorted(table)} ([S17] Table 7)")
    return _answer(request, "9012", {"ExeRtn": str(exe_rtn)})


def reply_for(packet: Packet) -> Packet | None:
    """The answer the platform owes for a received packet, or None ([S17] §6.5, reference §3.5).

    Notifications (:data:`NOTIFICATION_CNS`) get 9013; interaction packets 9011–9014 get
    nothing; any other packet with Flag bit A set (an upload) gets 9014.
    """
    if packet.cn in NOTIFICATION_CNS:
        return notification_reply(packet)
    if packet.cn.startswith("901") or not packet.needs_reply:
        return None
    return data_reply(packet)


def _command(
    cn: str, st: str, mn: str, pw: str, fields: dict[str, str], qn: str | None, version: str
) -> Packet:
    if version == "2005":
        # [S05]: A bit set on requests; its App. C examples use Flag=3, which also sets D.
        return Packet(qn=qn or new_qn(), st=st, cn=cn, pw=pw, mn=mn, flag=1, fields=fields)
    if version != "2017":
        raise HJ212Error("version", version, "'2017' or '2005'")
    return Packet(qn=qn or new_qn(), st=st, cn=cn, pw=pw, mn=mn, flag=5, fields=fields)


def get_time_command(
    mn: str, pw: str, st: str, *, pol_id: str | None = None, qn: str | None = None,
    version: str = "2017",
) -> Packet:  # fmt: skip
    """CN 1011 platform request "extract field-unit time" ([S17] Table 9, C.5).

    ``pol_id`` asks for the clock of one instrument instead of the DAU's. The DAU answers
    9011, then a 1011 upload with ``SystemTime``, then 9012.
    """
    return _command("1011", st, mn, pw, {"PolId": pol_id} if pol_id else {}, qn, version)


def set_time_command(
    mn: str, pw: str, st: str, system_time: datetime, *, pol_id: str | None = None,
    qn: str | None = None, version: str = "2017",
) -> Packet:  # fmt: skip
    """CN 1012 platform request "set field-unit time" ([S17] Table 9, C.6).

    ``SystemTime`` is written as local time ``YYYYMMDDhhmmss`` (UTC+8); ``system_time`` must
    be timezone-aware. Also the answer to a 1013 time-calibration notification (after 9013).
    """
    fields = {"PolId": pol_id} if pol_id else {}
    fields["SystemTime"] = _format_time(system_time, "SystemTime")
    return _command("1012", st, mn, pw, fields, qn, version)
