"""The state of every monitored object on the one map: where, how it is judged, in which colour.

One function, :func:`map_state`, for the map page, the public view and anything else that
draws objects: per object its position, type, status, colour, label, the value it is judged on
(with factor and unit), the standard and edition that judged it, and whether its data loggers
are online. Each type is judged by what matters for it:

* **air stations** — the AQI of the latest hour with data (HJ 633 real-time report, the edition
  in force on that hour, :func:`ecohub.standards.aqi.aqi_columns`): category and colour of HJ 633
  Table 1 / Appendix A. Indicators the station's loggers do not measure are *not monitored*
  (HJ 633-2026 5.3: they do not block publication); a measured indicator missing that hour
  blocks it unless the AQI is above 100 ("NA").
* **water stations** — the GB 3838-2002 single-factor class of the latest hour's values
  (:func:`ecohub.standards.gb3838.factor_class`; the worst factor decides; TN only for lakes and
  reservoirs, as the section class of the 2011 evaluation method).
* **outlets** — today's (CST) hourly values against their permit limits
  (:func:`ecohub.analytics.compliance.outlet_compliance`); **pollution sources** — the worst of
  their outlets.
* **noise stations** — the latest hourly Leq against the GB 3096-2008 limit of the station's
  ``zone_class`` for the day or night period the hour lies in.

Online: an object's loggers are online when one of them is connected to a running gateway now
(:func:`ecohub.ingest.status.live_connections`) or the object has a reading received within
:data:`ONLINE_WITHIN` (an hourly logger sends once an hour).

GB 3838-2002 defines classes, not colours: :data:`WATER_CLASS_COLOURS` follows the colours of
the national real-time water-quality publication (blue I–II, green III, yellow IV, orange V,
red 劣V) ◐.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl

from ecohub.analytics.air import AIR_POLLUTANTS, to_standard_units
from ecohub.analytics.compliance import outlet_compliance, outlet_status
from ecohub.analytics.noise import NOISE_FACTOR
from ecohub.standards import aqi, gb3095, gb3838, noise
from ecohub.store import Device, MonitoredObject, Store
from ecohub.vocabulary import CHINA_TZ, CHINA_TZ_NAME, OBJECT_TYPES

__all__ = ["MAP_COLUMNS", "ONLINE_WITHIN", "STATUSES", "WATER_CLASS_COLOURS", "legend",
           "map_state"]

ONLINE_WITHIN: Final = dt.timedelta(minutes=70)
"""A logger with a reading received this recently is online (hourly loggers send hourly)."""

_NO_DATA_COLOUR: Final = "#9AA5B1"
_GREY: Final = "#6B7785"

WATER_CLASS_COLOURS: Final = {1: "#4FC3F7", 2: "#1E6FD9", 3: "#2DB84D", 4: "#F2D32C",
                              5: "#F08A24", 6: "#D7191C"}
"""GB 3838-2002 class (1–6 = I–劣V) → map colour (national real-time publication practice ◐)."""

STATUSES: Final[dict[str, tuple[str, str]]] = {
    **{f"aqi_{g.grade}": (g.category, g.rgb_hex) for g in aqi.GRADES},
    "aqi_na": ("NA（指标不全）", _GREY),
    **{f"class_{c}": (f"{label}类" if c < 6 else label, WATER_CLASS_COLOURS[c])
       for c, label in gb3838.CLASS_LABELS.items()},
    "compliant": ("达标", "#1B9E4B"),
    "exceeded": ("超标", "#D7191C"),
    "no_limit": ("未登记限值", _GREY),
    "no_zone": ("未划定功能区", _GREY),
    "no_data": ("无数据", _NO_DATA_COLOUR),
}
"""Every status of the map → (Chinese name, colour ``#RRGGBB``). AQI colours are HJ 633 Appendix
A's RGB (:data:`ecohub.standards.aqi.GRADES`)."""

_TYPE_STATUSES: Final = {
    "air_station": [f"aqi_{g.grade}" for g in aqi.GRADES] + ["aqi_na", "no_data"],
    "water_station": [f"class_{c}" for c in gb3838.CLASS_LABELS] + ["no_data"],
    "outlet": ["compliant", "exceeded", "no_limit", "no_data"],
    "pollution_source": ["compliant", "exceeded", "no_limit", "no_data"],
    "noise_station": ["compliant", "exceeded", "no_zone", "no_data"],
}

MAP_COLUMNS: Final = {
    "code": pl.String, "name": pl.String, "object_type": pl.String, "type_name": pl.String,
    "longitude": pl.Float64, "latitude": pl.Float64, "city": pl.String, "city_code": pl.String,
    "status": pl.String, "status_name": pl.String, "colour": pl.String,
    "value": pl.Float64, "value_text": pl.String, "factor": pl.String, "unit": pl.String,
    "period_start": pl.Datetime("us", "UTC"), "standard": pl.String,
    "online": pl.Boolean, "last_received": pl.Datetime("us", "UTC"),
}
"""Columns of :func:`map_state`, in order."""

_JUDGED: Final = {"object_id": pl.Int64, "status": pl.String, "value": pl.Float64,
                  "value_text": pl.String, "factor": pl.String, "unit": pl.String,
                  "period_start": pl.Datetime("us", "UTC"), "standard": pl.String}


def legend(today: dt.date | None = None) -> list[dict[str, object]]:
    """The legend of the map: per object type its statuses, names, colours and standard."""
    day = today or dt.datetime.now(CHINA_TZ).date()
    air_edition = gb3095.edition_for_date(day).edition
    standards = {"air_station": f"HJ 633-{air_edition}", "water_station": "GB 3838-2002",
                 "outlet": "排污许可限值（当日小时值）",
                 "pollution_source": "排污许可限值（所属排放口）",
                 "noise_station": "GB 3096-2008"}
    return [{"object_type": kind, "type_name": OBJECT_TYPES[kind], "standard": standards[kind],
             "entries": [{"status": s, "name": STATUSES[s][0], "colour": STATUSES[s][1]}
                         for s in statuses]}
            for kind, statuses in _TYPE_STATUSES.items()]


def map_state(store: Store, objects: Sequence[MonitoredObject], *,
              now: dt.datetime | None = None, data_dir: Path | None = None) -> pl.DataFrame:
    """Each object's state on the map (one row per object, in the order given).

    Parameters
    ----------
    store : Store
    objects : sequence of MonitoredObject
        The objects to show (the caller's visible ones).
    now : datetime, optional
        The moment "today" and "online" are judged at (aware; default now).
    data_dir : Path, optional
        Where running gateways report their connections (the store's data directory).

    Returns
    -------
    polars.DataFrame
        :data:`MAP_COLUMNS`. ``value`` is what the status is judged on: the AQI for air
        stations, the deciding factor's value (its ``factor`` and ``unit``) for water, the
        worst value of the factor with the highest share of its limit today for outlets and
        sources, the hourly Leq in dB(A) for noise. ``period_start`` is the hour judged (UTC;
        the API shows it in CST); ``standard`` names the edition. ``online`` is null for
        objects without a data logger.
    """
    now = now or dt.datetime.now(dt.UTC)
    frame = _objects(objects)
    if frame.is_empty():
        return pl.DataFrame(schema=MAP_COLUMNS)
    latest = _latest(store, frame["object_id"])
    devices = store.registry.devices()
    judged = [
        _air(devices, frame.filter(pl.col("object_type") == "air_station"), latest),
        _water(frame.filter(pl.col("object_type") == "water_station"), latest),
        _noise(frame.filter(pl.col("object_type") == "noise_station"), latest),
        _outlets_and_sources(store, frame, now),
    ]
    judged = pl.concat([j for j in judged if not j.is_empty()] or [pl.DataFrame(schema=_JUDGED)],
                       how="vertical_relaxed")
    online = _online(devices, frame, latest, now, data_dir)
    status = pl.col("status").fill_null("no_data")
    return (
        frame.join(judged, on="object_id", how="left", maintain_order="left")
        .join(online, on="object_id", how="left", maintain_order="left")
        .with_columns(status.alias("status"))
        .with_columns(
            pl.col("status").replace_strict({s: n for s, (n, _) in STATUSES.items()})
            .alias("status_name"),
            pl.col("status").replace_strict({s: c for s, (_, c) in STATUSES.items()})
            .alias("colour"))
        .select([pl.col(c).cast(t) for c, t in MAP_COLUMNS.items()])
    )


_WHOLE_LATEST_FROM: Final = 200
"""From this many objects on the latest readings are read whole and filtered after: the
kept latest table reads in milliseconds, a query naming 2,000 ids takes ~100 ms to bind."""


def _latest(store: Store, ids: pl.Series) -> pl.DataFrame:
    if ids.len() < _WHOLE_LATEST_FROM:
        return store.measurements.latest(None, ids.to_list())
    return store.measurements.latest(None, None).filter(
        pl.col("object_id").is_in(ids.implode()))


def _objects(objects: Sequence[MonitoredObject]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"object_id": o.id, "code": o.code, "name": o.name, "object_type": o.object_type,
          "type_name": OBJECT_TYPES[o.object_type], "longitude": o.longitude,
          "latitude": o.latitude, "city": o.city, "city_code": o.city_code,
          "parent_id": o.parent_id,
          "zone_class": None if o.attributes.get("zone_class") is None
          else str(o.attributes["zone_class"]).lower(),
          "existing_railway": bool(o.attributes.get("existing_railway", False)),
          "waterbody": str(o.attributes.get("waterbody") or "river")}
         for o in objects],
        schema={"object_id": pl.Int64, "code": pl.String, "name": pl.String,
                "object_type": pl.String, "type_name": pl.String, "longitude": pl.Float64,
                "latitude": pl.Float64, "city": pl.String, "city_code": pl.String,
                "parent_id": pl.Int64, "zone_class": pl.String, "existing_railway": pl.Boolean,
                "waterbody": pl.String})


