"""Seeded, reproducible HJ 212 data loggers (数采仪) that talk to the gateway over TCP.

Three kinds of monitored object are modelled, each with the factors its real loggers carry:

* **ambient air stations** (ST=22): PM2.5 ``a34004``, PM10 ``a34002``, SO2 ``a21026``,
  NO2 ``a21004``, CO ``a21005``, O3 ``a05024`` — diurnal cycles (O3 afternoon peak from
  photochemistry, NO2 and CO morning/evening rush hours, PM night-time accumulation under the
  shallow boundary layer), multi-day regional episodes shared by nearby stations (a stagnant
  air mass covers a city cluster, so an episode is a Gaussian in time and space), a PM2.5/PM10
  ratio about 0.6 so PM2.5 < PM10 almost always, and the occasional instrument fault: stuck
  value, spike, or a device flag D (fault), M (maintenance), C (calibration) for a few hours;
* **surface-water automatic stations** (ST=21): water temperature, pH, DO, conductivity,
  turbidity, CODMn, NH3-N, TP, TN — photosynthesis drives pH and DO up in the afternoon; rain
  events shared by nearby stations raise turbidity and nutrients and dilute conductivity;
* **pollution-source outlets**: flue gas (ST=31: SO2, NOx, particulate ``a34013`` with O2-corrected
  ``Zs`` values, flow ``a00000``, O2 ``a19001``, temperature ``a01012``) and wastewater (ST=32:
  COD ``w01018``, NH3-N ``w21003``, flow ``w00000``), following a production schedule (day shift,
  night load, occasional shutdown flagged F) with emission amounts ``-Cou`` per period.

Units on the wire are those of :func:`ecohub.vocabulary.wire_unit`: HJ 212-2017 App. B
defaults for sources and water, and for air stations the GB 3095 units (µg/m³, CO mg/m³) that
station loggers send — the assessment layer converts explicitly.

Every series is generated with NumPy on the grid of the logger's minute interval (one array per
factor per device); minute data (CN 2051) are those slots, hourly (2061) and daily (2031) data
aggregate them (mean of averages, min of minima, max of maxima, sum of amounts, any abnormal flag
flags the period — HJ 212-2017 notes under App. C.16–C.18), real-time data (2011) sample them.
Packets exceeding the data-segment limit are split on factor boundaries (Flag D=1, PNUM/PNO,
[S17] App. C.47–C.50).

Time is compressed: each logger sends its packets of simulated time as fast as the gateway
answers, waiting for the 9014 of every packet with Flag A=1, resending after a time-out
([S17] §6.2: time-out and retry count) — and, as real loggers do, sometimes sends a packet twice
or a bad one (bad CRC, truncated by a dropped link, wrong password, unregistered MN).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from ecohub.protocols import hj212
from ecohub.vocabulary import CHINA_TZ, KINDS

__all__ = [
    "BAD_KINDS",
    "SimDevice",
    "SimPacket",
    "SimulationPlan",
    "SimulationReport",
    "run_simulation",
]

BAD_KINDS = ("crc", "truncated", "password", "unknown_mn")
"""Kinds of deliberately bad packet a logger sends now and then."""

DEFAULT_FACTORS: dict[str, tuple[str, ...]] = {
    "air_station": ("a34004", "a34002", "a21026", "a21004", "a21005", "a05024"),
    "water_station": ("w01010", "w01001", "w01009", "w01014", "w01003", "w01019", "w21003",
                      "w21011", "w21001"),
    "flue_gas": ("a21026", "a21002", "a34013", "a00000", "a19001", "a01012"),
    "wastewater": ("w01018", "w21003", "w00000"),
    "noise_station": ("Leq",),
}

SYSTEM_CODES = {"air_station": "22", "water_station": "21", "flue_gas": "31", "wastewater": "32",
                "noise_station": "23"}
"""ST of each kind of logger ([S17] §6.6.1 Table 5)."""

REFERENCE_O2 = 6.0
"""Reference O2 content (%) for the converted (折算, ``Zs``) flue-gas concentrations: coal-fired
boilers, GB 13223-2011 §5.1/§5.2 (C = C' × (21 − O2ref) / (21 − O2))."""


@dataclass(frozen=True)
class _Model:
    """Value model of one factor: median level, diurnal shape, episode response and noise.

    ``log`` models multiply (concentrations: log-normal around ``level``); additive models add
    (temperature, pH, DO). ``diurnal`` is (amplitude, local hour of the peak, width in hours or
    0 for a cosine); ``episode`` is the response to the shared regional signal (air pollution
    episode or rain event); ``noise`` the innovation scale of an AR(1) with 0.95 lag-1
    correlation; ``decimals`` the digits sent (at least those of the App. B data type, more where
    the type would round an ambient concentration to zero).
    """

    level: float
    decimals: int
    diurnal: tuple[tuple[float, float, float], ...] = ()
    episode: float = 0.0
    noise: float = 0.1
    log: bool = True
    spread: float = 0.1
    """Relative (log) or absolute half-range of Min/Max around the period average."""
    lo: float = 0.0
    hi: float = math.inf


_MODELS: dict[str, dict[str, _Model]] = {
    "air_station": {
        # µg/m³ (CO mg/m³); levels typical of an eastern-China city in the cool season.
        "a34004": _Model(38.0, 1, ((0.25, 2.0, 0.0),), episode=1.0, noise=0.08, spread=0.25),
        "a21026": _Model(9.0, 1, ((0.2, 12.0, 0.0),), episode=0.5, noise=0.08, spread=0.3),
        "a21004": _Model(32.0, 1, ((0.45, 8.0, 1.5), (0.55, 19.0, 2.0)), episode=0.5,
                         noise=0.08, spread=0.3),
        "a21005": _Model(0.7, 3, ((0.25, 8.0, 1.5), (0.3, 19.0, 2.0)), episode=0.6,
                         noise=0.05, spread=0.15),
        "a05024": _Model(55.0, 1, ((0.75, 15.0, 0.0),), episode=0.2, noise=0.07, spread=0.2),
    },
    "water_station": {
        "w01010": _Model(18.0, 1, ((0.8, 16.0, 0.0),), noise=0.05, log=False, spread=0.2,
                         lo=0.0, hi=40.0),
        "w01001": _Model(7.6, 2, ((0.2, 15.0, 0.0),), episode=-0.15, noise=0.01, log=False,
                         spread=0.05, lo=6.0, hi=9.5),
        "w01009": _Model(8.0, 2, ((1.0, 15.0, 0.0),), episode=-0.8, noise=0.05, log=False,
                         spread=0.2, lo=0.5, hi=18.0),
        "w01014": _Model(450.0, 1, episode=-0.3, noise=0.02, spread=0.03),
        "w01003": _Model(15.0, 1, episode=1.5, noise=0.08, spread=0.2),
        "w01019": _Model(3.5, 2, episode=0.4, noise=0.04, spread=0.08),
        "w21003": _Model(0.4, 3, episode=0.6, noise=0.06, spread=0.1),
        "w21011": _Model(0.10, 3, episode=0.8, noise=0.06, spread=0.1),
        "w21001": _Model(1.5, 2, episode=0.3, noise=0.04, spread=0.08),
    },
    "flue_gas": {
        # measured (dry) concentrations mg/m³ at the stack; flow m³/s; O2 %; temperature °C
        "a21026": _Model(20.0, 2, noise=0.06, spread=0.15),
        "a21002": _Model(38.0, 1, noise=0.05, spread=0.12),
        "a34013": _Model(4.0, 2, noise=0.08, spread=0.2),
        "a00000": _Model(80.0, 1, noise=0.02, spread=0.05),
        "a19001": _Model(9.0, 1, noise=0.1, log=False, spread=0.4, lo=3.0, hi=20.5),
        "a01012": _Model(120.0, 1, noise=0.5, log=False, spread=2.0, lo=20.0, hi=250.0),
    },
    "noise_station": {
        # equivalent level L_Aeq, dB(A): about 9 dB quieter at night than in the afternoon
        "Leq": _Model(55.0, 1, ((4.5, 14.0, 0.0),), noise=0.04, log=False, spread=3.0,
                      lo=30.0, hi=95.0),
    },
    "wastewater": {
        "w01018": _Model(40.0, 1, noise=0.05, spread=0.1),
        "w21003": _Model(2.0, 2, noise=0.06, spread=0.1),
        "w00000": _Model(50.0, 2, ((0.3, 10.0, 0.0),), noise=0.03, spread=0.1),
    },
}

_PM10 = _Model(60.0, 1, spread=0.25)  # PM10 is PM2.5 / ratio; only its spread and digits are used
_FLUE_POLLUTANTS = ("a21026", "a21002", "a34013")
_WASTE_POLLUTANTS = ("w01018", "w21003")


# --------------------------------------------------------------------------- plan objects


@dataclass(frozen=True)
class SimDevice:
    """A logger to simulate: identity, password, what it monitors and where (degrees)."""

    mn: str
    password: str
    object_type: str
    factors: tuple[str, ...] = ()
    longitude: float | None = None
    latitude: float | None = None
    minute_interval: int = 10

    @classmethod
    def of(cls, device: Any, password: str | None = None) -> SimDevice:
        """The simulated logger of any Device-like object.

        The registry's :class:`ecohub.store.Device` keeps only a password hash, so pass the
        clear password the logger is configured with.
        """
        pw = password if password is not None else getattr(device, "password", None)
        if pw is None:
            raise ValueError(f"device {device.mn}: no password given for the simulated logger")
        return cls(
            mn=device.mn, password=pw, object_type=device.object_type,
            factors=tuple(getattr(device, "factors", ()) or ()),
            longitude=getattr(device, "longitude", None),
            latitude=getattr(device, "latitude", None),
            minute_interval=int(getattr(device, "minute_interval", 10) or 10),
        )


@dataclass(frozen=True)
class SimPacket:
    """One frame a logger will send, in sending order."""

    mn: str
    cn: str
    qn: str
    data_time: datetime
    frame: bytes
    needs_reply: bool
    bad: str | None = None
    """Kind of deliberate fault (one of :data:`BAD_KINDS`), ``None`` for a good packet."""
    duplicate: bool = False
    """Sent a second time after its answer (a spontaneous duplicate)."""


@dataclass
class SimulationReport:
    """What the loggers did."""

    devices: int = 0
    packets: int = 0
    """Good packets planned (each split part counts)."""
    sent: int = 0
    """Frames written, including resends, duplicates and bad ones."""
    acked: int = 0
    resent: int = 0
    duplicates: int = 0
    unanswered: int = 0
    """Good packets given up after the retries."""
    bad: dict[str, int] = field(default_factory=dict)
    simulated_s: float = 0.0
    elapsed_s: float = 0.0


def _kind_of(device: SimDevice) -> str | None:
    if device.object_type in ("air_station", "water_station", "noise_station"):
        return device.object_type
    if device.object_type in ("pollution_source", "outlet"):
        if device.factors:
            return "wastewater" if any(f.startswith("w") for f in device.factors) else "flue_gas"
        return "wastewater" if zlib.crc32(device.mn.encode()) % 3 == 0 else "flue_gas"
    return None


# --------------------------------------------------------------------------- the plan


class SimulationPlan:
    """The packets of every logger for ``duration`` from ``start``, fully determined by ``seed``.

    ``devices`` are :class:`SimDevice` or Device-like objects (e.g. the registry's
    :class:`ecohub.store.Device`, whose clear passwords come from ``passwords`` by MN).
    ``realtime_interval`` (s) is the spacing of CN 2011 uploads (real loggers use 30–3600 s,
    [S17] Table 4 ``RtdInterval``; a long default keeps compressed runs short). ``bad_rate`` and
    ``duplicate_rate`` are per-packet probabilities; ``fault_rate`` the expected number of
    instrument faults per factor per simulated day. ``registered`` lists the MNs the gateway
    knows (default: the devices'), which the unknown-MN bad packets avoid.
    """

    def __init__(
        self,
        devices: Iterable[Any],
        start: datetime,
        duration: timedelta,
        seed: int,
        *,
        realtime_interval: int = 1800,
        bad_rate: float = 0.003,
        duplicate_rate: float = 0.003,
        fault_rate: float = 0.15,
        registered: Iterable[str] | None = None,
        passwords: Mapping[str, str] | None = None,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError(f"start {start.isoformat()}: a timezone-aware datetime is required")
        if duration <= timedelta(0):
            raise ValueError(f"duration {duration}: expected a positive time span")
        if not 30 <= realtime_interval <= 86400:
            raise ValueError(f"realtime_interval {realtime_interval}: expected 30..86400 s")
        for name, rate in (("bad_rate", bad_rate), ("duplicate_rate", duplicate_rate)):
            if not 0 <= rate < 1:
                raise ValueError(f"{name} {rate}: expected a probability in [0, 1)")
        passwords = passwords or {}
        self.devices = [d if isinstance(d, SimDevice) else SimDevice.of(d, passwords.get(d.mn))
                        for d in devices]
        self.start = start.astimezone(UTC)
        self.duration = duration
        self.seed = seed
        self.realtime_interval = realtime_interval
        self.bad_rate = bad_rate
        self.duplicate_rate = duplicate_rate
        self.fault_rate = fault_rate
        self.registered = set(registered) if registered is not None else {
            d.mn for d in self.devices}
        self._episodes = self._regional_episodes()

    # --------------------------------------------------------------- shared signals

    def _regional_episodes(self) -> np.ndarray:
        """Episodes that several nearby stations share: air-pollution episodes and rain events.

        One row each: (t_centre s, σ_t s, lon, lat, radius km, amplitude).
        """
        rng = np.random.default_rng([self.seed, 0xE915])
        lons = [d.longitude for d in self.devices if d.longitude is not None]
        lats = [d.latitude for d in self.devices if d.latitude is not None]
        lon0, lon1 = (min(lons), max(lons)) if lons else (116.0, 119.0)
        lat0, lat1 = (min(lats), max(lats)) if lats else (30.0, 33.0)
        span = self.duration.total_seconds()
        days = span / 86400
        n = int(rng.poisson(max(days, 1.0) * 0.5)) + 1
        t = rng.uniform(-0.5 * 86400, span, n)
        sigma = rng.uniform(8, 30, n) * 3600
        lon = rng.uniform(lon0 - 0.3, lon1 + 0.3, n)
        lat = rng.uniform(lat0 - 0.3, lat1 + 0.3, n)
        radius = rng.uniform(60, 250, n)
        amp = rng.uniform(0.5, 1.4, n)
        return np.column_stack([t, sigma, lon, lat, radius, amp])

    def _episode_signal(self, device: SimDevice, seconds: np.ndarray) -> np.ndarray:
        """Sum of the episodes at the device's place, as a function of time (≥ 0)."""
        ep = self._episodes
        if device.longitude is None or device.latitude is None:
            spatial = np.full(len(ep), 0.6)
        else:
            km_per_deg = 111.2
            shrink = math.cos(math.radians(device.latitude))  # a degree of longitude is shorter
            dx = (ep[:, 2] - device.longitude) * km_per_deg * shrink
            dy = (ep[:, 3] - device.latitude) * km_per_deg
            spatial = np.exp(-(dx * dx + dy * dy) / (2 * ep[:, 4] ** 2))
        temporal = np.exp(-((seconds[:, None] - ep[None, :, 0]) ** 2) / (2 * ep[None, :, 1] ** 2))
        return temporal @ (ep[:, 5] * spatial)

    # --------------------------------------------------------------- per device

    def _origin(self) -> datetime:
        """Local (UTC+8) midnight at or before ``start``: where every device's grid begins."""
        offset = CHINA_TZ.utcoffset(None)
        return _floor(self.start + offset, 86400) - offset

    def _rng(self, device: SimDevice) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(device.mn.encode())])

    def series(self, device: SimDevice) -> dict[str, dict[str, np.ndarray]] | None:
        """Minute-slot series of every factor: ``{code: {"Avg", "Min", "Max", "Flag", …}}``.

        Slot ``i`` covers ``[t0 + i·Δ, t0 + (i+1)·Δ)`` with Δ the device's minute interval and
        t0 the local midnight before ``start`` (so hours and days aggregate whole slots). Returns
        ``None`` for objects without a model (noise stations).
        """
        kind = _kind_of(device)
        if kind is None:
            return None
        rng = self._rng(device)
        step = 60 * device.minute_interval
        t0 = self._origin()
        n = math.ceil((self.start + self.duration - t0).total_seconds() / step)
        seconds = (t0 - self.start).total_seconds() + step * np.arange(n, dtype=float)
        local_hour = ((t0.timestamp() + 8 * 3600 + step * np.arange(n)) % 86400) / 3600 + (
            step / 7200)  # hour at the slot's middle
        episode = self._episode_signal(device, seconds)
        models = _MODELS[kind]
        wanted = device.factors or DEFAULT_FACTORS[kind]
        out: dict[str, dict[str, np.ndarray]] = {}
        site = rng.normal(0.0, 0.15)  # station-specific level
        load = self._load(kind, local_hour, rng, n)
        for code in wanted:
            if code == "a34002" and kind == "air_station":
                continue  # derived from PM2.5 below
            model = models.get(code)
            if model is None:
                continue
            avg = self._signal(model, local_hour, episode, site, rng, n)
            if load is not None:
                avg = self._with_load(code, avg, load, model)
            out[code] = self._period_stats(code, model, avg, rng)
        if kind == "air_station" and "a34002" in wanted and "a34004" in out:
            # PM2.5/PM10 about 0.6 (fine fraction of urban PM); lower during dusty spells.
            ratio = np.clip(rng.normal(0.62, 0.06) + 0.04 * rng.standard_normal(n), 0.3, 0.95)
            pm10 = out["a34004"]["Avg"] / ratio
            out["a34002"] = self._period_stats("a34002", _PM10, pm10, rng)
        self._faults(out, rng, n, step, kind)
        # The logger derives converted values and amounts from what its instruments report.
        if kind == "flue_gas":
            self._add_flue_extras(out, step)
        if kind == "wastewater":
            self._add_wastewater_amounts(out, step)
        return out

    @staticmethod
    def _load(kind: str, hour: np.ndarray, rng: np.random.Generator, n: int
              ) -> np.ndarray | None:
        """Production load 0..1 of a source: day shift 8–20 h full, night partial, shutdowns."""
        if kind not in ("flue_gas", "wastewater"):
            return None
        day_shift = (hour >= 8) & (hour < 20)
        load = np.where(day_shift, 1.0, rng.uniform(0.5, 0.8))
        load = load * np.exp(0.03 * rng.standard_normal(n))
        if rng.random() < 0.3:  # one shutdown of 2–8 h somewhere in the run
            start = int(rng.integers(0, max(n - 1, 1)))
            load[start:start + int(rng.integers(12, 48))] = 0.0
        return load

    @staticmethod
    def _signal(model: _Model, hour: np.ndarray, episode: np.ndarray, site: float,
                rng: np.random.Generator, n: int) -> np.ndarray:
        shape = np.zeros(n)
        for amp, peak, width in model.diurnal:
            if width:  # rush-hour bump, wrapped around midnight
                d = (hour - peak + 12) % 24 - 12
                shape += amp * (np.exp(-0.5 * (d / width) ** 2) - 0.3)
            else:
                shape += amp * np.cos(2 * np.pi * (hour - peak) / 24)
        innovations = rng.standard_normal(n) * model.noise
        ar = np.empty(n)
        state = rng.standard_normal() * model.noise / math.sqrt(1 - 0.95**2)
        for i in range(n):  # AR(1); a loop over one array, the only sequential step
            state = 0.95 * state + innovations[i]
            ar[i] = state
        if model.log:
            value = model.level * np.exp(site + shape + model.episode * episode + ar)
        else:
            value = model.level * (1 + 0.3 * site) + shape + model.episode * episode + 10 * ar
        return np.clip(value, model.lo, model.hi)

    @staticmethod
    def _with_load(code: str, avg: np.ndarray, load: np.ndarray, model: _Model) -> np.ndarray:
        if code in ("a00000", "w00000"):
            return avg * load
        if code == "a19001":  # O2 rises towards air (20.9 %) as firing drops
            return np.clip(20.9 - (20.9 - avg) * np.sqrt(load), model.lo, model.hi)
        if code == "a01012":
            return np.clip(25.0 + (avg - 25.0) * np.sqrt(load), model.lo, model.hi)
        return avg * (0.2 + 0.8 * load)

    @staticmethod
    def _period_stats(code: str, model: _Model, avg: np.ndarray, rng: np.random.Generator
                      ) -> dict[str, np.ndarray]:
        n = avg.size
        low = rng.uniform(0.3, 1.0, n) * model.spread
        high = rng.uniform(0.3, 1.0, n) * model.spread
        if model.log:
            mn, mx = avg * np.exp(-low), avg * np.exp(high)
        else:
            mn, mx = avg - low, avg + high
        return {"Avg": avg, "Min": np.clip(mn, model.lo, None), "Max": mx,
                "Flag": np.full(n, "N", dtype="<U1")}

    @staticmethod
    def _add_flue_extras(out: dict[str, dict[str, np.ndarray]], step: int) -> None:
        """Converted concentrations (``Zs``, at reference O2) and emission amounts (``Cou``).

        Flow volume per period: Q[m³/s]·T[s] m³; pollutant mass: volume·C[mg/m³]·10⁻⁶ kg
        (HJ 212-2017 App. D, docs/reference/hj212.md §4.3).
        """
        o2 = out.get("a19001", {}).get("Avg")
        flow = out.get("a00000", {}).get("Avg")
        if flow is not None:
            out["a00000"]["Cou"] = flow * step
        for code in _FLUE_POLLUTANTS:
            if code not in out:
                continue
            stats = out[code]
            if o2 is not None:
                k = (21.0 - REFERENCE_O2) / np.clip(21.0 - o2, 1.0, None)
                for s in ("Avg", "Min", "Max"):
                    stats["Zs" + s] = stats[s] * k
            if flow is not None:
                stats["Cou"] = stats["Avg"] * flow * step * 1e-6

    @staticmethod
    def _add_wastewater_amounts(out: dict[str, dict[str, np.ndarray]], step: int) -> None:
        """Volume Q[L/s]·T[s]·10⁻³ m³; mass volume·C[mg/L]·10⁻³ kg (HJ 212-2017 App. D)."""
        flow = out.get("w00000", {}).get("Avg")
        if flow is None:
            return
        volume = flow * step * 1e-3
        out["w00000"]["Cou"] = volume
        for code in _WASTE_POLLUTANTS:
            if code in out:
                out[code]["Cou"] = volume * out[code]["Avg"] * 1e-3

    def _faults(self, out: dict[str, dict[str, np.ndarray]], rng: np.random.Generator, n: int,
                step: int, kind: str) -> None:
        """Instrument faults: stuck value, spike, and periods flagged D, M or C.

        A stuck value keeps flag N — that is why QC must find it; D is a fault, M maintenance,
        C calibration.
        """
        days = n * step / 86400
        per_hour = 3600 // step
        for stats in out.values():
            for _ in range(int(rng.poisson(self.fault_rate * days))):
                what = rng.choice(["stuck", "spike", "D", "M", "C"])
                i = int(rng.integers(0, n))
                length = int(rng.integers(1, 6)) * per_hour
                j = min(n, i + length)
                if what == "stuck":
                    for s in ("Avg", "Min", "Max"):
                        stats[s][i:j] = stats["Avg"][i]
                elif what == "spike":
                    for s in ("Avg", "Max"):
                        stats[s][i] *= rng.uniform(4, 10)
                else:
                    stats["Flag"][i:j] = what
        if kind in ("flue_gas", "wastewater"):
            flow = out.get("a00000" if kind == "flue_gas" else "w00000")
            if flow is not None:  # source stopped: HJ 212-2017 flag F
                stopped = flow["Avg"] < 1e-9
                for stats in out.values():
                    stats["Flag"][stopped] = "F"

    # --------------------------------------------------------------- packets

    def packets(self, device: SimDevice) -> list[SimPacket]:
        """Every frame this logger sends, in order, with deliberate duplicates and bad packets.

        Real-time, minute, hourly and daily uploads are sent at the end of their periods.
        """
        kind = _kind_of(device)
        series = self.series(device)
        if kind is None or not series:
            return []
        rng = np.random.default_rng([self.seed, zlib.crc32(device.mn.encode()), 1])
        step = 60 * device.minute_interval
        t0 = int(self._origin().timestamp())
        first, end = int(self.start.timestamp()), int((self.start + self.duration).timestamp())
        n = next(iter(series.values()))["Avg"].size

        if kind == "noise_station":
            # Noise stations report hourly L_Aeq (CN 2061); an hour's level is the energy mean
            # of its slots, not their arithmetic mean (L_Aeq, GB 3096-2008 §3).
            hourly = (KINDS["hour"].cn, 2, t0 + 3600 * np.arange(n * step // 3600), 3600,
                      _energy_hours(series, 3600 // step))
            return self._uploads(device, kind, rng, [hourly])
        blocks = [(KINDS["minute"].cn, 1, t0 + step * np.arange(n), step, series)]
        hours = _aggregate(series, 3600 // step)
        if hours:
            blocks.append((KINDS["hour"].cn, 2, t0 + 3600 * np.arange(_length(hours)), 3600,
                           hours))
        days = _aggregate(hours, 24)
        if days:
            blocks.append((KINDS["day"].cn, 3, t0 + 86400 * np.arange(_length(days)), 86400, days))
        rt_step = self.realtime_interval
        instants = np.arange((first // rt_step + 1) * rt_step, end, rt_step)
        if instants.size:  # real-time data, CN 2011: the slot's value at that instant, ±2 %
            slot = np.minimum((instants - t0) // step, n - 1)
            jitter = 1 + 0.02 * rng.standard_normal(instants.size)
            sample = {code: {"Rtd": s["Avg"][slot] * jitter, "Flag": s["Flag"][slot],
                             **({"ZsRtd": s["ZsAvg"][slot] * jitter} if "ZsAvg" in s else {})}
                      for code, s in series.items()}
            blocks.append((KINDS["realtime"].cn, 0, instants, 0, sample))
        return self._uploads(device, kind, rng, blocks)

    def _uploads(self, device: SimDevice, kind: str, rng: np.random.Generator,
                 blocks: list[tuple[str, int, np.ndarray, int, dict[str, dict[str, np.ndarray]]]]
                 ) -> list[SimPacket]:
        """Frame the blocks' periods that lie inside the run, in sending order.

        Deliberate duplicates and bad packets are mixed in.
        """
        first, end = int(self.start.timestamp()), int((self.start + self.duration).timestamp())
        decimals = {code: _MODELS[kind].get(code, _PM10).decimals
                    for _, _, _, _, stats in blocks for code in stats}
        uploads: list[tuple[int, int, str, int, str]] = []
        for cn, order, starts, length, stats in blocks:
            ends = starts + length
            keep = np.flatnonzero((starts >= first) & (ends <= end))
            if keep.size == 0:
                continue
            stamps = _local_stamps(starts[keep])
            items = [_items(code, s, _SUFFIX_ORDER[cn], decimals[code], keep)
                     for code, s in stats.items()]
            bodies = [";".join(("DataTime=" + stamp, *row))
                      for stamp, *row in zip(stamps, *items, strict=True)]
            uploads.extend(zip(ends[keep].tolist(), [order] * keep.size, [cn] * keep.size,
                               starts[keep].tolist(), bodies, strict=True))
        uploads.sort(key=lambda u: (u[0], u[1]))

        st, pw, mn = SYSTEM_CODES[kind], device.password, device.mn
        sent_qns = [int(stamp) * 1000 for stamp in _local_stamps(np.array([u[0] for u in uploads]))]
        result: list[SimPacket] = []
        last_qn = 0
        for (_, _, cn, start_s, body), qn_base in zip(uploads, sent_qns, strict=True):
            last_qn = max(last_qn + 1, qn_base)
            segment = f"QN={last_qn};ST={st};CN={cn};PW={pw};MN={mn};Flag=5;CP=&&{body}&&"
            data = segment.encode()
            frames = [(str(last_qn), hj212.frame(data))]
            if len(data) > hj212.MAX_SEGMENT:  # split on factor boundaries, [S17] App. C.47
                parts = hj212.split(hj212.parse(frames[0][1], strict=False))
                frames = [(part.qn or "", part.encode()) for part in parts]
                last_qn = max(int(qn) for qn, _ in frames)
            data_time = datetime.fromtimestamp(start_s, CHINA_TZ)
            for qn, frame in frames:
                if rng.random() < self.bad_rate:
                    last_qn += 1
                    result.append(self._bad(device, rng, frame, str(last_qn)))
                result.append(SimPacket(mn, cn, qn, data_time, frame, True,
                                        duplicate=bool(rng.random() < self.duplicate_rate)))
        return result

    def _bad(self, device: SimDevice, rng: np.random.Generator, frame: bytes, qn: str
             ) -> SimPacket:
        """A deliberately bad copy of an upload, with its own QN.

        With its own QN, its answer (if any) cannot be taken for the good packet's.
        """
        what = BAD_KINDS[int(rng.integers(0, len(BAD_KINDS)))]
        bad = hj212.parse(frame)
        bad.qn = qn
        if what == "password":
            bad.pw = "000000" if device.password != "000000" else "999999"
        elif what == "unknown_mn":
            while bad.mn in self.registered:
                bad.mn = "".join(f"{b:02X}" for b in rng.integers(0, 256, 12).tolist())
        out = bad.encode()
        if what == "crc":
            wrong = "0000" if out[-6:-2] != b"0000" else "FFFF"
            out = out[:-6] + wrong.encode() + b"\r\n"
        elif what == "truncated":
            out = out[: int(rng.integers(10, len(out) - 8))]
        assert bad.data_time is not None
        return SimPacket(bad.mn or "", bad.cn, qn, bad.data_time, out, False, bad=what)

    def all_packets(self) -> dict[str, list[SimPacket]]:
        """Packets of every device, keyed by MN."""
        return {d.mn: self.packets(d) for d in self.devices}


# --------------------------------------------------------------------------- helpers

_SUFFIX_ORDER = {
    KINDS["realtime"].cn: ("Rtd", "ZsRtd"),
    KINDS["minute"].cn: ("Cou", "Min", "Avg", "Max", "ZsMin", "ZsAvg", "ZsMax"),
    KINDS["hour"].cn: ("Cou", "Min", "Avg", "Max", "ZsMin", "ZsAvg", "ZsMax"),
    KINDS["day"].cn: ("Cou", "Min", "Avg", "Max", "ZsMin", "ZsAvg", "ZsMax"),
}
"""Suffixes per upload ([S17] App. C.14–C.18: real-time ``-Rtd``; minute/hour/day ``-Cou``,
``-Min``, ``-Avg``, ``-Max``; flue gas also the converted ``Zs`` values), ``-Flag`` last."""


def _energy_hours(stats: dict[str, dict[str, np.ndarray]], k: int
                  ) -> dict[str, dict[str, np.ndarray]]:
    """Hourly sound levels from ``k`` slots each (L_Aeq, GB 3096-2008 §3).

    Avg is the energy mean 10·lg(mean 10^(L/10)), Min/Max the extremes, the flag the first
    abnormal one.
    """
    hours = _aggregate(stats, k)
    for code, s in stats.items():
        m = s["Avg"].size // k
        energy = np.power(10.0, s["Avg"][: m * k].reshape(m, k) / 10.0).mean(axis=1)
        hours[code]["Avg"] = 10.0 * np.log10(energy)
    return hours


def _floor(moment: datetime, step: int) -> datetime:
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(seconds - seconds % step, UTC)


def _aggregate(stats: dict[str, dict[str, np.ndarray]], k: int) -> dict[str, dict[str, np.ndarray]]:
    """Aggregate complete groups of ``k`` periods: mean of Avg, min of Min, max of Max, sum of Cou.

    A period is flagged with the first abnormal flag of its parts ([S17] notes under C.16–C.18;
    docs/reference/hj212.md §4.5).
    """
    out: dict[str, dict[str, np.ndarray]] = {}
    for code, s in stats.items():
        m = s["Avg"].size // k
        if m == 0:
            return {}
        agg: dict[str, np.ndarray] = {}
        for name, values in s.items():
            block = values[: m * k].reshape(m, k)
            if name == "Flag":
                abnormal = block != "N"
                first = np.argmax(abnormal, axis=1)
                agg[name] = np.where(abnormal.any(axis=1), block[np.arange(m), first], "N")
            elif name.endswith("Min"):
                agg[name] = block.min(axis=1)
            elif name.endswith("Max"):
                agg[name] = block.max(axis=1)
            elif name == "Cou":
                agg[name] = block.sum(axis=1)
            else:
                agg[name] = block.mean(axis=1)
        out[code] = agg
    return out


def _length(stats: dict[str, dict[str, np.ndarray]]) -> int:
    return next(iter(stats.values()))["Avg"].size


def _local_stamps(epoch_s: np.ndarray) -> list[str]:
    """``YYYYMMDDhhmmss`` in China Standard Time of UTC epoch seconds ([S17] Table 4 N14).

    QN and DataTime are local time on the wire ([S17] §6.3.2; docs/reference/hj212.md §4.6).
    """
    local = (np.asarray(epoch_s, dtype=np.int64) + 8 * 3600).astype("datetime64[s]")
    text = np.datetime_as_string(local, unit="s")
    return [t.replace("-", "").replace("T", "").replace(":", "") for t in text.tolist()]


def _items(code: str, stats: dict[str, np.ndarray], suffixes: tuple[str, ...], decimals: int,
           keep: np.ndarray) -> list[str]:
    """The CP item of one factor for each kept period: ``code-Suffix=value,…,code-Flag=F``."""
    names = [name for name in suffixes if name in stats]
    template = ",".join([*(f"{code}-{name}={{:.{decimals}f}}" for name in names),
                         f"{code}-Flag={{}}"])
    columns = [stats[name][keep].tolist() for name in names] + [stats["Flag"][keep].tolist()]
    return [template.format(*row) for row in zip(*columns, strict=True)]


# --------------------------------------------------------------------------- over TCP


async def run_simulation(
    host: str,
    port: int,
    devices: Sequence[Any],
    start: datetime,
    duration: timedelta,
    seed: int,
    progress: Callable[[int, int], Any] | None = None,
    *,
    ack_timeout: float = 5.0,
    retries: int = 3,
    concurrency: int = 1000,
    **plan_options: Any,
) -> SimulationReport:
    """Connect one TCP client per logger to ``host:port`` and send the plan's packets.

    Each logger waits for the 9014 of every packet with Flag A=1 (matched by QN), resending
    after ``ack_timeout`` seconds up to ``retries`` times ([S17] §6.2, Table 1: 3 retries).
    ``progress(done, total)`` is called as good packets complete. ``plan_options`` go to
    :class:`SimulationPlan`.
    """
    plan = SimulationPlan(devices, start, duration, seed, **plan_options)
    report = SimulationReport(devices=len(plan.devices), simulated_s=duration.total_seconds())
    began = time.perf_counter()
    per_device = [(d, plan.packets(d)) for d in plan.devices]
    total = sum(1 for _, pk in per_device for p in pk if p.bad is None)
    report.packets = total
    done = [0]
    gate = asyncio.Semaphore(concurrency)

    def tick() -> None:
        done[0] += 1
        if progress is not None and (done[0] % 500 == 0 or done[0] == total):
            progress(done[0], total)

    async def one(packets: list[SimPacket]) -> None:
        async with gate:
            await _Logger(host, port, report, ack_timeout, retries, tick).run(packets)

    await asyncio.gather(*(one(p) for _, p in per_device if p))
    report.elapsed_s = time.perf_counter() - began
    return report


class _Logger:
    """One simulated data logger's TCP session."""

    def __init__(self, host: str, port: int, report: SimulationReport, ack_timeout: float,
                 retries: int, tick: Callable[[], None]) -> None:
        self.host, self.port = host, port
        self.report = report
        self.ack_timeout = ack_timeout
        self.retries = retries
        self.tick = tick
        self.waiting: dict[str, asyncio.Future[None]] = {}
        self.writer: asyncio.StreamWriter | None = None
        self.reader_task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.reader_task = asyncio.create_task(self._read_answers(reader))

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self.writer.wait_closed()
            self.writer = None
        if self.reader_task is not None:
            self.reader_task.cancel()
            await asyncio.gather(self.reader_task, return_exceptions=True)
            self.reader_task = None

    async def _read_answers(self, reader: asyncio.StreamReader) -> None:
        frames = hj212.FrameReader()
        while data := await reader.read(65536):
            for item in frames.feed(data):
                if isinstance(item, hj212.FrameError):
                    continue
                try:
                    answer = hj212.parse(item, strict=False)
                except hj212.HJ212Error:
                    continue
                future = self.waiting.get(answer.qn or "")
                if future is not None and not future.done() and answer.cn == "9014":
                    future.set_result(None)

    async def run(self, packets: list[SimPacket]) -> None:
        try:  # _write connects on first use and reconnects after a dropped link
            for packet in packets:
                try:
                    if packet.bad is not None:
                        await self._send_bad(packet)
                        continue
                    if await self._send_and_wait(packet):
                        self.report.acked += 1
                    else:
                        self.report.unanswered += 1
                    if packet.duplicate:
                        self.report.duplicates += 1
                        await self._send_and_wait(packet)
                except (ConnectionError, OSError):  # the platform is unreachable: give it up
                    if packet.bad is None:
                        self.report.unanswered += 1
                if packet.bad is None:
                    self.tick()
        finally:
            await self.close()

    async def _send_bad(self, packet: SimPacket) -> None:
        self.report.bad[packet.bad or ""] = self.report.bad.get(packet.bad or "", 0) + 1
        await self._write(packet.frame)
        if packet.bad == "truncated":  # the link drops mid-frame; the logger reconnects
            await self.close()

    async def _send_and_wait(self, packet: SimPacket) -> bool:
        """Send, wait for the 9014, resend on time-out; True when answered."""
        if not packet.needs_reply:
            await self._write(packet.frame)
            return True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiting[packet.qn] = future
        try:
            for attempt in range(self.retries + 1):
                if attempt:
                    self.report.resent += 1
                await self._write(packet.frame)
                try:
                    await asyncio.wait_for(asyncio.shield(future), self.ack_timeout)
                    return True
                except TimeoutError:
                    continue
            return False
        finally:
            del self.waiting[packet.qn]

    async def _write(self, frame: bytes) -> None:
        """Write one frame, reconnecting (as loggers do) if the link has dropped."""
        for attempt in range(3):
            try:
                if self.writer is None or self.writer.is_closing():
                    await self.close()
                    await self.connect()
                assert self.writer is not None
                self.writer.write(frame)
                await self.writer.drain()
                self.report.sent += 1
                return
            except (ConnectionError, OSError):
                await self.close()
                await asyncio.sleep(0.2 * (attempt + 1))
        raise ConnectionError(f"cannot reach the platform at {self.host}:{self.port}")
