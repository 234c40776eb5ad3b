"""Injectable clocks and Marketo's "day" (midnight America/Chicago).

Marketo resets the daily REST quota and the bulk-export allocation at 12:00 AM US Central
(marketo-api.md §3.1). The docs say "CST"; we read it as local Chicago time, DST included,
which is the only reading under which "midnight" stays midnight all year.
"""
from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta, timezone

try:  # zoneinfo needs a tz database; fall back to the US rules if the machine has none.
    from zoneinfo import ZoneInfo

    CHICAGO = ZoneInfo("America/Chicago")
except Exception:  # pragma: no cover - only on machines without tzdata
    CHICAGO = None

UTC = timezone.utc


def _nth_sunday(year: int, month: int, nth: int) -> date:
    first = date(year, month, 1)
    offset = (6 - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (nth - 1))


def _fallback_chicago_offset(moment: datetime) -> timedelta:
    """US rules since 2007: CDT from 2nd Sunday of March 08:00 UTC to 1st Sunday of November 07:00 UTC."""
    year = moment.year
    start = datetime.combine(_nth_sunday(year, 3, 2), datetime.min.time(), UTC) + timedelta(hours=8)
    end = datetime.combine(_nth_sunday(year, 11, 1), datetime.min.time(), UTC) + timedelta(hours=7)
    return timedelta(hours=-5) if start <= moment < end else timedelta(hours=-6)


def to_chicago(moment: datetime) -> datetime:
    """The same instant in Chicago local time."""
    moment = moment.astimezone(UTC)
    if CHICAGO is not None:
        return moment.astimezone(CHICAGO)
    offset = _fallback_chicago_offset(moment)
    return moment.astimezone(timezone(offset))


def chicago_day(moment: datetime) -> date:
    """The Marketo quota day an instant belongs to."""
    return to_chicago(moment).date()


def next_chicago_midnight(moment: datetime) -> datetime:
    """The UTC instant at which the quota day containing `moment` ends."""
    local_day = chicago_day(moment) + timedelta(days=1)
    if CHICAGO is not None:
        local = datetime.combine(local_day, datetime.min.time(), CHICAGO)
        return local.astimezone(UTC)
    # Without tzdata: midnight is never inside a DST gap in Chicago (changes happen at 02:00).
    guess = datetime.combine(local_day, datetime.min.time(), UTC) + timedelta(hours=6)
    return guess - (timedelta(hours=1) if _fallback_chicago_offset(guess) == timedelta(hours=-5) else timedelta(0))


class RealClock:
    """Wall-clock time, optionally shifted forward by `advance()` (used by the CLI's admin endpoint)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    def monotonic(self) -> float:
        """Seconds for short windows (rate limit): real elapsed time plus any advance."""
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._offset += float(seconds)
        return self.now()

    def rewind(self) -> None:
        """Back to wall-clock time (used by the emulator's reset)."""
        with self._lock:
            self._offset = 0.0

    def __repr__(self) -> str:
        return f"RealClock(offset={self._offset})"


class FakeClock:
    """A clock that only moves when told to (`advance`), so tests are deterministic.

    `follow_real_time=True` makes it also run with real elapsed time from its start value: useful
    when a client under test waits in real time for something that is measured on this clock
    (e.g. a job that completes after S seconds). `speed=K` (with `follow_real_time`) makes that
    time run K times faster than real time — `now()` and `monotonic()` alike, so every rule on the
    clock (rate window, token expiry, status refresh, job progression, Chicago midnight, file
    retention) runs K times faster: a scaled run behaves like a real one, only sooner.
    """

    def __init__(self, start: datetime | str | None = None, *, follow_real_time: bool = False,
                 speed: float = 1.0) -> None:
        if speed <= 0 or (speed != 1 and not follow_real_time):
            raise ValueError("speed must be positive, and only a clock that follows real time can run faster")
        if start is None:
            start = datetime.now(UTC).replace(microsecond=0)
        elif isinstance(start, str):
            start = datetime.fromisoformat(start.replace("Z", "+00:00"))
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        self._start = start.astimezone(UTC)
        self._advanced = 0.0
        self._follow = follow_real_time
        self.speed = float(speed)
        self._real_origin = time.monotonic()
        self._lock = threading.Lock()

    def _elapsed(self) -> float:
        """Clock seconds run with real time since the start (K x real seconds at speed K)."""
        return (time.monotonic() - self._real_origin) * self.speed

    def now(self) -> datetime:
        elapsed = self._elapsed() if self._follow else 0.0
        return self._start + timedelta(seconds=self._advanced + elapsed)

    def monotonic(self) -> float:
        # Short windows (the 20 s rate limit) run on real time plus advances: a client that backs off
        # in real time recovers, and a test can skip the wait by advancing. At speed K they run K x faster.
        return self._real_origin + self._elapsed() + self._advanced

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._advanced += float(seconds)
        return self.now()

    def rewind(self) -> None:
        """Back to the start value (used by the emulator's reset, which restores the initial state)."""
        with self._lock:
            self._advanced = 0.0
            self._real_origin = time.monotonic()

    def set(self, moment: datetime) -> datetime:
        """Jump forward to an absolute instant (never backwards)."""
        delta = (moment.astimezone(UTC) - self.now()).total_seconds()
        return self.advance(max(0.0, delta))

    def __repr__(self) -> str:
        return f"FakeClock(now={self.now().isoformat()}, speed={self.speed})"
