"""The packet model: header fields, the parsed data area, readings, and the encoding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ecohub.protocols.hj212.data_area import parse_data_area
from ecohub.protocols.hj212.errors import HJ212Error
from ecohub.protocols.hj212.framing import frame
from ecohub.protocols.hj212.tables import MAX_SEGMENT, NUMERIC_SUFFIXES, version_of
from ecohub.protocols.hj212.times import format_time

if TYPE_CHECKING:
    from ecohub.protocols.hj212.layout import Layout

__all__ = ["Packet"]

#: The attributes a packet parsed by the layout route builds when first read.
_BUILT_ON_ACCESS = frozenset({"factors", "repeated_fields"})


def _each_value_flagged(values: dict[str, str], flags: dict[str, str]) -> list[str]:
    """A factor's ``suffix=value`` items, each numeric value followed by its own ``Flag``."""
    if not flags:
        return list(map("=".join, values.items()))
    pairs = []
    for suffix, value in values.items():
        if suffix != "Flag":
            pairs.append(f"{suffix}={value}")
            if suffix in flags:
                pairs.append(f"Flag={flags[suffix]}")
    return pairs


@dataclass(slots=True, kw_only=True)
class Packet:
    """One HJ 212 packet: header fields and the parsed ``CP`` data area.

    Header: ``qn`` request number (17-digit ms timestamp, absent in many 2005 packets), ``st``
    system code, ``cn`` command code, ``pw`` password, ``mn`` device ID, ``flag`` (int, bits in
    :data:`.tables.FLAG_BITS`), ``pnum``/``pno`` (split packets only).

    Data area: ``data_time`` is ``DataTime`` as a timezone-aware datetime (UTC+8 wire time);
    ``fields`` holds every other plain item (``RtdInterval``, ``QnRtn``, ``BeginTime``,
    ``PolId`` …) as received, in order; ``factors`` maps each factor code to its suffix → value
    strings (``{"Avg": "35.2", "Flag": "N"}``), values kept exactly as received. A key with two
    dashes (``a21026-i22004-Info``) is factor ``a21026``, suffix ``i22004-Info``.

    Repeated keys are data (:mod:`.data_area`). A plain field written more than once
    (``PolId=w01018;PolId=w21003``, ``CTime=04,CTime=10``: the commands of [S17] App. C and
    [S05] CN 3014 that take several) has its first value in ``fields`` and all of them, in
    order, in ``repeated_fields`` (``{"PolId": ["w01018", "w21003"]}``); :meth:`field_values`
    gives the list for any field. A factor that writes ``Flag`` more than once
    (``01-Rtd=3.52,01-Flag=N;01-ZsRtd=4.69,01-Flag=M``) has its first flag in ``factors`` and,
    in ``value_flags``, the flag of every one of its numeric values (``{"01": {"Rtd": "N",
    "ZsRtd": "M"}}``): the flag written after the value, or the factor's last flag for a value
    after it (:func:`.data_area.flag_of_each`, [S17] §6.3.3 and Table 4). A factor with one
    ``Flag`` is not in ``value_flags``: its flag applies to all its values. Both dicts are
    empty for packets without repeated keys.

    ``deviations`` lists what a tolerant parse accepted (``"kind: explanation"``); ``raw_cp``
    is the data area as received, which :meth:`encode` reproduces when the content is unchanged.

    ``parse`` builds ``factors`` and ``repeated_fields`` of a data area that takes the layout
    route (:mod:`.layout`, the common upload) on first access only; each is an ordinary dict
    from then on. :meth:`readings` does not need them.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.2 Table 3 (header), §6.3.3 (data area), Table 4 (fields).
    .. [S05] HJ/T 212-2005 §6.3.2, §6.3.3.

    Examples
    --------
    >>> packet = Packet(st="91", cn="9014", pw="123456", mn="010000A8900016F000169DC0", flag=4,
    ...                 qn="20160801085857223")
    >>> packet.version, packet.needs_reply, packet.is_split
    ('2017', False, False)
    >>> packet.segment()
    b'QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&'
    """

    qn: str | None = None
    st: str
    cn: str
    pw: str | None = None
    mn: str | None = None
    flag: int | None = None
    pnum: int | None = None
    pno: int | None = None
    data_time: datetime | None = None
    fields: dict[str, str] = field(default_factory=dict)
    repeated_fields: dict[str, list[str]] = field(default_factory=dict)
    factors: dict[str, dict[str, str]] = field(default_factory=dict)
    value_flags: dict[str, dict[str, str]] = field(default_factory=dict)
    deviations: list[str] = field(default_factory=list, compare=False)
    raw_cp: str | None = field(default=None, compare=False, repr=False)
    # The layout and values of a data area that took the layout route, from which ``factors``
    # and ``repeated_fields`` are built when first read.
    _items: tuple[Layout, list[str | None]] | None = field(
        default=None, init=False, compare=False, repr=False
    )

    def __getattr__(self, name: str) -> object:
        """Build ``factors`` or ``repeated_fields`` of a packet parsed lazily, on first access.

        Anything else, or a packet not parsed lazily: AttributeError.
        """
        # Python calls this only for an attribute that is not set: here, ``factors`` or
        # ``repeated_fields`` of a packet parsed lazily (see parsing.parse), built now and
        # stored, so that later accesses are plain slot reads. Anything else is a real miss.
        # (never self._items here: on a bare instance, as copy makes, that would recurse)
        items = object.__getattribute__(self, "_items") if name in _BUILT_ON_ACCESS else None
        if items is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        layout, values = items
        built = layout.build(values) if name == "factors" else layout.repeated_fields(values)
        setattr(self, name, built)
        return built

    def _unbuilt_items(self) -> tuple[Layout, list[str | None]] | None:
        """The layout and values while the readings are the layout's, else None.

        That is while ``factors`` is neither built nor replaced, in a packet without flags per
        value: one with them (or whose ``value_flags`` was set after parsing) takes the route
        of the dicts, which may have been edited.
        """
        if self._items is None or self.value_flags:
            return None
        try:
            object.__getattribute__(self, "factors")  # does not build it
        except AttributeError:
            return None if self._items[0].flagged else self._items
        return None

    def field_values(self, name: str) -> list[str]:
        """Every value of the plain field ``name``, in order: ``[]`` if absent.

        ``fields[name]`` is the first; a field written more than once (``PolId=…;PolId=…``)
        gives all of them ([S17] App. C).

        References
        ----------
        .. [S17] HJ 212-2017 §6.3.3 (data area), App. C (commands with several ``PolId``).
        .. [S05] HJ/T 212-2005 CN 3014 (repeated ``CTime``).

        Examples
        --------
        >>> packet = Packet(st="32", cn="3014", fields={"CTime": "04"},
        ...                 repeated_fields={"CTime": ["04", "10"]})
        >>> packet.field_values("CTime"), packet.field_values("PolId")
        (['04', '10'], [])
        """
        repeated = self.repeated_fields.get(name)
        if repeated is not None:
            return list(repeated)
        value = self.fields.get(name)
        return [] if value is None else [value]

    @property
    def version(self) -> str:
        """``'2017'``, ``'2005'`` or ``'unknown'`` from the Flag version bits.

        A packet without ``Flag`` is HJ/T 212-2005 style (2017 makes Flag mandatory); see
        :func:`.tables.version_of`.
        """
        return version_of(self.flag)

    @property
    def needs_reply(self) -> bool:
        """Flag bit A: the receiver must answer ([S17] Table 3)."""
        return self.flag is not None and bool(self.flag & 0x01)

    @property
    def is_split(self) -> bool:
        """One part of a split transfer: carries PNUM/PNO ([S17] Table 3, C.47).

        In a strict 2017 packet this is exactly Flag bit D; [S05] examples set bit D on
        requests without PNUM/PNO, so the numbers, not the bit, decide.
        """
        return self.pnum is not None

    def readings(self) -> list[tuple[str, str, float, str | None]]:
        """Numeric readings ``(factor, statistic, value, flag)`` for the ingest path.

        One tuple per value whose suffix is in :data:`.tables.NUMERIC_SUFFIXES` (Rtd, Min, Avg,
        Max, Cou, Zs…, noise Data); ``flag`` is the value's own flag (:attr:`value_flags`) for a
        factor that writes several, else the factor's ``-Flag`` (or None). Values that are not
        decimal numbers are left out here (they stay, unchanged, in :attr:`factors`). Units are
        the factor's default unit of [S17] Appendix B unless agreed otherwise.

        References
        ----------
        .. [S17] HJ 212-2017 §6.3.3, Table 4 (field suffixes; each value followed by its
           flag), §6.6.4 Table 8 (data flags), Appendix B (factor codes and units).

        Examples
        --------
        >>> Packet(st="22", cn="2051", factors={"a34004": {"Avg": "35.2", "Flag": "N"}}
        ...        ).readings()
        [('a34004', 'Avg', 35.2, 'N')]
        >>> Packet(st="31", cn="2011",
        ...        factors={"01": {"Rtd": "3.52", "Flag": "N", "ZsRtd": "4.69"}},
        ...        value_flags={"01": {"Rtd": "N", "ZsRtd": "M"}}).readings()
        [('01', 'Rtd', 3.52, 'N'), ('01', 'ZsRtd', 4.69, 'M')]
        """
        items = self._unbuilt_items()
        if items is not None:  # parsed lazily: straight from the values
            layout, values = items
            return layout.readings(values)
        numeric = NUMERIC_SUFFIXES
        own_flags = self.value_flags
        if not own_flags:
            try:
                return [
                    (code, suffix, float(text), values.get("Flag"))
                    for code, values in self.factors.items()
                    for suffix, text in values.items()
                    if suffix in numeric
                ]
            except ValueError:
                pass
        out = []
        for code, values in self.factors.items():
            flag = values.get("Flag")
            own = own_flags.get(code)
            for suffix, text in values.items():
                if suffix in numeric:
                    try:
                        number = float(text)
                    except ValueError:
                        continue
                    out.append((code, suffix, number, own.get(suffix, flag) if own else flag))
        return out

    def reading_columns(
        self,
    ) -> tuple[Sequence[str], Sequence[str], Sequence[str], Sequence[str | None]]:
        """:meth:`readings` as four columns ``(factors, statistics, numbers, flags)``.

        The numbers are decimal text: ``float(numbers[i])`` is the value of ``readings()[i]``.
        The ingest path gathers readings by column and converts a whole batch of numbers at
        once (``float()`` per value would cost a quarter of a packet's parse). A data area that
        took the layout route gives its columns straight from the parsed values — the numbers
        as received, checked against [S17] §6.3.3.2.2 — without a tuple per reading; any other
        packet gives each value's shortest round-trip text (``repr``).

        References
        ----------
        .. [S17] HJ 212-2017 §6.3.3.2.2 (numbers), Table 4 (field suffixes).

        Examples
        --------
        >>> Packet(st="22", cn="2051", factors={"a34004": {"Avg": "35.20", "Flag": "N"}}
        ...        ).reading_columns()
        (('a34004',), ('Avg',), ('35.2',), ('N',))
        """
        items = self._unbuilt_items()
        if items is not None:
            layout, values = items
            return (layout.codes, layout.suffixes, layout.numbers(values),  # type: ignore[return-value]
                    layout.reading_flags(values))
        rows = self.readings()
        if not rows:
            return (), (), (), ()
        factors, statistics, numbers, flags = zip(*rows, strict=True)
        return factors, statistics, tuple(map(repr, numbers)), flags

    # ---- encoding ------------------------------------------------------------------------

    def _canonical_cp(self) -> str:
        items = []
        if self.data_time is not None:
            items.append("DataTime=" + format_time(self.data_time, "DataTime"))
        fields = self.fields
        if fields and self.repeated_fields:  # (an upload has no fields: nothing to build)
            repeated = self.repeated_fields  # a repeated field once per value, where its first is
            items.extend(
                f"{key}={each}" for key, value in fields.items()
                for each in repeated.get(key, (value,))
            )
        else:
            items.extend(f"{key}={value}" for key, value in fields.items())
        own_flags = self.value_flags
        if own_flags:  # in those factors, each numeric value followed by its flag
            items.extend(
                code + "-" + ("," + code + "-").join(
                    _each_value_flagged(values, own_flags[code]) if code in own_flags
                    else map("=".join, values.items())
                )
                for code, values in self.factors.items()
                if values
            )
        else:
            items.extend(
                code + "-" + ("," + code + "-").join(map("=".join, values.items()))
                for code, values in self.factors.items()
                if values
            )
        return ";".join(items)

    def _cp_text(self) -> str:
        canonical = self._canonical_cp()
        raw = self.raw_cp
        if raw is None or raw == canonical:
            return canonical
        # The data area was received in a non-canonical layout (e.g. "BeginTime=…,EndTime=…"):
        # re-emit it verbatim, so the bytes and CRC are reproduced, unless the content changed.
        try:
            received = parse_data_area(raw, False, "unknown", [])
        except HJ212Error:
            return canonical
        same = received == (self.data_time, self.fields, self.repeated_fields, self.factors,
                            self.value_flags)
        return raw if same else canonical

    def segment(self) -> bytes:
        """The data segment: header fields and ``CP=&&…&&``, in UTF-8.

        Header fields in the 2017 order (QN ST CN PW MN Flag PNUM PNO CP), absent (None)
        fields omitted; the data area as received while its content is unchanged, else
        ``DataTime``, the plain fields (a repeated one once per value) and the factors (values
        joined by ``,``; in a factor with :attr:`value_flags`, each numeric value followed by
        its ``Flag``) in order.

        References
        ----------
        .. [S17] HJ 212-2017 §6.3.2 Table 3 (data segment), §6.3.3 (data area).
        """
        parts = []
        if self.qn is not None:
            parts.append(f"QN={self.qn};")
        parts.append(f"ST={self.st};CN={self.cn};")
        if self.pw is not None:
            parts.append(f"PW={self.pw};")
        if self.mn is not None:
            parts.append(f"MN={self.mn};")
        if self.flag is not None:
            parts.append(f"Flag={self.flag};")
        if self.pnum is not None:
            parts.append(f"PNUM={self.pnum};")
        if self.pno is not None:
            parts.append(f"PNO={self.pno};")
        parts.append(f"CP=&&{self._cp_text()}&&")
        return "".join(parts).encode("utf-8")

    def encode(self) -> bytes:
        r"""The complete frame: ``##`` + length + data segment + CRC + CR LF.

        The data segment is :meth:`segment`; length counted in UTF-8 bytes; CRC as 4
        upper-case hex digits.

        Raises
        ------
        HJ212Error
            If the data segment exceeds 1024 bytes (use ``split``).

        References
        ----------
        .. [S17] HJ 212-2017 §6.3.1 Table 2 (packet structure), §6.3.2 Table 3, Appendix A.

        Examples
        --------
        >>> data = Packet(qn="20160801085857223", st="32", cn="1062", pw="100000",
        ...               mn="010000A8900016F000169DC0", flag=5, fields={"RtdInterval": "30"}
        ...               ).encode()
        >>> data[:6], data[-34:]  # [S17] §6.3.1: length 101, CRC 1C80
        (b'##0101', b'Flag=5;CP=&&RtdInterval=30&&1C80\r\n')
        """
        segment = self.segment()
        if len(segment) > MAX_SEGMENT:
            raise HJ212Error(
                "length", len(segment), f"a data segment of at most {MAX_SEGMENT} bytes; split it"
            )
        return frame(segment)
