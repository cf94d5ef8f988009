"""HJ 212-2017 factor codes used by ecohub, with names and the units they carry on the wire.

Codes and default units are from HJ 212-2017 Appendix B (Table B.1 water, quoting HJ 525-2009;
Table B.2 air, quoting HJ 524-2009; Table B.3 noise). O3 has no code in Table B.2; ``a05024`` is
the de-facto code used by air-station loggers and platforms.

Units on the wire: pollution-source loggers use the table's default units. Ambient air stations of
the national network report the units of GB 3095 instead (µg/m³, CO mg/m³) — Table B.2's printed
default of ng/m³ for particulates is not what stations send — so air-station units are listed
separately. Every reading is converted explicitly to the unit the standards use, by
:func:`unit_factor`, never implicitly.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Factor:
    code: str
    name_zh: str
    name_en: str
    unit: str
    """Default unit on the wire (HJ 212-2017 App. B)."""


FACTORS: dict[str, Factor] = {f.code: f for f in (
    # Table B.2 — air and flue gas
    Factor("a21026", "二氧化硫", "SO2", "mg/m³"),
    Factor("a21002", "氮氧化物", "NOx", "mg/m³"),
    Factor("a21004", "二氧化氮", "NO2", "mg/m³"),
    Factor("a21005", "一氧化碳", "CO", "mg/m³"),
    Factor("a05024", "臭氧", "O3", "mg/m³"),
    Factor("a34002", "可吸入颗粒物", "PM10", "ng/m³"),
    Factor("a34004", "细颗粒物", "PM2.5", "ng/m³"),
    Factor("a34013", "烟尘", "particulate matter (flue gas)", "mg/m³"),
    Factor("a00000", "废气", "flue-gas flow", "m³/s"),
    Factor("a19001", "氧气含量", "O2", "%"),
    Factor("a01012", "烟气温度", "flue-gas temperature", "°C"),
    Factor("a01011", "烟气流速", "flue-gas velocity", "m/s"),
    # Table B.1 — water
    Factor("w00000", "污水", "wastewater flow", "L/s"),
    Factor("w01001", "pH值", "pH", ""),
    Factor("w01003", "浊度", "turbidity", "NTU"),
    Factor("w01009", "溶解氧", "dissolved oxygen", "mg/L"),
    Factor("w01010", "水温", "water temperature", "°C"),
    Factor("w01014", "电导率", "conductivity", "µS/cm"),
    Factor("w01018", "化学需氧量", "COD", "mg/L"),
    Factor("w01019", "高锰酸盐指数", "permanganate index", "mg/L"),
    Factor("w21001", "总氮", "total nitrogen", "mg/L"),
    Factor("w21003", "氨氮", "ammonia nitrogen", "mg/L"),
    Factor("w21011", "总磷", "total phosphorus", "mg/L"),
    # Table B.3 — noise (GB 3096-2008)
    Factor("LA", "A声级", "A-weighted sound level", "dB(A)"),
    Factor("Leq", "等效声级", "equivalent continuous sound level", "dB(A)"),
)}

AIR_STATION_UNITS: dict[str, str] = {
    "a21026": "µg/m³", "a21004": "µg/m³", "a05024": "µg/m³", "a34002": "µg/m³",
    "a34004": "µg/m³", "a21005": "mg/m³",
}
"""Units ambient air stations send (those of GB 3095-2026 Table 1)."""

AIR_POLLUTANTS: dict[str, str] = {
    "a21026": "SO2", "a21004": "NO2", "a21005": "CO", "a05024": "O3", "a34002": "PM10",
    "a34004": "PM2.5",
}
"""HJ 212 code → pollutant name used by :mod:`ecohub.standards.aqi`."""

WATER_QUALITY: dict[str, str] = {
    "w01001": "pH", "w01009": "DO", "w01019": "CODMn", "w01018": "COD", "w21003": "NH3-N",
    "w21011": "TP", "w21001": "TN",
}
"""HJ 212 code → factor name used by :mod:`ecohub.standards.water` (GB 3838-2002 Table 1)."""

_SCALE = {("mg/m³", "µg/m³"): 1000.0, ("µg/m³", "mg/m³"): 0.001, ("ng/m³", "µg/m³"): 0.001,
          ("µg/m³", "ng/m³"): 1000.0}


def wire_unit(code: str, object_type: str) -> str:
    """The unit a reading of ``code`` carries on the wire from a device of ``object_type``."""
    if object_type == "air_station" and code in AIR_STATION_UNITS:
        return AIR_STATION_UNITS[code]
    factor = FACTORS.get(code)
    if factor is None:
        raise ValueError(f"factor code {code!r}: not in ecohub's HJ 212-2017 code table")
    return factor.unit


def unit_factor(from_unit: str, to_unit: str) -> float:
    """Multiplier converting a value in ``from_unit`` to ``to_unit``."""
    if from_unit == to_unit:
        return 1.0
    try:
        return _SCALE[(from_unit, to_unit)]
    except KeyError:
        raise ValueError(f"unit conversion {from_unit} → {to_unit} is not defined") from None
