"""Fault injection: whatever Marketo does, the warehouse ends up equal to the ground truth.

Each scenario syncs leads, both activity streams and a REST stream against an emulator with one
kind of fault, resyncs from the saved state while a run stops early (at a daily limit, after Marketo's
day rolls over), and compares the deduplicated records (latest cursor wins) with the emulator.
"""

from __future__ import annotations

import copy
import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from integration_tests.harness import configured_catalog, emulator_config, run
from integration_tests.marketo_emulator import FaultRule
from source_marketo.components import client as client_module
from source_marketo.components.client import RetryPolicy
from integration_tests.test_bulk_streams import assert_activities_match, assert_leads_match, leads_schema

STREAMS = ["leads", "lead_activities", "lead_activity_attributes", "programs"]
TYPES = "1,6,12,13,22,32"


pytestmark = pytest.mark.usefixtures("quick_retries")


def next_chicago_midnight(emulator) -> float:
    now = emulator.clock.now().astimezone(ZoneInfo("America/Chicago"))
    midnight = datetime.combine(now.date() + timedelta(days=1), time(0, 1), tzinfo=now.tzinfo)
    return (midnight - now).total_seconds()


def per_chicago_day(items):
    """(ISO time, amount) pairs summed per Marketo day (US Central)."""
    days = {}
    for when, amount in items:
        day = datetime.fromisoformat(when.replace("Z", "+00:00")).astimezone(ZoneInfo("America/Chicago")).date()
        days[day] = days.get(day, 0) + amount
    return days


def sync_until_complete(emulator, config, streams=STREAMS, max_runs=12, faults=(), state=None, between=None):
    """Sync; when a run stops at a daily limit, let Marketo's day roll over and sync again from its state.
    ``faults`` are installed after discovery, so they hit the sync; ``between`` runs after each stop, before midnight."""
    catalog = configured_catalog(run("discover", config).catalog, streams)
    for rule in faults:
        emulator.faults.add(rule)
    outputs = []
    for _ in range(max_runs):
        output = run("read", config, catalog, state=state)
        outputs.append(output)
        merged = {entry["stream"]["stream_descriptor"]["name"]: entry for entry in (state or [])}
        merged.update({entry["stream"]["stream_descriptor"]["name"]: entry for entry in output.latest_state()})
        state = list(merged.values())
        if output.failure is None:
            return outputs, catalog
        error = output.errors[-1]
        assert error["failure_type"] == "transient_error", error
        assert "Stopped cleanly" in error["message"] and "resets at" in error["message"]
        if between is not None:
            between()
        emulator.clock.advance(next_chicago_midnight(emulator))
    raise AssertionError(f"not complete after {max_runs} runs")


def assert_matches_truth(emulator, config, outputs, catalog):
    records = lambda stream: [r for output in outputs for r in output.records(stream)]
    since = config["start_date"]
    assert_leads_match(emulator, records("leads"), leads_schema(catalog), since)
    types = [int(t) for t in TYPES.split(",")]
    assert_activities_match(emulator, records("lead_activities"), records("lead_activity_attributes"), types, since)
    programs = {a["id"] for a in emulator.truth.assets("programs") if a["updatedAt"][:19] >= since[:19]}
    assert {r["id"] for r in records("programs")} == programs


