"""The identifiers people type into a registry file, checked without a code list.

* The unified social credit code of an enterprise (统一社会信用代码): GB 32100-2015 defines
  18 characters and a check character computed from the other 17 ([GB32100] §4, Appendix A).
* Administrative division codes (行政区划代码): GB/T 2260 codes are 6 digits, the first two
  naming the province. Without the full (yearly amended) code list only the form and the
  province part can be checked: ``340100`` passes, ``349999`` passes too although no such
  city exists.
* Coordinates inside the configured region: a longitude/latitude bounding box.
* The zone of a data logger's clock as people write it: ``UTC+8`` (China Standard Time, what
  HJ 212 says), ``UTC``, ``UTC+5:30``.

References
----------
.. [GB32100] GB 32100-2015 法人和其他组织统一社会信用代码编码规则, §4 (structure, code set,
   check character) and Appendix A (computing the check character). The clause numbers are
   not checked against the text: ``docs/reference/sources.md`` holds the standard as
   metadata only.
.. [GBT2260] GB/T 2260-2007 中华人民共和国行政区划代码: six-digit codes whose first two
   digits name the province-level division (see ``docs/reference/sources.md``).

Examples
--------
>>> credit_code_check_character("91350100M000100Y4")
'3'
>>> credit_code_error("91350100M000100Y43") is None
True
>>> division_code_error("340100") is None
True
>>> division_code_error("990100")
'省级代码 99 不是 GB/T 2260 的省级行政区划代码'
>>> parse_utc_offset("UTC+8"), format_utc_offset(-330)
(480, 'UTC-5:30')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "CHINA_BBOX",
    "CREDIT_CODE_CHARACTERS",
    "PROVINCE_CODES",
    "BoundingBox",
    "credit_code_check_character",
    "credit_code_error",
    "division_code_error",
    "format_utc_offset",
    "parse_utc_offset",
]

CREDIT_CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of a unified social credit code, in the order of their values
([GB32100] §4: the digits and the capital letters but I, O, Z, S, V)."""

_CREDIT_CODE_LENGTH = 18
_MODULUS = len(CREDIT_CODE_CHARACTERS)
_WEIGHTS = tuple(pow(3, i, _MODULUS) for i in range(_CREDIT_CODE_LENGTH - 1))

PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
     "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
     "65", "71", "81", "82"}
)
"""The first two digits of the provinces, autonomous regions, municipalities and special
administrative regions ([GBT2260])."""


def credit_code_check_character(first17: str) -> str:
    """The check character (the 18th) of a unified social credit code.

    Parameters
    ----------
    first17 : str
        The first 17 characters, each from :data:`CREDIT_CODE_CHARACTERS`.

    Returns
    -------
    str
        ``C18 = 31 - (Σ Ci·Wi mod 31)`` with weights ``Wi = 3^(i-1) mod 31`` and the
        characters' values ``Ci``; 31 is written as ``0``.

    Raises
    ------
    ValueError
        Not 17 characters of the code set.

    References
    ----------
    .. [GB32100] GB 32100-2015 §4.2 and Appendix A.
    """
    if len(first17) != _CREDIT_CODE_LENGTH - 1 or any(
        c not in CREDIT_CODE_CHARACTERS for c in first17
    ):
        raise ValueError(f"{first17!r}: expected 17 characters of {CREDIT_CODE_CHARACTERS}")
    total = sum(CREDIT_CODE_CHARACTERS.index(c) * w for c, w in zip(first17, _WEIGHTS,
                                                                    strict=True))
    return CREDIT_CODE_CHARACTERS[(_MODULUS - total % _MODULUS) % _MODULUS]


