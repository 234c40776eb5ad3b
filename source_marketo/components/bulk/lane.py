"""What the leads and activities lanes share: their windows come from a WindowPlan, and each window
is exported in one or more parts (``parts()``; each part's request from the lane's ``_spec``). The
scheduler (scheduler.py) drives lanes through this.

A part is named by the activity types its export lists (None: the lane's one export per window).
A lane's cursor may pass a window only when every part of it has been emitted: ``_emitted`` keeps
how far each key (``_keys_of(part)``) got in this run, and the least of them is where the lane is.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from source_marketo.components.bulk.jobs import ExportJob, ExportSpec, Window
from source_marketo.components.bulk.windows import Group, WindowPlan, cursor_text


class PlannedLane:
    plan: WindowPlan

    def _begin(self, start: datetime) -> None:
        """Call once the plan is made: nothing emitted yet, from ``start`` on."""
        self._start = start
        self._emitted: Dict[Any, datetime] = {}
        self._window: Optional[Window] = None  # the window being handed out part by part
        self._window_parts: List[Group] = []

    def parts(self) -> List[Group]:
        return [None]

    def _keys_of(self, part: Group) -> Tuple[Any, ...]:
        return (part,)

    def _spec(self, window: Window, part: Group = None) -> ExportSpec:
        raise NotImplementedError

    def peek(self, available_bytes: int) -> Optional[ExportSpec]:
        if self._window is not None:
            return self._spec(self._window, self._window_parts[0])
        window = self.plan.peek(available_bytes)
        return self._spec(window, self.parts()[0]) if window else None

    def accept(self, spec: ExportSpec) -> None:
        if self._window is None:
            self._window, self._window_parts = spec.window, list(self.parts())
        handed = set(self._keys_of(spec.activity_type_ids))  # a refused part's halves are in the scheduler's hands
        self._window_parts = [part for part in self._window_parts if not set(self._keys_of(part)) <= handed]
        if not self._window_parts:
            self.plan.accept(self._window)
            self._window = None

    def max_jobs(self, depth: int) -> int:
        return self.plan.max_jobs(depth)

    def estimate(self, spec: ExportSpec) -> int:
        return self.plan.estimate(spec.window)

    def split(self, spec: ExportSpec) -> Optional[List[ExportSpec]]:
        """The same request over each half of the window (fields, filter, types unchanged)."""
        halves = self.plan.split(spec.window)
        return [replace(spec, window=window) for window in halves] if halves else None

    def refused(self, spec: ExportSpec, reason: str) -> Optional[List[ExportSpec]]:
        """Specs that ask for the same in smaller parts after Marketo refused ``spec``; None: no way round."""
        return None

    # --- progress ---------------------------------------------------------------------------

    def _resume(self, cursor: Optional[datetime], ahead: Optional[Dict[Group, datetime]] = None) -> List[ExportJob]:
        """The saved exports this run can reuse (per part); a reused chain begins past the lookback."""
        jobs = self.plan.resumable(self._spec, cursor, self.parts(), ahead)
        for part, begins in self.plan.group_starts.items():
            for key in self._keys_of(part):
                self._emitted[key] = max(self._emitted_to(key), begins)
        return jobs

    def _emitted_to(self, key: Any) -> datetime:
        return self._emitted.get(key, self._start)

    def _check_continuity(self, job: ExportJob) -> None:
        """Never emit past a gap: the cursor would skip it for good."""
        behind = [key for key in self._keys_of(job.spec.activity_type_ids) if (job.spec.window.start - self._emitted_to(key)).total_seconds() > 1]
        if behind:
            reached = cursor_text(min(self._emitted_to(key) for key in behind))
            raise RuntimeError(f"{job.name()} starts after {behind} was emitted only to {reached}; stopping so that no window is skipped")

    def _advance(self, job: ExportJob) -> datetime:
        """Note ``job``'s window as emitted; return how far every part of the lane has been emitted."""
        for key in self._keys_of(job.spec.activity_type_ids):
            self._emitted[key] = max(self._emitted_to(key), job.spec.window.end)
        return min(self._emitted_to(key) for part in self.parts() for key in self._keys_of(part))
