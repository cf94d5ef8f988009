"""The ``ecohub`` command. Thin: parse arguments, call the domain function, print the result."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperGroup

if TYPE_CHECKING:
    from ecohub.ingest.status import StatusReport
    from ecohub.store import RegistryChange, Store, StoreSettings

from ecohub.errors import NoData, check_directory, check_writable, cst
from ecohub.vocabulary import CHINA_TZ


class _Commands(TyperGroup):
    """The command group that turns known errors into one line (``--debug``: the traceback).

    Every command runs through :meth:`invoke`, so the mapping is in one place
    (:func:`ecohub.errors.describe`) whether ``ecohub`` runs as a program or in a test.
    """

    def invoke(self, ctx: typer.Context) -> object:
        from ecohub.errors import describe

        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            usage = hasattr(error, "show") and hasattr(error, "exit_code")  # a click exception
            if usage or ctx.params.get("debug"):
                raise
            message = describe(error)
            if message is None:  # not a user error: a bug, shown whole
                raise
            typer.echo(f"ecohub: {message}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=_Commands,
    help="ecohub — eco-environment data platform: collect, govern, share and use "
    "environmental data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
console = Console()


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("ecohub")
        except PackageNotFoundError:  # run from a source tree that was never installed
            number = "(not installed)"
        typer.echo(f"ecohub {number}")
        raise typer.Exit()


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option(
        "--debug", envvar="ECOHUB_DEBUG",
        help="Show the traceback of an error, and the migrations' log.")] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")]
    = False,
) -> None:
    """The eco-environment data platform: collect, govern, share and use environmental data.

    An error ends the command with one line saying what was wrong and what is expected
    (exit status 1); --debug also shows the traceback.
    """
    # Alembic logs each revision at INFO: noise for people, useful when debugging.
    logging.getLogger("alembic").setLevel(logging.INFO if debug else logging.WARNING)
    if debug:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")


def main() -> None:
    """The ``ecohub`` program."""
    app()

DataDir = Annotated[
    Path, typer.Option("--data-dir", help="Embedded store directory (SQLite + DuckDB).")
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="ECOHUB_DATABASE_URL",
                 help="Server store, e.g. postgresql+psycopg://user@host/db (else embedded)."),
]


Actor = Annotated[str | None, typer.Option(
    "--by", help="Who makes the change (required; kept in the history).")]
Reason = Annotated[str, typer.Option("--reason", help="Why (kept in the history).")]
AsOf = Annotated[str | None, typer.Option(
    "--as-of", help="The record as it stood then: YYYY-MM-DD (the end of that day) or "
    "YYYY-MM-DDTHH:MM, China Standard Time unless a zone is given.")]


def open_existing_store(database_url: str | None, data_dir: Path, *,
                        registry_only: bool = False) -> Store:
    """The store a command reads or adds to; exit 1 if there is none or it is not migrated.

    The one-line message says where it looked and what to run. ``registry_only``: the command
    needs the registry alone, so it works beside a running gateway on the embedded store.
    """
    from ecohub.store import StoreNotMigrated, open_store

    try:
        return open_store(database_url, data_dir, registry_only=registry_only)
    except StoreNotMigrated as error:
        fail(error)


def migrate_store(database_url: str | None, data_dir: Path) -> StoreSettings:
    """Create the store or bring it to the current schema, and say what was done."""
    from ecohub.store import StoreNotMigrated, migrate
    from ecohub.store.settings import resolve

    settings = resolve(database_url, data_dir)
    try:
        steps = migrate(settings)
    except StoreNotMigrated as error:  # made by a newer ecohub
        fail(error)
    for done in steps:
        console.print(str(done), soft_wrap=True)
    return settings


def fail(error: Exception | str) -> NoReturn:
    """End the command with a one-line message instead of a traceback."""
    typer.echo(f"ecohub: {error}", err=True)
    raise typer.Exit(1)


def parse_date(value: str, option: str) -> date:
    """A date YYYY-MM-DD, a natural day in China; a time of day is refused, not dropped."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; expected YYYY-MM-DD",
                                 param_hint=option) from None
    raise typer.BadParameter(
        f"{value!r} has a time of day; assessments cover whole natural days (CST): "
        "expected YYYY-MM-DD", param_hint=option)


