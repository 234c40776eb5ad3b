"""Marketo's activity data retention policy, applied relative to the emulator's clock.

Marketo Nation knowledge base, "Marketo Activities Data Retention Policy": Delete Lead is kept 14
days; Add to List, Change Score, Change Data Value, Visit Webpage, Click Link, Sync Lead to SFDC,
Sync Lead to Microsoft, Sync Lead Updates to SFDC, Update Opportunity, Request Campaign, Email
Delivered and Send Email 90 days; every other activity 25 months; New Lead is never removed.
(marketo-api.md §4.4 only says "most activities will be purged after some period of time".)

Nothing is materialised: at one instant each type has a cutoff date, and an activity is visible
while its `activityDate` is at or after its type's cutoff. A read first skips to the oldest cutoff
of the types it asks for, so old history costs nothing to page over.
"""
from __future__ import annotations

import calendar
from datetime import datetime

from .timefmt import from_ms, to_ms

DAY_MS = 86_400_000
NEVER = -(1 << 62)  # the cutoff of a type that is never removed
OTHER_MONTHS = 25
# Type ids of the policy's 14- and 90-day lists. Sync Lead to Microsoft and Sync Lead Updates to SFDC
# are not listed: their ids are not in this emulator's types (use retention_days for an instance with them).
DEFAULT_DAYS = {37: 14, 1: 90, 3: 90, 6: 90, 7: 90, 13: 90, 19: 90, 22: 90, 24: 90, 36: 90, 47: 90}
NEVER_REMOVED = frozenset({12})


def months_before(ms: int, months: int) -> int:
    """The same wall-clock instant `months` calendar months earlier (day clamped to the month's length)."""
    moment = from_ms(ms)
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return to_ms(datetime(year, month + 1, day, moment.hour, moment.minute, moment.second,
                          moment.microsecond, tzinfo=moment.tzinfo))


class Cutoffs:
    """The oldest `activityDate` each type still keeps, at one instant."""

    __slots__ = ("_by_type", "_other")

    def __init__(self, by_type: dict[int, int], other: int) -> None:
        self._by_type = by_type
        self._other = other

    def of(self, type_id: int) -> int:
        return self._by_type.get(type_id, self._other)

    def floor(self, type_ids) -> int:
        """The oldest date any of `type_ids` (None: every type) keeps: nothing earlier is visible."""
        if type_ids is None:
            return min([self._other, *self._by_type.values()])
        return min(self.of(type_id) for type_id in type_ids)


class RetentionPolicy:
    """Per-type retention; `overrides` maps a type id to days (0 or less: never removed)."""

    def __init__(self, enabled: bool, overrides: dict[int, int] | None = None) -> None:
        if overrides and not enabled:
            raise ValueError("retention_days needs activity_retention=True")
        self.enabled = enabled
        self.days = dict(DEFAULT_DAYS)
        self.days.update({int(type_id): int(days) for type_id, days in (overrides or {}).items()})
        self._never = (NEVER_REMOVED - set(self.days)) | {t for t, days in self.days.items() if days <= 0}

    def cutoffs(self, now_ms: int) -> Cutoffs | None:
        """The cutoffs at `now_ms`, or None when retention is off (everything is kept)."""
        if not self.enabled:
            return None
        by_type = {type_id: now_ms - days * DAY_MS for type_id, days in self.days.items() if days > 0}
        by_type.update({type_id: NEVER for type_id in self._never})
        return Cutoffs(by_type, months_before(now_ms, OTHER_MONTHS))


def parse_retention(items: list[str] | None) -> dict[int, int] | None:
    """CLI `--retention 1,6,7=90` (repeatable) -> {1: 90, 6: 90, 7: 90}."""
    if not items:
        return None
    out: dict[int, int] = {}
    for item in items:
        types, sep, days = item.partition("=")
        if not sep or not days.strip().lstrip("-").isdigit():
            raise ValueError(f"bad --retention {item!r}: use TYPE[,TYPE...]=DAYS")
        for type_id in types.split(","):
            if not type_id.strip().isdigit():
                raise ValueError(f"bad activity type id {type_id!r} in --retention {item!r}")
            out[int(type_id)] = int(days)
    return out
