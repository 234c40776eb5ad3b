"""Bulk export jobs: Created -> Queued -> Processing -> Completed | Failed | Cancelled.

Rules from marketo-api.md §6: at most 2 jobs Processing, at most 10 Queued+Processing (enqueue
of an 11th answers 1029 "Too many jobs in queue"), 1029 "Job already queued", the daily export
allocation (1029 on create/enqueue once spent, metered on file size at completion), jobs visible
only to their creator, job list of the last 7 days, files kept 7 days, and a status that the
client sees change at most once per refresh interval (Marketo: 60 s).

Progression is a policy evaluated on the injected clock: immediate, after N status polls, after S
seconds, or R rows per second. Time is simulated event by event, so a queued job starts exactly
when a processing slot frees up, even if nobody was polling at that moment.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

from .envelope import MarketoError
from .options import Progression
from .timefmt import from_ms, rest_datetime

ACTIVE = ("Queued", "Processing")
TERMINAL = ("Completed", "Failed", "Cancelled")
DAY_MS = 86_400_000


@dataclass
class ExportJob:
    export_id: str
    kind: str  # leads | activities | program/members | customobjects/{apiName}
    client_id: str
    format: str
    request: dict  # the create body as parsed (fields, filter, headers, ...)
    created_ms: int
    status: str = "Created"
    queued_ms: int | None = None
    started_ms: int | None = None
    finished_ms: int | None = None
    polls: int = 0
    processing_polls: int = 0
    records: int | None = None
    size: int | None = None
    checksum: str | None = None
    file_path: str | None = None
    error_msg: str | None = None
    forced_outcome: str | None = None
    forced_error_msg: str | None = None
    hold: bool = False  # another tool's job that occupies a slot until released
    visible: dict | None = None
    refreshed_ms: int | None = None
    result: object = None
    done: threading.Event = field(default_factory=threading.Event)
    timeline: list = field(default_factory=list)

    def view(self) -> dict:
        out = {"exportId": self.export_id, "format": self.format, "status": self.status,
               "createdAt": rest_datetime(self.created_ms)}
        if self.queued_ms is not None:
            out["queuedAt"] = rest_datetime(self.queued_ms)
        if self.started_ms is not None:
            out["startedAt"] = rest_datetime(self.started_ms)
        if self.status in ("Completed", "Failed") and self.finished_ms is not None:
            out["finishedAt"] = rest_datetime(self.finished_ms)
        if self.status == "Completed":
            out.update({"numberOfRecords": self.records, "fileSize": self.size, "fileChecksum": f"sha256:{self.checksum}"})
        if self.status == "Failed":
            out["errorMsg"] = self.error_msg
        return out

    def describe(self) -> dict:
        """Introspection for tests and benchmarks: the whole timeline (emulator clock; `...Ms`: epoch ms)."""
        return {"exportId": self.export_id, "kind": self.kind, "clientId": self.client_id, "status": self.status,
                "format": self.format, "request": self.request, "createdAt": _iso(self.created_ms),
                "queuedAt": _iso(self.queued_ms), "startedAt": _iso(self.started_ms), "finishedAt": _iso(self.finished_ms),
                "createdAtMs": self.created_ms, "queuedAtMs": self.queued_ms, "startedAtMs": self.started_ms,
                "endedAtMs": self.timeline[-1][1] if self.status in TERMINAL else None,
                "polls": self.polls, "records": self.records, "bytes": self.size, "errorMsg": self.error_msg,
                "forcedOutcome": self.forced_outcome, "hold": self.hold,
                "timeline": [{"status": s, "at": _iso(t), "atMs": t} for s, t in self.timeline]}

    def mark(self, status: str, at_ms: int) -> None:
        self.status = status
        self.timeline.append((status, at_ms))


def _iso(ms: int | None) -> str | None:
    return rest_datetime(ms) if ms is not None else None


class JobManager:
    def __init__(self, options, clock_ms: Callable[[], int], usage, producer_for, new_id: Callable[[], str]) -> None:
        self.options = options
        self.progression = Progression.parse(options.job_progression)
        self._latency_ms = int(options.queue_latency_seconds * 1000)  # Marketo's dispatch delay
        self._now = clock_ms
        self._usage = usage
        self._producer_for = producer_for  # job -> (path -> ExportFile), called when processing starts
        self._new_id = new_id
        self.jobs: dict[str, ExportJob] = {}
        self.lock = threading.RLock()
        self.peak_processing = 0
        self.peak_active = 0

    # -- client operations -------------------------------------------------------------------
    def create(self, client_id: str, kind: str, fmt: str, request: dict) -> ExportJob:
        with self.lock:
            self._check_export_quota()
            now = self._now()
            job = ExportJob(self._new_id(), kind, client_id, fmt, request, now)
            job.mark("Created", now)
            self.jobs[job.export_id] = job
            self._show(job, now)
            return job

    def enqueue(self, client_id: str, kind: str, export_id: str) -> dict:
        with self.lock:
            now = self._now()
            self.advance(now)
            job = self._find(client_id, kind, export_id)
            if job.status in ACTIVE:
                raise MarketoError("1029", "Job already queued")
            if job.status != "Created":
                raise MarketoError("1003", f"Export job {export_id} cannot be enqueued in status {job.status}")
            self._check_export_quota()
            if self.active_count() >= self.options.max_queued_jobs:
                raise MarketoError("1029", "Too many jobs in queue")
            job.queued_ms = now
            job.mark("Queued", now)
            self._peaks()
            view = self._show(job, now)
            self.advance(now)  # a free slot takes it now; the client sees that on its next status call
            return view

    def status(self, client_id: str, kind: str, export_id: str) -> dict:
        with self.lock:
            now = self._now()
            self.advance(now)
            job = self._find(client_id, kind, export_id)
            job.polls += 1
            if job.status == "Processing":
                job.processing_polls += 1
                self.advance(now)
            interval_ms = int(self.options.status_refresh_seconds * 1000)
            if job.refreshed_ms is None or now - job.refreshed_ms >= interval_ms:
                self._show(job, now)
            return dict(job.visible)

    def cancel(self, client_id: str, kind: str, export_id: str) -> dict:
        with self.lock:
            now = self._now()
            self.advance(now)
            job = self._find(client_id, kind, export_id)
            if job.status in TERMINAL:
                raise MarketoError("1003", f"Export job {export_id} is already {job.status}")
            self._cancel(job, now)
            self.advance(now)
            return self._show(job, now)

    def file_of(self, client_id: str, kind: str, export_id: str) -> ExportJob | None:
        """The job when its file can be downloaded, else None (the handler answers 404)."""
        with self.lock:
            now = self._now()
            self.advance(now)
            job = self.jobs.get(export_id)
            if job is None or job.client_id != client_id or job.kind != kind or job.status != "Completed":
                return None
            if now - job.finished_ms > self.options.file_retention_days * DAY_MS:
                return None
            return job

    def listing(self, client_id: str, kind: str, statuses: set[str] | None) -> list[dict]:
        with self.lock:
            now = self._now()
            self.advance(now)
            out = []
            for job in self.jobs.values():
                if job.client_id != client_id or job.kind != kind:
                    continue
                if now - job.created_ms > self.options.job_list_days * DAY_MS:
                    continue
                if statuses and job.status.lower() not in statuses:
                    continue
                out.append(job.view())
            return out

    # -- simulation --------------------------------------------------------------------------
    def advance(self, now: int) -> None:
        """Apply every transition due by `now`, in time order."""
        with self.lock:
            freed_at = None
            for _ in range(10_000):
                self._fill_slots(now, freed_at)
                due = self._next_due(now)
                if due is None:
                    return
                job, at = due
                self._finish(job, at)
                freed_at = at

    def _fill_slots(self, now: int, freed_at: int | None) -> None:
        """Start queued jobs, in enqueue order, in free slots: when the slot freed or the job became ready."""
        free = self.options.max_processing_jobs - sum(1 for j in self.jobs.values() if j.status == "Processing")
        queued = sorted((j for j in self.jobs.values() if j.status == "Queued"), key=lambda j: (j.queued_ms, j.created_ms))
        for job in queued[: max(0, free)]:
            start = max(job.queued_ms + self._latency_ms, freed_at or 0)
            if start > now:  # not ready yet; the jobs queued after it are not either (same latency)
                return
            self._start(job, start)

    def _start(self, job: ExportJob, at: int) -> None:
        job.started_ms = at
        job.mark("Processing", at)
        self._peaks()
        if job.hold:
            return
        produce = self._producer_for(job)

        def run() -> None:
            try:
                job.result = produce()
            except Exception as error:  # the job fails like a Marketo job would, with a message
                job.result = error
            finally:
                job.done.set()

        threading.Thread(target=run, name=f"export-{job.export_id[:8]}", daemon=True).start()

    def _due_ms(self, job: ExportJob, now: int) -> int | None:
        if job.hold:
            return None
        kind, amount = self.progression.kind, self.progression.amount
        if kind == "immediate":
            return job.started_ms
        if kind == "seconds":
            return job.started_ms + int(amount * 1000)
        if kind == "polls":
            return now if job.processing_polls >= amount else None
        if not job.done.is_set():  # rows: the duration is known once the file is written
            return None
        rows = getattr(job.result, "records", 0) or 0
        return job.started_ms + int((self.progression.fixed + rows / amount) * 1000)

    def _next_due(self, now: int):
        best = None
        for job in self.jobs.values():
            if job.status != "Processing":
                continue
            due = self._due_ms(job, now)
            if due is not None and due <= now and (best is None or due < best[1]):
                best = (job, due)
        return best

    def _finish(self, job: ExportJob, at: int) -> None:
        job.done.wait(timeout=600)
        job.finished_ms = at
        result = job.result
        if job.forced_outcome == "Cancelled":
            job.mark("Cancelled", at)
        elif job.forced_outcome == "Failed" or isinstance(result, Exception) or result is None:
            job.error_msg = job.forced_error_msg or (str(result) if isinstance(result, Exception) else "Export failed")
            job.mark("Failed", at)
        else:
            job.records, job.size, job.checksum, job.file_path = result.records, result.size, result.sha256, result.path
            job.mark("Completed", at)
            self._usage.add_export_bytes(result.size, from_ms(at))

    def _cancel(self, job: ExportJob, at: int) -> None:
        job.mark("Cancelled", at)

    # -- helpers -----------------------------------------------------------------------------
    def _find(self, client_id: str, kind: str, export_id: str) -> ExportJob:
        job = self.jobs.get(export_id)
        too_old = job is not None and self._now() - job.created_ms > 30 * DAY_MS
        if job is None or job.client_id != client_id or job.kind != kind or too_old:
            raise MarketoError("1003", f"Export Id {export_id} not found")
        return job

    def _check_export_quota(self) -> None:
        if self._usage.export_quota_spent():
            mb = self._usage.daily_export_bytes // (1024 * 1024)
            raise MarketoError("1029", f"Export daily quota {mb}MB exceeded.")

    def _show(self, job: ExportJob, now: int) -> dict:
        job.visible = job.view()
        job.refreshed_ms = now
        return dict(job.visible)

    def _peaks(self) -> None:
        processing = sum(1 for j in self.jobs.values() if j.status == "Processing")
        self.peak_processing = max(self.peak_processing, processing)
        self.peak_active = max(self.peak_active, self.active_count())

    def active_count(self) -> int:
        return sum(1 for j in self.jobs.values() if j.status in ACTIVE)

    def release_held(self) -> int:
        with self.lock:
            now = self._now()
            held = [j for j in self.jobs.values() if j.hold and j.status in ACTIVE + ("Created",)]
            for job in held:
                self._cancel(job, now)
            self.advance(now)
            return len(held)
