"""Where a lane's data begins, and how dense it is there, from a few REST calls before any export.

Activities: ``activities/pagingtoken.json?sinceDatetime=`` gives a position in the activity log, and
``activities.json`` returns the activities of up to 10 types after it, oldest first (marketo-api.md
4.3, 4.4). One token and one page per 10 types say where the configured types' activities begin
after the start date. Marketo keeps most activity types 25 months and its high-volume ones (web
visits, email sends and deliveries, data value and score changes, list adds) 90 days (its data
retention policy), so for a start date years back the data begins long after it.

Leads: a lead export by ``updatedAt`` finds a lead at its latest update, which is never before its
creation; a lead created before the start date may have been updated at any time since. So the
leads lane may start late only when no lead was created before that. Marketo never removes the
New Lead activity (retention policy), so the first New Lead activity after a date before Marketo
existed is the creation of the oldest lead there is; and lead ids are assigned in creation order
(Marketo's documentation does not say so: unconfirmed), so the lowest ids' ``createdAt`` says the
same without the activity log. The earlier of the two is where leads begin.

Pages can be short or even empty while ``moreResult`` is true; a few are followed. A probe that
cannot tell says so, and the lane then starts at the start date: evidence may skip, a guess never.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

import orjson

from source_marketo.components import metadata
from source_marketo.components.metadata import DELETE_LEAD, NEW_LEAD
from source_marketo.components.runtime import MarketoRuntime
from source_marketo.components.types import format_datetime, parse_datetime

BEFORE_MARKETO = datetime(2006, 1, 1, tzinfo=timezone.utc)  # Marketo was founded in 2006: no lead is older
MAX_PAGES = 5  # per type group: empty pages with moreResult beyond this say "cannot tell"
TYPES_PER_CALL = 10  # activities.json takes at most 10 activityTypeIds
LOWEST_IDS = 300  # leads.json takes at most 300 filter values
MARGIN = timedelta(minutes=1)  # a lane starts a little before the first record found (windows include their start)
NEWEST_SPAN = timedelta(days=1)  # the density of the newest day is sampled too: data grows over the years
PAGE = 300


@dataclass(frozen=True)
class Survey:
    """What the probes found: where the data begins after the probe's start, and its density there."""

    begins: Optional[datetime]  # the first record found; None: nothing at all (when conclusive)
    conclusive: bool  # False: the probes could not tell, so nothing may be skipped
    rows_per_day: Optional[float]  # the denser of the data's beginning and its newest day: what windows are sized by
    bytes_per_row: Optional[float]
    calls: int
    source: str  # what the evidence is, in words for the backfill plan
    mean_rows_per_day: Optional[float] = None  # between the beginning and the newest day: what the plan's total is
    total_rows: Optional[int] = None  # leads: how many there are in all (from their ids), when all are to be exported
    id_range: Optional[Tuple[int, int]] = None  # leads: the lowest id found and the newest new lead's (sample_updates)
    lowest_id: Optional[int] = None  # leads: the lowest id found (with no new lead in the newest day, no id_range)

    def start_for(self, since: datetime, now: datetime) -> datetime:
        """Where the lane's first window begins: ``since`` unless the evidence shows nothing before later."""
        if not self.conclusive:
            return since
        if self.begins is None:
            return max(since, now - NEWEST_SPAN)  # nothing at all: only the newest day is exported
        return max(since, self.begins - MARGIN)

    @property
    def bytes_per_day(self) -> Optional[float]:
        if self.rows_per_day is None or self.bytes_per_row is None:
            return None
        return self.rows_per_day * self.bytes_per_row

    @property
    def mean_bytes_per_day(self) -> Optional[float]:
        rows = self.mean_rows_per_day if self.mean_rows_per_day is not None else self.rows_per_day
        return None if rows is None or self.bytes_per_row is None else rows * self.bytes_per_row


def survey_activities(runtime: MarketoRuntime, since: datetime, type_ids: Optional[Sequence[int]], with_attributes: bool) -> Survey:
    """The first activity of the configured types after ``since`` (None: every type of the instance), and
    how dense they are there and over the newest day (data grows: the denser of the two sizes windows)."""
    types = [t for t in (type_ids if type_ids is not None else [t.id for t in metadata.activity_types(runtime)]) if t != DELETE_LEAD]
    groups = [types[at:at + TYPES_PER_CALL] for at in range(0, len(types), TYPES_PER_CALL)]
    now = runtime.client.server_now()
    first = _ActivityProbe(runtime, since)
    firsts, density, sizes, conclusive = [], 0.0, [], True
    for group in groups:
        page, known = first.first_page(group)
        conclusive = conclusive and known
        if page:
            firsts.append(min(_activity_date(item) for item in page))
            density += _density(page, first.more, now)
            sizes.extend(activity_row_bytes(item, with_attributes) for item in page)
    begins = min(firsts, default=None)
    newest, calls = _newest_density(runtime, groups, now) if begins is not None and now - begins > NEWEST_SPAN * 2 else (density, 0)
    return Survey(begins, conclusive, max(density, newest) if firsts else None, _mean(sizes), first.calls + calls,
                  f"the first activity of the configured types after {format_datetime(since)}", (density + newest) / 2 if firsts else None)


