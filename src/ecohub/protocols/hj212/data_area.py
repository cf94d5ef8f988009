"""The ``CP`` data area item by item: each rule checked, each fault named, each deviation noted.

This is the detailed route, for every data area the layout route (:mod:`.layout`) does not
take: plain fields with log text, spaces, repeated keys, a factor whose values are written in
several items, a 17-digit ``DataTime`` … and every data area that breaks a rule, whose error it
names. It also reads a received data area back when a packet is encoded
(``Packet.encode`` re-emits the area verbatim while its content is unchanged).
"""

from __future__ import annotations

import re
from datetime import datetime

from ecohub.protocols.hj212.errors import HJ212Error
from ecohub.protocols.hj212.tables import DATA_FLAGS_OF_VERSION, NUMERIC_SUFFIXES, RE_NUMBER
from ecohub.protocols.hj212.times import parse_time

__all__ = ["DataArea", "parse_data_area", "split_items"]

#: ``DataTime``, the plain fields in order, and the factors: code -> suffix -> value.
DataArea = tuple[datetime | None, dict[str, str], dict[str, dict[str, str]]]

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
        ``(data_time, fields, factors)``; a key with two dashes (``a21026-i22004-Info``) is
        factor ``a21026``, suffix ``i22004-Info``.

    Raises
    ------
    HJ212Error
        Naming the item at fault, what it holds and what the standard requires.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.3 (data area), §6.3.3.2.2 (numbers), Table 4 (fields), §6.6.4
       Table 8 (data flags).
    .. [S05] HJ/T 212-2005 §6.3.3 (fields and data flags).

    Examples
    --------
    >>> parse_data_area("DataTime=20160801084000;w01001-Avg=7.5,w01001-Flag=N;PolId=w01",
    ...                 True, "2017", [])[1:]
    ({'PolId': 'w01'}, {'w01001': {'Avg': '7.5', 'Flag': 'N'}})
    """
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
            elif suffix in values:
                _duplicate(key, value, values[suffix], strict, deviations)
                continue
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
            _duplicate(key, value, fields[key], strict, deviations)
        else:
            fields[key] = value
    return data_time, fields, factors


def _duplicate(key: str, value: str, kept: str, strict: bool, deviations: list[str]) -> None:
    if strict:
        raise HJ212Error(key, value, f"{key} only once in CP")
    deviations.append(f"cp.duplicate: {key} repeated; kept {kept!r}, dropped {value!r}")
