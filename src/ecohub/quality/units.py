"""The units QC thresholds are written in, and the conversion of stored values into them.

Readings are stored in wire units (:func:`ecohub.vocabulary.wire_unit`); the thresholds of
:mod:`ecohub.quality.config` are in µg/m³ for ambient-air pollutants (CO in mg/m³) and in the
HJ 212-2017 App. B units otherwise. The only factor where the two differ in ecohub's code tables
is NOx (``a21002``) at an air station — mg/m³ on the wire (App. B default), µg/m³ in GB 3095-2012
Table 2 and in the QC configuration — so values are converted explicitly by :data:`QC_UNITS`
before the tests run (stored values never change). PM2.5/PM10, SO2, NO2, O3 (µg/m³) and CO
(mg/m³) from air stations, water quality (mg/L, pH, µS/cm, °C) and pollution-source values are
already in the configuration's units.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from ecohub.vocabulary import unit_factor, wire_unit

__all__ = ["QC_UNITS", "in_qc_units", "qc_scale"]

# Units the QC thresholds are written in where they differ from the unit on the wire: ambient-air
# pollutants at air stations in µg/m³, CO in mg/m³ (ecohub.quality.config module docstring; the
# units of GB 3095-2012 Tables 1-2, which include NOx). Every other (object type, factor) is
# checked in its wire unit.
QC_UNITS: Final[dict[tuple[str, str], str]] = {
    ("air_station", "a34004"): "µg/m³",  # PM2.5
    ("air_station", "a34002"): "µg/m³",  # PM10
    ("air_station", "a21026"): "µg/m³",  # SO2
    ("air_station", "a21004"): "µg/m³",  # NO2
    ("air_station", "a05024"): "µg/m³",  # O3
    ("air_station", "a21002"): "µg/m³",  # NOx: mg/m³ on the wire (HJ 212-2017 Table B.2)
    ("air_station", "a21005"): "mg/m³",  # CO
}


def qc_scale(object_type: str, factor: str) -> float:
    """Multiplier from the wire unit of ``factor`` at ``object_type`` to the QC threshold unit."""
    unit = QC_UNITS.get((object_type, factor))
    return 1.0 if unit is None else unit_factor(wire_unit(factor, object_type), unit)


_SCALES: Final = pl.DataFrame(
    [{"object_type": ot, "factor": f, "_scale": qc_scale(ot, f)} for ot, f in QC_UNITS],
    schema={"object_type": pl.String, "factor": pl.String, "_scale": pl.Float64},
).filter(pl.col("_scale") != 1.0)


def in_qc_units(frame: pl.DataFrame) -> pl.DataFrame:
    """Values converted to the units of the QC thresholds (:data:`QC_UNITS`).

    Column ``value`` is scaled per ``object_type`` and ``factor``; other columns are unchanged.
    """
    return (frame.join(_SCALES, on=["object_type", "factor"], how="left", maintain_order="left")
            .with_columns(value=pl.col("value") * pl.col("_scale").fill_null(1.0))
            .drop("_scale"))
