"""Readings that arrive in files: CSV and Excel exports, lab results, historical back-fill.

:func:`import_readings` reads a CSV (UTF-8, UTF-8 with BOM or GB 18030) or Excel (.xlsx) file in
the long or the wide layout of ``docs/import.md``, checks every row, converts each value to the
unit the store keeps for that factor and object type (the HJ 212 wire unit), stores the good
readings with the gateway's key (mn, factor, kind, period_start, statistic ``Avg``) — so a file
imported twice is stored once — and runs the gateway's streaming quality control on what was
stored. A bad row never costs a good one: each rejected reading is reported with its row number
as the user sees it (the header is row 1), the column, the value and the reason, and can be
written to an error file to be fixed and imported again.

The file is read in chunks (``chunk_rows``), each validated with column expressions, so memory
is bounded by a chunk (plus 16 bytes per row for the duplicate check) whatever the file's size.

An imported reading is told apart from one that came over HJ 212 by its ``packet_id``: null
(every gateway reading names the packet it came in); ``device_flag`` keeps the file's flag and
``received_at`` is the time of the import.

References
----------
.. [S17] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, Table 4 (``DataTime`` is the start of
   the period, local time UTC+8; data flags), Appendix B (factor codes and units).
   See ``docs/reference/sources.md``.
"""

from __future__ import annotations

import codecs
import csv
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pyarrow as pa

from ecohub.store import READING_SCHEMA, Store
from ecohub.vocabulary import (
    CHINA_TZ_NAME,
    FACTORS,
    KINDS,
    unit_factor,
    wire_unit,
)

__all__ = ["ERROR_REASON", "FileError", "ImportResult", "import_readings"]

ERROR_REASON = "错误原因"
"""Header of the reason column in an error file."""

CHUNK_ROWS = 100_000

# Header names accepted per column role (compared without case, spaces or underscores).
HEADERS: dict[str, tuple[str, ...]] = {
    "object": ("object", "objectcode", "code", "对象编码", "对象", "站点编码", "监测对象编码"),
    "mn": ("mn", "设备mn", "设备编码", "数采仪mn"),
    "factor": ("factor", "factorcode", "因子", "因子编码", "监测因子", "污染物"),
    "time": ("time", "datatime", "时间", "监测时间", "数据时间", "采样时间"),
    "value": ("value", "数值", "值", "监测值", "浓度"),
    "unit": ("unit", "单位"),
    "flag": ("flag", "标记", "数据标记", "标识"),
}
_ROLE_OF = {alias: role for role, aliases in HEADERS.items() for alias in aliases}

_NAIVE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d",
                  "%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d")
_AWARE_FORMATS = ("%Y-%m-%d %H:%M:%S%:z", "%Y-%m-%d %H:%M%:z", "%Y-%m-%d %H:%M:%S%.f%:z",
                  "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M%z")
_UTC_US = pl.Datetime("us", "UTC")
_PERIOD_NAME = {"realtime": "an instant", "minute": "a {minutes}-minute period",
                "hour": "an hour", "day": "a day (00:00 CST)"}
_ROLES = ("who", "factor", "time", "value", "unit")
_REPORTED = (*_ROLES, *(f"{role}_col" for role in _ROLES))
"""Columns of a candidate reading kept for its error report: each text and its file header."""


class FileError(ValueError):
    """The file as a whole cannot be read (missing, unreadable encoding, no required column)."""


@dataclass
class ImportResult:
    """What an import read, stored and rejected."""

    path: Path
    layout: str
    """``long`` or ``wide``."""
    encoding: str
    """The text encoding read (``xlsx`` for a workbook)."""
    rows: int = 0
    """Data rows read (the header not counted)."""
    readings: int = 0
    """Valid readings in the file."""
    inserted: int = 0
    """Readings newly stored (0 in a dry run)."""
    checked: int = 0
    """Readings the quality control checked."""
    errors: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=_ERROR_SCHEMA))
    """One row per rejected reading: ``row`` (file row, header = 1), ``column``, ``value``,
    ``reason``; in file order."""
    first: datetime | None = None
    last: datetime | None = None
    """Period starts of the first and last valid reading."""
    dry_run: bool = False
    seconds: float = 0.0

    @property
    def existing(self) -> int:
        """Valid readings that were already stored (a re-import); unknown in a dry run."""
        return 0 if self.dry_run else self.readings - self.inserted


