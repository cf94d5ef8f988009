"""The ecohub quality-flag scheme: QARTOD codes, HJ 212 device flags, aggregation, validity.

One flag per reading and per test, with the QARTOD codes (IOOS, *Manual for Real-Time Quality
Control of In-situ Ocean Observations*, flag scheme of UNESCO-IOC 2013, as used by ``ioos_qc``):

====  =================  =========  ======================================================
code  name               HJ 212     meaning
====  =================  =========  ======================================================
1     PASS               ``N``      the test ran and the value passed
2     NOT_EVALUATED      —          the test could not run here (first point, no history,
                                    no partner reading, test not configured)
3     SUSPECT            —          questionable: kept for statistics, needs review
4     FAIL               ``D``      bad: excluded from statistics
9     MISSING            —          no value (NaN, masked, non-finite)
====  =================  =========  ======================================================

The HJ 212 column is the data flag (HJ 212-2017 §6.6.4 Table 8) that ecohub writes when it has
to re-express its own verdict on the wire: a value that passed is "N", a value that failed is
"D" (instrument fault). SUSPECT, NOT_EVALUATED and MISSING have no HJ 212 equivalent — a suspect
value is still sent as "N", a missing value is not sent.

In the other direction every HJ 212 ``-Flag`` sent by a device is turned into the verdict of the
``device`` test (:data:`DEVICE_FLAGS`), and decides on its own whether the reading may enter
statistics (averages, percentiles, AQI).

Aggregation follows ``ioos_qc.qartod.qartod_compare``: worst wins with precedence
MISSING < NOT_EVALUATED < PASS < SUSPECT < FAIL.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

import numpy as np
import numpy.typing as npt


class QCFlag(IntEnum):
    """QARTOD flag codes (UNESCO-IOC 2013; ``ioos_qc.qartod.QartodFlags``)."""

    PASS = 1
    NOT_EVALUATED = 2
    SUSPECT = 3
    FAIL = 4
    MISSING = 9


PASS: Final = np.uint8(QCFlag.PASS)
NOT_EVALUATED: Final = np.uint8(QCFlag.NOT_EVALUATED)
SUSPECT: Final = np.uint8(QCFlag.SUSPECT)
FAIL: Final = np.uint8(QCFlag.FAIL)
MISSING: Final = np.uint8(QCFlag.MISSING)

# Aggregation precedence, lowest first (ioos_qc qartod_compare): the aggregate is the flag of
# highest rank among the tests.
PRECEDENCE: Final[tuple[QCFlag, ...]] = (
    QCFlag.MISSING,
    QCFlag.NOT_EVALUATED,
    QCFlag.PASS,
    QCFlag.SUSPECT,
    QCFlag.FAIL,
)

# QARTOD verdict re-expressed as an HJ 212-2017 data flag (Table 8); None: not expressible.
QC_TO_HJ212: Final[dict[QCFlag, str | None]] = {
    QCFlag.PASS: "N",
    QCFlag.NOT_EVALUATED: None,
    QCFlag.SUSPECT: "N",
    QCFlag.FAIL: "D",
    QCFlag.MISSING: None,
}

_RANK = np.full(256, -1, dtype=np.int8)
for _rank, _flag in enumerate(PRECEDENCE):
    _RANK[_flag] = _rank
_BY_RANK = np.array(PRECEDENCE, dtype=np.uint8)


@dataclass(frozen=True)
class DeviceFlag:
    """What one HJ 212 ``-Flag`` value means for QC."""

    code: str
    meaning: str
    qc: QCFlag  # verdict of the ``device`` test
    valid_for_statistics: bool
    source: str


# HJ 212 data flags. Meanings: HJ 212-2017 §6.6.4 Table 8 and HJ/T 212-2005 field table
# (reference: docs/reference/hj212.md §4.4). The *policy* columns (qc, valid_for_statistics)
# are ecohub's: the standard defines the flags but not what a platform does with them. The
# policy follows the automatic-monitoring validity rules that exclude periods of stoppage,
# maintenance, calibration and faults from valid data (CEMS: HJ 75-2017 §11; wastewater:
# HJ 356-2019; ambient air: HJ 818-2018 — cited from their scope, the clause text was not
# available here), and the flag-aware averaging of srdgame/lua-HJ212 (hj212/calc/helper.lua,
# which admits only N-like flags into averages). "T" and "S" only mark the reading: a value
# above the instrument's upper limit is a lower bound of the truth, and dropping it would hide
# exactly the exceedances statistics must show; a manually entered value is the operator's
# substitute, kept but marked for review.
DEVICE_FLAGS: Final[dict[str, DeviceFlag]] = {
    f.code: f
    for f in (
        DeviceFlag("N", "在线监测仪器仪表工作正常 instrument normal", QCFlag.PASS, True,
                   "HJ 212-2017 Table 8"),
        DeviceFlag("F", "在线监测仪器仪表停运 instrument stopped", QCFlag.FAIL, False,
                   "HJ 212-2017 Table 8"),
        DeviceFlag("M", "在线监测仪器仪表处于维护期间 maintenance", QCFlag.FAIL, False,
                   "HJ 212-2017 Table 8"),
        DeviceFlag("S", "手工输入的设定值 manually entered value", QCFlag.SUSPECT, True,
                   "HJ 212-2017 Table 8"),
        DeviceFlag("D", "在线监测仪器仪表故障 instrument fault", QCFlag.FAIL, False,
                   "HJ 212-2017 Table 8"),
        DeviceFlag("C", "在线监测仪器仪表处于校准状态 calibrating", QCFlag.FAIL, False,
                   "HJ 212-2017 Table 8"),
        DeviceFlag("T", "在线监测仪器仪表采样数值超过测量上限 above upper limit", QCFlag.SUSPECT,
                   True, "HJ 212-2017 Table 8"),
        DeviceFlag("B", "在线监测仪器仪表与数采仪通讯异常 communication failure", QCFlag.FAIL,
                   False, "HJ 212-2017 Table 8"),
        DeviceFlag("P", "电源故障 power failure (2005 only)", QCFlag.FAIL, False,
                   "HJ/T 212-2005 field table"),
        # HJ/T 212-2005, ambient-air stations only
        DeviceFlag("0", "校准数据 calibration data (2005, air)", QCFlag.FAIL, False,
                   "HJ/T 212-2005 field table"),
        DeviceFlag("1", "气象参数 meteorological parameter (2005, air)", QCFlag.PASS, True,
                   "HJ/T 212-2005 field table"),
        DeviceFlag("2", "异常 abnormal (2005, air)", QCFlag.FAIL, False,
                   "HJ/T 212-2005 field table"),
        DeviceFlag("3", "正常 normal (2005, air)", QCFlag.PASS, True,
                   "HJ/T 212-2005 field table"),
    )
}

# A reading without a -Flag was not judged by the device; an unknown flag is suspect and kept out
# of statistics until someone looks (never silently treated as normal).
NO_DEVICE_FLAG: Final = DeviceFlag("", "no flag sent", QCFlag.NOT_EVALUATED, True, "ecohub")
UNKNOWN_DEVICE_FLAG: Final = DeviceFlag("?", "flag not defined by HJ 212", QCFlag.SUSPECT, False,
                                        "ecohub")


def _device_lookup(device_flag: npt.ArrayLike | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(qc flag uint8, valid bool) per reading for an array of HJ 212 flags (None allowed)."""
    if device_flag is None:
        return np.full(n, NOT_EVALUATED), np.ones(n, dtype=bool)
    codes = np.asarray(device_flag, dtype=object)
    if codes.shape != (n,):
        raise ValueError(f"device_flag has shape {codes.shape}, expected ({n},)")
    uniq, inverse = np.unique(np.where(codes == None, "", codes).astype(str),  # noqa: E711
                              return_inverse=True)
    entries = [DEVICE_FLAGS.get(u, NO_DEVICE_FLAG if u == "" else UNKNOWN_DEVICE_FLAG)
               for u in uniq]
    qc = np.array([e.qc for e in entries], dtype=np.uint8)[inverse]
    ok = np.array([e.valid_for_statistics for e in entries], dtype=bool)[inverse]
    return qc, ok


