"""The fast route through a conforming data area: its layout, cached, and one match per packet.

A data logger sends the same keys in the same order in every packet, so what the keys say
(plain fields, factor codes and suffixes, which values must be numbers or data flags, the order
of the readings) is worked out once per layout and cached. A packet's shape — its version, the
number of items and its first key — looks up the pattern of the layout last seen with that
shape: the keys as literals, ``;`` or ``,`` between items, each value a group that must be a
number, a data flag of the version, or plain text. A full match proves the layout (the keys are
literal) and yields the values in one C-level pass. A layout may repeat what the detailed route
keeps as data — a plain field, a factor's ``Flag`` — and works out once which flag applies to
each value (:func:`.data_area.flag_of_each`). Anything else takes the token route below, which
finds the layout, checks the values and caches the pattern for the next packet; a data area
neither route accepts goes to the detailed route (:func:`.data_area.parse_data_area`), which
gives the same content or names the fault.

The result is exactly what the detailed route gives in strict mode, without any deviation in
tolerant mode (tests compare the two on mutated packets).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter

from ecohub.protocols.hj212.data_area import flag_of_each
from ecohub.protocols.hj212.tables import ASCII_NUMBER, DATA_FLAGS_OF_VERSION, NUMERIC_SUFFIXES
from ecohub.protocols.hj212.times import local_time

__all__ = ["NUMBERS", "Layout", "layout_of", "match_data_area"]

#: Numbers of [S17] §6.3.3.2.2 joined by ';', in ASCII digits (others take the detailed route,
#: which accepts them as before).
NUMBERS = re.compile(rf"{ASCII_NUMBER}(?:;{ASCII_NUMBER})*+")

_Values = Sequence[str | None]


def _getter(positions: list[int]) -> Callable[[_Values], _Values]:
    """``values -> the values at positions``, always a sequence.

    (``itemgetter`` of a single position would return the bare item.)
    """
    if len(positions) > 1:
        return itemgetter(*positions)
    if positions:
        return itemgetter(slice(positions[0], positions[0] + 1))
    return itemgetter(slice(0, 0))


@dataclass(frozen=True, slots=True)
class Layout:
    """What the keys of a data area say, by position of the values (see :func:`layout_of`)."""

    names: tuple[str, ...]  # the keys, in order
    plain: tuple[tuple[str, int], ...]  # (name, position of its first value) of the plain fields
    repeated: tuple[tuple[str, tuple[int, ...]], ...]  # (name, positions) of repeated fields
    factors: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]  # code, ((suffix, position), …)
    flagged: tuple[tuple[str, tuple[tuple[str, int], ...]], ...]  # code, ((suffix, its flag), …)
    numbers: Callable[[_Values], _Values]  # the numeric values
    flags: Callable[[_Values], _Values]  # the -Flag values, each of them
    codes: tuple[str, ...]  # per reading, in the order of Packet.readings
    suffixes: tuple[str, ...]
    reading_flags: Callable[[_Values], _Values]

    def fields(self, values: _Values) -> dict[str, str]:
        """``Packet.fields`` from the values."""
        return {name: values[position] for name, position in self.plain}  # type: ignore[misc]

    def repeated_fields(self, values: _Values) -> dict[str, list[str]]:
        """``Packet.repeated_fields`` from the values."""
        return {
            name: [values[p] for p in positions]  # type: ignore[misc]
            for name, positions in self.repeated
        }

    def build(self, values: _Values) -> dict[str, dict[str, str]]:
        """``Packet.factors`` from the values."""
        return {
            code: {suffix: values[position] for suffix, position in pairs}  # type: ignore[misc]
            for code, pairs in self.factors
        }

    def value_flags(self, values: _Values) -> dict[str, dict[str, str]]:
        """``Packet.value_flags`` from the values."""
        return {
            code: {suffix: values[position] for suffix, position in pairs}  # type: ignore[misc]
            for code, pairs in self.flagged
        }

    def readings(self, values: _Values) -> list[tuple[str, str, float, str | None]]:
        """``Packet.readings()`` from the values: C-level iterators, no dicts."""
        numbers = map(float, self.numbers(values))  # type: ignore[arg-type]
        flags = self.reading_flags(values)
        return list(zip(self.codes, self.suffixes, numbers, flags, strict=True))  # type: ignore[arg-type]


def _first_of_each(pairs: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """``(suffix, position)`` of each suffix's first item, in order (``Packet.factors``)."""
    first: dict[str, int] = {}
    for suffix, position in pairs:
        first.setdefault(suffix, position)
    return tuple(first.items())


