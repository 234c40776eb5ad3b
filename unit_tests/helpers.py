"""Test helpers: a fake clock whose sleep advances time instantly."""

from datetime import datetime, timedelta, timezone


class FakeClock:
    def __init__(self, start: datetime = datetime(2026, 3, 7, 12, 0, tzinfo=timezone.utc)) -> None:
        self._now = start
        self._monotonic = 1000.0
        self.slept = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds
