"""The first sync of a real instance: data that begins years after the start date, a tiny daily export
cap, activity types Marketo keeps 90 days. Where the data begins is surveyed with a few REST calls, so
the years before it cost (almost) nothing; the records equal the ground truth."""

from datetime import datetime, timedelta, timezone

import pytest

from integration_tests.harness import configured_catalog, emulator_config, run
from integration_tests.test_bulk_streams import assert_leads_match, dedupe, expected_activities, leads_schema
from integration_tests.test_faults import TYPES, assert_matches_truth, next_chicago_midnight, per_chicago_day, sync_until_complete
from source_marketo.components.types import format_datetime

pytestmark = pytest.mark.usefixtures("quick_retries")

YEARS_BEFORE = timedelta(days=3652)


def cost(emulator):
    """(export jobs, counted API calls) the connector spent on ``emulator``."""
    jobs = [job for job in emulator.jobs if job["clientId"] == emulator.client_id]
    return len(jobs), len(emulator.journal.counted())


def first_sync(factory, start_offset, **settings):
    """A first sync of an instance whose data begins 150 days ago (denser as time goes on), from
    ``start_offset`` before that; every run until it completes, one a Marketo day when a cap stops it."""
    begins = (datetime.now(timezone.utc) - timedelta(days=3 + 150)).replace(microsecond=0)  # the test clock runs 3 days behind
    emulator = factory(leads=600, activities=8000, history_shape="growing", data_begins=begins, rate_limit_calls=0)
    config = emulator_config(emulator, activity_type_ids=TYPES, start_date=format_datetime((begins - start_offset).replace(microsecond=0)), **settings)
    outputs, catalog = sync_until_complete(emulator, config, max_runs=40)
    assert_matches_truth(emulator, config, outputs, catalog)
    return emulator, outputs


@pytest.mark.parametrize("settings", [{}, {"daily_bulk_export_limit_mb": 1}], ids=["no cap", "1 MB a day"])
def test_given_a_start_date_ten_years_before_the_data_when_synced_then_it_costs_at_most_3_jobs_and_20_calls_more(marketo_emulator_factory, settings):
    aligned, aligned_runs = first_sync(marketo_emulator_factory, timedelta(0), **settings)
    early, early_runs = first_sync(marketo_emulator_factory, YEARS_BEFORE, **settings)
    (aligned_jobs, aligned_calls), (early_jobs, early_calls) = cost(aligned), cost(early)
    assert early_jobs <= aligned_jobs + 3, (early_jobs, aligned_jobs)
    assert early_calls <= aligned_calls + 20, (early_calls, aligned_calls)
    plan = [m for m in early_runs[0].logs("INFO") if m.startswith("Backfill plan:")]
    assert plan and "nothing to export from the start date" in plan[0], plan
    # The leads' megabytes are counted from their ids: within a factor of 3 of what the exports held.
    planned = float(plan[0].split("leads by their ids")[0].split("about ")[-2].split(" MB")[0].replace(",", ""))
    exported = sum(job["bytes"] or 0 for job in early.jobs if job["kind"] == "leads" and job["status"] == "Completed" and len(job["request"].get("fields", [])) > 1) / 2**20
    assert exported / 3 <= planned <= exported * 3, (planned, exported, plan[0])
    if settings:
        assert len(early_runs) > 1  # the cap stopped runs: one clean stop per Marketo day, then the rest
        for run_output in early_runs[:-1]:
            assert "Done so far:" in run_output.errors[-1]["message"]
        per_day = per_chicago_day((job["finishedAt"], job["bytes"]) for job in early.jobs if job["status"] == "Completed")
        assert max(per_day.values()) <= 1024 * 1024, per_day
        # Later runs continue from what earlier ones learned: where leads begin is surveyed once.
        lowest_ids = [call for call in early.journal.calls(endpoint="/rest/v1/leads.json") if str(call.params.get("filterValues", "")).startswith("1,2,3,") and call.params.get("fields") != "id,updatedAt"]  # not the sample of updates
        assert len(lowest_ids) == 1, len(lowest_ids)


def test_given_activity_types_kept_90_days_when_a_first_sync_starts_years_back_then_no_job_is_spent_on_the_empty_months(marketo_emulator_factory):
    emulator = marketo_emulator_factory(leads=400, activities=8000, activity_retention=True, history_days=730, rate_limit_calls=0)
    types = "1,6,7,13,22,24"  # Marketo keeps all of these 90 days
    start = emulator.clock.now() - timedelta(days=730)
    config = emulator_config(emulator, activity_type_ids=types, start_date=format_datetime(start.replace(microsecond=0)))
    outputs, catalog = sync_until_complete(emulator, config, streams=["lead_activities"])
    exported = {r["id"] for output in outputs for r in output.records("lead_activities")}
    truth = {str(item["marketoGUID"]) for item in emulator.truth.activities(type_ids=[int(t) for t in types.split(",")], since=config["start_date"])}
    assert exported == truth and truth
    activity_jobs = [job for job in emulator.jobs if job["kind"] == "activities"]
    assert len(activity_jobs) <= 5, [job["request"]["filter"]["createdAt"] for job in activity_jobs]  # ~95 days in 30-day windows, not 25


