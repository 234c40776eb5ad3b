"""A bulk export file as a byte stream: streamed, resumed with ``Range``, verified, NUL bytes removed.

Marketo serves ``GET /bulk/v1/{obj}/export/{id}/file.json`` as plain CSV (no envelope), supports
``Range`` (206 + ``Content-Range``), and gives ``fileSize`` and ``fileChecksum`` (``sha256:<hex>``)
on the completed job (marketo-api.md 6.4). Connections can drop or stall on long downloads, so a
read timeout or a dropped connection resumes from the last byte received. The checksum is taken on
the bytes as served; NUL bytes (seen in real exports) are removed only after that.
"""

from __future__ import annotations

import hashlib
import io
from typing import Callable, Iterator, Optional

import requests
import urllib3

from source_marketo.components.client import MarketoClient
from source_marketo.components.errors import Action, Decision

CHUNK_SIZE = 1 << 20
_STREAM_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, ConnectionError, TimeoutError, OSError)


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
        on_progress: Optional[Callable[[int], None]] = None,
    ) -> None:
        super().__init__()
        self._client = client
        self._path = path
        self._expected_size = expected_size
        self._expected_checksum = _hex(expected_checksum)
        self._read_timeout = read_timeout
        self._on_progress = on_progress
        self._sha256 = hashlib.sha256()
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

    def _download(self) -> Iterator[bytes]:
        attempt = 0
        while True:
            attempt += 1
            before = self.received
            decision = yield from self._stream_from(self.received)
            if self.received > before:
                attempt = 1  # it was making progress: a long file on a flaky link gets there, drop by drop
            if decision is None:
                self._verify()
                return
            self.resumes += 1
            if decision.action is Action.NOT_FOUND:
                raise ExportGone(decision.reason)
            self._client.back_off(decision, attempt, self._path)  # raises when final (a daily limit: LimitReached)

    def _stream_from(self, offset: int):
        """Yield chunks from ``offset``; return None when the body ended, else why it stopped."""
        headers = {"Accept-Encoding": "identity"}  # the bytes as stored: what fileSize, the checksum and Range count
        if offset:
            headers["Range"] = f"bytes={offset}-"
        with self._client.stream(self._path, headers, self._read_timeout) as reply:
            if reply.decision.action is not Action.OK:
                return reply.decision
            skip = offset if offset and reply.response.status_code == 200 else 0  # the server ignored Range
            try:
                for chunk in _chunks(reply.response):
                    if skip:
                        chunk, skip = chunk[skip:], max(skip - len(chunk), 0)
                    if chunk:
                        yield self._take(chunk)
            except _STREAM_ERRORS as error:
                return Decision(Action.RETRY, f"the download of {self._path} broke off after {self.received} bytes ({type(error).__name__})", "network")
        if self._expected_size is not None and self.received < self._expected_size:
            return Decision(Action.RETRY, f"the download of {self._path} ended at {self.received} of {self._expected_size} bytes", "truncated")
        return None

    def _take(self, chunk: bytes) -> bytes:
        self.received += len(chunk)
        self._sha256.update(chunk)
        if self._on_progress is not None:
            self._on_progress(self.received)
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


def _chunks(response: requests.Response) -> Iterator[bytes]:
    """What has arrived, up to CHUNK_SIZE at a time: a stalled connection loses nothing already received
    (``iter_content`` would wait to fill a whole chunk before handing any of it over)."""
    raw = response.raw
    while True:
        chunk = raw.read1(CHUNK_SIZE)
        if not chunk:
            return
        yield chunk


def _hex(checksum: Optional[str]) -> Optional[str]:
    if not checksum:
        return None
    return checksum.split(":", 1)[1].lower() if ":" in checksum else checksum.lower()
