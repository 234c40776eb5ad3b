"""The backfill plan's log line: megabytes and days from the survey (leads: counted by their ids), and
from earlier runs' rates when a backfill continues."""

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from source_marketo.components.bulk.survey import Survey
from source_marketo.components.bulk.sync import backfill_plan
from source_marketo.components.bulk.windows import WindowPlan

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
MB = 2**20


def lane(name, plan, survey):
    return SimpleNamespace(name=name, plan=plan, survey=survey, parts=lambda: [None])


def budget(cap_mb=500, left_mb=500):
    return SimpleNamespace(cap_bytes=cap_mb * MB, left_today=lambda: left_mb * MB)


def test_given_a_survey_of_leads_by_their_ids_when_planned_then_the_megabytes_count_every_lead_once():
    plan = WindowPlan(start=NOW - timedelta(days=365), end=NOW, max_window=timedelta(days=30), prior=MB, bytes_per_row=1000.0)
    survey = Survey(NOW - timedelta(days=365), True, 10.0, 800.0, 5, "the oldest lead's creation", 5.0, total_rows=300_000)
    line = backfill_plan([lane("leads", plan, survey)], budget(cap_mb=100, left_mb=100), NOW - timedelta(days=3650))
    assert "about 286.1 MB" in line and "3 Marketo day(s) at the cap of 100 MB" in line, line  # 300,000 x 1000 B
    assert "nothing to export from the start date" in line and "from about 300,000 leads by their ids" in line


def test_given_an_earlier_run_s_rate_when_a_backfill_continues_then_the_plan_says_so_without_a_survey():
    plan = WindowPlan(start=NOW - timedelta(days=100), end=NOW, max_window=timedelta(days=30), prior=MB, learned=2 * MB)
    line = backfill_plan([lane("activities", plan, None)], budget(), NOW - timedelta(days=3650))
    assert "continuing the backfill of earlier runs" in line and "from earlier exports" in line, line
    assert "about 200.0 MB" in line and "nothing to export" not in line, line
