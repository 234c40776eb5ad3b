"""Lead database reads: describe, leads by filter, lists, campaigns (marketo-api.md §4)."""
from __future__ import annotations

from ..envelope import MarketoError, Reply, success
from ..fields import BY_REST_NAME, DEFAULT_REST_FIELDS, LOOKUP_FIELDS, describe2_result, describe_result
from ..paging import page_of, position_token, read_position
from ..request import int_param, list_param, required
from . import Ctx

PARTITIONS = [{"id": 1, "name": "Default", "description": "Initial system lead partition"},
              {"id": 2, "name": "EMEA", "description": "Leads from Europe, the Middle East and Africa"}]
MAX_MATCHES = 1000


def describe(ctx: Ctx) -> Reply:
    return success(ctx.rid, describe_result())


def describe2(ctx: Ctx) -> Reply:
    return success(ctx.rid, describe2_result())


def partitions(ctx: Ctx) -> Reply:
    return success(ctx.rid, [dict(p) for p in PARTITIONS])


def requested_fields(params: dict) -> list[str]:
    names = list_param(params, "fields") or list(DEFAULT_REST_FIELDS)
    for name in names:
        if name not in BY_REST_NAME:
            raise MarketoError("1006", f"Field '{name}' not found")
    return names


def _paged(ctx: Ctx, items: list, *, more_flag: bool = False, mapper=None) -> Reply:
    batch = int_param(ctx.params, "batchSize", 300, low=1, high=300)
    offset = read_position(ctx.params.get("nextPageToken"))
    chunk, token = page_of(items, offset, batch)
    if mapper:
        chunk = [mapper(item) for item in chunk]
    extra = {}
    if token:
        extra["nextPageToken"] = token
        if more_flag:
            extra["moreResult"] = True
    return success(ctx.rid, chunk, **extra)


def by_filter(ctx: Ctx) -> Reply:
    params = ctx.params
    filter_type = required(params, "filterType")
    values = list_param({"v": required(params, "filterValues")}, "v")
    if filter_type not in LOOKUP_FIELDS:
        raise MarketoError("1011", f"Lookup field '{filter_type}' not supported")
    if len(values) > 300:
        raise MarketoError("1003", "Number of filter values exceeds the limit of 300")
    names = requested_fields(params)
    state = ctx.state
    with state.lock:
        ids = state.leads.ids_for_values(filter_type, values)
        if len(ids) > MAX_MATCHES:
            raise MarketoError("1003", "Too many results match the filter")
        records = [state.leads.select(lead_id, names) for lead_id in ids]
    return _paged(ctx, records, more_flag=True)


def by_id(ctx: Ctx) -> Reply:
    try:
        lead_id = int(ctx.path_params["leadId"])
    except ValueError as error:
        raise MarketoError("1003", "Invalid lead id") from error
    names = requested_fields(ctx.params)
    with ctx.state.lock:
        record = ctx.state.leads.select(lead_id, names)
    return success(ctx.rid, [record] if record else [])


def _filtered(items: list[dict], params: dict, keys: dict[str, str]) -> list[dict]:
    for param, key in keys.items():
        wanted = set(list_param(params, param))
        if wanted:
            items = [item for item in items if str(item.get(key)) in wanted]
    return items


def lists(ctx: Ctx) -> Reply:
    with ctx.state.lock:
        items = ctx.state.assets.lead_lists()
    items = _filtered(items, ctx.params, {"id": "id", "name": "name", "programName": "programName",
                                          "workspaceName": "workspaceName"})
    return _paged(ctx, items)


def list_by_id(ctx: Ctx) -> Reply:
    with ctx.state.lock:
        items = [i for i in ctx.state.assets.lead_lists() if str(i["id"]) == ctx.path_params["listId"]]
    if not items:
        raise MarketoError("1013", "Static list not found")
    return success(ctx.rid, items)


def list_members(ctx: Ctx) -> Reply:
    """`lists/{listId}/leads.json`: members in id order; the token is the next lead id to examine."""
    list_id = int(ctx.path_params["listId"]) if ctx.path_params["listId"].isdigit() else -1
    names = requested_fields(ctx.params)
    batch = int_param(ctx.params, "batchSize", 300, low=1, high=300)
    start = max(1, read_position(ctx.params.get("nextPageToken")))
    state = ctx.state
    with state.lock:
        if not any(i["id"] == list_id for i in state.assets.lead_lists()):
            raise MarketoError("1013", "Static list not found")
        leads, out, lead_id = state.leads, [], start
        while lead_id <= leads.max_id and len(out) < batch:
            if leads.is_live(lead_id) and leads.in_static_list(list_id, lead_id):
                out.append(leads.select(lead_id, names))
            lead_id += 1
        more = any(leads.is_live(i) and leads.in_static_list(list_id, i) for i in range(lead_id, leads.max_id + 1))
    extra = {"nextPageToken": position_token(lead_id), "moreResult": True} if more else {}
    return success(ctx.rid, out, **extra)


def is_member(ctx: Ctx) -> Reply:
    """lists/{listId}/leads/ismember.json?id=..: memberof | notmemberof | skipped (1004) per id (<= 300)."""
    list_id = int(ctx.path_params["listId"]) if ctx.path_params["listId"].isdigit() else -1
    raw = list_param(ctx.params, "id")
    if not raw:
        raise MarketoError("701", "id cannot be blank")
    if len(raw) > 300:
        raise MarketoError("1003", "Number of lead ids exceeds the limit of 300")
    state = ctx.state
    out = []
    with state.lock:
        if not any(i["id"] == list_id for i in state.assets.lead_lists()):
            raise MarketoError("1013", "Static list not found")
        for value in raw:
            lead_id = int(value) if value.isdigit() else -1
            if not state.leads.is_live(lead_id):
                out.append({"id": lead_id if lead_id >= 0 else value, "status": "skipped",
                            "reasons": [{"code": "1004", "message": "Lead not found"}]})
            else:
                member = state.leads.in_static_list(list_id, lead_id)
                out.append({"id": lead_id, "status": "memberof" if member else "notmemberof"})
    return success(ctx.rid, out)


def campaigns(ctx: Ctx) -> Reply:
    with ctx.state.lock:
        items = ctx.state.assets.lead_campaigns()
    items = _filtered(items, ctx.params, {"id": "id", "name": "name", "programName": "programName",
                                          "workspaceName": "workspaceName"})
    triggerable = ctx.params.get("isTriggerable")
    if triggerable in ("true", "false"):
        items = [item for item in items if (item["type"] == "trigger") == (triggerable == "true")]
    return _paged(ctx, items)


def campaign_by_id(ctx: Ctx) -> Reply:
    with ctx.state.lock:
        items = [i for i in ctx.state.assets.lead_campaigns() if str(i["id"]) == ctx.path_params["campaignId"]]
    if not items:
        raise MarketoError("1013", "Campaign not found")
    return success(ctx.rid, items)
