"""Companies, opportunities and opportunity roles (EL:companies, EL:opportunities,
EL:opportunity-roles): describe and read by filterType/filterValues only — there is no list-all.

`filterType` must be one of the object's searchable fields (else 1011), or `dedupeFields` /
`idField`; a compound key (opportunity roles' `dedupeFields`) comes as `input` objects in the JSON
body of `POST ...?_method=GET`. `filterValues`/`input` at most 300, `fields` (default: the id
field, the dedupe fields, updatedAt, createdAt; unknown → 1006), `batchSize` at most 300,
`nextPageToken`; items carry `seq`. With `crm_sync` the opportunity role endpoints answer 1018
"CRM Enabled" (EL: available only without a native CRM sync); companies and opportunities stay
readable (EL: read-only with a CRM sync; nothing is written here anyway).
"""
from __future__ import annotations

from .. import crm
from ..envelope import MarketoError, Reply, success
from ..paging import page_of, read_position
from ..request import int_param, list_param
from ..timefmt import rest_datetime
from . import Ctx
from .customobjects import _query_params, _values


def _times(ctx: Ctx) -> tuple[str, str]:
    anchor = ctx.state.anchor_ms
    return rest_datetime(anchor - 1000 * 86_400_000), rest_datetime(anchor - 1000 * 86_400_000)


def _guard(ctx: Ctx, kind: str) -> None:
    if kind == "roles" and ctx.state.options.crm_sync:
        raise MarketoError("1018", "CRM Enabled")


def describe(kind: str):
    def handler(ctx: Ctx) -> Reply:
        _guard(ctx, kind)
        return success(ctx.rid, [crm.describe(kind, *_times(ctx))])

    handler.__name__ = f"describe_{kind}"
    return handler


def _records(ctx: Ctx, kind: str) -> list[dict]:
    store = ctx.state.crm
    return {"companies": lambda: store.companies, "opportunities": lambda: store.opportunities,
            "roles": store.roles}[kind]()


def query(kind: str):
    def handler(ctx: Ctx) -> Reply:
        _guard(ctx, kind)
        head, _ = crm.OBJECTS[kind]
        params = _query_params(ctx)
        filter_type = params.get("filterType")
        if not filter_type:
            raise MarketoError("701", "filterType cannot be blank")
        key = {"idField": head["idField"], "dedupeFields": ",".join(head["dedupeFields"])}.get(filter_type, filter_type)
        if key.split(",") not in head["searchableFields"]:
            raise MarketoError("1011", f"Field '{filter_type}' not supported")
        wanted = [tuple(str(item[name]) for name in key.split(",")) for item in _values(params, key.split(","))]
        names = list_param(params, "fields") or crm.default_fields(kind)
        for name in names:
            if name not in crm.field_names(kind):
                raise MarketoError("1006", f"Field '{name}' not found")
        batch = int_param(params, "batchSize", 300, low=1, high=300)
        offset = read_position(params.get("nextPageToken"))
        with ctx.state.lock:
            wanted_set = set(wanted)
            matched = [r for r in _records(ctx, kind) if tuple(str(r[name]) for name in key.split(",")) in wanted_set]
        chunk, token = page_of(matched, offset, batch)
        result = [{"seq": seq, **{name: record.get(name) for name in names}} for seq, record in enumerate(chunk)]
        return success(ctx.rid, result, **({"nextPageToken": token, "moreResult": True} if token else {}))

    handler.__name__ = f"query_{kind}"
    return handler
