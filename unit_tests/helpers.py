"""Test helpers: a fake clock whose sleep advances time instantly; a MarketoClient over a fake session."""

from datetime import datetime, timedelta, timezone

from source_marketo.components.budget import CallRateLimiter, DailyCallBudget
from source_marketo.components.client import MarketoClient, RetryPolicy


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


class FakeTokens:
    """A token provider that always has its token: no identity calls."""

    scope = "api.user@example.com"

    def token(self):
        return "t"

    def invalidate(self, token):
        pass


def client_over(session, clock, logger) -> MarketoClient:
    """The run's one client, sending through ``session`` (an object with ``request``), no call cap."""
    return MarketoClient("https://x.mktorest.com", FakeTokens(), session, CallRateLimiter(clock), DailyCallBudget(clock, None), clock, logger, RetryPolicy())
