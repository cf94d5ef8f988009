"""The shapes of the API's answers, for the OpenAPI document (``/api/v1/openapi.json``).

A table answer in JSON is ``{<meta>…, count, items: [...]}`` (:func:`ecohub.api.formats.
table_response`); the same table as CSV, XLSX or Parquet is a download (:data:`TABLE_FORMATS`).
Errors are RFC 9457 problem details (:class:`ProblemDetails`, ``application/problem+json``).
The routers return ready responses, so these models document; they do not re-validate. The
conformance test (tests/api/test_openapi.py) holds the two together.
"""

from __future__ import annotations

from datetime import date, datetime
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AirPage", "AuditPage", "CityDailyPage", "CompliancePage", "GoodDaysPage", "LimitsPage",
    "MapConfig", "MapObjectsPage", "PublicMapObjectsPage", "RegionCollection", "Healthy",
    "IngestStatusPage", "LatestPage", "NoisePage", "ObjectDetail", "ObjectsPage",
    "ParameterError", "ProblemDetails", "ReadingsPage", "ReasonsPage", "Ready", "RejectedPage",
    "Released", "StationsPage", "TABLE_FORMATS", "WaterPage", "table_formats",
]



def _moment() -> Any:
    """A time as ISO 8601 text with its zone (China Standard Time, ``…+08:00``)."""
    return Field(json_schema_extra={"format": "date-time"})


def table_formats(description: str) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a table endpoint: its JSON page and the three downloads."""
    return {200: {"description": description, "content": {
        "text/csv": {"schema": {"type": "string"},
                     "example": "\ufeffcode,name\n340100-A01,合肥市监测站\n"},
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
            "schema": {"type": "string", "format": "binary"}},
        "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
    }}}


TABLE_FORMATS = table_formats(
    "JSON（默认）；`format=csv|xlsx|parquet` 或 `Accept` 头时为下载文件（需 data.export）")


class ParameterError(BaseModel):
    """One wrong parameter: which, where, the value given and what is expected."""

    parameter: str
    in_: str = Field(alias="in", description="query | path | body | header | cookie")
    value: Any = None
    expected: str


class ProblemDetails(BaseModel):
    """An error (RFC 9457 §3.1), with ``errors`` listing the wrong parameters (RFC 9457 §3.2)."""

    model_config = ConfigDict(title="Problem", extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ParameterError] | None = None


class _Page(BaseModel):
    """A table answer in JSON."""

    count: int = Field(description="rows in this answer")


# ---- operations -----------------------------------------------------------------------------

class Healthy(BaseModel):
    """The process answers."""

    status: str


class Ready(BaseModel):
    """The store answers and the gateway's backlog is below its limit."""

    status: str
    store_backlog: int


class Released(BaseModel):
    """The outcome of a release."""

    released: int = Field(description="quarantined packets replayed into the store")


# ---- objects --------------------------------------------------------------------------------

class ObjectRow(BaseModel):
    """A monitored object of the registry."""

    id: int
    code: str
    name: str
    object_type: str
    type_name: str
    parent_id: int | None
    longitude: float | None
    latitude: float | None
    city: str | None
    city_code: str | None
    county: str | None
    department: str | None


class ObjectsPage(_Page):
    """A keyset page of objects."""

    next: int | None = Field(description="`after` of the next page; null at the end")
    items: list[ObjectRow]


class StationRow(BaseModel):
    """An air station as published."""

    code: str
    name: str
    city: str | None
    city_code: str | None
    county: str | None
    longitude: float | None
    latitude: float | None


class StationsPage(_Page):
    """The published air stations."""

    items: list[StationRow]


class ObjectRecord(ObjectRow):
    """An object's registry record."""

    attributes: dict[str, Any] = Field(description="type-specific attributes (zone_class …)")
    retired_at: datetime | None = Field(description="when it was retired (+08:00)")


class DeviceInfo(BaseModel):
    """A data logger of an object, as the gateway reads it (its password never shown)."""

    mn: str
    factors: list[str]
    protocol: str = Field(description="HJ 212 edition: 2017 | 2005")
    minute_interval: int
    profile: str
    accept: list[str]
    utc_offset_minutes: int


class RegistryChange(BaseModel):
    """One change of a registry record: who, when, why, and each field's old and new value."""

    changed_at: datetime = Field(description="China Standard Time (+08:00)")
    actor: str
    reason: str
    entity: str
    key: str
    action: str
    changes: dict[str, list[Any]] = Field(description="field → [old, new]")


class ObjectDetail(BaseModel):
    """One object, its data loggers (no secrets) and the history of both, newest first."""

    object: ObjectRecord
    devices: list[DeviceInfo]
    history: list[RegistryChange]


# ---- readings -------------------------------------------------------------------------------

class LatestRow(BaseModel):
    """The latest reading of an object and factor (times in China Standard Time)."""

    object_code: str | None
    mn: str
    factor: str
    kind: str
    statistic: str
    period_start: str = _moment()
    period_s: int
    value: float | None
    unit: str | None
    device_flag: str | None
    received_at: str | None = _moment()


