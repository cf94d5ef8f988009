"""``GET /metrics``: the gateway and the HTTP service in the Prometheus text format.

One registry per application (tests run several). The gateway's figures are read from its
counters at each scrape (:meth:`ecohub.ingest.hj212_server.Gateway.counters`), so the gateway
itself knows nothing of Prometheus.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ecohub.ingest.hj212_server import Gateway

__all__ = ["ServiceMetrics"]


class ServiceMetrics:
    """The metrics of one server process: HTTP requests, and the gateway when it runs."""

    def __init__(self, gateway: Gateway | None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("ecohub_http_requests", "HTTP requests by route and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("ecohub_http_request_seconds",
                                 "HTTP request latency by route.", ["method", "route"],
                                 registry=self.registry)
        if gateway is not None:
            self.registry.register(_GatewayCollector(gateway))


class _GatewayCollector(Collector):
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway

    def collect(self) -> Iterator[Metric]:
        c = self.gateway.counters()
        packets = CounterMetricFamily(
            "ecohub_gateway_packets", "HJ 212 packets by outcome and reason.",
            labels=["outcome", "reason"])
        packets.add_metric(["received", ""], c.packets_received)
        packets.add_metric(["stored", ""], c.packets_stored)
        packets.add_metric(["not_data", ""], c.packets_not_data)
        packets.add_metric(["quarantined", "unknown_mn"], c.quarantined)
        packets.add_metric(["released", ""], c.released)
        for reason, count in sorted(c.rejected.items()):
            packets.add_metric(["rejected", reason], count)
        yield packets
        deviations = CounterMetricFamily(
            "ecohub_gateway_deviations", "Deviations from HJ 212 in stored packets, by kind.",
            labels=["kind"])
        for kind, count in sorted(c.deviations.items()):
            deviations.add_metric([kind], count)
        yield deviations
        yield CounterMetricFamily("ecohub_gateway_readings", "Readings stored.",
                                  value=c.readings_stored)
        yield GaugeMetricFamily("ecohub_gateway_connections", "Open data-logger connections.",
                                value=c.connections_open)
        yield GaugeMetricFamily("ecohub_gateway_store_backlog",
                                "Packets answered but not yet applied to the stores.",
                                value=c.store_backlog)
        buckets, total = self.gateway.reply_histogram()
        histogram = HistogramMetricFamily(
            "ecohub_gateway_reply_seconds", "Receive-to-answer latency of data uploads.")
        histogram.add_metric([], [("+Inf" if b == float("inf") else repr(b), n)
                                  for b, n in buckets], total)
        yield histogram
