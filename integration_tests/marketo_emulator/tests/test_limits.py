"""Limits: 100 calls / 20 s (606), 10 in flight (615), daily quota (607) reset at Chicago midnight
(DST-correct), usage endpoints reporting counted calls."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from integration_tests.marketo_emulator import FakeClock, FaultRule
from integration_tests.marketo_emulator.clock import chicago_day, next_chicago_midnight

from .helpers import ApiClient

DESCRIBE = "/rest/v1/leads/describe.json"


def test_given_100_calls_in_20_seconds_when_one_more_then_606_until_the_window_moves(marketo_emulator):
    client = ApiClient(marketo_emulator)
    codes = [client.get_json("/rest/v1/leads/partitions.json").get("errors", [{}])[0].get("code") for _ in range(101)]
    assert codes[:100] == [None] * 100
    assert codes[100] == "606"
    body = client.get_json("/rest/v1/leads/partitions.json")
    assert body["errors"][0]["message"] == "Max rate limit '100' exceeded with in '20' secs"
    marketo_emulator.clock.advance(20)
    assert client.get_json("/rest/v1/leads/partitions.json")["success"] is True


def test_given_10_calls_in_flight_when_an_11th_arrives_then_615(marketo_emulator):
    client = ApiClient(marketo_emulator)
    client.authenticate()
    # Ten downloads of describe stall mid-body, holding their in-flight slots: long enough that all ten
    # overlap even when a loaded machine starts the threads slowly.
    marketo_emulator.faults.add(FaultRule(endpoint=DESCRIBE, stall_after=10, stall_seconds=4.0, times=10))
    with ThreadPoolExecutor(max_workers=10) as pool:
        slow = [pool.submit(ApiClient(marketo_emulator).get, DESCRIBE) for _ in range(10)]
        deadline = time.monotonic() + 10
        while marketo_emulator.state.inflight.current < 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert marketo_emulator.state.inflight.current == 10
        late = client.get_json("/rest/v1/leads/partitions.json")
        assert [f.result().status_code for f in slow] == [200] * 10
    assert late["errors"][0] == {"code": "615", "message": "Concurrent access limit '10' reached"}
    assert marketo_emulator.usage["peak_concurrent_calls"] == 10


def test_given_the_daily_quota_is_spent_then_607_and_not_counted(marketo_emulator_factory):
    emulator = marketo_emulator_factory(daily_call_quota=5)
    client = ApiClient(emulator)
    results = [client.get_json("/rest/v1/leads/partitions.json") for _ in range(6)]
    assert [r["success"] for r in results] == [True] * 5 + [False]
    assert results[5]["errors"][0] == {"code": "607", "message": "Daily quota reached"}
    assert emulator.usage["calls_today"] == 5
    assert emulator.journal.calls(error_code="607")[0].counted is False


def test_given_other_tools_consumed_calls_then_quota_left_is_smaller(marketo_emulator_factory):
    emulator = marketo_emulator_factory(daily_call_quota=100)
    emulator.consume_calls(99)
    client = ApiClient(emulator)
    assert client.get_json(DESCRIBE)["success"] is True
    assert client.get_json(DESCRIBE)["errors"][0]["code"] == "607"


def _quota_resets_at(emulator_factory, start: datetime, midnight_utc: datetime) -> None:
    clock = FakeClock(start)
    emulator = emulator_factory(daily_call_quota=1, clock=clock, leads=20, activities=50)
    client = ApiClient(emulator)
    assert client.get_json(DESCRIBE)["success"] is True
    clock.set(midnight_utc - timedelta(seconds=1))
    client.authenticate()  # hours have passed: the first token expired
    assert client.get_json(DESCRIBE)["errors"][0]["code"] == "607"  # one second before Chicago midnight
    clock.advance(1)
    assert client.get_json(DESCRIBE)["success"] is True  # a new Chicago day


def test_quota_resets_at_chicago_midnight_in_winter(marketo_emulator_factory):
    start = datetime(2024, 1, 15, 20, 0, tzinfo=timezone.utc)
    _quota_resets_at(marketo_emulator_factory, start, datetime(2024, 1, 16, 6, 0, tzinfo=timezone.utc))


def test_quota_resets_at_chicago_midnight_across_dst_changes(marketo_emulator_factory):
    # 2024-03-10: DST starts at 02:00 local; the next midnight is 05:00 UTC (CDT), the one before 06:00 UTC.
    assert next_chicago_midnight(datetime(2024, 3, 10, 12, tzinfo=timezone.utc)) == datetime(2024, 3, 11, 5, tzinfo=timezone.utc)
    assert next_chicago_midnight(datetime(2024, 3, 9, 12, tzinfo=timezone.utc)) == datetime(2024, 3, 10, 6, tzinfo=timezone.utc)
    # 2024-11-03: DST ends; midnight of Nov 3 is 05:00 UTC, midnight of Nov 4 is 06:00 UTC.
    assert next_chicago_midnight(datetime(2024, 11, 3, 12, tzinfo=timezone.utc)) == datetime(2024, 11, 4, 6, tzinfo=timezone.utc)
    assert chicago_day(datetime(2024, 11, 4, 5, 59, 59, tzinfo=timezone.utc)).isoformat() == "2024-11-03"
    start = datetime(2024, 3, 10, 18, 0, tzinfo=timezone.utc)
    _quota_resets_at(marketo_emulator_factory, start, datetime(2024, 3, 11, 5, 0, tzinfo=timezone.utc))


def test_usage_endpoints_report_counted_calls(marketo_emulator):
    client = ApiClient(marketo_emulator)
    for _ in range(3):
        client.get_json(DESCRIBE)
    client.get("/rest/v1/leads.json", headers={"Authorization": "Bearer invalid"})  # 601: not counted
    today = client.get_json("/rest/v1/stats/usage.json")["result"][0]
    assert today["total"] == 3
    assert today["users"] == [{"userId": marketo_emulator.options.api_user, "count": 3}]
    assert today["date"] == chicago_day(marketo_emulator.clock.now()).isoformat()
    week = client.get_json("/rest/v1/stats/usage/last7days.json")["result"]
    assert len(week) == 7 and week[0]["total"] == 4  # the usage.json call itself was counted
    errors = client.get_json("/rest/v1/stats/errors.json")["result"][0]
    assert errors["total"] == 0