class ReadingRow(LatestRow):
    """A stored reading with its device flag, QC flag, validity and review."""

    qc_flag: int | None = Field(description="QC flag (ecohub.quality)")
    qc_valid: bool | None
    review: str | None = Field(description="the operator's review of the flags")


class ReadingsPage(_Page):
    """A keyset page of readings."""

    next: str | None = Field(description="`after` of the next page; null at the end")
    items: list[ReadingRow]


class LatestPage(_Page):
    """The latest reading per object and factor."""

    items: list[LatestRow]


# ---- assessments ----------------------------------------------------------------------------

class AirPage(_Page):
    """One table of the air assessment, with the editions and stage applied."""

    table: str
    from_: date = Field(alias="from")
    to: date
    editions: list[str] = Field(description="editions of HJ 633 / GB 3095 applied")
    stage: str | None
    standards: str
    standards_text: str = Field(description="the standards applied, in Chinese, with the stage")
    ranking_rule: str | None = Field(
        None, description="table=ranking: the comprehensive index's weights and limits, in Chinese")
    columns: dict[str, Any] = Field(description="column → Chinese header, unit and digits")
    items: list[dict[str, Any]] = Field(description="rows of the table asked for")


class CityDailyRow(BaseModel):
    """A city's daily AQI as published."""

    date: date
    rank: int | None = Field(None, description="rank by AQI (lower is cleaner; NA unranked)")
    city: str
    aqi: int | None = Field(description="AQI (HJ 633); null when the day is not valid")
    grade: int | None = Field(None, description="AQI grade 1–6 (HJ 633 Table 1)")
    category: str | None
    colour_rgb: str | None = Field(None, description="the category's colour (HJ 633 App. A)")
    primary: list[str] | None = Field(description="primary pollutants (AQI > 50)")
    edition: str = Field(description="HJ 633 / GB 3095 edition applied")
    stage: str | None = Field(None, description="GB 3095-2026 stage")


class GoodDaysPage(_Page):
    """Share of good days to date per city and for all cities, against the year before."""

    day: date
    editions: list[str]
    standards_text: str = Field(description="the standards both periods are assessed with")
    columns: dict[str, Any] = Field(description="column → Chinese header, unit and digits")
    items: list[dict[str, Any]]


class CityDailyPage(_Page):
    """Each city's daily AQI of one day."""

    day: date
    editions: list[str]
    items: list[CityDailyRow]


class WaterPage(_Page):
    """One table of the water assessment (GB 3838-2002)."""

    table: str
    standard: str
    from_: date = Field(alias="from")
    to: date
    columns: dict[str, Any] = Field(description="column → Chinese header, unit and digits")
    items: list[dict[str, Any]]


class NoisePage(WaterPage):
    """One table of the noise assessment (GB 3096-2008)."""


# ---- ingest and audit -----------------------------------------------------------------------

class IngestStatusRow(BaseModel):
    """One data logger's status since ``since``."""

    mn: str
    object_code: str | None
    object_name: str | None
    connected: bool | None
    peers: str | None
    last_received: str | None = _moment()
    packets: int | None
    readings: int | None
    rejected: str | None
    deviations: str | None
    clock_offset_s: float | None


class IngestStatusPage(_Page):
    """Per-logger status (as ``ecohub ingest status``)."""

    since: str = _moment()
    unregistered_rejected: int = Field(description="packets not stored whose MN is not registered")
    items: list[IngestStatusRow]


class RejectedRow(BaseModel):
    """A packet not stored: when, from where, why, and its raw text."""

    received_at: str | None = _moment()
    mn: str | None
    peer: str | None
    disposition: str
    reason_kind: str | None
    reason: str | None
    explanation: str | None = Field(None, description="the reason kind explained (Chinese)")
    action: str | None = Field(None, description="what the operator does about it (Chinese)")
    raw: str


class ReasonRow(BaseModel):
    """A kind of reason a packet was not stored, explained."""

    kind: str
    explanation: str
    action: str


class DeviationRow(BaseModel):
    """A kind of deviation from HJ 212, described."""

    kind: str
    description: str


class ReasonsPage(_Page):
    """Every reason kind, explained (``ecohub.ingest.reasons``), and the deviation kinds."""

    items: list[ReasonRow]
    deviations: list[DeviationRow]


class RejectedPage(_Page):
    """Packets not stored, newest first."""

    items: list[RejectedRow]


class AuditRow(BaseModel):
    """One audit event (secrets never recorded)."""

    id: int
    at: str = _moment()
    actor: str | None
    actor_kind: str
    action: str
    target: str
    outcome: str
    token_id: int | None
    organisation: str | None
    ip: str | None
    method: str | None
    parameters: str = Field(description="JSON text")
    object_ids: str = Field(description="JSON text")
    row_count: int | None
    status: int | None


class AuditPage(_Page):
    """Audit events, newest first."""

    items: list[AuditRow]


# ---- the document ---------------------------------------------------------------------------

