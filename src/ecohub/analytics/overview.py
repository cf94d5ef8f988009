"""The region's headline figures of a day, for the cockpit (驾驶舱) screen.

One call gathers what a bureau's leadership screen shows, each figure from the one function
that computes it: the cities' daily AQI (:func:`ecohub.analytics.air.assess_air`, HJ 633), the
share of good days to date (:func:`ecohub.analytics.air.good_days_to_date`, HJ 663), the
water sections' classes (:func:`ecohub.analytics.water.assess_water`, GB 3838-2002), the data
loggers that sent today (:func:`ecohub.ingest.status.logger_status`) and the packets not stored
(the registry's rejected store). Each air figure also for the day before and the same day a
year before, so the screen can show the change.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from ecohub.analytics.air import REGION, assess_air, good_days_to_date, same_day_last_year
from ecohub.analytics.water import assess_water
from ecohub.reports.labels import edition_text, rounded_as_published
from ecohub.standards import aqi
from ecohub.standards._rounding import round_gbt8170
from ecohub.store import Store
from ecohub.vocabulary import CHINA_TZ

__all__ = ["TREND_DAYS", "day_overview"]

TREND_DAYS = 7
"""Days of the AQI trend (the day and the six before)."""


def _air_of_day(daily: pl.DataFrame, day: dt.date) -> dict[str, Any]:
    """Headline air figures of one day from the cities' daily AQI (HJ 633).

    ``mean_aqi`` is the arithmetic mean of the cities' daily AQI, rounded to an integer
    (GB/T 8170), its category that of HJ 633 Table 1 for that value ⚑ (a regional summary, not a
    station's or city's AQI); ``by_category`` counts the cities per HJ 633 category;
    ``over_100`` the cities with AQI > 100 (a day over the standard).
    """
    rows = (daily.filter((pl.col("date") == day) & pl.col("aqi").is_not_null())
            if "aqi" in daily.columns else daily.clear())
    if rows.is_empty():
        return {"date": day, "cities": 0, "mean_aqi": None, "category": None, "colour": None,
                "by_category": _categories(rows), "worst": None, "over_100": None}
    mean = float(round_gbt8170(np.array([rows["aqi"].mean()]), 0)[0])
    grade = aqi.grade_of(mean)
    worst = rows.sort("aqi", "city_code", descending=[True, False]).row(0, named=True)
    return {
        "date": day, "cities": rows.height, "mean_aqi": int(mean), "category": grade.category,
        "colour": grade.rgb_hex, "by_category": _categories(rows),
        "worst": {"city": worst["city"], "aqi": worst["aqi"], "category": worst["category"],
                  "colour": worst["colour_rgb"], "primary": worst["primary"]},
        "over_100": int((rows["aqi"] > 100).sum()),
    }


def _categories(rows: pl.DataFrame) -> list[dict[str, Any]]:
    counts = dict(rows.group_by("grade").len().iter_rows()) if rows.height else {}
    return [{"grade": g.grade, "category": g.category, "colour": g.rgb_hex,
             "cities": int(counts.get(g.grade, 0))} for g in aqi.GRADES]


def _water_of(store: Store, day: dt.date) -> dict[str, Any]:
    """Sections classed on the day and the share of class I–III (GB 3838-2002)."""
    sections = assess_water(store, day, day).sections
    classed = sections.filter(pl.col("water_class").is_not_null())
    good = int((classed["water_class"] <= 3).sum()) if classed.height else 0
    return {"date": day, "sections": sections.height, "classed": classed.height,
            "class_i_iii": good,
            "share_i_iii": float(round_gbt8170(np.array([good / classed.height]), 3)[0])
            if classed.height else None}


def _outlets_of(store: Store, day: dt.date, outlets: list[str] | None) -> dict[str, Any]:
    """Outlets and outlet-factors over their permit limits on the day.

    As :func:`ecohub.analytics.compliance.outlet_compliance` judges them.
    """
    from ecohub.analytics.compliance import outlet_compliance

    rows = outlet_compliance(store, day, outlets)
    over = rows.filter(pl.col("exceeded").fill_null(False))
    return {"date": day, "limits": rows.height,
            "with_data": int(rows["exceeded"].is_not_null().sum()),
            "exceeded": over.height, "outlets_exceeded": over["object_code"].n_unique()}


def day_overview(store: Store, day: dt.date, *, now: dt.datetime | None = None,
                 outlets: list[str] | None = None) -> dict[str, Any]:
    """The headline figures of ``day`` and, for the live figures, of today.

    Parameters
    ----------
    store : Store
    day : date
        The day assessed (China Standard Time); a cockpit shows the last complete day.
    now : datetime, optional
        The moment "today" is taken from (default now); loggers and rejected packets are
        counted from today's midnight (CST), yesterday's for the comparison.
    outlets : list of str, optional
        The outlets counted in ``exceedances`` (the viewer's); default every outlet.

    Returns
    -------
    dict
        ``air`` (``day``, ``previous``, ``last_year``: :func:`_air_of_day`), ``ranking`` (the
        day's cities by AQI), ``trend`` (the region's mean AQI of :data:`TREND_DAYS` days),
        ``good_days`` (all cities' share of good days to date and a year before),
        ``water`` (``day``, ``previous``), ``exceedances`` (outlets over their permit limits on
        ``day``, the day before and today), ``loggers`` and ``rejected`` (today, yesterday),
        ``standards`` (the editions applied, in Chinese).
    """
    from ecohub.ingest.status import logger_status

    previous = day - dt.timedelta(days=1)
    last_year = same_day_last_year(day)
    recent = assess_air(store, day - dt.timedelta(days=TREND_DAYS - 1), day)
    daily = recent.city_daily
    then = assess_air(store, last_year, last_year).city_daily
    ranking = recent.daily_ranking.filter(pl.col("date") == day).select(
        "rank", "city", "aqi", "category", "colour_rgb", "primary")
    trend = []
    for offset in range(TREND_DAYS - 1, -1, -1):
        figures = _air_of_day(daily, day - dt.timedelta(days=offset))
        trend.append({k: figures[k] for k in ("date", "mean_aqi", "category", "colour")})
    # shares as published: 0.1 % (GB/T 8170)
    good = rounded_as_published(good_days_to_date(store, day).filter(pl.col("city") == REGION))
    good_days = good.row(0, named=True) if good.height else None

    now = (now or dt.datetime.now(CHINA_TZ)).astimezone(CHINA_TZ)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = today - dt.timedelta(days=1)
    status = logger_status(store, today, data_dir=store.settings.data_dir)
    registered = len(status.loggers)
    online = status.sending / registered if registered else None
    rejected_today = sum(c.packets for c in store.registry.rejected_by_logger(today))
    rejected_since_yesterday = sum(c.packets for c in store.registry.rejected_by_logger(yesterday))
    return {
        "day": day, "previous": previous, "last_year": last_year,
        "standards": edition_text(daily.filter(pl.col("date") == day)),
        "air": {"day": _air_of_day(daily, day), "previous": _air_of_day(daily, previous),
                "last_year": _air_of_day(then, last_year)},
        "ranking": ranking.to_dicts(),
        "trend": trend,
        "good_days": good_days,
        "water": {"day": _water_of(store, day), "previous": _water_of(store, previous)},
        "exceedances": {"day": _outlets_of(store, day, outlets),
                        "previous": _outlets_of(store, previous, outlets),
                        "today": _outlets_of(store, today.date(), outlets)},
        "loggers": {"today": today.date(), "registered": registered, "sending": status.sending,
                    "connected": status.connected,
                    "online_rate": None if online is None
                    else float(round_gbt8170(np.array([online]), 3)[0])},
        "rejected": {"today": rejected_today,
                     "yesterday": rejected_since_yesterday - rejected_today},
    }
