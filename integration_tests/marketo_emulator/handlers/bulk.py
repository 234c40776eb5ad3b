"""Bulk Extract endpoints for leads, activities, program members and custom objects (marketo-api.md §6). Rules
live in `jobs.py` and `bulkspec.py`; this module only translates requests and replies. Every kind
shares one job manager: the same 2 processing / 10 queued slots and the same daily megabytes.
"""
from __future__ import annotations

import re

from ..bulkspec import (activity_request, custom_object_request, lead_request, normalise_lead_filter,
                        program_member_request)
from .customobjects import object_type
from ..envelope import Reply, success, text
from ..paging import page_of, read_position
from ..request import int_param, list_param
from . import Ctx

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _kind(ctx: Ctx) -> str:
    """The job kind from the path: leads | activities | program/members | customobjects/{apiName}
    (as `emu.jobs` shows it)."""
    path = ctx.request.path
    if path.startswith("/bulk/v1/customobjects/"):
        return f"customobjects/{ctx.path_params['apiName']}"
    for kind in ("leads", "activities", "program/members"):
        if path.startswith(f"/bulk/v1/{kind}/"):
            return kind
    return "activities"


def create(ctx: Ctx) -> Reply:
    body = ctx.request.json()
    state = ctx.state
    kind = _kind(ctx)
    if kind == "leads":
        with state.lock:
            fmt, request = lead_request(body, state.assets, state.options.updated_at_filter)
        request["filter"] = normalise_lead_filter(request["filter"])
    elif kind.startswith("customobjects/"):
        with state.lock:
            fmt, request = custom_object_request(body, object_type(ctx), state.assets, state.options.updated_at_filter)
    elif kind == "program/members":
        fmt, request = program_member_request(body, state.members.profiles, state.options.program_member_updated_at_filter)
    else:
        fmt, request = activity_request(body, state.options.max_bulk_activity_types)
    request.pop("rawFilter", None)
    if state.options.bulk_end_exclusive:
        for window in (request.get("filter") or {}).values():
            if isinstance(window, dict) and "endMs" in window:
                window["endMs"] -= 1  # the data is on whole seconds: the end's own instant is left out
    job = state.jobs.create(ctx.client_id, _kind(ctx), fmt, request)
    if ctx.fault is not None and ctx.fault.job_outcome:
        job.forced_outcome = ctx.fault.job_outcome
        job.forced_error_msg = ctx.fault.job_error_msg or "Export job failed"
    return success(ctx.rid, [job.view()])


def enqueue(ctx: Ctx) -> Reply:
    return success(ctx.rid, [ctx.state.jobs.enqueue(ctx.client_id, _kind(ctx), ctx.path_params["exportId"])])


def status(ctx: Ctx) -> Reply:
    return success(ctx.rid, [ctx.state.jobs.status(ctx.client_id, _kind(ctx), ctx.path_params["exportId"])])


def cancel(ctx: Ctx) -> Reply:
    return success(ctx.rid, [ctx.state.jobs.cancel(ctx.client_id, _kind(ctx), ctx.path_params["exportId"])])


def listing(ctx: Ctx) -> Reply:
    statuses = {s.lower() for s in list_param(ctx.params, "status")} or None
    items = ctx.state.jobs.listing(ctx.client_id, _kind(ctx), statuses)
    batch = int_param(ctx.params, "batchSize", 300, low=1, high=300)
    chunk, token = page_of(items, read_position(ctx.params.get("nextPageToken")), batch)
    return success(ctx.rid, chunk, **({"nextPageToken": token} if token else {}))


def file(ctx: Ctx) -> Reply:
    """The file, plain-text 404 until it exists and after retention; `Range` -> 206."""
    export_id = ctx.path_params["exportId"]
    job = ctx.state.jobs.file_of(ctx.client_id, _kind(ctx), export_id)
    if job is None:
        return text(404, f"Export job {export_id} not found or file not available")
    size = job.size
    headers = {"Accept-Ranges": "bytes"}
    content_type = "text/csv" if job.format == "CSV" else "text/plain"
    requested = ctx.request.headers.get("range")
    if not requested:
        return Reply(status=200, file_path=job.file_path, file_size=size, file_range=(0, size - 1) if size else None,
                     content_type=content_type, headers=headers, allow_gzip=False)
    span = parse_range(requested, size)
    if span is None:
        return Reply(status=416, body=b"Requested Range Not Satisfiable", content_type="text/plain",
                     headers={**headers, "Content-Range": f"bytes */{size}"}, allow_gzip=False)
    headers["Content-Range"] = f"bytes {span[0]}-{span[1]}/{size}"
    return Reply(status=206, file_path=job.file_path, file_size=size, file_range=span, content_type=content_type,
                 headers=headers, allow_gzip=False)


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """A single `bytes=a-b`, `bytes=a-` or `bytes=-n` range, clipped to the file (RFC 7233)."""
    hit = _RANGE.match(header.strip().split(",")[0].strip())
    if not hit or (not hit.group(1) and not hit.group(2)):
        return None
    first, last = hit.group(1), hit.group(2)
    if not first:
        length = int(last)
        return (max(0, size - length), size - 1) if length and size else None
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return None
    return start, end
