"""Split packets (Flag bit D, PNUM/PNO): too long for one frame, sent in parts, joined again."""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ecohub.protocols.hj212.errors import HJ212Error
from ecohub.protocols.hj212.packet import Packet
from ecohub.protocols.hj212.tables import MAX_SEGMENT, RE_QN
from ecohub.protocols.hj212.times import new_qn
from ecohub.vocabulary import CHINA_TZ

__all__ = ["Incomplete", "Reassembler", "reassemble", "split"]


def split(
    packet: Packet, max_segment: int = MAX_SEGMENT, qns: list[str] | None = None
) -> list[Packet]:
    """Split a packet whose data segment is too long into parts (Flag bit D, PNUM/PNO).

    Every part repeats ``DataTime`` and carries whole factors; plain fields go into the first
    part; each part gets its own QN. :func:`reassemble` is the inverse.

    Parameters
    ----------
    packet : Packet
        The packet to send.
    max_segment : int, default 1024
        The longest data segment of a part.
    qns : list of str, optional
        The parts' QNs; by default the original QN plus the part index in milliseconds.

    Returns
    -------
    list of Packet
        The parts, PNO 1 … PNUM; a packet that fits is returned alone, unchanged.

    Raises
    ------
    HJ212Error
        If one factor alone does not fit in a part.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.2 Table 3 (Flag bit D, PNUM, PNO), Appendix C.47–C.50.

    Examples
    --------
    >>> from datetime import datetime
    >>> from ecohub.vocabulary import CHINA_TZ
    >>> upload = Packet(qn="20160801085857223", st="32", cn="2051", pw="123456",
    ...                 mn="010000A8900016F000169DC0", flag=5,
    ...                 data_time=datetime(2016, 8, 1, 8, 40, tzinfo=CHINA_TZ),
    ...                 factors={f"w{n:05d}": {"Avg": "1.5", "Flag": "N"} for n in range(60)})
    >>> parts = split(upload)
    >>> [(part.pnum, part.pno, part.qn, part.flag) for part in parts]
    [(2, 1, '20160801085857223', 7), (2, 2, '20160801085857224', 7)]
    >>> reassemble(parts) == upload
    True
    """
    if len(packet.segment()) <= max_segment:
        return [packet]
    flag = (packet.flag if packet.flag is not None else 0) | 0x02
    groups: list[list[str]] = [[]]
    for code in packet.factors:
        trial = groups[-1] + [code]
        candidate = _part(packet, flag, 9999, 9999, packet.qn, trial, len(groups) == 1)
        if groups[-1] and len(candidate.segment()) > max_segment:
            groups.append([code])
        else:
            groups[-1] = trial
    parts = []
    for index, codes in enumerate(groups, start=1):
        qn = qns[index - 1] if qns is not None else _qn_plus(packet.qn, index - 1)
        part = _part(packet, flag, len(groups), index, qn, codes, index == 1)
        if len(part.segment()) > max_segment:
            raise HJ212Error("CP", codes, f"factors that fit in a {max_segment}-byte segment")
        parts.append(part)
    return parts


def _qn_plus(qn: str | None, milliseconds: int) -> str | None:
    if qn is None or milliseconds == 0 or not RE_QN.fullmatch(qn):
        return qn
    stamp = datetime.strptime(qn[:14], "%Y%m%d%H%M%S").replace(tzinfo=CHINA_TZ)
    return new_qn(stamp + timedelta(milliseconds=int(qn[14:]) + milliseconds))


def _part(
    packet: Packet, flag: int, pnum: int, pno: int, qn: str | None, codes: list[str], first: bool
) -> Packet:
    return Packet(
        qn=qn, st=packet.st, cn=packet.cn, pw=packet.pw, mn=packet.mn, flag=flag,
        pnum=pnum, pno=pno, data_time=packet.data_time,
        fields=dict(packet.fields) if first else {},
        repeated_fields={k: list(v) for k, v in packet.repeated_fields.items()} if first else {},
        factors={code: dict(packet.factors[code]) for code in codes},
        value_flags={code: dict(packet.value_flags[code])
                     for code in codes if code in packet.value_flags},
    )  # fmt: skip


