"""The user's config, validated once into typed settings; every mistake gets a message that says what to fix.

Marketo facts used (marketo-api.md): the REST base URL is ``https://<munchkin id>.mktorest.com``
(Munchkin ids look like ``123-ABC-456``), not a ``*.marketo.com`` host (those serve the web UI); bulk export windows are at most 31 days; the rate limit
is 100 calls / 20 s and 10 concurrent calls.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from source_marketo.components.errors import ConfigError
from source_marketo.components.types import parse_datetime

DEFAULT_ACTIVITY_TYPE_IDS = (12, 13, 32, 37)
MUNCHKIN_ID = re.compile(r"^\d{3}-[A-Za-z]{3}-\d{3}$")
FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


@dataclass(frozen=True)
class MarketoSettings:
    base_url: str  # scheme://host[:port], no trailing slash
    client_id: str
    client_secret: str
    start_date: datetime
    activity_type_ids: Optional[Tuple[int, ...]]  # None means every type of the instance
    custom_lead_fields: Tuple[str, ...]
    daily_api_call_limit: Optional[int]
    daily_bulk_export_limit_mb: int
    export_window: timedelta
    lookback: timedelta
    status_poll_interval: float
    max_calls_per_20_seconds: int
    max_concurrent_calls: int
    download_timeout: float

    @property
    def is_loopback(self) -> bool:
        return _is_loopback(urlsplit(self.base_url).hostname or "")


def parse_settings(config: Mapping[str, Any], now: datetime) -> MarketoSettings:
    """Validate ``config`` (as the spec describes it); raise ConfigError on the first problem."""
    return MarketoSettings(
        base_url=parse_base_url(_required_text(config, "munchkin_id", "Munchkin account ID or REST base URL")),
        client_id=_required_text(config, "client_id", "Client ID"),
        client_secret=_required_text(config, "client_secret", "Client secret"),
        start_date=parse_start_date(config.get("start_date"), now),
        activity_type_ids=parse_activity_type_ids(config.get("activity_type_ids", ",".join(map(str, DEFAULT_ACTIVITY_TYPE_IDS)))),
        custom_lead_fields=parse_custom_lead_fields(config.get("custom_lead_fields") or []),
        daily_api_call_limit=_optional_int(config, "daily_api_call_limit", "Daily API call limit", 1, 10_000_000),
        daily_bulk_export_limit_mb=_optional_int(config, "daily_bulk_export_limit_mb", "Daily bulk export limit (MB)", 1, 1_000_000) or 500,
        export_window=timedelta(days=_optional_int(config, "export_window_days", "Export window (days)", 1, 31) or 30),
        lookback=timedelta(minutes=_int_or_default(config, "lookback_minutes", "Lookback (minutes)", 0, 10080, 60)),
        status_poll_interval=float(_int_or_default(config, "status_poll_interval_seconds", "Export status poll interval (seconds)", 0, 3600, 60)),
        max_calls_per_20_seconds=_int_or_default(config, "max_calls_per_20_seconds", "Rate limit (calls per 20 seconds)", 1, 100, 100),
        max_concurrent_calls=_int_or_default(config, "max_concurrent_calls", "Concurrent calls", 1, 10, 10),
        download_timeout=float(_int_or_default(config, "download_timeout_seconds", "Download stall timeout (seconds)", 1, 600, 60)),
    )


def parse_base_url(value: str) -> str:
    """A Munchkin id (``123-ABC-456``) or a REST base URL -> ``https://123-ABC-456.mktorest.com``.

    Plain http is refused except for loopback hosts (the bundled emulator); a trailing ``/rest``
    or ``/identity`` (copied from Marketo's Web Services page) is dropped.
    """
    text = value.strip()
    if MUNCHKIN_ID.match(text):
        return f"https://{text.upper()}.mktorest.com"
    _refuse_ui_host(text)
    if "://" not in text:
        raise ConfigError(
            f"'{text}' is neither a Munchkin account ID (like 123-ABC-456, under Admin > Integration > Munchkin) "
            "nor a REST base URL (like https://123-ABC-456.mktorest.com, under Admin > Integration > Web Services)."
        )
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host or parts.query or parts.fragment:
        raise ConfigError(f"'{text}' is not a valid REST base URL; it should look like https://123-ABC-456.mktorest.com.")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigError(f"The REST base URL must use https (got '{text}'); plain http is only accepted for a local emulator.")
    path = parts.path.rstrip("/")
    for suffix in ("/rest", "/identity"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    if path:
        raise ConfigError(f"The REST base URL '{text}' has an unexpected path '{parts.path}'; use only https://<host>.")
    return f"{parts.scheme}://{parts.netloc}"


def _refuse_ui_host(text: str) -> None:
    """``https://app-ab12.marketo.com`` (the UI in the browser's address bar) is a common paste; it is no REST API."""
    host = (urlsplit(text).hostname if "://" in text else text.split("/", 1)[0].split(":", 1)[0]) or ""
    host = host.lower().rstrip(".")
    if host != "marketo.com" and not host.endswith(".marketo.com"):
        return
    subdomain = host[: -len(".marketo.com")] if host.endswith(".marketo.com") else ""
    use = f"https://{subdomain.upper()}.mktorest.com" if MUNCHKIN_ID.match(subdomain) else "https://<munchkin id>.mktorest.com"
    raise ConfigError(
        f"'{text}' is the address of Marketo's web interface, not of its REST API. Use {use} (Admin > Integration > "
        "Web Services, REST API endpoint), or the Munchkin account ID alone (Admin > Integration > Munchkin, like 123-ABC-456)."
    )


def parse_start_date(value: Any, now: datetime) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("Start date is missing; give a UTC date like 2024-01-01 or 2024-01-01T00:00:00Z.")
    try:
        moment = parse_datetime(value)
    except ValueError:
        raise ConfigError(f"Start date '{value}' is not a date; use a UTC date like 2024-01-01 or 2024-01-01T00:00:00Z.") from None
    if moment > now:
        raise ConfigError(f"Start date {value} is in the future; nothing would be replicated. Use a date in the past.")
    return moment


def parse_activity_type_ids(value: Any) -> Optional[Tuple[int, ...]]:
    """``"12,13"`` or ``[12, 13]`` -> (12, 13); ``"all"`` -> None. Whether the instance knows them is checked against it."""
    if isinstance(value, str) and value.strip().lower() == "all":
        return None
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else None
    if items is None:
        raise ConfigError("Lead activity type IDs must be a comma-separated list of numbers, like 12,13,32,37, or 'all'.")
    ids = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not text.isdigit() or int(text) <= 0:
            raise ConfigError(f"Lead activity type ID '{text}' is not a positive number; use a list like 12,13,32,37, or 'all'.")
        ids.append(int(text))
    if not ids:
        raise ConfigError("Lead activity type IDs is empty; use a list like 12,13,32,37, or 'all'.")
    return tuple(sorted(set(ids)))


def parse_custom_lead_fields(value: Any) -> Tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list) and not isinstance(items, tuple):
        raise ConfigError("Custom lead fields must be a list of REST API field names, like leadScore or industry__c.")
    names = []
    for item in items:
        name = str(item).strip()
        if not FIELD_NAME.match(name):
            raise ConfigError(f"Custom lead field '{item}' is not a REST API field name (letters, digits and underscores, like industry__c).")
        if name not in names:
            names.append(name)
    return tuple(names)


def _required_text(config: Mapping[str, Any], key: str, title: str) -> str:
    value = config.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{title} is missing.")
    return value.strip()


def _optional_int(config: Mapping[str, Any], key: str, title: str, low: int, high: int) -> Optional[int]:
    value = config.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise ConfigError(f"{title} must be a whole number between {low} and {high} (got {value!r}).")
    number = int(value)
    if not low <= number <= high:
        raise ConfigError(f"{title} must be between {low} and {high} (got {number}).")
    return number


def _int_or_default(config: Mapping[str, Any], key: str, title: str, low: int, high: int, default: int) -> int:
    value = _optional_int(config, key, title, low, high)
    return default if value is None else value


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
