"""GB 32100-2015 check characters, GB/T 2260 division codes and the region box."""

from __future__ import annotations

import pytest

from ecohub.registry import BoundingBox, credit_code_check_character, credit_code_error
from ecohub.registry import division_code_error as division_error
from ecohub.registry.codes import CREDIT_CODE_CHARACTERS


def test_check_character_follows_the_weights_of_the_standard() -> None:
    # weights 3^(i-1) mod 31: 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
    assert credit_code_check_character("10000000000000000") == CREDIT_CODE_CHARACTERS[30]  # 31-1
    assert credit_code_check_character("01000000000000000") == CREDIT_CODE_CHARACTERS[28]  # 31-3
    assert credit_code_check_character("00000000000000001") == "3"  # 31 - 28
    assert credit_code_check_character("00000000000000000") == "0"  # 31 is written as 0
    # Y (value 30) at position 17: 30*28 = 840 = 27*31 + 3, check 31-3 = 28 → "W"
    assert credit_code_check_character("0000000000000000Y") == "W"


def test_the_example_code_passes() -> None:
    # the example code widely quoted with GB 32100-2015 (not verified against the text of the
    # standard here); by hand: Σ Ci·Wi = 1640, 1640 mod 31 = 28, 31 - 28 = 3
    assert credit_code_error("91350100M000100Y43") is None


def test_constructed_codes_round_trip() -> None:
    for body in ("91340100MA2N0X1B0", "12340000485002000", "Y1340100MA2NXXXXX"):
        code = body + credit_code_check_character(body)
        assert credit_code_error(code) is None
        wrong = CREDIT_CODE_CHARACTERS[(CREDIT_CODE_CHARACTERS.index(code[-1]) + 1) % 31]
        assert "校验码应为" in credit_code_error(code[:-1] + wrong)


@pytest.mark.parametrize(("code", "reason"), [
    ("91350100M000100Y44", "校验码应为 3"),
    ("91350100M000100Y4", "应为 18 位"),
    ("91350100M000100I43", "字符集以外的字符 I"),
    ("91350100m000100Y43", "字符集以外"),
])
def test_invalid_codes_say_why(code: str, reason: str) -> None:
    assert reason in credit_code_error(code)


def test_check_character_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="17 characters"):
        credit_code_check_character("9135")


@pytest.mark.parametrize(("code", "ok"), [
    ("340100", True), ("110000", True), ("820000", True), ("710000", True), ("650102", True),
    ("990100", False), ("100100", False), ("34010", False), ("3401000", False),
    ("34010A", False), ("３４０１００", False),
])
def test_division_codes(code: str, ok: bool) -> None:
    assert (division_error(code) is None) is ok


def test_bounding_box() -> None:
    anhui = BoundingBox.parse("114.8,29.3,119.7,34.7")
    assert anhui.contains(117.23, 31.82) and not anhui.contains(121.47, 31.23)  # Shanghai
    for bad in ("1,2,3", "a,b,c,d", "120,30,110,35"):
        with pytest.raises(ValueError, match="region box"):
            BoundingBox.parse(bad)