MB = 1024 * 1024


def burst_before_the_sync(factory, burst_seconds):
    """6,000 leads over 150 days, 4,000 of them updated within ``burst_seconds`` two hours before a first
    sync under a 1 MB daily export cap (a mass update: about 2.2 MB of leads in that burst)."""
    begins = (datetime.now(timezone.utc) - timedelta(days=3 + 150)).replace(microsecond=0)
    emulator = factory(leads=6000, activities=80000, history_shape="growing", data_begins=begins, rate_limit_calls=0)
    emulator.tick(seconds=burst_seconds, new_leads=0, updated_leads=4000, deleted_leads=0, merged_leads=0, new_activities=0, asset_updates=0)
    emulator.clock.advance(2 * 3600)
    return emulator, emulator_config(emulator, daily_bulk_export_limit_mb=1, start_date=format_datetime(begins))


def capped_instance(factory, leads, activities, **settings):
    """An instance of growing history whose data begins 150 days ago, and a config from that day under a 1 MB daily export cap."""
    begins = (datetime.now(timezone.utc) - timedelta(days=3 + 150)).replace(microsecond=0)
    emulator = factory(leads=leads, activities=activities, history_shape="growing", data_begins=begins, rate_limit_calls=0)
    return emulator, emulator_config(emulator, daily_bulk_export_limit_mb=1, start_date=format_datetime(begins), **settings)


def mb_per_day(emulator):
    return per_chicago_day((job["finishedAt"], job["bytes"] or 0) for job in emulator.jobs
                           if job["clientId"] == emulator.client_id and job["status"] == "Completed")


@pytest.mark.parametrize("burst_seconds", [3600, 600], ids=["an hour", "ten minutes"])
def test_given_a_burst_of_updates_under_a_small_cap_when_backfilled_then_no_day_goes_over_it_and_it_ends_in_as_many_days_as_the_data_needs(marketo_emulator_factory, burst_seconds):
    # Found by a review: the rate learned inside the burst made the census look too dear, so windows were cut
    # from that rate and a day went 1.5 MB over a cap of 1 (an hour); then every later day stopped at once
    # without exporting, for good; the lookback made each resumed day export the burst's densest hour again;
    # and a census the run stopped inside was forgotten overnight, so the next day exported the burst blind
    # (ten minutes: 1.45 MB in a day).
    emulator, config = burst_before_the_sync(marketo_emulator_factory, burst_seconds)
    outputs, catalog = sync_until_complete(emulator, config, streams=["leads"], max_runs=5)  # ~3.3 MB: 4 days, and one to spare
    per_day = mb_per_day(emulator)
    assert max(per_day.values()) <= MB, per_day
    assert_leads_match(emulator, [r for output in outputs for r in output.records("leads")], leads_schema(catalog), config["start_date"])


def test_given_one_minute_holding_more_than_a_days_cap_when_backfilled_then_the_stream_says_to_raise_it_instead_of_going_over(marketo_emulator_factory):
    emulator, config = burst_before_the_sync(marketo_emulator_factory, 60)  # ~2.2 MB within one minute
    catalog = configured_catalog(run("discover", config).catalog, ["leads"])
    state, messages = None, []
    for _ in range(5):
        output = run("read", config, catalog, state=state)
        state = output.latest_state() or state
        messages = [error["message"] for error in output.errors]
        if output.failure is None or not all("Stopped cleanly" in message for message in messages):
            break
        emulator.clock.advance(next_chicago_midnight(emulator))
    assert any("more than a whole day's export cap holds; raise the daily bulk export limit" in message for message in messages), messages
    per_day = mb_per_day(emulator)
    assert max(per_day.values()) <= MB, per_day  # it had exported 1.51 MB in one day


