r"""HJ 212 data-transmission protocol codec (HJ 212-2017 and HJ/T 212-2005), without I/O.

A packet on the wire is ``##`` + 4-digit length + data segment + 4 hex CRC + CR LF
([S17] §6.3.1 Table 2). The data segment is
``QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&`` ([S17] §6.3.2 Table 3) and
the ``CP`` data area holds ``key=value`` items, ``;`` between items and ``,`` between the
values of one factor ([S17] §6.3.3).

Entry points: :func:`parse`, :meth:`Packet.encode`, :func:`crc`, :func:`frame`,
:class:`FrameReader`, :func:`reassemble` / :class:`Reassembler`, :func:`split`, and the
reply/command builders :func:`data_reply` (9014), :func:`reply_frame` (the encoded answer a
packet is owed), :func:`notification_reply` (9013), :func:`request_reply` (9011),
:func:`execution_result` (9012), :func:`get_time_command` (1011), :func:`set_time_command`
(1012).

``parse(strict=True)`` rejects what the standards forbid. ``parse(strict=False)`` accepts the
deviations seen in real traffic and lists each one in ``Packet.deviations`` as
``"<kind>: <explanation>"``; the kind before the colon (e.g. ``crc.modbus``) groups them.

The modules, one job each: :mod:`.tables` (codes, answer codes, data flags, field formats),
:mod:`.errors`, :mod:`.times` (wire times and QN), :mod:`.checksum` (the CRC, in C),
:mod:`.framing` (frames and the stream reader), :mod:`.packet` (the packet model and its
encoding), :mod:`.parsing` (frame, header, data area), :mod:`.layout` (the fast route through a
conforming data area), :mod:`.data_area` (the detailed route), :mod:`.splitting` (PNUM/PNO),
:mod:`.replies` (9011–9014) and :mod:`.commands` (1011, 1012).

References
----------
.. [S17] HJ 212-2017 《污染物在线监控（监测）系统数据传输标准》.
.. [S05] HJ/T 212-2005 《污染源在线自动监控（监测）系统数据传输标准》.

The source list: ``docs/reference/sources.md``.

Examples
--------
>>> from ecohub.protocols import hj212
>>> packet = hj212.parse(b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
...                      b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n")
>>> packet.fields, hj212.reply_for(packet).cn
({'RtdInterval': '30'}, '9014')
"""

from ecohub.protocols.hj212.checksum import crc, crc_modbus
from ecohub.protocols.hj212.commands import get_time_command, set_time_command
from ecohub.protocols.hj212.errors import HJ212Error
from ecohub.protocols.hj212.framing import FrameError, FrameReader, frame
from ecohub.protocols.hj212.packet import Packet
from ecohub.protocols.hj212.parsing import header_mn, parse
from ecohub.protocols.hj212.profiles import (
    DEVIATION_KINDS,
    PROFILES,
    check_kinds,
    deviation_kind,
    refused,
)
from ecohub.protocols.hj212.replies import (
    data_reply,
    execution_result,
    notification_reply,
    reply_for,
    reply_frame,
    request_reply,
)
from ecohub.protocols.hj212.splitting import Incomplete, Reassembler, reassemble, split
from ecohub.protocols.hj212.tables import (
    COMMANDS_2017,
    DATA_FLAGS_2005,
    DATA_FLAGS_2017,
    EXE_RTN,
    EXE_RTN_2005,
    FIELD_SUFFIXES,
    FLAG_BITS,
    FLAG_VERSIONS,
    MAX_CP_2005,
    MAX_CP_2017,
    MAX_FRAME,
    MAX_SEGMENT,
    NOTIFICATION_CNS,
    NUMERIC_SUFFIXES,
    QN_RTN,
    QN_RTN_2005,
    SYSTEM_CODES,
)
from ecohub.protocols.hj212.times import new_qn
from ecohub.vocabulary import CHINA_TZ

__all__ = [
    "CHINA_TZ",
    "COMMANDS_2017",
    "DEVIATION_KINDS",
    "PROFILES",
    "DATA_FLAGS_2005",
    "DATA_FLAGS_2017",
    "EXE_RTN",
    "EXE_RTN_2005",
    "FIELD_SUFFIXES",
    "FLAG_BITS",
    "FLAG_VERSIONS",
    "MAX_CP_2005",
    "MAX_CP_2017",
    "MAX_FRAME",
    "MAX_SEGMENT",
    "NOTIFICATION_CNS",
    "NUMERIC_SUFFIXES",
    "QN_RTN",
    "QN_RTN_2005",
    "SYSTEM_CODES",
    "FrameError",
    "FrameReader",
    "HJ212Error",
    "Incomplete",
    "Packet",
    "Reassembler",
    "check_kinds",
    "crc",
    "crc_modbus",
    "data_reply",
    "deviation_kind",
    "execution_result",
    "frame",
    "get_time_command",
    "header_mn",
    "new_qn",
    "notification_reply",
    "parse",
    "reassemble",
    "refused",
    "reply_for",
    "reply_frame",
    "request_reply",
    "set_time_command",
    "split",
]
