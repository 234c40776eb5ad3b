"""Activities reads (marketo-api.md §4.3-4.4): types, paging tokens, activities, deleted leads,
lead changes.

`nextPageToken` is always returned; pages may be short or empty while `moreResult` is true
(a bounded number of candidates is examined per call); an empty page carries no `result` key.
"""
from __future__ import annotations

from ..activities import Query
from ..activity_types import BY_ID as TYPES, DELETE_LEAD, types_result
from ..envelope import MarketoError, Reply, success
from ..fields import BY_ID as FIELDS_BY_ID
from ..paging import activity_token, read_activity
from ..request import int_list_param, int_param, list_param, required
from ..timefmt import BadDatetime, parse_input
from . import Ctx

DAY_MS = 86_400_000


def types(ctx: Ctx) -> Reply:
    return success(ctx.rid, types_result())


def paging_token(ctx: Ctx) -> Reply:
    since = required(ctx.params, "sinceDatetime")
    try:
        since_ms = parse_input(since)
    except BadDatetime as error:
        raise MarketoError("1003", f"Invalid sinceDatetime: {since}") from error
    return success(ctx.rid, None, nextPageToken=activity_token(since_ms, -1))


def _common_query(ctx: Ctx, type_ids) -> Query:
    lead_ids = int_list_param(ctx.params, "leadIds")
    if len(lead_ids) > 30:
        raise MarketoError("1003", "Too many lead ids, the maximum is 30")
    list_id = int_param(ctx.params, "listId")
    if list_id is not None:
        _check_list_size(ctx, list_id)
    asset_ids = int_list_param(ctx.params, "assetIds")
    return Query(type_ids=frozenset(type_ids) if type_ids is not None else None,
                 lead_ids=frozenset(lead_ids) if lead_ids else None, list_id=list_id,
                 asset_ids=frozenset(asset_ids) if asset_ids else None)


def _check_list_size(ctx: Ctx, list_id: int) -> None:
    """`activity_list_limit` N > 0: a listId naming a list of N or more leads answers 1003 (EL:activities,
    EL:migration: Marketo's rule from late 2026, N = 10,000)."""
    limit = ctx.state.options.activity_list_limit
    if not limit:
        return
    leads, size = ctx.state.leads, 0
    with ctx.state.lock:
        for lead_id in leads.live_ids():
            if leads.in_static_list(list_id, lead_id):
                size += 1
                if size >= limit:
                    raise MarketoError("1003", f"List {list_id} has {limit:,} or more leads: listId is limited to "
                                               f"lists of fewer than {limit:,} leads")


def _page(ctx: Ctx, query: Query, shape=None, floor_ms: int | None = None) -> Reply:
    cursor = read_activity(ctx.params.get("nextPageToken"))
    batch = int_param(ctx.params, "batchSize", 300, low=1, high=300)
    if floor_ms is not None and cursor[0] < floor_ms:
        cursor = (floor_ms, -1)
    if ctx.fault is not None and ctx.fault.empty_page:
        return success(ctx.rid, None, nextPageToken=activity_token(*cursor), moreResult=True)
    state = ctx.state
    with state.lock:
        records, last, more = state.activities.page(cursor, query, batch, state.options.activity_page_scan)
    if shape:
        records = [item for item in (shape(r) for r in records) if item is not None]
    return success(ctx.rid, records or None, nextPageToken=activity_token(*last), moreResult=more)


def activities(ctx: Ctx) -> Reply:
    required(ctx.params, "nextPageToken")
    type_ids = int_list_param(ctx.params, "activityTypeIds")
    if not type_ids:
        raise MarketoError("701", "activityTypeIds cannot be blank")
    if len(type_ids) > 10:
        raise MarketoError("1003", "Too many activity type ids, the maximum is 10")
    unknown = [t for t in type_ids if t not in TYPES]
    if unknown:
        raise MarketoError("1003", f"Invalid activity type id: {unknown[0]}")
    query = _common_query(ctx, type_ids)
    if query.asset_ids and len(type_ids) != 1:
        raise MarketoError("1003", "assetIds requires exactly one activity type id")
    return _page(ctx, query)


def deleted_leads(ctx: Ctx) -> Reply:
    required(ctx.params, "nextPageToken")
    retention = ctx.state.options.deleted_leads_retention_days
    floor = ctx.state.now_ms() - retention * DAY_MS if retention else None
    return _page(ctx, Query(type_ids=frozenset({DELETE_LEAD})), floor_ms=floor)


def lead_changes(ctx: Ctx) -> Reply:
    required(ctx.params, "nextPageToken")
    names = set(list_param({"f": required(ctx.params, "fields")}, "f"))
    query = _common_query(ctx, {12, 13})

    def shape(record: dict) -> dict | None:
        attributes = list(record.get("attributes", []))
        fields = []
        if record["activityTypeId"] == 13:
            field = FIELDS_BY_ID.get(record.get("primaryAttributeValueId"))
            if field is None or field.rest not in names:
                return None
            values = {a["name"]: a["value"] for a in attributes}
            fields.append({"id": field.id, "name": field.rest, "newValue": values.get("New Value"),
                           "oldValue": values.get("Old Value")})
            attributes = [a for a in attributes if a["name"] not in ("New Value", "Old Value")]
        item = {key: record[key] for key in ("id", "marketoGUID", "leadId", "activityDate", "activityTypeId")}
        if "campaignId" in record:
            item["campaignId"] = record["campaignId"]
        item["fields"] = fields
        item["attributes"] = attributes
        return item

    return _page(ctx, query, shape)