_ERROR_SCHEMA = {"row": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}


# --------------------------------------------------------------------------- the public entry


def import_readings(store: Store, path: str | Path, *, kind: str = "hour",
                    minutes: int | None = None, encoding: str | None = None,
                    dry_run: bool = False, errors_path: str | Path | None = None,
                    quality_control: bool = True, chunk_rows: int = CHUNK_ROWS,
                    progress: Callable[[int, int], object] | None = None) -> ImportResult:
    """Import the readings of a CSV or Excel file (layouts: ``docs/import.md``).

    Parameters
    ----------
    store : Store
        Objects and devices are looked up in its registry; readings go to its measurement store.
    path : path
        ``.csv`` (or any text) or ``.xlsx``.
    kind : str
        Data kind of every reading (:data:`ecohub.vocabulary.KINDS`); the period length follows
        from it, for ``minute`` from ``minutes``.
    minutes : int, optional
        Period length of minute data (the logger's ``MinInterval``, [S17] Table 4).
    encoding : str, optional
        Text encoding of a CSV; default: UTF-8 (with or without BOM) if the file decodes as
        UTF-8, else GB 18030.
    dry_run : bool
        Validate and report; store nothing.
    errors_path : path, optional
        Write the rejected rows, as read, with a column :data:`ERROR_REASON` (``.xlsx`` or
        ``.csv``), to be fixed and imported again. Written only if a row was rejected.
    quality_control : bool
        Run the streaming QC (:class:`ecohub.quality.streaming.QualityControl`) on the stored
        readings.
    chunk_rows : int
        Rows read and validated at once.
    progress : callable(done, total), optional
        Called after each chunk with the data rows read and their total (estimated from the
        size for a CSV).

    Raises
    ------
    FileError
        The file cannot be read at all: missing, not decodable, no data sheet, a required
        column missing, an unknown factor column (wide layout). Nothing was stored.
    ValueError
        A bad ``kind`` or ``minutes``.
    """
    started = time.perf_counter()
    period_s = _period_length(kind, minutes)
    path = Path(path)
    if not path.is_file():
        raise FileError(f"{path}: no such file")
    lookup = _Lookup(store)
    with _open_table(path, encoding, chunk_rows) as table:
        header = table.header
        layout = _Layout.of(header, path)
        result = ImportResult(path, layout.name, table.encoding, dry_run=dry_run)
        seen = pl.DataFrame(schema={"_hash": pl.UInt64, "_first": pl.Int64})
        rejected_rows: list[pl.DataFrame] = []
        errors: list[pl.DataFrame] = []
        received = datetime.now(UTC)
        quality = None
        if quality_control and not dry_run:
            from ecohub.quality.streaming import QualityControl  # QC imports the store, late
            quality = QualityControl(store)
        for raw, done in table.chunks:
            raw = raw.filter(~pl.all_horizontal(  # blank lines are not rows to report
                pl.exclude("row").str.strip_chars().fill_null("") == ""))
            result.rows += raw.height
            good, bad, seen = _validate(layout.readings(raw), lookup, kind, period_s, minutes,
                                        seen)
            if bad.height:
                errors.append(bad)
                rejected_rows.append(raw.join(bad.group_by("row").agg(
                    pl.col("reason").str.join("; ").alias(ERROR_REASON)), on="row"))
            if good.height:
                result.readings += good.height
                lo, hi = good["period_start"].min(), good["period_start"].max()
                result.first = lo if result.first is None else min(result.first, lo)
                result.last = hi if result.last is None else max(result.last, hi)
                if not dry_run:
                    readings = _readings_table(good, kind, period_s, received)
                    inserted = store.measurements.write(readings)
                    result.inserted += inserted
                    if quality is not None and inserted:
                        result.checked += quality.check(readings).readings
            if progress is not None:
                progress(done, max(done, table.rows))
    if errors:
        result.errors = pl.concat(errors).sort("row", maintain_order=True)
    if errors_path is not None and rejected_rows:
        _write_errors(pl.concat(rejected_rows, how="diagonal_relaxed").sort("row"), header,
                      Path(errors_path))
    result.seconds = time.perf_counter() - started
    return result


