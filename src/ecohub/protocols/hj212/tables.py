"""The tables of HJ 212: codes, answer codes, data flags, field suffixes and field formats.

Data only, each table with the clause it comes from; the other modules of the codec read them.
Sources: ``docs/reference/sources.md`` ([S17] HJ 212-2017, [S05] HJ/T 212-2005).

Examples
--------
>>> COMMANDS_2017["2051"], QN_RTN[1]
('取/上传污染物分钟数据', '准备执行请求 (ready to execute)')
>>> version_of(5), version_of(None), version_of(9)
('2017', '2005', 'unknown')
"""

from __future__ import annotations

import re

__all__ = [
    "COMMANDS_2017",
    "DATA_FLAGS_2005",
    "DATA_FLAGS_2017",
    "DATA_FLAGS_OF_VERSION",
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
    "version_of",
]

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


def version_of(flag: int | None) -> str:
    """The edition a packet's ``Flag`` declares: ``'2017'``, ``'2005'`` or ``'unknown'``.

    Parameters
    ----------
    flag : int or None
        The header's ``Flag``; None when the packet has none (HJ/T 212-2005 style, since 2017
        makes Flag mandatory).

    Returns
    -------
    str
        :data:`FLAG_VERSIONS` of the version bits ``flag >> 2``, else ``'unknown'``.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.2 Table 3 (Flag: version bits V5…V0).
    """
    return "2005" if flag is None else FLAG_VERSIONS.get(flag >> 2, "unknown")


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
#: The data flags a packet of each :func:`version_of` may carry (an unknown version: either
#: edition's).
DATA_FLAGS_OF_VERSION: dict[str, frozenset[str]] = {
    "2017": frozenset(DATA_FLAGS_2017),
    "2005": frozenset(DATA_FLAGS_2005),
    "unknown": frozenset(DATA_FLAGS_2017) | frozenset(DATA_FLAGS_2005),
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
#: Suffixes whose values are measurements ([S17] Table 4), yielded by ``Packet.readings``.
NUMERIC_SUFFIXES = frozenset(
    {"Rtd", "Min", "Avg", "Max", "Cou", "ZsRtd", "ZsMin", "ZsAvg", "ZsMax",
     "Data", "DayData", "NightData"}
)  # fmt: skip

# ---- header fields ----------------------------------------------------------------------------

#: Header field order of [S17] §6.3.2 Table 3, used when encoding and for the strict order check.
HEADER_ORDER = ("QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO")
HEADER_RANK = {name: i for i, name in enumerate(HEADER_ORDER)}
HEADER_BY_UPPER = {name.upper(): name for name in HEADER_ORDER}

# Field formats. 2017: [S17] §6.3.2 Table 3 and §6.6.1; 2005: [S05] §6.3.2.
#: QN: a millisecond timestamp YYYYMMDDhhmmsszzz; fields are range-checked, not calendar-checked.
QN = r"\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[01]\d|2[0-3])[0-5]\d[0-5]\d\d{3}"
RE_QN = re.compile(QN)
RE_ST = re.compile(r"[0-9A-Z]{2}")
RE_CN = re.compile(r"\d{4}")
RE_PW = re.compile(r"[0-9A-Za-z]{6}")
RE_MN_2017 = re.compile(r"[0-9A-F]{24}")  # EPC-96 in hex
RE_MN_2005 = re.compile(r"[0-9A-Za-z]{14}")
RE_MN_ANY = re.compile(r"[0-9A-Za-z]{1,24}")
RE_TOLERANT_ID = re.compile(r"[^;,=&\s]{1,32}")  # bounded opaque identifier (tolerant mode)
RE_SMALL_INT = re.compile(r"\d{1,4}")
RE_HEX4 = re.compile(rb"[0-9A-F]{4}")
RE_HEX_ANY = re.compile(rb"[0-9A-Fa-f]{3,4}")

# ---- values of the data area --------------------------------------------------------------------

#: Decimal numbers of [S17] §6.3.3.2.2 (optional sign, digits, optional decimal point).
NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
RE_NUMBER = re.compile(NUMBER)
#: The same numbers in ASCII digits, with possessive quantifiers (a number has one parse, so
#: nothing is lost by never backtracking, and a match is twice as fast).
ASCII_NUMBER = r"[+-]?+(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)"
