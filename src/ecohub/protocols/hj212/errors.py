"""The codec's one error: what was wrong, what was received, what the standard requires."""

from __future__ import annotations

__all__ = ["HJ212Error"]


def _shorten(value: object, limit: int = 60) -> str:
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[: limit - 20]}…{text[-12:]} ({len(text)} chars)"


class HJ212Error(ValueError):
    """A packet or frame that does not satisfy HJ 212.

    Parameters
    ----------
    field : str
        Which part: ``"CRC"``, ``"length"``, ``"MN"``, ``"CP"``, a data-area key …
    value : object
        What was received (shortened in the message, kept whole in the attribute).
    expected : str
        What the standard requires, with its clause where there is one.

    Examples
    --------
    >>> error = HJ212Error("CN", "20x1", "4 digits ([S17] §6.6.5)")
    >>> str(error)
    "HJ 212 CN: got '20x1', expected 4 digits ([S17] §6.6.5)"
    >>> error.field, error.value
    ('CN', '20x1')
    """

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"HJ 212 {field}: got {_shorten(value)}, expected {expected}")
