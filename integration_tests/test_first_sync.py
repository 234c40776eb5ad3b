"""The first sync of a real instance: data that begins years after the start date, a tiny daily export
cap, activity types Marketo keeps 90 days. Where the data begins is surveyed with a few REST calls, so
the years before it cost (almost) nothing; the records equal the ground truth."""

from datetime import datetime, timedelta, timezone

import pytest

from integration_tests.harness import emulator_config
from integration_tests.test_faults import TYPES, assert_matches_truth, per_chicago_day, sync_until_complete
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
    if settings:
        assert len(early_runs) > 1  # the cap stopped runs: one clean stop per Marketo day, then the rest
        for run_output in early_runs[:-1]:
            assert "Done so far:" in run_output.errors[-1]["message"]
        per_day = per_chicago_day((job["finishedAt"], job["bytes"]) for job in early.jobs if job["status"] == "Completed")
        assert max(per_day.values()) <= 1024 * 1024, per_day


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