def _latest_hour(latest: pl.DataFrame, ids: pl.Series, factors: Sequence[str]) -> pl.DataFrame:
    """The hourly means of ``factors`` of the latest hour with data of each object."""
    return (
        latest.filter(pl.col("object_id").is_in(ids.implode()), pl.col("kind") == "hour",
                      pl.col("statistic") == "Avg", pl.col("factor").is_in(list(factors)),
                      pl.col("value").is_not_null() & pl.col("value").is_not_nan())
        .with_columns(pl.col("object_id").cast(pl.Int64),
                      pl.col("period_start").dt.convert_time_zone("UTC"))
        .filter(pl.col("period_start") == pl.col("period_start").max().over("object_id"))
    )


def _air(devices: dict[str, Device], stations: pl.DataFrame,
         latest: pl.DataFrame) -> pl.DataFrame:
    """The latest hour's AQI, category and colour of each air station (HJ 633 5.1-5.3)."""
    if stations.is_empty():
        return pl.DataFrame(schema=_JUDGED)
    hour = _latest_hour(latest, stations["object_id"], list(AIR_POLLUTANTS))
    if hour.is_empty():
        return pl.DataFrame(schema=_JUDGED)
    values = to_standard_units(
        hour, stations.select("object_id", "object_type")
    ).pivot(on="pollutant", index=["object_id", "period_start"], values="value",
            aggregate_function="first")
    measured: dict[int, set[str]] = {}
    for device in devices.values():
        measured.setdefault(device.object_id, set()).update(
            AIR_POLLUTANTS[f] for f in device.factors if f in AIR_POLLUTANTS)
    values = values.with_columns(
        pl.col("period_start").dt.convert_time_zone(CHINA_TZ_NAME).dt.date()
        .map_elements(lambda d: gb3095.edition_for_date(d).edition, return_dtype=pl.String)
        .alias("edition"),
        pl.col("object_id").map_elements(
            lambda i: ",".join(p for p in aqi.POLLUTANTS
                               if i in measured and p not in measured[i]),
            return_dtype=pl.String).alias("not_monitored"))
    parts = []
    for (edition, not_monitored), part in values.partition_by(
            "edition", "not_monitored", as_dict=True).items():
        indicators = aqi.REPORT_INDICATORS[(edition, "hour")]
        skipped = set(filter(None, str(not_monitored).split(",")))
        if edition == "2012":  # the 8-hour moving mean is not kept per hour on the map ⚑
            skipped.add("O3_8h")
        concentrations = {
            ind: (part[ind].cast(pl.Float64).to_numpy() if ind in part.columns
                  else np.full(part.height, np.nan))
            for ind in indicators if ind not in skipped}
        index = aqi.aqi_columns(concentrations, "hour", edition=edition,
                                not_monitored=sorted(skipped & set(indicators)))
        parts.append(part.select("object_id", "period_start").with_columns(
            pl.when(index["aqi"].is_null()).then(pl.lit("aqi_na"))
            .otherwise(pl.lit("aqi_") + index["grade"].cast(pl.String)).alias("status"),
            index["aqi"].cast(pl.Float64).alias("value"),
            pl.when(index["aqi"].is_null()).then(pl.lit("AQI NA"))
            .otherwise(pl.lit("AQI ") + index["aqi"].cast(pl.String)
                       + pl.when(index["primary"].list.len() > 0)
                       .then(pl.lit("，首要污染物 ")
                             + index["primary"].cast(pl.List(pl.String)).list.join("、"))
                       .otherwise(pl.lit(""))).alias("value_text"),
            pl.lit("AQI").alias("factor"), pl.lit("").alias("unit"),
            pl.lit(f"HJ 633-{edition}").alias("standard")))
    return pl.concat(parts).select(list(_JUDGED)).cast(_JUDGED)


