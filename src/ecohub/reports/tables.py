"""Tables out for people: Excel workbooks, CSV files and terminal tables.

Tables are polars DataFrames. Cells that files cannot hold as such are written as text: lists
(e.g. the primary pollutants) joined by "," and timezone-aware datetimes as local wall time,
with the zone in the column name (``period_start`` in China Standard Time becomes
``period_start (Asia/Shanghai)``), since neither Excel nor CSV readers keep a zone.

Every Excel workbook of ecohub is written here (:func:`excel_workbook`, :func:`add_sheet`), so
the assessment exports and the quality-score workbook share one cell format: a bold, filled
header row, panes frozen below it, an autofilter over the table and columns fitted to their
text (CJK characters count double).

Assessment exports are published (:func:`ecohub.reports.labels.publish`): Chinese sheet names
and headers with units, values rounded per GB/T 8170 to the digits the standards publish, a
title row naming the standards' edition and stage. ``raw=True`` writes the result columns as
computed (machine names, full precision) for programs.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import polars as pl
from rich.table import Table
from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

from ecohub.reports.labels import edition_text, publish, sheet_name

__all__ = ["EXCEL_MAX_ROWS", "add_published_sheet", "add_sheet", "display_width",
           "excel_workbook", "flat", "to_rich_table", "write_tables"]

EXCEL_MAX_ROWS = 1_048_576
"""Rows of an Excel worksheet (the header takes one)."""

_SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = set("[]:*?/\\")
_AUTOFIT_MAX_ROWS = 10_000  # autofit reads every cell: skip it for long sheets


def flat(frame: pl.DataFrame) -> pl.DataFrame:
    """The table with every cell one a file can hold.

    Lists are joined as text, zoned datetimes become naive local time (the zone goes into the
    column name), NaN becomes null and other nested values their text.

    Parameters
    ----------
    frame : polars.DataFrame

    Returns
    -------
    polars.DataFrame
        The same rows; only list, zoned datetime, float and nested columns change.

    Examples
    --------
    >>> import datetime as dt
    >>> frame = pl.DataFrame({
    ...     "primary": [["PM2.5", "O3"]], "aqi": [float("nan")],
    ...     "at": [dt.datetime(2026, 3, 1, 0, tzinfo=dt.UTC)],
    ... }).with_columns(pl.col("at").dt.convert_time_zone("Asia/Shanghai"))
    >>> flat(frame).columns
    ['primary', 'aqi', 'at (Asia/Shanghai)']
    >>> flat(frame).row(0)
    ('PM2.5,O3', None, datetime.datetime(2026, 3, 1, 8, 0))
    """
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
    tables: Mapping[str, pl.DataFrame], path: str | os.PathLike[str], *, raw: bool = False,
    period: str | None = None,
) -> list[Path]:
    """Write assessment tables to ``path``; the format follows the extension.

    * ``.xlsx``: one workbook, one worksheet per table, named in Chinese
      (:data:`ecohub.reports.labels.TABLES`); row 1 is the title (table, period, standards
      with edition and stage), row 2 the styled header, panes frozen below it, autofilter on.
    * ``.csv``: the first (main) table to ``path``, each further table to
      ``<stem>_<sheet name>.csv`` beside it (``air.csv``, ``air_城市时段评价.csv``), UTF-8 with a
      byte-order mark so Excel on Chinese Windows opens it; the header is the first line.

    Published (default): Chinese headers with units and values rounded per GB/T 8170 to the
    published digits (:func:`ecohub.reports.labels.publish`).

    Parameters
    ----------
    tables : mapping of name → polars.DataFrame
        In order, the main table first (``Assessment.tables()`` gives them so).
    path : str or path-like
        Target file; its directory must exist.
    raw : bool, default False
        Write the result columns as computed instead: machine names, full precision, no title
        row, sheets and files named after the tables (``air_city_daily``).
    period : str, optional
        Text of the assessed period for the title rows, e.g. ``"2026-12-01 至 2026-12-01"``.

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
        _write_xlsx(tables, target, raw=raw, period=period)
        return [target]
    if suffix == ".csv":
        return _write_csv(tables, target, raw=raw)
    raise ValueError(
        f"output {str(target)!r}: extension {target.suffix or '(none)'!r} is not supported; "
        "expected .xlsx (one sheet per table) or .csv"
    )


