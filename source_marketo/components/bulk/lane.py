"""What the leads and activities lanes share: their windows come from a WindowPlan, each window's
export request from the lane's ``_spec``. The scheduler (scheduler.py) drives lanes through this."""

from __future__ import annotations

from typing import List, Optional

from source_marketo.components.bulk.jobs import ExportSpec, Window
from source_marketo.components.bulk.windows import WindowPlan


class PlannedLane:
    plan: WindowPlan

    def _spec(self, window: Window) -> ExportSpec:
        raise NotImplementedError

    def peek(self, available_bytes: int) -> Optional[ExportSpec]:
        window = self.plan.peek(available_bytes)
        return self._spec(window) if window else None

    def accept(self, spec: ExportSpec) -> None:
        self.plan.accept(spec.window)

    def max_jobs(self, depth: int) -> int:
        return self.plan.max_jobs(depth)

    def estimate(self, spec: ExportSpec) -> int:
        return self.plan.estimate(spec.window)

    def split(self, spec: ExportSpec) -> Optional[List[ExportSpec]]:
        halves = self.plan.split(spec.window)
        return [self._spec(window) for window in halves] if halves else None

    def refused(self, spec: ExportSpec, reason: str) -> Optional[List[ExportSpec]]:
        """Specs that ask for the same in smaller parts after Marketo refused ``spec``; None: no way round."""
        return None
