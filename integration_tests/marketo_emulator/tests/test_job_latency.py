"""Job latency like Marketo's: `fixed:S,rows:R` (a fixed start-up cost plus rows per second), a queue
dispatch delay, slot occupancy (never more than two processing; the next starts when a slot
frees), and a scaled clock on which every time rule runs K times faster."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from integration_tests.marketo_emulator import FakeClock
from integration_tests.marketo_emulator.occupancy import max_overlap, processing_spans
from integration_tests.marketo_emulator.options import Progression

from .helpers import ApiClient

START = datetime(2025, 6, 2, 15, 0, 0, tzinfo=timezone.utc)


def _window(emulator, days: int) -> dict:
    end = emulator.clock.now().replace(microsecond=0)
    start = end - timedelta(days=days)
    return {"startAt": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "endAt": end.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _enqueue(client, emulator, days: int = 31) -> str:
    body = {"fields": ["id", "email"], "format": "CSV", "filter": {"createdAt": _window(emulator, days)}}
    export_id = client.create_job("leads", body)["result"][0]["exportId"]
    client.job_call("leads", export_id, "enqueue")
    return export_id


def _status(client, export_id: str) -> str:
    return client.job_call("leads", export_id, "status")["result"][0]["status"]


def _poll_until_done(client, ids: list[str], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(_status(client, i) == "Completed" for i in ids):
            return
        time.sleep(0.05)  # files are written in the background; their row counts set the durations
    raise AssertionError("jobs did not complete")


def test_progression_syntax():
    assert Progression.parse("fixed:45,rows:20000") == Progression("rows", 20000.0, 45.0)
    assert Progression.parse("rows:500, fixed:3") == Progression("rows", 500.0, 3.0)
    assert Progression.parse("seconds:5") == Progression("seconds", 5.0)
    for bad in ("fixed:5", "fixed:5,seconds:3", "rows:0", "fixed:-1,rows:5", "fixed:x,rows:5", "later"):
        with pytest.raises(ValueError):
            Progression.parse(bad)


def test_fixed_plus_rows_occupies_a_slot_and_the_next_job_starts_when_one_frees(marketo_emulator_factory):
    emulator = marketo_emulator_factory(leads=2000, job_progression="fixed:40,rows:100", clock=FakeClock(START))
    client = ApiClient(emulator)
    ids = [_enqueue(client, emulator, days) for days in (31, 20, 10, 31, 5)]
    assert [_status(client, i) for i in ids] == ["Processing"] * 2 + ["Queued"] * 3
    emulator.clock.advance(40)  # the fixed part alone: nothing can be done yet
    assert [_status(client, i) for i in ids][:2] == ["Processing"] * 2
    emulator.clock.advance(600)
    _poll_until_done(client, ids)
    jobs = {job["exportId"]: job for job in emulator.jobs}
    for export_id in ids:
        job = jobs[export_id]
        assert job["endedAtMs"] - job["startedAtMs"] == int((40 + job["records"] / 100) * 1000)
    spans = processing_spans(emulator.jobs, emulator.state.now_ms())
    assert max_overlap(spans) == 2
    ends = sorted(job["endedAtMs"] for job in jobs.values())
    for export_id in ids[2:]:  # each queued job started exactly when an earlier one ended
        assert jobs[export_id]["startedAtMs"] in ends
    usage = emulator.occupancy()
    assert usage["jobs"] == 5 and usage["max_processing"] == 2 and 0.5 < usage["utilisation"] <= 1.0  # the last job runs alone
    assert usage["busy_slot_seconds"] == sum(usage["processing_seconds"])


def test_queue_latency_keeps_a_job_queued_even_with_a_free_slot(marketo_emulator_factory):
    emulator = marketo_emulator_factory(job_progression="seconds:100", queue_latency_seconds=30, clock=FakeClock(START))
    client = ApiClient(emulator)
    first = [_enqueue(client, emulator) for _ in range(3)]
    assert [_status(client, i) for i in first] == ["Queued"] * 3
    emulator.clock.advance(29)
    assert _status(client, first[0]) == "Queued"
    emulator.clock.advance(1)
    assert [_status(client, i) for i in first] == ["Processing", "Processing", "Queued"]
    emulator.clock.advance(90)  # t = 120: one more job, ready at 150
    late = _enqueue(client, emulator)
    emulator.clock.advance(1000)
    client.authenticate()
    assert all(_status(client, i) == "Completed" for i in first + [late])
    jobs = {job["exportId"]: job for job in emulator.jobs}
    t0 = jobs[first[0]]["queuedAtMs"]
    starts = [(jobs[i]["startedAtMs"] - t0) / 1000 for i in first + [late]]
    # Ready at 30, two slots free: 30, 30. The third waits for a slot (130); so would the late one,
    # but the other slot also frees at 130 and the late job is only ready at 150.
    assert starts == [30, 30, 130, 150]
    assert max_overlap(processing_spans(emulator.jobs, emulator.state.now_ms())) == 2


def test_scaled_clock_runs_k_times_faster_and_advance_adds_on_top():
    clock = FakeClock(START, follow_real_time=True, speed=50)
    real, now, mono = time.monotonic(), clock.now(), clock.monotonic()
    time.sleep(0.2)
    elapsed_real = time.monotonic() - real
    assert (clock.now() - now).total_seconds() == pytest.approx(50 * elapsed_real, rel=0.1)
    assert clock.monotonic() - mono == pytest.approx(50 * elapsed_real, rel=0.1)
    before = clock.now()
    clock.advance(3600)
    assert 3600 <= (clock.now() - before).total_seconds() < 3600 + 5
    with pytest.raises(ValueError):
        FakeClock(START, speed=10)  # a clock that does not follow real time has no speed
    with pytest.raises(ValueError):
        FakeClock(START, follow_real_time=True, speed=0)


def test_status_refresh_of_60_seconds_takes_60_over_k_real_seconds(marketo_emulator_factory):
    speed = 120  # 60 s of emulator time = 0.5 real seconds
    emulator = marketo_emulator_factory(status_refresh_seconds=60, clock=FakeClock(START, follow_real_time=True, speed=speed))
    client = ApiClient(emulator)
    export_id = _enqueue(client, emulator)
    started = time.monotonic()
    while _status(client, export_id) != "Completed":  # the job is done at once; the status shows it a minute later
        time.sleep(0.01)
        assert time.monotonic() - started < 5
    waited = time.monotonic() - started
    assert 0.45 < waited < 1.5  # 60/K = 0.5 s (the lower bound is the point; the upper one allows a slow machine)
    job = emulator.jobs[0]
    assert job["queuedAtMs"] <= job["startedAtMs"] and job["status"] == "Completed"


def test_rate_window_and_token_expiry_run_on_the_scaled_clock(marketo_emulator_factory):
    emulator = marketo_emulator_factory(rate_limit_calls=5, rate_limit_window_seconds=20, token_ttl=60,
                                        clock=FakeClock(START, follow_real_time=True, speed=100))
    client = ApiClient(emulator)
    codes = [client.get_json("/rest/v1/leads/describe.json").get("errors", [{}])[0].get("code") for _ in range(6)]
    assert codes == [None] * 5 + ["606"]
    time.sleep(0.25)  # 25 s of emulator time: the 20 s window has passed
    assert client.get_json("/rest/v1/leads/describe.json")["success"] is True
    time.sleep(0.5)  # 50 s more: the 60 s token has expired
    assert client.get_json("/rest/v1/leads/describe.json")["errors"][0]["code"] == "602"