def _water(sections: pl.DataFrame, latest: pl.DataFrame) -> pl.DataFrame:
    """GB 3838-2002 class of the latest hour of each water station (single-factor method)."""
    if sections.is_empty():
        return pl.DataFrame(schema=_JUDGED)
    hour = _latest_hour(latest, sections["object_id"], list(gb3838.HJ212_WATER_CODES))
    if hour.is_empty():
        return pl.DataFrame(schema=_JUDGED)
    hour = hour.join(sections.select("object_id", "waterbody"), on="object_id")
    parts = []
    for (code, waterbody), part in hour.partition_by("factor", "waterbody",
                                                     as_dict=True).items():
        item = gb3838.factor_from_hj212(code)
        lake = waterbody in ("lake", "reservoir")
        if item == "TN" and not lake:  # informative only for rivers
            continue
        value = part["value"].to_numpy() * gb3838.hj212_to_table_unit(code)
        classes = _classes(item, value, "lake" if lake else "river")
        unit = gb3838.TABLE_1[item].unit
        parts.append(part.select("object_id", "period_start").with_columns(
            pl.Series("class", np.asarray(classes, dtype=np.int8)),
            pl.Series("value", value, dtype=pl.Float64), pl.lit(item).alias("factor"),
            pl.lit("" if unit == "dimensionless" else unit).alias("unit")))
    if not parts:
        return pl.DataFrame(schema=_JUDGED)
    worst = (pl.concat(parts).filter(pl.col("class") > 0)
             .sort("class", descending=True).group_by("object_id", maintain_order=True).first())
    return worst.with_columns(
        (pl.lit("class_") + pl.col("class").cast(pl.String)).alias("status"),
        (pl.col("class").replace_strict(
            {c: (f"{label}类" if c < 6 else label) for c, label in gb3838.CLASS_LABELS.items()},
            return_dtype=pl.String)
         + pl.lit("，定类 ") + pl.col("factor") + pl.lit(" ")
         + pl.col("value").round(3).cast(pl.String) + pl.lit(" ") + pl.col("unit"))
        .alias("value_text"),
        pl.lit("GB 3838-2002").alias("standard"),
    ).select(list(_JUDGED)).cast(_JUDGED)


