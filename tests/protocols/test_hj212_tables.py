"""The protocol tables follow the standards: :mod:`ecohub.protocols.hj212.tables`.
"""

from __future__ import annotations

from ecohub.protocols import hj212


def test_tables_follow_the_reference() -> None:
    assert set(hj212.DATA_FLAGS_2017) == set("NFMSDCTB")  # [S17] §6.6.4 Table 8
    assert set(hj212.DATA_FLAGS_2005) == set("NFMSDCTP0123")
    assert set(hj212.QN_RTN) == {1, 2, 3, 4, 5, 6, 7, 8, 9, 100}  # [S17] Table 6
    assert set(hj212.EXE_RTN) == {1, 2, 3, 4, 5, 6, 100}  # [S17] Table 7
    assert hj212.FLAG_BITS["A"][0] == 1 and hj212.FLAG_BITS["D"][0] == 2
    assert {"Rtd", "Min", "Avg", "Max", "Cou", "ZsRtd", "ZsMin", "ZsAvg", "ZsMax", "Flag",
            "EFlag", "SampleTime", "Info"} <= set(hj212.FIELD_SUFFIXES)  # fmt: skip
