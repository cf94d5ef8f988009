"""The data-quality score workbook (Excel) and the Chinese labels of the score tables.

One sheet per grouping (department, monitored object, factor) of
:func:`ecohub.governance.quality_scores.quality_scores`, columns labelled in Chinese, shares as
percentages, and a sheet that explains each metric and its weight.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Final

import polars as pl

from ecohub.governance.quality_scores import (
    DIMENSIONS,
    WEIGHTS,
    Period,
    explain_scores,
    quality_scores,
)
from ecohub.quality.config import QCConfig
from ecohub.reports.tables import add_sheet, excel_workbook
from ecohub.store import Store
from ecohub.vocabulary import CHINA_TZ

__all__ = ["EXPLANATIONS", "LABELS", "SHEETS", "write_excel"]

LABELS: Final[dict[str, str]] = {
    "department": "部门", "object_id": "对象编号", "object_code": "对象代码",
    "object_name": "对象名称", "object_type": "对象类型", "factor": "因子代码",
    "factor_name": "因子名称", "period": "时段", "expected": "应收条数", "received": "实收条数",
    "completeness_minute": "分钟数据完整率", "completeness_hour": "小时数据完整率",
    "completeness_day": "日数据完整率", "readings": "读数", "timely": "及时读数",
    "valid": "有效读数", "checked": "已审核读数", "consistent": "一致读数",
    "completeness": "完整率", "timeliness": "及时率", "validity": "有效率",
    "consistency": "一致率", "score": "综合得分",
}
"""Column of the score tables → its Chinese header."""

SHEETS: Final[dict[str, str]] = {"department": "按部门", "object": "按对象", "factor": "按因子"}
"""Grouping → worksheet name."""

EXPLANATIONS: Final = (
    ("完整率 completeness", "实收 / 应收周期数（按设备登记因子与上报频次：小时数据每日 24 条，"
     "日数据每日 1 条，分钟数据每日 1440/间隔 条；实时数据不计），各数据类型等权平均",
     WEIGHTS["completeness"]),
    ("及时率 timeliness", "到达时间 − 周期结束 ≤ 质控配置的最大延迟（小时数据 1 小时，"
     "HJ 633-2026 §5.2），且未早于周期结束超过时钟偏差上限的读数占比", WEIGHTS["timeliness"]),
    ("有效率 validity", "可参与统计的读数占比：人工审核优先，其次自动质控结论，未质控时按设备标记",
     WEIGHTS["validity"]),
    ("一致率 consistency",
     "已质控读数中通过因子间一致性（如 PM2.5 ≤ PM10）、重复与到达顺序检验的占比",
     WEIGHTS["consistency"]),
    ("综合得分 score", "各维度加权平均（缺失维度的权重按比例分摊给其余维度）；权重为 ecohub 设定",
     1.0),
)
"""(metric, definition, weight) rows of the explanation sheet 指标说明."""

def write_excel(store: Store, start: datetime, end: datetime, path: str | Path,
                period: Period = None, *, config: QCConfig | None = None) -> Path:
    """Write the quality scores of [start, end) as an Excel workbook.

    Sheets 按部门, 按对象 and 按因子 hold the scores by department, object and factor (headers
    :data:`LABELS`, shares as percentages, ``period`` as text); sheet 指标说明 explains the
    metrics (:data:`EXPLANATIONS`) and states the period in Beijing time.

    Parameters
    ----------
    store : Store
    start, end : datetime
        Timezone-aware, as for :func:`~ecohub.governance.quality_scores.quality_scores`.
    path : str or Path
        Target ``.xlsx`` file; its directory must exist.
    period : {"day", "month"} or None
        One row per group and CST day / month, or per group for the whole span.
    config : QCConfig, optional
        Source of the timeliness limits; default :func:`ecohub.quality.default_config`.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    reasons: list[str] = []
    with excel_workbook(path) as book:
        for by, sheet in SHEETS.items():
            frame = quality_scores(store, start, end, by=by, period=period,  # type: ignore[arg-type]
                                   config=config)
            if by == "department":
                reasons = explain_scores(frame, by)
            frame = frame.with_columns(pl.col("period").cast(pl.String))
            shares = [c for c in frame.columns
                      if c in DIMENSIONS or c == "score" or c.startswith("completeness_")]
            add_sheet(book, sheet, frame.rename(LABELS, strict=False),
                      column_formats={LABELS[c]: "0.0%" for c in shares})
        notes = book.add_worksheet("指标说明")
        bold = book.add_format({"bold": True})
        notes.write_row(0, 0, ("指标", "定义", "权重"), bold)
        for i, (name, text, weight) in enumerate(EXPLANATIONS, start=1):
            notes.write_row(i, 0, (name, text, weight))
        notes.write(len(EXPLANATIONS) + 2, 0,
                    f"统计区间 {start.astimezone(CHINA_TZ):%Y-%m-%d %H:%M} 至 "
                    f"{end.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}（北京时间，含起不含止）")
        for i, reason in enumerate(reasons or ["（无突出问题）"], start=len(EXPLANATIONS) + 4):
            notes.write(i, 0, "原因提示" if i == len(EXPLANATIONS) + 4 else "", bold)
            notes.write(i, 1, reason)
        notes.set_column(0, 0, 22)
        notes.set_column(1, 1, 90)
    return path
