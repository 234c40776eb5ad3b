"""When to ask about a processing export: just after it is likely to end, not at an arbitrary second.

Marketo refreshes a job's status at most once a minute and asks clients not to poll more often
(marketo-api.md 6.3), so the scheduler polls each job at most once an interval. Which second of the
interval its polls fall on is free, and with an arbitrary phase a job is seen on average half an
interval after it ends. Most of the time that costs nothing (the next jobs wait in Marketo's queue),
but near the day's export cap the next window is cut only once running jobs settle, and a run's last
file is wall time: there each wait is the user's.

The timer learns how long Marketo takes to process a job of each kind (``finishedAt - startedAt``
against ``numberOfRecords``, Marketo's own timestamps, so no clock has to agree with Marketo's), how
many bytes a row takes and how many rows a reserved byte turns out to be: first from the job lists
the run reads anyway (this API user's completed jobs of the last 7 days), then from this run's own
jobs as they complete. A processing job's expected end is then the local time of its enqueue reply,
plus Marketo's wait before it started (``startedAt - queuedAt``), plus its expected processing time
from its estimated rows. The scheduler shifts the job's polls (never more often, the shift less than
one interval) so that one lands just after that moment. A guess too early costs what the arbitrary
phase costs; one too late can leave a job unseen for up to two intervals, which is why a landing is
made only where, tried on each learned job against the others, it sees jobs clearly sooner.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from typing import Any, Deque, Dict, Mapping, Optional, Sequence, Set, Tuple

from source_marketo.components.bulk.census import ROW_BYTES as CENSUS_ROW_BYTES
from source_marketo.components.bulk.jobs import ExportJob, _int_or_none
from source_marketo.components.bulk.windows import MIN_ESTIMATE
from source_marketo.components.types import parse_datetime

LEARNED_JOBS = 20  # the latest completed jobs the processing time is fitted to
RESERVED_JOBS = 3  # the latest jobs of a kind whose rows per reserved byte undo the reservations' pad
MAX_ROWS = 10 ** 12  # more rows than any export holds: an absurd count (as a float it could overflow)
WORTH_LANDING = 0.4  # a landing must see the jobs it was not fitted to clearly sooner than an arbitrary phase (half a spacing)
ONE_JOB_SECONDS = 5.0  # how soon after its end the other kinds' line must have seen a kind's one job to time its next
SLACK_SECONDS = 2.0  # Marketo's timestamps are whole seconds: land a little after the expected end, not before


Key = Tuple[str, bool]  # (kind, census): a census's rows are one short column, processed at their own speed


class JobTimer:
    def __init__(self, spacing: float) -> None:
        self.spacing = spacing  # how far apart a job's polls come (the poll interval and its margin)
        self._durations: Dict[Key, Deque[Tuple[int, float]]] = {}  # (rows, processing seconds) of the latest jobs
        self._row_bytes: Dict[Key, Tuple[int, int]] = {}  # (bytes, rows) of this run's files
        self._listed_row_bytes: Dict[str, Tuple[int, int]] = {}  # kind: (bytes, rows) of the job lists' files
        self._per_reserved: Dict[Tuple[Key, Tuple[str, ...]], Deque[Tuple[int, int]]] = {}  # by key and fields (a lane): (rows, bytes reserved)
        self._reserved: Dict[Any, int] = {}  # export id: the bytes its expected end was told it reserves
        self._all: Deque[Tuple[Key, int, float]] = deque(maxlen=LEARNED_JOBS)  # the latest jobs of every key
        self._fits: Dict[Tuple[Key, bool], Optional[Tuple[float, float, float]]] = {}  # (key, pooled): the key's own, or the others' jobs
        self._learned: Set[Any] = set()  # export ids already in the durations

    def learn(self, job: ExportJob, reserved: Optional[int] = None) -> None:
        """A completed job of this run (``reserved``: the bytes it reserved): how long it took to process, what
        its rows weigh, and how many rows a reserved byte turned out to be."""
        reserved = self._reserved.pop(job.export_id, reserved)
        key = (job.spec.kind, job.spec.census)
        if not self._learn_duration(key, job.export_id, job.started_at, job.finished_at, job.records):
            return
        if job.records and job.file_size:
            _add(self._row_bytes, key, job.file_size, job.records)
        if job.records and reserved and reserved > MIN_ESTIMATE:
            # A quiet window reserves the floor whatever it holds: it says nothing of the pad (three of them took
            # the rows a reserved byte is to 0, and the next busy job was expected with none).
            self._per_reserved.setdefault((key, job.spec.fields), deque(maxlen=RESERVED_JOBS)).append((job.records, reserved))

    def learn_listed(self, listed: Sequence[Tuple[str, Mapping[str, Any]]]) -> None:
        """(kind, item) of Marketo's job lists, oldest first where they can be ordered. A listed job does not say
        whether it was a census (one short column): it is taken for an export of whole rows."""
        completed = [(kind, item) for kind, item in listed if str(item.get("status") or "").lower() == "completed"]
        for kind, item in sorted(completed, key=lambda entry: str(entry[1].get("finishedAt") or "")):
            records, size = _int_or_none(item.get("numberOfRecords")), _int_or_none(item.get("fileSize"))
            if self._learn_duration((kind, False), item.get("exportId"), item.get("startedAt"), item.get("finishedAt"), records) and records and size:
                _add(self._listed_row_bytes, kind, size, records)

    def _learn_duration(self, key: Key, export_id: Any, started: Any, finished: Any, records: Optional[int]) -> bool:
        seconds = _seconds_between(started, finished)
        if seconds is None or seconds < 0 or records is None or not 0 <= records <= MAX_ROWS or (export_id and export_id in self._learned):
            return False  # unreadable or absurd, or a job already learned (listed, then reused by this run)
        if export_id:
            self._learned.add(export_id)
        self._durations.setdefault(key, deque(maxlen=LEARNED_JOBS)).append((records, seconds))
        self._all.append((key, records, seconds))
        self._fits.clear()  # the key's own fit, and every other key's pooled one
        return True

    def expected_end(self, job: ExportJob, estimate: int) -> Optional[float]:
        """The monotonic time just after which ``job`` (processing, ``estimate`` bytes reserved) is expected to end;
        None where this run has not seen enough to say (the polls keep their phase)."""
        if job.export_id:
            self._reserved[job.export_id] = estimate
        waited = _seconds_between(job.queued_at, job.started_at)
        fit = self._fitted((job.spec.kind, job.spec.census))
        if job.queued_local is None or waited is None or waited < 0 or fit is None:
            return None
        base, per_row, landing = fit
        rows = self._rows(job, estimate) if per_row > 0 else 0.0
        if rows is None:
            return None  # its rows cannot be told from its bytes yet
        end = job.queued_local + waited + base + per_row * rows + landing
        return end if math.isfinite(end) else None  # absurd listed jobs: no landing

    def _rows(self, job: ExportJob, estimate: int) -> Optional[float]:
        """The rows a job reserving ``estimate`` bytes most likely holds. A reservation is padded (1.15 to 4.5 times
        what the window is estimated to take, by how much is known): the rows a reserved byte turned out to be in
        the lane's latest jobs undo the pad; before any, the bytes a row takes."""
        key = (job.spec.kind, job.spec.census)
        latest = self._per_reserved.get((key, job.spec.fields))
        if latest:
            return estimate * sum(rows for rows, _ in latest) / sum(reserved for _, reserved in latest)
        size, counted = self._row_bytes.get(key, (0, 0))
        if not counted:  # a census row is a timestamp; a listed job does not say whether it was a census
            size, counted = (CENSUS_ROW_BYTES, 1) if job.spec.census else self._listed_row_bytes.get(job.spec.kind, (0, 0))
        return estimate / (size / counted) if counted else None

    def _fitted(self, key: Key) -> Optional[Tuple[float, float, float]]:
        """(seconds, seconds a row, how far after the fitted time to land) of a line through the durations of
        ``key`` (Marketo may process a lead row, an activity row and a census row at different speeds), from two
        jobs on. After one (a kind's first jobs in a run), of the other keys' jobs (three or more) where their line
        would have seen the key's one job within seconds of its end; None before any (a guess too late costs up
        to two intervals), and where a landing would not beat the arbitrary phase."""
        learned = self._durations.get(key, ())
        if not learned:
            return None
        pooled = len(learned) == 1
        if (key, pooled) not in self._fits:
            others = [(rows, seconds) for other, rows, seconds in self._all if other != key]
            durations = (others if len(others) >= 3 else []) if pooled else list(learned)
            self._fits[key, pooled] = _fit(durations, self.spacing)
        fit = self._fits[key, pooled]
        if pooled and fit is not None:
            rows, seconds = learned[0]
            before = fit[2] - SLACK_SECONDS - (seconds - fit[0] - fit[1] * rows)  # how long before the landing its one job ended
            if not 0.0 <= before <= ONE_JOB_SECONDS:
                return None  # another speed than the other kinds', or seen only by the poll an interval on
        return fit


