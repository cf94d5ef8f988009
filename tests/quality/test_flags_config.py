"""Flag scheme (aggregation, HJ 212 device flags, validity) and configuration validation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecohub.quality import (
    DEVICE_FLAGS,
    QCConfigError,
    aggregate,
    default_config,
    device_flag_test,
    load_config,
    valid_for_statistics,
)

ioos = pytest.importorskip("ioos_qc.qartod")
CODES = [1, 2, 3, 4, 9]


@given(st.lists(st.lists(st.sampled_from(CODES), min_size=5, max_size=5), min_size=1,
                max_size=6))
def test_aggregate_matches_ioos_qartod_compare(vectors: list[list[int]]) -> None:
    arrays = [np.array(v, dtype=np.uint8) for v in vectors]
    assert (aggregate(*arrays) == np.asarray(ioos.qartod_compare(arrays))).all()


def test_aggregate_precedence_and_errors() -> None:
    # MISSING < NOT_EVALUATED < PASS < SUSPECT < FAIL
    assert aggregate([9, 9, 2, 1, 3], [2, 1, 1, 3, 4]).tolist() == [2, 1, 1, 3, 4]
    with pytest.raises(ValueError, match=r"flags\[1\] = 5"):
        aggregate([1, 5])


def test_hj212_table_8_covered() -> None:
    # every 2017 data flag of HJ 212-2017 Table 8 has an entry (hj212.md §4.4)
    assert set("NFMSDCTB") <= set(DEVICE_FLAGS)
    f = device_flag_test(["N", "F", "M", "S", "D", "C", "T", "B", None, "X"])
    assert f.tolist() == [1, 4, 4, 3, 4, 4, 3, 4, 2, 3]


def test_valid_for_statistics() -> None:
    flags = [1, 2, 3, 4, 9, 1, 1, 1, 1]
    dev = ["N", None, "T", "N", "N", "M", "C", "S", "Z"]
    assert valid_for_statistics(flags, dev).tolist() == [True, True, True, False, False,
                                                         False, False, True, False]
    assert valid_for_statistics([1, 4]).tolist() == [True, False]


def test_default_config_and_version_stable() -> None:
    a, b = default_config(), default_config()
    assert a.version == b.version and a.version.startswith("qc-")
    cfg = a.object_types["air_station"].factor("a34004", "hour")
    assert cfg is not None and cfg.gross_range is not None
    assert cfg.gross_range.fail_span == (0.0, 1000.0)  # HJ 653-2013 range
    changed = load_config({"extends": "default", "object_types": {"air_station": {"factors": {
        "a34004": {"spike": {"suspect_threshold": 90, "fail_threshold": 250}}}}}})
    assert changed.version != a.version


def test_kind_override() -> None:
    cfg = load_config({"object_types": {"air_station": {"factors": {
        "a34004": {"gross_range": {"fail_span": [0, 1000]}},
        "a34004@realtime": {"gross_range": {"fail_span": [0, 2000]}}}}}})
    ot = cfg.object_types["air_station"]
    assert ot.factor("a34004", "realtime").gross_range.fail_span[1] == 2000  # type: ignore[union-attr]
    assert ot.factor("a34004", "hour").gross_range.fail_span[1] == 1000  # type: ignore[union-attr]


@pytest.mark.parametrize(("patch", "where", "what"), [
    ({"a3400x": {}}, "factors", "unknown HJ 212 factor code"),
    ({"a34004@week": {}}, "factors", "unknown kind"),
    ({"a34004": {"gross_range": {"fail_span": [10, 0]}}}, "a34004.gross_range",
     "min 10.0 is above max"),
    ({"a34004": {"spike": {"suspect_threshold": -1, "fail_threshold": 2}}},
     "a34004.spike.suspect_threshold", "greater than 0"),
    ({"a34004": {"flat_line": {"tolerance": 1, "suspect_threshold": 7200,
                               "fail_threshold": 3600}}}, "a34004.flat_line", "fail_threshold"),
    ({"a34004": {"median_filter": {}}}, "a34004.median_filter", "Extra inputs"),
    ({"a34004": {"climatology": {"window_days": 400}}}, "climatology.window_days", "60"),
])
def test_bad_config_rejected(patch: dict, where: str, what: str) -> None:
    with pytest.raises(QCConfigError) as exc:
        load_config({"object_types": {"air_station": {"factors": patch}}})
    assert where in str(exc.value) and what in str(exc.value)


def test_bad_toml_names_line(tmp_path: Path) -> None:
    p = tmp_path / "qc.toml"
    p.write_text('extends = "default"\n'
                 "[object_types.water_station.factors.w01001]\n"
                 "gross_range = { fail_span = [0, 14] }\n"
                 "[object_types.water_station.factors.w21003.spike]\n"
                 "suspect_threshold = 1\n"
                 "fail_threshold = -3\n", encoding="utf-8")
    with pytest.raises(QCConfigError) as exc:
        load_config(p)
    msg = str(exc.value)
    assert "w21003.spike.fail_threshold (line 6)" in msg


def test_good_toml(tmp_path: Path) -> None:
    p = tmp_path / "qc.toml"
    p.write_text("[object_types.air_station.factors.a34004]\n"
                 "gross_range = { fail_span = [0, 1000], suspect_span = [0, 600] }\n",
                 encoding="utf-8")
    cfg = load_config(p)
    assert cfg.object_types["air_station"].factors["a34004"].gross_range.suspect_span == (0, 600)  # type: ignore[union-attr]


def test_none_threshold_in_config_is_an_error_none_test_is_off() -> None:
    """A None threshold is refused naming the field; a None test means "not run" (the config
    layer's only use of None, with the optional rate-of-change fail threshold)."""
    from ecohub.quality import load_config
    from ecohub.quality.config import QCConfigError

    with pytest.raises(QCConfigError, match=r"a34004\.flat_line\.tolerance"):
        load_config({"extends": "default", "object_types": {"air_station": {"factors": {
            "a34004": {"flat_line": {"tolerance": None, "suspect_threshold": 3600,
                                     "fail_threshold": 7200}}}}}})
    off = load_config({"extends": "default", "object_types": {"air_station": {"factors": {
        "a34004": {"flat_line": None}}}}})
    factor = off.object_types["air_station"].factor("a34004", "hour")
    assert factor is not None and factor.flat_line is None and factor.spike is not None
