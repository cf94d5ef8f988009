"""Times on the wire: ``YYYYMMDDhhmmss`` local time (UTC+8) and the ``QN`` request number."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from ecohub.protocols.hj212.errors import HJ212Error
from ecohub.vocabulary import CHINA_TZ

__all__ = ["format_time", "local_time", "new_qn", "parse_time"]


@lru_cache(maxsize=4096)
def local_time(digits: str) -> datetime | None:
    """``YYYYMMDDhhmmss`` or ``YYYYMMDDhhmmsszzz`` as a UTC+8 time, if it is one.

    Cached: the devices of a network send the same ``DataTime``.

    Parameters
    ----------
    digits : str
        14 or 17 characters.

    Returns
    -------
    datetime or None
        The timezone-aware time; None if ``digits`` are not ASCII digits of a real date and time.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.3.2.3 Table 4 (``DataTime``, N14, local time).

    Examples
    --------
    >>> local_time("20160801084000").isoformat()
    '2016-08-01T08:40:00+08:00'
    >>> local_time("20160230084000") is None  # no 30 February
    True
    """
    if not (digits.isdigit() and digits.isascii() and len(digits) in (14, 17)):
        return None
    fraction = "." + digits[14:] if len(digits) == 17 else ""
    try:
        return datetime.fromisoformat(f"{digits[:8]}T{digits[8:14]}{fraction}+08:00")
    except ValueError:
        return None


def parse_time(text: str, field_name: str, strict: bool, deviations: list[str]) -> datetime:
    """A time field ``YYYYMMDDhhmmss`` (N14) in UTC+8; tolerant mode also takes ``…zzz`` ms.

    Parameters
    ----------
    text : str
        The value as received.
    field_name : str
        Its key, for the error and the deviation.
    strict : bool
        Whether only N14 is accepted.
    deviations : list of str
        Where a tolerated 17-digit time is noted (``time.milliseconds``).

    Returns
    -------
    datetime
        The timezone-aware time.

    Raises
    ------
    HJ212Error
        If ``text`` is not a valid local time.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.3.2.3 Table 4 (N14 times).
    """
    n = len(text)
    if n == 14 or (n == 17 and not strict):
        stamp = local_time(text)
        if stamp is not None:
            if n == 17:
                deviations.append(
                    f"time.milliseconds: {field_name}={text} has 17 digits, the standard says N14"
                )
            return stamp
    raise HJ212Error(field_name, text, "a valid local time YYYYMMDDhhmmss (N14)")


def format_time(stamp: datetime, field_name: str) -> str:
    """``stamp`` as wire time ``YYYYMMDDhhmmss``, in UTC+8.

    Raises
    ------
    HJ212Error
        If ``stamp`` is naive (its time zone would be a guess).

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.3.2.3 Table 4 (N14 times).

    Examples
    --------
    >>> from datetime import UTC
    >>> format_time(datetime(2016, 8, 1, 0, 40, tzinfo=UTC), "DataTime")
    '20160801084000'
    """
    if stamp.tzinfo is None:
        raise HJ212Error(field_name, stamp, "a timezone-aware datetime (HJ 212 sends UTC+8)")
    return stamp.astimezone(CHINA_TZ).strftime("%Y%m%d%H%M%S")


def new_qn(now: datetime | None = None) -> str:
    """A fresh request number ``QN``: local (UTC+8) time ``YYYYMMDDhhmmsszzz``.

    Parameters
    ----------
    now : datetime, optional
        The time to write (timezone-aware); the current time by default.

    References
    ----------
    .. [S17] HJ 212-2017 §6.3.2 Table 3 (QN).

    Examples
    --------
    >>> new_qn(datetime(2016, 8, 1, 8, 58, 57, 223000, tzinfo=CHINA_TZ))
    '20160801085857223'
    """
    stamp = (now or datetime.now(CHINA_TZ)).astimezone(CHINA_TZ)
    return stamp.strftime("%Y%m%d%H%M%S") + f"{stamp.microsecond // 1000:03d}"
