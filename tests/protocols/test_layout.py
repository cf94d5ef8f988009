"""The fast route through a data area (:mod:`ecohub.protocols.hj212.layout`) against the detailed.

Conforming data areas are checked against a cached layout and their factors built on first access.
The fast route must accept exactly what the detailed route (:mod:`ecohub.protocols.hj212.data_area`)
accepts without deviations, with the same content, and hand everything else to the detailed route.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import pickle
import re
from unittest import mock

import pytest
from hj212_vectors import (
    A1,
    A1_SEG,
    B1,
    B2,
    B3,
    B4,
    B9,
    codes,
    factor_values,
    frame,
    reframe,
    times,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from ecohub.protocols.hj212 import (
    HJ212Error,
    Packet,
    data_area,
    layout,
    parse,
    parsing,
    tables,
)

MINUTE_CP = (  # [S17] App. C.16 minute data (reference §4.7), as one data area
    "DataTime=20160801084000;w00000-Cou=10.5,w00000-Min=16.4,w00000-Avg=17.5,w00000-Max=20.1,"
    "w00000-Flag=N;w01001-Min=7.1,w01001-Avg=7.5,w01001-Max=7.8,w01001-Flag=N"
)


MINUTE = reframe(A1_SEG.replace("CN=1062", "CN=2051").replace("RtdInterval=30", MINUTE_CP))


def detailed(data: bytes, strict: bool = True) -> Packet | HJ212Error:
    """``parse`` with the fast path switched off: the packet, or the error it raises."""
    with mock.patch.object(parsing, "match_data_area", return_value=None):
        try:
            return parse(data, strict=strict)
        except HJ212Error as error:
            return error


def readings_of(columns: tuple) -> list[tuple[str, str, float, str | None]]:
    """``Packet.readings()`` from ``Packet.reading_columns()`` (numbers as text)."""
    factors, statistics, numbers, flags = columns
    assert all(isinstance(n, str) for n in numbers)
    return list(zip(factors, statistics, map(float, numbers), flags, strict=True))


def same_outcome(data: bytes, strict: bool) -> None:
    """``parse`` gives what the detailed path gives: equal packet, deviations and readings,
    or an error naming the same field, value and expectation."""
    reference = detailed(data, strict)
    try:
        parse(data, strict=strict)  # the second parse takes the cached pattern of its shape
        packet = parse(data, strict=strict)
    except HJ212Error as error:
        assert isinstance(reference, HJ212Error), f"fast path rejected what is valid: {error}"
        assert (error.field, error.value, error.expected) == (
            reference.field, reference.value, reference.expected,
        )  # fmt: skip
        return
    assert isinstance(reference, Packet), f"fast path accepted what is invalid: {reference}"
    columns = packet.reading_columns()  # before factors are built
    assert packet.readings() == reference.readings() == readings_of(columns)
    assert all(len(c) == len(reference.readings()) for c in columns)
    assert readings_of(reference.reading_columns()) == reference.readings()
    assert packet == reference and packet.deviations == reference.deviations
    assert (packet.fields, packet.factors) == (reference.fields, reference.factors)
    assert (packet.repeated_fields, packet.value_flags) == (
        reference.repeated_fields, reference.value_flags,
    )  # fmt: skip
    assert packet.encode() == reference.encode()


def test_fast_path_taken_for_standard_uploads_and_equal_to_detailed() -> None:
    # uploads of factor values, and data areas with plain fields (A1 RtdInterval, B2 QnRtn,
    # B3 RestartTime, B9 BeginTime/EndTime of a 2005 request)
    for data in (MINUTE, frame(B1), frame(B4), frame(A1), frame(B2), frame(B3), frame(B9)):
        strict = data != frame(B4)  # B4: PW of 24 characters, tolerant only
        packet = parse(data, strict=strict)
        assert layout.match_data_area(packet.raw_cp, packet.version) is not None
        with pytest.raises(AttributeError):  # factors not built yet: the layout route was taken
            object.__getattribute__(packet, "factors")
        same_outcome(data, strict)
    assert parse(MINUTE).readings()[:5] == [  # [S17] C.16 values, in order, flag N
        ("w00000", "Cou", 10.5, "N"), ("w00000", "Min", 16.4, "N"), ("w00000", "Avg", 17.5, "N"),
        ("w00000", "Max", 20.1, "N"), ("w01001", "Min", 7.1, "N"),
    ]  # fmt: skip


#: Data areas whose repeated keys are data ([S17] §6.3.3, Table 4, App. C): a factor's Flag
#: after each of its values, a plain field given several times.
REPEATED_KEYS = [
    "DataTime=20160801084000;a21026-Rtd=3.52,a21026-Flag=N;a19001-Rtd=20.1,a19001-Flag=N;"
    "a21026-ZsRtd=4.69,a21026-Flag=M",
    "DataTime=20160801084000;a21026-Rtd=3.52,a21026-Flag=N,a21026-ZsRtd=4.69,a21026-Flag=M",
    "DataTime=20160801084000;a21026-Min=1.0,a21026-Avg=2.0,a21026-Flag=N,a21026-Max=9.0,"
    "a21026-Flag=T,a21026-ZsAvg=2.5",  # ZsAvg after the last flag: takes T
    "DataTime=20160801084000;a21026-Flag=D,a21026-Rtd=3.5,a21026-Flag=N",  # a flag before all
    "DataTime=20160801084000;a21026-Flag=D,a21026-Flag=N",  # flags without values
    "PolId=w01018;PolId=w21003;PolId=w21011",
    "CstartTime=000000;CTime=04,CTime=10,CTime=16",
    "DataTime=20160801084000;PolId=w01018;w01018-Rtd=1.5,w01018-Flag=N;PolId=w21003",
]


def test_fast_path_taken_for_repeated_keys() -> None:
    for cp in REPEATED_KEYS:
        conforming = layout.match_data_area(cp, "2017")
        assert conforming is not None, cp
        data_time, found, values = conforming
        reference = data_area.parse_data_area(cp, True, "2017", [])
        assert found.value_flags(values) == reference.value_flags
        assert found.repeated_fields(values) == reference.repeated_fields
        assert found.fields(values) == reference.fields
        assert found.build(values) == reference.factors
    first = layout.match_data_area(REPEATED_KEYS[0], "2017")
    assert first is not None
    assert first[1].readings(first[2]) == [
        ("a21026", "Rtd", 3.52, "N"), ("a21026", "ZsRtd", 4.69, "M"),
        ("a19001", "Rtd", 20.1, "N"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "cp",
    [
        MINUTE_CP.replace("w01001-Max=7.8", "w01001-Avg=7.8"),  # a key twice
        MINUTE_CP.replace("w01001-Max=7.8", "w01001-Max=7.8.1"),  # not a number
        MINUTE_CP.replace("w01001-Max=7.8", "w01001-Max="),  # empty number
        MINUTE_CP.replace("w01001-Flag=N", "w01001-Flag=P"),  # 2005-only flag in a 2017 packet
        MINUTE_CP.replace(",w01001-Flag=N", ",w01001-Flag"),  # item without '='
        MINUTE_CP.replace("w01001-Max=7.8", "w01001-Max=7=8"),  # two '='
        MINUTE_CP.replace(";w01001", ";;w01001"),  # empty item
        MINUTE_CP.replace("DataTime=20160801084000", "DataTime=20160230084000"),  # no such day
        MINUTE_CP.replace("DataTime=20160801084000", "DataTime=20160801084000000"),  # 17 digits
        MINUTE_CP.replace("w00000-Cou", "w00000- Cou"),  # a space
        MINUTE_CP.replace("w01001-Max", "-Max"),  # no factor code
        MINUTE_CP.replace("w01001-Max=7.8", "w01001-Max=٧.٨"),  # Arabic-Indic digits
        MINUTE_CP + ";PolId=w01018",  # a plain field
        MINUTE_CP + ";w00000-Data=1.5",  # a factor in two items (merged by the detailed path)
        MINUTE_CP + ";a21026-i22004-Info=1",  # a two-dash key (reference §4.7)
        MINUTE_CP + ";i11001-Info=//清洗;管路//",  # log text
        MINUTE_CP + ";w21003-EFlag=A01,w21003-Rtd=-0.5",  # extended flag, negative number
        "DataTime=20160801084000",
        "",
        *REPEATED_KEYS,
    ],
)
def test_fast_path_edge_cases_agree_with_detailed(cp: str) -> None:
    data = reframe(A1_SEG.replace("CN=1062", "CN=2051").replace("RtdInterval=30", cp))
    for strict in (True, False):
        same_outcome(data, strict)


@st.composite
def standard_cps(draw: st.DrawFn) -> str:
    """Data areas in the standard layout ([S17] §6.3.3), with the odd negative, ',' or ';'."""
    items = []
    for code in draw(st.lists(codes, min_size=1, max_size=4, unique=True)):
        values = draw(factor_values)
        pairs = [f"{code}-{suffix}={value}" for suffix, value in values.items()]
        items.append(",".join(pairs))
    cp = ";".join(items)
    if draw(st.booleans()):
        cp = "DataTime=" + draw(times).strftime("%Y%m%d%H%M%S") + ";" + cp
    return cp


MUTATIONS = ";,=-. +NPQ/09aA\u00e9&"


def mutated(cp: str, data: st.DataObject) -> str:
    """``cp`` with up to 3 characters replaced, inserted or deleted, or an item or pair repeated."""
    for _ in range(data.draw(st.integers(0, 3))):
        kind = data.draw(st.sampled_from(["replace", "insert", "delete", "repeat"]))
        at = data.draw(st.integers(0, max(len(cp) - 1, 0)))
        char = data.draw(st.sampled_from(MUTATIONS))
        if kind == "replace":
            cp = cp[:at] + char + cp[at + 1 :]
        elif kind == "insert":
            cp = cp[:at] + char + cp[at:]
        elif kind == "delete":
            cp = cp[:at] + cp[at + 1 :]
        else:
            pieces = re.split("([;,])", cp)
            cp = cp + data.draw(st.sampled_from([";", ","])) + data.draw(st.sampled_from(pieces))
    return cp


@settings(max_examples=300, deadline=None)
@given(standard_cps(), st.data(), st.sampled_from(["Flag=4", "Flag=5", "Flag=9", None]))
def test_fast_path_and_detailed_path_agree_on_mutated_packets(
    cp: str, data: st.DataObject, flag: str | None
) -> None:
    original = cp
    cp = mutated(cp, data)
    header = A1_SEG.split("CP=&&")[0]
    if flag != "Flag=5":  # 2017 with A=0, an unknown version, or a 2005 packet (no Flag)
        header = header.replace("Flag=5;", f"{flag};" if flag else "")
    header = header.replace("CN=1062", "CN=2011")
    for strict in (True, False):  # the unmutated area first: the mutated one (often of the
        with contextlib.suppress(HJ212Error):  # same shape) meets its cached pattern
            parse(reframe(header + f"CP=&&{original}&&"), strict=strict)
    data_bytes = reframe(header + f"CP=&&{cp}&&")
    for strict in (True, False):
        same_outcome(data_bytes, strict)


@st.composite
def flagged_cps(draw: st.DrawFn) -> str:
    """Data areas whose factors write a Flag after some of their values ([S17] Table 4)."""
    flags = st.sampled_from(sorted(tables.DATA_FLAGS_2017))
    items = []
    for code in draw(st.lists(codes, min_size=1, max_size=3, unique=True)):
        pairs = []
        for suffix, value in draw(factor_values).items():
            if suffix != "Flag":
                pairs.append(f"{code}-{suffix}={value}")
                if draw(st.booleans()):
                    pairs.append(f"{code}-Flag={draw(flags)}")
        cut = draw(st.integers(0, len(pairs)))  # the factor in one item or two
        items.extend(",".join(part) for part in (pairs[:cut], pairs[cut:]) if part)
    order = draw(st.permutations(items))
    return "DataTime=20160801084000;" + ";".join(order)


@settings(max_examples=300, deadline=None)
@given(flagged_cps(), st.data())
def test_fast_path_and_detailed_path_agree_on_flags_per_value(
    cp: str, data: st.DataObject
) -> None:
    header = A1_SEG.split("CP=&&")[0].replace("CN=1062", "CN=2011")
    for area in (cp, mutated(cp, data)):
        for strict in (True, False):
            same_outcome(reframe(header + f"CP=&&{area}&&"), strict)


plain_items = st.sampled_from([
    "RtdInterval=30", "PolId=w01018", "QnRtn=1", "ExeRtn=100", "RestartTime=20160801085624",
    "BeginTime=20040506111000,EndTime=20040506151000", "QN=20160801085857223", "CN=2051",
    "SystemTime=20160801085857", "Empty=", "DataTime=20160801084000",
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(standard_cps(), st.lists(st.tuples(st.integers(0, 5), plain_items), max_size=3),
       st.data(), st.sampled_from(["Flag=4", "Flag=5", "Flag=9", None]))
def test_fast_path_and_detailed_path_agree_on_data_areas_with_plain_fields(
    cp: str, plain: list[tuple[int, str]], data: st.DataObject, flag: str | None
) -> None:
    # plain fields ([S17] Table 4: RtdInterval, PolId, QnRtn …) among the factors, anywhere
    items = cp.split(";")
    for at, item in plain:
        items.insert(at, item)
    original = ";".join(items)
    header = A1_SEG.split("CP=&&")[0]
    if flag != "Flag=5":
        header = header.replace("Flag=5;", f"{flag};" if flag else "")
    for area in (original, mutated(original, data)):
        for strict in (True, False):
            same_outcome(reframe(header + f"CP=&&{area}&&"), strict)


def test_a_cached_pattern_of_another_layout_of_the_same_shape_is_not_used() -> None:
    # same number of items and first key, other keys: the cached pattern fails, the layout of
    # the keys as sent is used (and cached in turn)
    first, second = (f"DataTime=20160801084000;a34004-Avg=35.2,{code}-Avg=1.5"
                     for code in ("a21026", "a21004"))
    for cp, code in ((first, "a21026"), (second, "a21004"), (first, "a21026")):
        packet = parse(reframe(A1_SEG.replace("CN=1062", "CN=2051")
                               .replace("RtdInterval=30", cp)))
        assert packet.readings() == [("a34004", "Avg", 35.2, None), (code, "Avg", 1.5, None)]


@given(st.text(alphabet="0123456789.+-;e ", max_size=40))
def test_number_list_pattern_is_the_number_rule(text: str) -> None:
    # the possessive pattern of the fast path accepts exactly ';'-joined [S17] numbers
    expected = all(tables.RE_NUMBER.fullmatch(number) for number in text.split(";"))
    assert bool(layout.NUMBERS.fullmatch(text)) == expected


def test_lazy_packet_sets_every_field() -> None:
    packet = parse(MINUTE)
    for spec in dataclasses.fields(Packet):
        if spec.name not in ("factors", "repeated_fields"):  # the ones built on first access
            object.__getattribute__(packet, spec.name)
    for name in ("factors", "repeated_fields"):
        with pytest.raises(AttributeError):
            object.__getattribute__(packet, name)
    with pytest.raises(AttributeError, match="no_such"):
        packet.no_such  # noqa: B018 - other missing attributes are still errors
    assert packet.factors["w01001"] == {"Min": "7.1", "Avg": "7.5", "Max": "7.8", "Flag": "N"}
    assert packet.factors is packet.factors  # built once, then a plain attribute
    assert packet.repeated_fields == {} and packet.repeated_fields is packet.repeated_fields


def test_lazy_packet_behaves_like_a_plain_dataclass() -> None:
    built = detailed(MINUTE)
    assert isinstance(built, Packet)
    assert parse(MINUTE) == built and repr(parse(MINUTE)) == repr(built)
    assert copy.copy(parse(MINUTE)) == built and copy.deepcopy(parse(MINUTE)) == built
    assert pickle.loads(pickle.dumps(parse(MINUTE))) == built
    assert dataclasses.replace(parse(MINUTE), qn="20160801085857224").factors == built.factors
    edited = parse(MINUTE)  # edits after parsing show in readings and in the frame
    edited.factors["w01001"]["Avg"] = "8.0"
    assert ("w01001", "Avg", 8.0, "N") in edited.readings()
    assert b"w01001-Avg=8.0" in edited.encode()
    replaced = parse(MINUTE)  # factors replaced without being read first
    replaced.factors = {"a34004": {"Avg": "35.0"}}
    assert replaced.readings() == [("a34004", "Avg", 35.0, None)]


def test_flags_of_the_other_edition_rejected_in_strict_mode() -> None:
    # P (power failure) is a 2005 flag only ([S05] field table; [S17] Table 8 has no P)
    cp = MINUTE_CP.replace("w01001-Flag=N", "w01001-Flag=P")
    data = reframe(A1_SEG.replace("CN=1062", "CN=2051").replace("RtdInterval=30", cp))
    with pytest.raises(HJ212Error) as err:
        parse(data)
    assert (err.value.field, err.value.value) == ("w01001-Flag", "P")
    assert parse(data, strict=False).deviations == [
        "flag.unknown: w01001-Flag=P is not a data flag of 2017"
    ]


def test_tolerant_deviation_listed_once() -> None:
    # a 17-digit DataTime in a layout the quick dict builder declines (a factor in two items)
    seg = A1_SEG.replace("CN=1062", "CN=2011").replace(
        "RtdInterval=30", "DataTime=20160824003817000;a21026-Rtd=1,a21026-Flag=N;a21026-Avg=2"
    )
    assert parse(reframe(seg), strict=False).deviations == [
        "time.milliseconds: DataTime=20160824003817000 has 17 digits, the standard says N14"
    ]
