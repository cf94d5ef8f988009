"""Why a packet was not stored, in the operator's words.

Each reason kind, explained in Chinese with what to do about it.

The gateway (:mod:`ecohub.ingest.hj212_server`) keeps every packet it does not store with a
reason ``"<kind>: <details>"``; the kind is one of the gateway's own (``unknown_mn``,
``password``, ``profile`` …) or, for a packet that does not parse, the HJ 212 field at fault
(``crc``, ``length``, ``mn``, ``cp`` …, ``hj212_server._error_kind``). This table is the one
place those kinds are explained — the operations page, the API (``GET /api/v1/ingest/reasons``,
the ``explanation`` and ``action`` of ``/ingest/rejected``) and any report read it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["REASONS", "Reason", "explain"]


@dataclass(frozen=True)
class Reason:
    """One kind of reason: what happened and what the operator does about it."""

    kind: str
    explanation: str
    action: str


_ROWS: Final = (
    # decided by the gateway over a packet that parsed
    Reason("unknown_mn", "数采仪 MN 号未在平台登记，报文未入库（隔离时保留待登记后释放）。",
           "核对数采仪设置的 MN 号；若为新设备，在设备档案中登记该 MN（ecohub registry），"
           "隔离的报文登记后自动释放。"),
    Reason("password", "报文中的访问密码 PW 与平台登记的不一致。",
           "核对数采仪设置的 6 位访问密码，或在设备档案中更新登记的密码。"),
    Reason("profile", "报文有不符合 HJ 212 的写法，而该数采仪的协议配置不接受这种偏差。",
           "请厂家按 HJ 212-2017 修正；确认数据无误时，可在设备档案中为该数采仪接受此类偏差"
           "（原因中给出了命令）。"),
    Reason("retired", "该 MN 对应的数采仪已在档案中停用。",
           "确认设备是否重新投用：重新投用时在设备档案中恢复登记，否则拆除或关闭该数采仪。"),
    Reason("datatime", "数据上传报文缺少数据时间 DataTime，无法确定数据所属时段。",
           "请厂家检查数采仪程序，数据报文必须带 DataTime。"),
    Reason("split", "分包报文不完整或各包不一致（PNUM/PNO），无法拼成完整数据。",
           "检查通信链路是否稳定；请厂家核对分包编号与包数。"),
    Reason("truncated", "连接断开时报文只收到一部分。",
           "检查网络是否稳定（信号、流量卡欠费）；数采仪一般会重发。"),
    Reason("frame", "报文帧格式错误（包头 ## 、包尾或长度字段不对），无法读出完整一包。",
           "检查数采仪通信参数与网络；多次出现时请厂家检查程序。"),
    Reason("internal", "平台处理该报文时发生内部错误，报文已完整保留。",
           "请联系平台管理员查看服务日志；报文可在修复后重新导入。"),
    # the HJ 212 field at fault when a packet does not parse
    Reason("crc", "CRC 校验码不对：报文在传输中损坏，或数采仪的校验算法与标准不同。",
           "偶发时多为线路干扰；持续出现时检查数采仪的 CRC 算法（某些厂家用 CRC-16/MODBUS，"
           "可在设备档案中设为 modbus 配置）。"),
    Reason("length", "数据段长度与报文声明的长度不符，或整包超长。",
           "请厂家检查数采仪程序（长度按字节计，中文为多字节）。"),
    Reason("trailer", "报文缺少包尾（回车换行）。", "请厂家检查数采仪程序。"),
    Reason("header", "包头字段缺失或写法不对（QN、ST、CN、PW、MN、Flag 等）。",
           "请厂家对照 HJ 212-2017 第 6.3.2 条检查包头。"),
    Reason("data segment", "数据段无法读出。", "请厂家对照 HJ 212-2017 检查数据段格式。"),
    Reason("qn", "请求编码 QN 格式不对（应为 17 位毫秒时间）。", "请厂家修正 QN 格式。"),
    Reason("st", "系统编码 ST 不对。", "核对数采仪设置的系统编码（如 22 空气质量、32 地表水）。"),
    Reason("cn", "命令编码 CN 不对或不支持。", "核对数采仪上传的命令编码（如 2051 分钟数据、"
           "2061 小时数据）。"),
    Reason("pw", "访问密码 PW 格式不对（应为 6 位）。", "核对数采仪设置的访问密码。"),
    Reason("mn", "设备唯一标识 MN 缺失或无法读出。", "核对数采仪设置的 MN 号。"),
    Reason("flag", "拆分包及应答标志 Flag 不对。", "请厂家对照 HJ 212-2017 检查 Flag。"),
    Reason("pnum", "总包数 PNUM 不对。", "请厂家检查分包设置。"),
    Reason("pno", "包号 PNO 不对。", "请厂家检查分包设置。"),
    Reason("pnum/pno", "PNUM 与 PNO 不一致。", "请厂家检查分包设置。"),
    Reason("cp", "数据区 CP 中的数据项写法不对（因子编码、数值或标记）。",
           "请厂家对照 HJ 212-2017 附录检查因子编码与数值格式。"),
    Reason("version", "协议版本无法识别。", "核对数采仪设置的协议版本（HJ 212-2017 或 2005）。"),
)

REASONS: Final[dict[str, Reason]] = {row.kind: row for row in _ROWS}
"""Reason kind → its explanation and what to do."""

_UNKNOWN = Reason("", "报文未能入库（原因见原文）。", "查看原因原文；无法判断时联系平台管理员。")


def explain(kind: str | None) -> Reason:
    """The explanation of a reason kind; a general one for a kind not in :data:`REASONS`.

    >>> explain("password").explanation
    '报文中的访问密码 PW 与平台登记的不一致。'
    """
    return REASONS.get((kind or "").lower(), _UNKNOWN)
