"""The ``CP`` data area item by item: each rule checked, each fault named, each deviation noted.

This is the detailed route, for every data area the layout route (:mod:`.layout`) does not
take: plain fields with log text, spaces, a key repeated where the standard allows none, a
factor whose values are written in several items, a 17-digit ``DataTime`` … and every data
area that breaks a rule, whose error it names. It also reads a received data area back when a
packet is encoded (``Packet.encode`` re-emits the area verbatim while its content is
unchanged).

Repeated keys are data where the standard writes them: a factor's ``Flag`` after each of its
values ([S17] §6.3.3, Table 4; which flag applies to which value: :func:`flag_of_each`), and a
plain field such as a command parameter given once per factor or period (``PolId=…;PolId=…``,
``CTime=…,CTime=…``: [S17] App. C, [S05] CN 3014), all of whose values are kept in order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from ecohub.protocols.hj212.errors import HJ212Error
from ecohub.protocols.hj212.tables import DATA_FLAGS_OF_VERSION, NUMERIC_SUFFIXES, RE_NUMBER
from ecohub.protocols.hj212.times import parse_time

__all__ = ["DataArea", "flag_of_each", "parse_data_area", "split_items"]


class DataArea(NamedTuple):
    """A parsed data area, in the terms of :class:`.packet.Packet` (which documents each)."""

    data_time: datetime | None
    fields: dict[str, str]  # plain field -> its first value
    repeated_fields: dict[str, list[str]]  # plain field written more than once -> every value
    factors: dict[str, dict[str, str]]  # code -> suffix -> its first value
    value_flags: dict[str, dict[str, str]]  # code with several Flags -> suffix -> its flag


def flag_of_each(suffixes: Sequence[str]) -> list[int | None]:
    """Which ``Flag`` applies to each item of one factor: the index of that Flag item, or None.

    The flag written after a value applies to it and to every value since the previous flag
    ([S17] §6.3.3 and Table 4: each value is followed by its data flag, a converted ``Zs…``
    value by its own). A value after the factor's last flag takes that last flag, so a factor
    with a single ``Flag`` gives it to all its values, wherever it is written; a factor without
    one gives None.

    Parameters
    ----------
    suffixes : sequence of str
        The suffixes of the factor's items, in the order received (``Flag`` any number of times).

    Returns
    -------
    list of int or None
        Per item, the index in ``suffixes`` of the Flag that applies to it.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.3 (data area), §6.3.3.2.3 Table 4 (``-Flag``, ``-ZsRtd`` …),
       §6.6.4 Table 8 (data flags).

    Examples
    --------
    >>> flag_of_each(["Rtd", "Flag", "ZsRtd", "Flag"])
    [1, 1, 3, 3]
    >>> flag_of_each(["Flag", "Avg", "Max"]), flag_of_each(["Avg"])
    ([0, 0, 0], [None])
    """
    following = None
    for index in range(len(suffixes) - 1, -1, -1):  # the last flag, for the values after it
        if suffixes[index] == "Flag":
            following = index
            break
    applies: list[int | None] = [None] * len(suffixes)
    for index in range(len(suffixes) - 1, -1, -1):
        if suffixes[index] == "Flag":
            following = index
        applies[index] = following
    return applies

_RE_LOG_TEXT = re.compile(r"//.*?//", re.S)


def split_items(cp: str) -> list[str]:
    """The data area's ``key=value`` items (``;`` or ``,`` between them), in order.

    ``//…//`` log text is opaque: its ``;`` and ``,`` separate nothing.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.3 (data area), App. C.40 (log text in ``//``).

    Examples
    --------
    >>> split_items("DataTime=20100301145000;PolId=w01018;i11001-Info=//清洗;管路//")
    ['DataTime=20100301145000', 'PolId=w01018', 'i11001-Info=//清洗;管路//']
    """
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


def parse_data_area(cp: str, strict: bool, version: str, deviations: list[str]) -> DataArea:
    """``DataTime``, plain fields and factors of the data area ``cp``.

    Parameters
    ----------
    cp : str
        The text between ``CP=&&`` and the closing ``&&``.
    strict : bool
        Enforce the rules (numbers for the numeric suffixes, data flags of the version, N14
        times, no spaces, no key twice), or accept deviations and note each.
    version : str
        ``'2017'``, ``'2005'`` or ``'unknown'``: which data flags are allowed.
    deviations : list of str
        Where tolerated deviations are noted (``"kind: explanation"``).

    Returns
    -------
    DataArea
        A key with two dashes (``a21026-i22004-Info``) is factor ``a21026``, suffix
        ``i22004-Info``. A plain field may repeat (all its values kept, in order), and so may
        a factor's ``Flag`` (each value gets the flag of :func:`flag_of_each`); any other key
        only once.

    Raises
    ------
    HJ212Error
        Naming the item at fault, what it holds and what the standard requires.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.3 (data area), §6.3.3.2.2 (numbers), Table 4 (fields), §6.6.4
       Table 8 (data flags), App. C (commands with several ``PolId`` / ``CTime``).
    .. [S05] HJ/T 212-2005 §6.3.3 (fields and data flags), CN 3014 (repeated ``CTime``).

    Examples
    --------
    >>> parse_data_area("DataTime=20160801084000;w01001-Avg=7.5,w01001-Flag=N;PolId=w01",
    ...                 True, "2017", [])[1:4]
    ({'PolId': 'w01'}, {}, {'w01001': {'Avg': '7.5', 'Flag': 'N'}})
    >>> area = parse_data_area("01-Rtd=3.52,01-Flag=N,01-ZsRtd=4.69,01-Flag=M;PolId=01;PolId=02",
    ...                        True, "2017", [])
    >>> area.factors, area.value_flags, area.repeated_fields
    ({'01': {'Rtd': '3.52', 'Flag': 'N', 'ZsRtd': '4.69'}}, {'01': {'Rtd': 'N', 'ZsRtd': 'M'}}, \
{'PolId': ['01', '02']})
    """
    data_time = None
    fields: dict[str, str] = {}
    repeated_fields: dict[str, list[str]] = {}
    factors: dict[str, dict[str, str]] = {}
    value_flags: dict[str, dict[str, str]] = {}
    if not cp:
        return DataArea(data_time, fields, repeated_fields, factors, value_flags)
    if " " in cp and cp.strip() == "":
        if strict:
            raise HJ212Error("CP", cp, "an empty data area written 'CP=&&&&'")
        deviations.append("space.stray: spaces in an empty data area")
        return DataArea(data_time, fields, repeated_fields, factors, value_flags)
    # per factor, its items in order: the flag of each value, where the factor writes Flag
    # more than once (the codes in ``flagged``)
    items_of: dict[str, list[tuple[str, str]]] = {}
    flagged: list[str] = []
    flags_allowed = DATA_FLAGS_OF_VERSION[version]
    numeric = NUMERIC_SUFFIXES
    for item in split_items(cp):
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
                items_of[code] = []
            elif suffix in values and suffix != "Flag":
                _duplicate(key, value, values[suffix], strict, deviations)
                continue
            items_of[code].append((suffix, value))
            if suffix == "Flag" and "Flag" in values:
                if code not in flagged:
                    flagged.append(code)
            else:
                values[suffix] = value
            if strict:
                if suffix in numeric:
                    if not RE_NUMBER.fullmatch(value):
                        raise HJ212Error(key, value, "a decimal number ([S17] §6.3.3.2.2)")
                elif suffix == "Flag" and value not in flags_allowed:
                    raise HJ212Error(key, value, f"a data flag of HJ 212-{version} ([S17] Table 8)")
            elif suffix == "Flag" and value not in flags_allowed:
                deviations.append(f"flag.unknown: {key}={value} is not a data flag of {version}")
        elif key == "DataTime":
            if data_time is not None:
                _duplicate(key, value, "", strict, deviations)
                continue
            data_time = parse_time(value, "DataTime", strict, deviations)
        elif key in fields:
            repeated_fields.setdefault(key, [fields[key]]).append(value)
        else:
            fields[key] = value
    for code in flagged:
        items = items_of[code]
        applies = flag_of_each([suffix for suffix, _ in items])
        own = {
            suffix: items[flag][1]  # type: ignore[index]
            for (suffix, _), flag in zip(items, applies, strict=True)
            if suffix in numeric
        }
        if own:
            value_flags[code] = own
    return DataArea(data_time, fields, repeated_fields, factors, value_flags)


def _duplicate(key: str, value: str, kept: str, strict: bool, deviations: list[str]) -> None:
    if strict:
        raise HJ212Error(key, value, f"{key} only once in CP")
    deviations.append(f"cp.duplicate: {key} repeated; kept {kept!r}, dropped {value!r}")
