"""Budgets shared by every stream and thread of a run: call rate, calls in flight, daily calls, export megabytes.

Marketo's limits (marketo-api.md 3.1): 100 calls per 20 s and 10 concurrent calls per instance
(606 / 615), a daily call quota that resets at 00:00 US Central (607), and 500 MB of bulk export a
day, metered on file size and reset at Central midnight too (1029). Users can cap the connector
lower. A budget refuses a call *before* it would go over, by raising LimitReached, which the source
turns into a clean stop (state kept, transient error, Airbyte retries later).
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import date, datetime, time, timedelta, timezone
from typing import Deque, Optional
from zoneinfo import ZoneInfo

from airbyte_cdk.models import FailureType

from source_marketo.components.clock import Clock
from source_marketo.components.errors import Limit, MarketoFailure

MARKETO_TIMEZONE = ZoneInfo("America/Chicago")
MEGABYTE = 1024 * 1024


def marketo_day(moment: datetime) -> date:
    """The Marketo day (US Central calendar date) that ``moment`` falls in."""
    return moment.astimezone(MARKETO_TIMEZONE).date()


def next_reset(moment: datetime) -> datetime:
    """When Marketo's daily limits reset after ``moment``: the next 00:00 America/Chicago, in UTC."""
    tomorrow = marketo_day(moment) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=MARKETO_TIMEZONE).astimezone(timezone.utc)


class LimitReached(MarketoFailure):
    """A daily limit stops the run cleanly: the state so far stands, Airbyte retries later."""

    def __init__(self, limit: str, detail: str, resets_at: Optional[datetime], kind: Limit = Limit.CALLS, progress: str = "") -> None:
        when = f"; it resets at {resets_at:%Y-%m-%d %H:%M} UTC (midnight US Central)" if resets_at else ""
        done = f" {progress}" if progress else ""
        super().__init__(f"Stopped cleanly: {limit} was reached ({detail}){when}.{done} Progress is saved and the next sync continues from it.", FailureType.transient_error)
        self.limit = limit
        self.kind = kind
        self.detail = detail
        self.resets_at = resets_at

    def with_progress(self, progress: str) -> "LimitReached":
        """The same stop, saying how much of the sync's plan is done."""
        return LimitReached(self.limit, self.detail, self.resets_at, self.kind, progress)


class CallRateLimiter:
    """At most ``calls`` calls per sliding ``period`` seconds and ``concurrent`` in flight, across threads.

    A sliding window is the safe reading of Marketo's "100 calls per 20 seconds" (fixed or sliding is
    unconfirmed): it never allows more than 100 in any 20 s span.
    """

    MARGIN = 1.0  # seconds: a call is counted when we send it, Marketo counts it when it arrives

    def __init__(self, clock: Clock, calls: int = 100, period: float = 20.0, concurrent: int = 10) -> None:
        self._clock = clock
        self._calls = calls
        self._period = period + self.MARGIN
        self._sent: Deque[float] = deque()
        self._lock = threading.Lock()
        self._in_flight = threading.BoundedSemaphore(concurrent)

    def acquire(self) -> None:
        """Block until a call may start; pair with release() when its reply has been read."""
        self._in_flight.acquire()
        try:
            self._wait_for_window()
        except BaseException:
            self._in_flight.release()
            raise

    def release(self) -> None:
        self._in_flight.release()

    def _wait_for_window(self) -> None:
        while True:
            with self._lock:
                now = self._clock.monotonic()
                while self._sent and now - self._sent[0] >= self._period:
                    self._sent.popleft()
                if len(self._sent) < self._calls:
                    self._sent.append(now)
                    return
                wait = self._period - (now - self._sent[0])
            self._clock.sleep(max(wait, 0.01))


