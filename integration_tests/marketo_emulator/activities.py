"""The activity log: generated base history merged with activities appended by ticks.

Both streams are ordered by (activityDate, id); readers walk them together from a cursor. Marketo
applies lead changes to history: activities of a deleted lead are gone (its Delete Lead activity
stays), and a merged loser's activities now belong to the winner. With `activity_retention`,
activities older than their type's retention (`retention.py`) are gone too. Reading pages scans a bounded
number of candidates, so a page can be short, or even empty, while `moreResult` is true — the
documented behaviour clients must cope with (marketo-api.md §4.4).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Callable

from .activity_types import DELETE_LEAD
from .activitygen import ACTIVITY_ID_BASE, ActivityFactory
from .emailfunnel import EMAIL_TYPES
from .leads import LeadView
from .retention import Cutoffs, RetentionPolicy

END = (1 << 62, 1 << 62)


@dataclass
class Query:
    """Filters of one activities read."""

    type_ids: frozenset[int] | None = None
    lead_ids: frozenset[int] | None = None
    list_id: int | None = None
    asset_ids: frozenset[int] | None = None


class ActivityView:
    """Read access to activities as of one state (the live store or an export snapshot)."""

    def __init__(self, factory: ActivityFactory, keys: list, records: list, leads: LeadView,
                 retention: RetentionPolicy, as_of: Callable[[], int]) -> None:
        self.factory = factory
        self._keys = keys  # sorted (date_ms, id) of appended activities
        self._records = records  # REST dicts, parallel to _keys
        self.leads = leads
        self.retention = retention
        self._as_of = as_of  # the instant retention is measured from: now, or when an export started

    def _candidates(self, after: tuple[int, int]):
        """(key, base index or None, digest or record) for every activity with key > after."""
        factory = self.factory
        index = factory.first_index_at_or_after(after[0])
        base_key = None
        while index < factory.count:
            digest = factory.digest(index)
            base_key = (factory.date_ms(index, digest), ACTIVITY_ID_BASE + index)
            if base_key > after:
                break
            index += 1
        extra = bisect.bisect_right(self._keys, after)
        while True:
            extra_key = self._keys[extra] if extra < len(self._keys) else END
            if index < factory.count and base_key <= extra_key:
                yield base_key, index, digest
                index += 1
                if index < factory.count:
                    digest = factory.digest(index)
                    base_key = (factory.date_ms(index, digest), ACTIVITY_ID_BASE + index)
            elif extra_key != END:
                yield extra_key, None, self._records[extra]
                extra += 1
            else:
                return

    def _materialize(self, key, index, payload, query: Query, cutoffs: Cutoffs | None) -> dict | None:
        if index is not None:
            type_id = self._type_if_wanted(index, payload, query.type_ids)
            if type_id is None or (cutoffs is not None and key[0] < cutoffs.of(type_id)):
                return None
            record = self.factory.record(index, payload)
        else:
            type_id = payload["activityTypeId"]
            if query.type_ids is not None and type_id not in query.type_ids:
                return None
            if cutoffs is not None and key[0] < cutoffs.of(type_id):
                return None
            record = dict(payload)
        lead_id = record["leadId"]
        if record["activityTypeId"] != DELETE_LEAD:
            if lead_id in self.leads.state.deleted:
                return None
            if lead_id in self.leads.state.merged:
                lead_id = record["leadId"] = self.leads.resolve(lead_id)
                if lead_id in self.leads.state.deleted:
                    return None
        if query.lead_ids is not None and lead_id not in query.lead_ids:
            return None
        if query.list_id is not None and not self.leads.in_static_list(query.list_id, lead_id):
            return None
        if query.asset_ids is not None and record.get("primaryAttributeValueId") not in query.asset_ids:
            return None
        return record

    def _type_if_wanted(self, index: int, digest: bytes, type_ids: frozenset[int] | None) -> int | None:
        """The type of base activity `index`, or None when the query does not want it."""
        factory = self.factory
        type_id = factory.base_type(digest)
        if type_id in EMAIL_TYPES:
            if type_ids is not None and type_ids.isdisjoint(EMAIL_TYPES):  # no need to plan the mailing
                return None
            type_id = factory.email_role(index).type_id
        return type_id if type_ids is None or type_id in type_ids else None

    def _retained(self, after: tuple[int, int], query: Query) -> tuple[tuple[int, int], Cutoffs | None]:
        """Today's cutoffs, and the cursor moved past what no asked-for type keeps any more."""
        cutoffs = self.retention.cutoffs(self._as_of())
        if cutoffs is not None:
            after = max(after, (cutoffs.floor(query.type_ids), -1))
        return after, cutoffs

    def page(self, after: tuple[int, int], query: Query, batch_size: int, scan_limit: int):
        """Up to batch_size matches after the cursor, scanning at most scan_limit candidates.

        Returns (records, cursor of the last scanned candidate, more).
        """
        results: list[dict] = []
        after, cutoffs = self._retained(after, query)
        cursor = after
        scanned = 0
        for key, index, payload in self._candidates(after):
            if scanned >= scan_limit or len(results) >= batch_size:
                return results, cursor, True
            scanned += 1
            cursor = key
            record = self._materialize(key, index, payload, query, cutoffs)
            if record is not None:
                results.append(record)
        return results, cursor, False

    def between(self, start_ms: int, end_ms: int, query: Query):
        """Every visible activity with start <= activityDate <= end, in order."""
        after, cutoffs = self._retained((start_ms, -1), query)
        for key, index, payload in self._candidates(after):
            if key[0] > end_ms:
                return
            record = self._materialize(key, index, payload, query, cutoffs)
            if record is not None:
                yield record


class ActivityStore(ActivityView):
    """The live activity log: appends from ticks and history events."""

    def __init__(self, factory: ActivityFactory, leads: LeadView, retention: RetentionPolicy,
                 clock_ms: Callable[[], int]) -> None:
        super().__init__(factory, [], [], leads, retention, clock_ms)
        self._next_id = ACTIVITY_ID_BASE + factory.count + 1000

    def snapshot(self, leads: LeadView) -> ActivityView:
        """The log as an export that starts now sees it (retention measured from now, for good)."""
        as_of = self._as_of()
        return ActivityView(self.factory, list(self._keys), list(self._records), leads, self.retention, lambda: as_of)

    def add(self, date_ms: int, record: dict) -> dict:
        """Append an activity (ids keep growing; dates may be in the past for seeded history)."""
        activity_id = self._next_id
        self._next_id += 1
        full = {"id": activity_id, "marketoGUID": str(activity_id)}
        full.update(record)
        key = (date_ms, activity_id)
        position = bisect.bisect_right(self._keys, key)
        self._keys.insert(position, key)
        self._records.insert(position, full)
        return full

    @property
    def appended(self) -> list[dict]:
        return list(self._records)
