"""A bulk export file as a byte stream: streamed, resumed with ``Range``, verified, NUL bytes removed.

Marketo serves ``GET /bulk/v1/{obj}/export/{id}/file.json`` as plain CSV (no envelope), supports
``Range`` (206 + ``Content-Range``), and gives ``fileSize`` and ``fileChecksum`` (``sha256:<hex>``)
on the completed job (marketo-api.md 6.4). Connections can drop or stall on long downloads, so a
read timeout or a dropped connection resumes from the last byte received. The checksum is taken on
the bytes as served; NUL bytes (seen in real exports) are removed only after that.

Only the export itself is ever taken: a reply that is an HTML page (a proxy's error page, even with
HTTP 200) is retried before any of it is read, and a continuation is appended only when it starts
at the byte asked for (``Content-Range``); otherwise the file is fetched again from its start and
what was already received is skipped, so the bytes taken are always one file, end to end.

The body is read by a thread of its own, a few chunks ahead of the CSV reader (``_ReadAhead``): the
socket reads, and on Marketo the wait for the network, overlap the parsing instead of adding to it.
Only that thread reads the socket; everything else (Range, the checks, the retries) stays here.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import queue
import re
import threading
from typing import Iterator, Optional

import requests
import urllib3

from source_marketo.components.client import MarketoClient
from source_marketo.components.errors import Action, Decision, classify_export_body

CHUNK_SIZE = 1 << 20
READ_AHEAD = 8  # chunks read ahead of the reader at most (8 MB)
_STREAM_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError, TimeoutError, OSError)
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-")


class ExportGone(Exception):
    """The file is not (or no longer) there: HTTP 404 (not ready, or past the 7-day retention)."""


class ExportCorrupt(Exception):
    """The downloaded bytes do not match Marketo's fileSize / fileChecksum."""


