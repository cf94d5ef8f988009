"""Typed QC configuration per object type and HJ 212 factor, with documented defaults.

A configuration is data: a Python dict or a TOML file (``tomllib``) validated as a whole by
pydantic before anything is used — a bad entry (unknown factor code, unknown test name, min above
max, negative or zero threshold, a window too small) raises :class:`QCConfigError` naming the
path (and, for TOML, the line) of the field; nothing is half-applied. ``QCConfig.version`` is a
hash of the canonical content, stored beside every flag so a flag can be traced to its rules.

Shape (TOML)::

    extends = "default"            # deep-merge this file over default_config(); without it
                                   # the file is the whole config (an empty one is an error)
    [object_types.air_station.factors.a34004]          # PM2.5, all kinds
    gross_range = { fail_span = [0, 1000], suspect_span = [0, 800] }
    spike = { suspect_threshold = 100, fail_threshold = 250 }
    [object_types.air_station.factors."a34004@realtime"]   # override for one kind only

**Units.** Thresholds are in ecohub's stored units: ambient-air pollutants in µg/m³ (CO in
mg/m³) at the GB 3095 reference state, water in mg/L (pH dimensionless, conductivity µS/cm,
temperature °C), noise in dB(A). ``rate_of_change`` thresholds are units per second and
``flat_line`` thresholds seconds, as in ``ioos_qc``.

**Sources of the defaults** (``source`` field of each default test): "HJ 653-2013" and
"HJ 654-2013" are the measuring ranges those technical requirements set for PM and gas
analysers (PM 0-1000 µg/m³; SO2, NO2, O3 0-500 nmol/mol, CO 0-50 µmol/mol, converted at
298.15 K / 101.325 kPa, molar volume 24.465 L/mol) — recalled from the standards, not
re-checked against the text in this repository's references; "HJ 633-2026 §5.2" is the
publication deadline used for timeliness (docs/reference/standards.md §1.4). Everything marked
"engineering" is a value chosen by ecohub to be plausible for Chinese monitoring networks and
meant to be tuned per site; pollution-source analyser ranges are set per installation
(HJ 75-2017, HJ 353-2019), so only physically impossible negative values fail by default.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ecohub.vocabulary import FACTORS, ObjectType
from ecohub.vocabulary import KINDS as _DATA_KINDS
from ecohub.vocabulary import KindName as Kind

KINDS: tuple[str, ...] = tuple(_DATA_KINDS)
STATISTICS: tuple[str, ...] = ("Rtd", "Avg", "Min", "Max", "Cou", "ZsRtd", "ZsAvg", "ZsMin",
                               "ZsMax")
# Value tests apply to concentrations; "Cou" (cumulative amount, HJ 212-2017 Table 4) has
# another unit and is excluded unless a factor's config lists it.
VALUE_STATISTICS: tuple[str, ...] = ("Rtd", "Avg", "Min", "Max", "ZsRtd", "ZsAvg", "ZsMin",
                                     "ZsMax")


class QCConfigError(ValueError):
    """A QC configuration was rejected; ``errors`` lists (location, message) pairs."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        super().__init__("invalid QC configuration:\n" + "\n".join(
            f"  {loc}: {msg}" for loc, msg in errors))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GrossRangeConfig(_Strict):
    """Gross range test parameters (:func:`ecohub.quality.qartod.gross_range`).

    ``fail_span`` is the sensor span, ``suspect_span`` the operator span within it, both in the
    factor's stored unit.
    """

    fail_span: tuple[float, float]
    suspect_span: tuple[float, float] | None = None
    source: str = "engineering"

    @model_validator(mode="after")
    def _spans(self) -> GrossRangeConfig:
        lo, hi = self.fail_span
        if lo > hi:
            raise ValueError(f"fail_span min {lo} is above max {hi}")
        if self.suspect_span is not None:
            slo, shi = self.suspect_span
            if slo > shi:
                raise ValueError(f"suspect_span min {slo} is above max {shi}")
            if slo < lo or shi > hi:
                raise ValueError(f"suspect_span {self.suspect_span} must lie within fail_span "
                                 f"{self.fail_span}")
        return self


