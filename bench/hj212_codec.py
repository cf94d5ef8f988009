"""Benchmark of the HJ 212 codec (ecohub.protocols.hj212).

Measures, on typical CN 2051 minute packets (8 factors with -Avg, -Min, -Max, -Flag; distinct
MNs, times and values), single-core throughput of: ``parse`` (framing + CRC check + header +
CP, strict), ``parse`` + ``readings()`` (the ingest path), ``Packet.encode``, and the CRC.
No Python HJ 212 library exists to compare with (reference §6.1), so the CRC is compared with
the two straightforward pure-Python implementations on the same segments: the byte-wise loop
of the standard ([S17] App. A) and a two-bytes-per-lookup table (65,536 entries).

Each figure is measured ``--runs`` times in CPU time of this process (``time.process_time``,
what one core delivers, less sensitive to other load on the machine) and in wall time; the
median and the best run are printed. ``--baseline FILE`` loads another version of the codec
module in one file (e.g. ``git show <commit>:src/ecohub/protocols/hj212.py >
/tmp/hj212_before.py`` for a version before the codec became a package, whose CRC extension
``ecohub.protocols._hj212crc`` is then imported from ``ecohub.protocols.hj212._crc``) and
measures its parse figures on the same frames in the same run, for a before/after comparison.

Run: ``.venv/bin/python bench/hj212_codec.py`` (optionally ``--n 200000 --runs 5``).
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from types import ModuleType

from ecohub.protocols.hj212 import FrameReader, Packet, crc, parse
from ecohub.protocols.hj212.checksum import A001_TABLE
from ecohub.vocabulary import CHINA_TZ

FACTORS = ["a34004", "a34002", "a21026", "a21004", "a21005", "a05024", "a01001", "a01002"]


def make_frames(count: int, seed: int = 212) -> list[bytes]:
    """``count`` distinct, valid CN 2051 minute frames (~620 bytes each)."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=CHINA_TZ)
    frames = []
    for i in range(count):
        minute = start + timedelta(minutes=i // 50)
        factors = {}
        for code in FACTORS:
            low = rng.uniform(0, 80)
            factors[code] = {
                "Avg": f"{low + rng.uniform(0, 10):.1f}", "Min": f"{low:.1f}",
                "Max": f"{low + rng.uniform(10, 20):.1f}", "Flag": rng.choice("NNNNNNNNMD"),
            }  # fmt: skip
        packet = Packet(
            qn=(minute + timedelta(seconds=30)).strftime("%Y%m%d%H%M%S") + f"{i % 1000:03d}",
            st="22", cn="2051", pw="123456", mn=f"{rng.getrandbits(96):024X}", flag=5,
            data_time=minute, factors=factors,
        )  # fmt: skip
        frames.append(packet.encode())
    return frames


def crc_bytewise(segment: bytes) -> str:
    """[S17] Appendix A, byte by byte (baseline)."""
    reg = 0xFFFF
    for byte in segment:
        reg = (reg >> 8) ^ byte
        for _ in range(8):
            reg = (reg >> 1) ^ 0xA001 if reg & 1 else reg >> 1
    return f"{reg:04X}"


def _pair_table() -> tuple[tuple[int, ...], list[int]]:
    table = A001_TABLE
    high = [t >> 8 for t in table]
    # After bytes (x, y) with x = h ^ b1: h'' = H(H(x) ^ y)  (one look-up for two bytes)
    pairs = [high[high[x] ^ y] for x in range(256) for y in range(256)]
    return table, pairs


_TABLE, _PAIRS = _pair_table()


def crc_pairs(segment: bytes) -> str:
    """Two bytes per look-up in a 65,536-entry table (baseline)."""
    n = len(segment)
    if n == 0:
        return "FFFF"
    h = 0xFF
    body = segment[:-1]
    if len(body) % 2:
        h = _TABLE[h ^ body[0]] >> 8
        body = body[1:]
    for i in range(0, len(body), 2):
        h = _PAIRS[((h ^ body[i]) << 8) | body[i + 1]]
    return f"{_TABLE[h ^ segment[-1]]:04X}"


def _rate(func, items, repeat: int = 3) -> float:
    """Best of ``repeat`` runs, items per second (wall time)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for item in items:
            func(item)
        best = min(best, time.perf_counter() - t0)
    return len(items) / best


def _rates(
    func: Callable[[object], object], items: Sequence[object], runs: int
) -> dict[str, float]:
    """Items per second over ``runs`` runs: CPU-time median and best, wall-time median."""
    cpu, wall = [], []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        for item in items:
            func(item)
        cpu.append(len(items) / (time.process_time() - c0))
        wall.append(len(items) / (time.perf_counter() - t0))
    return {"cpu_median": statistics.median(cpu), "cpu_best": max(cpu),
            "wall_median": statistics.median(wall)}  # fmt: skip


def _load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("hj212_baseline", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    # a one-file codec of before the package imports its CRC from the old place
    sys.modules.setdefault("ecohub.protocols._hj212crc", importlib.import_module(
        "ecohub.protocols.hj212._crc"))
    spec.loader.exec_module(module)
    return module


def bench_codec(
    n: int = 200_000, runs: int = 5, baseline: str | None = None
) -> dict[str, dict[str, float]]:
    """Throughput figures of the codec on ``n`` parses per run (single core)."""
    distinct = min(n, 20_000)
    frames = make_frames(distinct)
    workload = (frames * (n // distinct + 1))[:n]
    segments = [f[6:-6] for f in frames]
    packets = [parse(f) for f in frames]
    assert all(crc(s) == crc_bytewise(s) == crc_pairs(s) for s in segments[:500])
    assert all(p.encode() == f for p, f in zip(packets[:500], frames, strict=False))

    def ingest(frame: bytes) -> object:
        return parse(frame).readings()

    figures = {
        "parse (strict), packets/s": _rates(parse, workload, runs),
        "parse + readings(), packets/s": _rates(ingest, workload, runs),
        "parse (tolerant), packets/s": _rates(lambda f: parse(f, strict=False), workload, runs),
    }
    if baseline is not None:
        old = _load(baseline)
        assert [old.parse(f).readings() for f in frames[:500]] == [
            parse(f).readings() for f in frames[:500]
        ]
        figures["baseline parse (strict), packets/s"] = _rates(old.parse, workload, runs)
        figures["baseline parse + readings(), packets/s"] = _rates(
            lambda f: old.parse(f).readings(), workload, runs
        )
    encode_rate = _rate(Packet.encode, (packets * (n // distinct + 1))[:n])
    stream = b"".join(frames)
    chunks = [stream[i : i + 1460] for i in range(0, len(stream), 1460)]  # TCP-sized reads
    t0 = time.perf_counter()
    reader = FrameReader()
    framed = sum(len(reader.feed(chunk)) for chunk in chunks)
    frame_rate = framed / (time.perf_counter() - t0)
    small = segments[:2000]
    single = {  # wall time, best of 3
        "frame_bytes_mean": sum(map(len, frames)) / len(frames),
        "encode_packets_per_s": encode_rate,
        "frame_reader_frames_per_s": frame_rate,
        "crc_us": 1e6 / _rate(crc, segments),
        "crc_bytewise_us": 1e6 / _rate(crc_bytewise, small, repeat=1),
        "crc_pairs_us": 1e6 / _rate(crc_pairs, small),
    }
    return figures | {"other figures (wall, best of 3)": single}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="packets parsed per run")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median, best)")
    parser.add_argument("--baseline", help="a one-file hj212.py to measure on the same frames")
    args = parser.parse_args()
    for name, values in bench_codec(args.n, args.runs, args.baseline).items():
        print(name)
        for key, value in values.items():
            print(f"    {key:34s} {value:14,.2f}")


if __name__ == "__main__":
    main()
