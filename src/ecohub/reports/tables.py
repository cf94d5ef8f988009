"""Tables out for people: Excel workbooks, CSV files and terminal tables.

Tables are polars DataFrames. Cells that files cannot hold as such are written as text: lists
(e.g. the primary pollutants) joined by "," and timezone-aware datetimes as local wall time,
with the zone in the column name (``period_start`` in China Standard Time becomes
``period_start (Asia/Shanghai)``), since neither Excel nor CSV readers keep a zone.

Every Excel workbook of ecohub is written here (:func:`excel_workbook`, :func:`add_sheet`), so
the assessment exports and the quality-score workbook share one cell format.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import polars as pl
from rich.table import Table
from xlsxwriter import Workbook

__all__ = ["EXCEL_MAX_ROWS", "add_sheet", "excel_workbook", "flat", "to_rich_table",
           "write_tables"]

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
    seen: dict[str, str] = {}
    for name in tables:
        sheet = _sheet_name(name)
        if sheet.lower() in seen:
            raise ValueError(
                f"tables {seen[sheet.lower()]!r} and {name!r} both become worksheet {sheet!r}; "
                "expected table names that differ in their first 31 characters"
            )
        seen[sheet.lower()] = name
    with excel_workbook(target) as book:
        for name, frame in tables.items():
            add_sheet(book, name, frame)


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
              column_formats: Mapping[str, str] | None = None) -> None:
    """Write one table as one worksheet: a header row, then the :func:`flat` cells.

    Dates show as ``yyyy-mm-dd``, datetimes as ``yyyy-mm-dd hh:mm``; columns are fitted to their
    content on sheets of up to 10 000 rows.

    Parameters
    ----------
    book : xlsxwriter.Workbook
        From :func:`excel_workbook`.
    name : str
        Worksheet name; characters Excel forbids become "_", cut to 31 characters.
    frame : polars.DataFrame
    column_formats : mapping of column → Excel number format, optional
        E.g. ``{"score": "0.0%"}``; columns are named as in ``frame``.

    Raises
    ------
    ValueError
        The table has more rows than a worksheet holds below its header.
    """
    if frame.height >= EXCEL_MAX_ROWS:
        raise ValueError(
            f"table {name!r} has {frame.height} rows: an Excel worksheet holds "
            f"{EXCEL_MAX_ROWS - 1} below its header; write .csv or narrow the period"
        )
    flat(frame).write_excel(
        book, worksheet=_sheet_name(name), autofit=frame.height <= _AUTOFIT_MAX_ROWS,
        dtype_formats={pl.Date: "yyyy-mm-dd", pl.Datetime: "yyyy-mm-dd hh:mm"},
        column_formats=dict(column_formats) if column_formats else None,
    )


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