class DailyCallBudget:
    """The user's cap on the REST calls of this connector's API user per Marketo day.

    Marketo's ``stats/usage.json`` tells how many calls each API user made today; between readings
    we count our own calls. With no cap, calls are only counted (for the run summary).
    """

    REFRESH_EVERY = 250

    def __init__(self, clock: Clock, cap: Optional[int]) -> None:
        self._clock = clock
        self.cap = cap
        self._lock = threading.Lock()
        self._day = marketo_day(clock.now())
        self.used_today = 0  # by this API user, per the last reading plus our calls since
        self.spent_this_run = 0
        self._since_reading = 0
        self.has_reading = False

    def observe_usage(self, used_by_us: int) -> None:
        """Record a ``stats/usage.json`` reading (plus the usage call itself, which it may not include yet);
        never lower than what we counted ourselves."""
        with self._lock:
            self._roll_day()
            self.used_today = max(used_by_us + 1, self.used_today)
            self._since_reading = 0
            self.has_reading = True

    def refresh_due(self) -> bool:
        with self._lock:
            self._roll_day()
            return self.cap is not None and (not self.has_reading or self._since_reading >= self.REFRESH_EVERY)

    def spend(self, endpoint: str) -> None:
        """Count one call, or raise LimitReached when it would go over the cap."""
        with self._lock:
            self._roll_day()
            if self.cap is not None and self.used_today + 1 > self.cap:
                raise LimitReached(
                    "the daily API call limit set for this connector",
                    f"{self.used_today} of {self.cap} calls used today; {self.spent_this_run} by this sync; next call was {endpoint}",
                    next_reset(self._clock.now()),
                )
            self.used_today += 1
            self.spent_this_run += 1
            self._since_reading += 1

    def remaining(self) -> Optional[int]:
        return None if self.cap is None else max(self.cap - self.used_today, 0)

    def _roll_day(self) -> None:
        today = marketo_day(self._clock.now())
        if today != self._day:
            self._day, self.used_today, self._since_reading, self.has_reading = today, 0, 0, False


class ExportBudget:
    """The cap on bulk export bytes created per Marketo day (Marketo meters ``fileSize`` of completed jobs).

    ``spent`` counts completed exports of this API user today (from the job lists, then as our jobs
    complete); ``reserved`` holds estimates for our jobs still queued or processing, so the
    scheduler never starts a job whose estimate does not fit in what is left.
    """

    def __init__(self, clock: Clock, cap_mb: int) -> None:
        self._clock = clock
        self.cap_bytes = cap_mb * MEGABYTE
        self._day = marketo_day(clock.now())
        self.spent = 0
        self.spent_this_run = 0
        self._reserved: dict = {}

    @property
    def reserved(self) -> int:
        return sum(self._reserved.values())

    def available(self) -> int:
        self._roll_day()
        return max(self.cap_bytes - self.spent - self.reserved, 0)

    def left_today(self) -> int:
        """The cap less what completed today; reservations not deducted."""
        self._roll_day()
        return max(self.cap_bytes - self.spent, 0)

    def observe_spent(self, spent_today: int) -> None:
        self._roll_day()
        self.spent = max(self.spent, spent_today)

    def reserve(self, job_key: str, estimate: int) -> None:
        self._reserved[job_key] = estimate

    def settle(self, job_key: str, actual: int, counts_today: bool = True) -> None:
        """A job finished: its estimate is replaced by its real size (if it completed today)."""
        self._reserved.pop(job_key, None)
        self._roll_day()
        if counts_today:
            self.spent += actual
            self.spent_this_run += actual

    def release(self, job_key: str) -> None:
        self._reserved.pop(job_key, None)

    def limit_reached(self, detail: str, limit: str = "the daily bulk export limit set for this connector") -> LimitReached:
        return LimitReached(limit, f"{self.spent / MEGABYTE:.1f} of {self.cap_bytes / MEGABYTE:.0f} MB used today; {detail}",
                            next_reset(self._clock.now()), kind=Limit.EXPORTS)

    def deferred(self, detail: str) -> LimitReached:
        """A stop before the cap is reached: what is left today would only cut a window that saves no job tomorrow."""
        return self.limit_reached(detail, "the useful part of today's bulk export budget")

    def _roll_day(self) -> None:
        today = marketo_day(self._clock.now())
        if today != self._day:
            self._day, self.spent = today, 0
