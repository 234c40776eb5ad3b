"""The HTTP server: standard library only, HTTP/1.1 keep-alive, correct Content-Length.

It parses requests, answers 414/413 like Marketo's gateway, sends admin calls to `admin.py`, runs
API calls through the pipeline (`app.py`) and writes the reply — applying body faults (truncated,
dropped, stalled) — then records the call in the journal. File downloads stream from disk with
`sendfile` (zero-copy) unless a fault needs byte-level control.
"""
from __future__ import annotations

import gzip
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from . import admin
from .envelope import Reply, encode
from .request import Request

MAX_URI = 8 * 1024  # 414 above (EL:rest-api)
MAX_BODY = 1024 * 1024  # 413 above; 10 MB for bulk endpoints
MAX_BULK_BODY = 10 * 1024 * 1024
CHUNK = 1024 * 1024
HTML_413 = b"<html><head><title>413 Request Entity Too Large</title></head><body><center><h1>413 Request Entity Too Large</h1></center><hr><center>nginx</center></body></html>"
HTML_414 = b"<html><head><title>414 Request-URI Too Large</title></head><body><center><h1>414 Request-URI Too Large</h1></center><hr><center>nginx</center></body></html>"


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # idle keep-alive connections must not hold up shutdown
    allow_reuse_address = True

    def __init__(self, address, emulator) -> None:
        self.emulator = emulator
        super().__init__(address, MarketoRequestHandler)


class MarketoRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 300
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stalls

    def version_string(self) -> str:
        return "nginx"

    def log_message(self, format, *args) -> None:  # noqa: A002 - stdlib signature
        self.server.emulator.log(format % args)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    # -- request -----------------------------------------------------------------------------
    def _serve(self) -> None:
        started = time.perf_counter()
        emulator = self.server.emulator
        parts = urlsplit(self.path)
        if len(self.path) > MAX_URI:
            self._plain_error(414, HTML_414, parts.path, started)
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > (MAX_BULK_BODY if parts.path.startswith("/bulk/") else MAX_BODY):
            self.close_connection = True
            self._drain(length)  # so the client can finish sending and read the 413
            self._plain_error(413, HTML_413, parts.path, started)
            return
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        if parts.path.startswith(admin.PREFIX):
            status, payload = admin.dispatch(emulator, self.command, parts.path, parts.query, body)
            self._write(Reply(status=status, body=payload, allow_gzip=False), None)
            return
        request = Request.build(self.command, parts.path, parts.query, body, headers)
        outcome = emulator.app.handle(request)
        entry = outcome.entry
        entry.status = outcome.reply.status
        # Journaled before the body goes out, so a client that has its answer also finds the entry.
        emulator.state.journal.add(entry)
        try:
            entry.bytes_sent = self._write(outcome.reply, outcome.fault, entry)
        finally:
            if outcome.entered:
                emulator.state.inflight.leave()
            entry.duration_ms = round((time.perf_counter() - started) * 1000, 3)

    def _drain(self, length: int) -> None:
        left = min(length, 4 * MAX_BULK_BODY)
        while left > 0:
            data = self.rfile.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)

    def _plain_error(self, status: int, body: bytes, path: str, started: float) -> None:
        emulator = self.server.emulator
        sent = self._write(Reply(status=status, body=body, content_type="text/html", allow_gzip=False), None)
        state = emulator.state
        from .journal import JournalEntry
        from .timefmt import rest_datetime

        state.journal.add(JournalEntry(seq=state.journal.next_seq(), time=rest_datetime(state.now_ms()),
                                       method=self.command, path=path[:200], endpoint=path[:200], status=status,
                                       bytes_sent=sent, duration_ms=round((time.perf_counter() - started) * 1000, 3)))

    # -- response ----------------------------------------------------------------------------
    def _write(self, reply: Reply, fault, entry=None) -> int:
        """Send the reply; returns the body bytes actually sent."""
        if reply.file_path is not None:
            if entry is not None and reply.file_range is not None:
                entry.bytes_sent = reply.file_range[1] - reply.file_range[0] + 1
            return self._write_file(reply, fault)
        payload = encode(reply)
        headers = dict(reply.headers)
        emulator = self.server.emulator
        if (reply.allow_gzip and emulator.options.gzip and len(payload) >= 1024
                and "gzip" in self.headers.get("Accept-Encoding", "")):
            payload = gzip.compress(payload, compresslevel=5)
            headers.update({"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
        if entry is not None:
            entry.bytes_sent = len(payload)
        return self._send(reply.status, reply.content_type, headers, len(payload), [payload], fault)

    def _write_file(self, reply: Reply, fault) -> int:
        if reply.file_range is None:  # an empty file
            return self._send(reply.status, reply.content_type, reply.headers, 0, [], fault)
        start, end = reply.file_range
        length = end - start + 1
        with open(reply.file_path, "rb") as handle:
            if fault is None or not _body_fault(fault):
                self._headers(reply.status, reply.content_type, reply.headers, length)
                self.wfile.flush()
                return self.connection.sendfile(handle, start, length)
            handle.seek(start)
            return self._send(reply.status, reply.content_type, reply.headers, length, _chunks(handle, length), fault)

    def _headers(self, status: int, content_type: str, headers: dict, length: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        for key, value in headers.items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()

    def _send(self, status: int, content_type: str, headers: dict, length: int, chunks, fault) -> int:
        """Write headers and body, honouring truncate/drop/stall faults."""
        limit = None
        declared = length
        if fault is not None and fault.truncate_after is not None:
            limit = declared = min(length, fault.truncate_after)
        elif fault is not None and fault.drop_after is not None:
            limit = min(length, fault.drop_after)
        stall_at = fault.stall_after if fault is not None and fault.stall_after is not None else None
        self._headers(status, content_type, headers, declared)
        sent = 0
        for chunk in chunks:
            if limit is not None:
                chunk = chunk[: max(0, limit - sent)]
            if stall_at is not None and sent <= stall_at < sent + len(chunk):
                cut = stall_at - sent
                self.wfile.write(chunk[:cut])
                sent += cut
                self.wfile.flush()
                time.sleep(fault.stall_seconds)
                chunk, stall_at = chunk[cut:], None
            if chunk:
                self.wfile.write(chunk)
                sent += len(chunk)
            if limit is not None and sent >= limit:
                break
        self.wfile.flush()
        if fault is not None and fault.drop_after is not None and sent < length:
            self._drop()
        return sent

    def _drop(self) -> None:
        """Close the connection mid-body, as a proxy or Marketo dropping a long download would."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _body_fault(fault) -> bool:
    return fault.truncate_after is not None or fault.drop_after is not None or fault.stall_after is not None


def _chunks(handle, length: int):
    left = length
    while left > 0:
        data = handle.read(min(CHUNK, left))
        if not data:
            return
        left -= len(data)
        yield data


class ServerThread:
    """Runs the server on a background daemon thread."""

    def __init__(self, emulator, host: str, port: int) -> None:
        self.httpd = EmulatorHTTPServer((host, port), emulator)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       name="marketo-emulator", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.httpd.server_address[:2]
        return host, port

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