class SpikeConfig(_Strict):
    """Spike test thresholds (:func:`ecohub.quality.qartod.spike`), in the stored unit."""

    suspect_threshold: float = Field(gt=0)
    fail_threshold: float = Field(gt=0)
    source: str = "engineering"

    @model_validator(mode="after")
    def _order(self) -> SpikeConfig:
        if self.fail_threshold < self.suspect_threshold:
            raise ValueError("fail_threshold must be >= suspect_threshold")
        return self


class RateOfChangeConfig(_Strict):
    """Rate-of-change test thresholds (:func:`ecohub.quality.qartod.rate_of_change`).

    In stored units per second; without ``fail_threshold`` the test flags suspect only.
    """

    threshold: float = Field(gt=0, description="units per second")
    fail_threshold: float | None = Field(default=None, gt=0)
    source: str = "engineering"

    @model_validator(mode="after")
    def _order(self) -> RateOfChangeConfig:
        if self.fail_threshold is not None and self.fail_threshold < self.threshold:
            raise ValueError("fail_threshold must be >= threshold")
        return self


class FlatLineConfig(_Strict):
    """Flat-line test parameters (:func:`ecohub.quality.qartod.flat_line`).

    ``tolerance`` is in the stored unit, the thresholds in seconds. In ``run_qc`` a window must
    also hold at least 75 % of the ``threshold / period_s`` readings it stands for (QARTOD's
    REP_CNT; real-time data: no count), so one reading after an outage is not a flat run.
    """

    tolerance: float = Field(gt=0)
    suspect_threshold: float = Field(gt=0, description="seconds")
    fail_threshold: float = Field(gt=0, description="seconds")
    source: str = "engineering"

    @model_validator(mode="after")
    def _order(self) -> FlatLineConfig:
        if self.fail_threshold < self.suspect_threshold:
            raise ValueError("fail_threshold must be >= suspect_threshold")
        return self


class ClimatologyConfig(_Strict):
    """Seasonal envelope from the series' own history (QARTOD climatology test, suspect only)."""

    period: Literal["month", "dayofyear"] = "month"
    window_days: int = Field(default=15, ge=0, le=60, description="± days, dayofyear only")
    low_quantile: float = Field(default=0.001, ge=0, lt=0.5)
    high_quantile: float = Field(default=0.999, gt=0.5, le=1)
    min_count: int = Field(default=100, ge=1, description="valid values per bin")
    min_years: int = Field(default=2, ge=1, description="distinct years per bin")
    source: str = "engineering"


class FactorConfig(_Strict):
    """The tests of one HJ 212 factor; a test left ``None`` is not run.

    ``statistics`` lists the statistics (``Avg``, ``Min`` …) the value tests apply to.
    """

    gross_range: GrossRangeConfig | None = None
    spike: SpikeConfig | None = None
    rate_of_change: RateOfChangeConfig | None = None
    flat_line: FlatLineConfig | None = None
    climatology: ClimatologyConfig | None = None
    statistics: tuple[str, ...] = VALUE_STATISTICS

    @field_validator("statistics")
    @classmethod
    def _stats(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(v) - set(STATISTICS))
        if unknown:
            raise ValueError(f"unknown statistic(s) {unknown}; expected some of {STATISTICS}")
        return v


class ConsistencyPair(_Strict):
    """``lesser`` must not exceed ``greater`` at the same station, period and statistic.

    Violation when lesser > greater * (1 + rel_tolerance) + abs_tolerance; both readings are
    then SUSPECT (which of the two is wrong cannot be told from the pair alone).
    """

    lesser: str
    greater: str
    abs_tolerance: float = Field(default=0.0, ge=0)
    rel_tolerance: float = Field(default=0.0, ge=0)
    reason: str = ""

    @field_validator("lesser", "greater")
    @classmethod
    def _code(cls, v: str) -> str:
        if v not in FACTORS:
            raise ValueError(f"unknown HJ 212 factor code {v!r}")
        return v


