"""Region outlines of the map: the administrative boundaries an operator imported.

The rest of ecohub sees :class:`Region` records; an import (:meth:`Regions.replace`) replaces the
whole set in one transaction, so the map never shows half of two imports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from ecohub.store import models

__all__ = ["Region", "Regions"]


@dataclass(frozen=True)
class Region:
    """One region outline: a GeoJSON Polygon or MultiPolygon geometry in WGS 84."""

    name: str
    geometry: dict
    code: str | None = None
    properties: dict = field(default_factory=dict)
    source_crs: str = "wgs84"
    """The CRS of the file it came from (``wgs84`` or ``gcj02``, converted to WGS 84)."""
    source_file: str | None = None
    imported_at: datetime | None = None
    imported_by: str | None = None


class Regions:
    """The map's region outlines in the operational database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def replace(self, regions: Sequence[Region], *, actor: str) -> int:
        """Replace every stored outline with ``regions`` (one transaction); returns the count."""
        if not actor:
            raise ValueError("regions: the actor (who imports) is required")
        now = datetime.now(UTC)
        with Session(self.engine) as session, session.begin():
            session.execute(delete(models.MapRegion))
            session.add_all(models.MapRegion(
                name=r.name, code=r.code, geometry=r.geometry, properties=dict(r.properties),
                source_crs=r.source_crs, source_file=r.source_file, imported_at=now,
                imported_by=actor) for r in regions)
        return len(regions)

    def all(self) -> list[Region]:
        """The stored outlines in import order (empty when none was imported)."""
        with Session(self.engine) as session:
            return [Region(name=row.name, geometry=row.geometry, code=row.code,
                           properties=dict(row.properties or {}), source_crs=row.source_crs,
                           source_file=row.source_file,
                           imported_at=row.imported_at.replace(tzinfo=UTC)
                           if row.imported_at.tzinfo is None else row.imported_at,
                           imported_by=row.imported_by)
                    for row in session.scalars(select(models.MapRegion)
                                               .order_by(models.MapRegion.id))]