@lru_cache(maxsize=1024)
def layout_of(keys: str) -> Layout | None:
    """The layout of a data area (after ``DataTime``) whose keys, in order, are ``keys``.

    Parameters
    ----------
    keys : str
        ``"k1=;k2=;…;kn="``, or ``""`` for no items.

    Returns
    -------
    Layout or None
        None if a key is empty, is ``DataTime`` (it belongs first), has a dash without a
        factor code and a suffix, or repeats other than a plain field or a factor's ``Flag``:
        the detailed route decides on those. The plain fields, the factors, the order of the
        readings and the flag of each are those the detailed route gives: codes by first
        appearance, suffixes in order, whichever items they were written in.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.3 (data area: ``code-Suffix=value``), Table 4 (suffixes).

    Examples
    --------
    >>> layout = layout_of("RtdInterval=;w01001-Avg=;w01001-Flag=")
    >>> layout.plain, layout.factors, layout.codes, layout.suffixes
    ((('RtdInterval', 0),), (('w01001', (('Avg', 1), ('Flag', 2))),), ('w01001',), ('Avg',))
    >>> layout_of("a34004-Avg=;a34004-Avg=") is None  # a value twice
    True
    >>> layout = layout_of("01-Rtd=;01-Flag=;01-ZsRtd=;01-Flag=")  # each value its flag
    >>> layout.factors, layout.flagged
    ((('01', (('Rtd', 0), ('Flag', 1), ('ZsRtd', 2))),), (('01', (('Rtd', 1), ('ZsRtd', 3))),))
    """
    names = keys[:-1].split("=;") if keys else []
    plain: dict[str, list[int]] = {}
    by_code: dict[str, list[tuple[str, int]]] = {}  # every item of the factor, in order
    for position, name in enumerate(names):
        code, dash, suffix = name.partition("-")
        if not dash:
            if not name or name == "DataTime":
                return None
            plain.setdefault(name, []).append(position)
        elif code and suffix:
            by_code.setdefault(code, []).append((suffix, position))
        else:
            return None
    readings: list[tuple[str, str, int, int]] = []  # code, suffix, position, its flag's
    flagged: list[tuple[str, tuple[tuple[str, int], ...]]] = []
    for code, pairs in by_code.items():
        suffixes = [suffix for suffix, _ in pairs]
        if len(set(suffixes) - {"Flag"}) != len(suffixes) - suffixes.count("Flag"):
            return None  # a value written twice
        # position len(names): the None appended to the values, for a factor without a flag
        applies = [
            len(names) if flag is None else pairs[flag][1] for flag in flag_of_each(suffixes)
        ]
        numeric = [
            (code, suffix, p, flag)
            for (suffix, p), flag in zip(pairs, applies, strict=True)
            if suffix in NUMERIC_SUFFIXES
        ]
        readings.extend(numeric)
        if numeric and suffixes.count("Flag") > 1:
            flagged.append((code, tuple((suffix, flag) for _, suffix, _, flag in numeric)))
    return Layout(
        names=tuple(names),
        plain=tuple((name, positions[0]) for name, positions in plain.items()),
        repeated=tuple(
            (name, tuple(positions)) for name, positions in plain.items() if len(positions) > 1
        ),
        factors=tuple((code, _first_of_each(pairs)) for code, pairs in by_code.items()),
        flagged=tuple(flagged),
        numbers=_getter([p for _, _, p, _ in readings]),
        flags=_getter([p for pairs in by_code.values() for suffix, p in pairs if suffix == "Flag"]),
        codes=tuple(code for code, _, _, _ in readings),
        suffixes=tuple(suffix for _, suffix, _, _ in readings),
        reading_flags=_getter([flag for _, _, _, flag in readings]),
    )