def test_given_an_activity_backfill_stopped_at_the_cap_when_resumed_the_next_day_then_it_goes_on_from_the_cursor_without_exporting_the_lookback_again(marketo_emulator_factory):
    # Each resumed day began an hour before the cursor: that hour was exported (and its activities emitted)
    # again every day, where the window before the cursor had been exported long after its data was written.
    emulator, config = capped_instance(marketo_emulator_factory, 600, 90000, activity_type_ids=TYPES)
    catalog = configured_catalog(run("discover", config).catalog, ["lead_activities"])
    state, outputs, resumed_at = None, [], []
    for _ in range(8):
        created = len(emulator.jobs)
        output = run("read", config, catalog, state=state)
        outputs.append(output)
        if state is not None:
            cursor = next(entry["stream"]["stream_state"]["activity_date"] for entry in state if entry["stream"]["stream_descriptor"]["name"] == "lead_activities")
            first = next(job for job in emulator.jobs[created:] if job["kind"] == "activities")
            resumed_at.append((cursor, first["request"]["filter"]["createdAt"]["startAt"]))
        state = output.latest_state() or state
        if output.failure is None:
            break
        assert "Stopped cleanly" in output.errors[-1]["message"], output.errors[-1]
        emulator.clock.advance(next_chicago_midnight(emulator))
    assert output.failure is None and len(outputs) > 2, len(outputs)  # the cap stopped at least two days
    per_day = mb_per_day(emulator)
    assert max(per_day.values()) <= MB, per_day  # its first day had taken 1.84 MB: 30-day windows at a rate learned from 5-day ones
    assert all(started[:19] == cursor[:19] for cursor, started in resumed_at), resumed_at
    records = [record for run_output in outputs for record in run_output.records("lead_activities")]
    assert len(records) == len({record["id"] for record in records})  # no hour emitted twice
    assert dedupe(records, "activity_date") == expected_activities(emulator, [int(t) for t in TYPES.split(",")], config["start_date"])


def test_given_leads_whose_new_lead_activities_say_little_when_backfilled_under_a_small_cap_then_no_day_goes_over_it(marketo_emulator_factory):
    # Found by a review: with 6,000 leads and few New Lead activities the survey said "about 0.0 MB" a day,
    # and one run exported 3 MB under a cap of 1. The windows are now cut from a sample of the leads by id.
    emulator, config = capped_instance(marketo_emulator_factory, 6000, 300)
    outputs, catalog = sync_until_complete(emulator, config, streams=["leads"], max_runs=6)  # ~3 MB: 4 days, and some to spare
    per_day = mb_per_day(emulator)
    assert max(per_day.values()) <= MB, per_day
    assert_leads_match(emulator, [r for output in outputs for r in output.records("leads")], leads_schema(catalog), config["start_date"])
    sampled = [m for m in outputs[0].logs("INFO") if m.startswith("leads: sampled ")]
    assert sampled, outputs[0].logs("INFO")
    assert int(sampled[0].split("ids up to id ")[1].split(")")[0].replace(",", "")) > 6000 - 7, sampled  # the newest ids too, one in 7


def pending_exports(message, stream):
    """The exports of ``stream`` that a STATE message keeps for the next run (0 for any other message)."""
    if message.get("type") != "STATE" or message["state"]["stream"]["stream_descriptor"]["name"] != stream:
        return 0
    return len(message["state"]["stream"]["stream_state"].get("pending_exports") or [])


@pytest.mark.parametrize("shape", ["sampled", "burst", "activities"])
def test_given_runs_killed_while_their_exports_run_under_a_small_cap_when_restarted_at_once_then_no_day_goes_over_it(marketo_emulator_factory, shape):
    # Found by a review: a restarted run reused the jobs still running in Marketo but reserved them at the rate,
    # not at what the sample or census had cut them to, and planned new windows into the difference (a day
    # went 24-56% over the cap). Each day here: a run killed once two exports are pending, then restarted.
    # Writing it found an older overrun: a growing activity history's first day took 1.9 MB of a cap of 1.
    stream = "lead_activities" if shape == "activities" else "leads"
    if shape == "activities":
        emulator, config = capped_instance(marketo_emulator_factory, 600, 90000, activity_type_ids=TYPES)
    elif shape == "burst":
        emulator, config = burst_before_the_sync(marketo_emulator_factory, 3600)
    else:
        emulator, config = capped_instance(marketo_emulator_factory, 6000, 300)
    catalog = configured_catalog(run("discover", config).catalog, [stream])
    state, outputs, kills = None, [], 0
    for _ in range(8):
        output = run("read", config, catalog, state=state, stop_when=lambda message: pending_exports(message, stream) > 1)
        outputs.append(output)
        state = output.latest_state() or state
        if output.failure is None and pending_exports(output.messages[-1], stream) > 1:  # killed: restarted at once
            kills += 1
            output = run("read", config, catalog, state=state)
            outputs.append(output)
            state = output.latest_state() or state
        if output.failure is None:
            break
        assert "Stopped cleanly" in output.errors[-1]["message"], output.errors[-1]
        emulator.clock.advance(next_chicago_midnight(emulator))
    assert output.failure is None and kills >= 2, (kills, len(outputs))
    per_day = mb_per_day(emulator)
    assert max(per_day.values()) <= MB, per_day
    records = [record for run_output in outputs for record in run_output.records(stream)]
    if stream == "leads":
        assert_leads_match(emulator, records, leads_schema(catalog), config["start_date"])
    else:
        assert dedupe(records, "activity_date") == expected_activities(emulator, [int(t) for t in TYPES.split(",")], config["start_date"])


