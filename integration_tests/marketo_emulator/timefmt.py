"""Marketo's datetime spellings (marketo-api.md §7.1) and lenient parsing of client input.

Internally every instant is an int of epoch milliseconds (UTC): compact, sortable, and cheap to
compute lazily for millions of generated records.
"""
from __future__ import annotations

import re
import time
from datetime import date, datetime, timedelta, timezone

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_ms(moment: datetime) -> int:
    return int((moment.astimezone(UTC) - EPOCH) / timedelta(milliseconds=1))


def instant_ms(value) -> int:
    """Epoch ms of a datetime (naive: UTC) or an ISO-8601 string (options accept both)."""
    if isinstance(value, datetime):
        return to_ms(value if value.tzinfo else value.replace(tzinfo=UTC))
    return parse_input(str(value))


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def rest_datetime(ms: int) -> str:
    """Lead database and bulk CSV form: `2023-01-16T23:32:19Z` (seconds, UTC)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))  # hot path: no datetime objects


def asset_datetime(ms: int) -> str:
    """Asset API form, sic: `2021-11-23T22:57:24Z+0000`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ+0000", time.gmtime(ms // 1000))


def rest_date(ms: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ms // 1000))


_OFFSET_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


class BadDatetime(ValueError):
    """Input that is not an ISO-8601 date or datetime."""


def parse_input(value: str, *, allow_millis: bool = True, allow_date_only: bool = True) -> int:
    """Parse a client-supplied ISO-8601 value to epoch ms. Naive values are taken as UTC."""
    text = (value or "").strip()
    if not text:
        raise BadDatetime(value)
    if text.endswith("Z+0000"):
        text = text[:-5]
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    text = _OFFSET_NO_COLON.sub(r"\1:\2", text)
    if not allow_millis and re.search(r"T\d{2}:\d{2}:\d{2}\.\d+", text):
        raise BadDatetime(value)
    try:
        if len(text) == 10:
            if not allow_date_only:
                raise BadDatetime(value)
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        else:
            parsed = datetime.fromisoformat(text.replace(" ", "+", 1) if " " in text[19:] else text)
    except ValueError as error:
        raise BadDatetime(value) from error
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return to_ms(parsed)