def _newest_density(runtime: MarketoRuntime, groups: List[List[int]], now: datetime) -> Tuple[float, int]:
    """Rows a day over the newest day (one token and a page per group of types), and the calls it took."""
    density, calls, _ = _newest(runtime, groups, now)
    return density, calls


def _newest(runtime: MarketoRuntime, groups: List[List[int]], now: datetime) -> Tuple[float, int, List[Mapping[str, Any]]]:
    newest = _ActivityProbe(runtime, now - NEWEST_SPAN)
    pages = [newest.first_page(group)[0] for group in groups]
    return sum(_density(page, newest.more, now) for page in pages if page), newest.calls, [item for page in pages for item in page]


def survey_leads(runtime: MarketoRuntime, since: datetime, fields: Sequence[str]) -> Survey:
    """The oldest lead's creation, by the first New Lead activity and by the lowest lead ids."""
    probe = _ActivityProbe(runtime, min(since, BEFORE_MARKETO))
    page, known = probe.first_page([NEW_LEAD])
    reply = runtime.client.get("/rest/v1/leads.json", params={
        "filterType": "id", "filterValues": ",".join(str(i) for i in range(1, LOWEST_IDS + 1)),
        "fields": ",".join(dict.fromkeys(["id", "createdAt", *fields])), "batchSize": PAGE})
    leads = [item for item in (reply.envelope.result if reply.envelope else []) if isinstance(item, Mapping)]
    created = [parse_datetime(str(item["createdAt"])) for item in leads if item.get("createdAt")]
    firsts = ([min(_activity_date(item) for item in page)] if page else []) + ([min(created)] if created else [])
    now = runtime.client.server_now()
    beginning = _density(page, probe.more, now) if page else None
    begins = min(firsts, default=None)
    newest, calls, recent = _newest(runtime, [[NEW_LEAD]], now) if begins is not None and now - begins > NEWEST_SPAN * 2 else (beginning or 0.0, 0, page)
    # Leads are exported at their latest update, most of them recent: the new leads of the newest day are
    # a floor for how many a day the newest windows hold, the beginning's for the oldest.
    rows = None if beginning is None else max(beginning, newest)
    mean = None if beginning is None else (beginning + newest) / 2
    # Every lead there is, when the whole history is after ``since``: ids are assigned in creation order
    # (unconfirmed), so the newest new lead's id less the lowest id found counts them (deleted ones too:
    # an estimate on the high side, as a plan should be).
    ids = [item.get("leadId") for item in recent if isinstance(item.get("leadId"), int)]
    lowest = [item["id"] for item in leads if isinstance(item.get("id"), int)] + [item["leadId"] for item in page if isinstance(item.get("leadId"), int)]
    id_range = (min(lowest), max(ids)) if ids and lowest and max(ids) >= min(lowest) else None
    total = id_range[1] - id_range[0] + 1 if id_range and begins is not None and begins >= since else None
    return Survey(begins, known or bool(created), rows, _mean([lead_row_bytes(item, fields) for item in leads]), probe.calls + 1 + calls,
                  "the oldest lead's creation (New Lead activities, lowest lead ids)", mean, total, id_range, min(lowest) if lowest else None)


def highest_id(runtime: MarketoRuntime, low: int) -> int:
    """The highest of 300 ids spaced 7.4% apart from ``low`` up to 2^31 that is a lead (one call): when
    no lead was created in the newest day, a floor within about 7% of the highest id there is (ids are
    assigned in creation order, unconfirmed; sample_updates chases the rest)."""
    low = max(low, 1)
    top = 2**31 - 1  # Marketo's ids are 32-bit integers
    ladder = sorted({min(int(low * (top / low) ** (i / (LOWEST_IDS - 1))), top) for i in range(LOWEST_IDS)})
    reply = runtime.client.get("/rest/v1/leads.json", params={"filterType": "id", "filterValues": ",".join(map(str, ladder)), "fields": "id", "batchSize": PAGE})
    found = [item["id"] for item in (reply.envelope.result if reply.envelope else []) if isinstance(item, Mapping) and isinstance(item.get("id"), int)]
    return max(found, default=low)


SAMPLE = 900  # leads a sample looks up by id: 3 calls of 300
MAX_BEYOND = 5  # calls past the highest id known, while they still find leads (the survey saw only 300 new leads of the newest day)