def device_flag_test(device_flag: npt.ArrayLike) -> np.ndarray:
    """QARTOD verdict of the HJ 212 ``-Flag`` of each reading (:data:`DEVICE_FLAGS`).

    Parameters
    ----------
    device_flag : array of str or None
        The HJ 212-2017 data flag (Table 8) per reading; None when the device sent none.

    Returns
    -------
    numpy.ndarray of uint8
        PASS for N, SUSPECT for S/T and unknown flags, FAIL for F/M/D/C/B, NOT_EVALUATED
        for no flag.
    """
    codes = np.asarray(device_flag, dtype=object)
    return _device_lookup(codes, codes.shape[0])[0]


def _check_codes(flags: np.ndarray, what: str) -> None:
    bad = _RANK[flags] < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{what}[{i}] = {int(flags[i])} is not a QARTOD flag (1, 2, 3, 4, 9)")


def aggregate(*flag_arrays: npt.ArrayLike) -> np.ndarray:
    """Aggregate several tests' flags per reading: the worst flag wins.

    Precedence MISSING < NOT_EVALUATED < PASS < SUSPECT < FAIL, as
    ``ioos_qc.qartod.qartod_compare`` (IOOS QARTOD aggregate flag).

    Parameters
    ----------
    *flag_arrays : array_like of uint8, all of the same length
        One array of QARTOD codes per test.

    Returns
    -------
    numpy.ndarray of uint8
        The aggregate flag per reading; MISSING when no array is given for a reading.
    """
    if not flag_arrays:
        raise ValueError("aggregate() needs at least one flag array")
    stack = np.vstack([np.asarray(f, dtype=np.uint8) for f in flag_arrays])
    _check_codes(stack.ravel(), "flags")
    return _BY_RANK[_RANK[stack].max(axis=0)]


def valid_for_statistics(flags: npt.ArrayLike, device_flag: npt.ArrayLike | None = None
                         ) -> np.ndarray:
    """Whether each reading may enter statistics (averages, percentiles, AQI).

    A reading is valid when its aggregate QC flag is PASS, NOT_EVALUATED or SUSPECT (QARTOD:
    suspect data are kept and reviewed; FAIL and MISSING are not used) **and** its HJ 212
    device flag allows it (:data:`DEVICE_FLAGS`; no flag allows it, an unknown one does not).

    Parameters
    ----------
    flags : array_like of uint8
        Aggregate QARTOD flag per reading.
    device_flag : array_like of str or None, optional
        HJ 212-2017 ``-Flag`` per reading (Table 8).

    Returns
    -------
    numpy.ndarray of bool
    """
    f = np.asarray(flags, dtype=np.uint8)
    _check_codes(f, "flags")
    ok = (f == PASS) | (f == NOT_EVALUATED) | (f == SUSPECT)
    return ok & _device_lookup(device_flag, f.shape[0])[1]
