"""The scheduler's recovery paths against a fake Marketo, each a bug a review found by simulation: runs that
must end (a re-export after a budget stop), a failed lane whose jobs still run in Marketo, reservations for
reused jobs and after a 404, the cursor checkpointed as soon as a file is read, a file gone for good, and a
leads census refused with 1035."""

import logging
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from source_marketo.components.budget import ExportBudget, LimitReached, MEGABYTE
from source_marketo.components.bulk.download import ExportGone
from source_marketo.components.bulk.jobs import ExportJob, JobStatus
from source_marketo.components.bulk.leads import LEADS, MODE_ACTIVITY, LeadsLane
from source_marketo.components.bulk.scheduler import ExportScheduler
from source_marketo.components.envelope import parse_envelope
from source_marketo.components.errors import Action, Decision, Limit, MarketoRequestError, classify_body
from source_marketo.components.metadata import LeadField
from source_marketo.components.types import format_datetime
from unit_tests.helpers import FakeClock
from unit_tests.test_scheduler import START, FakeLane, FakeMarketo

LOG = logging.getLogger("test_scheduler_recovery")
NOW = datetime(2024, 7, 1, tzinfo=timezone.utc)


class Hung(Exception):
    pass


class BoundedClock(FakeClock):
    """A fake clock that refuses to wait more than two simulated days: a run that would hang fails instead."""

    def sleep(self, seconds):
        super().sleep(seconds)
        if self.monotonic() > 1000 + 2 * 86400:
            raise Hung("the run did not end")


@contextmanager
def rows_of(job):
    yield SimpleNamespace(job=job, header=["updatedAt"])


def drive(marketo, lanes, budget_mb=500):
    scheduler = ExportScheduler(marketo, rows_of, ExportBudget(marketo.clock, budget_mb), marketo.clock, LOG, poll_interval=1.0)
    return scheduler, list(scheduler.run(lanes)) + list(scheduler.final_states())


def test_given_a_budget_stop_when_a_running_job_then_fails_then_the_run_still_ends():
    clock = BoundedClock(START)
    marketo = FakeMarketo(clock)
    created, made = marketo.create, []

    def create(job):  # Marketo's allocation runs out at the third create; the first job then ends Failed
        if len(made) >= 2:
            raise LimitReached("Marketo's daily bulk export allocation", "1029", None, kind=Limit.EXPORTS)
        made.append(job)
        return created(job)

    status = marketo.status

    def fail_first(job):
        decision = status(job)
        if job.export_id.endswith("-1"):
            job.status = JobStatus.FAILED
        return decision

    marketo.create, marketo.status = create, fail_first
    lane = FakeLane("activities", "activities", 5, marketo)
    scheduler, _ = drive(marketo, [lane])  # raised Hung before the fix
    assert scheduler.limit is not None


def test_given_a_lane_failing_while_its_jobs_run_when_driven_then_they_keep_their_reservation_to_the_end_and_the_other_lane_goes_on():
    clock = FakeClock(START)
    marketo = FakeMarketo(clock)
    status = marketo.status
    reserved_while_a_ran, broken_calls = [], []

    def status_of(job):
        if job.export_id == "activities-1":
            broken_calls.append(job.export_id)
            raise MarketoRequestError(Decision(Action.RETRY, "HTTP 502 on status.json", "502"), 6)
        if job.export_id.startswith("activities"):
            reserved_while_a_ran.append(scheduler.budget.reserved)
        return status(job)

    marketo.status = status_of
    a, b = FakeLane("activities", "activities", 4, marketo, batch_seconds=0.0), FakeLane("leads", "leads", 3, marketo, batch_seconds=0.0)
    scheduler = ExportScheduler(marketo, rows_of, ExportBudget(clock, 500), clock, LOG, poll_interval=1.0)
    list(scheduler.run([a, b]))
    assert scheduler.failed(a) and len(b.read_windows) == 3  # B was not starved of Marketo's slots
    assert reserved_while_a_ran and all(reserved > 0 for reserved in reserved_while_a_ran)  # A's running jobs stayed reserved
    kept = {job.export_id: job for job in scheduler._lanes[0].jobs}
    assert kept["activities-3"].status is JobStatus.COMPLETED  # kept for the next run to read, not paid again
    assert kept["activities-1"].given_up and len(broken_calls) == 2  # its status failed for good (twice): not polled on


def test_given_jobs_reused_from_an_earlier_run_when_the_run_starts_then_they_hold_reservations():
    clock = FakeClock(START)
    marketo = FakeMarketo(clock)
    lane = FakeLane("activities", "activities", 0, marketo)
    reused = [ExportJob(spec, export_id=f"old-{i}", reused=True) for i, spec in enumerate(FakeLane("x", "activities", 2, marketo).specs)]
    lane.resume = lambda: reused
    scheduler = ExportScheduler(marketo, rows_of, ExportBudget(clock, 500), clock, LOG, poll_interval=1.0)
    status, at_first_poll = marketo.status, []
    marketo.status = lambda job: (at_first_poll.append(scheduler.budget.reserved), status(job))[1]
    list(scheduler.run([lane]))
    assert at_first_poll[0] == 2 * lane.estimate(reused[0].spec)  # still running in Marketo, as far as the run knows
    assert scheduler.budget.reserved == 0 and len(lane.read_windows) == 2


