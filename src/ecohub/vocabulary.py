"""The words every part of ecohub shares: China time, data kinds, object types, factor codes.

This module is the one leaf that every layer may import (``standards/`` and ``protocols/``
included); it imports nothing of ecohub. Whatever names a time zone, a data kind, a type of
monitored object or an HJ 212 factor takes it from here, so that a report, the gateway and the
quality checks never disagree on a name or a unit.

References
----------
.. [S17] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, §6.6.5 Table 9 (command codes),
   Table 4 (data fields), Appendix B Tables B.1-B.3 (factor codes and default units).
   See ``docs/reference/sources.md``.
.. [GB3095] GB 3095-2026 / -2012 环境空气质量标准, Table 1 (units of the ambient limits).
.. [GB3838] GB 3838-2002 地表水环境质量标准, Table 1 (mg/L).

Examples
--------
>>> KINDS["hour"].cn, KINDS["hour"].period_s
('2061', 3600)
>>> KIND_OF_CN["2051"]
'minute'
>>> FACTORS["a34004"].name_zh, FACTORS["a34004"].wire_unit, FACTORS["a34004"].standard_unit
('细微颗粒物PM2.5', 'ng/m³', 'µg/m³')
>>> wire_unit("a34004", "air_station")
'µg/m³'
>>> OBJECT_TYPES["outlet"]
'排放口'
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "CHINA_TZ",
    "CHINA_TZ_NAME",
    "FACTORS",
    "KINDS",
    "KIND_OF_CN",
    "OBJECT_TYPES",
    "DataKind",
    "Factor",
    "KindName",
    "ObjectType",
    "factor_name",
    "normal_unit",
    "unit_factor",
    "wire_unit",
]

# --------------------------------------------------------------------------- time

CHINA_TZ: Final = dt.timezone(dt.timedelta(hours=8), "CST")
"""China Standard Time, UTC+8 without daylight saving (since 1991): HJ 212 wire times are in it
([S17] Table 4 ``DataTime``), and everything people read is shown in it."""

CHINA_TZ_NAME: Final = "Asia/Shanghai"
"""The IANA name of China Standard Time, for libraries that take a zone by name (Polars,
DuckDB, PostgreSQL)."""

# --------------------------------------------------------------------------- data kinds

KindName = Literal["realtime", "minute", "hour", "day"]


@dataclass(frozen=True)
class DataKind:
    """A kind of reading and the HJ 212-2017 upload that carries it ([S17] Table 9)."""

    name: str
    cn: str
    """Command code of the upload."""
    name_zh: str
    period_s: int | None
    """Nominal period length in seconds; ``None`` for minute data, whose period is the
    logger's ``MinInterval`` (1-30 min, [S17] Table 4); 0 for real-time (instantaneous)."""


KINDS: Final[MappingProxyType[str, DataKind]] = MappingProxyType({k.name: k for k in (
    DataKind("realtime", "2011", "实时数据", 0),
    DataKind("minute", "2051", "分钟数据", None),
    DataKind("hour", "2061", "小时数据", 3600),
    DataKind("day", "2031", "日数据", 86400),
)})
"""The data kinds ecohub stores, in order of period length."""

KIND_OF_CN: Final[MappingProxyType[str, str]] = MappingProxyType(
    {k.cn: k.name for k in KINDS.values()})
"""Upload command code (CN) → data kind."""

# --------------------------------------------------------------------------- monitored objects

ObjectType = Literal["air_station", "water_station", "pollution_source", "outlet",
                     "noise_station"]

OBJECT_TYPES: Final[MappingProxyType[str, str]] = MappingProxyType({
    "air_station": "空气站",
    "water_station": "水质站",
    "pollution_source": "污染源",
    "outlet": "排放口",
    "noise_station": "噪声站",
})
"""Types of monitored object → Chinese name. An ``outlet`` (flue-gas or wastewater discharge
point) belongs to a ``pollution_source``."""

# --------------------------------------------------------------------------- factor codes