def _period_length(kind: str, minutes: int | None) -> int:
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
    if kind == "minute":
        if minutes is None or minutes <= 0 or 60 % minutes:
            raise ValueError("minute data needs its period: minutes dividing 60 (1-30), "
                             f"got {minutes}")
        return 60 * minutes
    if minutes is not None:
        raise ValueError(f"minutes apply to minute data only, not to {kind} data")
    period = KINDS[kind].period_s
    assert period is not None
    return period


# --------------------------------------------------------------------------- reading the file


@dataclass
class _Table:
    """A file opened for reading: its header and its data rows in chunks."""

    header: list[str]
    chunks: Iterator[tuple[pl.DataFrame, int]]
    """Chunks of the file's columns as text plus ``row`` (the row number in the file), each
    with the number of data rows read so far."""
    encoding: str
    rows: int
    """Data rows in the file (for a CSV estimated from its size), for progress."""


@contextmanager
def _open_table(path: Path, encoding: str | None, chunk_rows: int) -> Iterator[_Table]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        with _open_workbook(path, chunk_rows) as table:
            yield table
        return
    encoding = _text_encoding(path, encoding)
    with tempfile.TemporaryDirectory(prefix="ecohub-import-") as temp:
        source = path
        if encoding not in ("utf-8", "utf-8-sig"):  # the CSV reader reads UTF-8 only
            source = Path(temp) / "utf8.csv"
            _transcode(path, encoding, source)
        yield _csv_table(path, source, encoding, chunk_rows)


def _csv_table(path: Path, source: Path, encoding: str, chunk_rows: int) -> _Table:
    frame = pl.scan_csv(source, infer_schema=False, truncate_ragged_lines=True)
    try:
        header = frame.collect_schema().names()
    except pl.exceptions.PolarsError as error:
        raise FileError(f"{path}: not a readable CSV file ({_first_line(error)})") from None
    if not header or header == [""]:
        raise FileError(f"{path}: empty file, no header row")
    batches = frame.with_row_index("row", offset=2).with_columns(
        pl.col("row").cast(pl.Int64)).collect_batches(chunk_size=chunk_rows)

    def chunks() -> Iterator[tuple[pl.DataFrame, int]]:
        rows = 0
        try:
            for batch in batches:
                rows += batch.height
                yield batch, rows
        except pl.exceptions.PolarsError as error:
            raise FileError(f"{path}: unreadable CSV after row {rows + 1} "
                            f"({_first_line(error)})") from None

    return _Table(header, chunks(), encoding, _row_estimate(source))


@contextmanager
def _open_workbook(path: Path, chunk_rows: int) -> Iterator[_Table]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # zip, XML or openpyxl's own errors: all "not a workbook"
        raise FileError(f"{path}: not a readable .xlsx workbook ({error})") from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        first = next(rows, None)
        if first is None:
            raise FileError(f"{path}: the first sheet is empty, no header row")
        header = [_cell_text(v) or "" for v in first]
        while header and not header[-1]:
            header.pop()
        width = len(header)

        def chunks() -> Iterator[tuple[pl.DataFrame, int]]:
            block: list[list[str | None]] = []
            numbers: list[int] = []
            for number, values in enumerate(rows, start=2):
                cells = [_cell_text(v) for v in values[:width]]
                block.append(cells + [None] * (width - len(cells)))
                numbers.append(number)
                if len(block) == chunk_rows:
                    yield _frame(numbers, block, header), number - 1
                    block, numbers = [], []
            if block:
                yield _frame(numbers, block, header), numbers[-1] - 1

        yield _Table(header, chunks(), "xlsx", max((sheet.max_row or 1) - 1, 0))
    finally:
        workbook.close()


def _frame(numbers: list[int], block: list[list[str | None]], header: list[str]) -> pl.DataFrame:
    columns = {"row": pl.Series(numbers, dtype=pl.Int64)}
    for i, name in enumerate(header):
        columns[name] = pl.Series([r[i] for r in block], dtype=pl.String)
    return pl.DataFrame(columns)


