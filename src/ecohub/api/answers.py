"""Answers kept while the data under them is unchanged: a read asked again is sent, not redone.

Maps poll ``/latest`` from many browsers and programs fetch the same long series again and
again; a year of hourly readings is 2.7 MB of JSON, made in tens of milliseconds of CPU. So an
encoded answer (the bytes as sent) is kept under its request — path, query string and
``Accept`` as sent — the caller's view (who sees which objects) and the registry's version,
with the measurement
store's generation it was read at (:meth:`ecohub.store.MeasurementStore.generation`). It is
sent again until the store says that readings of its objects, or QC flags or reviews of its
loggers' readings, changed since (:meth:`~ecohub.store.MeasurementStore.changed_since`): a new
reading is in the next answer, never hidden behind a kept one. Where the store cannot know
(PostgreSQL, which other processes write to), an answer is kept only where the route allows a
fixed freshness (``fresh_s``, the map's ``/latest``), otherwise not at all.

Every answer carries a strong ETag (a hash of its bytes as kept): a client that sends it back in
``If-None-Match`` gets ``304 Not Modified`` instead of the bytes again. A client that accepts
gzip (``Accept-Encoding``) gets the answer compressed, once, when it was made: JSON shrinks
many times, and the bytes saved cost less to compress than to send, even over loopback. Kept
answers are kept compressed (a year of hourly readings: 2.7 MB as JSON, ~0.15 MB kept) and
inflated for the rare client that does not take gzip. The kept answers are bounded in bytes
(least recently used go first).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass

import anyio
from fastapi import Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ecohub.api.security import remembered_program
from ecohub.identity import Principal
from ecohub.store import ObjectIds, Store

__all__ = ["DEFAULT_MAX_BYTES", "Answers", "KeptFirst"]

DEFAULT_MAX_BYTES = 256 * 2**20
"""Bytes of kept answers per server (``HttpConfig.answer_cache_mb``)."""
REGISTRY_SEEN_S = 0.5
"""A registry change made by another process (``ecohub registry import`` beside the server)
reaches the kept answers within this many seconds; one made through the server at once."""
GZIP_FROM = 1024
"""Answers shorter than this (bytes) are sent as they are."""
GZIP_LEVEL = 1
"""zlib's fastest level: a year of hourly readings (2.7 MB) in ~5 ms to about a tenth."""


@dataclass
class _Kept:
    body: bytes
    """The answer as made; or, when ``gzipped`` is set, as compressed (a tenth of the memory),
    inflated again for a client that does not take gzip."""
    gzipped: bool
    media_type: str | None
    headers: dict[str, str]
    etag: str
    generation: int | None
    at: float
    object_ids: Collection[int] | None
    mns: tuple[str, ...]
    row_count: int | None
    audit_ids: ObjectIds
    needs: frozenset[str]
    """The permissions its route checked."""
    fresh_s: float | None
    route: object
    """The route that made it (the metrics' label)."""
    holds_at: int | None = None
    """A store generation at which it was found to hold: while the store's generation is
    still this, it holds without asking (a busy gateway moves the generation a few times a
    second; a map's clients ask many times more often)."""

    @property
    def size(self) -> int:
        return len(self.body)


