"""Time, injected: components take a Clock so tests run instantly and deterministically."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Optional, Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...  # aware, UTC

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class MarketoClock:
    """Marketo's clock as its replies show it, for window ends and for "today" of the daily limits.

    Replies carry Marketo's time in their ``requestId`` (``<hex>#<hex epoch ms>``, marketo-api.md
    2.1). Following it means a skewed local clock can neither skip data nor count a day wrongly.
    Until a reply has been seen, it is the local clock. Sleeping and intervals stay local.
    """

    def __init__(self, local: Clock) -> None:
        self.local = local
        self._offset: Optional[timedelta] = None

    def observe(self, marketo_now: datetime) -> None:
        self._offset = marketo_now - self.local.now()

    def now(self) -> datetime:
        return self.local.now() + (self._offset or timedelta(0))

    def monotonic(self) -> float:
        return self.local.monotonic()

    def sleep(self, seconds: float) -> None:
        self.local.sleep(seconds)