class TimelinessConfig(_Strict):
    """Arrival delay (received_at - period end) per kind; later is SUSPECT (late)."""

    max_delay_s: dict[Kind, float] = {
        "realtime": 300.0,   # engineering
        "minute": 600.0,     # engineering
        "hour": 3600.0,      # HJ 633-2026 §5.2: real-time AQI within 1 h after the hour
        "day": 43200.0,      # HJ 633-2026 §5.2: daily report before 12:00 the next day
    }
    # received before the period ended by more than this: device clock or time-zone error, FAIL
    max_clock_skew_s: float = Field(default=300.0, ge=0)  # engineering

    @field_validator("max_delay_s")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        for k, s in v.items():
            if not s > 0:
                raise ValueError(f"max_delay_s[{k}] must be > 0, got {s}")
        return v


_FACTOR_KEY = re.compile(r"^(?P<code>[^@]+)(?:@(?P<kind>.+))?$")


class ObjectTypeConfig(_Strict):
    """The QC of one object type: per-factor tests, consistency pairs, timeliness, switches.

    ``factors`` is keyed by factor code, or ``code@kind`` for one kind only (:meth:`factor`);
    ``device_flags``, ``duplicates`` and ``order`` switch the device-flag, duplicate and
    arrival-order checks on or off.
    """

    factors: dict[str, FactorConfig] = {}
    consistency: tuple[ConsistencyPair, ...] = ()
    timeliness: TimelinessConfig = TimelinessConfig()
    device_flags: bool = True
    duplicates: bool = True
    order: bool = True

    @field_validator("factors", mode="before")
    @classmethod
    def _keys(cls, v: Any) -> Any:
        for key in v if isinstance(v, Mapping) else ():
            m = _FACTOR_KEY.match(key)
            if m is None or m["code"] not in FACTORS:
                raise ValueError(f"unknown HJ 212 factor code in key {key!r}")
            if m["kind"] is not None and m["kind"] not in KINDS:
                raise ValueError(f"unknown kind {m['kind']!r} in key {key!r}; expected {KINDS}")
        return v

    def factor(self, code: str, kind: str) -> FactorConfig | None:
        """The config for a factor and kind: ``code@kind`` overrides ``code``."""
        return self.factors.get(f"{code}@{kind}", self.factors.get(code))


