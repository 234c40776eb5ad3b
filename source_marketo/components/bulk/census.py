"""A census: how many rows a lane's data has, minute by minute, over the next span, from a tiny export.

Near the end of a day's export budget, a window's size must come from how much data it holds, and
for leads a rate learned from earlier windows can be far off: leads are exported at their latest
update, and most leads were updated recently, so the windows nearest now are by far the densest.
Marketo can tell cheaply: a lead export of the same filter with one column (``updatedAt``; about 25
bytes a row, where a whole lead takes hundreds) lists when each lead of the span falls
(marketo-api.md 6.2, 7.3). Windows within the span are then cut so that their rows, at the bytes a
row is known to take, fit what the budget allows. Activities never move and fill time evenly
enough for their learned rate; their rows are short, so a census would cost them a quarter of the
data: they take none.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from source_marketo.components.bulk.csv_rows import ExportRows
from source_marketo.components.bulk.jobs import Window
from source_marketo.components.types import parse_datetime

ROW_BYTES = 25  # a census row: one datetime and a line end, as exported
MARGIN = 1.15  # rows move little between the census and the export (a lead updated since moves to now)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class Census:
    span: Window
    minutes: List[int]  # the minutes (since 1970) that hold rows, ascending
    prefix: List[int]  # prefix[i]: rows (of a sample: sampled leads) in minutes[:i]
    # A sample of leads by id (sample_census) instead of a count: how many lead ids each sampled one stands
    # for. Above 1, its rows are an upper bound of what a window holds; 1: every id was looked at; 0: a census.
    step: float = 0.0

    @property
    def sampled(self) -> bool:
        return self.step > 0

    @property
    def total(self) -> int:
        """Rows (of a sample: sampled leads) in the whole span."""
        return self.prefix[-1]

    def covers(self, moment: datetime) -> bool:
        return self.span.start <= moment < self.span.end

    def counted(self, start: datetime, end: datetime) -> int:
        """Rows (of a sample: sampled leads) in [start, end), to the minute (a window edge inside a minute counts that minute's rows)."""
        return self.prefix[bisect.bisect_right(self.minutes, _minute(end))] - self.prefix[bisect.bisect_left(self.minutes, _minute(start))]

    def rows(self, start: datetime, end: datetime) -> int:
        """Rows in [start, end); of a sample, what the window holds at most (sample_bound)."""
        counted = self.counted(start, end)
        return counted if self.step <= 1 else math.ceil(sample_bound(counted) * self.step)

    def end_for(self, start: datetime, limit: datetime, rows: int) -> datetime:
        """The latest window end in (start, limit] whose rows from ``start`` stay within ``rows``; ``start``
        itself when even the first minute holding data is over (of a sample: when no window fits)."""
        low = bisect.bisect_left(self.minutes, _minute(start))
        allowed = rows if self.step <= 1 else samples_within(rows / self.step)
        if allowed < 0:
            return start
        target = self.prefix[low] + allowed
        over = bisect.bisect_right(self.prefix, target, lo=low + 1) - 1  # minutes[low:over] fit
        if over >= len(self.minutes):
            return limit
        # Just before the first minute that does not fit: a window includes its end (Marketo's filters do).
        end = EPOCH + timedelta(minutes=self.minutes[over]) - timedelta(seconds=1)
        return max(start, min(end, limit))


def read_census(rows: ExportRows, column: str, span: Window) -> Census:
    """Rows per minute of ``span``. The filter sees a lead's latest change of any field, the column only
    its standard fields' (marketo-api.md 6.2): a row whose column lies outside the span (or is empty)
    counts at the span's nearer end, where the export will hold it anyway."""
    at = rows.header.index(column) if column in rows.header else 0
    first, last = _minute(span.start), _minute(span.end)
    counts: Dict[int, int] = {}
    for row in rows:
        value = row[at]
        minute = _minute(parse_datetime(value)) if value and value != "null" else first
        minute = min(max(minute, first), last)
        counts[minute] = counts.get(minute, 0) + 1
    return _counted(span, counts)


def sample_bound(sampled: int) -> float:
    """How many sampled leads a window of ``sampled`` could have held had every lead been counted, at
    most (about 97.5% one-sided: k + 2 sqrt(k) + 2; a window without a sampled lead may still hold some)."""
    return sampled + 2 * math.sqrt(sampled) + 2


def samples_within(bound: float) -> int:
    """The most sampled leads a window may hold for its sample_bound to stay within ``bound`` (-1: none)."""
    if bound < 2:
        return -1
    return int((math.sqrt(bound - 1) - 1) ** 2)


def sample_census(updated: List[datetime], step: float, span: Window) -> Census:
    """A sample's leads (their ``updatedAt``; each stands for ``step`` leads) as a Census of ``span``:
    the leads updated before the span were exported already, those after it are for a later run."""
    first, last = _minute(span.start), _minute(span.end)
    counts: Dict[int, int] = {}
    for moment in updated:
        minute = _minute(moment)
        if first <= minute <= last:
            counts[minute] = counts.get(minute, 0) + 1
    return _counted(span, counts, max(step, 1.0))


def _counted(span: Window, counts: Dict[int, int], step: float = 0.0) -> Census:
    minutes = sorted(counts)
    prefix = [0]
    for minute in minutes:
        prefix.append(prefix[-1] + counts[minute])
    return Census(span, minutes, prefix, step)


KEPT_MINUTES = 500  # of a census carried in the state: its span ends after them (the next census counts on)


KEPT_SAMPLED = 3000  # of a sample: all of it (900 ids and the chase past the top find fewer leads than this)


def to_state(census: Census, position: datetime) -> Dict[str, Any]:
    """What the state keeps of a census a run stopped inside: its counts from ``position`` on, for at most
    KEPT_MINUTES minutes holding rows; the span then ends with the last minute kept. A sample is kept
    whole from ``position`` with its step: the next day cuts from it without paying its calls again (leads
    updated since moved to a newer window, so its older windows only look fuller than they are)."""
    kept = KEPT_SAMPLED if census.sampled else KEPT_MINUTES
    low = bisect.bisect_left(census.minutes, _minute(position))
    minutes = census.minutes[low:low + kept]
    rows = [census.prefix[i + 1] - census.prefix[i] for i in range(low, low + len(minutes))]
    end = census.span.end
    if low + kept < len(census.minutes):
        end = min(end, EPOCH + timedelta(minutes=minutes[-1] + 1) - timedelta(seconds=1))
    state = {"start": _text(position), "end": _text(end), "minutes": minutes, "rows": rows}
    return {**state, "step": census.step} if census.sampled else state


def from_state(value: Any) -> Optional[Census]:
    """The census ``to_state`` kept, or None when there is none or it is not in that shape."""
    if not isinstance(value, dict):
        return None
    minutes, rows = value.get("minutes"), value.get("rows")
    try:
        start, end = parse_datetime(value.get("start")), parse_datetime(value.get("end"))
    except (AttributeError, TypeError, ValueError):
        return None
    if (start is None or end is None or end <= start or not isinstance(minutes, list) or not isinstance(rows, list)
            or len(minutes) != len(rows) or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in minutes + rows)
            or minutes != sorted(minutes)):
        return None
    prefix = [0]
    for count in rows:
        prefix.append(prefix[-1] + count)
    step = value.get("step", 0.0)
    if not isinstance(step, (int, float)) or isinstance(step, bool) or step < 0:
        return None
    return Census(Window(start, end), list(minutes), prefix, float(step))


def _text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minute(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds() // 60)
