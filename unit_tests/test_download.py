"""ExportFile: Range resume after a dropped connection, a server that ignores Range, checksum and size
checks, 404, and NUL bytes removed after the checksum (which counts the bytes as served)."""

import hashlib
from contextlib import contextmanager

import pytest
import requests

from source_marketo.components.bulk.download import ExportCorrupt, ExportFile, ExportGone
from source_marketo.components.client import Reply
from source_marketo.components.errors import Action, Decision

OK = Decision(Action.OK, "ok")


class Raw:
    def __init__(self, body: bytes, break_after=None):
        self.body, self.position, self.break_after = body, 0, break_after

    def read1(self, size):
        if self.break_after is not None and self.position >= self.break_after:
            raise requests.exceptions.ChunkedEncodingError("connection broken")
        limit = len(self.body) if self.break_after is None else self.break_after
        chunk = self.body[self.position : min(self.position + 5, limit)]
        self.position += len(chunk)
        return chunk


class Response:
    def __init__(self, status, body, break_after=None):
        self.status_code, self.raw = status, Raw(body, break_after)


class FakeClient:
    """Serves scripted replies to the downloader's streamed GETs and records the Range headers."""

    def __init__(self, replies):
        self.replies, self.ranges, self.backoffs = list(replies), [], []

    @contextmanager
    def stream(self, path, headers, read_timeout):
        self.ranges.append(headers.get("Range"))
        yield self.replies.pop(0)

    def back_off(self, decision, attempt, path):
        self.backoffs.append(decision.code)
        if attempt >= 6:
            raise AssertionError("gave up")


DATA = b"id,name\n1,a\x00b\n2,c\n"
CHECKSUM = "sha256:" + hashlib.sha256(DATA).hexdigest()


def read_all(client, size=len(DATA), checksum=CHECKSUM):
    stream = ExportFile(client, "/bulk/v1/leads/export/x/file.json", size, checksum)
    return b"".join(iter(lambda: stream.read1(), b"")), stream


def test_given_a_dropped_connection_when_downloading_then_it_resumes_with_range_and_verifies():
    client = FakeClient([Reply(Response(200, DATA, break_after=10), None, OK), Reply(Response(206, DATA[10:]), None, OK)])
    body, stream = read_all(client)
    assert body == DATA.replace(b"\x00", b"") and stream.nul_bytes == 1
    assert client.ranges == [None, "bytes=10-"] and stream.resumes == 1


def test_given_a_server_that_ignores_range_when_resuming_then_the_received_bytes_are_skipped():
    client = FakeClient([Reply(Response(200, DATA, break_after=10), None, OK), Reply(Response(200, DATA), None, OK)])
    body, _ = read_all(client)
    assert body == DATA.replace(b"\x00", b"")


def test_given_a_checksum_mismatch_when_downloaded_then_corrupt():
    with pytest.raises(ExportCorrupt, match="SHA-256"):
        read_all(FakeClient([Reply(Response(200, DATA), None, OK)]), checksum="sha256:" + "0" * 64)


def test_given_a_short_body_when_downloaded_then_resumed_and_checked_against_the_size():
    client = FakeClient([Reply(Response(200, DATA[:12]), None, OK), Reply(Response(206, DATA[12:]), None, OK)])
    body, _ = read_all(client)
    assert body == DATA.replace(b"\x00", b"") and client.backoffs == ["truncated"]


def test_given_no_file_when_downloading_then_gone():
    with pytest.raises(ExportGone):
        read_all(FakeClient([Reply(None, None, Decision(Action.NOT_FOUND, "404", "404"))]))