PROBLEM_STATUSES = {
    400: "请求体无法解析 the request body is not JSON",
    401: "需要登录，或令牌无效 sign in, or the bearer token is unknown, expired or revoked",
    403: "无此权限（角色或令牌范围），或缺少 CSRF 令牌 not granted, or no CSRF token",
    404: "不存在，或无权查看 not found, or not the caller's to see",
    422: "参数有误：errors 指明参数、取值与期望 a wrong parameter (see errors)",
    503: "服务暂不可用：读取超时（重试见 Retry-After） a read took longer than its limit",
}


# ---- the one map -----------------------------------------------------------------------------

class LegendEntry(BaseModel):
    """One status of an object type: its Chinese name and colour."""

    status: str
    name: str
    colour: str = Field(description="#RRGGBB")


class LegendType(BaseModel):
    """The legend of one object type, with the standard (edition) it is judged by."""

    object_type: str
    type_name: str
    standard: str
    entries: list[LegendEntry]


class PublicMapRow(BaseModel):
    """A published air station on the map: the latest hour's AQI."""

    code: str
    name: str
    object_type: str
    type_name: str
    longitude: float | None
    latitude: float | None
    city: str | None
    city_code: str | None
    status: str = Field(description="aqi_1 … aqi_6, aqi_na, class_1 … class_6, compliant, "
                                    "exceeded, no_limit, no_zone, no_data")
    status_name: str
    colour: str = Field(description="#RRGGBB (AQI: HJ 633 Appendix A)")
    value: float | None = Field(description="what the status is judged on (AQI, mg/L, dB(A) …)")
    value_text: str | None
    factor: str | None
    unit: str | None
    period_start: datetime | None = _moment()
    standard: str | None = Field(description="standard and edition, e.g. HJ 633-2026")


class MapRow(PublicMapRow):
    """An object on the map, with its loggers' state."""

    online: bool | None = Field(description="a logger connected or sending; null: no logger")
    last_received: datetime | None = _moment()


class PublicMapObjectsPage(_Page):
    """The published objects on the map and the legend."""

    legend: list[LegendType]
    items: list[PublicMapRow]


class MapObjectsPage(_Page):
    """The caller's objects on the map and the legend."""

    legend: list[LegendType]
    items: list[MapRow]


class LimitRow(BaseModel):
    """A limit line of a chart, in the unit of the factor's readings."""

    factor: str
    factor_name: str
    unit: str
    averaging: str = Field(description="hour | day")
    bound: str = Field(description="max (above exceeds) | min (below fails)")
    limit: float
    label: str
    standard: str


class LimitsPage(_Page):
    """The limits of one object's factors."""

    object: str
    items: list[LimitRow]


class ComplianceRow(BaseModel):
    """One outlet and limited factor on one day."""

    object_code: str
    name: str
    source_code: str | None
    factor: str
    factor_name: str
    statistic: str
    limit: float
    unit: str
    standard: str | None
    day: date
    worst_value: float | None
    worst_at: datetime | None = _moment()
    hours: int
    hours_exceeded: int
    exceeded: bool | None = Field(description="null: no valid hourly value that day")
    status: str = Field(description="compliant | exceeded | no_data")
    status_name: str


class CompliancePage(_Page):
    """Outlets against their permit limits on one day (CST)."""

    day: date
    items: list[ComplianceRow]


class RegionCollection(BaseModel):
    """Region outlines as a GeoJSON FeatureCollection (WGS 84)."""

    model_config = ConfigDict(extra="allow")

    type: str = "FeatureCollection"
    schematic: bool = Field(description="true: drawn from the registered cities, not real "
                                        "boundaries")
    note: str | None
    features: list[dict[str, Any]]


class MapConfig(BaseModel):
    """What the map page needs to know about this server."""

    basemap: str | None = Field(description="URL of the operator's PMTiles basemap, if any")


def complete(document: dict[str, Any], api_prefix: str) -> dict[str, Any]:
    """The generated OpenAPI ``document`` with every error as ``application/problem+json``.

    Each ``api_prefix`` operation may answer 401 (a bad bearer token is refused even on public
    routes), 422 and 503 (a read past its time limit); one that needs a permission (it has
    ``security``) or changes something (CSRF) also 403. FastAPI's own validation-error schema
    is replaced by :class:`ProblemDetails`, which is what the service sends.
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    problem_schema = ProblemDetails.model_json_schema(
        ref_template="#/components/schemas/{model}", mode="serialization")
    schemas.update(problem_schema.pop("$defs", {}))
    schemas["Problem"] = problem_schema
    problem_content = {"application/problem+json": {
        "schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            statuses = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
            if operation.get("requestBody"):
                statuses.add(400)  # a body that is not JSON at all
            if path.startswith(api_prefix):
                statuses |= {401, 422, 503}
                if operation.get("security") or method != "get":
                    statuses.add(403)
            for status in sorted(statuses):
                entry = responses.setdefault(str(status), {})
                if entry.get("description", "") in ("", "Validation Error",
                                                    HTTPStatus(status).phrase):
                    entry["description"] = PROBLEM_STATUSES.get(status, "错误 error")
                entry["content"] = problem_content
    return document