FAULTS = {
    "606 storm": [FaultRule(endpoint="re:^/(rest|bulk)/", error_code="606", error_message="Max rate limit '100' exceeded with in '20' secs", probability=0.3, times=40)],
    "615": [FaultRule(endpoint="re:^/(rest|bulk)/", error_code="615", error_message="Concurrent access limit '10' reached", times=6)],
    "token expiry mid-sync": [
        FaultRule(endpoint="/bulk/v1/leads/export/{exportId}/enqueue.json", error_code="602", error_message="Access token expired", times=1),
        FaultRule(endpoint="/bulk/v1/activities/export/{exportId}/file.json", error_code="602", error_message="Access token expired", times=1),
        FaultRule(endpoint="/rest/asset/v1/programs.json", error_code="601", error_message="Access token invalid", times=1),
    ],
    "bursts of 5xx": [
        FaultRule(endpoint="re:^/(rest|bulk)/", http_status=503, body="<html><body>503 Service Unavailable</body></html>", content_type="text/html", times=4),
        FaultRule(endpoint="/bulk/v1/leads/export/{exportId}/status.json", http_status=502, body="bad gateway", times=2),
    ],
    "malformed JSON": [FaultRule(endpoint="/rest/v1/leads/describe.json", http_status=200, body='{"requestId": "1#1", "success": tr', content_type="application/json", times=2)],
    "connection dropped mid-download": [FaultRule(endpoint="re:/file\\.json$", drop_after=700, times=3)],
    "truncated download": [FaultRule(endpoint="re:/file\\.json$", truncate_after=900, times=2)],
    "job failed": [FaultRule(endpoint="/bulk/v1/leads/export/create.json", job_outcome="Failed", job_error_msg="Internal error", times=1),
                   FaultRule(endpoint="/bulk/v1/activities/export/create.json", job_outcome="Failed", job_error_msg="Internal error", times=2)],
    "job cancelled": [FaultRule(endpoint="/bulk/v1/activities/export/create.json", job_outcome="Cancelled", times=1)],
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_given_a_fault_when_synced_then_the_records_equal_the_ground_truth(marketo_emulator_factory, name):
    emulator = marketo_emulator_factory()
    config = emulator_config(emulator, activity_type_ids=TYPES)
    rules = copy.deepcopy(FAULTS[name])  # fresh counters for every run of the test
    outputs, catalog = sync_until_complete(emulator, config, faults=rules)
    assert len(outputs) == 1, [o.errors for o in outputs]
    assert_matches_truth(emulator, config, outputs, catalog)
    assert all(rule.fired >= 1 for rule in rules), [(rule.endpoint, rule.fired) for rule in rules]  # every fault of the scenario hit the sync


def test_given_a_stalled_download_when_synced_then_it_resumes_with_range(marketo_emulator_factory):
    emulator = marketo_emulator_factory()
    config = emulator_config(emulator, activity_type_ids=TYPES, download_timeout_seconds=1)
    stall = FaultRule(endpoint="re:/leads/export/.*/file\\.json$", stall_after=500, stall_seconds=4, times=1)
    outputs, catalog = sync_until_complete(emulator, config, faults=[stall])
    assert_matches_truth(emulator, config, outputs, catalog)
    ranged = [e for e in emulator.journal.entries if e.endpoint.endswith("/file.json") and e.status == 206]
    assert ranged, "the download was not resumed with a Range request"


def test_given_a_full_queue_when_synced_then_jobs_wait_for_a_slot(marketo_emulator_factory):
    emulator = marketo_emulator_factory()
    emulator.occupy_queue(10)
    threading.Timer(2.5, emulator.release_queue).start()
    config = emulator_config(emulator, activity_type_ids=TYPES)
    outputs, catalog = sync_until_complete(emulator, config)
    assert_matches_truth(emulator, config, outputs, catalog)
    assert emulator.journal.calls(error_code="1029"), "the queue was never full"
    assert emulator.usage["peak_queued_jobs"] <= 10 and emulator.usage["peak_processing_jobs"] <= 2


@pytest.mark.parametrize("quota, words", [({"daily_export_mb": 0.05}, "bulk export"), ({"daily_call_quota": 25}, "API call quota")], ids=["bulk quota", "call quota"])
def test_given_a_marketo_quota_runs_out_mid_run_when_the_day_rolls_over_then_a_later_run_completes(marketo_emulator_factory, quota, words):
    emulator = marketo_emulator_factory(rate_limit_calls=0, **quota)  # many syncs back to back
    config = emulator_config(emulator, activity_type_ids=TYPES)
    outputs, catalog = sync_until_complete(emulator, config)
    assert len(outputs) > 1, "the quota never stopped a run"
    assert words in outputs[0].errors[-1]["message"]
    assert_matches_truth(emulator, config, outputs, catalog)


def test_given_a_daily_call_cap_when_synced_then_it_is_never_exceeded(marketo_emulator_factory):
    emulator = marketo_emulator_factory(rate_limit_calls=0)  # many syncs back to back: each starts a fresh limiter
    config = emulator_config(emulator, activity_type_ids=TYPES, daily_api_call_limit=30)
    outputs, catalog = sync_until_complete(emulator, config, max_runs=25)
    assert len(outputs) > 1
    assert "daily API call limit set for this connector" in outputs[0].errors[-1]["message"]
    per_day = per_chicago_day((entry.time, 1) for entry in emulator.journal.counted())
    assert max(per_day.values()) <= 30, per_day
    assert_matches_truth(emulator, config, outputs, catalog)


def test_given_a_daily_export_cap_when_synced_then_the_megabytes_stay_under_it(marketo_emulator_factory):
    emulator = marketo_emulator_factory(leads=1500, activities=30000, rate_limit_calls=0)
    start = (emulator.clock.now() - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    config = emulator_config(emulator, activity_type_ids=TYPES, daily_bulk_export_limit_mb=1, start_date=start)
    outputs, catalog = sync_until_complete(emulator, config, max_runs=30)
    per_day = per_chicago_day((job["finishedAt"], job["bytes"]) for job in emulator.jobs if job["status"] == "Completed")
    assert len(per_day) > 1, "the cap never stopped a run"
    assert max(per_day.values()) <= 1024 * 1024, per_day
    assert_matches_truth(emulator, config, outputs, catalog)
    for stopped, rerun in zip(outputs, outputs[1:]):
        assert_rerun_repeats_only_the_lookback_and_unfinished_exports(stopped, rerun)


CURSORS = {"leads": "updated_at", "lead_activities": "activity_date", "lead_activity_attributes": "activity_date"}


def assert_rerun_repeats_only_the_lookback_and_unfinished_exports(first, second, lookback_minutes=60):
    """A rerun from ``first``'s last state emits again only what lies after its cursor less the lookback:
    the windows that were not finished, and the lookback itself; never work the state said was done."""
    for stream, cursor in CURSORS.items():
        state = first.stream_state(stream)
        if not state or not state.get(cursor):
            continue
        since = (datetime.fromisoformat(state[cursor].replace("Z", "+00:00")) - timedelta(minutes=lookback_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
        again = {r["id"] for r in second.records(stream)} & {r["id"] for r in first.records(stream)}
        early = [r for r in first.records(stream) if r["id"] in again and (r.get(cursor) or "") < since]
        assert not early, f"{stream}: {len(early)} of {len(again)} records emitted again from before {since}, e.g. {early[:2]}"


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.8])
def test_given_a_process_killed_mid_run_when_rerun_with_its_last_state_then_nothing_is_lost(marketo_emulator_factory, fraction):
    emulator = marketo_emulator_factory(rate_limit_calls=0)
    config = emulator_config(emulator, activity_type_ids=TYPES)
    catalog = configured_catalog(run("discover", config).catalog, STREAMS)
    whole = run("read", config, catalog)
    emulator.reset()
    killed = run("read", config, catalog, stop_after=int(len(whole.messages) * fraction))
    outputs, catalog = sync_until_complete(emulator, config, state=killed.latest_state())
    assert_matches_truth(emulator, config, [killed] + outputs, catalog)
    assert_rerun_repeats_only_the_lookback_and_unfinished_exports(killed, outputs[0])


def read_with_a_failing_lane(emulator, fault: FaultRule):
    """One sync of every stream with ``fault`` installed; it must end with a system error."""
    config = emulator_config(emulator, activity_type_ids=TYPES)
    catalog = configured_catalog(run("discover", config).catalog, STREAMS)
    emulator.faults.add(fault)
    output = run("read", config, catalog)
    assert output.failure is not None and output.errors[-1]["failure_type"] == "system_error"
    return output, output.errors[-1]["message"]


def test_given_one_lane_s_status_calls_failing_for_good_when_synced_then_that_lane_stops_naming_its_job_and_the_others_complete(marketo_emulator_factory):
    emulator = marketo_emulator_factory(leads=600, activities=6000)
    output, message = read_with_a_failing_lane(emulator, FaultRule(endpoint="/bulk/v1/activities/export/{exportId}/status.json", http_status=500, body="<html>down</html>", content_type="text/html", after=1))
    assert "activities export" in message and "status.json" in message and "leads export" not in message
    assert output.statuses("lead_activities")[-1] == "INCOMPLETE" and output.statuses("leads")[-1] == "COMPLETE"
    config = emulator_config(emulator, activity_type_ids=TYPES)
    assert_leads_match(emulator, output.records("leads"), leads_schema(configured_catalog(run("discover", config).catalog, STREAMS)), config["start_date"])


def test_given_20_concurrency_refusals_when_synced_then_their_waits_add_up_to_seconds_not_minutes(marketo_emulator_factory, monkeypatch):
    monkeypatch.setattr(client_module, "DEFAULT_POLICY", RetryPolicy())  # the real backoff schedule, not the quick one of this module
    emulator = marketo_emulator_factory()
    config = emulator_config(emulator, activity_type_ids=TYPES)
    rules = [FaultRule(endpoint="re:^/(rest|bulk)/", error_code="615", error_message="Concurrent access limit '10' reached", probability=0.5, times=20)]
    catalog = configured_catalog(run("discover", config).catalog, STREAMS)
    emulator.faults.add(rules[0])
    output = run("read", config, catalog)
    assert output.failure is None and rules[0].fired == 20
    waits = [float(m.split("Retrying in ")[1].split(" s")[0]) for m in output.logs("WARN") if "Retrying in" in m and "concurrent" in m]
    assert len(waits) == 20 and sum(waits) < 5.0, waits  # a 606's rate window would be 20 s each


def test_given_every_export_failing_when_synced_then_the_lane_stops_after_a_few_and_the_rest_completes(marketo_emulator_factory):
    emulator = marketo_emulator_factory()
    output, message = read_with_a_failing_lane(emulator, FaultRule(endpoint="/bulk/v1/leads/export/create.json", job_outcome="Failed", job_error_msg="Internal error"))
    assert "export jobs in a row failed" in message
    assert len([job for job in emulator.jobs if job["kind"] == "leads"]) <= 6 + 4  # six failures, and what was in flight
    assert output.statuses("leads")[-1] == "INCOMPLETE" and output.records("lead_activities") and output.records("programs")


def test_given_marketo_refusing_every_activity_export_when_synced_then_that_lane_stops_within_a_few_calls_and_the_rest_completes(marketo_emulator_factory):
    """A refusal that is not about the type list: splitting it reaches a single type within log2(n) calls, then stops."""
    emulator = marketo_emulator_factory()
    output, message = read_with_a_failing_lane(emulator, FaultRule(endpoint="/bulk/v1/activities/export/create.json", error_code="1003", error_message="Invalid data"))
    assert "Marketo refused to create the activities export" in message and "1003 'Invalid data'" in message
    assert len(emulator.journal.calls(endpoint="/bulk/v1/activities/export/create.json")) <= 4  # 6 types -> 3 -> 1: three refusals
    assert output.statuses("lead_activities")[-1] == "INCOMPLETE" and output.records("leads") and output.records("programs")