def _cell_text(value: object) -> str | None:
    """An Excel cell as the text a CSV would hold (naive date-times are CST, as typed)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = str(value).strip()
    return text or None


def _row_estimate(path: Path) -> int:
    """Data rows in a CSV, from its size and the length of its first lines (for progress)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(1 << 16)
    lines = head.count(b"\n")
    return max(1, size * lines // max(len(head), 1) - 1) if lines else 1


def _text_encoding(path: Path, explicit: str | None) -> str:
    """The encoding to read: ``explicit``, else UTF-8 if the whole file decodes so, else GB 18030.

    Excel on Chinese Windows saves "CSV" in GB 18030 (code page 936 is its subset) and
    "CSV UTF-8" with a BOM; both are common.
    """
    if explicit is not None:
        try:
            name = codecs.lookup(explicit).name
        except LookupError:
            raise FileError(f"--encoding {explicit!r}: not a known text encoding") from None
        if name in ("utf-8", "utf-8-sig"):
            _decodes(path, "utf-8", explicit)
        return name
    if _decodes(path, "utf-8", None):
        return "utf-8"
    return "gb18030"


def _decodes(path: Path, encoding: str, explicit: str | None) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as f:
        try:
            while block := f.read(1 << 20):
                decoder.decode(block)
                offset += len(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as error:
            if explicit is None:
                return False
            raise FileError(f"{path}: not {explicit} text (byte {offset + error.start:,}); "
                            "pass the file's --encoding") from None
    return True


def _transcode(path: Path, encoding: str, target: Path) -> None:
    """Copy ``path`` as UTF-8 text, block by block."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as out:
        try:
            while block := src.read(1 << 20):
                out.write(decoder.decode(block))
                offset += len(block)
            out.write(decoder.decode(b"", final=True))
        except UnicodeDecodeError as error:
            raise FileError(f"{path}: neither UTF-8 nor {encoding} text (byte "
                            f"{offset + error.start:,}); save it as CSV UTF-8 or pass "
                            "--encoding") from None


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# --------------------------------------------------------------------------- layouts


def _header_key(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.strip().lstrip("\ufeff")).lower()


_UNIT_IN_HEADER = re.compile(r"^(?P<name>.+?)\s*[（(\[](?P<unit>[^)）\]]*)[)）\]]\s*$")


@dataclass(frozen=True)
class _Layout:
    """Which file column plays which role; for the wide layout the factor columns."""

    name: str
    columns: dict[str, str]
    """role → header as in the file."""
    factor_columns: tuple[tuple[str, str, str | None], ...] = ()
    """Wide layout: (header, factor code, unit in the header or None)."""

    @classmethod
    def of(cls, header: Sequence[str], path: Path) -> _Layout:
        columns: dict[str, str] = {}
        others = []
        for name in header:
            role = _ROLE_OF.get(_header_key(name))
            if role is not None and role not in columns:
                columns[role] = name
            elif name.strip():
                others.append(name)
        if "object" not in columns and "mn" not in columns:
            raise FileError(f"{path}: no object column: expected a column 对象编码 (object) "
                            "or MN")
        if "time" not in columns:
            raise FileError(f"{path}: no time column: expected a column 时间 (time)")
        if "factor" in columns or "value" in columns:
            for role, zh in (("factor", "因子"), ("value", "数值")):
                if role not in columns:
                    raise FileError(f"{path}: long layout without a {role} column: expected "
                                    f"a column {zh} ({role})")
            return cls("long", columns)
        factors, unknown = [], []
        for name in others:
            match = _UNIT_IN_HEADER.match(name.strip())
            label, unit = (match["name"], match["unit"]) if match else (name.strip(), None)
            code = _FACTOR_OF.get(_factor_key(label))
            if code is None:
                unknown.append(name)
            else:
                factors.append((name, code, unit))
        if unknown:
            raise FileError(f"{path}: column(s) {', '.join(map(repr, unknown))}: not a factor "
                            "code or name (wide layout: every other column is a factor)")
        if not factors:
            raise FileError(f"{path}: no factor and value columns: expected 因子 (factor) and "
                            "数值 (value), or one column per factor")
        if "unit" in columns:
            raise FileError(f"{path}: wide layout: give units in the factor headers, "
                            "e.g. PM2.5(µg/m³), not in a 单位 column")
        return cls("wide", columns, tuple(factors))

    def readings(self, raw: pl.DataFrame) -> pl.DataFrame:
        """One row per candidate reading: the row number and the texts read.

        Object, factor, time, value, unit and flag, with the header of each (``*_col``) for
        error reports.
        """
        c = self.columns
        who = "mn" if "mn" in c else "object"
        base = [pl.col("row"), pl.col(c[who]).alias("who"), pl.lit(who).alias("who_kind"),
                pl.lit(c[who]).alias("who_col"), pl.col(c["time"]).alias("time"),
                pl.lit(c["time"]).alias("time_col"),
                (pl.col(c["flag"]) if "flag" in c else pl.lit(None, pl.String)).alias("flag")]
        if self.name == "long":
            return raw.select(*base, pl.col(c["factor"]).alias("factor"),
                              pl.lit(c["factor"]).alias("factor_col"),
                              pl.col(c["value"]).alias("value"),
                              pl.lit(c["value"]).alias("value_col"),
                              (pl.col(c["unit"]) if "unit" in c else pl.lit(None, pl.String))
                              .alias("unit"),
                              pl.lit(c.get("unit", c["value"])).alias("unit_col"))
        # Wide: the factor and its unit are in the header, so their errors name that column.
        parts = [raw.select(*base, pl.lit(code).alias("factor"), pl.lit(name).alias("factor_col"),
                            pl.col(name).alias("value"), pl.lit(name).alias("value_col"),
                            pl.lit(unit, pl.String).alias("unit"), pl.lit(name).alias("unit_col"))
                 .filter(pl.col("value").str.strip_chars() != "")
                 for name, code, unit in self.factor_columns]
        return pl.concat(parts).sort("row", maintain_order=True)


def _factor_key(label: str) -> str:
    return re.sub(r"[\s_]", "", label).lower().replace("₂", "2").replace("₃", "3")


def _factor_aliases() -> dict[str, str]:
    """Code, Chinese name and symbol of each factor → code.

    Names that two factors share are left out (ambiguous); codes always win.
    """
    aliases: dict[str, set[str]] = {}
    for factor in FACTORS.values():
        for label in (factor.name_zh, factor.symbol):
            if label:
                aliases.setdefault(_factor_key(label), set()).add(factor.code)
    out = {key: next(iter(codes)) for key, codes in aliases.items() if len(codes) == 1}
    out.update({_factor_key(code): code for code in FACTORS})
    return out


_FACTOR_OF = _factor_aliases()


# --------------------------------------------------------------------------- validation


class _Lookup:
    """The registry as lookup tables: object code or MN → device; factor names → codes."""

    def __init__(self, store: Store) -> None:
        devices = store.registry.devices()
        by_code: dict[str, list] = {}
        for device in devices.values():
            by_code.setdefault(device.object_code, []).append(device)
        rows = [(mn, "mn", d.mn, d.object_id, d.object_type, None) for mn, d in devices.items()]
        for code, ds in by_code.items():
            if len(ds) == 1:
                d = ds[0]
                rows.append((code, "object", d.mn, d.object_id, d.object_type, None))
            else:
                rows.append((code, "object", None, None, None,
                             f"object code {code!r} has {len(ds)} data loggers "
                             f"({', '.join(sorted(x.mn for x in ds))}): give the MN instead"))
        # An object column may also hold MNs ("object code or MN").
        rows += [(mn, "object", d.mn, d.object_id, d.object_type, None)
                 for mn, d in devices.items() if mn not in by_code]
        self.devices = pl.DataFrame(rows, orient="row", schema={
            "who": pl.String, "who_kind": pl.String, "mn": pl.String, "object_id": pl.Int64,
            "object_type": pl.String, "who_error": pl.String})
        self.factors = pl.DataFrame({"_factor_key": list(_FACTOR_OF),
                                     "code": list(_FACTOR_OF.values())})
        self._units: dict[tuple[str, str, str], float | str] = {}

    def unit_scales(self, combos: pl.DataFrame) -> pl.DataFrame:
        """Per (unit, code, object_type): ``_scale`` to the wire unit or ``_unit_error``."""
        rows = []
        for unit, code, object_type in combos.iter_rows():
            key = (unit, code, object_type)
            if key not in self._units:
                self._units[key] = _unit_scale(unit, code, object_type)
            got = self._units[key]
            rows.append((*key, got if isinstance(got, float) else None,
                         got if isinstance(got, str) else None))
        return pl.DataFrame(rows, orient="row", schema={
            "_unit": pl.String, "code": pl.String, "object_type": pl.String,
            "_scale": pl.Float64, "_unit_error": pl.String})


def _unit_scale(unit: str | None, code: str, object_type: str) -> float | str:
    """Multiplier from ``unit`` to the wire unit of ``code`` at ``object_type``, or why not.

    No unit means the wire unit.
    """
    target = wire_unit(code, object_type)
    if unit is None or not unit.strip():
        return 1.0
    try:
        return unit_factor(unit, target)
    except ValueError:
        return (f"unit {unit} cannot be converted to {target or 'no unit'}, the unit of "
                f"{code} for object type {object_type}")


def _parse_times(text: pl.Expr) -> pl.Expr:
    """Date-times as UTC: with their zone if they carry one, else China Standard Time."""
    t = (text.str.strip_chars().str.replace_all("/", "-").str.replace("T", " ")
         .str.replace(r"\s*Z$", "+00:00"))
    aware = pl.coalesce([t.str.to_datetime(f, strict=False, time_unit="us", time_zone="UTC")
                         for f in _AWARE_FORMATS])
    naive = pl.coalesce([t.str.to_datetime(f, strict=False, time_unit="us")
                         for f in _NAIVE_FORMATS])
    local = naive.dt.replace_time_zone(CHINA_TZ_NAME, non_existent="null").dt.convert_time_zone(
        "UTC")
    return pl.coalesce([aware, local])


def _validate(candidates: pl.DataFrame, lookup: _Lookup, kind: str, period_s: int,
              minutes: int | None, seen: pl.DataFrame
              ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Split candidate readings into good ones and errors (first failed check per reading).

    Returns the good readings (mn, object_id, factor, period_start, value, device_flag), the
    errors (row, column, value, reason) and ``seen`` extended with the good readings' keys.
    """
    f = (candidates
         .with_columns(who=pl.col("who").str.strip_chars(),
                       _factor_key=pl.col("factor").str.replace_all(r"[\s_]", "")
                       .str.to_lowercase().str.replace_all("₂", "2").str.replace_all("₃", "3"),
                       period_start=_parse_times(pl.col("time")),
                       number=pl.col("value").str.strip_chars().str.replace_all(",", "")
                       .cast(pl.Float64, strict=False),
                       _unit=pl.col("unit").str.strip_chars().fill_null(""))
         .join(lookup.devices, on=["who", "who_kind"], how="left", maintain_order="left")
         .join(lookup.factors, on="_factor_key", how="left", maintain_order="left"))
    combos = f.filter(pl.col("mn").is_not_null() & pl.col("code").is_not_null()) \
        .select("_unit", "code", "object_type").unique()
    f = f.join(lookup.unit_scales(combos), on=["_unit", "code", "object_type"], how="left",
               maintain_order="left")
    local = pl.col("period_start").dt.convert_time_zone(CHINA_TZ_NAME)
    on_boundary = {
        "realtime": pl.lit(True),
        "minute": (local.dt.minute() % (minutes or 1) == 0) & (local.dt.second() == 0)
        & (local.dt.microsecond() == 0),
        "hour": (local.dt.minute() == 0) & (local.dt.second() == 0)
        & (local.dt.microsecond() == 0),
        "day": (local.dt.hour() == 0) & (local.dt.minute() == 0) & (local.dt.second() == 0)
        & (local.dt.microsecond() == 0),
    }[kind]
    reason = (
        pl.when(pl.col("who").fill_null("") == "")
        .then(pl.struct(c=pl.lit("who"), r=pl.lit("no object code or MN")))
        .when(pl.col("who_error").is_not_null())
        .then(pl.struct(c=pl.lit("who"), r=pl.col("who_error")))
        .when(pl.col("mn").is_null())
        .then(pl.struct(c=pl.lit("who"), r=pl.format(
            "{} {} is not registered", pl.when(pl.col("who_kind") == "mn").then(pl.lit("MN"))
            .otherwise(pl.lit("object code")), pl.col("who"))))
        .when(pl.col("code").is_null())
        .then(pl.struct(c=pl.lit("factor"), r=pl.format(
            "factor {} is not an HJ 212-2017 factor code, Chinese name or symbol",
            pl.col("factor").fill_null("(empty)"))))
        .when(pl.col("period_start").is_null())
        .then(pl.struct(c=pl.lit("time"), r=pl.format(
            "time {} is not a date-time (expected e.g. 2026-11-01 10:00, CST unless a zone "
            "is given)", pl.col("time").fill_null("(empty)"))))
        .when(~on_boundary)
        .then(pl.struct(c=pl.lit("time"), r=pl.lit(
            f"time is not the start of {_PERIOD_NAME[kind].format(minutes=minutes)}")))
        .when(pl.col("number").is_null() | pl.col("number").is_nan()
              | pl.col("number").is_infinite())
        .then(pl.struct(c=pl.lit("value"), r=pl.format(
            "value {} is not a number", pl.col("value").fill_null("(empty)"))))
        .when(pl.col("_unit_error").is_not_null())
        .then(pl.struct(c=pl.lit("unit"), r=pl.col("_unit_error")))
    )
    f = f.with_columns(_why=reason)
    good = f.filter(pl.col("_why").is_null())
    # Duplicates: the same key as an earlier valid row, in this chunk or before.
    good = good.with_columns(_hash=pl.struct("mn", "code", "period_start").hash(2026))
    first_in_chunk = good.group_by("_hash").agg(_first_here=pl.col("row").min())
    good = (good.join(first_in_chunk, on="_hash", how="left", maintain_order="left")
            .join(seen, on="_hash", how="left", maintain_order="left")
            .with_columns(_dup_of=pl.coalesce("_first", pl.when(
                pl.col("_first_here") != pl.col("row")).then(pl.col("_first_here")))))
    duplicates = good.filter(pl.col("_dup_of").is_not_null())
    good = good.filter(pl.col("_dup_of").is_null())
    seen = pl.concat([seen, good.select("_hash", _first=pl.col("row"))])

    errors = pl.concat([
        f.filter(pl.col("_why").is_not_null()).select(
            "row", pl.col("_why").struct.field("c").alias("_role"),
            pl.col("_why").struct.field("r").alias("reason"),
            *_REPORTED),
        duplicates.select(
            "row", pl.lit("time").alias("_role"),
            pl.format("duplicate: same object, factor and time as row {}", pl.col("_dup_of"))
            .alias("reason"), *_REPORTED),
    ])
    def of_role(suffix: str) -> pl.Expr:
        expr = pl.col(f"value{suffix}")
        for role in ("who", "factor", "time", "unit"):
            expr = pl.when(pl.col("_role") == role).then(pl.col(f"{role}{suffix}")) \
                .otherwise(expr)
        return expr

    errors = errors.select("row", column=of_role("_col"), value=of_role(""), reason="reason") \
        .sort("row", maintain_order=True)
    good = good.select("mn", "object_id", factor="code", period_start="period_start",
                       value=pl.col("number") * pl.col("_scale").fill_null(1.0),
                       device_flag=pl.col("flag").str.strip_chars().replace("", None)
                       .fill_null("N"))
    return good, errors, seen


def _readings_table(good: pl.DataFrame, kind: str, period_s: int, received: datetime
                    ) -> pa.Table:
    frame = good.select(
        "mn", "object_id", "factor", kind=pl.lit(kind), period_start="period_start",
        period_s=pl.lit(period_s, pl.Int32), statistic=pl.lit("Avg"), value="value",
        device_flag="device_flag", received_at=pl.lit(received, _UTC_US),
        packet_id=pl.lit(None, pl.String))
    return frame.to_arrow().cast(READING_SCHEMA)


# --------------------------------------------------------------------------- the error file


def _write_errors(rows: pl.DataFrame, header: Sequence[str], path: Path) -> None:
    """The rejected rows as read (file columns, then 错误原因), to fix and import again."""
    columns = [c for c in header if c in rows.columns]
    out = rows.select(*columns, ERROR_REASON)
    if path.suffix.lower() == ".xlsx":
        out.write_excel(path, worksheet="错误行", autofit=False)
    else:  # UTF-8 with BOM: what Excel on Windows opens as Unicode
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(out.columns)
            writer.writerows(out.iter_rows())