class ExportFile(io.BufferedIOBase):
    """Readable binary stream of one export file; pass to io.TextIOWrapper for line-by-line CSV reading."""

    def __init__(
        self,
        client: MarketoClient,
        path: str,
        expected_size: Optional[int] = None,
        expected_checksum: Optional[str] = None,
        read_timeout: float = 60.0,
    ) -> None:
        super().__init__()
        self._client = client
        self._path = path
        self._expected_size = expected_size
        self._expected_checksum = _hex(expected_checksum)
        self._read_timeout = read_timeout
        self._sha256 = hashlib.sha256()
        self._whole_file_next = False  # a continuation did not line up: ask for the whole file and skip what was taken
        self._chunks = self._download()
        self.received = 0  # bytes as served (what fileSize counts)
        self.nul_bytes = 0
        self.resumes = 0

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        for chunk in self._chunks:
            if chunk:  # a chunk of only NUL bytes is empty after stripping; b"" would mean end of file
                return chunk
        return b""

    def read(self, size: Optional[int] = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(self._chunks)
        return self.read1(size)

    def close(self) -> None:
        """Left early or read to the end: the download stops at once (its reading thread too) and its
        connection is closed, never handed to the next call half read."""
        self._chunks.close()
        super().close()

    def _download(self) -> Iterator[bytes]:
        attempt = 0
        while True:
            attempt += 1
            before = self.received
            decision = yield from self._stream_from(self.received)
            if self.received > before:
                attempt = 1  # it was making progress: a long file on a flaky link gets there, drop by drop
            if decision is None or (self._expected_size is not None and self.received >= self._expected_size):
                self._verify()  # a drop after the last byte is no reason to ask for more (Marketo would answer 416)
                return
            self.resumes += 1
            if decision.action is Action.NOT_FOUND:
                raise ExportGone(decision.reason)
            self._client.back_off(decision, attempt, self._path)  # raises when final (a daily limit: LimitReached)

    def _stream_from(self, offset: int):
        """Yield chunks from ``offset``; return None when the body ended, else why it stopped."""
        headers = {"Accept-Encoding": "identity"}  # the bytes as stored: what fileSize, the checksum and Range count
        if offset and not self._whole_file_next:
            headers["Range"] = f"bytes={offset}-"
        with self._client.stream(self._path, headers, self._read_timeout) as reply:
            if reply.decision.action is not Action.OK:
                return reply.decision
            response = reply.response
            starts_at = _first_byte(response) if "Range" in headers else 0
            if starts_at is None or starts_at > offset:
                self._whole_file_next = True  # a continuation from elsewhere would glue two different bodies
                return Decision(Action.RETRY, f"the continuation of {self._path} did not start at byte {offset} ({response.headers.get('Content-Range')!r})", "bad_range")
            self._whole_file_next = False
            skip = offset - starts_at  # bytes already taken (all of them when the server ignored Range)
            chunks = _ReadAhead(response)
            try:
                head = _head(chunks)  # enough of the body to tell a page from the file
                refused = classify_export_body(response.status_code, response.headers.get("Content-Type", ""), head if starts_at == 0 else b"", self._path)
                if refused is not None:
                    return refused
                for chunk in itertools.chain([head], chunks):
                    if skip:
                        chunk, skip = chunk[skip:], max(skip - len(chunk), 0)
                    if chunk:
                        yield self._take(chunk)
            except _STREAM_ERRORS as error:
                return Decision(Action.RETRY, f"the download of {self._path} broke off after {self.received} bytes ({type(error).__name__})", "network")
            finally:
                chunks.stop()  # before the response closes: the thread must not be reading it then
        if self._expected_size is not None and self.received < self._expected_size:
            return Decision(Action.RETRY, f"the download of {self._path} ended at {self.received} of {self._expected_size} bytes", "truncated")
        return None

    def _take(self, chunk: bytes) -> bytes:
        self.received += len(chunk)
        self._sha256.update(chunk)
        if b"\x00" in chunk:
            stripped = chunk.replace(b"\x00", b"")
            self.nul_bytes += len(chunk) - len(stripped)
            return stripped
        return chunk

    def _verify(self) -> None:
        if self._expected_size is not None and self.received != self._expected_size:
            raise ExportCorrupt(f"{self._path}: received {self.received} bytes, Marketo reported fileSize {self._expected_size}")
        if self._expected_checksum and self._sha256.hexdigest() != self._expected_checksum:
            raise ExportCorrupt(f"{self._path}: SHA-256 {self._sha256.hexdigest()} differs from Marketo's fileChecksum {self._expected_checksum}")


class _ReadAhead:
    """The body of ``response`` as its chunks, read by a thread of its own at most READ_AHEAD chunks ahead.

    Each chunk is what has arrived, up to CHUNK_SIZE (``raw.read1``): a stalled connection loses nothing
    already received (``iter_content`` would wait to fill a whole chunk). A failure to read (a dropped
    connection, the read timeout) comes out after every chunk read before it, as the same exception, so
    the bytes taken before a resume are all the bytes received. ``stop`` ends the thread at once, even
    one waiting on a stalled connection: the socket is shut for reading, which wakes it. Until then the
    connection stays with the reply; it goes back to the pool only after the thread is done."""

    _END = object()

    def __init__(self, response: requests.Response) -> None:
        self._response = response
        self._queue: "queue.Queue[object]" = queue.Queue(READ_AHEAD)
        self._stopped = threading.Event()
        self._read_to_end = False
        # urllib3 hands the connection back to its pool inside the read that reaches the end of the body; another
        # thread could then take it while ``stop`` shuts its socket. Held here, it goes back once this thread is done.
        self._held = getattr(response.raw, "release_conn", None) is not None
        if self._held:
            response.raw.release_conn = _keep  # type: ignore[union-attr]
        self._thread = threading.Thread(target=self._read, name="export-download", daemon=True)
        self._thread.start()

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        item = self._queue.get()
        if item is self._END:
            self._queue.put(item)  # asked again, it ends again
            raise StopIteration
        if isinstance(item, BaseException):
            self._queue.put(self._END)  # nothing is read after a failure
            raise item
        return item  # type: ignore[return-value]

    def _read(self) -> None:
        raw = self._response.raw
        try:
            while not self._stopped.is_set():
                chunk = raw.read1(CHUNK_SIZE)
                if not chunk:
                    self._read_to_end = not self._stopped.is_set()  # not an end made by the shutdown
                    break
                self._put(chunk)
            self._put(self._END)
        except BaseException as error:  # noqa: BLE001 - handed to the reader, which decides (a resume, mostly)
            self._put(error)

    def _put(self, item: object) -> None:
        while not self._stopped.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def stop(self) -> None:
        if self._thread.is_alive():
            self._halt()
        if self._held:  # the thread is done: a connection read to the end goes back to the pool, any other is closed
            self._held = False
            del self._response.raw.release_conn  # type: ignore[union-attr]
            if self._read_to_end:
                self._response.raw.release_conn()  # type: ignore[union-attr]

    def _halt(self) -> None:
        self._stopped.set()
        shutdown = getattr(self._response.raw, "shutdown", None)  # urllib3 >= 2.3 (setup.py): wakes a read waiting on the network
        if shutdown is not None:
            try:
                shutdown()
            except (ValueError, RuntimeError, OSError):
                pass  # no socket to shut (not a real connection, or one closed already): the join below waits for the read
        self._thread.join(timeout=1.0)
        if self._thread.is_alive():
            # The reply must not be closed while the thread is inside a read: urllib3 could then hand the half-read
            # connection back to its pool. A read ends by the download's read timeout at the latest.
            self._thread.join()


def _keep() -> None:
    """Stands in for urllib3's ``release_conn`` while a reading thread holds the connection."""


def _head(chunks: Iterator[bytes], size: int = 64) -> bytes:
    """The first ``size`` bytes or more (fewer at the end of the body), joined from the first chunks."""
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= size:
            break
    return head


def _first_byte(response: requests.Response) -> Optional[int]:
    """Where a reply to a Range request starts in the file: 0 for a whole file (HTTP 200), the start
    of its ``Content-Range`` for a part (206), None when a part does not say."""
    if response.status_code != 206:
        return 0
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def _hex(checksum: Optional[str]) -> Optional[str]:
    if not checksum:
        return None
    return checksum.split(":", 1)[1].lower() if ":" in checksum else checksum.lower()
