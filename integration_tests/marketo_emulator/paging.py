"""Opaque paging tokens (marketo-api.md §4.3): base32 text with `=` padding, like Marketo's.

Position tokens carry an offset (lists, campaigns, leads, job lists); activity tokens carry the
(activityDate ms, id) of the last activity examined.
"""
from __future__ import annotations

import base64
import struct

from .envelope import MarketoError

_ACTIVITY = struct.Struct(">cqq")


def position_token(offset: int) -> str:
    return base64.b32encode(struct.pack(">cq", b"P", offset)).decode()


def activity_token(date_ms: int, activity_id: int) -> str:
    return base64.b32encode(_ACTIVITY.pack(b"A", date_ms, activity_id)).decode()


def read_position(token: str | None) -> int:
    if not token:
        return 0
    try:
        kind, offset = struct.unpack(">cq", base64.b32decode(token.strip()))
    except (ValueError, struct.error) as error:
        raise MarketoError("1003", "Invalid nextPageToken") from error
    if kind != b"P" or offset < 0:
        raise MarketoError("1003", "Invalid nextPageToken")
    return offset


def read_activity(token: str | None) -> tuple[int, int]:
    if not token:
        raise MarketoError("701", "nextPageToken cannot be blank")
    try:
        kind, date_ms, activity_id = _ACTIVITY.unpack(base64.b32decode(token.strip()))
    except (ValueError, struct.error) as error:
        raise MarketoError("1003", "Invalid nextPageToken") from error
    if kind != b"A":
        raise MarketoError("1003", "Invalid nextPageToken")
    return date_ms, activity_id


def page_of(items: list, offset: int, size: int) -> tuple[list, str | None]:
    """A slice and the token of the next one (None when this was the last)."""
    chunk = items[offset:offset + size]
    more = offset + size < len(items)
    return chunk, (position_token(offset + size) if more else None)
