"""The ``ecohub`` command. Thin: parse arguments, call the domain function, print the result."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

CST = timezone(timedelta(hours=8), "CST")

app = typer.Typer(
    help="ecohub — eco-environment data platform: collect, govern, share and use "
    "environmental data.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

DataDir = Annotated[
    Path, typer.Option("--data-dir", help="Embedded store directory (SQLite + DuckDB).")
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", envvar="ECOHUB_DATABASE_URL",
                 help="Server store, e.g. postgresql+psycopg://user@host/db (else embedded)."),
]


def parse_day(value: str, option: str) -> datetime:
    """A date (YYYY-MM-DD) or date-time in China Standard Time unless it names a zone."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; expected YYYY-MM-DD or YYYY-MM-DDTHH:MM", param_hint=option
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=CST)


@app.command()
def demo(
    data_dir: DataDir = Path("ecohub-data"),
    days: Annotated[float, typer.Option(min=0.05, max=31, help="Simulated days.")] = 2.0,
    start: Annotated[str | None, typer.Option(help="Simulated start (CST), default: "
                                              "that many days before today 00:00.")] = None,
    seed: int = 2026,
) -> None:
    """Register the Anhui demo region, run simulated HJ 212 loggers against the gateway over
    real TCP, and report what arrived."""
    from ecohub.demo import run_demo

    if start is None:
        today = datetime.now(CST).replace(hour=0, minute=0, second=0, microsecond=0)
        begin = today - timedelta(days=days)
    else:
        begin = parse_day(start, "--start")
    console.print(f"[bold]ecohub demo[/]: Anhui, 16 cities; simulated {days:g} days from "
                  f"{begin:%Y-%m-%d %H:%M} CST, seed {seed}")
    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task("HJ 212 packets acknowledged", total=None)
        result = run_demo(data_dir, begin, timedelta(days=days), seed,
                          progress=lambda done, total: bar.update(task, completed=done,
                                                                  total=total))
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
    for disposition, kind, count in result.rejected:
        rejected.add_row(disposition, kind, f"{count:,}")
    console.print(rejected)
    console.print(f"data: {result.where}")


@app.command()
def serve(
    host: str = "0.0.0.0",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 2756,
    unknown_mn: Annotated[str, typer.Option(help="reject | quarantine")] = "reject",
    tolerant: Annotated[bool, typer.Option(help="Accept known real-world deviations.")] = False,
    idle_timeout: Annotated[float, typer.Option(min=1)] = 600.0,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Run the HJ 212 TCP gateway until interrupted."""
    from ecohub.ingest.hj212_server import GatewayConfig
    from ecohub.ingest.hj212_server import serve as serve_gateway
    from ecohub.store import open_store

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        config = GatewayConfig(host=host, port=port, unknown_mn=unknown_mn,  # type: ignore[arg-type]
                               strict=not tolerant, idle_timeout=idle_timeout)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    with open_store(database_url, data_dir) as store:
        console.print(f"HJ 212 gateway on {host}:{port}; {store.settings.describe()}")
        counters = asyncio.run(serve_gateway(store, config))
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
        help="Write every table to .xlsx (one sheet each) or .csv.")] = None,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Assess stored data against the national standards (HJ 633 / GB 3095 / HJ 663 for air,
    GB 3838 for water, GB 3096 for noise) and print the summary."""
    from ecohub.analytics import air, export, noise, water
    from ecohub.store import open_store

    if domain not in ASSESSMENTS:
        raise typer.BadParameter(f"{domain!r}; expected one of {', '.join(ASSESSMENTS)}",
                                 param_hint="DOMAIN")
    if edition is not None and domain != "air":
        raise typer.BadParameter("editions apply to the air standards only",
                                 param_hint="--edition")
    first = parse_day(date_from, "--from").date()
    last = parse_day(date_to, "--to").date()
    with open_store(database_url, data_dir) as store:
        try:
            if domain == "air":
                result = air.assess_air(store, first, last, city=city, edition=edition)
            elif domain == "water":
                result = water.assess_water(store, first, last, city=city)
            else:
                result = noise.assess_noise(store, first, last, city=city)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
    console.print(export.to_rich_table(result.summary(), title=f"{domain} {first} – {last}"))
    if out is not None:
        try:
            written = export.write_tables(result.tables(), out)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--out") from None
        console.print("written: " + ", ".join(str(path) for path in written))


store_app = typer.Typer(help="Inspect and export the store.", no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("info")
def store_info(data_dir: DataDir = Path("ecohub-data"), database_url: DatabaseUrl = None) -> None:
    """Where the data is and how much there is."""
    from ecohub.store import open_store

    with open_store(database_url, data_dir) as store:
        console.print(store.settings.describe())
        counts = store.measurements.query(
            "SELECT kind, count(*) AS readings, min(period_start) AS first, "
            "max(period_start) AS last FROM readings GROUP BY kind ORDER BY kind")
        console.print(counts)
        console.print(f"registered devices: {len(store.registry.devices())}")


@store_app.command("export")
def store_export(
    out: Annotated[Path, typer.Argument(help="Directory for the Parquet dataset.")],
    kind: Annotated[str | None, typer.Option(help="realtime | minute | hour | day")] = None,
    data_dir: DataDir = Path("ecohub-data"),
    database_url: DatabaseUrl = None,
) -> None:
    """Export readings as Parquet partitioned by kind and date (for DuckDB, Spark, Trino)."""
    from ecohub.store import open_store

    with open_store(database_url, data_dir) as store:
        try:
            rows = store.measurements.export_parquet(out, kind)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
    console.print(f"{rows:,} readings written to {out} (kind=…/date=…/)")