def credit_code_error(code: str) -> str | None:
    """Why ``code`` is not a unified social credit code, or None if it is one.

    Checks the length, the code set and the check character; not whether the code was issued.

    References
    ----------
    .. [GB32100] GB 32100-2015 §4.
    """
    if len(code) != _CREDIT_CODE_LENGTH:
        return f"应为 18 位，实为 {len(code)} 位"
    wrong = sorted({c for c in code if c not in CREDIT_CODE_CHARACTERS})
    if wrong:
        return f"含代码字符集以外的字符 {''.join(wrong)}（不用 I、O、Z、S、V 及小写字母）"
    expected = credit_code_check_character(code[:-1])
    if code[-1] != expected:
        return f"校验码应为 {expected}，实为 {code[-1]}（GB 32100-2015）"
    return None


def division_code_error(code: str) -> str | None:
    """Why ``code`` is not a GB/T 2260 division code, or None if it may be one.

    Checks the form (6 digits) and the province part only: the full list of codes is not
    shipped, so a well-formed code of a city that does not exist passes.

    References
    ----------
    .. [GBT2260] GB/T 2260-2007, the province-level codes.
    """
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return "应为 6 位数字"
    if code[:2] not in PROVINCE_CODES:
        return f"省级代码 {code[:2]} 不是 GB/T 2260 的省级行政区划代码"
    return None


@dataclass(frozen=True)
class BoundingBox:
    """The region registered coordinates must lie in (WGS 84 degrees, edges included)."""

    lon_min: float
    lat_min: float
    lon_max: float
    lat_max: float

    def __post_init__(self) -> None:
        if not (-180 <= self.lon_min < self.lon_max <= 180
                and -90 <= self.lat_min < self.lat_max <= 90):
            raise ValueError(
                f"region box {self}: expected lon_min < lon_max in -180..180 and "
                "lat_min < lat_max in -90..90"
            )

    @classmethod
    def parse(cls, text: str) -> BoundingBox:
        """``"lon_min,lat_min,lon_max,lat_max"``, e.g. ``"114.8,29.3,119.7,34.7"`` (Anhui).

        >>> BoundingBox.parse("114.8,29.3,119.7,34.7").contains(117.23, 31.82)
        True
        """
        parts = text.replace("，", ",").split(",")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4:
            raise ValueError(
                f"region box {text!r}: expected four numbers lon_min,lat_min,lon_max,lat_max"
            )
        return cls(*values)

    def contains(self, longitude: float, latitude: float) -> bool:
        """Whether the point lies inside the box."""
        return (self.lon_min <= longitude <= self.lon_max
                and self.lat_min <= latitude <= self.lat_max)

    def __str__(self) -> str:
        return (f"经度 {self.lon_min:g}–{self.lon_max:g}，纬度 {self.lat_min:g}–{self.lat_max:g}")


CHINA_BBOX = BoundingBox(73.0, 3.0, 136.0, 54.0)
"""The default region: China's extent, rounded out (73–136 °E, 3–54 °N)."""


_UTC_OFFSET = re.compile(r"(?:UTC|GMT)?\s*(?:([+-]?)(\d{1,2})(?::?(\d{2}))?)?", re.IGNORECASE)


def parse_utc_offset(text: str) -> int:
    """Minutes east of UTC from ``UTC+8``, ``UTC-5:30``, ``UTC``, ``+8`` or ``0``.

    Raises
    ------
    ValueError
        Not of that form, or outside UTC-12 to UTC+14.
    """
    match = _UTC_OFFSET.fullmatch(text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"{text!r} 应如 UTC+8、UTC、UTC-5:30")
    sign, hours, minutes = match.groups()
    offset = int(hours or 0) * 60 + int(minutes or 0)
    offset = -offset if sign == "-" else offset
    if not -720 <= offset <= 840 or int(minutes or 0) >= 60:
        raise ValueError(f"{text!r} 不在 UTC-12 至 UTC+14 之间")
    return offset


def format_utc_offset(minutes: int) -> str:
    """``UTC+8`` for 480, ``UTC`` for 0, ``UTC-5:30`` for -330 (see :func:`parse_utc_offset`)."""
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")