def test_given_leads_removed_during_a_capped_backfill_when_it_completes_then_they_are_tombstoned_and_only_uncapped_runs_scan_for_them(marketo_emulator_factory):
    # A run stopped at the day's export cap leaves the removal scans to the next run, from the same checkpoint:
    # a backfill over several Marketo days paid for them (a paging token, deletedleads, merges) once a day.
    emulator, config = capped_instance(marketo_emulator_factory, 6000, 300)
    catalog = configured_catalog(run("discover", config).catalog, ["leads"])
    state, outputs, gone, scans = None, [], set(), []
    for _ in range(6):  # ~3 MB: 4 days, and some to spare
        before = len(emulator.journal.calls(endpoint="/rest/v1/activities/deletedleads.json"))
        output = run("read", config, catalog, state=state)
        outputs.append(output)
        scans.append(len(emulator.journal.calls(endpoint="/rest/v1/activities/deletedleads.json")) - before)
        state = output.latest_state() or state
        if output.failure is None:
            break
        assert "Stopped cleanly" in output.errors[-1]["message"], output.errors[-1]
        summary = emulator.tick(seconds=600, new_leads=0, updated_leads=0, deleted_leads=3, merged_leads=2, new_activities=0)
        gone |= set(summary["deleted_leads"]) | {merge["loser"] for merge in summary["merged_leads"]}
        emulator.clock.advance(next_chicago_midnight(emulator))
    assert output.failure is None and len(outputs) > 2, len(outputs)
    assert scans[:-1] == [0] * (len(scans) - 1) and scans[-1] >= 1, scans  # only the run that completed scanned
    assert max(mb_per_day(emulator).values()) <= MB
    records = [record for run_output in outputs for record in run_output.records("leads")]
    assert_leads_match(emulator, records, leads_schema(catalog), config["start_date"], must_remove=gone)


def test_given_a_removal_scan_deferred_a_week_when_the_next_capped_run_comes_then_it_scans_anyway(marketo_emulator_factory):
    # Marketo may prune Delete Lead activities after 14 days: a scan waits for an uncapped run a week at most.
    emulator, config = capped_instance(marketo_emulator_factory, 6000, 300)
    catalog = configured_catalog(run("discover", config).catalog, ["leads"])
    first = run("read", config, catalog)
    assert first.failure is not None and "Stopped cleanly" in first.errors[-1]["message"], first.errors
    state = first.latest_state()
    leads = next(entry for entry in state if entry["stream"]["stream_descriptor"]["name"] == "leads")["stream"]["stream_state"]
    emulator.clock.advance(next_chicago_midnight(emulator))
    week_ago = (emulator.clock.now() - timedelta(days=8)).replace(microsecond=0)
    leads["deletions_through"] = format_datetime(week_ago)
    scans_before = len(emulator.journal.calls(endpoint="/rest/v1/activities/deletedleads.json"))
    second = run("read", config, catalog, state=state)
    assert second.failure is not None and "Stopped cleanly" in second.errors[-1]["message"], second.errors
    assert len(emulator.journal.calls(endpoint="/rest/v1/activities/deletedleads.json")) > scans_before  # this capped run scanned
    kept = second.stream_state("leads")["deletions_through"]
    assert kept > format_datetime(week_ago), kept  # the scan moved its checkpoint


def test_given_leads_updated_between_the_days_of_a_capped_backfill_when_it_goes_on_then_its_sample_is_taken_again_and_no_day_goes_over_it(marketo_emulator_factory):
    # The sample of leads by id that the first run keeps in the state ends where that run began: the leads updated
    # each night since lie past it. The run that may get past it takes it again (3-4 calls) instead of a census.
    emulator, config = capped_instance(marketo_emulator_factory, 6000, 300)
    touch = lambda: emulator.tick(seconds=3600, new_leads=0, updated_leads=300, deleted_leads=0, merged_leads=0, new_activities=0, asset_updates=0)
    # ~3.3 MB and ~0.17 MB more a night: 4-5 days, and some to spare
    outputs, catalog = sync_until_complete(emulator, config, streams=["leads"], max_runs=8, between=touch)
    assert len(outputs) > 2, len(outputs)
    again = [line for run_output in outputs[1:] for line in run_output.logs() if "sampled" in line and " again " in line]
    assert again, "\n".join(line[:200] for run_output in outputs for line in run_output.logs() if "leads" in line and ("Created" in line or "sampled" in line or "Stopped" in line or "census" in line or "tomorrow" in line))
    assert max(mb_per_day(emulator).values()) <= MB, mb_per_day(emulator)
    records = [record for run_output in outputs for record in run_output.records("leads")]
    assert_leads_match(emulator, records, leads_schema(catalog), config["start_date"])
