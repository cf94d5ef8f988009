"""Requests the platform sends to a data logger: extract and set the field unit's time."""

from __future__ import annotations

from datetime import datetime

from ecohub.protocols.hj212.errors import HJ212Error
from ecohub.protocols.hj212.packet import Packet
from ecohub.protocols.hj212.times import format_time, new_qn

__all__ = ["get_time_command", "set_time_command"]


def _command(
    cn: str, st: str, mn: str, pw: str, fields: dict[str, str], qn: str | None, version: str
) -> Packet:
    if version == "2005":
        # [S05]: A bit set on requests; its App. C examples use Flag=3, which also sets D.
        return Packet(qn=qn or new_qn(), st=st, cn=cn, pw=pw, mn=mn, flag=1, fields=fields)
    if version != "2017":
        raise HJ212Error("version", version, "'2017' or '2005'")
    return Packet(qn=qn or new_qn(), st=st, cn=cn, pw=pw, mn=mn, flag=5, fields=fields)


def get_time_command(
    mn: str, pw: str, st: str, *, pol_id: str | None = None, qn: str | None = None,
    version: str = "2017",
) -> Packet:  # fmt: skip
    """CN 1011 platform request "extract field-unit time".

    The DAU answers 9011, then a 1011 upload with ``SystemTime``, then 9012.

    Parameters
    ----------
    mn, pw, st : str
        The device's MN, password and system code.
    pol_id : str, optional
        Ask for the clock of one instrument (``PolId``) instead of the DAU's.
    qn : str, optional
        The request number; a fresh one (:func:`.times.new_qn`) by default.
    version : {'2017', '2005'}
        The edition the device speaks.

    References
    ----------
    .. [S17] HJ 212-2017 §6.6.5 Table 9 (CN 1011), Appendix C.5.
    .. [S05] HJ/T 212-2005 §6.5 (CN 1011).

    Examples
    --------
    >>> get_time_command("010000A8900016F000169DC0", "123456", "32",
    ...                  qn="20160801085857223").segment()
    b'QN=20160801085857223;ST=32;CN=1011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&&&'
    """
    return _command("1011", st, mn, pw, {"PolId": pol_id} if pol_id else {}, qn, version)


def set_time_command(
    mn: str, pw: str, st: str, system_time: datetime, *, pol_id: str | None = None,
    qn: str | None = None, version: str = "2017",
) -> Packet:  # fmt: skip
    """CN 1012 platform request "set field-unit time".

    Also the answer to a 1013 time-calibration notification (after 9013).

    Parameters
    ----------
    mn, pw, st : str
        The device's MN, password and system code.
    system_time : datetime
        The time to set, timezone-aware; written as local time ``YYYYMMDDhhmmss`` (UTC+8).
    pol_id : str, optional
        Set the clock of one instrument (``PolId``) instead of the DAU's.
    qn : str, optional
        The request number; a fresh one by default.
    version : {'2017', '2005'}
        The edition the device speaks.

    References
    ----------
    .. [S17] HJ 212-2017 §6.6.5 Table 9 (CN 1012), Appendix C.6.
    .. [S05] HJ/T 212-2005 §6.5 (CN 1012).

    Examples
    --------
    >>> from datetime import UTC
    >>> set_time_command("010000A8900016F000169DC0", "123456", "32",
    ...                  datetime(2016, 8, 1, 0, 58, 57, tzinfo=UTC)).fields
    {'SystemTime': '20160801085857'}
    """
    fields = {"PolId": pol_id} if pol_id else {}
    fields["SystemTime"] = format_time(system_time, "SystemTime")
    return _command("1012", st, mn, pw, fields, qn, version)