class QCConfig(_Strict):
    """A whole QC configuration: an :class:`ObjectTypeConfig` per object type.

    Made by :func:`load_config` or :func:`default_config`; :attr:`version` identifies it.
    """

    object_types: dict[ObjectType, ObjectTypeConfig] = {}

    @property
    def version(self) -> str:
        """``qc-`` + 16 hex digits of SHA-256 over the canonical JSON of the content."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True,
                               separators=(",", ":"), ensure_ascii=False)
        return "qc-" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------- defaults
_H = 3600.0
_PER_HOUR = 1 / _H  # a change per hour expressed per second


def _air_factor(span: float, spike: tuple[float, float], roc_per_h: float, tol: float,
                flat_h: tuple[float, float], source: str) -> dict[str, Any]:
    return {
        "gross_range": {"fail_span": [0.0, span], "source": source},
        "spike": {"suspect_threshold": spike[0], "fail_threshold": spike[1]},
        "rate_of_change": {"threshold": roc_per_h * _PER_HOUR},
        "flat_line": {"tolerance": tol, "suspect_threshold": flat_h[0] * _H,
                      "fail_threshold": flat_h[1] * _H},
    }


def _water_factor(span: tuple[float, float], spike: tuple[float, float], tol: float,
                  suspect: tuple[float, float] | None = None) -> dict[str, Any]:
    gross: dict[str, Any] = {"fail_span": list(span)}
    if suspect is not None:
        gross["suspect_span"] = list(suspect)
    return {
        "gross_range": gross,
        "spike": {"suspect_threshold": spike[0], "fail_threshold": spike[1]},
        # water stations report every 1-4 h; a value frozen for 2-4 days is a stuck analyser
        "flat_line": {"tolerance": tol, "suspect_threshold": 48 * _H,
                      "fail_threshold": 96 * _H},
    }


_SOURCE_NONNEG = {"gross_range": {"fail_span": [0.0, float("inf")],
                                  "source": "physical: concentrations are not negative"},
                  # a CEMS value frozen for a day is a classic sign of a stuck or falsified
                  # analyser; engineering value
                  "flat_line": {"tolerance": 1e-6, "suspect_threshold": 24 * _H,
                                "fail_threshold": 72 * _H}}

DEFAULTS: dict[str, Any] = {
    "object_types": {
        "air_station": {
            "factors": {
                # PM2.5 / PM10: HJ 653-2013 range 0-1000 µg/m³; tests engineering
                "a34004": _air_factor(1000.0, (100.0, 250.0), 200.0, 0.5, (6, 12),
                                      "HJ 653-2013"),
                "a34002": _air_factor(1000.0, (150.0, 400.0), 300.0, 0.5, (6, 12),
                                      "HJ 653-2013"),
                # gases: HJ 654-2013 ranges, 500 nmol/mol (SO2 1309, NO2 940, O3 981 µg/m³)
                # and 50 µmol/mol CO (57.2 mg/m³); low SO2/CO plateaus are common, hence the
                # longer flat-line windows
                "a21026": _air_factor(1309.0, (100.0, 300.0), 200.0, 0.5, (12, 24),
                                      "HJ 654-2013"),
                "a21004": _air_factor(940.0, (80.0, 200.0), 150.0, 0.5, (8, 16),
                                      "HJ 654-2013"),
                "a05024": _air_factor(981.0, (100.0, 250.0), 150.0, 0.5, (8, 16),
                                      "HJ 654-2013"),
                "a21005": _air_factor(57.2, (2.0, 5.0), 3.0, 0.05, (12, 24), "HJ 654-2013"),
            },
            "consistency": [
                {"lesser": "a34004", "greater": "a34002", "abs_tolerance": 10.0,
                 "rel_tolerance": 0.1, "reason": "PM2.5 is a fraction of PM10 (engineering "
                 "tolerance for two separate analysers)"},
                {"lesser": "a21004", "greater": "a21002", "abs_tolerance": 5.0,
                 "rel_tolerance": 0.05, "reason": "NO2 is part of NOx (as NO2)"},
            ],
        },
        "water_station": {
            "factors": {
                # pH: the scale itself; suspect outside 4-11 (engineering: natural waters)
                "w01001": _water_factor((0.0, 14.0), (0.5, 1.5), 0.005, (4.0, 11.0)),
                "w01009": _water_factor((0.0, 20.0), (2.0, 5.0), 0.005),    # DO
                "w01010": _water_factor((-5.0, 45.0), (2.0, 5.0), 0.005, (0.0, 40.0)),
                "w01014": _water_factor((0.0, 20000.0), (200.0, 1000.0), 0.5),  # µS/cm
                "w01019": _water_factor((0.0, 100.0), (3.0, 10.0), 0.005),  # CODMn
                "w21003": _water_factor((0.0, 100.0), (1.0, 5.0), 0.0005),  # NH3-N
                "w21011": _water_factor((0.0, 20.0), (0.2, 1.0), 0.0005),   # TP
                "w21001": _water_factor((0.0, 100.0), (2.0, 8.0), 0.005),   # TN
            },
            "consistency": [
                {"lesser": "w21003", "greater": "w21001", "abs_tolerance": 0.1,
                 "rel_tolerance": 0.1, "reason": "NH3-N is part of total nitrogen"},
            ],
        },
        "pollution_source": {
            "factors": {c: _SOURCE_NONNEG for c in ("a21026", "a21002", "a34013", "w01018",
                                                    "w21003", "w21011", "w21001")},
            "consistency": [
                {"lesser": "w21003", "greater": "w21001", "abs_tolerance": 0.5,
                 "rel_tolerance": 0.1, "reason": "NH3-N is part of total nitrogen"},
            ],
        },
        "outlet": {
            "factors": {c: _SOURCE_NONNEG for c in ("a21026", "a21002", "a34013", "w01018",
                                                    "w21003", "w21011", "w21001")},
        },
        "noise_station": {
            "factors": {code: {"gross_range": {"fail_span": [20.0, 140.0],
                                               "source": "engineering (sound-level meter range)"}}
                        for code in ("LA", "Leq")},
        },
    }
}


# ----------------------------------------------------------------------------- loading
def _deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = (_deep_merge(out[k], v) if isinstance(v, Mapping)
                  and isinstance(out.get(k), Mapping) else v)
    return out


def _toml_line(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line number of a location in TOML text (deepest key found)."""
    lines = text.splitlines()
    found: int | None = None
    start = 0
    for part in (str(p) for p in loc):
        pat = re.compile(r'(^|[.\[\s{,])"?' + re.escape(part) + r'"?\s*([=.\]])')
        for i in range(start, len(lines)):
            if pat.search(lines[i]):
                found, start = i + 1, i
                break
    return found