class Answers:
    """The answers of one server, at most ``max_bytes`` of them."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._making: dict[Hashable, asyncio.Future[_Kept | None]] = {}
        """Answers being made, by key (on the event loop): a second caller waits for the
        first one's instead of making it again — after a write, a hundred maps asking at once
        make one answer, not a hundred."""

    async def answer(self, request: Request, store: Store,
                     make: Callable[[], tuple[Response, Collection[int] | None, Iterable[str]]],
                     *, needs: Iterable[str], fresh_s: float | None = None) -> Response:
        """The kept answer of this request if its data is unchanged, else ``make()``'s, kept.

        The request is its route, its query string as sent, its ``Accept`` header and the
        caller's view (:func:`_view`), with the registry's version. ``needs``: the permissions
        the route checked before calling this, which a caller must hold to be sent the kept
        answer without the route (:meth:`send_kept`). ``make`` returns the answer and what it
        was read from: the objects whose readings it shows (None: any object's) and the
        loggers whose readings it shows (their QC flags and reviews). It sets
        ``request.state.row_count`` and ``object_ids`` for the audit, which a kept answer sets
        again.

        A kept answer is found on the event loop — look-ups in memory, and the registry's
        version at most every :data:`REGISTRY_SEEN_S` — so that it waits for no worker
        thread; ``make`` runs on one. Callers asking while it is made wait for that one.
        """
        principal = request.state.principal
        generation = store.measurements.generation()  # before reading: see changed_since
        key = self._key(request.scope, principal, store)
        kept = self._holding(key, store)
        if kept is None and (making := self._making.get(key)) is not None:
            # Another caller is making it: share that one, if what it read still holds.
            made = await asyncio.shield(making)
            if made is not None and self._holds(made, store, time.monotonic()):
                kept = made
        if kept is not None:
            request.state.row_count = kept.row_count
            request.state.object_ids = kept.audit_ids
            return self._send(kept, request)
        making = asyncio.get_running_loop().create_future()
        leading = self._making.setdefault(key, making) is making  # else shared with nobody
        made = None
        try:
            made = await anyio.to_thread.run_sync(self._make, request, key, make, generation,
                                                  fresh_s, frozenset(needs))
        finally:
            if leading:
                del self._making[key]
                making.set_result(made if isinstance(made, _Kept) else None)
        return made if isinstance(made, Response) else self._send(made, request)

    async def send_kept(self, scope: Scope, receive: Receive, send: Send, store: Store,
                        principal: Principal) -> bool:
        """Send the kept answer of this request, if there is one that holds; else False.

        Before any routing: the answer was made by its route for a caller with the same
        view, the request is the same bytes, and ``principal`` (authenticated by the caller
        of this method) holds the permissions the route checked — what is left of the route
        is the work the kept answer saves. Sets what the audit and the metrics read
        (``state``: principal, row count, object ids; the route).
        """
        kept = self._holding(self._key(scope, principal, store), store)
        if kept is None or not all(principal.can(p) for p in kept.needs):
            return False
        state = scope.setdefault("state", {})
        state.update(principal=principal, row_count=kept.row_count,
                     object_ids=kept.audit_ids)
        scope["route"] = kept.route
        await self._send(kept, Request(scope))(scope, receive, send)
        return True

    @staticmethod
    def _key(scope: Scope, principal: Principal, store: Store) -> Hashable:
        accept = next((v for k, v in scope["headers"] if k == b"accept"), b"")
        return (scope["path"], scope["query_string"], accept, _view(principal),
                store.registry.version(max_age=REGISTRY_SEEN_S))

    def _holding(self, key: Hashable, store: Store) -> _Kept | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        if kept is not None and self._holds(kept, store, time.monotonic()):
            return kept
        return None

    def _make(self, request: Request, key: Hashable,
              make: Callable[[], tuple[Response, Collection[int] | None, Iterable[str]]],
              generation: int | None, fresh_s: float | None, needs: frozenset[str]
              ) -> Response | _Kept:
        at = time.monotonic()
        response, object_ids, mns = make()
        if response.status_code != 200:
            return response
        headers = {k: v for k, v in response.headers.items()
                   if k.lower() not in ("content-length", "content-type")}
        body = bytes(response.body)
        packed = len(body) >= GZIP_FROM
        stored = gzip.compress(body, GZIP_LEVEL, mtime=0) if packed else body
        kept = _Kept(body=stored, media_type=response.media_type, gzipped=packed,
                     headers=headers,
                     # of the bytes kept: a tenth of the answer's to hash, as telling (the
                     # compression is the same every time: level, no time stamp)
                     etag='"' + hashlib.blake2b(stored, digest_size=16).hexdigest() + '"',
                     generation=generation, at=at,
                     object_ids=None if object_ids is None else frozenset(object_ids),
                     mns=tuple(sorted(set(mns))),
                     row_count=getattr(request.state, "row_count", None),
                     audit_ids=ObjectIds.of(getattr(request.state, "object_ids", ())),
                     needs=needs, fresh_s=fresh_s, route=request.scope.get("route"))
        if (generation is not None or fresh_s is not None) and \
                kept.size <= self.max_bytes // 4:
            self._keep(key, kept)
        return kept  # sent with its ETag, kept or not

    @staticmethod
    def _holds(kept: _Kept, store: Store, now: float) -> bool:
        if kept.generation is not None:
            generation = store.measurements.generation()
            if generation == kept.holds_at:
                return True
            if store.measurements.changed_since(kept.generation, kept.object_ids, kept.mns):
                return False
            kept.holds_at = generation
            return True
        return kept.fresh_s is not None and now - kept.at < kept.fresh_s

    def _keep(self, key: Hashable, kept: _Kept) -> None:
        with self._lock:
            old = self._kept.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._kept[key] = kept
            self._bytes += kept.size
            while self._bytes > self.max_bytes:
                _, gone = self._kept.popitem(last=False)
                self._bytes -= gone.size

    @staticmethod
    def _send(kept: _Kept, request: Request) -> Response:
        etag, headers = kept.etag, dict(kept.headers)
        packed = kept.gzipped and _accepts_gzip(request.headers.get("accept-encoding", ""))
        if kept.gzipped:
            headers["Vary"] = "Accept-Encoding"
        if packed:  # another representation: another strong ETag (RFC 9110, 8.8.3)
            etag = etag[:-1] + '-gzip"'
            headers["Content-Encoding"] = "gzip"
        headers["ETag"] = etag
        if etag in _etags(request.headers.get("if-none-match", "")):
            return Response(status_code=304, headers=headers)
        body = kept.body if packed or not kept.gzipped else gzip.decompress(kept.body)
        return Response(body, media_type=kept.media_type, headers=headers)


class KeptFirst:
    """ASGI middleware: kept answers sent before routing, to programs known lately.

    A ``GET`` by a program whose bearer token was verified lately
    (:func:`ecohub.identity.tokens.remembered_token`) is sent its kept answer, if one holds
    (:meth:`Answers.send_kept`), before routing, parameter validation and dependencies —
    most of the cost of a kept answer. Everything else goes on to the application, which
    checks the caller itself (a token not remembered, a session cookie, a wrong header).
    """

    def __init__(self, app: ASGIApp, answers: Answers, store: Store) -> None:
        self.app, self.answers, self.store = app, answers, store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:  # noqa: D102
        if scope["type"] == "http" and scope["method"] == "GET":
            principal = self._remembered(scope)
            if principal is not None and await self.answers.send_kept(
                    scope, receive, send, self.store, principal):
                return
        await self.app(scope, receive, send)

    def _remembered(self, scope: Scope) -> Principal | None:
        for name, value in scope["headers"]:
            if name == b"authorization":
                return remembered_program(self.store, value.decode("latin-1"))
        return None


def _view(principal: Principal) -> str | None:
    """What decides which objects a caller sees: an enterprise user sees its own.

    Everyone else sees all (:func:`ecohub.api.routers.objects.visible_objects`).
    """
    return principal.enterprise_code if principal.role == "enterprise" else None


def _accepts_gzip(value: str) -> bool:
    """Whether an ``Accept-Encoding`` header takes gzip (named, or ``*``, and not ``q=0``)."""
    for item in value.lower().split(","):
        coding, _, params = item.partition(";")
        if coding.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _etags(value: str) -> set[str]:
    """The entity tags of an ``If-None-Match`` header (weak ones compared as strong)."""
    return {tag.strip().removeprefix("W/") for tag in value.split(",") if tag.strip()}