def _fit(durations: Sequence[Tuple[int, float]], spacing: float) -> Optional[Tuple[float, float, float]]:
    """A line through (rows, seconds) that one slow job does not move (the median of the slopes between pairs
    of jobs, Theil and Sen's), and the landing after it that would have seen the learned jobs soonest."""
    durations = list(durations)
    if len(durations) < 2:
        return None
    slopes = [(b_seconds - a_seconds) / (b_rows - a_rows) for index, (a_rows, a_seconds) in enumerate(durations)
              for b_rows, b_seconds in durations[index + 1:] if b_rows != a_rows]
    per_row = max(statistics.median(slopes), 0.0) if slopes else 0.0
    base = max(statistics.median(duration - per_row * count for count, duration in durations), 0.0)
    late = [duration - base - per_row * count for count, duration in durations]  # how much later than fitted each took
    # Judged on jobs it was not chosen from (each job against the landing the others give): the best of the
    # learned jobs' own offsets flatters them, one of them always waits 0.
    held_out = sum(_wait(value, _landing(late[:index] + late[index + 1:], spacing), spacing) for index, value in enumerate(late)) / len(late)
    if held_out + SLACK_SECONDS >= spacing * WORTH_LANDING:
        return None  # an arbitrary phase sees a job half a spacing after its end, on average
    return base, per_row, SLACK_SECONDS + _landing(late, spacing)


