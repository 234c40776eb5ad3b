"""ExportFile: Range resume after a dropped connection, a server that ignores Range, checksum and size
checks, 404, and NUL bytes removed after the checksum (which counts the bytes as served)."""

import hashlib
import logging
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from source_marketo.components.budget import CallRateLimiter, DailyCallBudget
from source_marketo.components.bulk.download import READ_AHEAD, ExportCorrupt, ExportFile, ExportGone
from source_marketo.components.client import MarketoClient, Reply, RetryPolicy
from source_marketo.components.errors import Action, Decision
from unit_tests.helpers import FakeClock, FakeTokens

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
    def __init__(self, status, body, break_after=None, headers=None, start=0):
        self.status_code, self.raw = status, Raw(body, break_after)
        self.headers = headers if headers is not None else ({"Content-Range": f"bytes {start}-/{start + len(body)}"} if status == 206 else {"Content-Type": "text/csv"})


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


DATA = b"id,name\n1,a\x00b\n" + b"".join(b"%d,name %d\n" % (i, i) for i in range(2, 30))  # longer than the head checked
CHECKSUM = "sha256:" + hashlib.sha256(DATA).hexdigest()


def read_all(client, size=len(DATA), checksum=CHECKSUM):
    stream = ExportFile(client, "/bulk/v1/leads/export/x/file.json", size, checksum)
    return b"".join(iter(lambda: stream.read1(), b"")), stream


def test_given_a_dropped_connection_when_downloading_then_it_resumes_with_range_and_verifies():
    client = FakeClient([Reply(Response(200, DATA, break_after=100), None, OK), Reply(Response(206, DATA[100:], start=100), None, OK)])
    body, stream = read_all(client)
    assert body == DATA.replace(b"\x00", b"") and stream.nul_bytes == 1
    assert client.ranges == [None, "bytes=100-"] and stream.resumes == 1


def test_given_a_server_that_ignores_range_when_resuming_then_the_received_bytes_are_skipped():
    client = FakeClient([Reply(Response(200, DATA, break_after=100), None, OK), Reply(Response(200, DATA), None, OK)])
    body, _ = read_all(client)
    assert body == DATA.replace(b"\x00", b"")


def test_given_a_checksum_mismatch_when_downloaded_then_corrupt():
    with pytest.raises(ExportCorrupt, match="SHA-256"):
        read_all(FakeClient([Reply(Response(200, DATA), None, OK)]), checksum="sha256:" + "0" * 64)


def test_given_a_short_body_when_downloaded_then_resumed_and_checked_against_the_size():
    client = FakeClient([Reply(Response(200, DATA[:120]), None, OK), Reply(Response(206, DATA[120:], start=120), None, OK)])
    body, _ = read_all(client)
    assert body == DATA.replace(b"\x00", b"") and client.backoffs == ["truncated"]


def test_given_no_file_when_downloading_then_gone():
    with pytest.raises(ExportGone):
        read_all(FakeClient([Reply(None, None, Decision(Action.NOT_FOUND, "404", "404"))]))


PAGE = b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>"


def test_given_an_html_page_instead_of_the_file_when_downloading_then_nothing_of_it_is_taken_and_the_file_is_fetched_again():
    client = FakeClient([Reply(Response(200, PAGE, headers={"Content-Type": "text/html"}), None, OK), Reply(Response(200, DATA), None, OK)])
    body, stream = read_all(client)
    assert body == DATA.replace(b"\x00", b"") and client.ranges == [None, None] and client.backoffs == ["bad_body"]


def test_given_an_html_page_labelled_as_csv_when_downloading_then_it_is_not_read_as_rows():
    client = FakeClient([Reply(Response(200, PAGE + DATA[len(PAGE):]), None, OK), Reply(Response(200, DATA), None, OK)])
    body, _ = read_all(client)
    assert body == DATA.replace(b"\x00", b"")