@lru_cache(maxsize=1024)
def _layout_pattern(keys: str, version: str) -> re.Pattern[str]:
    """One expression for a whole data area (after DataTime) of the layout of ``keys``.

    The keys as written, ``;`` or ``,`` between items, and per value what its key asks for — a
    number (:data:`.tables.ASCII_NUMBER`), a data flag of the version, or any text without a
    separator — each value a group.
    """
    layout = layout_of(keys)
    assert layout is not None, keys
    flags = "|".join(map(re.escape, sorted(DATA_FLAGS_OF_VERSION[version], key=len, reverse=True)))
    kinds = {"Flag": f"({flags})"} | dict.fromkeys(NUMERIC_SUFFIXES, f"({ASCII_NUMBER})")
    items = (
        re.escape(name) + "=" + kinds.get(name.partition("-")[2], "([^=;,]*+)")
        for name in layout.names
    )
    return re.compile("[;,]".join(items))


#: (version, number of items, first key) -> the pattern and layout last seen with that shape
#: (a guess, which the pattern's full match confirms: its keys are literal).
_SHAPES: dict[tuple[str, int, str], tuple[re.Pattern[str], Layout]] = {}
_MAX_SHAPES = 4096
_NO_ITEMS = layout_of("")


def match_data_area(
    cp: str, version: str
) -> tuple[datetime | None, Layout, list[str | None]] | None:
    """``(DataTime, layout, values)`` of a conforming data area, else None.

    Conforming as the detailed route would find it in strict mode, and without any deviation in
    tolerant mode: ``DataTime`` (N14, a real local time) first if present, then ``key=value``
    items separated by ``;`` or ``,``, no key twice but a plain field or a factor's ``Flag``,
    numbers for the numeric suffixes, data flags of the version, no spaces and no ``//`` log
    text.

    Parameters
    ----------
    cp : str
        The text between ``CP=&&`` and the closing ``&&``.
    version : str
        ``'2017'``, ``'2005'`` or ``'unknown'`` (:func:`.tables.version_of`).

    Returns
    -------
    tuple or None
        ``values`` has a None appended (the flag of a factor that has none).

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.3 (data area), §6.3.3.2.2 (numbers), Table 4 (fields), §6.6.4
       Table 8 (data flags).
    .. [S05] HJ/T 212-2005 §6.3.3 (fields and data flags).

    Examples
    --------
    >>> data_time, layout, values = match_data_area(
    ...     "DataTime=20160801084000;a34004-Avg=35.2,a34004-Flag=N", "2017")
    >>> layout.readings(values)
    [('a34004', 'Avg', 35.2, 'N')]
    >>> match_data_area("DataTime=20160801084000;a34004-Avg=35.2,a34004-Flag=P", "2017") is None
    True
    """
    data_time = None
    body = cp
    if cp.startswith("DataTime="):
        data_time = local_time(cp[9:23])
        if data_time is None:
            return None
        if len(cp) == 23:
            return data_time, _NO_ITEMS, [None]  # type: ignore[return-value]
        if cp[23] != ";":
            return None
        body = cp[24:]
        if not body:
            return None  # an empty item after DataTime
    elif not cp:
        return None, _NO_ITEMS, [None]  # type: ignore[return-value]
    if " " in body or "//" in body:
        return None
    shape = (version, body.count("="), body[: body.find("=")])
    known = _SHAPES.get(shape)
    if known is not None and (match := known[0].fullmatch(body)) is not None:
        values: list[str | None] = list(match.groups())
        values.append(None)
        return data_time, known[1], values
    # "k=v,k=v;k=v" -> ["k=", "v", "k=", "v", "k=", "v"]: a token holds at most one '=', at its end.
    # The text is pieces "key=value" exactly when the tokens alternate key=, value, that is when
    # there are two per '=' and every '=' is in a key.
    tokens = body.replace("=", "=;").replace(",", ";").split(";")
    keys = ";".join(tokens[0::2])
    pairs = body.count("=")
    if len(tokens) != 2 * pairs or keys.count("=") != pairs:
        return None  # an item without '=' or with two, or an empty item
    layout = layout_of(keys)
    if layout is None:
        return None
    if len(_SHAPES) >= _MAX_SHAPES:
        _SHAPES.clear()
    _SHAPES[shape] = (_layout_pattern(keys, version), layout)
    values = tokens[1::2]  # type: ignore[assignment]
    numbers = layout.numbers(values)
    if numbers and not NUMBERS.fullmatch(";".join(numbers)):  # type: ignore[arg-type]
        return None
    if not DATA_FLAGS_OF_VERSION[version].issuperset(layout.flags(values)):
        return None
    values.append(None)
    return data_time, layout, values
