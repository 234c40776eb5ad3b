"""What the leads and activities lanes share, and the protocol the scheduler drives them through.

A lane never calls the scheduler: the scheduler asks it for the next export, tells it what Marketo
refused or failed, hands it each completed file's rows, and asks for its state. Its windows come
from a WindowPlan; each window is exported in one or more parts (``parts()``; each part's request
from the lane's ``_spec``). A part is named by the activity types its export lists (None: the
lane's one export per window). A lane's cursor may pass a window only when every part of it has
been emitted: ``_emitted`` keeps how far each key (``_keys_of(part)``) got in this run, and the
least of them is where the lane is.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Dict, Iterator, List, Optional, Protocol, Tuple, Union

from source_marketo.components.bulk.census import ROW_BYTES, read_census
from source_marketo.components.bulk.csv_rows import ExportRows
from source_marketo.components.bulk.jobs import ExportJob, ExportSpec, Window
from source_marketo.components.bulk.survey import Survey
from source_marketo.components.bulk.records import Edge
from source_marketo.components.bulk.windows import CENSUS_RISK, Group, Hold, Room, WindowPlan, cursor_text
from source_marketo.components.errors import Decision, ExportFailed


class Lane(Protocol):
    """How the scheduler (scheduler.py) drives a lane."""

    name: str

    def resume(self) -> List[ExportJob]:
        """Saved exports of an earlier run to reuse, in order (with any made-up parts they need)."""

    def next_export(self, room: Room) -> Union[ExportSpec, Hold, None]:
        """The next export to create (the lane moves on), a Hold, or None when all are handed out."""

    def estimate(self, spec: ExportSpec) -> int:
        """The bytes a job of ``spec`` reserves of the day's budget until it completes."""

    def refused(self, spec: ExportSpec, decision: Decision) -> Optional[List[ExportSpec]]:
        """Marketo refused to create ``spec``: the exports to ask for instead, or None (the lane stops)."""

    def halves(self, spec: ExportSpec) -> Optional[List[ExportSpec]]:
        """``spec`` failed twice: the same request over smaller windows, or None (the lane stops)."""

    def read(self, job: ExportJob, rows: ExportRows) -> Iterator[Any]:
        """The output of a completed export, in batches; the lane's cursor moves when it is exhausted."""

    def checkpoint(self, jobs: List[ExportJob]) -> Iterator[Any]:
        """State messages for the lane's streams, with ``jobs`` (its exports not yet read) kept for reuse."""

    def progress(self) -> str:
        """Where the lane is, in a few words, for the heartbeat and a stop's message."""

    def likely_rest(self, past_now: timedelta) -> Optional[int]:
        """What is left to plan most likely holds, in bytes, to ``past_now`` after now (None: the lane cannot tell)."""


