"""Where in time the n generated records of a collection (leads, activities) lie.

Record i sits at position `i + jitter` (jitter in [0, 1) from its own hash) on a monotone,
invertible curve from `start` to `end`, so creation order is id order, "the first record at or
after t" is arithmetic plus a short bisection (never a scan), and everything stays a pure
function of (seed, index). Two shapes:

* `uniform` — constant rate (`start + position * step`), the emulator's original layout;
* `growing` — a linearly rising rate, as in an instance that gains users over the years:
  `start + span * sqrt(position / n)`, so the last tenth of the time holds ~19 % of the records
  and the first tenth 1 %.
"""
from __future__ import annotations

import math
from typing import Callable

SHAPES = ("uniform", "growing")


class TimeAxis:
    """Maps record positions in [0, n] to instants (ms) in [start, end] and back."""

    def __init__(self, start_ms: int, end_ms: int, count: int, shape: str = "uniform") -> None:
        if shape not in SHAPES:
            raise ValueError(f"unknown history shape {shape!r}: use one of {', '.join(SHAPES)}")
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.count = count
        self.shape = shape
        self.span = end_ms - start_ms
        # The uniform formula is kept exactly as it was, so default data is byte-identical.
        self.step = self.span / max(1, count)

    def instant(self, position: float) -> float:
        """The instant (ms, unrounded) of a position."""
        if self.shape == "uniform":
            return self.start_ms + position * self.step
        return self.start_ms + self.span * math.sqrt(max(0.0, position) / max(1, self.count))

    def position(self, ms: float) -> float:
        """The inverse of `instant`, clipped to [0, n]."""
        if self.span <= 0:
            return 0.0
        fraction = min(1.0, max(0.0, (ms - self.start_ms) / self.span))
        if self.shape == "uniform":
            return fraction * self.count
        return fraction * fraction * self.count

    def whole_before(self, ms: int) -> int:
        """How many records k (1-based) surely exist at `ms`: those with instant(k) <= ms.

        Record k's own instant is instant(k - 1 + jitter) < instant(k), so each of them was
        created at or before `ms`.
        """
        if self.shape == "uniform":  # the original formula, unchanged
            return min(self.count, int((ms - self.start_ms) / self.step)) if self.step else 0
        k = min(self.count, int(self.position(ms)))
        while k > 0 and self.instant(k) > ms:  # float rounding of the inverse
            k -= 1
        return max(0, k)

    def first_at_or_after(self, ms: int, date_of: Callable[[int], int]) -> int:
        """Smallest index i in [0, n) with date_of(i) >= ms (n when none).

        `date_of(i)` is the record's instant rounded down to the second: it lies in
        (instant(i) - 1 s, instant(i + 1)), which brackets the answer between
        position(ms) - 1 and position(ms + 1 s); a bisection finds it in that window.
        """
        low = max(0, int(self.position(ms)) - 2)
        high = min(self.count, int(math.ceil(self.position(ms + 1000))) + 2)
        while low < high:
            middle = (low + high) // 2
            if date_of(middle) >= ms:
                high = middle
            else:
                low = middle + 1
        return low


DAY_MS = 86_400_000
LEAD_HEAD_START_MS = 14 * DAY_MS  # base leads begin this long before base activities


def history_starts(anchor_ms: int, history_days: int, data_begins_ms: int | None) -> tuple[int, int]:
    """(first lead's instant, first activity's instant) of the generated history.

    Without `data_begins`: activities span `history_days` before the anchor and leads start 14
    days earlier. With it, nothing generated is older than `data_begins`: leads start there and
    activities keep their 14-day head start of leads (half the span when it is shorter than
    28 days), so an instance can begin long after a connector's start date.
    """
    if data_begins_ms is None:
        activities = anchor_ms - history_days * DAY_MS
        return activities - LEAD_HEAD_START_MS, activities
    if data_begins_ms >= anchor_ms - 3_600_000:
        raise ValueError("data_begins must be more than an hour before the anchor (where history ends)")
    head_start = min(LEAD_HEAD_START_MS, (anchor_ms - data_begins_ms) // 2)
    return data_begins_ms, data_begins_ms + head_start
