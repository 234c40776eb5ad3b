"""How export jobs used Marketo's two processing slots, from the jobs' timelines (emulator clock).

A benchmark on a scaled clock asks for this instead of timing jobs itself: every instant here is
emulator time, so the numbers are those of a real instance, however fast the run went. Pure
function of `MarketoEmulator.jobs` (the same dicts `GET /_emulator/jobs` returns).
"""
from __future__ import annotations


def processing_spans(jobs: list[dict], now_ms: int) -> list[tuple[int, int, dict]]:
    """(start, end, job) of every job that reached Processing; a job still processing ends `now_ms`."""
    spans = []
    for job in jobs:
        start = job.get("startedAtMs")
        if start is None:
            continue
        spans.append((start, job.get("endedAtMs") or now_ms, job))
    return sorted(spans, key=lambda span: (span[0], span[1]))


def max_overlap(spans: list[tuple[int, int, dict]]) -> int:
    """The most jobs processing at one instant (a job ending at t and one starting at t do not overlap)."""
    events = sorted([(start, 1) for start, _, _ in spans] + [(end, -1) for _, end, _ in spans])
    current = peak = 0
    for _, change in events:
        current += change
        peak = max(peak, current)
    return peak


def occupancy(jobs: list[dict], now_ms: int, slots: int, client_id: str | None = None) -> dict:
    """Slot use over the jobs' lifetime: span from the first enqueue to the last end, busy slot-seconds,
    utilisation of the `slots` processing slots, queue waits, and the most jobs processing at once.
    `client_id`: only that client's jobs (the others still count in `max_processing`)."""
    spans = processing_spans(jobs, now_ms)
    mine = [span for span in spans if client_id is None or span[2]["clientId"] == client_id]
    queued = [job["queuedAtMs"] for job in jobs if job.get("queuedAtMs") is not None
              and (client_id is None or job["clientId"] == client_id)]
    if not mine or not queued:
        return {"jobs": len(mine), "span_seconds": 0.0, "busy_slot_seconds": 0.0, "utilisation": 0.0,
                "max_processing": max_overlap(spans), "queue_wait_seconds": [], "processing_seconds": []}
    first, last = min(queued), max(end for _, end, _ in mine)
    busy = sum(end - start for start, end, _ in mine)
    span = max(1, last - first)
    return {
        "jobs": len(mine),
        "first_queued_ms": first,
        "last_ended_ms": last,
        "span_seconds": (last - first) / 1000,
        "busy_slot_seconds": busy / 1000,
        "utilisation": round(busy / (slots * span), 4),
        "max_processing": max_overlap(spans),
        "queue_wait_seconds": [(start - job["queuedAtMs"]) / 1000 for start, _, job in mine],
        "processing_seconds": [(end - start) / 1000 for start, end, _ in mine],
    }
