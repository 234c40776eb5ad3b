"""The parsed HTTP request handed to handlers, and parameter helpers that answer Marketo errors.

`POST ...?_method=GET` with a form body is a GET whose parameters came in the body (Marketo's
long-URI escape hatch, marketo-api.md §2.2): by the time a handler sees the request, the method is
GET and the parameters are merged.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from .envelope import MarketoError


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    raw_method: str = ""

    @classmethod
    def build(cls, method: str, path: str, query: str, body: bytes, headers: dict[str, str]) -> "Request":
        params = _merge(parse_qsl(query, keep_blank_values=True))
        content_type = headers.get("content-type", "").lower()
        if method == "POST" and content_type.startswith("application/x-www-form-urlencoded") and body:
            form = _merge(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
            if params.get("_method", form.get("_method", "")).upper() == "GET" or path.startswith("/identity/"):
                for key, value in form.items():
                    params.setdefault(key, value)
        effective = method
        if method == "POST" and params.get("_method", "").upper() == "GET":
            effective = "GET"
        params.pop("_method", None)
        return cls(effective, path, params, body, headers, method)

    def json(self) -> object:
        content_type = self.headers.get("content-type", "").lower()
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/")):
            raise MarketoError("612", "Invalid Content Type")
        try:
            return json.loads(self.body.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError) as error:
            raise MarketoError("609", "Invalid JSON") from error

    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        return self.params.get("access_token")


def _merge(pairs) -> dict[str, str]:
    """Repeated keys (activityTypeIds=1&activityTypeIds=12) become one comma list."""
    out: dict[str, str] = {}
    for key, value in pairs:
        out[key] = f"{out[key]},{value}" if key in out else value
    return out


def int_param(params: dict, name: str, default: int | None = None, *, low: int | None = None,
              high: int | None = None) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise MarketoError("1003", f"Invalid value for {name}: {raw}") from error
    if (low is not None and value < low) or (high is not None and value > high):
        raise MarketoError("1003", f"{name} must be between {low} and {high}")
    return value


def list_param(params: dict, name: str) -> list[str]:
    raw = params.get(name, "")
    return [part.strip() for part in raw.split(",") if part.strip()]


def int_list_param(params: dict, name: str) -> list[int]:
    try:
        return [int(part) for part in list_param(params, name)]
    except ValueError as error:
        raise MarketoError("1003", f"Invalid value for {name}") from error


def required(params: dict, name: str) -> str:
    value = params.get(name)
    if value in (None, ""):
        raise MarketoError("701", f"{name} cannot be blank")
    return value
