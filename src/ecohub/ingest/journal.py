"""The gateway's write-ahead journal: what a data logger was answered for is on disk first.

An HJ 212 logger deletes (or stops resending) what the platform has answered with 9014, so an
answer may only go out once the data is durable. Writing it straight into the measurement store
ties every answer to the store's commit, and a columnar store's commits have a long tail
(DuckDB checkpoints its WAL inline, hundreds of milliseconds under load). The gateway therefore
appends each batch to this journal — one ``write`` and one ``fdatasync`` — answers, and applies
the batch to the stores in the background; the stores record the journal position they have
applied in the same transaction as the data, so a restart replays exactly what is missing.

On disk: a directory with an ``id`` file (the journal's identity, recorded by the stores beside
the position) and numbered segment files ``<first seq>.wal`` of records::

    seq (u64) | payload length (u32) | CRC-32 of the payload (u32) | payload

little-endian. A record whose header or CRC does not check is the torn end of a write cut off
by a crash (it was never answered); it and everything after it is cut off when the journal
opens. Segments whose records are all applied are deleted.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import struct
import threading
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

__all__ = ["Journal", "JournalError"]

log = logging.getLogger(__name__)

_HEADER = struct.Struct("<QII")
_SUFFIX = ".wal"


class JournalError(RuntimeError):
    """The journal directory cannot be used (in use by another gateway, unreadable …)."""


class Journal:
    """Append-only, fsync'd record log in ``directory``.

    Safe for one appending thread and one releasing thread.

    Parameters
    ----------
    directory : path
        Created if missing. One gateway at a time: an exclusive lock is held while open.
    segment_bytes : int
        A new segment file is started once the current one holds this much.
    """

    def __init__(self, directory: str | os.PathLike[str], *,
                 segment_bytes: int = 64 << 20) -> None:
        self.directory = Path(directory)
        self.segment_bytes = segment_bytes
        self._lock = threading.Lock()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock_file = open(self.directory / "lock", "a+b")  # noqa: SIM115 - held open
        except OSError as error:
            raise JournalError(f"journal {self.directory}: cannot be opened: {error}") from error
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            self._lock_file.close()
            raise JournalError(
                f"journal {self.directory} is in use by another gateway (one journal per gateway; "
                "give each its own journal directory)"
            ) from error
        id_file = self.directory / "id"
        if not id_file.exists():
            id_file.write_text(uuid.uuid4().hex + "\n")
        self.id = id_file.read_text().strip()
        # [first seq, path, last seq] per segment, oldest first; the last one is appended to.
        self._segments: list[list] = []
        for path in sorted(self.directory.glob(f"*{_SUFFIX}"), key=_first_seq):
            last = self._recover(path)
            if last is None:
                path.unlink()
            else:
                self._segments.append([_first_seq(path), path, last])
        self._next = max([0] + [s[2] for s in self._segments]) + 1
        self._file: int | None = None

    # ----------------------------------------------------------------- writing

    def append(self, payload: bytes) -> int:
        """Write one record and make it durable; returns its sequence number."""
        return self.append_many([payload])[0]

    def append_many(self, payloads: list[bytes]) -> list[int]:
        """Write records with one write and one ``fdatasync`` (group commit); durable on return.

        Returns their sequence numbers.
        """
        with self._lock:
            if self._file is None or os.fstat(self._file).st_size >= self.segment_bytes:
                self._start_segment()
            seqs = list(range(self._next, self._next + len(payloads)))
            data = b"".join(
                _HEADER.pack(seq, len(payload), zlib.crc32(payload)) + payload
                for seq, payload in zip(seqs, payloads, strict=True)
            )
            view = memoryview(data)
            while view:  # a regular file takes it all at once, but the contract allows less
                view = view[os.write(self._file, view):]
            os.fdatasync(self._file)
            self._next += len(payloads)
            self._segments[-1][2] = self._next - 1
            return seqs

    def _start_segment(self) -> None:
        if self._file is not None:
            os.close(self._file)
        path = self.directory / f"{self._next:020d}{_SUFFIX}"
        self._file = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        _fsync_directory(self.directory)  # the new file's name is durable too
        self._segments.append([self._next, path, self._next - 1])

    # ----------------------------------------------------------------- reading

    def replay(self, after: int) -> Iterator[tuple[int, bytes]]:
        """Every intact record with a sequence number above ``after``, in order."""
        with self._lock:
            paths = [s[1] for s in self._segments if s[2] > after]
        for path in paths:
            for seq, payload in _records(path):
                if seq > after:
                    yield seq, payload

    def continue_after(self, seq: int) -> None:
        """Number the next record above ``seq`` at least.

        Records up to ``seq`` were applied and released earlier, and their numbers are never
        handed out again.
        """
        with self._lock:
            self._next = max(self._next, seq + 1)

    @property
    def last_seq(self) -> int:
        """The sequence number of the last record written (or continued from)."""
        return self._next - 1

    def release(self, upto: int, *, current: bool = False) -> int:
        """Delete the segments whose records are all applied (sequence number <= ``upto``).

        The segment being appended to stays (it is rotated by size) unless ``current``: then it
        is closed and deleted too when it is applied. Returns how many were deleted.
        """
        with self._lock:
            open_segment = self._segments[-1] if self._file is not None else None
            done = [s for s in self._segments
                    if s[2] <= upto and (current or s is not open_segment)]
            if not done:
                return 0
            if any(s is open_segment for s in done):
                os.close(self._file)
                self._file = None
            for segment in done:
                segment[1].unlink(missing_ok=True)
                self._segments.remove(segment)
            return len(done)

    def close(self) -> None:
        """Close the segment being appended to and release the directory lock."""
        with self._lock:
            if self._file is not None:
                os.close(self._file)
                self._file = None
        with contextlib.suppress(OSError):
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
        self._lock_file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- recovery

    @staticmethod
    def _recover(path: Path) -> int | None:
        """Cut a torn tail off ``path``; the last intact sequence number (None: no record)."""
        last, good = None, 0
        for seq, payload in _records(path):
            last = seq
            good += _HEADER.size + len(payload)
        size = path.stat().st_size
        if good != size:
            # the end of a write cut off by a crash (never answered), or a damaged disk
            log.warning("journal %s: %d bytes after record %s do not check; cut off", path,
                        size - good, last)
            with open(path, "r+b") as f:
                f.truncate(good)
                os.fsync(f.fileno())
        return last


def _records(path: Path) -> Iterator[tuple[int, bytes]]:
    """The intact records of one segment, stopping at the first that does not check."""
    with open(path, "rb") as f:
        data = f.read()
    offset = 0
    while offset + _HEADER.size <= len(data):
        seq, length, checksum = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        payload = data[start:start + length]
        if len(payload) != length or zlib.crc32(payload) != checksum:
            return
        yield seq, payload
        offset = start + length


def _first_seq(path: Path) -> int:
    return int(path.name.removesuffix(_SUFFIX))


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