def _landing(late: Sequence[float], spacing: float) -> float:
    """The offset from the fitted end that would have seen the jobs ``late`` seconds later than fitted soonest,
    on average: a poll lands there and every spacing before and after it. One slow or fast job (a busy queue,
    a retried export) does not hold every landing off, or turn it off."""
    best = min(late, key=lambda offset: sum(_wait(value, offset, spacing) for value in late))
    return (best + spacing / 2) % spacing - spacing / 2  # the same phase, as near the fitted end as it goes


def _wait(value: float, offset: float, spacing: float) -> float:
    """How long after its end a job ``value`` seconds later than fitted is seen by polls ``offset`` after the
    fitted end and every ``spacing`` around it."""
    wait = (offset - value) % spacing
    return 0.0 if wait > spacing - 1e-6 else wait  # a job on the landing, off by rounding, is not a spacing late


def _add(totals: Dict[Any, Tuple[int, int]], key: Any, size: int, rows: int) -> None:
    before = totals.get(key, (0, 0))
    totals[key] = (before[0] + size, before[1] + rows)


def _seconds_between(start: Optional[str], end: Optional[str]) -> Optional[float]:
    if not start or not end:
        return None
    try:
        return (parse_datetime(str(end)) - parse_datetime(str(start))).total_seconds()
    except (TypeError, ValueError, OverflowError):  # OverflowError: an offset that moves it past year 1 or 9999
        return None  # an unreadable time: no landing for this job, its polls keep their phase
