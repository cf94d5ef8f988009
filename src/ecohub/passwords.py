"""Device passwords (HJ 212 PW): argon2 hashes in the registry, and the checks the gateway runs.

A data logger sends its PW in clear in every packet, so the gateway checks one per packet:
light argon2 parameters keep the first check per device at about half a millisecond, and the
verdict is cached in memory afterwards (:meth:`ecohub.store.Device.verify_password`).

After a gateway restart every logger's first packet needs a check at once (a thousand loggers:
about 0.6 s of argon2). :class:`PasswordWorkers` runs them in helper processes, which use the
other core at full speed; argon2 on threads of the gateway's own process ran at half that speed,
as each check waits twice for the interpreter lock held by the busy event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["PasswordWorkers", "check_device_password", "hash_device_password"]

log = logging.getLogger(__name__)

_DEVICE_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_RESTART_DELAY = 0.5


def hash_device_password(password: str) -> str:
    """The argon2id hash to keep in the registry."""
    return _DEVICE_HASHER.hash(password)


def check_device_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (False for a malformed hash)."""
    try:
        return _DEVICE_HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class PasswordWorkers:
    """argon2 checks for an asyncio server, in ``processes`` helper processes.

    :meth:`check` returns a future at once; checks are answered in the order asked per process.
    A helper that dies fails its pending checks (``RuntimeError``) and is started again.
    Requests and answers are JSON lines over the helpers' stdin and stdout (passwords stay in
    memory and pipes; nothing is logged).
    """

    def __init__(self, processes: int = 2) -> None:
        if processes < 1:
            raise ValueError(f"PasswordWorkers: processes={processes!r}, expected at least 1")
        self._helpers: list[_Helper] = [_Helper(i) for i in range(processes)]

    async def start(self) -> None:
        """Start the helper processes (each is ready to take requests at once)."""
        await asyncio.gather(*(helper.start() for helper in self._helpers))

    def check(self, password_hash: str, password: str) -> asyncio.Future[bool]:
        """Whether ``password`` matches ``password_hash``, from the helper with least to do.

        A helper that is restarting queues the request.
        """
        return min(self._helpers, key=_Helper.load).submit(password_hash, password)

    async def close(self) -> None:
        """Stop the helpers after the checks asked so far."""
        await asyncio.gather(*(helper.close() for helper in self._helpers))


class _Helper:
    def __init__(self, index: int) -> None:
        self.index = index
        self.process: asyncio.subprocess.Process | None = None
        self.pending: dict[int, asyncio.Future[bool]] = {}
        self.queued: list[bytes] = []  # requests made while the process (re)starts
        self.ids = 0
        self.reader: asyncio.Task[None] | None = None
        self.closing = False

    def load(self) -> int:
        return len(self.pending) if self.process is not None else sys.maxsize

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "ecohub.passwords",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )
        self.reader = asyncio.get_running_loop().create_task(
            self._read(self.process), name=f"password-helper-{self.index}")
        queued, self.queued = self.queued, []
        for request in queued:
            self._write(request)

    def submit(self, password_hash: str, password: str) -> asyncio.Future[bool]:
        self.ids += 1
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.pending[self.ids] = future
        request = (json.dumps([self.ids, password_hash, password]) + "\n").encode()
        if self.process is None:
            self.queued.append(request)
        else:
            self._write(request)
        return future

    def _write(self, request: bytes) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(request)

    async def _read(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdout is not None
        rest = b""
        while chunk := await process.stdout.read(1 << 16):
            *lines, rest = (rest + chunk).split(b"\n")
            for line in lines:
                request_id, verdict = line.split()
                future = self.pending.pop(int(request_id), None)
                if future is not None and not future.done():
                    future.set_result(verdict == b"1")
        code = await process.wait()
        self.process = None
        if self.closing:
            return
        log.error("password check helper %d exited with code %s; %d checks failed, restarting",
                  self.index, code, len(self.pending))
        pending, self.pending = self.pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(RuntimeError(f"password check helper exited ({code})"))
        await asyncio.sleep(_RESTART_DELAY)  # no busy loop if it cannot start at all
        if not self.closing:
            await self.start()

    async def close(self) -> None:
        self.closing = True
        process = self.process
        if process is not None and process.stdin is not None:
            process.stdin.close()
            with contextlib.suppress(ProcessLookupError):
                await process.wait()
        if self.reader is not None:
            await self.reader
        for future in self.pending.values():  # asked while the helper was restarting
            if not future.done():
                future.set_exception(RuntimeError("password checks closed"))


def _serve_checks() -> None:
    """The helper process: answer password checks from stdin until it closes.

    One JSON request ``[id, hash, password]`` per line in, ``id 0|1`` per line out.
    """
    # Ctrl-C in a terminal reaches the whole process group: the gateway decides when to stop
    # (it closes stdin), and a helper that died first would fail the checks still running.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = sys.stdout.buffer
    for line in sys.stdin.buffer:
        request_id, password_hash, password = json.loads(line)
        verdict = check_device_password(password_hash, password)
        out.write(b"%d %d\n" % (request_id, verdict))
        out.flush()


if __name__ == "__main__":
    _serve_checks()