def _sheet_name(name: str) -> str:
    clean = "".join("_" if c in _SHEET_FORBIDDEN else c for c in name).strip("'")
    return clean[:_SHEET_NAME_MAX] or "table"


def _display_name(name: str, raw: bool) -> str:
    return name if raw else sheet_name(name)


def _write_xlsx(tables: Mapping[str, pl.DataFrame], target: Path, *, raw: bool,
                period: str | None) -> None:
    seen: dict[str, str] = {}
    for name in tables:
        sheet = _sheet_name(_display_name(name, raw))
        if sheet.lower() in seen:
            raise ValueError(
                f"tables {seen[sheet.lower()]!r} and {name!r} both become worksheet {sheet!r}; "
                "expected table names that differ in their first 31 characters"
            )
        seen[sheet.lower()] = name
    with excel_workbook(target) as book:
        for name, frame in tables.items():
            if raw:
                add_sheet(book, name, frame)
                continue
            title = "　".join(t for t in (sheet_name(name), period,
                                         edition_text(frame, name)) if t)
            add_published_sheet(book, sheet_name(name), frame, title=title)


def add_published_sheet(book: Workbook, name: str, frame: pl.DataFrame, *,
                        title: str | None = None) -> tuple[Worksheet, pl.DataFrame]:
    """Write a result table as published: Chinese headers with units, values rounded.

    :func:`ecohub.reports.labels.publish` of the table, each rounded column shown with its
    published digits (a trailing zero is a published digit: 1.0 mg/m³), through
    :func:`add_sheet`.

    Returns
    -------
    (Worksheet, polars.DataFrame)
        The worksheet and the published table written (its column ``j`` is the sheet's).
    """
    published, digits = publish(flat(frame))
    sheet = add_sheet(book, name, published, title=title,
                      column_formats={c: _number_format(d) for c, d in digits.items()})
    return sheet, published


def _number_format(decimals: int) -> str:
    return "0" if decimals <= 0 else "0." + "0" * decimals


@contextmanager
def excel_workbook(path: str | os.PathLike[str]) -> Iterator[Workbook]:
    """An xlsxwriter workbook that appears at ``path`` only once it is complete.

    The workbook is written to ``<path>.partial`` and renamed when the block ends, so a failure
    never leaves half a workbook behind (nor a partial file).

    Parameters
    ----------
    path : str or path-like
        Target ``.xlsx`` file; its directory must exist.

    Yields
    ------
    xlsxwriter.Workbook
        Add sheets with :func:`add_sheet` (tables) or ``add_worksheet`` (free-form text).
    """
    target = Path(path)
    partial = target.with_name(target.name + ".partial")
    try:
        with Workbook(str(partial)) as book:
            yield book
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)