def reassemble(parts: Iterable[Packet]) -> Packet:
    """Join the parts of a split transfer into one packet.

    All parts must share MN, CN, DataTime and PNUM, carry each PNO from 1 to PNUM exactly once,
    and may not give one item two different values. The standard names no correlation key;
    MN + CN + DataTime (per connection) is the practical one.

    Parameters
    ----------
    parts : iterable of Packet
        The parts, in any order.

    Returns
    -------
    Packet
        The header of part 1 (its QN) with Flag bit D cleared and without PNUM/PNO; fields and
        factors merged in PNO order; the parts' deviations.

    Raises
    ------
    HJ212Error
        Naming what the parts disagree on, or which PNO is missing or repeated.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.2 Table 3 (PNUM, PNO), Appendix C.47–C.50.
    """
    ordered = sorted(parts, key=lambda part: part.pno or 0)
    if not ordered:
        raise HJ212Error("PNO", [], "at least one part")
    first = ordered[0]
    key = (first.mn, first.cn, first.data_time)
    pnum = first.pnum
    if pnum is None:
        raise HJ212Error("PNUM", None, "parts of a split packet (Flag bit D, PNUM/PNO)")
    numbers = [part.pno for part in ordered]
    for part in ordered:
        if (part.mn, part.cn, part.data_time) != key:
            raise HJ212Error(
                "MN/CN/DataTime", (part.mn, part.cn, part.data_time), f"the same as part 1: {key}"
            )
        if part.pnum != pnum:
            raise HJ212Error("PNUM", part.pnum, f"the same total in every part ({pnum})")
    if numbers != list(range(1, pnum + 1)):
        missing = sorted(set(range(1, pnum + 1)) - set(numbers))
        duplicated = sorted({n for n in numbers if numbers.count(n) > 1})
        raise HJ212Error(
            "PNO", numbers, f"each of 1…{pnum} once (missing {missing}, duplicated {duplicated})"
        )
    fields: dict[str, str] = {}
    repeated_fields: dict[str, list[str]] = {}
    factors: dict[str, dict[str, str]] = {}
    value_flags: dict[str, dict[str, str]] = {}
    deviations: list[str] = []
    for part in ordered:
        deviations.extend(part.deviations)
        for name, value in part.fields.items():
            if fields.setdefault(name, value) != value:
                raise HJ212Error(name, value, f"the value of the other parts ({fields[name]!r})")
            every = part.field_values(name)
            if repeated_fields.setdefault(name, every) != every:
                raise HJ212Error(name, every, f"the values of the other parts "
                                 f"({repeated_fields[name]!r})")
        for code, values in part.factors.items():
            merged = factors.setdefault(code, {})
            for suffix, value in values.items():
                if merged.setdefault(suffix, value) != value:
                    raise HJ212Error(f"{code}-{suffix}", value, f"one value ({merged[suffix]!r})")
        for code, flags in part.value_flags.items():
            merged = value_flags.setdefault(code, {})
            for suffix, flag in flags.items():
                if merged.setdefault(suffix, flag) != flag:
                    raise HJ212Error(f"{code}-Flag", flag, f"one flag of {code}-{suffix} "
                                     f"({merged[suffix]!r})")
    return Packet(
        qn=first.qn, st=first.st, cn=first.cn, pw=first.pw, mn=first.mn,
        flag=None if first.flag is None else first.flag & ~0x02, data_time=first.data_time,
        fields=fields, factors=factors, deviations=deviations, value_flags=value_flags,
        repeated_fields={name: every for name, every in repeated_fields.items()
                         if len(every) > 1},
    )  # fmt: skip


@dataclass(slots=True)
class Incomplete:
    """A split transfer evicted before all parts arrived: the parts received, and why."""

    key: tuple[Hashable, ...]
    parts: list[Packet]
    reason: str


class Reassembler:
    """Streaming reassembly of split packets for a gateway.

    :meth:`add` returns the whole packet once the last part of a set arrives (a packet that is
    not split is returned at once). Sets are keyed by (connection, MN, CN, DataTime, PNUM); a
    set older than ``timeout`` seconds, or the oldest set beyond ``max_sets``, is evicted with
    its parts and handed back by :meth:`expire`, so no part is lost. An identical re-sent part
    (the device got no 9014) is ignored; a conflicting one raises :class:`HJ212Error`.

    Parameters
    ----------
    timeout : float, default 600
        Seconds an incomplete set is kept.
    max_sets : int, default 1024
        Incomplete sets kept at most.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.2 Table 3 (PNUM, PNO), Appendix C.47–C.50.
    """

    def __init__(self, timeout: float = 600.0, max_sets: int = 1024) -> None:
        self.timeout = timeout
        self.max_sets = max_sets
        self._sets: dict[tuple[Hashable, ...], tuple[float, dict[int, Packet]]] = {}
        self.evicted: list[Incomplete] = []

    def __len__(self) -> int:
        """The number of incomplete sets held."""
        return len(self._sets)

    def add(
        self, part: Packet, connection: Hashable = None, now: float | None = None
    ) -> Packet | None:
        """Accept one packet; return the complete packet when its set is complete, else None."""
        if not part.is_split:
            return part
        if part.pno is None or part.pnum is None:
            raise HJ212Error("PNUM/PNO", (part.pnum, part.pno), "both on a split packet")
        now = time.monotonic() if now is None else now
        self._evict_old(now)
        key = (connection, part.mn, part.cn, part.data_time, part.pnum)
        started, received = self._sets.get(key, (now, {}))
        previous = received.get(part.pno)
        if previous is not None:
            if previous != part:
                raise HJ212Error("PNO", part.pno, "a re-sent part identical to the first copy")
            return None
        received[part.pno] = part
        if len(received) == part.pnum:
            self._sets.pop(key, None)
            return reassemble(received.values())
        self._sets[key] = (started, received)
        while len(self._sets) > self.max_sets:
            oldest = next(iter(self._sets))
            self._evict(oldest, f"more than {self.max_sets} incomplete sets")
        return None

    def expire(self, now: float | None = None) -> list[Incomplete]:
        """Evict sets older than the timeout; return everything evicted since the last call."""
        self._evict_old(time.monotonic() if now is None else now)
        evicted, self.evicted = self.evicted, []
        return evicted

    def _evict_old(self, now: float) -> None:
        for key, (started, _) in list(self._sets.items()):
            if now - started > self.timeout:
                self._evict(key, f"incomplete after {self.timeout:g} s")

    def _evict(self, key: tuple[Hashable, ...], reason: str) -> None:
        _, received = self._sets.pop(key)
        parts = [received[pno] for pno in sorted(received)]
        missing = sorted(set(range(1, parts[0].pnum + 1)) - set(received)) if parts else []
        self.evicted.append(Incomplete(key, parts, f"{reason}; missing PNO {missing}"))
