"""Deleted and merged leads, read from the activity log over REST.

Marketo keeps no row for a deleted lead or for the losing side of a merge. What remains is an
activity: Delete Lead (37) in ``activities/deletedleads.json`` (the deleted lead's id is the
``primaryAttributeValueId``; entries older than 14 days may be pruned) and Merge Leads (32) on the
winning lead in ``activities.json``, naming the merged-away ids in an attribute (marketo-api.md
4.3, 4.4). Both are paged with a date-based paging token; pages may be short or empty while
``moreResult`` is true, so the token is followed until Marketo says there is no more.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Dict, Iterator, List, Mapping, Optional, Set

from source_marketo.components.runtime import MarketoRuntime
from source_marketo.components.types import format_datetime, rfc3339, to_integer

MERGE_LEADS = 32
MERGED_ID_ATTRIBUTES = ("merge ids", "merged ids", "merged lead ids", "merged lead id", "merged id", "losing lead id", "lead id")
_NUMBERS = re.compile(r"\d+")


def activity_pages(runtime: MarketoRuntime, path: str, since: datetime, params: Optional[Mapping[str, Any]] = None) -> Iterator[List[Mapping[str, Any]]]:
    """Pages of a date-token paged activity endpoint, from ``since`` to now. The first token is asked once a
    run per ``since``: pagingtoken.json is told only the date, never the endpoint, so its token serves each."""
    client = runtime.client
    token = runtime.cached_get("/rest/v1/activities/pagingtoken.json", {"sinceDatetime": format_datetime(since)}).envelope.next_page_token
    seen: Set[str] = set()
    while token and token not in seen:
        seen.add(token)
        envelope = client.get(path, params={**(params or {}), "nextPageToken": token, "batchSize": 300}).envelope
        yield [item for item in envelope.result if isinstance(item, Mapping)]
        if not envelope.more_result:
            return
        token = envelope.next_page_token


def deleted_leads(runtime: MarketoRuntime, since: datetime) -> Iterator[Dict[str, Any]]:
    """Delete Lead activities: ``{lead_id, deleted_at, activity}``. ``lead_id`` is the deleted lead: the
    activity's primary attribute, which Marketo documents as the deleted lead's id (marketo-api.md 4.4);
    its ``leadId`` is the same lead in every reply seen, and is the fallback."""
    for page in activity_pages(runtime, "/rest/v1/activities/deletedleads.json", since):
        for item in page:
            lead_id = to_integer(item.get("primaryAttributeValueId") or item.get("leadId"))
            if lead_id is not None:
                yield {"lead_id": lead_id, "deleted_at": rfc3339(item.get("activityDate")), "activity": item}


def merged_leads(runtime: MarketoRuntime, since: datetime) -> Iterator[Dict[str, Any]]:
    """Merge Leads activities: one ``{lead_id, deleted_at, winner_id}`` per merged-away lead."""
    for page in activity_pages(runtime, "/rest/v1/activities.json", since, {"activityTypeIds": MERGE_LEADS}):
        for item in page:
            winner = to_integer(item.get("leadId"))
            for loser in merged_ids(item):
                if loser != winner:
                    yield {"lead_id": loser, "deleted_at": rfc3339(item.get("activityDate")), "winner_id": winner}


def merged_ids(activity: Mapping[str, Any]) -> List[int]:
    """The merged-away lead ids of a Merge Leads activity: from its "Merge IDs"-like attribute."""
    attributes = {str(a.get("name", "")).strip().lower(): a.get("value") for a in activity.get("attributes") or [] if isinstance(a, Mapping)}
    for name in MERGED_ID_ATTRIBUTES:
        if name in attributes and attributes[name] not in (None, ""):
            value = attributes[name]
            values = value if isinstance(value, list) else _NUMBERS.findall(str(value))
            return [int(v) for v in values]
    return []