def test_given_a_range_continuation_from_another_byte_when_resuming_then_the_file_restarts_and_skips_what_was_taken():
    client = FakeClient([
        Reply(Response(200, DATA, break_after=100), None, OK),
        Reply(Response(206, DATA[104:], start=104), None, OK),  # not where it was asked to start: never glued on
        Reply(Response(200, DATA), None, OK),
    ])
    body, stream = read_all(client)
    assert body == DATA.replace(b"\x00", b"") and client.ranges == [None, "bytes=100-", None] and client.backoffs == ["network", "bad_range"]


def test_given_a_range_continuation_that_is_an_html_page_when_resuming_then_it_is_not_appended():
    client = FakeClient([
        Reply(Response(200, DATA, break_after=100), None, OK),
        Reply(Response(206, PAGE, headers={"Content-Range": f"bytes 100-/{len(DATA)}", "Content-Type": "text/html"}), None, OK),
        Reply(Response(206, DATA[100:], start=100), None, OK),
    ])
    body, stream = read_all(client)
    assert body == DATA.replace(b"\x00", b"") and client.ranges == [None, "bytes=100-", "bytes=100-"]


def test_given_a_drop_after_the_last_byte_when_downloading_then_the_file_is_done_without_asking_for_more():
    client = FakeClient([Reply(Response(200, DATA, break_after=len(DATA)), None, OK)])  # breaks once every byte is in
    body, _ = read_all(client)
    assert body == DATA.replace(b"\x00", b"") and client.ranges == [None]  # no Range past the end (Marketo: 416)


class LocalServer:
    """A real HTTP/1.1 server on 127.0.0.1: the export file in 64 KB writes ``pace`` seconds apart
    (``stall_after`` bytes, then nothing until ``release`` is set), and a JSON reply at any other path; it notes which connection
    (client port) served each request."""

    def __init__(self, body: bytes, stall_after=None, pace=0.0):
        self.release, self.served = threading.Event(), []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                server.served.append((self.client_address[1], self.path))
                if not self.path.endswith("/file.json"):
                    reply = b'{"requestId":"r1","success":true,"result":[]}'
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    for at in range(0, len(body), 65536):
                        if stall_after is not None and at >= stall_after:
                            server.release.wait(30)
                        self.wfile.write(body[at : at + 65536])
                        time.sleep(pace)
                except OSError:
                    pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.release.set()
        self.httpd.shutdown()


@pytest.mark.parametrize("stall", [False, True], ids=["flowing", "stalled"])
def test_given_a_real_connection_when_a_download_is_left_early_then_it_closes_at_once_and_the_next_call_gets_a_clean_connection(stall):
    body = b"id,name\n" + b"".join(b"%d,name %d\n" % (i, i) for i in range(400_000))  # ~6 MB
    server = LocalServer(body, stall_after=(1 << 20) if stall else None, pace=0.0 if stall else 0.01)  # flowing: ~6 MB/s, still coming
    try:
        clock, session = FakeClock(), requests.Session()
        client = MarketoClient(server.url, FakeTokens(), session, CallRateLimiter(clock), DailyCallBudget(clock, None), clock,
                               logging.getLogger("test"), RetryPolicy())
        stream = ExportFile(client, "/bulk/v1/leads/export/x/file.json", len(body), None, read_timeout=30)
        taken = 0
        while taken < 512 * 1024:
            taken += len(stream.read1())
        time.sleep(0.2)
        started = time.monotonic()
        stream.close()
        assert time.monotonic() - started < 5  # not the stall, nor the 30 s read timeout
        assert not download_threads()  # the thread reading ahead ended with it, even one waiting on the stall
        reply = client.get("/rest/v1/activities/types.json")  # the same session: never the half-read connection
        assert reply.envelope is not None and reply.envelope.success
        (file_port, _), (next_port, _) = server.served
        assert next_port != file_port
    finally:
        server.stop()