def add_sheet(book: Workbook, name: str, frame: pl.DataFrame, *,
              column_formats: Mapping[str, str] | None = None,
              title: str | None = None) -> Worksheet:
    """Write one table as one worksheet: an optional title row, a header row, the cells.

    The header is bold on a light fill, panes are frozen below it, an autofilter covers the
    table; dates show as ``yyyy-mm-dd``, datetimes as ``yyyy-mm-dd hh:mm``; columns are as wide
    as their text (sampled from the first 10 000 rows, CJK characters counted double, at most
    60 characters).

    Parameters
    ----------
    book : xlsxwriter.Workbook
        From :func:`excel_workbook`.
    name : str
        Worksheet name; characters Excel forbids become "_", cut to 31 characters.
    frame : polars.DataFrame
    column_formats : mapping of column → Excel number format, optional
        E.g. ``{"score": "0.0%"}``; columns are named as in ``frame``.
    title : str, optional
        Written bold in row 1 (the header then is row 2).

    Returns
    -------
    xlsxwriter.worksheet.Worksheet

    Raises
    ------
    ValueError
        The table has more rows than a worksheet holds below its header.
    """
    top = 1 if title else 0
    if frame.height + top >= EXCEL_MAX_ROWS:
        raise ValueError(
            f"table {name!r} has {frame.height} rows: an Excel worksheet holds "
            f"{EXCEL_MAX_ROWS - 1 - top} below its header; write .csv or narrow the period"
        )
    cells = flat(frame)
    sheet = book.add_worksheet(_sheet_name(name))
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1,
                              "text_wrap": True, "valign": "vcenter"})
    formats = dict(column_formats or {})
    if title:
        sheet.write_string(0, 0, title, book.add_format({"bold": True, "font_size": 13}))
    widths = []
    for j, (column, dtype) in enumerate(cells.schema.items()):
        sheet.write_string(top, j, column, header)
        if isinstance(dtype, pl.Datetime):
            number = "yyyy-mm-dd hh:mm"
        elif dtype == pl.Date:
            number = "yyyy-mm-dd"
        else:
            number = formats.get(column)
        cell_format = book.add_format({"num_format": number}) if number else None
        values = cells[column].to_list()
        sample = values[:_AUTOFIT_MAX_ROWS]
        width = max([display_width(column)] + [
            16 if isinstance(dtype, pl.Datetime) else 10 if dtype == pl.Date
            else display_width(str(v)) for v in sample if v is not None])
        widths.append(min(width + 2, 60))
        if dtype.is_numeric():
            for i, v in enumerate(values, start=top + 1):
                if v is None:
                    continue
                sheet.write_number(i, j, v, cell_format)
        elif isinstance(dtype, pl.Datetime | pl.Date):
            for i, v in enumerate(values, start=top + 1):
                if v is not None:
                    sheet.write_datetime(i, j, v, cell_format)
        else:
            for i, v in enumerate(values, start=top + 1):
                if v is None or v == "":
                    continue  # an empty cell, as Excel writes it
                if isinstance(v, bool):
                    sheet.write_boolean(i, j, v)
                else:
                    sheet.write_string(i, j, str(v))
    for j, width in enumerate(widths):
        sheet.set_column(j, j, width)
    sheet.set_row(top, None, None)
    sheet.freeze_panes(top + 1, 0)
    if cells.width:
        sheet.autofilter(top, 0, top + cells.height, cells.width - 1)
    return sheet


def display_width(text: str) -> int:
    """Terminal / spreadsheet columns of ``text``: East Asian wide characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _write_csv(tables: Mapping[str, pl.DataFrame], target: Path, *, raw: bool) -> list[Path]:
    names = list(tables)
    stem = target.stem
    paths = [target] + [
        target.with_name(f"{stem}_{_csv_part(_display_name(n, raw), stem)}{target.suffix}")
        for n in names[1:]
    ]
    if len(set(paths)) != len(paths):
        raise ValueError(f"tables {names}: two of them map to the same CSV file name")
    for name, file in zip(names, paths, strict=True):
        frame = flat(tables[name])
        if not raw:
            published, digits = publish(frame)
            # Fixed decimals as published (a trailing zero is a published digit: 1.0 mg/m³).
            frame = published.with_columns(
                pl.col(c).map_elements(lambda v, d=d: f"{v:.{d}f}", return_dtype=pl.String)
                for c, d in digits.items() if d > 0 and published[c].dtype.is_float()
            )
        frame.write_csv(file, include_bom=True)
    return paths


def _csv_part(name: str, stem: str) -> str:
    """A table's part of a CSV file name, without repeating the stem (``air`` + ``air_x``)."""
    for prefix in (f"{stem}_", f"{stem.split('_')[0]}_"):
        if name.lower().startswith(prefix.lower()) and len(name) > len(prefix):
            return name[len(prefix):]
    return "".join("_" if c in _SHEET_FORBIDDEN else c for c in name)


def to_rich_table(frame: pl.DataFrame, title: str | None = None, *, max_rows: int = 50,
                  float_digits: int = 1) -> Table:
    """A ``rich`` table of a frame for the terminal (``rich.print(to_rich_table(...))``).

    Parameters
    ----------
    frame : polars.DataFrame
    title : str, optional
    max_rows : int
        Rows shown; the caption says how many more were left out.
    float_digits : int
        Decimals of float cells.

    Returns
    -------
    rich.table.Table
        Cells as in :func:`flat`, nulls as "—", numbers right-aligned.
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
