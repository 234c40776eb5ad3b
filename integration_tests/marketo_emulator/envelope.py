"""Reply values returned by handlers, and the one renderer of Marketo's JSON envelope.

Handlers never write to sockets: they return a `Reply` (or raise `MarketoError`), and the server
renders it. Lead-database and bulk replies omit empty `errors`/`warnings`; asset replies always
carry both lists (marketo-api.md §2.1). Error codes are strings.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

NO_ASSETS_WARNING = "No assets found for the given search criteria."
JSON_TYPE = "application/json;charset=UTF-8"

MESSAGES = {
    "601": "Access token invalid", "602": "Access token expired", "603": "Access denied",
    "604": "Request timed out", "605": "HTTP Method not supported",
    "606": "Max rate limit '100' exceeded with in '20' secs", "607": "Daily quota reached",
    "608": "API Temporarily Unavailable", "609": "Invalid JSON", "610": "Requested resource not found",
    "611": "System error", "612": "Invalid Content Type", "613": "Invalid Multipart Request",
    "615": "Concurrent access limit '10' reached", "701": "%s cannot be blank",
    "702": "No data found for given search scenario", "704": "Invalid date format", "713": "Transient Error",
    "1003": "Invalid data", "1004": "Lead not found", "1006": "Field not found", "1013": "Object not found", "1018": "CRM Enabled",
    "1029": "Too many jobs in queue", "1035": "Unsupported filter type for target subscription",
}
# Calls answered with these codes are not counted against quota or rate limit (EL:error-codes, the "*" codes).
UNCOUNTED_CODES = {"601", "602", "604", "605", "608", "611"}


class MarketoError(Exception):
    """A response-level error: HTTP 200, success:false, errors:[{code, message}]."""

    def __init__(self, code: str | int, message: str | None = None) -> None:
        self.code = str(code)
        self.message = message or MESSAGES.get(self.code, "Error")
        super().__init__(f"{self.code} {self.message}")


@dataclass
class Reply:
    """What a handler answers. `body` is a dict (JSON), bytes, or None with `file_path` set."""

    status: int = 200
    body: object = None
    content_type: str = JSON_TYPE
    headers: dict[str, str] = field(default_factory=dict)
    error_code: str | None = None
    file_path: str | None = None
    file_range: tuple[int, int] | None = None  # inclusive byte range of file_path
    file_size: int = 0
    allow_gzip: bool = True


def request_id(counter: int, now_ms: int) -> str:
    return f"{counter:x}#{now_ms:x}"


def success(rid: str, result=None, *, asset: bool = False, warnings=None, **extra) -> Reply:
    body: dict = {"requestId": rid}
    if result is not None:
        body["result"] = result
    body["success"] = True
    if asset:
        body["errors"] = []
        body["warnings"] = list(warnings or [])
    elif warnings:
        body["warnings"] = list(warnings)
    body.update(extra)
    return Reply(body=body)


def failure(rid: str, error: MarketoError, *, asset: bool = False) -> Reply:
    body: dict = {"requestId": rid, "success": False, "errors": [{"code": error.code, "message": error.message}]}
    if asset:
        body["warnings"] = []
    return Reply(body=body, error_code=error.code)


def no_assets(rid: str) -> Reply:
    """Asset browse past the end, or nothing matched: a warning and no `result` key."""
    return success(rid, None, asset=True, warnings=[NO_ASSETS_WARNING])


def text(status: int, message: str, content_type: str = "text/plain;charset=UTF-8") -> Reply:
    return Reply(status=status, body=message.encode("utf-8"), content_type=content_type)


def encode(reply: Reply) -> bytes:
    if isinstance(reply.body, (bytes, bytearray)):
        return bytes(reply.body)
    if reply.body is None:
        return b""
    return json.dumps(reply.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
