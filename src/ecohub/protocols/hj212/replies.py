"""The answers the platform owes a data logger, as packets, and the common 9014 as a frame.

9011 request answer, 9012 execution result, 9013 notification answer, 9014 data answer.
"""

from __future__ import annotations

from ecohub.protocols.hj212.errors import HJ212Error
from ecohub.protocols.hj212.framing import frame
from ecohub.protocols.hj212.packet import Packet
from ecohub.protocols.hj212.tables import (
    EXE_RTN,
    EXE_RTN_2005,
    MAX_SEGMENT,
    NOTIFICATION_CNS,
    QN_RTN,
    QN_RTN_2005,
    version_of,
)

__all__ = [
    "data_reply",
    "execution_result",
    "notification_reply",
    "reply_for",
    "reply_frame",
    "request_reply",
]

def _answer(to: Packet, cn: str, cp_fields: dict[str, str]) -> Packet:
    """An interaction answer (ST=91) in the shape of ``to``'s version."""
    if to.version == "2005":
        # [S05] App. C: answers carry no QN in the header; the answered QN goes into CP.
        fields = {"QN": to.qn} if to.qn is not None else {}
        fields.update(cp_fields)
        return Packet(st="91", cn=cn, pw=to.pw, mn=to.mn, fields=fields)
    return Packet(qn=to.qn, st="91", cn=cn, pw=to.pw, mn=to.mn, flag=4, fields=dict(cp_fields))


def data_reply(packet: Packet) -> Packet:
    """CN 9014 data answer to an upload.

    2017: same QN, ``ST=91``, the device's PW and MN, ``Flag=4``, ``CP=&&&&`` (the answer to a
    split part echoes that part's QN, C.50). 2005: ``ST=91;CN=9014;PW;MN;CP=&&QN=…;CN=…&&``,
    plus ``PNO``/``PNUM`` for a split part. Send it only when ``packet.needs_reply``.

    References
    ----------
    .. [S17] HJ 212-2017 §6.5.2 (upload answered with 9014), Appendix C.14–C.19, C.50.
    .. [S05] HJ/T 212-2005 Appendix C (9014 answer shape).

    Examples
    --------
    >>> upload = Packet(cn="2051", flag=5, qn="20160801085857223", st="32", pw="123456",
    ...                 mn="010000A8900016F000169DC0")
    >>> data_reply(upload).segment()
    b'QN=20160801085857223;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&'
    """
    if packet.version == "2005":
        extra = {"CN": packet.cn}
        if packet.pno is not None and packet.pnum is not None:
            extra |= {"PNO": str(packet.pno), "PNUM": str(packet.pnum)}
        return _answer(packet, "9014", extra)
    return _answer(packet, "9014", {})


def notification_reply(packet: Packet) -> Packet:
    """CN 9013 answer to a notification (1013, 2012, 2022): same QN, ST=91, Flag=4, empty CP.

    References
    ----------
    .. [S17] HJ 212-2017 §6.5.3 (notifications), Appendix C.4, C.11, C.13.
    """
    return _answer(packet, "9013", {})


def request_reply(request: Packet, qn_rtn: int = 1) -> Packet:
    """CN 9011 request answer with ``QnRtn``.

    Same QN as the request, ``ST=91``, ``Flag=4``, ``CP=&&QnRtn=<code>&&``; 2005 shape
    ``ST=91;CN=9011;PW;MN;Flag=0;CP=&&QN=<request QN>;QnRtn=<code>&&``.

    Parameters
    ----------
    request : Packet
        The platform's request being answered.
    qn_rtn : int, default 1
        A code of :data:`.tables.QN_RTN` (2005: 1–3).

    Raises
    ------
    HJ212Error
        If ``qn_rtn`` is not a code of the request's edition.

    References
    ----------
    .. [S17] HJ 212-2017 §6.5.1 (request answer), §6.6.2 Table 6 (QnRtn).
    .. [S05] HJ/T 212-2005 §6.5, Appendix C.

    Examples
    --------
    >>> request = Packet(cn="1011", flag=5, qn="20160801085857223", st="32", pw="123456",
    ...                  mn="010000A8900016F000169DC0")
    >>> request_reply(request).fields
    {'QnRtn': '1'}
    """
    table = QN_RTN_2005 if request.version == "2005" else QN_RTN
    if qn_rtn not in table:
        raise HJ212Error("QnRtn", qn_rtn, f"one of {sorted(table)} ([S17] Table 6)")
    reply = _answer(request, "9011", {"QnRtn": str(qn_rtn)})
    if request.version == "2005":
        reply.flag = 0
    return reply


