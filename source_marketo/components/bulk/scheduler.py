"""One scheduler for every bulk stream of a run: Marketo's job limits as budgets, jobs made just in time.

Marketo runs 2 export jobs at once and queues at most 10 (its count includes the processing ones
and other integrations' jobs); status refreshes once a minute (marketo-api.md 6.3). So the
scheduler keeps a few of our jobs queued or processing (enough to keep both processing slots busy
while earlier files download), creates each job just before it is enqueued, never more than the
depth, and never one whose estimated size does not fit the day's export budget. Each lane (leads,
activities) hands out its windows in order and consumes completed jobs in that order, so its state
only ever moves forward over windows that were fully emitted.
"""

from __future__ import annotations

import logging
import sys
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Deque, Iterator, List, Optional, Protocol

from source_marketo.components.budget import ExportBudget, LimitReached, marketo_day
from source_marketo.components.bulk.download import ExportCorrupt, ExportGone
from source_marketo.components.bulk.jobs import BulkApi, ExportJob, ExportSpec, JobStatus
from source_marketo.components.clock import Clock
from source_marketo.components.errors import Action
from source_marketo.components.types import parse_datetime

MIN_POLL_SPACING = 0.25
HEARTBEAT_SECONDS = 300.0
# An export's size is known only when it completes, and data gets denser over time (recent leads
# are the updated ones): jobs in flight may hold at most a third of what is left of the day's
# budget, so a job several times bigger than its estimate still cannot push the day over the cap.
RESERVE_FACTOR = 3  # even with a 0 s poll interval (emulator tests), never a busy loop of status calls
MAX_ATTEMPTS_PER_WINDOW = 2
MAX_FAILURES_IN_A_ROW = 6  # then the failures are not about window size: splitting further only burns calls
# Refusals of an export request that asking for less might avoid: invalid data (1003, e.g. a list
# Marketo finds too long; its real answer is unconfirmed) and a request too large (HTTP 413/414).
REFUSALS_WORTH_SPLITTING = ("1003", "413", "414")


class ExportFailed(Exception):
    """A window could not be exported even after retries and splitting; names the job and window."""


class Lane(Protocol):
    name: str

    def resume_jobs(self) -> List[ExportJob]: ...

    def peek(self, available_bytes: int) -> Optional[ExportSpec]: ...

    def accept(self, spec: ExportSpec) -> None: ...

    def unsupported(self, spec: ExportSpec, reason: str) -> None: ...

    def estimate(self, spec: ExportSpec) -> int: ...

    def max_jobs(self, depth: int) -> int: ...

    def split(self, spec: ExportSpec) -> Optional[List[ExportSpec]]: ...

    def refused(self, spec: ExportSpec, reason: str) -> Optional[List[ExportSpec]]: ...

    def consume(self, job: ExportJob) -> Iterator[Any]: ...

    def on_jobs_changed(self, jobs: List[ExportJob]) -> Iterator[Any]: ...


@dataclass
class LaneState:
    lane: Any
    jobs: Deque[ExportJob] = field(default_factory=deque)
    planned_all: bool = False
    failed: Optional[Exception] = None
    dirty: bool = False  # its pending export ids changed: save them in its state
    failures_in_a_row: int = 0


