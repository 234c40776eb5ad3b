"""Budgets: the call rate window, daily caps that reset at midnight US Central, export megabytes."""

from datetime import datetime, timezone

import pytest

from source_marketo.components.budget import MEGABYTE, CallRateLimiter, DailyCallBudget, ExportBudget, LimitReached, marketo_day, next_reset
from unit_tests.helpers import FakeClock


def test_given_101_calls_when_sent_then_the_101st_waits_for_the_window():
    clock = FakeClock()
    limiter = CallRateLimiter(clock, calls=100, period=20.0, concurrent=10)
    for _ in range(100):
        limiter.acquire()
        limiter.release()
    assert clock.slept == []
    limiter.acquire()
    assert sum(clock.slept) >= 20.0  # never more than 100 calls in any 20 s span (plus a safety margin)


@pytest.mark.parametrize(
    "moment, day, reset",
    [
        # CST (UTC-6) in winter
        (datetime(2026, 1, 15, 5, 59, tzinfo=timezone.utc), "2026-01-14", datetime(2026, 1, 15, 6, 0, tzinfo=timezone.utc)),
        (datetime(2026, 1, 15, 6, 0, tzinfo=timezone.utc), "2026-01-15", datetime(2026, 1, 16, 6, 0, tzinfo=timezone.utc)),
        # CDT (UTC-5) in summer
        (datetime(2026, 7, 1, 4, 59, tzinfo=timezone.utc), "2026-06-30", datetime(2026, 7, 1, 5, 0, tzinfo=timezone.utc)),
        # the day DST starts (2026-03-08): midnight is still CST
        (datetime(2026, 3, 8, 5, 30, tzinfo=timezone.utc), "2026-03-07", datetime(2026, 3, 8, 6, 0, tzinfo=timezone.utc)),
        (datetime(2026, 3, 8, 7, 0, tzinfo=timezone.utc), "2026-03-08", datetime(2026, 3, 9, 5, 0, tzinfo=timezone.utc)),
    ],
)
def test_given_a_moment_when_asked_then_the_marketo_day_and_its_reset_follow_chicago(moment, day, reset):
    assert marketo_day(moment).isoformat() == day
    assert next_reset(moment) == reset


def test_given_a_call_cap_when_spent_then_the_call_past_it_is_refused_with_the_reset_time():
    clock = FakeClock()
    budget = DailyCallBudget(clock, cap=4)
    budget.observe_usage(1)  # one call so far, and the usage call itself
    budget.spend("/a")
    budget.spend("/b")
    with pytest.raises(LimitReached) as raised:
        budget.spend("/c")
    assert "daily API call limit" in raised.value.message and "4 of 4" in raised.value.message and "resets at" in raised.value.message
    assert raised.value.failure_type.value == "transient_error"


def test_given_a_spent_cap_when_the_chicago_day_rolls_over_then_calls_are_allowed_again():
    clock = FakeClock(datetime(2026, 1, 15, 5, 0, tzinfo=timezone.utc))
    budget = DailyCallBudget(clock, cap=1)
    budget.spend("/a")
    with pytest.raises(LimitReached):
        budget.spend("/b")
    clock.advance(3600)  # 06:00 UTC = midnight CST
    budget.spend("/b")
    assert budget.used_today == 1


def test_given_no_cap_when_spent_then_only_counted():
    budget = DailyCallBudget(FakeClock(), cap=None)
    for _ in range(1000):
        budget.spend("/a")
    assert budget.spent_this_run == 1000 and budget.remaining() is None and not budget.refresh_due()


def test_given_a_reading_lower_than_our_own_count_when_observed_then_our_count_stands():
    budget = DailyCallBudget(FakeClock(), cap=100)
    budget.observe_usage(10)
    for _ in range(5):
        budget.spend("/a")
    budget.observe_usage(12)  # Marketo's books lag a little
    assert budget.used_today == 16  # the first reading, plus the usage call itself, plus 5


def test_given_reservations_when_available_is_asked_then_they_are_held_back_until_settled():
    budget = ExportBudget(FakeClock(), cap_mb=10)
    budget.observe_spent(2 * MEGABYTE)
    budget.reserve("a", 3 * MEGABYTE)
    assert budget.available() == 5 * MEGABYTE
    budget.settle("a", 1 * MEGABYTE)
    assert budget.available() == 7 * MEGABYTE and budget.spent_this_run == MEGABYTE
    assert "3.0 of 10 MB" in budget.limit_reached("next").message
