"""Protocol profiles: which deviations from HJ 212 are accepted from one data logger.

Real data loggers deviate from the standard in known ways (docs/reference/hj212.md §1.4, §6.3):
a CRC in lower case or computed as CRC-16/MODBUS, times with milliseconds, header fields out of
order, MNs that are not 24 hex digits. :func:`.parsing.parse` with ``strict=False`` reads such
packets and names each deviation by its kind (``crc.modbus``, ``header.order`` …). A profile
says which kinds are accepted; the registry gives every logger a profile and, beyond it, its own
accepted kinds (:func:`refused`).

A profile accepts a deviation only where the packet still reads one way: a right CRC (by the
standard or by a variant the profile names), a data area where no value was dropped. A repeated
key whose second value would be lost (``cp.duplicate``) is never accepted, nor is a packet whose
CRC matches no algorithm — those are rejected and kept whole.

The MN is an opaque identifier to the platform: its HJ 212-2017 §6.3.2 form (EPC-96, 24 hex
digits) is recorded as conformance (``mn.format``) in every profile, never required.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = ["DEVIATION_KINDS", "PROFILES", "deviation_kind", "refused"]

DEVIATION_KINDS: Final[dict[str, str]] = {
    # the frame and its CRC, [S17] §6.3.1 Table 2 and App. A
    "crc.lowercase": "CRC 写成小写十六进制",
    "crc.unpadded": "CRC 不足 4 位",
    "crc.modbus": "CRC 按 CRC-16/MODBUS 计算",
    "crc.modbus_swapped": "CRC 按 CRC-16/MODBUS 计算且高低字节颠倒",
    "trailer.missing": "包尾缺少回车换行",
    "space.stray": "多余空白",
    "length.mismatch": "数据段长度与声明不符",
    "length.oversize": "整包超过 1036 字节",
    "encoding.gbk": "数据段为 GBK 编码",
    # the header, [S17] §6.3.2 Table 3
    "header.comma": "包头字段以逗号分隔",
    "header.separator": "CP 前缺少分号",
    "header.case": "包头字段名大小写不符",
    "header.order": "包头字段顺序不符",
    "flag.version": "Flag 版本位既非 2005 也非 2017",
    "flag.split": "Flag 拆分位与 PNUM/PNO 不一致",
    "qn.format": "QN 不是 17 位毫秒时间",
    "st.format": "ST 格式不符",
    "pw.format": "PW 不是 6 位",
    "mn.format": "MN 不是 24 位十六进制（EPC-96）",
    "protocol.version": "协议版本与登记不符",
    # the data area, [S17] §6.3.3 and §6.6
    "cp.oversize": "CP 超过最大长度",
    "cp.empty_item": "CP 中有空项",
    "cp.duplicate": "CP 中同名键重复，后值被丢弃",
    "time.milliseconds": "时间带毫秒（17 位）",
    "flag.unknown": "数据标记不在标准表中",
    # what the gateway adds from the registry and the arrival time
    "time.zone": "设备时钟非北京时间（按登记时区换算）",
    "clock.offset": "DataTime 与到达时间相差超过允许窗口",
}
"""Every kind of deviation ecohub knows, with its Chinese description for operators."""

_NEVER: Final = frozenset({"cp.duplicate"})
"""Kinds no profile accepts: the packet no longer reads one way."""

_CRC_VARIANTS: Final = frozenset({"crc.modbus", "crc.modbus_swapped"})

_ALWAYS: Final = frozenset({"mn.format", "time.zone", "clock.offset"})
"""Kinds recorded but never refused: the MN is opaque; the zone is the registry's own word;
a far DataTime is kept and flagged, not dropped."""

PROFILES: Final[dict[str, frozenset[str]]] = {
    "standard": _ALWAYS,
    "default": frozenset(DEVIATION_KINDS) - _NEVER - _CRC_VARIANTS,
    "modbus": frozenset(DEVIATION_KINDS) - _NEVER,
}
"""Profile name → the deviation kinds it accepts.

``standard``: HJ 212 as written (the MN's form and the registry's zone aside). ``default``: every
deviation that leaves the packet unambiguous with the standard's CRC (in any letter case).
``modbus``: ``default`` and a CRC computed as CRC-16/MODBUS, as written or byte-swapped — as some
vendors' loggers send it; the check is as strong, but it is another algorithm, so a bureau
names the loggers that use it.
"""


def deviation_kind(deviation: str) -> str:
    """The kind of a deviation as the parser records it (``"crc.modbus: …"`` → ``crc.modbus``).

    Examples
    --------
    >>> deviation_kind("crc.lowercase: CRC '1c80' written as '1C80' by the standard")
    'crc.lowercase'
    """
    return deviation.split(":", 1)[0].strip()


def refused(deviations: Iterable[str], profile: str, accept: Iterable[str] = ()) -> list[str]:
    """The deviations of a packet that ``profile`` and the logger's own ``accept`` do not allow.

    Parameters
    ----------
    deviations : iterable of str
        ``Packet.deviations`` (``"<kind>: <explanation>"``).
    profile : str
        A name of :data:`PROFILES`.
    accept : iterable of str
        Further kinds accepted for this logger (the registry's ``accept``); ``cp.duplicate``
        stays refused.

    Raises
    ------
    ValueError
        For a profile or kind ecohub does not know.

    Examples
    --------
    >>> refused(["crc.modbus: CRC 4B2A is CRC-16/MODBUS, HJ 212 gives 1C80"], "default")
    ['crc.modbus: CRC 4B2A is CRC-16/MODBUS, HJ 212 gives 1C80']
    >>> refused(["crc.modbus: CRC 4B2A is CRC-16/MODBUS, HJ 212 gives 1C80"], "default",
    ...         accept=["crc.modbus"])
    []
    """
    allowed = PROFILES.get(profile)
    if allowed is None:
        raise ValueError(f"profile {profile!r}: expected one of {', '.join(PROFILES)}")
    extra = check_kinds(accept)
    return [d for d in deviations
            if (kind := deviation_kind(d)) in _NEVER or (kind not in allowed and kind not in extra)]


def check_kinds(kinds: Iterable[str]) -> frozenset[str]:
    """The deviation kinds given, each checked against :data:`DEVIATION_KINDS`.

    Raises
    ------
    ValueError
        Naming the unknown kind and the known ones.
    """
    kinds = frozenset(kinds)
    unknown = sorted(kinds - DEVIATION_KINDS.keys())
    if unknown:
        raise ValueError(f"deviation kind {unknown[0]!r}: expected one of "
                         f"{', '.join(DEVIATION_KINDS)}")
    return kinds