def parse_day(value: str, option: str) -> datetime:
    """A date (YYYY-MM-DD) or date-time in China Standard Time unless it names a zone."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; expected YYYY-MM-DD or YYYY-MM-DDTHH:MM", param_hint=option
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA_TZ)


@app.command()
def demo(
    data_dir: DataDir = Path("ecohub-data"),
    days: Annotated[float, typer.Option(min=0.05, max=31, help="Simulated days.")] = 1.0,
    start: Annotated[str | None, typer.Option(help="Simulated start (CST), default: "
                                              "that many days before today 00:00.")] = None,
    seed: int = 2026,
) -> None:
    """Run simulated HJ 212 loggers of the Anhui demo region through the gateway and report.

    Registers 16 cities' stations, sources and outlets, sends one simulated day over real TCP,
    checks every stored reading, and prints what arrived and where the data is.
    """
    from ecohub.demo import run_demo

    if start is None:
        today = datetime.now(CHINA_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
        begin = today - timedelta(days=days)
    else:
        begin = parse_day(start, "--start")
    console.print(f"[bold]ecohub demo[/]: Anhui, 16 cities; simulated {days:g} days from "
                  f"{begin:%Y-%m-%d %H:%M} CST, seed {seed}")
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        packets = bar.add_task("HJ 212 packets acknowledged", total=None)
        days_checked = bar.add_task("quality control, days checked", total=None)
        result = run_demo(
            data_dir, begin, timedelta(days=days), seed,
            progress=lambda done, total: bar.update(packets, completed=done, total=total),
            qc_progress=lambda done, total: bar.update(days_checked, completed=done,
                                                       total=total),
        )
    sim, gw = result.simulation, result.gateway
    console.print(
        f"{result.devices} data loggers sent {sim.sent:,} frames in {sim.elapsed_s:.1f} s "
        f"({sim.packets:,} good packets, {sim.resent:,} resends, {sim.duplicates:,} duplicates, "
        f"{sum(sim.bad.values()):,} deliberately bad)")
    console.print(
        f"gateway: {gw.packets_stored:,} packets stored, {gw.readings_stored:,} readings, "
        f"{gw.duplicates:,} duplicate readings ignored; reply latency p50 "
        f"{gw.reply_latency_p50:.1f} ms, p99 {gw.reply_latency_p99:.1f} ms")
    table = Table(title="Readings stored, by object type and data kind")
    for column in ("object type", "kind", "objects", "readings"):
        table.add_column(column, justify="right" if column in ("objects", "readings") else "left")
    for row in result.readings_by_type.iter_rows(named=True):
        table.add_row(row["object_type"], row["kind"], f"{row['objects']:,}",
                      f"{row['readings']:,}")
    console.print(table)
    rejected = Table(title="Packets not stored, kept whole with the reason")
    for column in ("disposition", "reason", "packets"):
        rejected.add_column(column)
    for count in result.rejected:
        rejected.add_row(count.disposition, count.reason_kind, f"{count.packets:,}")
    console.print(rejected)
    flags = result.qc_flags.pivot(on="qc_flag", index="object_type", values="readings",
                                  sort_columns=True).fill_null(0)
    qc = Table(title="Automatic quality control (QARTOD flags: 1 pass, 2 not evaluated, "
               "3 suspect, 4 fail, 9 missing)")
    for column in flags.columns:
        qc.add_column("object type" if column == "object_type" else f"flag {column}",
                      justify="left" if column == "object_type" else "right")
    for row in flags.iter_rows():
        qc.add_row(row[0], *(f"{value:,}" for value in row[1:]))
    console.print(qc)
    console.print("The simulated day reached the gateway in one burst after the fact, so quality "
                  "reports score it as late (timeliness); lateness never makes a value suspect.")
    console.print(f"data: {result.where}")
    where = "" if data_dir == Path("ecohub-data") else f" --data-dir {data_dir}"
    console.print(f"next: ecohub assess air --from {begin:%Y-%m-%d} --to {begin:%Y-%m-%d}{where}")
    console.print(f"      ecohub admin init{where}, then ecohub serve{where} and open "
                  "http://127.0.0.1:8000/ (the one map, pages, cockpit)")


@app.command()
def serve(
    host: str = "0.0.0.0",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 2756,
    unknown_mn: Annotated[str, typer.Option(help="reject | quarantine")] = "reject",
    strict: Annotated[bool, typer.Option(
        "--strict", help="Conformance testing: every packet must follow HJ 212 as written "
                         "(default: each logger's protocol profile from the registry).")] = False,
    clock_window: Annotated[float, typer.Option(
        min=1, help="Hours a DataTime may be off its arrival before the packet is flagged "
                    "clock.offset (stored all the same).")] = 24.0,
    idle_timeout: Annotated[float, typer.Option(min=1)] = 600.0,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
    journal_dir: Annotated[
        Path | None,
        typer.Option(help="The gateway's write-ahead journal (one per gateway) "
                          "[default: DATA_DIR/journal, also with PostgreSQL]."),
    ] = None,
    log_level: Annotated[str, typer.Option(
        help="debug | info | warning | error (debug: every packet not stored, with MN and "
             "peer).")] = "info",
    http_port: Annotated[int, typer.Option(min=0, max=65535,
                                           help="The HTTP service's port.")] = 8000,
    http_host: Annotated[str, typer.Option(help="The HTTP service's address.")] = "0.0.0.0",
    gateway: Annotated[bool, typer.Option(help="Run the HJ 212 gateway.")] = True,
    http: Annotated[bool, typer.Option(help="Run the HTTP service (/api/v1).")] = True,
    log_json: Annotated[bool, typer.Option(
        "--log-json", help="Log one JSON object per line (for log collectors).")] = False,
    basemap: Annotated[Path | None, typer.Option(
        "--basemap", help="A PMTiles basemap the web map draws under its layers (no online "
        "basemap is ever fetched).")] = None,
) -> None:
    """Run the HJ 212 gateway and the HTTP service over one store until interrupted."""
    import uvloop

    from ecohub.ingest.hj212_server import GatewayConfig
    from ecohub.quality.streaming import QualityControl
    from ecohub.server import HttpConfig, JsonLogFormatter
    from ecohub.server import serve as serve_both
    from ecohub.store import Store

    levels = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
              "error": logging.ERROR}
    if log_level.lower() not in levels:
        raise typer.BadParameter(f"{log_level!r}; expected one of {', '.join(levels)}",
                                 param_hint="--log-level")
    logging.basicConfig(level=levels[log_level.lower()],
                        format="%(asctime)s %(levelname)s %(message)s")
    if log_json:
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLogFormatter())
    try:
        config = GatewayConfig(host=host, port=port, unknown_mn=unknown_mn,  # type: ignore[arg-type]
                               strict=strict, idle_timeout=idle_timeout,
                               journal_dir=journal_dir, clock_window=clock_window * 3600)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if not (gateway or http):
        raise typer.BadParameter("--no-gateway and --no-http together leave nothing to run")
    if basemap is not None and not basemap.is_file():
        raise typer.BadParameter(f"{basemap}: no such file (a .pmtiles basemap)",
                                 param_hint="--basemap")
    settings = migrate_store(database_url, data_dir)  # several server processes migrate once
    with Store(settings) as store, QualityControl(store, background=True) as quality:
        parts = ([f"HJ 212 gateway on {host}:{port}"] if gateway else []) + (
            [f"web app http://{'127.0.0.1' if http_host == '0.0.0.0' else http_host}:"
             f"{http_port}/ and API /api/v1/docs"]
            if http else [])
        console.print(f"{'; '.join(parts)}; {store.settings.describe()}; "
                      f"quality control {quality.config.version}")
        # uvloop: the asyncio API on a faster loop for thousands of links (bench/RESULTS.md)
        try:
            counters = uvloop.run(serve_both(
                store, config if gateway else None,
                HttpConfig(http_host, http_port, basemap=basemap) if http else None,
                on_commit=[quality]))
        except OSError as error:
            fail(error)
    if counters is not None:
        console.print(counters.log_line())


ASSESSMENTS = ("air", "water", "noise")


@app.command()
def assess(
    domain: Annotated[str, typer.Argument(help="air | water | noise")],
    date_from: Annotated[str, typer.Option("--from", help="First day (CST), YYYY-MM-DD.")],
    date_to: Annotated[str, typer.Option("--to", help="Last day (CST), inclusive.")],
    city: Annotated[str | None, typer.Option(help="City name or code (default: all).")] = None,
    edition: Annotated[str | None, typer.Option(
        help="Air: 2012 | 2026 for the whole period (default: the edition in force each day)."
    )] = None,
    out: Annotated[Path | None, typer.Option(
        help="Write every table to .xlsx (one sheet each) or .csv, as published: Chinese "
             "headers with units, values rounded per the standards.")] = None,
    raw: Annotated[bool, typer.Option(
        "--raw", help="With --out: the result columns as computed (machine names, full "
                      "precision) for programs.")] = False,
    map_svg: Annotated[Path | None, typer.Option(
        "--map", help="Air: draw the last day's city AQI as an SVG map.")] = None,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Assess stored data against the national standards and print the summary.

    Air: HJ 633 / GB 3095 / HJ 663 (edition in force each day unless --edition); water: GB 3838;
    noise: GB 3096.
    """
    from ecohub.analytics import air, noise, water
    from ecohub.analytics._common import has_data
    from ecohub.reports import maps, summary, tables

    if domain not in ASSESSMENTS:
        raise typer.BadParameter(f"{domain!r}; expected one of {', '.join(ASSESSMENTS)}",
                                 param_hint="DOMAIN")
    if map_svg is not None and domain != "air":
        raise typer.BadParameter("maps are drawn for air assessments", param_hint="--map")
    if edition is not None and domain != "air":
        raise typer.BadParameter("editions apply to the air standards only",
                                 param_hint="--edition")
    first, last = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    if last < first:
        raise typer.BadParameter(f"--to {last} is before --from {first}; expected the last "
                                 "day of the period, on or after the first", param_hint="--to")
    for path, option in ((out, "--out"), (map_svg, "--map")):
        if path is not None:
            check_writable(path, option)  # before the work, not after it
    with open_existing_store(database_url, data_dir) as store:
        try:
            has_data(store, domain, first, last, city)
            if domain == "air":
                result = air.assess_air(store, first, last, city=city, edition=edition)
            elif domain == "water":
                result = water.assess_water(store, first, last, city=city)
            else:
                result = noise.assess_noise(store, first, last, city=city)
            if map_svg is not None:
                map_svg.write_text(maps.city_map(result, store), encoding="utf-8")
        except NoData:
            raise
        except ValueError as error:
            fail(error)
    written = None
    if out is not None:
        try:
            written = tables.write_tables(result.tables(), out, raw=raw,
                                          period=f"{first} 至 {last}")
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--out") from None
    for part in summary.terminal_summary(domain, result, written=written):
        console.print(part)
    if map_svg is not None:
        console.print(f"地图已写入：{map_svg}")


report_app = typer.Typer(help="Bulletins people publish: the city air-quality daily and "
                         "monthly reports, as PDF or Excel (docs/bulletins.md).",
                         no_args_is_help=True)
app.add_typer(report_app, name="report")

BulletinOut = Annotated[Path | None, typer.Option(
    "--out", help="Write here: .pdf (A4, Chinese) or .xlsx (one sheet per table). Default: "
                  "<title>_<day or month>.pdf in the current directory.")]
BulletinEdition = Annotated[str | None, typer.Option(
    help="2026 | 2012: the standards' edition (default: the edition in force).")]
BulletinStage = Annotated[str | None, typer.Option(
    help="transition | final: the GB 3095-2026 stage, with --edition 2026 (default: in force).")]
BulletinRegion = Annotated[str | None, typer.Option(
    help="Region in the title, e.g. 安徽省 (default: the province of the cities' codes).")]


def _bulletin_options(out: Path | None, edition: str | None, stage: str | None) -> None:
    if out is not None and out.suffix.lower() not in (".pdf", ".xlsx"):
        raise typer.BadParameter(f"{str(out)!r}: expected a .pdf or .xlsx file", param_hint="--out")
    if edition is not None and edition not in ("2026", "2012"):
        raise typer.BadParameter(f"{edition!r}; expected 2026 or 2012", param_hint="--edition")
    if stage is not None and stage not in ("transition", "final"):
        raise typer.BadParameter(f"{stage!r}; expected transition or final", param_hint="--stage")
    if stage is not None and edition != "2026":
        raise typer.BadParameter("a stage needs --edition 2026 (GB 3095-2012 has no stages)",
                                 param_hint="--stage")
    if out is not None:
        check_writable(out, "--out")  # before the work, not after it