@dataclass(frozen=True)
class Factor:
    """One factor code of HJ 212-2017 Appendix B ([S17] Tables B.1-B.3).

    ``wire_unit`` is the table's default unit of the concentration or rate; ``station_unit``
    the unit ambient air stations of the national network send instead (those of GB 3095,
    empty where the same); ``standard_unit`` the unit the ambient standards assess in
    ([GB3095] Tables 1-2, [GB3838] Table 1, GB 3096 dB(A)), else the wire unit.
    """

    code: str
    table: str
    """``B.1`` water, ``B.2`` air, ``B.3`` noise, ``de-facto`` (in use, not in Appendix B)."""
    name_zh: str
    name_en: str
    symbol: str
    """Short symbol used in tables (``PM2.5``, ``NH3-N``), empty where none is customary."""
    wire_unit: str
    station_unit: str
    standard_unit: str
    emission_unit: str
    data_type: str
    old_code: str
    """The HJ/T 212-2005 code ("原编码"), where there was one."""

    @property
    def label(self) -> str:
        """The name people read in a table: the symbol where customary, else the name."""
        return self.symbol or self.name_zh


def _load_factors() -> dict[str, Factor]:
    text = resources.files("ecohub").joinpath("data/hj212_factors.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {row["code"]: Factor(**row) for row in rows}


FACTORS: Final[MappingProxyType[str, Factor]] = MappingProxyType(_load_factors())
"""Every factor code of HJ 212-2017 Appendix B by code (package data
``ecohub/data/hj212_factors.csv``, transcribed from [S17]), plus the de-facto codes
``a05024`` (O3) and ``w01003`` (turbidity) that stations send."""


def factor_name(code: str) -> str:
    """The Chinese name of a factor code, the code itself when the code is not in the table.

    HJ 212 lets loggers send codes outside Appendix B (vendor codes): they are data, shown as
    sent.
    """
    factor = FACTORS.get(code)
    return code if factor is None else factor.name_zh


def wire_unit(code: str, object_type: str) -> str:
    """The unit a reading of ``code`` carries on the wire from a device of ``object_type``."""
    factor = FACTORS.get(code)
    if factor is None:
        raise ValueError(f"factor code {code!r}: not in the HJ 212-2017 App. B code table")
    if object_type == "air_station" and factor.station_unit:
        return factor.station_unit
    return factor.wire_unit


_SCALE: Final = MappingProxyType({
    ("mg/m³", "µg/m³"): 1e3, ("µg/m³", "mg/m³"): 1e-3, ("ng/m³", "µg/m³"): 1e-3,
    ("µg/m³", "ng/m³"): 1e3, ("ng/m³", "mg/m³"): 1e-6, ("mg/m³", "ng/m³"): 1e6,
    ("µg/L", "mg/L"): 1e-3, ("mg/L", "µg/L"): 1e3, ("ng/L", "mg/L"): 1e-6,
    ("mg/L", "ng/L"): 1e6, ("ng/L", "µg/L"): 1e-3, ("µg/L", "ng/L"): 1e3,
})


_NO_UNIT: Final = frozenset({"", "无量纲", "-", "—", "/", "dimensionless"})


def normal_unit(unit: str) -> str:
    """A unit as the factor table writes it, from the spellings people and files use.

    ``ug/m3``, ``μg/m³`` and ``µg/m3`` are ``µg/m³``; ``mg/l`` is ``mg/L``; no unit
    (``无量纲``, ``-``, empty) is ``""``.

    >>> normal_unit("ug/m3"), normal_unit("mg/l"), normal_unit("无量纲")
    ('µg/m³', 'mg/L', '')
    """
    u = unit.strip().replace("μ", "µ").replace("³", "3").replace("²", "2")
    if u in _NO_UNIT:
        return ""
    u = re.sub(r"^u(?=g)", "µ", u)
    u = re.sub(r"/m3$", "/m³", u)
    u = re.sub(r"/l$", "/L", u)
    return u.replace("m2", "m²")


def unit_factor(from_unit: str, to_unit: str) -> float:
    """Multiplier converting a value in ``from_unit`` to ``to_unit`` (mass concentrations).

    Either unit may be written as people write it (:func:`normal_unit`).

    >>> unit_factor("mg/m³", "µg/m³"), unit_factor("ug/m3", "µg/m³")
    (1000.0, 1.0)
    """
    given, wanted = normal_unit(from_unit), normal_unit(to_unit)
    if given == wanted:
        return 1.0
    try:
        return _SCALE[(given, wanted)]
    except KeyError:
        raise ValueError(f"unit conversion {from_unit or '(no unit)'} → "
                         f"{to_unit or '(no unit)'} is not defined") from None
