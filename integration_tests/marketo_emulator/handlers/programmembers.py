"""Program member reads (EL:program-members; marketo-api.md §4.2, §4.6): describe, members of a
program by filter, leads of a program with their membership.

`members.json`: `filterType` a searchable field or `updatedAt` (with `startAt`/`endAt`, at most 7
days, no milliseconds), `filterValues` at most 300, `fields` (default acquiredBy, leadId,
membershipDate, programId, reachedSuccess; items also carry `seq`), `batchSize` at most 300,
`nextPageToken`; `moreResult` always. A filter other than leadId on a program with more members
than the limit (100,000) answers 1003 "Total membership size: ... exceeds the limit allowed ...".
"""
from __future__ import annotations

from ..envelope import MarketoError, Reply, success
from ..memberfields import BY_NAME, DEFAULT_FIELDS, FILTER_TYPES, describe_result
from ..paging import page_of, read_position
from ..request import int_param, list_param, required
from ..timefmt import BadDatetime, parse_input, rest_datetime
from . import Ctx
from .leads import requested_fields

MAX_UPDATED_RANGE_MS = 7 * 86_400_000


def describe(ctx: Ctx) -> Reply:
    born = rest_datetime(ctx.state.anchor_ms - 720 * 86_400_000)
    return success(ctx.rid, describe_result(born, born))


def _program_id(ctx: Ctx) -> int:
    raw = ctx.path_params["programId"]
    if not raw.isdigit() or int(raw) not in ctx.state.members.profiles:
        raise MarketoError("1013", f"Program {raw} not found")
    return int(raw)


def _member_fields(params: dict) -> list[str]:
    names = list_param(params, "fields") or list(DEFAULT_FIELDS)
    for name in names:
        if name not in BY_NAME:
            raise MarketoError("1006", f"Field '{name}' not found")
    return names


def _updated_window(params: dict) -> tuple[int, int]:
    start, end = required(params, "startAt"), required(params, "endAt")
    try:
        start_ms = parse_input(start, allow_millis=False)
        end_ms = parse_input(end, allow_millis=False)
    except BadDatetime as error:
        raise MarketoError("1003", f"Invalid date: {error}") from error
    if start_ms > end_ms or end_ms - start_ms > MAX_UPDATED_RANGE_MS:
        raise MarketoError("1003", "The updatedAt date range must be at most 7 days, startAt before endAt")
    return start_ms, end_ms


def _matcher(filter_type: str, values: list[str]):
    if filter_type == "reachedSuccess":
        wanted = {v.lower() for v in values}
        return lambda record: str(record["reachedSuccess"]).lower() in wanted
    wanted = set(values)
    return lambda record: record.get(filter_type) is not None and str(record[filter_type]) in wanted


def members(ctx: Ctx) -> Reply:
    program_id = _program_id(ctx)
    params = ctx.params
    filter_type = required(params, "filterType")
    if filter_type not in FILTER_TYPES:
        raise MarketoError("1011", f"Field '{filter_type}' not supported")
    names = _member_fields(params)
    batch = int_param(params, "batchSize", 300, low=1, high=300)
    offset = read_position(params.get("nextPageToken"))
    state = ctx.state
    with state.lock:
        view = state.members
        if filter_type == "updatedAt":
            start_ms, end_ms = _updated_window(params)
            match = lambda record: start_ms <= parse_input(record["updatedAt"]) <= end_ms  # noqa: E731
            values = []
        else:
            values = list_param({"v": required(params, "filterValues")}, "v")
            if len(values) > 300:
                raise MarketoError("1003", "Number of filter values exceeds the limit of 300")
            match = _matcher(filter_type, values)
        if filter_type == "leadId":
            ids = sorted({int(v) for v in values if v.isdigit()})
            matched = [r for r in (view.record(program_id, i) for i in ids) if r is not None]
        else:
            _check_limit(state, view, program_id)
            matched = [r for r in view.records(program_id) if match(r)]
    chunk, token = page_of(matched, offset, batch)
    result = [{"seq": seq, **{name: record[name] for name in names}} for seq, record in enumerate(chunk)]
    extra = {"moreResult": token is not None}
    if token:
        extra["nextPageToken"] = token
    return success(ctx.rid, result, **extra)


def _check_limit(state, view, program_id: int) -> None:
    limit = state.options.program_member_query_limit
    if not limit or view.estimate(program_id) * 10 < limit * 9:  # surely under: no need to count
        return
    total = view.count(program_id)
    if total > limit:
        raise MarketoError("1003", f"Total membership size: {total:,} exceeds the limit allowed {limit:,} for the filter")


def leads_of_program(ctx: Ctx) -> Reply:
    """leads/programs/{programId}.json: member leads (lead `fields`) with `membership` (EL:leads, EMB)."""
    program_id = _program_id(ctx)
    names = requested_fields(ctx.params)
    batch = int_param(ctx.params, "batchSize", 300, low=1, high=300)
    offset = read_position(ctx.params.get("nextPageToken"))
    state = ctx.state
    with state.lock:
        ids = [lead_id for lead_id, _, _ in state.members.lead_ids(program_id)]
        chunk, token = page_of(ids, offset, batch)
        out = []
        for lead_id in chunk:
            record = state.members.record(program_id, lead_id)
            lead = state.leads.select(lead_id, names)
            membership = {"progressionStatus": record["statusName"], "isExhausted": record["isExhausted"],
                          "acquiredBy": record["acquiredBy"], "reachedSuccess": record["reachedSuccess"],
                          "membershipDate": record["membershipDate"]}
            if record["nurtureCadence"] is not None:
                membership.update(nurtureCadence=record["nurtureCadence"], stream=record["trackName"])
            out.append({**lead, "membership": membership})
    extra = {"nextPageToken": token, "moreResult": True} if token else {}
    return success(ctx.rid, out, **extra)