def _write_bulletin(compose, out: Path | None, data_dir: Path, database_url: str | None) -> None:
    """Compose a bulletin with a progress display, write it, and say where it went."""
    from ecohub.reports import bulletins

    with Progress(TextColumn("[progress.description]{task.description}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("打开数据存储", total=None)
        with open_existing_store(database_url, data_dir) as store:
            bulletin = compose(store, lambda step: bar.update(task, description=step))
        target = out or Path(f"{bulletin.filename}.pdf")
        if out is None:
            check_writable(target, "--out")
        bar.update(task, description=f"写入 {target.suffix.lstrip('.').upper()}")
        bulletins.write(bulletin, target)
    console.print(f"{bulletin.title}（{bulletin.period}）已写入：{target}", soft_wrap=True)
    console.print(f"执行标准：{bulletin.standards}；{bulletin.edition_statement}",
                  soft_wrap=True, markup=False)


@report_app.command("air-daily")
def report_air_daily(
    day: Annotated[str, typer.Option("--day", help="The day (CST), YYYY-MM-DD.")],
    out: BulletinOut = None,
    edition: BulletinEdition = None,
    stage: BulletinStage = None,
    region: BulletinRegion = None,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """The city air-quality daily report (日报) as PDF or Excel.

    Each city's AQI, category, primary pollutant and six pollutants (HJ 633), ranked; the
    summary, a chart and the map; the edition and stage stated.
    """
    from ecohub.reports import bulletins

    chosen = parse_date(day, "--day")
    _bulletin_options(out, edition, stage)
    _write_bulletin(lambda store, step: bulletins.air_daily(
        store, chosen, edition=edition, stage=stage, region=region, progress=step),
        out, data_dir, database_url)


@report_app.command("air-monthly")
def report_air_monthly(
    month: Annotated[str, typer.Option("--month", help="The month (CST), YYYY-MM.")],
    out: BulletinOut = None,
    edition: BulletinEdition = None,
    stage: BulletinStage = None,
    region: BulletinRegion = None,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """The city air-quality monthly report (月报) as PDF or Excel.

    Ranking by the comprehensive index, share of good days, the six pollutants' statistics
    (HJ 663), change on the same month last year, the daily calendar and the map.
    """
    from ecohub.reports import bulletins

    try:
        first = bulletins.parse_month(month)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--month") from None
    _bulletin_options(out, edition, stage)
    _write_bulletin(lambda store, step: bulletins.air_monthly(
        store, first, edition=edition, stage=stage, region=region, progress=step),
        out, data_dir, database_url)


store_app = typer.Typer(help="Create, inspect and export the store.", no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("migrate")
def store_migrate(data_dir: DataDir = Path("ecohub-data"),
                  database_url: DatabaseUrl = None) -> None:
    """Create the store, or bring it to this ecohub's schema (does nothing if it is current).

    The other commands only open an existing, current store; `ecohub serve` migrates at start.
    """
    migrate_store(database_url, data_dir)


@store_app.command("info")
def store_info(data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None) -> None:
    """Where the data is and how much there is."""
    with open_existing_store(database_url, data_dir) as store:
        console.print(store.settings.describe())
        summary = store.measurements.kind_summary()
        devices = len(store.registry.devices())
    if summary.is_empty():
        console.print("no readings stored yet")
    else:
        table = Table(title="读数 readings stored (period starts, CST)")
        for column in ("kind", "readings", "first", "last"):
            table.add_column(column, justify="right" if column == "readings" else "left",
                             no_wrap=column in ("first", "last"))
        for row in summary.iter_rows(named=True):
            table.add_row(row["kind"], f"{row['readings']:,}", cst(row["first"]),
                          cst(row["last"]))
        console.print(table)
    console.print(f"registered devices: {devices}")


@store_app.command("export")
def store_export(
    out: Annotated[Path, typer.Argument(help="Directory for the Parquet dataset.")],
    kind: Annotated[str | None, typer.Option(help="realtime | minute | hour | day")] = None,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Export readings as Parquet, partitioned by kind and China date.

    DuckDB, Spark or Trino read the dataset directly; each reading is written with its object
    code and QC flags.
    """
    check_directory(out, "OUT")
    with open_existing_store(database_url, data_dir) as store:
        codes = {o.id: o.code for o in store.registry.objects(include_retired=True)}
        try:
            rows = store.measurements.export_parquet(out, codes, kind)
        except ValueError as error:
            fail(error)
    console.print(f"{rows:,} readings written to {out} (kind=…/date=…/)")




quality_app = typer.Typer(help="Automatic quality control: re-check, review, quality scores.",
                          no_args_is_help=True)
app.add_typer(quality_app, name="quality")


def _period_bounds(start: str, end: str) -> tuple[datetime, datetime]:
    """--from/--to: a plain date in --to includes that whole day (CST)."""
    lo, hi = parse_day(start, "--from"), parse_day(end, "--to")
    if len(end) == 10:  # YYYY-MM-DD
        hi += timedelta(days=1)
    if not lo < hi:
        raise typer.BadParameter(f"--to {end} is not after --from {start}", param_hint="--to")
    return lo, hi


@quality_app.command("check")
def quality_check(
    start: Annotated[str, typer.Option("--from", help="First day (CST), YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day included, or an end time.")],
    config: Annotated[Path | None, typer.Option("--config", help="QC configuration (TOML); "
                                                "default: the documented defaults.")] = None,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Re-check the stored readings of a period with a (new) QC configuration."""
    from ecohub.quality import QCConfigError, load_config
    from ecohub.quality.rechecks import recheck

    lo, hi = _period_bounds(start, end)
    try:
        qc_config = load_config(config)
    except (QCConfigError, OSError) as error:
        console.print(f"[red]QC configuration {config} rejected, nothing was applied:[/]\n{error}")
        raise typer.Exit(1) from None
    with open_existing_store(database_url, data_dir) as store, Progress(
            TextColumn("[progress.description]{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task(f"re-checking with {qc_config.version}", total=None)
        result = recheck(store, qc_config, lo, hi,
                         progress=lambda done, total: bar.update(task, completed=done,
                                                                 total=total))
    console.print(f"{result.readings:,} readings re-checked in {result.chunks} chunks "
                  f"({result.seconds:.1f} s); flags now carry {result.version}")


@quality_app.command("review")
def quality_review(
    mn: Annotated[str, typer.Option(help="Data logger MN.")],
    factor: Annotated[str, typer.Option(help="HJ 212 factor code, e.g. a34004.")],
    kind: Annotated[str, typer.Option(help="realtime | minute | hour | day")],
    time: Annotated[str, typer.Option("--time", help="The reading's DataTime (period start), "
                                      "CST unless a zone is given.")],
    accept: Annotated[bool | None, typer.Option("--accept/--reject",
                                                help="Accept or reject the reading.")] = None,
    by: Annotated[str, typer.Option("--by", help="Reviewer's name.")] = "",
    reason: Annotated[str, typer.Option(help="Why.")] = "",
    statistic: Annotated[str, typer.Option(help="Rtd, Avg, Min, Max, Cou, Zs…")] = "Avg",
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Accept or reject one reading's automatic QC verdict (kept through re-checks)."""
    from ecohub.quality.reviews import review

    if accept is None:
        raise typer.BadParameter("say --accept or --reject", param_hint="--accept/--reject")
    key = {"mn": mn, "factor": factor, "kind": kind, "statistic": statistic,
           "period_start": parse_day(time, "--time")}
    with open_existing_store(database_url, data_dir) as store:
        try:
            row = review(store, key, "accept" if accept else "reject", by, reason)
        except ValueError as error:
            fail(error)
    r = row.row(0, named=True)
    console.print(f"{mn} {factor}-{statistic} {kind} {key['period_start']:%Y-%m-%d %H:%M %Z}: "
                  f"value {r['value']}, device flag {r['device_flag']}, QC flag {r['qc_flag']} "
                  f"→ [bold]{r['review']}[/] by {r['reviewer']} ({r['review_reason']})")


@quality_app.command("report")
def quality_report(
    start: Annotated[str, typer.Option("--from", help="First day (CST), YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day included, or an end time.")],
    by: Annotated[str, typer.Option(help="department | object | factor")] = "department",
    period: Annotated[str | None, typer.Option(help="day | month (default: whole span)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Also write an Excel workbook "
                                             "(.xlsx) with every grouping.")] = None,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Data-quality scores: completeness, timeliness, validity, consistency, combined."""
    from ecohub.governance.quality_scores import explain_scores, quality_scores
    from ecohub.reports.quality import LABELS, write_excel

    lo, hi = _period_bounds(start, end)
    if out is not None:
        check_writable(out, "--out")
    with open_existing_store(database_url, data_dir) as store:
        try:
            scores = quality_scores(store, lo, hi, by=by, period=period)  # type: ignore[arg-type]
        except ValueError as error:
            fail(error)
        if out is not None:
            write_excel(store, lo, hi, out, period=period)  # type: ignore[arg-type]
    names = {"department": ["department"], "object": ["object_name", "department"],
             "factor": ["factor", "factor_name"]}[by]
    shares = ["completeness", "timeliness", "validity", "consistency", "score"]
    table = Table(title=f"数据质量评分 {lo:%Y-%m-%d} — {hi - timedelta(microseconds=1):%Y-%m-%d}")
    for column in [*names, "period", "readings", *shares]:
        table.add_column(LABELS[column], justify="left" if column in names else "right")
    for row in scores.iter_rows(named=True):
        table.add_row(*(str(row[c]) for c in names), str(row["period"] or "全部"),
                      f"{row['readings']:,}",
                      *("—" if row[c] is None else f"{row[c]:.1%}" for c in shares))
    console.print(table)
    for note in explain_scores(scores, by):  # type: ignore[arg-type]
        console.print(f"· {note}", soft_wrap=True, markup=False)
    if out is not None:
        console.print(f"workbook written: {out}")


registry_app = typer.Typer(
    help="The registry kept by people (一源一档): objects, data loggers, permits and limits, "
    "from Excel/CSV or one at a time, with their history.",
    no_args_is_help=True)
app.add_typer(registry_app, name="registry")


@registry_app.command("template")
def registry_template(
    out: Annotated[Path, typer.Argument(help="Workbook to write (.xlsx).")],
) -> None:
    """Write the empty workbook to fill in: 监测对象, 数采仪 and instructions."""
    from ecohub.registry import write_template

    check_writable(out, "OUT")
    try:
        write_template(out)
    except OSError as error:
        fail(error)
    console.print(f"template written: {out}")


@registry_app.command("import")
def registry_import(
    file: Annotated[Path, typer.Argument(help="Registry workbook (.xlsx) or one sheet (.csv).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only and show what would "
                                          "change; change nothing.")] = False,
    errors: Annotated[Path | None, typer.Option(
        "--errors", help="Workbook for the rows not applied (default: FILE_errors.xlsx; "
        "on a dry run only if given).")] = None,
    region_bbox: Annotated[str | None, typer.Option(
        "--region-bbox", envvar="ECOHUB_REGION_BBOX",
        help="lon_min,lat_min,lon_max,lat_max coordinates must lie in (default: China, "
        "73,3,136,54).")] = None,
    by: Actor = None,
    reason: Reason = "",
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Check every row; register new records, apply changed ones with history; errors to a file.

    A file that changes registered records needs --by (who makes the change).
    """
    from ecohub.registry import (
        CHINA_BBOX,
        ActorRequired,
        BoundingBox,
        RegistryFileError,
        import_file,
    )

    try:
        region = CHINA_BBOX if region_bbox is None else BoundingBox.parse(region_bbox)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--region-bbox") from None
    if not file.is_file():
        fail(f"FILE {file}: no such file" if not file.exists() else f"FILE {file} is not a file")
    if errors is not None:
        check_writable(errors, "--errors")
    elif not dry_run:
        errors = file.with_name(f"{file.stem}_errors.xlsx")
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        try:
            report = import_file(store.registry, file, region=region, dry_run=dry_run,
                                 errors_path=errors, actor=by, reason=reason)
        except ActorRequired as error:
            fail(f"{file}: {error.updates} row(s) change registered records; --by NAME is "
                 "required (who makes the change); --dry-run shows the changes")
        except (RegistryFileError, OSError, ValueError) as error:
            fail(error)
    for problem in report.problems[:20]:
        console.print(f"{problem.sheet} 第 {problem.row} 行：{problem.reason}", soft_wrap=True,
                      markup=False)
    if len(report.problems) > 20:
        console.print(f"… {len(report.problems) - 20} more rows with errors")
    for update in report.updates[:50]:
        console.print(f"{update.sheet} 第 {update.row} 行 修改 {update.key}：{update.summary}",
                      soft_wrap=True, markup=False)
    if len(report.updates) > 50:
        console.print(f"… {len(report.updates) - 50} more rows with changes")
    added, updated = ("可新增", "可修改") if dry_run else ("新增", "修改")
    console.print(
        f"{added} {report.added}（监测对象 {report.added_objects}，数采仪 {report.added_devices}，"
        f"许可证 {report.added_permits}，排放限值 {report.added_limits}） / {updated} "
        f"{report.updated} / 未变 {report.unchanged} / 错误 {report.errors}"
        + ("；演练，未写入" if dry_run else ""), markup=False, soft_wrap=True)
    if report.errors_file is not None:
        console.print(f"rows not applied written to {report.errors_file}: fix and import again")


@registry_app.command("export")
def registry_export(
    out: Annotated[Path, typer.Argument(help="Workbook to write (.xlsx).")],
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Write the registry in the template layout (passwords are not exported)."""
    from ecohub.registry import export_registry

    check_writable(out, "OUT")
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        try:
            counts = export_registry(store.registry, out)
        except OSError as error:
            fail(error)
    console.print("，".join(f"{sheet} {rows}" for sheet, rows in counts.items())
                  + f" written to {out}")


@registry_app.command("list")
def registry_list(
    object_type: Annotated[str | None, typer.Option(
        "--type", help="空气站, 水质站, 污染源, 排放口, 噪声站 (or air_station, …).")] = None,
    city: Annotated[str | None, typer.Option(help="City name or code.")] = None,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """The registered monitored objects."""
    from ecohub.registry import objects_frame
    from ecohub.reports.tables import to_rich_table
    from ecohub.vocabulary import OBJECT_TYPES

    type_of_name = {name: key for key, name in OBJECT_TYPES.items()}
    key = type_of_name.get(object_type, object_type) if object_type else None
    if key is not None and key not in OBJECT_TYPES:
        raise typer.BadParameter(f"{object_type!r}; expected one of "
                                 f"{', '.join(OBJECT_TYPES.values())}", param_hint="--type")
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        frame = objects_frame(store.registry, key, city).select(
            "编码", "名称", "类型", "城市", "区县", "所属部门", "上级编码")
    table = to_rich_table(frame, f"监测对象 {frame.height} 个", max_rows=max(frame.height, 1))
    table.columns[0].no_wrap = True  # codes are copied from here
    console.print(table)


@registry_app.command("devices")
def registry_devices(data_dir: DataDir = Path("ecohub-data"),
                     database_url: DatabaseUrl = None) -> None:
    """The registered data loggers with their MNs (what `quality review --mn` takes)."""
    from ecohub.registry import devices_frame
    from ecohub.reports.tables import to_rich_table

    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        frame = devices_frame(store.registry).drop("密码")
    table = to_rich_table(frame, f"数采仪 {frame.height} 台", max_rows=max(frame.height, 1))
    table.columns[0].no_wrap = True  # MNs are copied from here
    console.print(table)


def require_actor(by: str | None) -> str:
    """The ``--by`` name, or end the command: people's changes name who made them."""
    if by is None or not by.strip():
        fail("--by NAME is required: who makes the change (kept in the history)")
    return by.strip()


def parse_as_of(value: str) -> datetime:
    """``--as-of``: a date means the end of that day, a date-time that moment."""
    moment = parse_day(value, "--as-of")
    return moment + timedelta(days=1, microseconds=-1) if len(value) == 10 else moment


def read_password() -> str:
    """One line of standard input: the password (never an argument, never printed)."""
    password = typer.get_text_stream("stdin").readline().rstrip("\r\n")
    if not password:
        fail("--password-stdin: standard input gave no password")
    return password


def object_type_key(value: str) -> str:
    """An object type by its Chinese name or key, or end the command."""
    from ecohub.vocabulary import OBJECT_TYPES

    key = {name: key for key, name in OBJECT_TYPES.items()}.get(value, value)
    if key not in OBJECT_TYPES:
        fail(f"--type {value!r}: expected one of {', '.join(OBJECT_TYPES.values())}")
    return key


def print_change_result(entity: str, key: str, changes: list[RegistryChange]) -> None:
    """Say what a write did: the change(s) written, or that nothing changed."""
    from ecohub.registry.archive import ACTION_NAMES, ENTITY_NAMES, describe_changes

    if not changes:
        console.print(f"{ENTITY_NAMES[entity]} {key}：无变化，未写入", markup=False)
    for change in changes:
        console.print(f"{ENTITY_NAMES[change.entity]} {change.key} "
                      f"{ACTION_NAMES[change.action]}：{describe_changes(change)}",
                      soft_wrap=True, markup=False)


def print_history(changes: list[RegistryChange]) -> None:
    """One line per change: time (China Standard Time), who, what, old → new, why."""
    from ecohub.registry.archive import ACTION_NAMES, ENTITY_NAMES, china_time, describe_changes

    for change in changes:
        why = f"（原因：{change.reason}）" if change.reason else ""
        console.print(f"{china_time(change.changed_at)}  {change.actor}  "
                      f"{ACTION_NAMES[change.action]}{ENTITY_NAMES[change.entity]} {change.key}："
                      f"{describe_changes(change)}{why}", soft_wrap=True, markup=False)


def show_record(entity: str | None, key: str, as_of: str | None, database_url: str | None,
                data_dir: Path) -> None:
    """Print a record now or as of a moment, and its last changes (``show`` commands)."""
    from ecohub.registry.archive import ENTITY_NAMES, FIELD_NAMES, record_value
    from ecohub.store import ENTITIES

    moment = None if as_of is None else parse_as_of(as_of)
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        found = [e for e in ([entity] if entity else ENTITIES)
                 if store.registry.record(e, key) is not None]
        if not found:
            what = ENTITY_NAMES[entity] if entity else "record"
            fail(f"{what} {key}: not registered")
        entity = found[0]
        record = (store.registry.record(entity, key) if moment is None
                  else store.registry.as_of(entity, key, moment))
        history = store.registry.history(entity, key)
    when = "" if moment is None else f"（截至 {moment.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}）"
    if record is None:
        console.print(f"{ENTITY_NAMES[entity]} {key}{when}：当时尚未登记", markup=False)
        return
    console.print(f"{ENTITY_NAMES[entity]} {key}{when}", markup=False)
    for name, value in record.items():
        console.print(f"  {FIELD_NAMES.get(name, name)}：{record_value(name, value)}",
                      soft_wrap=True, markup=False)
    if history:
        console.print("最近变更：")
        print_history(history[:5])


object_app = typer.Typer(help="Monitored objects, one at a time: add, set, retire, reinstate, "
                         "show (history kept).", no_args_is_help=True)
registry_app.add_typer(object_app, name="object")

ObjectName = Annotated[str | None, typer.Option("--name", help="名称.")]
ObjectType = Annotated[str | None, typer.Option(
    "--type", help="空气站, 水质站, 污染源, 排放口, 噪声站 (or air_station, …).")]
Longitude = Annotated[float | None, typer.Option("--lon", help="Longitude (WGS 84).")]
Latitude = Annotated[float | None, typer.Option("--lat", help="Latitude (WGS 84).")]
City = Annotated[str | None, typer.Option("--city", help="城市.")]
CityCode = Annotated[str | None, typer.Option("--city-code", help="GB/T 2260 division code.")]
County = Annotated[str | None, typer.Option("--county", help="区县.")]
Department = Annotated[str | None, typer.Option("--department", help="所属部门.")]
Parent = Annotated[str | None, typer.Option(
    "--parent", help="An outlet's pollution source (code).")]
CreditCode = Annotated[str | None, typer.Option(
    "--credit-code", help="统一社会信用代码 (GB 32100-2015).")]


def object_fields(name: str | None, object_type: str | None, lon: float | None,
                  lat: float | None, city: str | None, city_code: str | None,
                  county: str | None, department: str | None, parent: str | None,
                  credit_code: str | None) -> dict[str, object]:
    """The options given, as fields of an object; an empty text clears the field."""
    from ecohub.registry import credit_code_error, division_code_error

    if city_code and (why := division_code_error(city_code)):
        fail(f"--city-code {city_code!r}: {why}")
    if credit_code and (why := credit_code_error(credit_code)):
        fail(f"--credit-code {credit_code!r}: {why}")
    fields: dict[str, object] = {
        "name": name, "object_type": None if object_type is None else object_type_key(object_type),
        "longitude": lon, "latitude": lat, "city": city, "city_code": city_code,
        "county": county, "department": department, "parent_code": parent,
    }
    return {field: (value or None) if isinstance(value, str) else value
            for field, value in fields.items() if value is not None}


@object_app.command("add")
def object_add(
    code: Annotated[str, typer.Argument(help="The object's code.")],
    name: ObjectName = None, object_type: ObjectType = None, lon: Longitude = None,
    lat: Latitude = None, city: City = None, city_code: CityCode = None, county: County = None,
    department: Department = None, parent: Parent = None, credit_code: CreditCode = None,
    by: Actor = None, reason: Reason = "",
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Register a monitored object (--name and --type required; an outlet needs --parent)."""
    from ecohub.store import ObjectSpec

    actor = require_actor(by)
    if not name or not object_type:
        fail("--name and --type are required to add an object")
    fields = object_fields(name, object_type, lon, lat, city, city_code, county, department,
                           parent, credit_code)
    if fields["object_type"] == "outlet" and not parent:
        fail("--parent: an outlet needs the code of its pollution source")
    if parent and fields["object_type"] != "outlet":
        fail("--parent: only an outlet has a parent")
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        try:
            spec = ObjectSpec(code, attributes={"credit_code": credit_code} if credit_code
                              else {}, **fields)
            store.registry.add_objects([spec], actor=actor, reason=reason)
        except ValueError as error:
            fail(error)
        print_change_result("object", code, store.registry.history("object", code)[:1])


@object_app.command("set")
def object_set(
    code: Annotated[str, typer.Argument(help="The object's code.")],
    name: ObjectName = None, object_type: ObjectType = None, lon: Longitude = None,
    lat: Latitude = None, city: City = None, city_code: CityCode = None, county: County = None,
    department: Department = None, parent: Parent = None, credit_code: CreditCode = None,
    by: Actor = None, reason: Reason = "",
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Change fields of an object (an empty value clears a field); history is kept."""
    actor = require_actor(by)
    changes = object_fields(name, object_type, lon, lat, city, city_code, county, department,
                            parent, credit_code)
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        try:
            current = store.registry.object_by_code(code)
            if current is None:
                fail(f"object {code}: not registered")
            if credit_code is not None:
                attributes = {k: v for k, v in current.attributes.items() if k != "credit_code"}
                changes["attributes"] = {**attributes,
                                         **({"credit_code": credit_code} if credit_code else {})}
            if not changes:
                fail("nothing to change: give --name, --type, --lon/--lat, --city, --city-code, "
                     "--county, --department, --parent or --credit-code")
            change = store.registry.update_object(code, changes, actor=actor, reason=reason)
        except ValueError as error:
            fail(error)
    print_change_result("object", code, [] if change is None else [change])


def change_status(action: str, entity: str, key: str, by: str | None, reason: str,
                  database_url: str | None, data_dir: Path, *, cascade: bool = False) -> None:
    """Retire or reinstate one record (``retire`` / ``reinstate`` commands), history kept."""
    actor = require_actor(by)
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        try:
            if action == "retire":
                changes = store.registry.retire(entity, key, actor=actor, reason=reason,
                                                cascade=cascade)
            else:
                changes = [store.registry.reinstate(entity, key, actor=actor, reason=reason)]
        except ValueError as error:
            fail(error)
    print_change_result(entity, key, changes)


@object_app.command("retire")
def object_retire(
    code: Annotated[str, typer.Argument(help="The object's code.")],
    cascade: Annotated[bool, typer.Option(
        "--cascade", help="Retire its devices (and a source's outlets) with it.")] = False,
    by: Actor = None, reason: Reason = "",
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Retire an object: nothing is deleted, it is out of service from now on."""
    change_status("retire", "object", code, by, reason, database_url, data_dir, cascade=cascade)


@object_app.command("reinstate")
def object_reinstate(
    code: Annotated[str, typer.Argument(help="The object's code.")],
    by: Actor = None, reason: Reason = "",
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Put a retired object back in service."""
    change_status("reinstate", "object", code, by, reason, database_url, data_dir)


@object_app.command("show")
def object_show(
    code: Annotated[str, typer.Argument(help="The object's code.")],
    as_of: AsOf = None,
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """An object now (or as it stood then) and its last changes."""
    show_record("object", code, as_of, database_url, data_dir)


device_app = typer.Typer(help="Data loggers, one at a time: add, set, retire, reinstate, show "
                         "(history kept; passwords never shown).", no_args_is_help=True)
registry_app.add_typer(device_app, name="device")

DeviceObject = Annotated[str | None, typer.Option("--object", help="The object's code.")]
Factors = Annotated[str | None, typer.Option(
    "--factors", help="HJ 212-2017 factor codes, comma separated (a34004,a34002).")]
Protocol = Annotated[str | None, typer.Option("--protocol", help="2017 or 2005.")]
Interval = Annotated[int | None, typer.Option(
    "--interval", help="Minutes between minute-data uploads (divides 60).")]
Profile = Annotated[str | None, typer.Option(
    "--profile", help="How its packets are read: default, standard or modbus.")]
Accept = Annotated[str | None, typer.Option(
    "--accept", help="Deviation kinds accepted beyond the profile, comma separated "
    "(crc.modbus); \"\" for none.")]
UtcOffset = Annotated[str | None, typer.Option(
    "--utc-offset", help="The zone of its clock: hours or UTC+8 (HJ 212: UTC+8), UTC, 0.")]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from one line of standard input.")]


def device_fields(object_code: str | None, factors: str | None, protocol: str | None,
                  interval: int | None, profile: str | None, accept: str | None,
                  utc_offset: str | None) -> dict[str, object]:
    """The options given, as fields of a device (checked by the registry)."""
    from ecohub.registry import parse_utc_offset
    from ecohub.vocabulary import FACTORS

    fields: dict[str, object] = {}
    if object_code is not None:
        fields["object_code"] = object_code
    if factors is not None:
        fields["factors"] = [f.strip() for f in factors.split(",") if f.strip()]
        unknown = [f for f in fields["factors"] if f not in FACTORS]
        if unknown:
            fail(f"--factors: {', '.join(unknown)} not HJ 212-2017 Appendix B factor codes")
    if accept is not None:
        fields["accept"] = [k.strip() for k in accept.split(",") if k.strip()]
    if utc_offset is not None:
        try:
            fields["utc_offset_minutes"] = parse_utc_offset(utc_offset)
        except ValueError:
            fail(f"--utc-offset {utc_offset!r}: expected hours or UTC+8, UTC, UTC-5:30 "
                 "(UTC-12 to UTC+14)")
    fields.update({name: value for name, value in (
        ("protocol", protocol), ("minute_interval", interval), ("profile", profile))
        if value is not None})
    return fields


@device_app.command("add")
def device_add(
    mn: Annotated[str, typer.Argument(help="The logger's HJ 212 MN.")],
    object_code: DeviceObject = None, factors: Factors = None, protocol: Protocol = None,
    interval: Interval = None, profile: Profile = None, accept: Accept = None,
    utc_offset: UtcOffset = None, password_stdin: PasswordStdin = False,
    by: Actor = None, reason: Reason = "",
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Register a data logger (--object, --factors and --password-stdin required)."""
    from ecohub.store import DeviceSpec

    actor = require_actor(by)
    if object_code is None or factors is None:
        fail("--object and --factors are required to add a device")
    if not password_stdin:
        fail("a new device needs its password: --password-stdin (one line on standard input)")
    fields = device_fields(object_code, factors, protocol, interval, profile, accept,
                           utc_offset)
    password = read_password()
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        try:
            target = store.registry.object_by_code(object_code)
            if target is None:
                fail(f"object {object_code}: not registered")
            if target.retired_at is not None:
                fail(f"object {object_code}: retired")
            fields.pop("object_code")
            fields["factors"] = tuple(fields["factors"])
            fields["accept"] = tuple(fields.get("accept", ()))
            store.registry.add_devices([DeviceSpec(mn, target.id, password, **fields)],
                                       actor=actor, reason=reason)
        except ValueError as error:
            fail(error)
        print_change_result("device", mn, store.registry.history("device", mn)[:1])


@device_app.command("set")
def device_set(
    mn: Annotated[str, typer.Argument(help="The logger's HJ 212 MN.")],
    object_code: DeviceObject = None, factors: Factors = None, protocol: Protocol = None,
    interval: Interval = None, profile: Profile = None, accept: Accept = None,
    utc_offset: UtcOffset = None, password_stdin: PasswordStdin = False,
    by: Actor = None, reason: Reason = "",
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Change a data logger's fields (the gateway picks them up live); history is kept."""
    actor = require_actor(by)
    changes = device_fields(object_code, factors, protocol, interval, profile, accept,
                            utc_offset)
    if password_stdin:
        changes["password"] = read_password()
    if not changes:
        fail("nothing to change: give --object, --factors, --protocol, --interval, --profile, "
             "--accept, --utc-offset or --password-stdin")
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        try:
            change = store.registry.update_device(mn, changes, actor=actor, reason=reason)
        except ValueError as error:
            fail(error)
    print_change_result("device", mn, [] if change is None else [change])


@device_app.command("retire")
def device_retire(
    mn: Annotated[str, typer.Argument(help="The logger's HJ 212 MN.")],
    by: Actor = None, reason: Reason = "",
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Retire a data logger: the gateway rejects its packets from now on (reason retired)."""
    change_status("retire", "device", mn, by, reason, database_url, data_dir)


@device_app.command("reinstate")
def device_reinstate(
    mn: Annotated[str, typer.Argument(help="The logger's HJ 212 MN.")],
    by: Actor = None, reason: Reason = "",
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Put a retired data logger back in service."""
    change_status("reinstate", "device", mn, by, reason, database_url, data_dir)


@device_app.command("show")
def device_show(
    mn: Annotated[str, typer.Argument(help="The logger's HJ 212 MN.")],
    as_of: AsOf = None,
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """A data logger now (or as it stood then) and its last changes; never its password."""
    show_record("device", mn, as_of, database_url, data_dir)


@registry_app.command("show")
def registry_show(
    key: Annotated[str, typer.Argument(
        help="Object code, MN, permit number or limit (outlet/factor/statistic).")],
    as_of: AsOf = None,
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """A record now, or as it stood on a date (--as-of), and its last changes."""
    show_record(None, key, as_of, database_url, data_dir)


@registry_app.command("history")
def registry_history(
    code: Annotated[str | None, typer.Option(
        "--code", help="Of one object code, permit number or limit key.")] = None,
    mn: Annotated[str | None, typer.Option("--mn", help="Of one data logger.")] = None,
    since: Annotated[str | None, typer.Option(
        "--since", help="From this date (YYYY-MM-DD, China Standard Time) on.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many, newest first.")]
    = 50,
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Who changed what in the registry, when and why (old → new), newest first."""
    if code is not None and mn is not None:
        fail("give --code or --mn, not both")
    moment = None if since is None else parse_day(since, "--since")
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        changes = store.registry.history("device" if mn else None, mn or code, moment)
    console.print(f"变更记录 {len(changes)} 条（北京时间）", markup=False)
    print_history(changes[:limit])
    if len(changes) > limit:
        console.print(f"… {len(changes) - limit} more (--limit)")


@registry_app.command("archive")
def registry_archive(
    code: Annotated[str, typer.Argument(help="The pollution source's code.")],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Also write the archive as a workbook (.xlsx).")] = None,
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """One enterprise's archive (一源一档): outlets, devices, permits, limits and history."""
    from ecohub.registry import archive_frames, write_archive
    from ecohub.reports.tables import to_rich_table

    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        try:
            archive = store.registry.archive(code)
        except ValueError as error:
            fail(error)
    console.print(f"企业 {archive.source.code} {archive.source.name}："
                  f"排放口 {len(archive.outlets)} 个，数采仪 {len(archive.devices)} 台，"
                  f"排污许可证 {len(archive.permits)} 张，排放限值 {len(archive.limits)} 项，"
                  f"变更记录 {len(archive.history)} 条", markup=False)
    for name, frame in archive_frames(archive).items():
        if name not in ("企业", "变更记录") and frame.height:
            console.print(to_rich_table(frame.head(20), f"{name} {frame.height}",
                                        max_rows=20))
    console.print("最近变更：")
    print_history(list(archive.history[:10]))
    if out is not None:
        try:
            write_archive(archive, out)
        except OSError as error:
            fail(error)
        console.print(f"archive written: {out}")


import_app = typer.Typer(help="Import data that did not come over HJ 212 (CSV, Excel).",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("readings")
def import_readings_command(
    file: Annotated[Path, typer.Argument(help="CSV (UTF-8 or GB 18030) or .xlsx; layouts: "
                                         "docs/import.md.")],
    kind: Annotated[str, typer.Option(help="realtime | minute | hour | day")] = "hour",
    minutes: Annotated[int | None, typer.Option(help="Period of minute data (1-30).")] = None,
    encoding: Annotated[str | None, typer.Option(
        help="Text encoding of a CSV (default: UTF-8 if it decodes, else GB 18030).")] = None,
    errors: Annotated[Path | None, typer.Option(
        "--errors", help="Write the rejected rows with a 错误原因 column (.xlsx or .csv).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and report; store "
                                          "nothing.")] = False,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Import readings from a file: checked row by row, units converted, stored once, QC run.

    Exit status 3 when some rows were rejected (the others are stored), 1 when the file could
    not be read (nothing is stored).
    """
    from ecohub.ingest.files import FileError, import_readings

    if not file.is_file():
        fail(f"FILE {file}: no such file" if not file.exists() else f"FILE {file} is not a file")
    if errors is not None:
        check_writable(errors, "--errors")
    with open_existing_store(database_url, data_dir) as store, Progress(
            TextColumn("[progress.description]{task.description}"), BarColumn(),
            TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(f"importing {file.name}", total=None)
        try:
            result = import_readings(
                store, file, kind=kind, minutes=minutes, encoding=encoding, dry_run=dry_run,
                errors_path=errors,
                progress=lambda done, total: bar.update(task, completed=done, total=total))
        except (FileError, ValueError, OSError) as error:
            bar.stop()
            fail(error)
    shown = result.errors.head(20)
    if shown.height:
        table = Table(title=f"rejected ({result.errors.height:,}; row 1 is the header)")
        for column in ("row", "column", "value", "reason"):
            table.add_column(column, justify="right" if column == "row" else "left")
        for row in shown.iter_rows():
            table.add_row(*("" if v is None else str(v) for v in row))
        console.print(table)
        if result.errors.height > shown.height:
            console.print(f"… and {result.errors.height - shown.height:,} more"
                          + ("" if errors else "; --errors FILE writes them all"))
    stored = ("dry run: nothing stored" if result.dry_run else
              f"{result.inserted:,} stored, {result.existing:,} already stored, "
              f"{result.checked:,} quality-checked")
    console.print(f"{file}: {result.layout} layout, {result.encoding}, {result.rows:,} rows; "
                  f"{result.readings:,} valid readings ({stored}); "
                  f"{result.errors.height:,} rejected; {result.seconds:.1f} s")
    if errors is not None and result.errors.height:
        console.print(f"rejected rows written to {errors}: fix them and import that file again")
    if result.errors.height:
        raise typer.Exit(3)  # some rows rejected, the others stored (docs/import.md)


ingest_app = typer.Typer(help="What the gateway did not store, and why.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")


@ingest_app.command("rejected")
def ingest_rejected(
    mn: Annotated[str | None, typer.Option(help="Only this data logger's packets.")] = None,
    since: Annotated[str | None, typer.Option(
        help="Received from then on: YYYY-MM-DD or YYYY-MM-DDTHH:MM (CST).")] = None,
    disposition: Annotated[str | None, typer.Option(help="rejected | quarantined")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many.")] = 50,
    full: Annotated[bool, typer.Option("--full", help="Print each raw packet whole.")] = False,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """List packets not stored, newest first: when, from where, why, and the raw text."""
    from ecohub.store.models import DISPOSITIONS

    if disposition is not None and disposition not in DISPOSITIONS:
        raise typer.BadParameter(f"{disposition!r}; expected one of {', '.join(DISPOSITIONS)}",
                                 param_hint="--disposition")
    moment = None if since is None else parse_day(since, "--since")
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        packets = store.registry.rejected(limit, disposition, mn=mn, since=moment)
    where = "".join([f" of {mn}" if mn else "", f" since {moment:%Y-%m-%d %H:%M} CST"
                     if moment else ""])
    if not packets:
        console.print(f"no packet{where} was rejected or quarantined")
        return
    table = Table(title=f"未入库报文 packets not stored{where} ({len(packets):,}, newest first)")
    table.add_column("#", justify="right")
    table.add_column("接收时间 (CST)", no_wrap=True)
    for column in ("MN", "处置", "原因", "来源"):
        table.add_column(column, overflow="fold")
    raws = []
    for number, packet in enumerate(packets, 1):
        table.add_row(str(number),
                      f"{packet.received_at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M:%S}",
                      packet.mn or "—", "隔离" if packet.disposition == "quarantined" else "拒收",
                      packet.reason, packet.peer or "—")
        raw = packet.raw.decode("utf-8", errors="replace").rstrip("\r\n")
        raws.append(f"#{number} {raw if full or len(raw) <= 100 else raw[:97] + '…'}")
    console.print(table)
    console.print("报文 raw packets" + ("" if full else " (--full prints them whole)") + ":")
    for line in raws:
        console.print(line, soft_wrap=True, markup=False, highlight=False)


@ingest_app.command("release")
def ingest_release(
    mn: Annotated[list[str] | None, typer.Option(
        help="Only this data logger's packets (repeat for several).")] = None,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
    journal_dir: Annotated[Path | None, typer.Option(
        help="The journal of this release [default: DATA_DIR/journal].")] = None,
) -> None:
    """Replay quarantined packets of loggers registered since into the store, exactly once.

    A running `ecohub serve` does this by itself within seconds of a registration; this
    command is for a store no gateway is serving. Packets of MNs still unknown stay
    quarantined. Quality control runs on the released readings as on any others.
    """
    import uvloop

    from ecohub.ingest.hj212_server import Gateway, GatewayConfig
    from ecohub.quality.streaming import QualityControl

    with open_existing_store(database_url, data_dir) as store, \
            QualityControl(store) as quality:
        async def release() -> int:
            gateway = Gateway(store, GatewayConfig(journal_dir=journal_dir))
            gateway.on_commit.append(quality)
            await gateway.start(listen=False)
            try:
                return await gateway.release_quarantined(mn)
            finally:
                await gateway.stop()

        released = uvloop.run(release())
        waiting = store.registry.quarantined(mn)
    console.print(f"released {released:,} quarantined packets into the store")
    if waiting:
        unknown = sorted({packet.mn or "(unreadable)" for _, packet in waiting})
        console.print(f"{len(waiting):,} packets stay quarantined: MN not registered: "
                      + ", ".join(unknown[:10]) + (" …" if len(unknown) > 10 else ""))


@ingest_app.command("status")
def ingest_status(
    since: Annotated[str | None, typer.Option(
        help="Count from then on: YYYY-MM-DD or YYYY-MM-DDTHH:MM (CST) [default: today 00:00].")
    ] = None,
    mn: Annotated[str | None, typer.Option(help="Only this data logger, in detail, with its "
                                                "last rejected packet.")] = None,
    non_conforming: Annotated[bool, typer.Option(
        "--non-conforming", help="Only loggers whose stored packets deviate from HJ 212, "
                                 "most deviations first.")] = False,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Per data logger: connected, last packet, counts, not stored and why, deviations, clock.

    Connections are those of the gateways running on this host over --data-dir; deviations
    are the non-conformities to HJ 212 the gateway accepted in stored packets; the clock offset
    is the logger's DataTime (or period end) minus arrival. docs/operations.md explains each
    column.
    """
    from ecohub.ingest.status import logger_status

    if since is None:
        moment = datetime.now(CHINA_TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        moment = parse_day(since, "--since")
    with open_existing_store(database_url, data_dir) as store:
        try:
            report = logger_status(store, moment, mn, data_dir)
        except ValueError as error:
            fail(error)
    if mn is not None:
        _print_logger_detail(report)
        return
    loggers = report.non_conforming() if non_conforming else report.loggers
    when = f"since {moment:%Y-%m-%d %H:%M} CST"
    if non_conforming and not loggers:
        console.print(f"no logger's stored packets deviated from HJ 212 {when} "
                      f"({len(report.loggers):,} loggers)")
        return
    title = "不合规数采仪 non-conforming loggers" if non_conforming else "数采仪状态 data loggers"
    table = Table(title=f"{title} {when} ({len(loggers):,})",
                  caption="在线: connected from; 最后报文: last stored packet (CST); 未入库: "
                          "not stored, reason count; 偏差: deviations, kind×packets; 时钟: "
                          "clock offset, DataTime − arrival (median)")
    table.add_column("MN", no_wrap=True)
    for column in ("对象", "在线", "最后报文", "报文", "读数", "未入库", "偏差", "时钟"):
        table.add_column(column, justify="right" if column in ("报文", "读数", "时钟")
                         else "left", overflow="fold", no_wrap=column == "最后报文")
    for status in loggers:
        last = status.last_received
        table.add_row(status.mn, f"{status.object_code} {status.object_name}",
                      ", ".join(status.peers) or "否",
                      "—" if last is None else f"{last.astimezone(CHINA_TZ):%m-%d %H:%M}",
                      f"{status.packets:,}", f"{status.readings:,}",
                      ", ".join(f"{kind} {n:,}" for kind, n in status.rejected.items()) or "—",
                      ", ".join(f"{kind}×{n:,}" for kind, n in status.deviations.items()) or "—",
                      _offset(status.clock_offset_s))
    console.print(table)
    console.print(
        f"{report.sending:,} of {len(report.loggers):,} loggers sent stored packets; "
        f"{report.connected:,} connected now; {report.unregistered_rejected:,} packets not "
        "stored came from unregistered or unreadable MNs (ecohub ingest rejected lists them)")
    _print_gateways(report, data_dir)
    if report.unidentified:
        console.print(f"{len(report.unidentified):,} connections from unregistered or not yet "
                      "identified MNs: " + ", ".join(
                          f"{c.peer} ({c.mn or 'MN unknown'})" for c in report.unidentified),
                      soft_wrap=True)


def _offset(seconds: float | None) -> str:
    from ecohub.ingest.status import describe_offset

    return "—" if seconds is None else describe_offset(seconds)


def _cst(moment: datetime, form: str = "%Y-%m-%d %H:%M:%S") -> str:
    return f"{moment.astimezone(CHINA_TZ):{form}}"


def _print_gateways(report: StatusReport, data_dir: Path) -> None:
    """Say when no gateway runs here: then "not connected" only means "not to this host"."""
    if report.gateways == 0:
        console.print(f"no gateway is running on this host over {data_dir} (ecohub serve): "
                      "connections are known only to a running gateway", soft_wrap=True)


def _print_logger_detail(report: StatusReport) -> None:
    """The one logger asked for, as a paragraph, with its last packet not stored."""
    from ecohub.protocols.hj212.profiles import DEVIATION_KINDS

    (status,) = report.loggers
    last = status.last_received
    lines = [f"{status.mn}  {status.object_code} {status.object_name}  "
             f"(since {report.since:%Y-%m-%d %H:%M} CST)"]
    if status.connections:
        lines.append("  在线 connected: yes")
        lines += [f"    from {c.peer} to gateway {c.gateway}, connected "
                  f"{_cst(c.connected_at)}, last seen {_cst(c.last_seen)} CST"
                  for c in status.connections]
    else:
        lines.append("  在线 connected: no" + (" (no gateway running on this host)"
                                                if report.gateways == 0 else ""))
    lines.append("  最后报文 last packet: "
                 + ("none stored" if last is None else f"{_cst(last)} CST"))
    lines.append(f"  报文 packets: {status.packets:,}   读数 readings: {status.readings:,}")
    lines.append("  未入库 not stored: " + (", ".join(
        f"{kind} {n:,}" for kind, n in status.rejected.items()) or "none"))
    if status.deviations:
        lines.append("  偏差 deviations from HJ 212 (kind×packets):")
        lines += [f"    {kind}×{n:,}  {DEVIATION_KINDS.get(kind, '未知类型 unknown kind')}"
                  for kind, n in status.deviations.items()]
    else:
        lines.append("  偏差 deviations from HJ 212: none")
    if status.clock_offset_s is None:
        lines.append("  时钟偏差 clock offset: — (no readings)")
    else:
        lines.append(f"  时钟偏差 clock offset: {_offset(status.clock_offset_s)} (median of "
                     f"{status.clock_samples:,} packets; farthest "
                     f"{_offset(status.clock_offset_max_s)}; DataTime or period end minus "
                     "arrival)")
    for line in lines:
        console.print(line, soft_wrap=True, markup=False, highlight=False)
    packet = report.last_rejected
    if packet is not None:
        console.print(f"  last packet not stored: {_cst(packet.received_at)} CST, "
                      f"{packet.reason}", soft_wrap=True, markup=False, highlight=False)
        console.print(packet.raw.decode("utf-8", errors="replace").rstrip("\r\n"),
                      soft_wrap=True, markup=False, highlight=False)


# -- accounts and the audit log (docs/accounts.md) ---------------------------------------------

admin_app = typer.Typer(help="Organisations, users, API tokens (docs/accounts.md).",
                        no_args_is_help=True)
app.add_typer(admin_app, name="admin")
org_app = typer.Typer(help="Organisations: the bureau, departments, units, enterprises.",
                      no_args_is_help=True)
admin_app.add_typer(org_app, name="org")
user_app = typer.Typer(help="Users: add, list, disable, reset a password.", no_args_is_help=True)
admin_app.add_typer(user_app, name="user")
token_app = typer.Typer(help="API tokens: create (shown once), list, revoke.",
                        no_args_is_help=True)
admin_app.add_typer(token_app, name="token")
audit_app = typer.Typer(help="The audit log: who accessed or changed what.",
                        no_args_is_help=True)
app.add_typer(audit_app, name="audit")

SHOWN_ONCE = "shown once, not stored in clear: it cannot be shown again"


def os_user() -> str:
    """Who runs the command (the audit log's actor for ``ecohub admin``)."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "unknown"


def admin_call(store: Store, target: str, action: str, call, *args, **kwargs):
    """Run an identity function for ``ecohub admin``.

    A refused one is audited (outcome ``failed``) and ends the command in one line.
    """
    from ecohub.identity import IdentityError, record

    try:
        return call(*args, **kwargs)
    except IdentityError as error:
        record(store, actor=os_user(), action=action, target=target, outcome="failed",
               status=1, parameters={"error": str(error)})
        fail(error)


def _cst_or_dash(moment: datetime | None) -> str:
    return "—" if moment is None else moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")


@admin_app.command("init")
def admin_init(
    username: Annotated[str, typer.Option(help="The first administrator's username.")] = "admin",
    password_stdin: PasswordStdin = False,
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Create the bureau organisation and the first administrator (once)."""
    from ecohub.identity import init_admin

    password = read_password() if password_stdin else None
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        one_time = admin_call(store, "ecohub admin init", "permission_change", init_admin,
                              store, username, password, actor=os_user())
    console.print(f"administrator {username} created", markup=False)
    if one_time is not None:
        console.print(f"one-time password: {one_time}", markup=False, highlight=False)
        console.print(f"({SHOWN_ONCE}; it must be changed at the first sign-in)", markup=False)


@org_app.command("add")
def org_add(
    code: Annotated[str, typer.Argument(help="Organisation code (letters, digits, . _ -).")],
    name: Annotated[str, typer.Argument(help="Its name, e.g. 大气环境处.")],
    kind: Annotated[str, typer.Option(help="bureau, department, unit, city_bureau, "
                                      "county_bureau, government, enterprise.")],
    parent: Annotated[str | None, typer.Option(help="Code of the organisation above.")] = None,
    enterprise_code: Annotated[str | None, typer.Option(
        "--enterprise-code", help="For an enterprise: its pollution source's registry code.")
    ] = None,
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Add an organisation."""
    from ecohub.identity import add_organisation

    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        org = admin_call(store, "ecohub admin org add", "permission_change", add_organisation,
                         store, code, name, kind=kind, parent=parent,
                         enterprise_code=enterprise_code, actor=os_user())
    console.print(f"organisation {org.code} ({org.name}, {org.kind}) added", markup=False)


@org_app.command("list")
def org_list(data_dir: DataDir = Path("ecohub-data"),
             database_url: DatabaseUrl = None) -> None:
    """The organisations."""
    from ecohub.identity import KINDS, list_organisations

    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        orgs = list_organisations(store)
    table = Table(title=f"组织 {len(orgs)} 个")
    for column in ("编码", "名称", "类型", "上级", "企业污染源编码"):
        table.add_column(column)
    for org in orgs:
        table.add_row(org.code, org.name, KINDS.get(org.kind, org.kind), org.parent or "",
                      org.enterprise_code or "")
    console.print(table)


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Username (letters, digits, . _ @ -).")],
    role: Annotated[str, typer.Option(help="administrator, data_manager, operator, analyst, "
                                      "viewer, enterprise.")],
    org: Annotated[str, typer.Option("--org", help="The user's organisation code.")],
    name: Annotated[str, typer.Option("--name", help="Display name, e.g. 张三.")] = "",
    password_stdin: PasswordStdin = False,
    one_time: Annotated[bool, typer.Option(
        "--one-time", help="Generate a one-time password (printed once; changed at the first "
        "sign-in).")] = False,
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Add a user (--password-stdin or --one-time)."""
    from ecohub.identity import add_user
    from ecohub.identity.users import generate_password

    if password_stdin == one_time:
        fail("give exactly one of --password-stdin (one line on standard input) and "
             "--one-time (a generated password)")
    password = read_password() if password_stdin else generate_password()
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        admin_call(store, "ecohub admin user add", "permission_change", add_user, store,
                   username, password, role=role, organisation=org, display_name=name,
                   actor=os_user(), must_change_password=one_time)
    console.print(f"user {username} ({role}, {org}) added", markup=False)
    if one_time:
        console.print(f"one-time password: {password}", markup=False, highlight=False)
        console.print(f"({SHOWN_ONCE}; it must be changed at the first sign-in)", markup=False)


@user_app.command("list")
def user_list(data_dir: DataDir = Path("ecohub-data"),
              database_url: DatabaseUrl = None) -> None:
    """The users, with role, organisation and state (times in China Standard Time)."""
    from ecohub.identity import ROLE_NAMES, list_users

    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        users = list_users(store)
    table = Table(title=f"用户 {len(users)} 个")
    for column in ("用户名", "姓名", "角色", "组织", "状态", "密码修改时间"):
        table.add_column(column)
    now = datetime.now(CHINA_TZ)
    for user in users:
        state = ("停用 disabled" if user.disabled else
                 f"锁定至 locked until {_cst_or_dash(user.locked_until)}"
                 if user.locked_until is not None and user.locked_until > now else
                 "需改密码 must change password" if user.must_change_password else "正常 active")
        table.add_row(user.username, user.display_name, ROLE_NAMES.get(user.role, user.role),
                      user.organisation, state, _cst_or_dash(user.password_changed_at))
    console.print(table)


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="The user to disable.")],
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Disable a user: no sign-in, sessions ended, tokens refused (the user is kept)."""
    from ecohub.identity import disable_user

    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        admin_call(store, "ecohub admin user disable", "permission_change", disable_user,
                   store, username, actor=os_user())
    console.print(f"user {username} disabled", markup=False)


@user_app.command("reset")
def user_reset(
    username: Annotated[str, typer.Argument(help="The user whose password is reset.")],
    password_stdin: PasswordStdin = False,
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Reset a password: from standard input, or a generated one-time password."""
    from ecohub.identity import reset_password

    password = read_password() if password_stdin else None
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        one_time = admin_call(store, "ecohub admin user reset", "permission_change",
                              reset_password, store, username, actor=os_user(),
                              password=password)
    console.print(f"password of {username} reset; the user's sessions are ended", markup=False)
    if one_time is not None:
        console.print(f"one-time password: {one_time}", markup=False, highlight=False)
        console.print(f"({SHOWN_ONCE}; it must be changed at the next sign-in)", markup=False)


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Argument(help="The user the token acts for.")],
    name: Annotated[str, typer.Option(help="What the token is for, e.g. 省平台对接.")],
    scope: Annotated[list[str] | None, typer.Option(
        "--scope", help="A permission to limit the token to (repeat); default: the role's.")
    ] = None,
    days: Annotated[int, typer.Option(help="Days until it expires (1-366).")] = 90,
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Create an API token; the token is printed once."""
    from ecohub.identity import create_token

    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        token, secret = admin_call(store, "ecohub admin token create", "token_create",
                                   create_token, store, username, name=name,
                                   scopes=scope or None, days=days, actor=os_user())
    console.print(f"token {token.id} ({token.prefix}) for {username}: {', '.join(token.scopes)};"
                  f" expires {_cst_or_dash(token.expires_at)} CST", markup=False)
    console.print(secret, markup=False, highlight=False, soft_wrap=True)
    console.print(f"(the token is {SHOWN_ONCE}; keep it in the client's secret store)",
                  markup=False)


@token_app.command("list")
def token_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's tokens.")] = None,
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """The API tokens (never their secrets)."""
    from ecohub.identity import list_tokens

    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        tokens = list_tokens(store, user)
    table = Table(title=f"令牌 {len(tokens)} 个")
    for column in ("编号", "前缀", "用户", "名称", "权限范围", "到期", "吊销", "最近使用"):
        table.add_column(column)
    for token in tokens:
        table.add_row(str(token.id), token.prefix, token.username, token.name,
                      ", ".join(token.scopes), _cst_or_dash(token.expires_at),
                      _cst_or_dash(token.revoked_at) if token.revoked_at else "",
                      _cst_or_dash(token.last_used_at))
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(help="The token's id or prefix.")],
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """Revoke an API token (it is kept, refused from now on)."""
    from ecohub.identity import revoke_token

    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        revoked = admin_call(store, "ecohub admin token revoke", "token_revoke", revoke_token,
                             store, token, actor=os_user())
    console.print(f"token {revoked.id} ({revoked.prefix}) of {revoked.username} revoked at "
                  f"{_cst_or_dash(revoked.revoked_at)} CST", markup=False)


@audit_app.command("list")
def audit_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this actor's events.")] = None,
    since: Annotated[str | None, typer.Option(
        help="From (YYYY-MM-DD or YYYY-MM-DDTHH:MM, China Standard Time).")] = None,
    until: Annotated[str | None, typer.Option(
        help="Until (exclusive; a date means the end of that day).")] = None,
    action: Annotated[str | None, typer.Option(
        help="read, export, change, sign_in, sign_out, permission_change, token_create, "
        "token_revoke, …")] = None,
    limit: Annotated[int, typer.Option(help="At most this many events, newest first.")] = 1000,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Write the events to a workbook (.xlsx) for auditors.")] = None,
    data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None,
) -> None:
    """The audit log, newest first (times in China Standard Time)."""
    import polars as pl

    from ecohub.identity import IdentityError, events_frame, record
    from ecohub.reports.tables import add_sheet, excel_workbook, to_rich_table

    if out is not None and out.suffix.lower() != ".xlsx":
        fail(f"--out {out}: expected a .xlsx workbook")
    start = parse_day(since, "--since") if since else None
    end = None
    if until:
        end = parse_day(until, "--until")
        if len(until) == 10:
            end += timedelta(days=1)
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        try:
            frame = events_frame(store, actor=user, since=start, until=end, action=action,
                                 limit=limit)
        except IdentityError as error:
            fail(error)
        local = frame.with_columns(pl.col("时间").dt.replace_time_zone(None)
                                   .alias("时间")).rename({"时间": "时间（北京时间）"})
        if out is not None:
            try:
                with excel_workbook(out) as book:
                    add_sheet(book, "审计日志", local, title=f"审计日志（{local.height} 条）")
            except OSError as error:
                fail(error)
        record(store, actor=os_user(), action="export" if out else "read",
               target="ecohub audit list", row_count=frame.height,
               parameters={"user": user, "since": since, "until": until, "action": action,
                           "limit": limit, "out": str(out) if out else None})
    if out is not None:
        console.print(f"{local.height} events written to {out}", markup=False)
        return
    shown = local.select("时间（北京时间）", "用户", "操作", "访问对象", "涉及对象", "结果",
                         ).with_columns(pl.col("时间（北京时间）").dt.strftime("%Y-%m-%d %H:%M:%S"))
    console.print(to_rich_table(shown, f"审计日志 {shown.height} 条",
                                max_rows=max(shown.height, 1)))


map_app = typer.Typer(help="The one map: region outlines (docs/web.md).", no_args_is_help=True)
app.add_typer(map_app, name="map")


@map_app.command("import")
def map_import(
    file: Annotated[Path, typer.Argument(help="GeoJSON of Polygon / MultiPolygon features.")],
    crs: Annotated[str | None, typer.Option(
        "--crs", help="What the coordinates are in: wgs84 | gcj02 (required; GCJ-02 is "
        "converted to WGS 84).")] = None,
    by: Actor = None,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Import region outlines for the map, replacing those imported before."""
    from ecohub.registry.regions import RegionFileError, read_regions

    if not file.is_file():
        fail(f"FILE {file}: no such file" if not file.exists() else f"FILE {file} is not a file")
    try:
        regions = read_regions(file, crs)
    except RegionFileError as error:
        fail(error)
    with open_existing_store(database_url, data_dir, registry_only=True) as store:
        count = store.regions.replace(regions, actor=by or os_user())
    source = "GCJ-02, converted to WGS 84" if regions[0].source_crs == "gcj02" else "WGS 84"
    console.print(f"{count} region outline(s) imported from {file} ({source}); the map shows "
                  "them instead of the schematic", markup=False, soft_wrap=True)


if __name__ == "__main__":
    main()
