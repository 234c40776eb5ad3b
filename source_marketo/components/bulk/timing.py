"""When to ask about a processing export: just after it is likely to end, not at an arbitrary second.

Marketo refreshes a job's status at most once a minute and asks clients not to poll more often
(marketo-api.md 6.3), so the scheduler polls each job at most once an interval. Which second of the
interval its polls fall on is free, and with an arbitrary phase a job is seen on average half an
interval after it ends. Most of the time that costs nothing (the next jobs wait in Marketo's queue),
but near the day's export cap the next window is cut only once running jobs settle, and a run's last
file is wall time: there each wait is the user's.

The timer learns how long Marketo takes to process a job (``finishedAt - startedAt`` against
``numberOfRecords``, Marketo's own timestamps, so no clock has to agree with Marketo's) and how many
bytes a row of each kind of export takes: first from the job lists the run reads anyway (this API
user's completed jobs of the last 7 days), then from this run's own jobs as they complete. A processing job's
expected end is then the local time of its enqueue reply, plus Marketo's wait before it started
(``startedAt - queuedAt``), plus its expected processing time from its estimated rows. The scheduler
shifts the job's polls (never more often, never later than one interval) so that one lands just
after that moment: a wrong guess costs at most what the arbitrary phase costs.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, Deque, Dict, Mapping, Optional, Sequence, Set, Tuple

from source_marketo.components.bulk.census import ROW_BYTES as CENSUS_ROW_BYTES
from source_marketo.components.bulk.jobs import ExportJob, _int_or_none
from source_marketo.components.types import parse_datetime

LEARNED_JOBS = 20  # the latest completed jobs the processing time is fitted to
SLACK_SECONDS = 2.0  # Marketo's timestamps are whole seconds: land a little after the expected end, not before


class JobTimer:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._durations: Deque[Tuple[int, float]] = deque(maxlen=LEARNED_JOBS)  # (rows, processing seconds)
        self._row_bytes: Dict[Tuple[str, bool], Tuple[int, int]] = {}  # (kind, census): (bytes, rows) of this run's files
        self._listed_row_bytes: Dict[str, Tuple[int, int]] = {}  # kind: (bytes, rows) of the job lists' files
        self._fit: Optional[Tuple[float, float, float]] = None
        self._learned: Set[Any] = set()  # export ids already in the durations

    def learn(self, job: ExportJob) -> None:
        """A completed job of this run: how long it took to process, and what its rows weigh."""
        if self._learn_duration(job.export_id, job.started_at, job.finished_at, job.records) and job.records and job.file_size:
            _add(self._row_bytes, (job.spec.kind, job.spec.census), job.file_size, job.records)

    def learn_listed(self, listed: Sequence[Tuple[str, Mapping[str, Any]]]) -> None:
        """(kind, item) of Marketo's job lists, oldest first where they can be ordered. A listed job does not say
        whether it was a census (one short column), so its rows' bytes serve only exports of whole rows."""
        completed = [(kind, item) for kind, item in listed if str(item.get("status") or "").lower() == "completed"]
        for kind, item in sorted(completed, key=lambda entry: str(entry[1].get("finishedAt") or "")):
            records, size = _int_or_none(item.get("numberOfRecords")), _int_or_none(item.get("fileSize"))
            if self._learn_duration(item.get("exportId"), item.get("startedAt"), item.get("finishedAt"), records) and records and size:
                _add(self._listed_row_bytes, kind, size, records)

    def _learn_duration(self, export_id: Any, started: Any, finished: Any, records: Optional[int]) -> bool:
        seconds = _seconds_between(started, finished)
        if seconds is None or seconds < 0 or records is None or records < 0 or (export_id and export_id in self._learned):
            return False  # unreadable, or a job already learned (listed, then reused by this run)
        if export_id:
            self._learned.add(export_id)
        self._durations.append((records, seconds))
        self._fit = None
        return True

    def expected_end(self, job: ExportJob, estimate: int) -> Optional[float]:
        """The monotonic time just after which ``job`` (processing, ``estimate`` bytes) is expected to end;
        None where this run has not seen enough to say (the polls keep their phase)."""
        waited = _seconds_between(job.queued_at, job.started_at)
        fit = self._fitted()
        if job.queued_local is None or waited is None or waited < 0 or fit is None:
            return None
        base, per_row, spread = fit
        rows = 0.0
        if per_row > 0:
            size, counted = self._row_bytes.get((job.spec.kind, job.spec.census), (0, 0))
            if not counted:  # a census row is a timestamp; a listed job does not say whether it was a census
                size, counted = (CENSUS_ROW_BYTES, 1) if job.spec.census else self._listed_row_bytes.get(job.spec.kind, (0, 0))
            if not counted:
                return None  # its rows cannot be told from its bytes yet
            rows = estimate / (size / counted)
        end = job.queued_local + waited + base + per_row * rows + spread
        return end if math.isfinite(end) else None  # absurd listed jobs: no landing

    def _fitted(self) -> Optional[Tuple[float, float, float]]:
        """(seconds, seconds a row, how far after the fitted time to land) of a line through the durations,
        from two jobs on; None where the durations scatter too widely for a landing to beat the arbitrary phase."""
        if self._fit is None and len(self._durations) >= 2:
            rows = [float(count) for count, _ in self._durations]
            seconds = [duration for _, duration in self._durations]
            mean_rows, mean_seconds = sum(rows) / len(rows), sum(seconds) / len(seconds)
            spread_rows = sum((count - mean_rows) ** 2 for count in rows)
            per_row = sum((count - mean_rows) * (duration - mean_seconds) for count, duration in zip(rows, seconds)) / spread_rows if spread_rows else 0.0
            per_row = max(per_row, 0.0)
            base = max(mean_seconds - per_row * mean_rows, 0.0)
            residual = max(abs(duration - base - per_row * count) for count, duration in zip(rows, seconds))
            self._fit = (base, per_row, SLACK_SECONDS + residual)
        if self._fit is None or self._fit[2] > self.interval / 2:
            return None
        return self._fit


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
