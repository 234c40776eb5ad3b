"""Custom object reads (EL:custom-objects; marketo-api.md §4): the list of types, describe, the
schema endpoints, and records by filter.

`customobjects/{apiName}.json`: `filterType` one of the searchable fields (`idField` stands for
marketoGUID; `dedupeFields` for the dedupe key, given as `input` objects in a JSON body sent as
`POST ...?_method=GET`), `filterValues` (or `input`) at most 300, `fields` (default marketoGUID,
the dedupe fields, createdAt, updatedAt; unknown → 1006), `batchSize` at most 300,
`nextPageToken`; items carry `seq`. An unknown object → 1013 (the docs name no code for it).
"""
from __future__ import annotations

from ..envelope import MarketoError, Reply, success
from ..paging import page_of, read_position
from ..request import int_param, list_param
from ..timefmt import rest_datetime
from . import Ctx

MAX_VALUES = 300


def _times(ctx: Ctx) -> tuple[str, str]:
    anchor = ctx.state.anchor_ms
    return rest_datetime(anchor - 400 * 86_400_000), rest_datetime(anchor - 90 * 86_400_000)


def object_type(ctx: Ctx, name: str | None = None):
    name = name or ctx.path_params.get("apiName")
    found = ctx.state.custom_objects.types.get(name)
    if found is None:
        raise MarketoError("1013", f"Custom object type '{name}' not found")
    return found


def listing(ctx: Ctx) -> Reply:
    wanted = set(list_param(ctx.params, "names"))
    created, updated = _times(ctx)
    items = [t.describe(created, updated, with_fields=False) for t in ctx.state.custom_objects.types.values()
             if not wanted or t.name in wanted]
    return success(ctx.rid, items)


def describe(ctx: Ctx) -> Reply:
    created, updated = _times(ctx)
    return success(ctx.rid, [object_type(ctx).describe(created, updated)])


def schema_listing(ctx: Ctx) -> Reply:
    wanted = set(list_param(ctx.params, "names"))
    state = ctx.params.get("state")
    created, updated = _times(ctx)
    items = [t.schema(created, updated) for t in ctx.state.custom_objects.types.values()
             if (not wanted or t.name in wanted) and state in (None, "", "approved")]
    return success(ctx.rid, items)


def schema_describe(ctx: Ctx) -> Reply:
    created, updated = _times(ctx)
    return success(ctx.rid, [object_type(ctx).schema(created, updated)])


def _query_params(ctx: Ctx) -> dict:
    """Query string, or the JSON body of a `POST ...?_method=GET` (compound keys come as `input`)."""
    params = dict(ctx.params)
    content_type = ctx.request.headers.get("content-type", "").lower()
    if ctx.request.raw_method == "POST" and content_type.startswith("application/json") and ctx.request.body:
        body = ctx.request.json()
        if not isinstance(body, dict):
            raise MarketoError("609", "Invalid JSON")
        for key, value in body.items():
            params[key] = ",".join(map(str, value)) if key == "fields" and isinstance(value, list) else value
    return params


def records(ctx: Ctx) -> Reply:
    t = object_type(ctx)
    params = _query_params(ctx)
    filter_type = params.get("filterType")
    if not filter_type:
        raise MarketoError("701", "filterType cannot be blank")
    key = {"idField": "marketoGUID", "dedupeFields": ",".join(t.dedupe)}.get(filter_type, filter_type)
    if key.split(",") not in t.searchable:
        raise MarketoError("1011", f"Field '{filter_type}' not supported")
    wanted = _values(params, key.split(","))
    names = list_param(params, "fields") or ["marketoGUID", *t.dedupe, "createdAt", "updatedAt"]
    for name in names:
        if name not in t.field_names:
            raise MarketoError("1006", f"Field '{name}' not found")
    batch = int_param(params, "batchSize", 300, low=1, high=300)
    offset = read_position(params.get("nextPageToken"))
    state = ctx.state
    with state.lock:
        matched = _match(state.custom_objects, t, key.split(","), wanted)
    chunk, token = page_of(matched, offset, batch)
    result = [{"seq": seq, **{name: record.get(name) for name in names}} for seq, record in enumerate(chunk)]
    return success(ctx.rid, result, **({"nextPageToken": token, "moreResult": True} if token else {}))


def _values(params: dict, key: list[str]) -> list[dict]:
    """The wanted key values, each as {field: value}, from `input` objects or `filterValues`."""
    given = params.get("input")
    if given is not None:
        if not isinstance(given, list) or not all(isinstance(item, dict) for item in given):
            raise MarketoError("1003", "input must be a list of objects")
        values = [{name: item.get(name) for name in key} for item in given]
        if any(value is None for item in values for value in item.values()):
            raise MarketoError("1003", f"Every input needs {', '.join(key)}")
    else:
        raw = params.get("filterValues")
        if not raw:
            raise MarketoError("701", "filterValues cannot be blank")
        if len(key) > 1:
            raise MarketoError("1003", "A compound key takes input objects (POST with _method=GET)")
        values = [{key[0]: value} for value in list_param({"v": raw if isinstance(raw, str) else ",".join(map(str, raw))}, "v")]
    if len(values) > MAX_VALUES:
        raise MarketoError("1003", f"Number of filter values exceeds the limit of {MAX_VALUES}")
    return values


def _match(view, t, key: list[str], wanted: list[dict]) -> list[dict]:
    out, seen = [], set()

    def add(record):
        if record is not None and record["marketoGUID"] not in seen:
            seen.add(record["marketoGUID"])
            out.append(record)

    if key == ["leadId"]:
        ids = [int(item["leadId"]) for item in wanted if str(item["leadId"]).strip().isdigit()]
        for record in view.for_leads(t.name, ids):
            add(record)
        return out
    for item in wanted:
        origin = view.factory.origin(t.name, key[0], item[key[0]])
        record = view.by_origin(t.name, *origin) if origin else None
        if record is not None and all(str(record.get(name)) == str(value) for name, value in item.items()):
            add(record)
    return out
