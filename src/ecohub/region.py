"""A realistic demonstration region: Anhui's 16 prefecture-level cities, registered for the demo.

Each city has its stations, pollution sources and outlets; the demo and the tests register them.

City codes (GB/T 2260) and centre coordinates (WGS 84, ~0.05°) are from the project's reference
list of Anhui cities; rivers and lakes are the real water bodies that cross each city (the Huai in
the north, the Yangtze in the south, Lake Chaohu by Hefei). Everything else (station names,
positions around the centre, sources) is generated from a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecohub.store import DeviceSpec, ObjectSpec

# (code, name, longitude, latitude) — Anhui prefecture-level cities, GB/T 2260 codes.
ANHUI_CITIES: tuple[tuple[str, str, float, float], ...] = (
    ("340100", "合肥市", 117.23, 31.82), ("340200", "芜湖市", 118.38, 31.33),
    ("340300", "蚌埠市", 117.39, 32.92), ("340400", "淮南市", 117.00, 32.63),
    ("340500", "马鞍山市", 118.51, 31.67), ("340600", "淮北市", 116.80, 33.96),
    ("340700", "铜陵市", 117.81, 30.94), ("340800", "安庆市", 117.06, 30.54),
    ("341000", "黄山市", 118.34, 29.71), ("341100", "滁州市", 118.32, 32.30),
    ("341200", "阜阳市", 115.81, 32.89), ("341300", "宿州市", 116.96, 33.65),
    ("341500", "六安市", 116.52, 31.73), ("341600", "亳州市", 115.78, 33.85),
    ("341700", "池州市", 117.49, 30.66), ("341800", "宣城市", 118.76, 30.94),
)

# The main water body of each city: (name, waterbody kind for GB 3838 evaluation).
CITY_WATERS: dict[str, tuple[str, str]] = {
    "340100": ("巢湖", "lake"), "340200": ("长江", "river"), "340300": ("淮河", "river"),
    "340400": ("淮河", "river"), "340500": ("长江", "river"), "340600": ("濉河", "river"),
    "340700": ("长江", "river"), "340800": ("长江", "river"), "341000": ("新安江", "river"),
    "341100": ("滁河", "river"), "341200": ("淮河", "river"), "341300": ("沱河", "river"),
    "341500": ("淠河", "river"), "341600": ("涡河", "river"), "341700": ("长江", "river"),
    "341800": ("水阳江", "river"),
}

AIR_SITE_NAMES = ("市监测站", "高新区", "经开区", "市政府", "师范学院", "体育中心", "工业园",
                  "火车站", "老城区", "湿地公园")
SOURCE_INDUSTRIES = (
    ("热电厂", "flue_gas"), ("水泥厂", "flue_gas"), ("钢铁厂", "flue_gas"),
    ("化工厂", "both"), ("污水处理厂", "wastewater"), ("造纸厂", "wastewater"),
    ("制药厂", "both"), ("玻璃厂", "flue_gas"),
)
NOISE_ZONES = ("1", "2", "3", "4a")

# Factors each kind of device reports (HJ 212-2017 App. B codes; O3 as the de-facto a05024).
AIR_FACTORS = ("a34004", "a34002", "a21026", "a21004", "a21005", "a05024")
WATER_FACTORS = ("w01010", "w01001", "w01009", "w01014", "w01003", "w01019", "w21003",
                 "w21011", "w21001")
FLUE_GAS_FACTORS = ("a21026", "a21002", "a34013", "a00000", "a19001", "a01012")
WASTEWATER_FACTORS = ("w01018", "w21003", "w00000")
NOISE_FACTORS = ("Leq",)  # hourly L_Aeq sent as Leq-Avg in CN 2061


@dataclass(frozen=True)
class RegionDevice:
    """A data logger of the region, with the clear password the simulator logs in with.

    Its object is named by code, since ids are given at registration.
    """

    mn: str
    object_code: str
    password: str
    factors: tuple[str, ...]


@dataclass(frozen=True)
class Region:
    """The objects to register (outlets after their source) and the loggers installed at them."""

    objects: list[ObjectSpec]
    devices: list[RegionDevice]


def anhui_region(
    seed: int = 2026,
    air_per_city: int = 6,
    water_per_city: int = 4,
    sources_per_city: int = 6,
    noise_per_city: int = 2,
) -> Region:
    """Build the Anhui demonstration region, the same for the same ``seed``.

    The defaults give 96 air, 64 water, 96 sources with about 150 outlets, 32 noise stations:
    about 340 data loggers.
    """
    rng = np.random.default_rng(seed)
    objects: list[ObjectSpec] = []
    devices: list[RegionDevice] = []

    def device(obj: ObjectSpec, factors: tuple[str, ...]) -> None:
        # 24 hex characters, as HJ 212-2017 §6.3.2 defines MN (EPC-96 in hex).
        mn = f"{obj.city_code}{len(devices) + 1:06d}".ljust(24, "0").upper()
        password = f"{rng.integers(0, 1_000_000):06d}"
        devices.append(RegionDevice(mn, obj.code, password, factors))

    def near(lon: float, lat: float, spread: float) -> tuple[float, float]:
        return (round(lon + rng.normal(0, spread), 5), round(lat + rng.normal(0, spread), 5))

    for city_code, city, lon, lat in ANHUI_CITIES:
        monitoring = f"{city}生态环境监测中心"
        bureau = f"{city}生态环境局"
        for i in range(air_per_city):
            x, y = near(lon, lat, 0.06)
            obj = ObjectSpec(
                code=f"{city_code}-A{i + 1:02d}", name=f"{city}{AIR_SITE_NAMES[i % 10]}",
                object_type="air_station", longitude=x, latitude=y, city=city,
                city_code=city_code, department=monitoring,
                # Class-1 zones take grade-1 limits (GB 3095 4.1); Huangshan's scenic area is one.
                attributes={"zone_class": 1 if city_code == "341000" and i == 0 else 2},
            )
            objects.append(obj)
            device(obj, AIR_FACTORS)
        water, waterbody = CITY_WATERS[city_code]
        for i in range(water_per_city):
            x, y = near(lon, lat, 0.12)
            obj = ObjectSpec(
                code=f"{city_code}-W{i + 1:02d}", name=f"{water}{city[:-1]}段{i + 1}号断面",
                object_type="water_station", longitude=x, latitude=y, city=city,
                city_code=city_code, department=monitoring,
                attributes={"water": water, "waterbody": waterbody, "target_class": 3},
            )
            objects.append(obj)
            device(obj, WATER_FACTORS)
        for i in range(sources_per_city):
            industry, emits = SOURCE_INDUSTRIES[int(rng.integers(len(SOURCE_INDUSTRIES)))]
            x, y = near(lon, lat, 0.1)
            source = ObjectSpec(
                code=f"{city_code}-S{i + 1:02d}", name=f"{city[:-1]}{industry}{i + 1}号",
                object_type="pollution_source", longitude=x, latitude=y, city=city,
                city_code=city_code, department=bureau, attributes={"industry": industry},
            )
            objects.append(source)
            outlets = {"flue_gas": ("flue_gas",), "wastewater": ("wastewater",),
                       "both": ("flue_gas", "wastewater")}[emits]
            for j, medium in enumerate(outlets):
                outlet = ObjectSpec(
                    code=f"{source.code}-{'DA' if medium == 'flue_gas' else 'DW'}{j + 1:03d}",
                    name=f"{source.name} {'废气' if medium == 'flue_gas' else '废水'}排放口",
                    object_type="outlet", longitude=x, latitude=y, city=city,
                    city_code=city_code, department=bureau, parent_code=source.code,
                    attributes={"medium": medium},
                )
                objects.append(outlet)
                device(outlet, FLUE_GAS_FACTORS if medium == "flue_gas" else WASTEWATER_FACTORS)
        for i in range(noise_per_city):
            x, y = near(lon, lat, 0.05)
            obj = ObjectSpec(
                code=f"{city_code}-N{i + 1:02d}", name=f"{city}声环境{i + 1}号点",
                object_type="noise_station", longitude=x, latitude=y, city=city,
                city_code=city_code, department=monitoring,
                attributes={"zone_class": NOISE_ZONES[int(rng.integers(len(NOISE_ZONES)))]},
            )
            objects.append(obj)
            device(obj, NOISE_FACTORS)
    return Region(objects, devices)


def register(store, region: Region) -> int:
    """Register a region's objects and devices; returns the number of devices."""
    ids = dict(zip((o.code for o in region.objects), store.registry.add_objects(region.objects),
                   strict=True))
    store.registry.add_devices(
        DeviceSpec(d.mn, ids[d.object_code], d.password, d.factors) for d in region.devices
    )
    return len(region.devices)
