"""Quality scores on hand-made data whose answers are counted by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import openpyxl
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from ecohub.cli import app
from ecohub.governance.quality_scores import WEIGHTS, quality_scores
from ecohub.quality import default_config
from ecohub.quality.rechecks import recheck
from ecohub.store import READING_SCHEMA, ObjectSpec, Store, open_store

DAY = datetime(2024, 2, 29, 16, 0, tzinfo=UTC)  # 2024-03-01 00:00 China Standard Time
END = DAY + timedelta(days=1)
HOURS = [h for h in range(24) if h not in (20, 21, 22, 23)]  # 20 of 24 hours arrive
LATE = (5, 10)  # received 2 h after the hour ended (limit 1 h, HJ 633-2026 §5.2)
FAULT = 7       # device flag D (instrument fault, HJ 212-2017 Table 8)


def row(mn: str, obj: int, kind: str, start: datetime, period_s: int, value: float,
        delay: timedelta = timedelta(minutes=5), flag: str = "N") -> dict:
    return {"mn": mn, "object_id": obj, "factor": "a34004", "kind": kind, "period_start": start,
            "period_s": period_s, "statistic": "Avg", "value": value, "device_flag": flag,
            "received_at": start + timedelta(seconds=period_s) + delay,
            "packet_id": f"{mn}-{kind}-{start:%H%M}"}


def fill(store: Store) -> tuple[int, int]:
    station, silent = store.registry.add_objects([
        ObjectSpec(code="A1", name="合肥市长江中路", object_type="air_station",
                   department="合肥市生态环境监测中心"),
        ObjectSpec(code="A2", name="芜湖市监测站", object_type="air_station",
                   department="芜湖市生态环境监测中心")])
    store.registry.add_device("M1", station, "1", ["a34004"], minute_interval=30)
    store.registry.add_device("M2", silent, "1", ["a34004"], minute_interval=30)
    rows = [row("M1", station, "hour", DAY + timedelta(hours=h), 3600, 30.0 + h % 3,
                delay=timedelta(hours=2) if h in LATE else timedelta(minutes=5),
                flag="D" if h == FAULT else "N") for h in HOURS]
    rows.append(row("M1", station, "day", DAY, 86400, 31.0, delay=timedelta(hours=1)))
    # 24 of the 48 half-hour minute values (minute_interval 30 -> 1440 / 30 per day)
    rows += [row("M1", station, "minute", DAY + timedelta(minutes=30 * i), 1800,
                30.0 + (i // 2) % 3)
             for i in range(0, 48, 2)]
    # real-time data never count
    rows.append(row("M1", station, "realtime", DAY, 0, 30.0, delay=timedelta(days=3)))
    store.measurements.write(pa.Table.from_pylist(rows, schema=READING_SCHEMA))
    return station, silent


@pytest.fixture
def store(tmp_path):
    with open_store(data_dir=tmp_path, migrate=True) as opened:
        fill(opened)
        yield opened


def test_hand_counted_scores_by_object(store) -> None:
    s = {r["object_code"]: r for r in quality_scores(store, DAY, END, by="object").to_dicts()}
    a = s["A1"]
    assert (a["completeness_hour"], a["completeness_day"], a["completeness_minute"]) == (
        20 / 24, 1.0, 24 / 48)
    assert a["completeness"] == pytest.approx((20 / 24 + 1.0 + 0.5) / 3)
    assert (a["expected"], a["received"], a["readings"]) == (24 + 1 + 48, 20 + 1 + 24, 45)
    assert a["timeliness"] == pytest.approx(43 / 45)         # the two late hours
    assert a["validity"] == pytest.approx(44 / 45)           # the D-flagged hour (no QC yet)
    assert a["consistency"] is None and a["checked"] == 0    # nothing checked yet
    w = WEIGHTS
    expected_score = ((w["completeness"] * a["completeness"] + w["timeliness"] * 43 / 45
                       + w["validity"] * 44 / 45)
                      / (w["completeness"] + w["timeliness"] + w["validity"]))
    assert a["score"] == pytest.approx(expected_score)
    silent = s["A2"]
    assert silent["completeness"] == 0.0 and silent["readings"] == 0
    assert silent["timeliness"] is None and silent["score"] == 0.0
    assert silent["object_type"] == "空气站"


def test_consistency_after_qc_and_department_grouping(store) -> None:
    recheck(store, default_config(), DAY - timedelta(days=1), END + timedelta(days=1))
    d = {r["department"]: r for r in quality_scores(store, DAY, END).to_dicts()}
    hefei = d["合肥市生态环境监测中心"]
    # each late hour arrived after the next hour had arrived: order test SUSPECT
    assert hefei["checked"] == 45 and hefei["consistency"] == pytest.approx(43 / 45)
    # automatic QC agrees with the device: the D reading fails, the rest is valid
    assert hefei["validity"] == pytest.approx(44 / 45)
    assert d["芜湖市生态环境监测中心"]["completeness"] == 0.0
    by_factor = quality_scores(store, DAY, END, by="factor").to_dicts()
    # the App. B name (ecohub.vocabulary)
    assert [(r["factor"], r["factor_name"]) for r in by_factor] == [("a34004", "细微颗粒物PM2.5")]
    # two stations registered for PM2.5, one silent: expected doubles, received does not
    assert by_factor[0]["completeness_hour"] == pytest.approx(20 / 48)


def test_days_and_months_are_china_standard_time(store) -> None:
    days = quality_scores(store, DAY - timedelta(days=1), END, by="object", period="day")
    a1 = days.filter(days["object_code"] == "A1")
    assert [str(d) for d in a1["period"]] == ["2024-02-29", "2024-03-01"]
    assert a1["readings"].to_list() == [0, 45]
    assert a1["completeness_hour"].to_list() == [0.0, 20 / 24]
    months = quality_scores(store, DAY - timedelta(days=1), END, period="month")
    assert sorted({str(m) for m in months["period"]}) == ["2024-02-01", "2024-03-01"]
    with pytest.raises(ValueError, match="by='city'"):
        quality_scores(store, DAY, END, by="city")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        quality_scores(store, DAY.replace(tzinfo=None), END)


def test_cli_report_and_excel_export(tmp_path) -> None:
    data = tmp_path / "data"
    with open_store(data_dir=data, migrate=True) as store:
        fill(store)
    out = tmp_path / "report.xlsx"
    result = CliRunner().invoke(app, ["quality", "report", "--from", "2024-03-01", "--to",
                                      "2024-03-01", "--by", "object", "--out", str(out),
                                      "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    # A1: completeness (20/24 + 1 + 24/48) / 3 = 77.8 %, validity 44/45 = 97.8 %
    assert "合肥" in result.output and "77.8%" in result.output and "97.8%" in result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["按部门", "按对象", "按因子", "指标说明"]
    sheet = book["按对象"]
    header = [c.value for c in sheet[1]]
    values = {r[header.index("对象代码")]: dict(zip(header, r, strict=True))
              for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert values["A1"]["小时数据完整率"] == pytest.approx(20 / 24)
    assert values["A1"]["有效率"] == pytest.approx(44 / 45)
    notes = [c.value for c in book["指标说明"]["A"]]
    assert "完整率 completeness" in notes and "综合得分 score" in notes


def test_low_scores_are_explained_in_the_report_itself():
    import polars as pl

    from ecohub.governance.quality_scores import explain_scores

    scores = pl.DataFrame({
        "department": ["声环境处", "大气处", "水处"], "period": [None, None, None],
        "completeness_minute": [0.0, 1.0, 1.0], "completeness_hour": [1.0, 1.0, 1.0],
        "completeness_day": [0.0, 1.0, 1.0], "timeliness": [0.9, 0.006, None]})
    notes = explain_scores(scores, "department")
    assert notes == [
        "声环境处：按设备登记应收的分钟数据、日数据一条也未收到，完整率因此偏低（设备未上报此类数据，"
        "或登记的上报频次与实际不符）。",
        "大气处：及时率低于 50%，多数读数晚于质控配置的最大延迟到达（补传、历史回填或集中重放的"
        "数据按迟到计）。"]
    assert explain_scores(scores.filter(pl.col("department") == "水处"), "department") == []
