"""The one driver of the bulk path: Marketo's job limits as budgets, jobs made just in time.

Marketo runs 2 export jobs at once and queues at most 10 (its count includes the processing ones
and other integrations' jobs); status refreshes once a minute (marketo-api.md 6.3). So the
scheduler keeps a few of our jobs queued or processing (enough to keep both processing slots busy
while earlier files download), creates each job just before it is enqueued, never more than the
depth, and never one whose estimate does not fit the day's export budget.

It is the only driver: it asks lanes (lane.py) for exports, creates, enqueues and polls them, opens
each completed file and hands its rows to the lane that owns it, and between the lane's batches of
output it services the queue again, outside the lane's error handling. A failure on a job (a call
that failed for good, a bad file) is recorded on the lane that owns the job; the other lanes go on.
Only a daily call limit stops everything. Each lane consumes its completed jobs in order, so its
state only ever moves forward over windows that were fully emitted.
"""

from __future__ import annotations

import logging
import math
import sys
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Callable, ContextManager, Deque, Dict, Iterator, List, Optional

from source_marketo.components.budget import MEGABYTE, ExportBudget, LimitReached, marketo_day, next_reset
from source_marketo.components.bulk.csv_rows import ExportRows
from source_marketo.components.bulk.download import ExportCorrupt, ExportGone
from source_marketo.components.bulk.jobs import BulkApi, ExportJob, JobStatus
from source_marketo.components.bulk.lane import Lane
from source_marketo.components.bulk.timing import SLACK_SECONDS, JobTimer
from source_marketo.components.bulk.windows import DEPTH, PROCESSING_SLOTS, Hold, Room
from source_marketo.components.clock import Clock
from source_marketo.components.errors import Action, Decision, ExportFailed, Limit, user_message
from source_marketo.components.types import parse_datetime

MIN_POLL_SPACING = 0.25  # even with a 0 s poll interval (emulator tests), never a busy loop of status calls
SERVICE_SPACING = 1.0  # between a lane's batches, look at the queue at most this often
HEARTBEAT_SECONDS = 300.0
LATER_POLLS = 5  # our jobs queued behind the two that can be processing are polled 5 times less often
# A poll exactly one refresh interval after the last can still find the status shown then (measured on the
# emulator's clock: a job seen Queued 60 s after its enqueue, so a whole interval late): polls a little later.
REFRESH_MARGIN = 0.02
# The retry ladder (see _after_failure): a failed window is exported again once, then in halves.
MAX_ATTEMPTS_PER_WINDOW = 2
MAX_FAILURES_IN_A_ROW = 6  # then the failures are not about window size: splitting further only burns calls
MAX_REFUSALS = 16  # a refused request asked again in smaller parts: a type list halves to one type well before


@dataclass
class LaneState:
    lane: Any
    jobs: Deque[ExportJob] = field(default_factory=deque)  # planned and not yet read, in window order
    planned_all: bool = False
    failed: Optional[ExportFailed] = None
    dirty: bool = False  # its pending export ids changed: save them in its state
    failures_in_a_row: int = 0