def _noise(stations: pl.DataFrame, latest: pl.DataFrame) -> pl.DataFrame:
    """The latest hourly Leq against the zone's day or night limit (GB 3096-2008 Table 1)."""
    if stations.is_empty():
        return pl.DataFrame(schema=_JUDGED)
    hour = _latest_hour(latest, stations["object_id"], [NOISE_FACTOR])
    if hour.is_empty():
        return pl.DataFrame(schema=_JUDGED)
    hour = hour.join(stations.select("object_id", "zone_class", "existing_railway"),
                     on="object_id")
    zoned = hour.filter(pl.col("zone_class").is_in(list(noise.ZONE_LIMITS)))
    daytime = noise.is_daytime(zoned["period_start"]) if zoned.height else np.array([], bool)
    period = np.where(daytime, "day", "night")
    zones = zoned["zone_class"].to_numpy()
    railway = zoned["existing_railway"].to_numpy().astype(bool)
    limits = (np.where(railway, noise.limit(zones, period, existing_railway=True),
                       noise.limit(zones, period)) if zoned.height else np.array([]))
    judged = zoned.with_columns(pl.Series("limit", limits, dtype=pl.Float64),
                                pl.Series("daytime", daytime, dtype=pl.Boolean))
    judged = judged.with_columns(
        pl.when(pl.col("value") > pl.col("limit")).then(pl.lit("exceeded"))
        .otherwise(pl.lit("compliant")).alias("status"),
        (pl.lit("Leq ") + pl.col("value").round(1).cast(pl.String) + pl.lit(" dB(A)，")
         + pl.when(pl.col("daytime")).then(pl.lit("昼间")).otherwise(pl.lit("夜间"))
         + pl.lit("限值 ") + pl.col("limit").cast(pl.String)).alias("value_text"))
    unzoned = hour.filter(~pl.col("zone_class").is_in(list(noise.ZONE_LIMITS))
                          | pl.col("zone_class").is_null()).with_columns(
        pl.lit("no_zone").alias("status"),
        (pl.lit("Leq ") + pl.col("value").round(1).cast(pl.String) + pl.lit(" dB(A)"))
        .alias("value_text"))
    both = pl.concat([judged.select(unzoned.columns), unzoned])
    return both.with_columns(pl.lit(NOISE_FACTOR).alias("factor"),
                             pl.lit("dB(A)").alias("unit"),
                             pl.lit("GB 3096-2008").alias("standard")
                             ).select(list(_JUDGED)).cast(_JUDGED)