def execution_result(request: Packet, exe_rtn: int = 1) -> Packet:
    """CN 9012 execution result with ``ExeRtn``.

    Same QN as the request, ``ST=91``, ``Flag=4``, ``CP=&&ExeRtn=<code>&&``; 2005 shape
    ``ST=91;CN=9012;PW;MN;CP=&&QN=<request QN>;ExeRtn=<code>&&``.

    Parameters
    ----------
    request : Packet
        The platform's request whose execution is reported.
    exe_rtn : int, default 1
        A code of :data:`.tables.EXE_RTN` (2005: 1, 2, 100).

    Raises
    ------
    HJ212Error
        If ``exe_rtn`` is not a code of the request's edition.

    References
    ----------
    .. [S17] HJ 212-2017 §6.5.1 (execution result), §6.6.3 Table 7 (ExeRtn).
    .. [S05] HJ/T 212-2005 §6.5, Appendix C.
    """
    table = EXE_RTN_2005 if request.version == "2005" else EXE_RTN
    if exe_rtn not in table:
        raise HJ212Error("ExeRtn", exe_rtn, f"one of {sorted(table)} ([S17] Table 7)")
    return _answer(request, "9012", {"ExeRtn": str(exe_rtn)})


def reply_for(packet: Packet) -> Packet | None:
    """The answer the platform owes for a received packet, or None.

    Notifications (:data:`.tables.NOTIFICATION_CNS`) get 9013; interaction packets 9011–9014
    get nothing; any other packet with Flag bit A set (an upload) gets 9014.

    References
    ----------
    .. [S17] HJ 212-2017 §6.5 (communication procedures), Table 3 (Flag bit A).

    Examples
    --------
    >>> reply_for(Packet(st="22", cn="2051", flag=5)).cn
    '9014'
    >>> reply_for(Packet(st="22", cn="2051", flag=4)) is None  # bit A clear: no answer
    True
    """
    if packet.cn in NOTIFICATION_CNS:
        return notification_reply(packet)
    if packet.cn.startswith("901") or not packet.needs_reply:
        return None
    return data_reply(packet)


def reply_frame(packet: Packet) -> bytes | None:
    r"""The encoded answer ``packet`` is owed: exactly ``reply_for(packet).encode()``, or None.

    The common case on a gateway, an upload of a 2017-shaped packet with Flag bit A set, is
    answered by a 9014 that differs from the next one only in QN, PW and MN: it is formatted
    directly, without building and encoding an answer :class:`.packet.Packet` (that was a tenth
    of a gateway's event-loop time per packet). Everything else goes through :func:`reply_for`.

    Raises
    ------
    HJ212Error
        As ``Packet.encode`` does, if the answer's data segment exceeds 1024 bytes.

    References
    ----------
    .. [S17] HJ 212-2017 §6.5.2 (upload answered with 9014), §6.5.3 (9013), Appendix C.14.
    .. [S05] HJ/T 212-2005 Appendix C (9014 answer shape).

    Examples
    --------
    >>> upload = Packet(cn="2051", flag=5, qn="20160801085857223", st="32", pw="123456",
    ...                 mn="010000A8900016F000169DC0")
    >>> answer = reply_frame(upload)
    >>> answer[:44], answer[-25:]
    (b'##0087QN=20160801085857223;ST=91;CN=9014;PW=', b'9DC0;Flag=4;CP=&&&&3240\r\n')
    >>> reply_frame(upload) == reply_for(upload).encode()
    True
    """
    flag = packet.flag
    cn = packet.cn
    if (
        flag is not None
        and flag & 0x01
        and version_of(flag) != "2005"  # 2005 answers have another shape
        and cn not in NOTIFICATION_CNS
        and not cn.startswith("901")
    ):
        qn, pw, mn = packet.qn, packet.pw, packet.mn
        segment = b"".join((
            b"" if qn is None else b"QN=%s;" % qn.encode(),
            b"ST=91;CN=9014;",
            b"" if pw is None else b"PW=%s;" % pw.encode(),
            b"" if mn is None else b"MN=%s;" % mn.encode(),
            b"Flag=4;CP=&&&&",
        ))  # fmt: skip
        if len(segment) <= MAX_SEGMENT:
            return frame(segment)
    reply = reply_for(packet)
    return None if reply is None else reply.encode()
