"""Every knob of the emulator in one dataclass, with Marketo's real values as defaults."""
from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

DEFAULT_CLIENT_ID = "emulator-client-id"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"


@dataclass
class EmulatorOptions:
    """Options of one emulator instance. Defaults reproduce Marketo's documented limits."""

    seed: int = 42
    leads: int = 200
    activities: int = 2000
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    api_user: str = "api.user@emulator.example"  # `scope` of the token and `userId` in stats
    token_ttl: int = 3600
    # "immediate" | "polls:N" | "seconds:S" | "rows:R" (R rows per second of processing) | "fixed:S,rows:R"
    # (S seconds to start processing plus records / R seconds), all on the emulator clock
    job_progression: str = "immediate"
    queue_latency_seconds: float = 0.0  # a job stays Queued at least this long, even with a slot free
    status_refresh_seconds: float = 60.0  # Marketo refreshes job status at most once a minute
    daily_call_quota: int = 50_000
    daily_export_mb: float = 500.0
    updated_at_filter: bool = True  # False answers 1035 like a subscription without "Corona"
    # Marketo documents no maximum for a bulk activity type list; N > 0 refuses longer lists with 1003
    # (a what-if for the connector's type-list split; the real code and message are unconfirmed)
    max_bulk_activity_types: int = 0
    # Whether a bulk export's endAt includes its own instant is undocumented; the default reads both
    # ends as inclusive, True excludes the end (a what-if: a row at endAt is then in the next window only)
    bulk_end_exclusive: bool = False
    program_member_updated_at_filter: bool = True  # False: 1035 for the bulk program member updatedAt filter
    program_member_query_limit: int = 100_000  # members.json with a filter other than leadId: 1003 above it
    program_member_export_booleans: str = "digits"  # bulk program member booleans: "digits" (1/0) or "words"
    # Each program's member rate (2-40 % of the base leads, drawn per program) times this, at least 0.1 %:
    # 0.1 gives 0.2-4 %, many programs of unevenly few members each
    program_member_density: float = 1.0
    # N > 0: activities.json / leadchanges.json with a listId of a list of N or more leads answer 1003
    # (Marketo's rule from late 2026 with N = 10,000; off by default, as today)
    activity_list_limit: int = 0
    opportunities: int = 40  # opportunities (of the companies the leads name), with roles naming leads
    crm_sync: bool = False  # True: a native CRM sync; opportunity role endpoints answer 1018
    custom_object_types: int = 3  # how many of car_c, subscription_c, purchase_c exist (0: none)
    hostile: bool = False
    clock: Any = None  # RealClock when None
    anchor: datetime | None = None  # generated history ends here; default: the clock's now at start
    history_days: int = 60  # activities are spread over this many days before the anchor (leads 14 more)
    # Generated history begins here instead (leads there, activities 14 days later); history_days is then unused
    data_begins: datetime | str | None = None
    history_shape: str = "uniform"  # "growing": the rate of new leads and activities rises linearly with time
    rate_limit_calls: int = 100  # 0 disables
    rate_limit_window_seconds: float = 20.0
    max_concurrent_calls: int = 10  # 0 disables
    max_processing_jobs: int = 2
    max_queued_jobs: int = 10  # Queued + Processing, instance-wide
    file_retention_days: int = 7
    job_list_days: int = 7
    deleted_leads_retention_days: int = 14
    # Marketo's activity retention policy (retention.py) relative to the clock; off: the whole history stays
    activity_retention: bool = False
    retention_days: dict[int, int] | None = None  # type id -> days, overriding the policy (needs activity_retention)
    activity_page_scan: int = 3000  # candidates examined per activities.json page (short pages)
    asset_counts: dict[str, int] | None = None
    export_dir: str | None = None  # temp dir by default, removed on stop
    host: str = "127.0.0.1"
    port: int = 0
    gzip: bool = True
    accept_query_token: bool = True  # legacy ?access_token=

    def with_changes(self, **changes: Any) -> "EmulatorOptions":
        return replace(self, **changes)

    def public_dict(self) -> dict[str, Any]:
        """JSON-friendly view (no clock object, no secret)."""
        out = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name in ("clock", "client_secret"):
                continue
            out[item.name] = value.isoformat() if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True)
class Progression:
    """Parsed job progression policy."""

    kind: str  # immediate | polls | seconds | rows
    amount: float = 0.0  # N polls, S seconds or R rows per second
    fixed: float = 0.0  # rows only: seconds every job takes before its rows count (Marketo's start-up cost)

    @classmethod
    def parse(cls, text: str) -> "Progression":
        text = (text or "immediate").strip().lower().replace(" ", "")
        if text == "immediate":
            return cls("immediate")
        usage = f"bad job progression {text!r}: use immediate, polls:N, seconds:S, rows:R or fixed:S,rows:R"
        parts: dict[str, float] = {}
        for part in text.split(","):
            kind, _, amount = part.partition(":")
            try:
                parts[kind] = float(amount)
            except ValueError:
                raise ValueError(usage) from None
        if any(value < 0 for value in parts.values()) or parts.get("rows", 1) == 0:
            raise ValueError(usage)
        if set(parts) == {"fixed", "rows"}:
            return cls("rows", parts["rows"], parts["fixed"])
        if len(parts) != 1 or next(iter(parts)) not in ("polls", "seconds", "rows"):
            raise ValueError(usage)
        kind, value = next(iter(parts.items()))
        return cls(kind, value)


DEFAULT_ASSET_COUNTS = {
    "programs": 45,
    "emails": 230,  # more than one 200-item page
    "landingPages": 70,
    "segmentation": 6,
    "smartCampaigns": 130,
    "staticLists": 35,
    "smartLists": 25,
    "forms": 40,  # ids 1000-1039: the Webform IDs of the Fill Out Form activities
    "emailTemplates": 25,  # ids 1001+: the emails' template ids 1001, 1002, 1005 among them
    "snippets": 30,
    "channels": 10,  # the 7 the programs name are always there
    "tagTypes": 4,
    "folders": 40,  # user folders, besides the system folders, the five seeded ones and the programs
}


def asset_counts(options: EmulatorOptions) -> dict[str, int]:
    counts = dict(DEFAULT_ASSET_COUNTS)
    counts.update(options.asset_counts or {})
    return counts


def default_fields() -> dict[str, Any]:
    return {item.name: item.default for item in fields(EmulatorOptions) if not callable(item.default)}