class ExportScheduler:
    def __init__(
        self,
        api: BulkApi,
        open_rows: Callable[[ExportJob], ContextManager[ExportRows]],
        budget: ExportBudget,
        clock: Clock,
        logger: logging.Logger,
        poll_interval: float,
        depth: int = DEPTH,
        job_timeout: float = 12 * 3600,
    ) -> None:
        self.api = api
        self.open_rows = open_rows
        self.budget = budget
        self.clock = clock
        self.logger = logger
        self.poll_interval = max(poll_interval, MIN_POLL_SPACING)
        self.depth = depth
        self.job_timeout = job_timeout
        self.timer = JobTimer(self.poll_interval * (1 + REFRESH_MARGIN))  # the spacing of a processing job's polls
        self.jobs_created = 0
        self.jobs_reused = 0
        self._lanes: List[LaneState] = []
        self._enqueue_blocked_until = 0.0
        self._limit: Optional[LimitReached] = None
        self._deferred: Optional[LimitReached] = None  # a lane left the rest for tomorrow (Hold.TOMORROW); the others went on
        self._deferred_lanes: List[LaneState] = []
        self._day: Optional[date] = None  # the Marketo day this run plans in, and the export budget it began with
        self._day_began: Optional[int] = None
        self._last_heartbeat = clock.monotonic()
        self._last_service = float("-inf")

    @property
    def limit(self) -> Optional[LimitReached]:
        """The export limit that stopped planning, or for which a lane left its rest to tomorrow, if any."""
        return self._limit or self._deferred

    def run(self, lanes: List[Lane]) -> Iterator[Any]:
        """Yield what the lanes emit while driving jobs to completion; lane failures are kept per lane."""
        self._lanes = [LaneState(lane) for lane in lanes]
        for state in self._lanes:
            state.jobs.extend(state.lane.resume())
            for job in state.jobs:
                if job.export_id:  # it may still be running in Marketo: it holds its estimate like any other
                    self.jobs_reused += 1
                    self.budget.reserve(job.key(), state.lane.estimate(job.spec))
            state.dirty = True
        while True:
            self._service()
            yield from self._checkpoints()
            ready = next((state for state in self._lanes if state.failed is None and state.jobs and state.jobs[0].status is JobStatus.COMPLETED), None)
            if ready is not None:
                yield from self._emit(ready)
                continue
            if self._done():
                yield from self._checkpoints()
                return
            self._wait()

    def lane_errors(self) -> List[ExportFailed]:
        return [state.failed for state in self._lanes if state.failed is not None]

    def failed(self, lane: Lane) -> bool:
        return any(state.lane is lane and state.failed is not None for state in self._lanes)

    def final_states(self) -> Iterator[Any]:
        """Every lane's state once more (export ids created since the last checkpoint included)."""
        for state in self._lanes:
            state.dirty = True
        yield from self._checkpoints()

    # --- reading completed exports ------------------------------------------------------------

    def _emit(self, state: LaneState) -> Iterator[Any]:
        """Hand the lane's first (completed) job's rows to it, servicing the queue between its batches.
        Only the lane's own work is inside the error handling: a failure there stops this lane only.
        The job stays first in the lane's queue (so in its saved state) until its rows are all out."""
        job = state.jobs[0]
        batches = self._batches(state, job)
        try:
            while True:
                try:
                    batch = next(batches)
                except StopIteration:
                    state.jobs.popleft()
                    state.failures_in_a_row = 0  # an export read to its end: whatever failed before was not the rule
                    state.dirty = True  # the cursor moved: checkpoint it
                    return
                except LimitReached:
                    raise
                except ExportGone as error:
                    self._after_failure(state, job, f"its file is gone (expired, or never there: {error})")
                    return
                except ExportCorrupt as error:
                    self._after_failure(state, job, f"its file is corrupt ({error})")
                    return
                except Exception as error:  # a bad file or value, a failed request: this lane stops, the others go on
                    self._fail(state, ExportFailed(f"{job.name()}: {user_message(error)}"))
                    return
                yield batch
                if self.clock.monotonic() - self._last_service >= SERVICE_SPACING:
                    self._service()
                    yield from self._checkpoints()
        finally:
            batches.close()

    def _batches(self, state: LaneState, job: ExportJob) -> Iterator[Any]:
        with self.open_rows(job) as rows:
            yield from state.lane.read(job, rows)

    # --- servicing: polls, then the queue topped up ---------------------------------------------

    def _service(self) -> None:
        self._last_service = self.clock.monotonic()
        self._poll_due()
        self._fill()

    def _working(self) -> List[LaneState]:
        return [state for state in self._lanes if state.failed is None]

    def _active(self) -> List[ExportJob]:
        return [job for state in self._lanes for job in state.jobs
                if job.export_id and not job.given_up and job.status in (JobStatus.CREATED, JobStatus.QUEUED, JobStatus.PROCESSING)]

    def _fill(self) -> None:
        self._roll_day()  # past midnight, lanes left to tomorrow plan again (even where no other lane asks for a Room)
        for state in self._working():
            for job in [job for job in state.jobs if job.export_id and job.status is JobStatus.CREATED]:
                if not self._enqueue(state, job):
                    return  # the queue is full: nothing new until a slot frees
        holding: List[LaneState] = []
        while len(self._active()) < self.depth and self._limit is None:
            # First what was planned but not created (waiting for the budget, or the parts of a refused request).
            waiting = next(((state, job) for state in self._working() for job in state.jobs if job.export_id is None), None)
            if waiting is not None:
                if not self._create(*waiting):
                    return
                continue
            candidates = [s for s in self._working() if not s.planned_all and s not in holding]
            state = min(candidates, key=lambda s: len(s.jobs), default=None)
            if state is None:
                return
            try:
                spec = state.lane.next_export(self._room(state))
            except Exception as error:  # a lane's own planning: it stops, the others go on
                self._fail(state, ExportFailed(f"{state.lane.name}: planning the next export failed: {user_message(error)}"))
                continue
            if spec is None:
                state.planned_all = True
            elif spec is Hold.WAIT:
                holding.append(state)
            elif spec is Hold.STOP:
                self._stop_planning(self.budget.limit_reached(f"what is left does not hold the next {state.lane.name} window"))
            elif spec is Hold.TOMORROW:
                state.planned_all = True  # done for today; what runs is read, the others plan on
                self._deferred_lanes.append(state)
                self.logger.info(f"{state.lane.progress()}: the rest is left to tomorrow's export budget, where it takes no more "
                                 "jobs than it would after a window cut to what is left today.")
                self._deferred = self._deferred or self.budget.deferred(
                    f"the rest of {state.lane.name} is left to tomorrow, where a window cut to what is left today would save no job")
            elif spec is Hold.NEVER:
                self._fail(state, ExportFailed(f"{state.lane.progress()}: the next minute of data alone is more than a whole day's "
                                               "export cap holds; raise the daily bulk export limit (Marketo's own is 500 MB)"))
            else:
                state.jobs.append(ExportJob(spec))

    def _room(self, state: LaneState) -> Room:
        self._roll_day()
        return Room(left_today=self.budget.left_today(), reserved=self.budget.reserved, cap=self.budget.cap_bytes,
                    in_flight=len(state.jobs), running=len(self._active()), **self._rest_likely(), tomorrow=self._day_began,
                    until_reset=(next_reset(self.clock.now()) - self.clock.now()).total_seconds())

    def _roll_day(self) -> None:
        """Note the budget the Marketo day began with for this run (what tomorrow is expected to bring: another tool
        that spent some today likely does tomorrow); a run that goes past midnight plans its deferred lanes again."""
        today = marketo_day(self.clock.now())
        if today == self._day:
            return
        if self._day is not None and self._deferred_lanes and self._limit is None:
            for state in self._deferred_lanes:
                state.planned_all = False
            self._deferred_lanes, self._deferred = [], None
        self._day, self._day_began = today, self.budget.left_today()

    def _rest_likely(self) -> Dict[str, Optional[int]]:
        """What every lane most likely has left, to now (``rest_now``) and to a day past now (``rest_likely``); None
        when one cannot tell. Lanes done for the day count too (one that left its rest to tomorrow, and a day of new
        data for each that reached now)."""
        unknown: Dict[str, Optional[int]] = {"rest_now": None, "rest_likely": None}
        now = day = 0
        for state in self._lanes:
            if state.failed is not None:
                return unknown  # the next sync tries it again: what it has left is tomorrow's too, and unknown
            rest_now, rest_day = state.lane.likely_rest(timedelta(0)), state.lane.likely_rest(timedelta(days=1))
            if rest_now is None or rest_day is None:
                return unknown
            now, day = now + rest_now, day + rest_day
        return {"rest_now": now, "rest_likely": day}

    def _create(self, state: LaneState, job: ExportJob) -> bool:
        """Create and enqueue ``job`` if its estimate fits; False when nothing more should start now.
        A refused request is asked for again in the smaller parts its lane proposes (a bounded loop)."""
        estimate = state.lane.estimate(job.spec)
        if estimate > self.budget.available():
            if not self.budget.reserved:
                self._stop_planning(self.budget.limit_reached(f"the next {job.spec.describe()} may take up to {estimate / MEGABYTE:.2f} MB"))
            return False  # it waits in place, uncreated, until running jobs settle
        for _ in range(MAX_REFUSALS):
            decision = self._guard(state, job, "creating it", lambda: self.api.create(job))
            if decision is None:
                return False
            if decision.action is Action.OK:
                break
            asked = self._ask_instead(state, job, decision)
            if asked is None:
                return True  # the lane needs it no more: go on filling
            if not asked:
                return False
        else:
            self._fail(state, ExportFailed(f"Marketo refused the {job.spec.describe()} {MAX_REFUSALS} times, also in smaller parts"))
            return False
        self.jobs_created += 1
        job.seen_unfinished = True
        reserved = state.lane.estimate(job.spec)  # the spec may have changed since the check above
        self.budget.reserve(job.key(), reserved)
        self.logger.info(f"Created {job.name()}; it reserves {reserved / MEGABYTE:.2f} MB of today's export budget until it completes.")
        state.dirty = True
        return self._enqueue(state, job)

    def _ask_instead(self, state: LaneState, job: ExportJob, refusal: Decision) -> Optional[bool]:
        """Marketo refused to create ``job``: ask for what the lane proposes instead, if it can and the
        refusal is one a different request may avoid; else the lane stops with Marketo's words.
        True: ask again; False: the lane stopped; None: the lane needs nothing instead (dropped)."""
        worth_it = refusal.action is Action.UNSUPPORTED_FILTER or refusal.ask_for_less
        instead = state.lane.refused(job.spec, refusal) if worth_it else None
        if instead == []:
            state.jobs.remove(job)
            state.dirty = True
            return None
        if not instead:
            self._fail(state, ExportFailed(f"Marketo refused to create the {job.spec.describe()}: {refusal.reason}"))
            return False
        at = state.jobs.index(job)
        job.spec = instead[0]
        for offset, spec in enumerate(instead[1:], start=1):
            state.jobs.insert(at + offset, ExportJob(spec))
        state.dirty = True
        return True

    def _enqueue(self, state: LaneState, job: ExportJob) -> bool:
        now = self.clock.monotonic()
        if now < self._enqueue_blocked_until:
            return False
        decision = self._guard(state, job, "enqueueing it", lambda: self.api.enqueue(job))
        if decision is None:
            return False
        if decision.action is Action.QUEUE_FULL:
            self.logger.info(f"Marketo's export queue is full (other integrations share it); {job.name()} waits for a free slot.")
            self._enqueue_blocked_until = now + max(self.poll_interval, 1.0)
            return False
        if decision.action is Action.ALREADY_QUEUED:
            job.status = JobStatus.QUEUED
        else:
            job.queued_local = self.clock.monotonic()  # Marketo's queuedAt (this reply's or a status's) is no later
        job.enqueued_at = job.last_polled = now
        return True

    def _guard(self, state: LaneState, job: ExportJob, what: str, call: Callable[[], Decision]) -> Optional[Decision]:
        """One call about ``job``; a failure of it is recorded on ``job``'s lane (None returned). Marketo's
        export allocation stops planning; the daily call limit stops the run (raised)."""
        try:
            return call()
        except LimitReached as stop:
            if stop.kind is not Limit.EXPORTS:
                raise
            self._stop_planning(stop)  # Marketo's own allocation: let running jobs finish, start none
            return None
        except Exception as error:
            if state.failed is not None:  # a stopped lane's job whose status cannot be had: give it up to the next run
                job.given_up = True
                self.budget.release(job.key())
            self._fail(state, ExportFailed(f"{job.name()}: {what} failed: {user_message(error)}"))
            return None

    def _fail(self, state: LaneState, error: ExportFailed) -> None:
        """The lane stops: nothing new is created for it; its jobs already in Marketo keep running there,
        so they keep their reservations and are polled to the end (their ids stay in its state for the
        next run, which reads them without paying again)."""
        if state.failed is None:
            state.failed = error
            self.logger.error(f"{state.lane.name} stopped: {error.message}")
        for job in [job for job in state.jobs if not job.export_id]:
            self.budget.release(job.key())
            state.jobs.remove(job)
        state.dirty = True

    def _stop_planning(self, limit: LimitReached) -> None:
        """No new job fits today: finish what runs, drop what was not created (planned again next run)."""
        self._limit = self._limit or limit
        for state in self._lanes:
            state.planned_all = True
            self._trim(state)

    def _trim(self, state: LaneState) -> None:
        """After a stop: keep the lane's created prefix only (a lane never skips a window), cancel created
        jobs after a gap, drop created jobs never enqueued; what is dropped gives back its reservation."""
        kept: Deque[ExportJob] = deque()
        for job in state.jobs:
            if not job.export_id:
                break
            kept.append(job)
        for job in list(state.jobs)[len(kept):]:
            if job.export_id and job.status is not None and not job.status.finished:
                self._cancel(job)  # a cancelled job writes no file, so costs no megabytes
            self.budget.release(job.key())
        while kept and kept[-1].status is JobStatus.CREATED:
            self.budget.release(kept.pop().key())  # never enqueued: it would only wait for a quota that is gone
        state.jobs = kept
        state.dirty = True

    def _cancel(self, job: ExportJob) -> None:
        try:
            self.api.cancel(job)
        except LimitReached:
            raise
        except Exception as error:  # it only costs megabytes if it completes; nothing to stop for
            self.logger.warning(f"Could not cancel {job.name()}: {user_message(error)}")

    # --- polling -------------------------------------------------------------------------------

    def _polls_due(self) -> List[tuple]:
        """(due time, lane, job) of our unfinished jobs. Marketo processes queued jobs in the order they
        were enqueued, so only our two oldest can be processing: the others are polled less often."""
        jobs = sorted(((job.enqueued_at, state, job) for state in self._lanes for job in state.jobs
                       if job.export_id and not job.given_up and (job.status is None or job.status.active)), key=lambda entry: entry[0])
        due = []
        for rank, (_, state, job) in enumerate(jobs):
            spacing = self.poll_interval * (1 if rank < PROCESSING_SLOTS else LATER_POLLS) * (1 + REFRESH_MARGIN)
            at = job.last_polled + spacing if job.status is not None else 0.0
            if job.status is JobStatus.PROCESSING and job.expected_end is not None and job.expected_end > at:
                # As often as before, but on the phase that puts one poll just after the expected end (timing.py).
                # A phase poll that came up to SLACK_SECONDS before the earliest allowed time is made at that time:
                # a poll sent a little late (another job's reply, a batch) does not put the next one off a spacing.
                phase = job.expected_end - spacing * math.floor((job.expected_end - at) / spacing + SLACK_SECONDS / spacing)
                at = max(at, phase)
            due.append((at, state, job))
        return due

    def _poll_due(self) -> None:
        now = self.clock.monotonic()
        for due, state, job in self._polls_due():
            if due <= now and job in state.jobs:  # a failed lane's jobs too: until they end, they use the budget
                self._poll(state, job)

    def _poll(self, state: LaneState, job: ExportJob) -> None:
        job.last_polled = self.clock.monotonic()  # when it was asked: the next poll is an interval after that, whatever the reply took
        decision = self._guard(state, job, "asking its status", lambda: self.api.status(job))
        now = self.clock.monotonic()
        if decision is None:
            return
        job.first_polled = job.first_polled or now
        if decision.action is Action.OK and job.status is JobStatus.COMPLETED:
            self.timer.learn(job, self._reserved(state, job))
        elif decision.action is Action.OK and job.status is JobStatus.PROCESSING and job.expected_end is None:
            reserved = self._reserved(state, job)
            job.expected_end = self._expected_end(job, reserved) if reserved is not None else None
        if job.status is JobStatus.COMPLETED and decision.action is Action.OK:
            # Megabytes of jobs that completed before this run are in the day's total already.
            self.budget.settle(job.key(), job.file_size or 0, counts_today=job.seen_unfinished and self._finished_today(job))
        elif state.failed is not None:
            if decision.action is not Action.OK or job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
                self.budget.release(job.key())  # over for good: nothing more to wait for
                state.jobs.remove(job)
        elif job.status is not None and job.status.active and now - job.first_polled > self.job_timeout:
            self._cancel(job)
            self._after_failure(state, job, f"it was still {job.status.value} after {self.job_timeout / 3600:.0f} hours")
        elif decision.action is not Action.OK:
            self._after_failure(state, job, f"Marketo no longer knows it ({decision.reason})")
        elif job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
            self._after_failure(state, job, f"it ended {job.status.value}" + (f": {job.error}" if job.error else ""))
        else:
            job.seen_unfinished = True
            if job.status is JobStatus.CREATED and self._limit is None:
                self._enqueue(state, job)

    def _reserved(self, state: LaneState, job: ExportJob) -> Optional[int]:
        try:
            return state.lane.estimate(job.spec)
        except Exception:  # only when to poll depends on it (timing.py): the polls keep their phase
            return None

    def _expected_end(self, job: ExportJob, reserved: int) -> Optional[float]:
        try:
            return self.timer.expected_end(job, reserved)
        except Exception:  # only when to poll depends on it: the polls keep their phase
            return None

    def _finished_today(self, job: ExportJob) -> bool:
        try:
            return job.finished_at is not None and marketo_day(parse_datetime(str(job.finished_at))) == marketo_day(self.clock.now())
        except (TypeError, ValueError):
            return True  # an unreadable time: count it today (the cautious side of the cap)

    def _after_failure(self, state: LaneState, job: ExportJob, why: str) -> None:
        """The retry ladder, in one place, for every way an export can fail (ended Failed or Cancelled,
        unknown to Marketo, stuck, its file gone or corrupt): it is exported once more; failing again,
        in halves (its lane's split); a lane whose exports failed MAX_FAILURES_IN_A_ROW times in a row,
        or whose window cannot be split further, stops. After a budget stop, nothing new is created."""
        self.budget.release(job.key())
        position = state.jobs.index(job)
        state.failures_in_a_row += 1
        state.dirty = True
        if state.failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
            self._fail(state, ExportFailed(f"{state.failures_in_a_row} export jobs in a row failed, the last {job.name()}: {why}. "
                                           "Smaller windows did not help; see Marketo's export job list."))
            state.jobs.remove(job)
            return
        if job.attempt < MAX_ATTEMPTS_PER_WINDOW:
            self.logger.warning(f"{job.name()} failed ({why}); exporting the window again.")
            state.jobs[position] = ExportJob(job.spec, attempt=job.attempt + 1)
        else:
            try:
                halves = state.lane.halves(job.spec)
            except Exception as error:
                halves, why = None, f"{why}; splitting it failed: {user_message(error)}"
            if not halves:
                self._fail(state, ExportFailed(f"Marketo could not export {job.name()}: {why}, after retries and splitting the window."))
                state.jobs.remove(job)
                return
            self.logger.warning(f"{job.name()} failed twice ({why}); splitting the window in two.")
            del state.jobs[position]
            for offset, spec in enumerate(halves):
                state.jobs.insert(position + offset, ExportJob(spec))
        if self._limit is not None:
            self._trim(state)  # a stop came first: what is not created waits for the next run

    # --- waiting -------------------------------------------------------------------------------

    def _wait(self) -> None:
        now = self.clock.monotonic()
        wakes = [due for due, _, _ in self._polls_due()]
        if self._enqueue_blocked_until > now:
            wakes.append(self._enqueue_blocked_until)
        wake = min(wakes, default=now + 1.0)
        self._heartbeat()
        self.clock.sleep(max(wake - now, 0.0))

    def _heartbeat(self) -> None:
        """While Marketo works, say so every few minutes: Airbyte takes long silence for a hang."""
        now = self.clock.monotonic()
        if now - self._last_heartbeat < HEARTBEAT_SECONDS:
            return
        self._last_heartbeat = now
        waiting = [f"{job.name()}: {job.status.value if job.status else 'unknown'}" for state in self._lanes for job in state.jobs if job.export_id and job.status is not JobStatus.COMPLETED]
        progress = "; ".join(state.lane.progress() for state in self._lanes)
        self.logger.info(f"Progress: {progress}. Waiting for Marketo's export jobs: " + ("; ".join(waiting[:4]) or "none"))
        sys.stdout.flush()

    def _done(self) -> bool:
        return all(state.failed is not None or (state.planned_all and not state.jobs) for state in self._lanes)

    def _checkpoints(self) -> Iterator[Any]:
        for state in self._lanes:
            if state.dirty:
                state.dirty = False
                yield from state.lane.checkpoint(list(state.jobs))