class ExportScheduler:
    def __init__(self, api: BulkApi, budget: ExportBudget, clock: Clock, logger: logging.Logger, poll_interval: float, depth: int = 4, job_timeout: float = 12 * 3600) -> None:
        self.api = api
        self.budget = budget
        self.clock = clock
        self.logger = logger
        self.poll_interval = max(poll_interval, MIN_POLL_SPACING)
        self.depth = depth
        self.job_timeout = job_timeout
        self.jobs_created = 0
        self.jobs_reused = 0
        self._lanes: List[LaneState] = []
        self._enqueue_blocked_until = 0.0
        self._limit: Optional[Exception] = None
        self._last_heartbeat = clock.monotonic()

    @property
    def limit(self) -> Optional[Exception]:
        """The LimitReached that stopped planning, if any."""
        return self._limit

    def run(self, lanes: List[Any]) -> Iterator[Any]:
        """Yield what the lanes emit while driving jobs to completion; lane failures are kept per lane."""
        self._lanes = [LaneState(lane) for lane in lanes]
        for state in self._lanes:
            state.jobs.extend(state.lane.resume_jobs())
            self.jobs_reused += sum(1 for job in state.jobs if job.export_id)
        while True:
            self.tick()
            yield from self._save_pending()
            progressed = False
            for state in self._lanes:
                if state.failed is None and state.jobs and state.jobs[0].status is JobStatus.COMPLETED:
                    job = state.jobs.popleft()
                    state.dirty = True
                    yield from self._consume(state, job)
                    progressed = True
            if self._done():
                yield from self._save_pending()
                return
            if not progressed:
                self._wait()

    def lane_errors(self) -> List[Exception]:
        return [state.failed for state in self._lanes if state.failed is not None]

    def tick(self) -> None:
        """Poll what is due, then top up Marketo's queue; safe to call between download chunks."""
        self._poll_due()
        self._fill()

    def drain_state(self) -> Iterator[Any]:
        yield from self._save_pending()

    def final_states(self) -> Iterator[Any]:
        for state in self._lanes:
            state.dirty = True
        yield from self._save_pending()

    # --- consuming -------------------------------------------------------------------------

    def _consume(self, state: LaneState, job: ExportJob) -> Iterator[Any]:
        """Emit a completed job's records; a lane's failure stops that lane only (its state stays before it)."""
        try:
            yield from state.lane.consume(job)
        except ExportGone:
            self.logger.warning(f"The file of {job.name()} is gone (expired or never there); exporting the window again.")
            state.jobs.appendleft(ExportJob(job.spec))
        except ExportCorrupt as error:
            if job.attempt >= MAX_ATTEMPTS_PER_WINDOW:
                state.failed = ExportFailed(f"{job.name()}: the file is corrupt again ({error}).")
            else:
                self.logger.warning(f"{job.name()}: {error}; exporting the window again.")
                state.jobs.appendleft(ExportJob(job.spec, attempt=job.attempt + 1))
        except LimitReached:
            raise
        except Exception as error:  # a bad file, a failed request: this lane stops, the others go on
            state.failed = ExportFailed(f"{job.name()}: {error}")
            self.logger.error(f"{state.lane.name} stopped: {state.failed}")

    # --- filling ---------------------------------------------------------------------------

    def _active(self) -> List[ExportJob]:
        return [job for state in self._lanes for job in state.jobs if job.export_id and job.status in (JobStatus.CREATED, JobStatus.QUEUED, JobStatus.PROCESSING)]

    def _fill(self) -> None:
        working = [state for state in self._lanes if state.failed is None]
        for job in [job for state in working for job in state.jobs if job.export_id and job.status is JobStatus.CREATED]:
            if not self._enqueue(job):
                return  # the queue is full: nothing new until a slot frees
        for state in working:
            for job in list(state.jobs):
                if self._limit is not None:
                    return  # a budget stop: start nothing more
                if state.failed is not None:
                    break
                if job not in state.jobs:
                    continue  # dropped by a stop while this loop ran
                if job.export_id is None and len(self._active()) < self.depth:
                    self._create(state, job)
        while len(self._active()) < self.depth and self._limit is None:
            state = self._lane_to_fill()
            if state is None:
                return
            spec = state.lane.peek(self.budget.available() // RESERVE_FACTOR)
            if spec is None:
                state.planned_all = True
                continue
            job = ExportJob(spec)
            state.jobs.append(job)
            created = self._create(state, job, fresh=True)
            if job in state.jobs:
                state.lane.accept(spec)
            if not created:
                return

    def _lane_to_fill(self) -> Optional[LaneState]:
        candidates = [s for s in self._lanes if s.failed is None and not s.planned_all and len(s.jobs) < s.lane.max_jobs(self.depth)]
        return min(candidates, key=lambda s: len(s.jobs), default=None)

    def _create(self, state: LaneState, job: ExportJob, fresh: bool = False) -> bool:
        """Create and enqueue ``job`` if its estimate fits; False when nothing more should start now.
        ``fresh``: just planned (not yet accepted by its lane), so it may be dropped and planned again."""
        estimate = state.lane.estimate(job.spec) * RESERVE_FACTOR
        if estimate > self.budget.available():
            if not self.budget.reserved:
                self._stop_planning(self.budget.limit_reached(f"the next {job.spec.describe()} may take up to {estimate / 2**20:.2f} MB"))
            elif fresh and job is state.jobs[-1]:
                state.jobs.pop()  # running jobs hold reservations: plan it again once they settle
            return False  # otherwise it waits in place, uncreated, until they do
        try:
            decision = self.api.create(job)
        except LimitReached as stop:
            if stop.kind != "exports":
                raise
            state.jobs.remove(job)
            self._stop_planning(stop)  # Marketo's own allocation: let running jobs finish, start none
            return False
        if decision.action is Action.UNSUPPORTED_FILTER:
            state.jobs.remove(job)
            state.lane.unsupported(job.spec, decision.reason)
            return True
        if decision.action is Action.FAIL:
            return self._refused(state, job, decision.reason, decision.code in REFUSALS_WORTH_SPLITTING)
        self.jobs_created += 1
        job.seen_unfinished = True
        self.budget.reserve(job.spec.key, estimate)
        self.logger.info(f"Created {job.name()}.")
        state.dirty = True
        return self._enqueue(job)

    def _refused(self, state: LaneState, job: ExportJob, reason: str, worth_splitting: bool) -> bool:
        """Marketo refused to create the export: ask in smaller parts if that may help and the lane
        knows how (the first part at once: a refusal that has nothing to do with size shows within a
        few calls), else the lane stops with Marketo's words and the other lanes go on."""
        parts = state.lane.refused(job.spec, reason) if worth_splitting else None
        if not parts:
            state.failed = ExportFailed(f"Marketo refused to create the {job.spec.describe()}: {reason}")
            self.logger.error(f"{state.lane.name} stopped: {state.failed}")
            return False
        job.spec = parts[0]
        position = state.jobs.index(job)
        for offset, spec in enumerate(parts[1:], start=1):
            state.jobs.insert(position + offset, ExportJob(spec))
        return self._create(state, job)

    def _stop_planning(self, limit: Exception) -> None:
        """No new job fits today: finish what runs, drop what was not created (planned again next run)."""
        self._limit = limit
        for state in self._lanes:
            state.planned_all = True
            kept: Deque[ExportJob] = deque()
            for job in state.jobs:  # keep the created prefix only: a lane never skips a window
                if not job.export_id:
                    break
                kept.append(job)
            for job in list(state.jobs)[len(kept):]:
                if job.export_id and job.status is not None and not job.status.finished:
                    self.api.cancel(job)  # a cancelled job writes no file, so costs no megabytes
                self.budget.release(job.spec.key)
            while kept and kept[-1].status is JobStatus.CREATED:
                kept.pop()  # never enqueued: it would only wait for a quota that is gone
            state.jobs = kept

    def _enqueue(self, job: ExportJob) -> bool:
        if self.clock.monotonic() < self._enqueue_blocked_until:
            return False
        try:
            decision = self.api.enqueue(job)
        except LimitReached as stop:
            if stop.kind != "exports":
                raise
            self._stop_planning(stop)
            return False
        if decision.action is Action.QUEUE_FULL:
            self.logger.info(f"Marketo's export queue is full (other integrations share it); {job.name()} waits for a free slot.")
            self._enqueue_blocked_until = self.clock.monotonic() + max(self.poll_interval, 1.0)
            return False
        if decision.action is Action.ALREADY_QUEUED:
            job.status = JobStatus.QUEUED
        job.next_poll = self.clock.monotonic() + self.poll_interval
        return True

    # --- polling ---------------------------------------------------------------------------

    def _poll_due(self) -> None:
        now = self.clock.monotonic()
        for state in self._lanes:
            for job in list(state.jobs) if state.failed is None else []:
                if job.export_id and (job.status is None or job.status.active) and job.next_poll <= now:
                    self._poll(state, job)

    def _poll(self, state: LaneState, job: ExportJob) -> None:
        decision = self.api.status(job)
        job.next_poll = self.clock.monotonic() + self.poll_interval
        job.first_polled = job.first_polled or self.clock.monotonic()
        if job.status is not None and job.status.active and self.clock.monotonic() - job.first_polled > self.job_timeout:
            self.api.cancel(job)
            self.budget.release(job.spec.key)
            self._retry_or_split(state, job, f"it was still {job.status.value} after {self.job_timeout / 3600:.0f} hours")
            return
        if decision.action is Action.NOT_FOUND or decision.action is not Action.OK:
            self._retry_or_split(state, job, f"Marketo no longer knows it ({decision.reason})")
            return
        if job.status is JobStatus.COMPLETED:
            state.failures_in_a_row = 0
            # Megabytes of jobs that completed before this run are in the day's total already.
            self.budget.settle(job.spec.key, job.file_size or 0, counts_today=job.seen_unfinished and self._finished_today(job))
        elif job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
            self.budget.release(job.spec.key)
            self._retry_or_split(state, job, f"it ended {job.status.value}" + (f": {job.error}" if job.error else ""))
        else:
            job.seen_unfinished = True
            if job.status is JobStatus.CREATED:
                self._enqueue(job)

    def _finished_today(self, job: ExportJob) -> bool:
        try:
            return job.finished_at is not None and marketo_day(parse_datetime(job.finished_at)) == marketo_day(self.clock.now())
        except ValueError:
            return True

    def _retry_or_split(self, state: LaneState, job: ExportJob, why: str) -> None:
        position = state.jobs.index(job)
        state.failures_in_a_row += 1
        if state.failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
            state.failed = ExportFailed(f"{state.failures_in_a_row} export jobs in a row failed, the last {job.name()}: {why}. Smaller windows did not help; see Marketo's export job list.")
            self.logger.error(str(state.failed))
            return
        if job.attempt < MAX_ATTEMPTS_PER_WINDOW:
            self.logger.warning(f"{job.name()} failed ({why}); exporting the window again.")
            state.jobs[position] = ExportJob(job.spec, attempt=job.attempt + 1)
            state.dirty = True
            return
        halves = state.lane.split(job.spec)
        if halves:
            self.logger.warning(f"{job.name()} failed twice ({why}); splitting the window in two.")
            del state.jobs[position]
            for offset, spec in enumerate(halves):
                state.jobs.insert(position + offset, ExportJob(spec))
            state.dirty = True
            return
        state.failed = ExportFailed(f"Marketo could not export {job.name()}: {why}, after retries and splitting the window.")
        self.logger.error(str(state.failed))

    # --- waiting ---------------------------------------------------------------------------

    def _wait(self) -> None:
        polls = [job.next_poll for state in self._lanes if state.failed is None for job in state.jobs if job.export_id and job.status is not JobStatus.COMPLETED]
        wake = min(polls, default=self.clock.monotonic() + 1.0)
        if self._enqueue_blocked_until:
            wake = min(wake, self._enqueue_blocked_until)
        self._heartbeat()
        self.clock.sleep(max(wake - self.clock.monotonic(), 0.0))

    def _heartbeat(self) -> None:
        """While Marketo works, say so every few minutes: Airbyte takes long silence for a hang."""
        now = self.clock.monotonic()
        if now - self._last_heartbeat < HEARTBEAT_SECONDS:
            return
        self._last_heartbeat = now
        waiting = [f"{job.name()}: {job.status.value if job.status else 'unknown'}" for state in self._lanes for job in state.jobs if job.export_id and job.status is not JobStatus.COMPLETED]
        if waiting:
            self.logger.info("Waiting for Marketo's export jobs: " + "; ".join(waiting[:4]))
            sys.stdout.flush()

    def _done(self) -> bool:
        return all(state.failed is not None or (state.planned_all and not state.jobs) for state in self._lanes)

    def _save_pending(self) -> Iterator[Any]:
        for state in self._lanes:
            if state.dirty:
                state.dirty = False
                yield from state.lane.on_jobs_changed(list(state.jobs))