def download_threads():
    return [thread for thread in threading.enumerate() if thread.name == "export-download" and thread.is_alive()]


class CountingRaw:
    """A body of many small chunks that counts how far it was read."""

    def __init__(self, chunks: int):
        self.left, self.reads = chunks, 0

    def read1(self, size):
        self.reads += 1
        if self.left == 0:
            return b""
        self.left -= 1
        return b"x" * 10


def test_given_a_slow_reader_when_downloading_then_the_body_is_read_ahead_only_a_few_chunks():
    response = Response(200, b"")
    response.raw = CountingRaw(1000)
    stream = ExportFile(FakeClient([Reply(response, None, OK)]), "/bulk/v1/leads/export/x/file.json")
    assert stream.read1()  # the first chunks (the head checked for a page is one of them)
    time.sleep(0.3)  # time enough to read all 1,000 chunks, were it not bounded
    assert response.raw.reads <= READ_AHEAD + 10
    stream.close()
    assert not download_threads() and response.raw.reads <= READ_AHEAD + 10


def test_given_a_file_read_to_its_end_or_a_page_refused_then_no_reading_thread_is_left():
    _, stream = read_all(FakeClient([Reply(Response(200, DATA), None, OK)]))
    page = b"<html><body>Service Unavailable</body></html>" * 3
    client = FakeClient([Reply(Response(200, page, headers={"Content-Type": "text/html"}), None, OK), Reply(Response(200, DATA), None, OK)])
    body, _ = read_all(client)
    assert body == DATA.replace(b"\x00", b"")
    stream.close()
    assert not download_threads()


class SlowRaw:
    """A connection without urllib3's ``shutdown``: its read waits 1.5 s, then the body ends."""

    def __init__(self):
        self.calls = 0

    def read1(self, size):
        self.calls += 1
        if self.calls == 1:
            return b"id,name\n" + b"1,a\n" * 40
        time.sleep(1.5)
        return b""


def test_given_no_way_to_wake_a_read_when_a_download_is_left_early_then_the_reply_is_closed_only_after_that_read():
    response = Response(200, b"")
    response.raw = SlowRaw()
    stream = ExportFile(FakeClient([Reply(response, None, OK)]), "/bulk/v1/leads/export/x/file.json")
    assert stream.read1()
    stream.close()  # never while the thread is inside the read: urllib3 could pool the half-read connection
    assert not download_threads()


class PoolingRaw:
    """Like urllib3's reply: the read that reaches the end of the body hands the connection back to the pool."""

    def __init__(self, body: bytes):
        self.body, self.position, self.released_by = body, 0, []

    def release_conn(self):
        self.released_by.append(threading.current_thread().name)

    def read1(self, size):
        chunk = self.body[self.position : self.position + 100]
        self.position += len(chunk)
        if not chunk:
            self.release_conn()
        return chunk


@pytest.mark.parametrize("early", [False, True], ids=["read to the end", "left early"])
def test_given_a_reading_thread_then_the_connection_goes_back_to_the_pool_only_after_it_ended_and_only_when_read_to_the_end(early):
    # a connection handed back by the thread could be taken by another thread's call while stop() shuts its socket
    response = Response(200, b"")
    response.raw = PoolingRaw(DATA)
    stream = ExportFile(FakeClient([Reply(response, None, OK)]), "/bulk/v1/leads/export/x/file.json", None if early else len(DATA), None if early else CHECKSUM)
    if early:
        response.raw.body = b"id,name\n" + b"1,a\n" * 25_000  # far more than READ_AHEAD chunks of 100 bytes
        stream.read1()
        stream.close()
        assert response.raw.released_by == []  # not read to the end: the reply closes it
    else:
        assert b"".join(iter(stream.read1, b"")) == DATA.replace(b"\x00", b"")
        assert response.raw.released_by == ["MainThread"]
    assert "release_conn" not in vars(response.raw)  # urllib3's own method again
