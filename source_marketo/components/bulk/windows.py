"""Date windows of a bulk lane: where to start, how big, and which saved exports can be reused.

Marketo limits a bulk export's date filter to 31 days (marketo-api.md 6.2) and meters the day's
500 MB on file size (6.3). A window's size is the configured one, made smaller when the bytes a
day of data takes (learned from earlier exports of this lane, kept in state) say the remaining
budget would not hold it. With nothing learned yet, the first window is one day (less if the budget is small): a cheap
probe; after it windows grow by doubling at most, so a quiet stretch does not license a huge export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence, Tuple

from source_marketo.components.bulk.jobs import ExportJob, ExportSpec, Window
from source_marketo.components.types import format_datetime, parse_datetime

MIN_WINDOW = timedelta(minutes=10)
PROBE_WINDOW = timedelta(days=1)
SAFETY = 1.5  # estimates are this much above the learned rate
MIN_ESTIMATE = 64 * 1024

Group = Optional[Tuple[int, ...]]  # the activity types of one export; None: the lane's one export per window


@dataclass
class WindowPlan:
    """Plans consecutive windows from ``position`` to ``end``; ``cursor`` is the last fully emitted window end."""

    start: datetime
    end: datetime
    max_window: timedelta
    prior_bytes_per_day: float  # a cautious guess used until this lane has exported something
    bytes_per_day: Optional[float] = None
    saved: List[Dict[str, Any]] = field(default_factory=list)  # pending exports from the last state
    position: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.position = self.start
        self.group_starts: Dict[Group, datetime] = {}  # where resumable() began each group's chain
        self._last_size: Optional[timedelta] = None

    def peek(self, available_bytes: int) -> Optional[Window]:
        if self.position >= self.end:
            return None
        size = self._size_for(available_bytes)
        return Window(self.position, min(self.position + size, self.end))

    def accept(self, window: Window) -> None:
        self.position = max(self.position, window.end)
        self._last_size = window.end - window.start

    def max_jobs(self, depth: int) -> int:
        """One job at a time until a finished export has shown how big a day of data is."""
        return depth if self.bytes_per_day is not None else 1

    def estimate(self, window: Window) -> int:
        rate = self.bytes_per_day if self.bytes_per_day is not None else self.prior_bytes_per_day
        return max(int(rate * window.days * SAFETY), MIN_ESTIMATE)

    def learn(self, window: Window, file_size: Optional[int], records: Optional[int] = None) -> None:
        """Cautious: a busy window raises the rate at once; a quiet one lowers it by half at most.
        An empty export (a header only) says nothing about how big a day of data is."""
        if file_size is None or window.days <= 0 or records == 0:
            return
        rate = file_size / max(window.days, MIN_WINDOW.total_seconds() / 86400)
        self.bytes_per_day = rate if self.bytes_per_day is None else max(rate, self.bytes_per_day * 0.5)

    def split(self, window: Window) -> Optional[List[Window]]:
        if window.end - window.start < 2 * MIN_WINDOW:
            return None
        middle = window.start + (window.end - window.start) / 2
        middle = middle.replace(microsecond=0)
        return [Window(window.start, middle), Window(middle, window.end)]

    def resumable(self, make_spec, cursor: Optional[datetime] = None, groups: Sequence[Group] = (None,), ahead: Optional[Dict[Group, datetime]] = None) -> List[ExportJob]:
        """Saved exports that continue the plan without a gap and still match what would be asked now.

        A saved chain starts where the last run's emitted windows ended (``cursor``): reusing it skips
        this run's lookback, which is cheaper than paying for those exports again. A lane that exports
        its activity types in groups (activities.py) saves one chain per group, interleaved, each
        starting where its group was emitted to (``ahead``, when past the cursor); a group whose chain
        ends early gets new exports up to where the longest one ends, so no window misses a group.
        ``make_spec(window, group)`` builds what would be asked now.
        """
        jobs: List[ExportJob] = []
        reached = {group: self.position for group in groups}
        if self.saved and cursor is not None and self.saved[0].get("start"):
            first, group = parse_datetime(self.saved[0]["start"]), entry_group(self.saved[0])
            begins = {each: max(cursor, (ahead or {}).get(each) or cursor) for each in groups}
            if group in begins and first.replace(microsecond=0) == begins[group].replace(microsecond=0):  # the cursor is kept to the second
                reached = {**begins, group: first}
        self.group_starts = dict(reached)
        for entry in self.saved:
            group = entry_group(entry)
            if group not in reached or not entry.get("export_id"):
                break
            window = Window.from_state(entry)
            spec: ExportSpec = make_spec(window, group)
            if window.start != reached[group] or entry.get("key") != spec.key:
                break
            jobs.append(ExportJob(spec, export_id=str(entry["export_id"]), reused=True))
            reached[group] = window.end
        self.saved = []
        if jobs:
            self.position = max(reached.values())
            for group, position in reached.items():
                while position < self.position:
                    end = min(position + self.max_window, self.position)
                    jobs.append(ExportJob(make_spec(Window(position, end), group)))
                    position = end
        return jobs

    def _size_for(self, available_bytes: int) -> timedelta:
        """The configured window, or less: what the budget affords at the learned rate (at the cautious
        prior rate until an export with data has been seen)."""
        if self.bytes_per_day is None:  # nothing learned: the cautious prior rate, after a one-day probe
            rate = self.prior_bytes_per_day
            size = min(self.max_window, PROBE_WINDOW) if self._last_size is None else self.max_window
        else:
            rate = max(self.bytes_per_day, 1.0)
            size = self.max_window
        affordable_days = min(available_bytes / (rate * SAFETY), self.max_window.days + 1.0)  # no timedelta overflow
        size = min(size, timedelta(days=affordable_days))
        tight = rate * SAFETY * size.total_seconds() / 86400 > available_bytes / 10
        if self.bytes_per_day is not None and tight and self._last_size is not None:
            size = min(size, 2 * self._last_size)  # near the cap, grow by doubling: the rate may be rising
        return max(timedelta(seconds=int(size.total_seconds())), MIN_WINDOW)  # whole seconds, as Marketo and the cursor keep them


def saved_exports(jobs: List[ExportJob], grouped: bool = False) -> List[Dict[str, Any]]:
    """The created jobs of a lane, in order, as state entries (for reuse by the next run); a lane
    that exports its types in groups notes each export's types."""
    entries = []
    for job in jobs:
        if not job.export_id:
            break
        entry: Dict[str, Any] = {**job.spec.window.to_state(), "export_id": job.export_id, "key": job.spec.key}
        if grouped and job.spec.activity_type_ids:
            entry["type_ids"] = list(job.spec.activity_type_ids)
        entries.append(entry)
    return entries


def entry_group(entry: Dict[str, Any]) -> Group:
    return int_tuple(entry.get("type_ids"))


def int_tuple(value: Any) -> Group:
    """A non-empty list of integers (as saved in state) as a tuple; None for anything else."""
    if not isinstance(value, list) or not value:
        return None
    try:
        return tuple(int(item) for item in value)
    except (TypeError, ValueError):
        return None


def resume_point(settings: Any, moment: Optional[datetime]) -> datetime:
    """Where reading resumes: ``moment`` (a cursor, a scan's checkpoint) less the lookback, never
    before the start date; the start date when nothing was read yet."""
    return settings.start_date if moment is None else max(settings.start_date, moment - settings.lookback)


def parse_cursor(value: Any) -> Optional[datetime]:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def cursor_text(moment: datetime) -> str:
    return format_datetime(moment.replace(microsecond=0))
