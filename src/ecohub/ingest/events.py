"""Live events in one process: the gateway's store writer tells the web app what changed.

The writer calls :meth:`EventHub.readings_committed` after each commit (an ``on_commit`` hook of
:class:`ecohub.ingest.hj212_server.Gateway`, on the store thread). It must not slow the gateway:
publishing takes the distinct object ids of the table (one Arrow kernel) and hands an event to
each subscriber's event loop without waiting. Each subscriber has a bounded queue; when a slow
subscriber's queue is full its **oldest** event is dropped (a map refetches the state of the
objects named, so a dropped event costs at most a later refresh, never a blocked writer).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["EventHub", "Subscription"]

_CLOSED = object()


class Subscription:
    """One listener's bounded queue of events, on its event loop."""

    def __init__(self, hub: EventHub, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self._hub = hub
        self._loop = loop
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=size)
        self.dropped = 0

    def _offer(self, event: Any) -> None:  # on the subscriber's loop
        if self._queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self._queue.get_nowait()
                self.dropped += 1
        self._queue.put_nowait(event)

    def offer(self, event: Any) -> None:
        """Queue ``event`` from any thread, dropping the oldest when full; never blocks."""
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody listens
            self._loop.call_soon_threadsafe(self._offer, event)

    async def next(self, timeout: float) -> dict | None:
        """The next event, None after ``timeout`` seconds; StopAsyncIteration when closed."""
        try:
            event = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None
        if event is _CLOSED:
            raise StopAsyncIteration
        return event

    def close(self) -> None:
        """Stop listening."""
        self._hub._remove(self)

    async def __aiter__(self) -> AsyncIterator[dict]:  # pragma: no cover - convenience
        while True:
            event = await self.next(3600)
            if event is not None:
                yield event


class EventHub:
    """Publish from any thread, subscribe on an asyncio loop (see the module docstring)."""

    def __init__(self, queue_size: int = 64) -> None:
        self.queue_size = queue_size
        self._subscribers: set[Subscription] = set()
        self._lock = threading.Lock()
        self.closed = False
        self.commits = 0
        """How many commits of readings the writer reported: it moves with every one, so a
        state kept for the map is known stale after a commit (``/api/v1/map/objects``)."""

    def subscribe(self) -> Subscription:
        """A new subscription on the running loop."""
        subscription = Subscription(self, asyncio.get_running_loop(), self.queue_size)
        with self._lock:
            self._subscribers.add(subscription)
            if self.closed:
                subscription.offer(_CLOSED)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(subscription)

    @property
    def subscribers(self) -> int:
        """How many listen now."""
        return len(self._subscribers)

    def publish(self, event: dict) -> None:
        """Hand ``event`` to every subscriber (any thread; never blocks)."""
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            subscription.offer(event)

    def readings_committed(self, readings: pa.Table) -> None:
        """The store writer's hook: a ``readings`` event naming the objects of the table."""
        if readings.num_rows:
            self.commits += 1
        if not self._subscribers or readings.num_rows == 0:
            return
        ids = pc.unique(readings.column("object_id")).drop_null().to_pylist()
        self.publish({"type": "readings", "object_ids": ids,
                      "at": datetime.now(UTC).isoformat()})

    def close(self) -> None:
        """End every subscription (the server stops): their streams finish."""
        with self._lock:
            self.closed = True
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            subscription.offer(_CLOSED)
