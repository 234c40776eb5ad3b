"""Marketo data types -> JSON Schema, and value conversions to those types.

Marketo describes lead fields with a ``dataType`` (leads/describe.json; marketo-api.md section 7.2)
and writes datetimes in several shapes (section 7.1): ``2023-01-16T23:32:19Z`` in the lead database
and bulk files, ``2021-11-23T22:57:24Z+0000`` (sic) in the Asset API, ``2014-09-17T22:31:49+0000``
and ``2015-05-07T11:47:30-08:00`` in some replies. Every datetime we emit is RFC 3339 in UTC.
Bulk CSV files write an empty value as the literal ``null`` (section 7.3).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Callable, Dict, Mapping, Optional

NULL_LITERAL = "null"

INTEGER_TYPES = frozenset({"integer"})
NUMBER_TYPES = frozenset({"float", "currency", "percent", "score", "double"})
BOOLEAN_TYPES = frozenset({"boolean"})
DATE_TYPES = frozenset({"date"})
DATETIME_TYPES = frozenset({"datetime"})


def json_schema_for(data_type: Optional[str]) -> Dict[str, Any]:
    """The nullable JSON Schema of a Marketo ``dataType`` (unknown types become strings).

    ``percent`` and ``score`` are numbers, not integers: Marketo documents them as integer-like but
    they can carry decimals, and an integer column would reject such a value.
    """
    kind = (data_type or "string").lower()
    if kind in INTEGER_TYPES:
        return {"type": ["null", "integer"]}
    if kind in NUMBER_TYPES:
        return {"type": ["null", "number"]}
    if kind in BOOLEAN_TYPES:
        return {"type": ["null", "boolean"]}
    if kind in DATE_TYPES:
        return {"type": ["null", "string"], "format": "date"}
    if kind in DATETIME_TYPES:
        return {"type": ["null", "string"], "format": "date-time", "airbyte_type": "timestamp_with_timezone"}
    return {"type": ["null", "string"]}


def schema_kind(schema: Mapping[str, Any]) -> str:
    """Which converter a JSON Schema property needs: integer, number, boolean, datetime, date or string."""
    types = schema.get("type", "string")
    types = [types] if isinstance(types, str) else list(types)
    for kind in ("integer", "number", "boolean"):
        if kind in types:
            return kind
    if schema.get("format") == "date-time":
        return "datetime"
    if schema.get("format") == "date":
        return "date"
    return "string"


def rfc3339(value: Any) -> Optional[str]:
    """Any Marketo datetime string -> RFC 3339 UTC (``...Z``); None and empty stay None.

    The common shape (``2023-01-16T23:32:19Z``) is returned as is, without parsing.
    """
    if value is None or value == "" or value == NULL_LITERAL:
        return None
    text = str(value)
    if len(text) == 20 and text[-1] == "Z" and text[10] == "T":
        return text
    if text.endswith("Z+0000"):
        text = text[:-5]
        if len(text) == 20:
            return text
    parsed = parse_datetime(text)
    return format_datetime(parsed)


def parse_datetime(text: str) -> datetime:
    """Parse ISO 8601 with ``Z``, ``+0000`` or ``+00:00`` offsets, or a bare date (midnight UTC).

    Raises ValueError with the offending text when it is not a datetime.
    """
    raw = text.strip()
    if raw.endswith("Z+0000"):
        raw = raw[:-5]
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    elif len(raw) > 5 and raw[-5] in "+-" and raw[-4:].isdigit() and raw[-3] != ":":
        raw = raw[:-2] + ":" + raw[-2:]
    try:
        if len(raw) == 10:
            parsed = datetime.combine(date.fromisoformat(raw), datetime.min.time())
        else:
            parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"not an ISO 8601 datetime: {text!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_datetime(moment: datetime) -> str:
    """An aware datetime -> ``YYYY-MM-DDTHH:MM:SSZ`` (with ``.ffffff`` only when it has microseconds)."""
    moment = moment.astimezone(timezone.utc)
    if moment.microsecond:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def to_integer(value: Any) -> Optional[int]:
    """``"12"``/``12`` -> 12; ``"12.0"`` -> 12; ``null``/empty -> None; a fraction raises ValueError."""
    if value is None or value == "" or value == NULL_LITERAL:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        number = float(value)
        if number.is_integer():
            return int(number)
        raise ValueError(f"not an integer: {value!r}") from None


def to_number(value: Any) -> Optional[float]:
    """``"1.5"`` -> 1.5; integral values stay ints (``"3"`` -> 3) so nothing gains a spurious ``.0``."""
    if value is None or value == "" or value == NULL_LITERAL:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value)
    try:
        return int(text)
    except ValueError:
        return float(text)


_TRUE = frozenset({"true", "1", "yes", "True", "TRUE"})
_FALSE = frozenset({"false", "0", "no", "False", "FALSE"})


def to_boolean(value: Any) -> Optional[bool]:
    """``true``/``false`` (lead exports) and ``1``/``0`` (program member exports) -> bool."""
    if value is None or value == "" or value == NULL_LITERAL:
        return None
    if isinstance(value, bool):
        return value
    text = str(value)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def to_string(value: Any) -> Optional[str]:
    """REST values to text: None stays None, booleans as ``true``/``false``, others via str()."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def to_date(value: Any) -> Optional[str]:
    """A date column (``YYYY-MM-DD`` as Marketo writes it): empty is None, as a destination's date type has
    no empty value; anything else as text."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


CONVERTERS: Dict[str, Callable[[Any], Any]] = {
    "integer": to_integer,
    "number": to_number,
    "boolean": to_boolean,
    "datetime": rfc3339,
    "date": to_date,
    "string": to_string,
}
