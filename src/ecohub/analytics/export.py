"""Assessment tables out: Excel workbooks, CSV files and terminal tables.

Tables are polars DataFrames. Cells that files cannot hold as such are written as text: lists
(e.g. the primary pollutants) joined by "," and timezone-aware datetimes as local wall time,
with the zone in the column name (``period_start`` in China Standard Time becomes
``period_start (Asia/Shanghai)``), since neither Excel nor CSV readers keep a zone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import polars as pl
from rich.table import Table
from xlsxwriter import Workbook

EXCEL_MAX_ROWS = 1_048_576
"""Rows of an Excel worksheet (the header takes one)."""

_SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = set("[]:*?/\\")


def flat(frame: pl.DataFrame) -> pl.DataFrame:
    """The table with lists joined as text, zoned datetimes as naive local time and NaN as
    null."""
    columns = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            columns.append(pl.col(name).cast(pl.List(pl.String)).list.join(",").alias(name))
        elif isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            columns.append(
                pl.col(name).dt.replace_time_zone(None).alias(f"{name} ({dtype.time_zone})")
            )
        elif dtype.is_float():
            # NaN is "missing" in the standards' arrays; files show missing as an empty cell.
            columns.append(pl.col(name).fill_nan(None))
        elif isinstance(dtype, pl.Struct | pl.Array | pl.Object):
            columns.append(pl.col(name).map_elements(str, return_dtype=pl.String).alias(name))
        else:
            columns.append(pl.col(name))
    return frame.select(columns)


def write_tables(
    tables: Mapping[str, pl.DataFrame], path: str | os.PathLike[str]
) -> list[Path]:
    """Write assessment tables to ``path``; the format follows the extension.

    * ``.xlsx``: one workbook, one worksheet per table, named after it (xlsxwriter).
    * ``.csv``: the first (main) table to ``path``, each further table to ``<stem>_<name>.csv``
      beside it (UTF-8 with a byte-order mark, so Excel opens Chinese labels correctly).

    Parameters
    ----------
    tables : mapping of name → polars.DataFrame
        In order, the main table first (``Assessment.tables()`` gives them so).
    path : str or path-like
        Target file; its directory must exist.

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    ValueError
        No table, an extension other than ``.xlsx`` / ``.csv``, a table too long for an Excel
        worksheet, or table names that collide as sheet or file names.
    """
    target = Path(path)
    if not tables:
        raise ValueError("tables: nothing to write; expected at least one table")
    suffix = target.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(tables, target)
        return [target]
    if suffix == ".csv":
        return _write_csv(tables, target)
    raise ValueError(
        f"output {str(target)!r}: extension {target.suffix or '(none)'!r} is not supported; "
        "expected .xlsx (one sheet per table) or .csv"
    )


def _sheet_name(name: str) -> str:
    clean = "".join("_" if c in _SHEET_FORBIDDEN else c for c in name).strip("'")
    return clean[:_SHEET_NAME_MAX] or "table"


def _write_xlsx(tables: Mapping[str, pl.DataFrame], target: Path) -> None:
    sheets = {name: _sheet_name(name) for name in tables}
    seen: dict[str, str] = {}
    for name, sheet in sheets.items():
        if sheet.lower() in seen:
            raise ValueError(
                f"tables {seen[sheet.lower()]!r} and {name!r} both become worksheet {sheet!r}; "
                "expected table names that differ in their first 31 characters"
            )
        seen[sheet.lower()] = name
    for name, frame in tables.items():
        if frame.height >= EXCEL_MAX_ROWS:
            raise ValueError(
                f"table {name!r} has {frame.height} rows: an Excel worksheet holds "
                f"{EXCEL_MAX_ROWS - 1} below its header; write .csv or narrow the period"
            )
    # Write to a temporary name first so a failure never leaves half a workbook behind.
    partial = target.with_name(target.name + ".partial")
    with Workbook(str(partial)) as workbook:
        for name, frame in tables.items():
            flat(frame).write_excel(
                workbook, worksheet=sheets[name], autofit=frame.height <= 10_000,
                dtype_formats={pl.Date: "yyyy-mm-dd", pl.Datetime: "yyyy-mm-dd hh:mm"},
            )
    partial.replace(target)


def _write_csv(tables: Mapping[str, pl.DataFrame], target: Path) -> list[Path]:
    names = list(tables)
    paths = [target] + [target.with_name(f"{target.stem}_{n}{target.suffix}") for n in names[1:]]
    if len(set(paths)) != len(paths):
        raise ValueError(f"tables {names}: two of them map to the same CSV file name")
    for name, file in zip(names, paths, strict=True):
        flat(tables[name]).write_csv(file, include_bom=True)
    return paths


def to_rich_table(frame: pl.DataFrame, title: str | None = None, *, max_rows: int = 50,
                  float_digits: int = 1) -> Table:
    """A ``rich`` table of a frame for the terminal (``rich.print(to_rich_table(...))``).

    Floats are shown with ``float_digits`` decimals, nulls as "—", at most ``max_rows`` rows
    (the caption then says how many were left out).
    """
    shown = flat(frame.head(max_rows))
    table = Table(title=title, caption=(
        f"{frame.height - max_rows} more rows not shown" if frame.height > max_rows else None
    ))
    for name, dtype in shown.schema.items():
        table.add_column(name, justify="right" if dtype.is_numeric() else "left")
    formats = [
        (lambda v, d=float_digits: f"{v:.{d}f}") if dtype.is_float() else str
        for dtype in shown.schema.values()
    ]
    for row in shown.iter_rows():
        table.add_row(*("—" if v is None else fmt(v) for fmt, v in zip(formats, row, strict=True)))
    return table
