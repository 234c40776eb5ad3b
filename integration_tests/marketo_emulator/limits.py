"""Marketo's budgets: 100 calls / 20 s (606), 10 calls in flight (615), a daily call quota (607)
and a daily bulk-export allocation in bytes — the days being Chicago days (marketo-api.md §3.1).

Usage is kept per Chicago date, so the quota "resets" at local midnight simply because the key
changes; `stats/usage*.json` read the same books.
"""
from __future__ import annotations

import threading
from collections import deque
from datetime import date, datetime, timedelta

from .clock import chicago_day


class DayBook:
    """One Chicago day of usage."""

    def __init__(self) -> None:
        self.calls = 0
        self.by_user: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.export_bytes = 0


class Usage:
    def __init__(self, clock, daily_quota: int, daily_export_mb: float) -> None:
        self._clock = clock
        self.daily_quota = daily_quota
        self.daily_export_bytes = int(daily_export_mb * 1024 * 1024)
        self._days: dict[date, DayBook] = {}
        self._lock = threading.Lock()

    def today(self) -> DayBook:
        return self.book(chicago_day(self._clock.now()))

    def book(self, day: date) -> DayBook:
        with self._lock:
            if day not in self._days:
                self._days[day] = DayBook()
            return self._days[day]

    def quota_left(self) -> int:
        return self.daily_quota - self.today().calls

    def count_call(self, user: str, error_code: str | None) -> None:
        book = self.today()
        with self._lock:
            book.calls += 1
            book.by_user[user] = book.by_user.get(user, 0) + 1
            if error_code:
                book.errors[error_code] = book.errors.get(error_code, 0) + 1

    def add_calls(self, user: str, count: int) -> None:
        """Calls made by another tool sharing the subscription."""
        book = self.today()
        with self._lock:
            book.calls += count
            book.by_user[user] = book.by_user.get(user, 0) + count

    def add_export_bytes(self, size: int, when: datetime | None = None) -> None:
        book = self.book(chicago_day(when or self._clock.now()))
        with self._lock:
            book.export_bytes += size

    def export_quota_spent(self) -> bool:
        return self.today().export_bytes >= self.daily_export_bytes

    def days(self, count: int) -> list[tuple[date, DayBook]]:
        """The last `count` Chicago days, today first."""
        today = chicago_day(self._clock.now())
        return [(today - timedelta(days=i), self.book(today - timedelta(days=i))) for i in range(count)]

    def snapshot(self) -> dict:
        book = self.today()
        return {"day": chicago_day(self._clock.now()).isoformat(), "calls_today": book.calls,
                "calls_by_user": dict(book.by_user), "errors_today": dict(book.errors),
                "daily_call_quota": self.daily_quota, "export_bytes_today": book.export_bytes,
                "export_mb_today": round(book.export_bytes / 1024 / 1024, 6),
                "daily_export_mb": self.daily_export_bytes / 1024 / 1024}


class RateLimiter:
    """Sliding window over accepted calls, on the clock's monotonic seconds (real time + advances)."""

    def __init__(self, clock, calls: int, window_seconds: float) -> None:
        self._clock = clock
        self.calls = calls
        self.window = window_seconds
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self) -> bool:
        if not self.calls:
            return True
        with self._lock:
            now = self._clock.monotonic()
            while self._times and self._times[0] <= now - self.window:
                self._times.popleft()
            if len(self._times) >= self.calls:
                return False
            self._times.append(now)
            return True


class InFlight:
    """Calls currently being served (a call stops counting when its response is written)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.current = 0
        self.peak = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self.limit and self.current >= self.limit:
                return False
            self.current += 1
            self.peak = max(self.peak, self.current)
            return True

    def leave(self) -> None:
        with self._lock:
            self.current -= 1
