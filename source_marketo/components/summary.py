"""The one-line run summary: what a sync moved and what it cost (records, calls, megabytes, jobs, what is left)."""

from __future__ import annotations

from source_marketo.components.budget import MEGABYTE
from source_marketo.components.errors import Limit
from source_marketo.components.runtime import MarketoRuntime


def run_summary(runtime: MarketoRuntime) -> str:
    client, exports = runtime.client, runtime.exports
    records = ", ".join(f"{stream} {count}" for stream, count in sorted(runtime.records.items())) or "none"
    calls = client.calls.spent_this_run
    identity = client.tokens.identity_calls
    cap = client.calls.cap
    remaining_calls = f"{client.calls.remaining()} of the {cap}-call daily cap" if cap is not None else "no call cap set"
    left_mb = max(exports.cap_bytes - exports.spent, 0) / MEGABYTE
    stop = client.stopped_by
    marketo_refused = stop is not None and stop.kind is Limit.EXPORTS  # the client only ever stops on Marketo's own 1029
    export_left = "no export megabytes (Marketo's allocation is used up)" if marketo_refused else f"{left_mb:.1f} of {exports.cap_bytes / MEGABYTE:.0f} MB export"
    retries = sum(client.retries.values())
    return (
        f"Sync summary: records {records}; API calls {calls} (+{identity} token requests, {retries} retries); "
        f"bulk export {exports.spent_this_run / MEGABYTE:.2f} MB, export jobs created {runtime.jobs_created}, reused {runtime.jobs_reused}; "
        f"left today: {remaining_calls}, {export_left}."
    )