def test_given_a_status_404_when_the_window_is_exported_again_then_its_reservation_was_given_back():
    clock = BoundedClock(START)
    marketo = FakeMarketo(clock)
    status = marketo.status

    def not_found_once(job):
        if job.export_id == "activities-1":
            return Decision(Action.NOT_FOUND, "Marketo has no file for this export (HTTP 404 on status.json)", "404")
        return status(job)

    marketo.status = not_found_once
    lane = FakeLane("activities", "activities", 1, marketo)
    lane.estimate = lambda spec: 400 * MEGABYTE  # the window again only fits once the first one's hold is gone
    scheduler, _ = drive(marketo, [lane])
    assert len(lane.read_windows) == 1 and scheduler.limit is None and scheduler.budget.reserved == 0


def test_given_a_file_read_when_the_next_jobs_are_still_running_then_the_moved_cursor_is_checkpointed_at_once():
    clock = FakeClock(START)
    marketo = FakeMarketo(clock)
    lane = FakeLane("activities", "activities", 2, marketo)
    seen = []
    lane.checkpoint = lambda jobs: iter([("STATE", len(lane.read_windows), [job.export_id for job in jobs])])
    scheduler = ExportScheduler(marketo, rows_of, ExportBudget(clock, 500), clock, LOG, poll_interval=1.0)
    for item in scheduler.run([lane]):
        if isinstance(item, tuple):
            seen.append(item)
    after_first = [item for item in seen if item[1] == 1]
    assert after_first and "activities-1" not in after_first[0][2]  # the first state after the read no longer lists it
    during = [item for item in seen if item[1] == 0 and item[2]]
    assert all(ids[0] == "activities-1" for _, _, ids in during)  # while it was read, it stayed in the saved exports


def test_given_a_file_that_is_always_gone_when_driven_then_the_lane_stops_after_a_few_jobs():
    clock = BoundedClock(START)
    marketo = FakeMarketo(clock)
    lane = FakeLane("activities", "activities", 1, marketo)

    def gone(job, rows):
        raise ExportGone("HTTP 404 on file.json")
        yield

    lane.read = gone
    lane.halves = lambda spec: None
    scheduler, _ = drive(marketo, [lane])
    assert scheduler.failed(lane) and next(marketo.ids) <= 4  # two attempts, then the lane stops: not a job a day forever


def leads_lane(states, budget_today_mb=1):
    settings = SimpleNamespace(start_date=START, lookback=timedelta(hours=1), export_window=timedelta(days=30))
    context = SimpleNamespace(runtime=SimpleNamespace(settings=settings, logger=LOG, client=None), now=NOW,
                              selected={LEADS: {"properties": {"id": {}, "updated_at": {}}}})
    context.input_state = lambda stream: dict(states.get(stream) or {})
    fields = [LeadField("id", "Id", "integer", True), LeadField("updatedAt", "Updated", "datetime", True)]
    return LeadsLane(context, fields)


def test_given_a_leads_census_refused_with_1035_when_driven_then_the_lane_switches_to_activity_mode_and_goes_on():
    clock = BoundedClock(START)
    marketo = FakeMarketo(clock)
    created = marketo.create

    def no_updated_at(job):
        if job.spec.filter_name == "updatedAt":
            body = {"requestId": "1#1", "success": False, "errors": [{"code": "1035", "message": "Unsupported filter type for target subscription"}]}
            return classify_body(parse_envelope(body), "/bulk/v1/leads/export/create.json")
        return created(job)

    marketo.create = no_updated_at
    lane = leads_lane({LEADS: {"updated_at": format_datetime(START), "bytes_per_day": 200_000, "bytes_per_row": 500.0, "rate_growth": 1.0}})
    read = []
    lane._read_export = lambda job, rows: iter(read.append(job.spec) or ())
    scheduler, _ = drive(marketo, [lane], budget_mb=1)  # a tight budget: the lane takes a census first
    assert lane.mode == MODE_ACTIVITY and not lane._census_pending
    assert read and all(spec.filter_name == "createdAt" for spec in read)


@pytest.mark.parametrize("reported", [0, 5000])
def test_given_a_leads_census_that_counts_no_rows_when_driven_then_its_span_is_done_without_exporting_it(reported):
    clock = BoundedClock(START)
    marketo = FakeMarketo(clock)
    created, specs = marketo.create, []

    def create(job):
        specs.append(job.spec)
        return created(job)

    marketo.create = create
    polled = marketo.status

    def status(job):  # Marketo's numberOfRecords: none for a census (unless the file lost them)
        decision = polled(job)
        job.records = reported if job.spec.census else 1
        return decision

    marketo.status = status

    class Header(list):  # a census file of no rows: only its header
        header = ["updatedAt"]

    @contextmanager
    def files(job):
        yield Header()

    # The last 20 days of a backfill, at a tight budget: the census comes first, and finds nothing.
    start = NOW - timedelta(days=20)
    lane = leads_lane({LEADS: {"updated_at": format_datetime(start), "bytes_per_day": 200_000, "bytes_per_row": 500.0, "rate_growth": 1.0}})
    read = []
    lane._read_export = lambda job, rows: iter(read.append(job.spec) or ())
    scheduler = ExportScheduler(marketo, files, ExportBudget(marketo.clock, 1), marketo.clock, LOG, poll_interval=1.0)
    messages = list(scheduler.run([lane])) + list(scheduler.final_states())
    if reported:  # the file has no rows but Marketo counted some (a truncated body): exported, never skipped
        assert read and lane.plan.position == NOW
        return
    assert specs and all(spec.census for spec in specs) and not read  # no export of a span counted empty
    assert lane.cursor == NOW and lane.state()["updated_at"] == format_datetime(NOW)
    assert messages[-1].state.stream.stream_state.updated_at == format_datetime(NOW)