class PlannedLane:
    """The part of the protocol that only depends on the window plan and the parts of a window."""

    name = "lane"
    plan: WindowPlan
    cursor: datetime  # where the lane's streams are emitted to (a lane that takes censuses keeps one)
    census_risk = CENSUS_RISK  # a lane whose newest data no survey sampled takes a census at a higher risk

    def _begin(self, start: datetime) -> None:
        """Call once the plan is made: nothing emitted yet, from ``start`` on."""
        self._start = start  # where the lane's plan begins (moved by a survey's skip)
        self._emitted: Dict[Any, datetime] = {}
        self._ends: Dict[Any, datetime] = {}  # where a window was emitted up to, this run
        self._end_ids: Dict[Any, frozenset] = {}  # the records that window had at its very end (Edge.at_end)
        self._window: Optional[Window] = None  # the window being handed out part by part
        self._window_parts: List[Group] = []
        self.survey: Optional[Survey] = None
        self._census_pending = False

    def parts(self) -> List[Group]:
        return [None]

    def _keys_of(self, part: Group) -> Tuple[Any, ...]:
        return (part,)

    def _spec(self, window: Window, part: Group = None) -> ExportSpec:
        raise NotImplementedError

    def census_column(self) -> Optional[str]:
        """The timestamp a census of this lane lists (None: the lane takes no census)."""
        return None

    def _read_export(self, job: ExportJob, rows: ExportRows) -> Iterator[Any]:
        raise NotImplementedError

    def read(self, job: ExportJob, rows: ExportRows) -> Iterator[Any]:
        if job.spec.census:
            self.plan.census = read_census(rows, self.census_column() or "", job.spec.window)
            self._census_pending = False
            if not self.plan.census.total and job.records == 0 and self.plan.position == job.spec.window.start:  # Marketo says none too
                self._counted_empty(job)
            return iter(())
        return self._read_export(job, rows)

    def _counted_empty(self, job: ExportJob) -> None:
        """A census that counted no rows: an export of its span (the same filter) would hold none either, and a
        record changed since has moved past it, to a later window. The span is done without that export (the
        lane's files are read in order: every window before it was emitted). At the end of a capped first
        sync, the span past the sample was counted, found empty, and exported again for nothing."""
        self._check_continuity(job)
        self.plan.position = max(self.plan.position, job.spec.window.end)
        self.cursor = max(self.cursor, self._advance(job))

    def next_export(self, room: Room) -> Union[ExportSpec, Hold, None]:
        if self._census_pending:
            return Hold.WAIT  # the census says how to cut the next windows
        if self._window is None and self.census_column() and self.plan.census_due(room, self.census_risk):
            # A census due now is taken even where the window it cuts may then be left to tomorrow: its counts are
            # kept in the state, and tomorrow's fuller budget would not ask for one (a review: a mass update two days
            # into the rest, skipped today, was exported blind the next day, 3.6 MB over a 10 MB cap).
            census = self._census_that_fits(room)
            if census is not None:
                self._census_pending = True
                return census
        if self._window is None:
            window = self.plan.next_window(room, self.census_risk)
            if not isinstance(window, Window):
                return window
            self._window, self._window_parts = window, list(self.parts())
        window, part = self._window, self._window_parts.pop(0)
        if not self._window_parts:
            self._window = None
        return self._spec(window, part)

    def _census_that_fits(self, room: Room) -> Optional[ExportSpec]:
        """A census of the next span, or of its first half (and so on) when the whole one would not fit
        what is free today: windows are then cut from counted rows, never from a rate that a burst of
        updates has inflated (going on without one overran the cap, or stopped the lane every day)."""
        span: Optional[Window] = self.plan.next_span()
        while span is not None:
            census = self._census_spec(span)
            if self.estimate(census) <= room.free:
                return census
            halves = self.plan.split(span)
            span = halves[0] if halves else None
        return None

    def _census_spec(self, span: Window) -> ExportSpec:
        return replace(self._spec(span, None), fields=(self.census_column(),), census=True)

    def estimate(self, spec: ExportSpec) -> int:
        if spec.census:  # one short column instead of whole rows: the rows the window is estimated to hold
            return max(int(self.plan.estimate(spec.window) * census_row_share(self.plan.bytes_per_row) * 1.5), 64 * 1024)
        return self.plan.estimate(spec.window)

    def likely_rest(self, past_now: timedelta) -> Optional[int]:
        if self._window is not None:
            return None  # a window handed out part by part: its other parts are not in the plan's position
        return self.plan.likely_rest(self.plan.end + past_now)

    def halves(self, spec: ExportSpec) -> Optional[List[ExportSpec]]:
        """The same request over each half of the window (fields, filter, types unchanged); a census
        that fails twice counts the first half only (it is read once)."""
        halves = self.plan.split_export(spec.window)
        if not halves:
            return None
        return [replace(spec, window=halves[0])] if spec.census else [replace(spec, window=window) for window in halves]

    def refused(self, spec: ExportSpec, decision: Decision) -> Optional[List[ExportSpec]]:
        return None

    def progress(self) -> str:
        through = self._through()
        total = (self.plan.end - self._start).total_seconds()
        done = 100.0 if total <= 0 else max(0.0, min(100.0, 100 * (through - self._start).total_seconds() / total))
        return f"{self.name} through {cursor_text(through)} ({done:.0f}% of {cursor_text(self._start)}..{cursor_text(self.plan.end)})"

    # --- progress ---------------------------------------------------------------------------

    def _resume(self, cursor: Optional[datetime], ahead: Optional[Dict[Group, datetime]] = None) -> List[ExportJob]:
        """The saved exports this run can reuse (per part). A reused chain continues where the last
        run's emitted windows ended; the lookback before it (where Marketo may have written late since
        those exports were made) is exported again first, in one small export per part."""
        start = self.plan.position
        span = (cursor - start) if cursor is not None and cursor > start else None  # the lookback
        jobs = self.plan.resumable(self._spec, cursor, self.parts(), ahead)
        lookback: List[ExportJob] = []
        for part, begins in self.plan.group_starts.items():
            again = max(start, begins - span) if jobs and span else begins
            if again < begins:
                lookback.append(ExportJob(self._spec(Window(again, begins), part)))
            for key in self._keys_of(part):
                self._emitted[key] = max(self._emitted_to(key), again)
        return lookback + jobs + self._saved_census()

    def _saved_census(self) -> List[ExportJob]:
        """The census the last run created but did not read (it stopped first), when the plan resumes where
        it begins: its file is read instead of paying for the same census again."""
        entry = self.plan.saved_census
        if entry is None or not self.census_column():
            return []
        try:
            window = Window.from_state(entry)
        except (KeyError, TypeError, ValueError, AttributeError):
            return []  # not in its shape: counted again if needed
        spec = self._census_spec(window)
        if window.start.replace(microsecond=0) != self.plan.position.replace(microsecond=0) or entry.get("key") != spec.key:
            return []
        self._census_pending = True
        return [ExportJob(spec, export_id=str(entry["export_id"]), reused=True)]

    def far_behind(self) -> bool:
        """More than two full windows to export: a first sync, or one long behind (worth a survey)."""
        return self.plan.end - self.plan.position > 2 * self.plan.max_window

    def apply(self, survey: Survey) -> None:
        """Plan from the survey's evidence: start where the data begins, size windows by its density."""
        self.survey = survey
        if survey.bytes_per_day is not None:
            self.plan.evidence = survey.bytes_per_day
        if self.plan.bytes_per_row is None and survey.bytes_per_row:
            self.plan.bytes_per_row = survey.bytes_per_row * 1.25  # a REST row's values, not yet a CSV row: a margin
        self.skip_to(survey.start_for(self.plan.position, self.plan.end))

    def take_sample(self) -> None:
        """Before a backfill: what the lane can learn cheaply about how its windows fill (leads.py)."""

    def skip_to(self, moment: datetime) -> None:
        self._skip_to(moment)

    def _skip_to(self, moment: datetime) -> None:
        """Nothing exists before ``moment`` (the survey says so): the lane starts there, as if emitted."""
        self.plan.begin_at(moment)
        self._start = max(self._start, self.plan.start)  # every part, in any mode, begins here
        for part in self.parts():
            for key in self._keys_of(part):
                self._emitted[key] = max(self._emitted_to(key), self.plan.start)

    def _emitted_to(self, key: Any) -> datetime:
        return self._emitted.get(key, self._start)

    def _through(self) -> datetime:
        return min(self._emitted_to(key) for part in self.parts() for key in self._keys_of(part))

    def _check_continuity(self, job: ExportJob) -> None:
        """Never emit past a gap: the cursor would skip it for good."""
        behind = [key for key in self._keys_of(job.spec.activity_type_ids) if (job.spec.window.start - self._emitted_to(key)).total_seconds() > 1]
        if behind:
            reached = cursor_text(min(self._emitted_to(key) for key in behind))
            raise ExportFailed(f"{job.name()} starts after {behind} was emitted only to {reached}; stopping so that no window is skipped")

    def _edge(self, job: ExportJob) -> Edge:
        """``job``'s window instants as the export writes them, and the records the window before (which
        ends at this one's start, and was emitted) had at that instant. Whether Marketo's ``endAt`` is
        inclusive is unconfirmed: if it is, such a record is in both exports and the second leaves it out;
        if not, the window before never had it, so it is in no set and comes out here. Once either way."""
        start = job.spec.window.start
        keys = self._keys_of(job.spec.activity_type_ids)
        seen = frozenset().union(*(self._end_ids.get(key, ()) for key in keys)) if all(self._ends.get(key) == start for key in keys) else frozenset()
        return Edge(cursor_text(start) if seen else None, seen, cursor_text(job.spec.window.end))

    def _advance(self, job: ExportJob, edge: Optional[Edge] = None) -> datetime:
        """Note ``job``'s window as emitted (with the records ``edge`` saw at its end); return how far
        every part of the lane has been emitted."""
        if not job.reused:
            self.plan.emitted_fresh = True
        for key in self._keys_of(job.spec.activity_type_ids):
            self._emitted[key] = max(self._emitted_to(key), job.spec.window.end)
            self._ends[key] = job.spec.window.end
            self._end_ids[key] = frozenset(edge.at_end) if edge is not None else frozenset()
        return self._through()


def census_row_share(bytes_per_row: Optional[float]) -> float:
    return min(1.0, ROW_BYTES / bytes_per_row) if bytes_per_row else 1.0