def _read_text(path: Path) -> str:
    """The file's text: UTF-8 (TOML's encoding, a BOM allowed), else GB 18030 (GBK, GB 2312).

    Windows editors in China often save as GBK; such a file is read as written, not rejected.
    """
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise QCConfigError([(str(path), f"not UTF-8 (byte {error.start}) nor GB 18030 "
                                             "text; expected a TOML file saved as UTF-8")]) \
                from None


def load_config(source: Mapping[str, Any] | str | Path | None = None) -> QCConfig:
    """Validate a QC configuration completely and return it (nothing applied on error).

    Parameters
    ----------
    source : dict, path to a ``.toml`` file, or None
        None gives :func:`default_config`. A top-level ``extends = "default"`` deep-merges the
        rest over the defaults. A file is read as UTF-8, or GB 18030 (GBK) if it is not UTF-8.
        An *empty* configuration (no ``extends``, no object type) is an error, not "every test
        off": a file emptied by mistake must not silently switch quality control off. To keep
        the defaults, write ``extends = "default"`` (``docs/qc.example.toml`` lists every test
        with its default); to switch one object type's tests off, configure that type with
        ``factors = {}``.

    Raises
    ------
    QCConfigError
        With every problem as "path (line N): message".
    """
    text: str | None = None
    if source is None:
        data: Mapping[str, Any] = DEFAULTS
    elif isinstance(source, str | Path):
        text = _read_text(Path(source))
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise QCConfigError([(str(source), f"not valid TOML: {exc}")]) from exc
    else:
        data = source
    data = dict(data)
    extends = data.pop("extends", None)
    if extends is not None:
        if extends != "default":
            raise QCConfigError([("extends", f"only 'default' is known, got {extends!r}")])
        data = _deep_merge(DEFAULTS, data)
    elif not data.get("object_types"):
        where = str(source) if text is not None else "configuration"
        raise QCConfigError([(where, "configures no object type, so every test would be off; "
                              "write `extends = \"default\"` to start from the defaults "
                              "(docs/qc.example.toml lists them), or configure object_types")])
    try:
        return QCConfig.model_validate(data)
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            loc = ".".join(str(p) for p in e["loc"])
            line = _toml_line(text, e["loc"]) if text is not None else None
            where = f"{loc} (line {line})" if line else loc
            errors.append((where, f"{e['msg']} (got {e.get('input')!r})"))
        raise QCConfigError(errors) from None


def default_config() -> QCConfig:
    """The documented defaults (see the module docstring for their sources)."""
    return load_config(None)