def sample_updates(runtime: MarketoRuntime, id_range: Tuple[int, int]) -> Tuple[List[datetime], float, int, int]:
    """When leads were last updated, for ids spread evenly over ``id_range`` and beyond its top while
    leads are found there: (their ``updatedAt``, the ids each stands for, the highest id found, calls).

    A lead export by ``updatedAt`` holds each lead at its latest update, so this is the shape of what
    the windows will hold (a mass update shows as a spike), where the New Lead activities the survey
    reads only show when leads were created. Every lead id looked up is a fair draw: a deleted or merged
    id finds nothing, and is not exported either."""
    low, high = id_range
    step = max((high - low + 1) / SAMPLE, 1.0)
    updated: List[datetime] = []
    calls, found_high, at = 0, high, 0
    while True:
        ids = [low + int(round((at + i) * step)) for i in range(LOWEST_IDS)]
        beyond = ids[0] > high
        if beyond and calls >= SAMPLE // LOWEST_IDS + MAX_BEYOND:
            break
        reply = runtime.client.get("/rest/v1/leads.json", params={
            "filterType": "id", "filterValues": ",".join(map(str, ids)), "fields": "id,updatedAt", "batchSize": PAGE})
        calls += 1
        leads = [item for item in (reply.envelope.result if reply.envelope else []) if isinstance(item, Mapping)]
        for item in leads:
            if isinstance(item.get("id"), int):
                found_high = max(found_high, item["id"])
            try:
                updated.append(parse_datetime(str(item["updatedAt"])))
            except (KeyError, ValueError):
                continue  # no usable time: this lead does not shape the windows (its ids still count in the step)
        at += LOWEST_IDS
        if ids[-1] >= high and not any(isinstance(item.get("id"), int) and item["id"] > high for item in leads):
            break  # nothing past the known top in this call: no newer ids to chase
    return updated, step, found_high, calls


class _ActivityProbe:
    """One paging token for a date, and the first non-empty page of ``activities.json`` per type group."""

    def __init__(self, runtime: MarketoRuntime, since: datetime) -> None:
        self.client = runtime.client
        self.since = since
        self.calls = 0
        self.more = False  # whether Marketo had more after the last page read
        self._token: Optional[str] = None

    def first_page(self, type_ids: Iterable[int]) -> Tuple[List[Mapping[str, Any]], bool]:
        """(activities of the first non-empty page, conclusive): an empty result is conclusive only
        when Marketo said there is no more."""
        token = self._start_token()
        for _ in range(MAX_PAGES):
            if not token:
                return [], False
            envelope = self.client.get("/rest/v1/activities.json", params={
                "activityTypeIds": ",".join(map(str, type_ids)), "nextPageToken": token, "batchSize": PAGE}).envelope
            self.calls += 1
            page = [item for item in envelope.result if isinstance(item, Mapping) and item.get("activityDate")]
            self.more = bool(envelope.more_result)
            if page or not self.more:
                return page, True
            token = envelope.next_page_token
        return [], False

    def _start_token(self) -> Optional[str]:
        if self._token is None:
            reply = self.client.get("/rest/v1/activities/pagingtoken.json", params={"sinceDatetime": format_datetime(self.since)})
            self.calls += 1
            self._token = reply.envelope.next_page_token if reply.envelope else None
        return self._token


def _density(page: List[Mapping[str, Any]], more: bool, now: datetime) -> float:
    """Rows a day near the data's beginning: a full page over its own span, or the whole of a last page."""
    dates = sorted(_activity_date(item) for item in page)
    until = dates[-1] if more else now
    return len(dates) / max((until - dates[0]).total_seconds() / 86400, 1 / 24)


def activity_row_bytes(item: Mapping[str, Any], with_attributes: bool) -> float:
    """The size of an activity's row in a bulk export CSV (marketo-api.md 7.3), from its REST shape."""
    values = [item.get("marketoGUID") or item.get("id"), item.get("leadId"), item.get("activityDate"), item.get("activityTypeId"),
              item.get("campaignId"), item.get("primaryAttributeValueId"), item.get("primaryAttributeValue")]
    size = sum(len(str(value)) if value is not None else 4 for value in values) + len(values)
    if with_attributes:
        attributes = {str(a.get("name")): a.get("value") for a in item.get("attributes") or [] if isinstance(a, Mapping)}
        size += int(len(orjson.dumps(attributes)) * 1.2) + 2  # quoted, with its quotes doubled
    return float(size)


def lead_row_bytes(item: Mapping[str, Any], fields: Sequence[str]) -> float:
    return float(sum(len(str(item.get(name))) if item.get(name) is not None else 4 for name in fields) + len(fields))


def _activity_date(item: Mapping[str, Any]) -> datetime:
    return parse_datetime(str(item["activityDate"]))


def _mean(values: List[float]) -> Optional[float]:
    return sum(values) / len(values) if values else None