def _outlets_and_sources(store: Store, frame: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """Today's compliance of outlets with their limits; a source takes its worst outlet."""
    outlets = frame.filter(pl.col("object_type") == "outlet")
    sources = frame.filter(pl.col("object_type") == "pollution_source")
    if outlets.is_empty() and sources.is_empty():
        return pl.DataFrame(schema=_JUDGED)
    all_outlets = {o.code: o for o in store.registry.objects("outlet")}
    source_ids = set(sources["object_id"].to_list())
    codes = set(outlets["code"].to_list()) | {
        c for c, o in all_outlets.items() if o.parent_id in source_ids}
    today = now.astimezone(CHINA_TZ).date()
    per_outlet = outlet_status(outlet_compliance(store, today, sorted(codes)))
    text = (pl.when(pl.col("worst_value").is_null()).then(pl.lit("今日无数据"))
            .otherwise(pl.col("factor_name") + pl.lit(" ")
                       + pl.col("worst_value").round(3).cast(pl.String) + pl.lit(" ")
                       + pl.col("unit") + pl.lit("（限值 ") + pl.col("limit").cast(pl.String)
                       + pl.lit("）")))
    judged_outlets = per_outlet.with_columns(
        text.alias("value_text"), pl.col("worst_value").alias("value"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("period_start"),
        pl.lit(f"排污许可限值，{today} 小时值").alias("standard"))
    code_to_id = {c: o.id for c, o in all_outlets.items()}
    code_to_parent = {c: o.parent_id for c, o in all_outlets.items()}
    rows = judged_outlets.with_columns(
        pl.col("object_code").replace_strict(code_to_id, return_dtype=pl.Int64)
        .alias("object_id"),
        pl.col("object_code").replace_strict(code_to_parent, return_dtype=pl.Int64,
                                             default=None).alias("parent_id"))
    rank = {"exceeded": 3, "compliant": 2, "no_data": 1}
    source_rows = (
        rows.filter(pl.col("parent_id").is_in(list(source_ids)))
        .with_columns(pl.col("status").replace_strict(rank, return_dtype=pl.Int8)
                      .alias("_rank"))
        .sort(["_rank", "worst_ratio"], descending=True, nulls_last=True)
        .group_by("parent_id", maintain_order=True).first()
        .drop("object_id").rename({"parent_id": "object_id"})
        .with_columns((pl.lit("排放口 ") + pl.col("object_code") + pl.lit("：")
                       + pl.col("value_text")).alias("value_text"))
    )
    outlet_ids = set(outlets["object_id"].to_list())
    judged = pl.concat([rows.filter(pl.col("object_id").is_in(list(outlet_ids)))
                        .select(list(_JUDGED)).cast(_JUDGED),
                        source_rows.select(list(_JUDGED)).cast(_JUDGED)])
    unjudged = frame.filter(pl.col("object_type").is_in(["outlet", "pollution_source"]),
                            ~pl.col("object_id").is_in(judged["object_id"].implode()))
    no_limit = unjudged.select("object_id").with_columns(
        pl.lit("no_limit").alias("status"), pl.lit("未登记排放限值").alias("value_text"))
    return pl.concat([judged, no_limit], how="diagonal_relaxed").select(
        list(_JUDGED)).cast(_JUDGED)


def _online(devices: dict[str, Device], frame: pl.DataFrame, latest: pl.DataFrame,
            now: dt.datetime, data_dir: Path | None) -> pl.DataFrame:
    """Per object with loggers: online now, and the last reading received."""
    connected: set[str] = set()
    if data_dir is not None:
        from ecohub.ingest.status import live_connections

        connected = set(live_connections(Path(data_dir)))
    with_devices: dict[int, bool] = {}
    for device in devices.values():
        with_devices[device.object_id] = with_devices.get(device.object_id, False) or (
            device.mn in connected)
    received = (latest.group_by("object_id")
                .agg(pl.col("received_at").max().dt.convert_time_zone("UTC")
                     .alias("last_received"))
                .with_columns(pl.col("object_id").cast(pl.Int64)))
    cutoff = now - ONLINE_WITHIN
    return (
        frame.select("object_id")
        .join(received, on="object_id", how="left")
        .with_columns(pl.col("object_id").replace_strict(
            with_devices, default=None, return_dtype=pl.Boolean).alias("_connected"))
        .with_columns(pl.when(pl.col("_connected").is_null()).then(None)
                      .otherwise(pl.col("_connected")
                                 | (pl.col("last_received") >= cutoff).fill_null(False))
                      .alias("online"))
        .select("object_id", "online", "last_received")
    )


LIMIT_COLUMNS: Final = {
    "factor": pl.String, "factor_name": pl.String, "unit": pl.String, "averaging": pl.String,
    "bound": pl.String, "limit": pl.Float64, "label": pl.String, "standard": pl.String,
}
"""Columns of :func:`factor_limits`."""


def factor_limits(store: Store, obj: MonitoredObject, factors: Sequence[str],
                  day: dt.date | None = None) -> pl.DataFrame:
    """The limits a chart of ``obj``'s readings draws, per factor, in the readings' unit.

    The unit is the one readings of the factor carry (:func:`ecohub.vocabulary.wire_unit`), so
    a chart draws the line over the values as the readings API returns them.

    * air station: GB 3095 grade-2 limits in force on ``day`` — the 1-hour limit
      (``averaging`` ``hour``) where there is one and the 24-hour limit (``day``; O3 the daily
      maximum 8-hour mean, ``max_8h``);
    * water station: the GB 3838-2002 class III limit (``bound`` ``min`` for DO, pH the range
      6–9 as two rows) — lake TP for lakes and reservoirs;
    * outlet: its permit's discharge limits (statistic ``Avg``);
    * noise station: the day and night limits of its zone class (GB 3096-2008 Table 1).

    Returns
    -------
    polars.DataFrame
        :data:`LIMIT_COLUMNS`; ``bound`` is ``max`` (values above exceed) or ``min``.
    """
    from ecohub.analytics.air import AIR_POLLUTANTS
    from ecohub.vocabulary import FACTORS, factor_name, unit_factor, wire_unit

    day = day or dt.datetime.now(CHINA_TZ).date()
    rows: list[dict[str, object]] = []

    def unit_of(code: str) -> str:
        return wire_unit(code, obj.object_type) if code in FACTORS else ""

    if obj.object_type == "air_station":
        edition = gb3095.edition_for_date(day)
        for code in factors:
            pollutant = AIR_POLLUTANTS.get(code)
            if pollutant is None:
                continue
            for averaging in ("hour", "day", "max_8h"):
                try:
                    lim = gb3095.limit(pollutant, averaging, 2, edition=edition.edition,
                                       stage=edition.stage)
                except ValueError:
                    continue
                scale = unit_factor(lim.unit, unit_of(code))
                name = {"hour": "1小时平均", "day": "24小时平均", "max_8h": "日最大8小时平均"}
                rows.append({"factor": code, "factor_name": factor_name(code),
                             "unit": unit_of(code), "averaging": "day" if averaging ==
                             "max_8h" else averaging, "bound": "max",
                             "limit": float(lim.value) * scale,
                             "label": f"二级{name[averaging]}限值",
                             "standard": lim.clause + _stage(lim.stage)})
    elif obj.object_type == "water_station":
        lake = str(obj.attributes.get("waterbody") or "river") in ("lake", "reservoir")
        for code in factors:
            if code not in gb3838.HJ212_WATER_CODES:
                continue
            item = gb3838.factor_from_hj212(code)
            to_wire = 1 / gb3838.hj212_to_table_unit(code)
            spec = gb3838.TABLE_1[item]
            if spec.direction == "range":
                bounds = [("min", gb3838.PH_RANGE[0]), ("max", gb3838.PH_RANGE[1])]
            else:
                bounds = [("min" if spec.direction == "min" else "max",
                           gb3838.limit(item, 3, waterbody="lake" if lake else "river"))]
            for bound, value in bounds:
                rows.append({"factor": code, "factor_name": factor_name(code),
                             "unit": unit_of(code), "averaging": "hour", "bound": bound,
                             "limit": float(value) * to_wire,
                             "label": "Ⅲ类" + ("下限" if bound == "min" else "限值"),
                             "standard": "GB 3838-2002 表1"})
    elif obj.object_type == "outlet":
        for lim in store.registry.limits(obj.code):
            if lim.statistic != "Avg" or lim.factor not in FACTORS:
                continue
            try:
                scale = unit_factor(lim.unit, unit_of(lim.factor))
            except ValueError:
                continue
            rows.append({"factor": lim.factor, "factor_name": factor_name(lim.factor),
                         "unit": unit_of(lim.factor), "averaging": "hour", "bound": "max",
                         "limit": float(lim.value) * scale, "label": "排放限值",
                         "standard": lim.standard or lim.permit_number or "排污许可"})
    elif obj.object_type == "noise_station":
        zone = obj.attributes.get("zone_class")
        zone = None if zone is None else str(zone).lower()
        if zone in noise.ZONE_LIMITS:
            railway = bool(obj.attributes.get("existing_railway", False))
            for period, name in (("day", "昼间"), ("night", "夜间")):
                rows.append({"factor": NOISE_FACTOR, "factor_name": "等效声级 Leq",
                             "unit": "dB(A)", "averaging": "hour", "bound": "max",
                             "limit": float(noise.limit(zone, period,
                                                        existing_railway=railway)),
                             "label": f"{zone}类区{name}限值",
                             "standard": "GB 3096-2008 表1"})
    return pl.DataFrame(rows, schema=LIMIT_COLUMNS)


def _stage(stage: str | None) -> str:
    return "" if stage is None else "（过渡阶段）" if stage == "transition" else "（最终阶段）"


def _classes(item: str, values: np.ndarray, waterbody: str) -> np.ndarray:
    """GB 3838 classes of ``values``; a value the standard refuses is no class (0).

    A faulty reading (pH 15, a negative concentration) must not fail the whole map.
    """
    try:
        return np.asarray(gb3838.factor_class(item, values, waterbody=waterbody), dtype=np.int8)
    except ValueError:
        out = np.zeros(len(values), dtype=np.int8)
        for i, value in enumerate(values):
            try:
                out[i] = gb3838.factor_class(item, float(value), waterbody=waterbody)
            except ValueError:
                out[i] = gb3838.MISSING
        return out
