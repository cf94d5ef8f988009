"""The shared vocabulary: one factor table, one set of data kinds, one China time zone."""

from __future__ import annotations

import datetime as dt

import pytest

from ecohub.vocabulary import (
    CHINA_TZ,
    FACTORS,
    KIND_OF_CN,
    KINDS,
    OBJECT_TYPES,
    factor_name,
    normal_unit,
    unit_factor,
    wire_unit,
)


def test_china_time_is_utc_plus_8_without_dst():
    assert CHINA_TZ.utcoffset(dt.datetime(2026, 7, 1)) == dt.timedelta(hours=8)
    assert CHINA_TZ.utcoffset(dt.datetime(2026, 1, 1)) == dt.timedelta(hours=8)


def test_kinds_and_command_codes_round_trip():
    # HJ 212-2017 §6.6.5 Table 9: 2011 real-time, 2051 minute, 2061 hour, 2031 day
    assert {k: v.cn for k, v in KINDS.items()} == {
        "realtime": "2011", "minute": "2051", "hour": "2061", "day": "2031"}
    assert all(KINDS[KIND_OF_CN[k.cn]] is k for k in KINDS.values())


def test_factor_table_holds_all_of_appendix_b():
    # HJ 212-2017 App. B: 63 water codes (B.1), 121 air codes (B.2), 12 noise codes (B.3)
    tables = [f.table for f in FACTORS.values()]
    assert (tables.count("B.1"), tables.count("B.2"), tables.count("B.3")) == (63, 121, 12)
    assert FACTORS["a34004"].name_zh == "细微颗粒物PM2.5"  # Table B.2 verbatim
    assert FACTORS["w21003"].symbol == "NH3-N"
    assert FACTORS["a21026"].old_code == "02"  # HJ/T 212-2005 code of SO2


@pytest.mark.parametrize(("code", "object_type", "unit"), [
    ("a34004", "air_station", "µg/m³"),   # stations send GB 3095 units
    ("a34004", "pollution_source", "ng/m³"),  # Table B.2 default
    ("a21005", "air_station", "mg/m³"),
    ("a21002", "air_station", "mg/m³"),   # NOx: no station override, Table B.2 default
    ("w20111", "water_station", "µg/L"),
])
def test_wire_units(code, object_type, unit):
    assert wire_unit(code, object_type) == unit


def test_unknown_codes_are_named_as_sent_and_have_no_unit():
    assert factor_name("x99999") == "x99999"
    with pytest.raises(ValueError, match="x99999"):
        wire_unit("x99999", "air_station")


def test_unit_factor():
    assert unit_factor("µg/L", "mg/L") == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="dB"):
        unit_factor("dB(A)", "mg/L")


def test_object_types_have_chinese_names():
    assert set(OBJECT_TYPES) == {"air_station", "water_station", "pollution_source", "outlet",
                                 "noise_station"}
    assert all(OBJECT_TYPES.values())


@pytest.mark.parametrize(("written", "unit"), [
    ("ug/m3", "µg/m³"), ("μg/m³", "µg/m³"), ("µg/m3", "µg/m³"), ("mg/l", "mg/L"),
    (" mg/m3 ", "mg/m³"), ("无量纲", ""), ("-", ""), ("dB(A)", "dB(A)"),
])
def test_units_as_people_write_them(written, unit):
    assert normal_unit(written) == unit


def test_unit_factor_takes_common_spellings():
    assert unit_factor("ug/m3", "mg/m³") == pytest.approx(1e-3)
    assert unit_factor("无量纲", "") == 1.0
    with pytest.raises(ValueError, match="无量纲"):
        unit_factor("无量纲", "mg/L")  # a dimensionless value is no concentration
