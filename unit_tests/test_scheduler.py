"""The scheduler as the one driver, against a fake Marketo: a failure on a job stops the lane that owns the
job and no other, wherever it surfaces (between another lane's batches, or at the top of the loop); and
the client waits moments, not a 20-second rate window, for a 615."""

import itertools
import logging
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import requests

from source_marketo.components.budget import ExportBudget
from source_marketo.components.bulk.jobs import ExportSpec, JobStatus, Window
from source_marketo.components.bulk.scheduler import ExportScheduler
from source_marketo.components.errors import Action, Decision, MarketoRequestError
from unit_tests.helpers import FakeClock, client_over

UTC = timezone.utc
START = datetime(2024, 1, 1, tzinfo=UTC)
LOG = logging.getLogger("test_scheduler")


class FakeMarketo:
    """Jobs complete on their second status call; ``broken`` export ids fail their status call for good."""

    def __init__(self, clock):
        self.clock, self.ids, self.polls, self.broken = clock, itertools.count(1), {}, set()
        self.reading = None  # the lane whose file is being read, if any
        self.failed_while_reading = []

    def create(self, job):
        job.export_id, job.status = f"{job.spec.kind}-{next(self.ids)}", JobStatus.CREATED
        return Decision(Action.OK, "ok")

    def enqueue(self, job):
        job.status = JobStatus.QUEUED
        return Decision(Action.OK, "ok")

    def status(self, job):
        if job.export_id in self.broken:
            self.failed_while_reading.append(self.reading)
            raise MarketoRequestError(Decision(Action.RETRY, f"Marketo answered HTTP 503 on /bulk/v1/{job.spec.kind}/export/{job.export_id}/status.json", "503"), 6)
        self.polls[job.export_id] = self.polls.get(job.export_id, 0) + 1
        job.status = JobStatus.COMPLETED if self.polls[job.export_id] >= 2 else JobStatus.PROCESSING
        job.file_size, job.records, job.finished_at = 100, 1, "2024-07-01T00:00:00Z"
        return Decision(Action.OK, "ok")

    def cancel(self, job):
        pass


class FakeLane:
    """Hands out ``windows`` one-day exports; each file is read in three batches, the clock moving between
    them (so the scheduler services the queue in the middle of the file); ``on_batch`` runs at each."""

    def __init__(self, name, kind, windows, marketo, on_batch=None, batch_seconds=2.0):
        self.name, self.kind, self.marketo, self.clock, self.on_batch = name, kind, marketo, marketo.clock, on_batch
        self.batch_seconds = batch_seconds
        self.specs = [ExportSpec(kind, Window(START + timedelta(days=i), START + timedelta(days=i + 1)), "createdAt", ("id",)) for i in range(windows)]
        self.read_windows, self.checkpoints = [], 0

    def resume(self):
        return []

    def next_export(self, room):
        return self.specs.pop(0) if self.specs else None

    def estimate(self, spec):
        return 1000

    def refused(self, spec, decision):
        return None

    def halves(self, spec):
        return None

    def read(self, job, rows):
        self.marketo.reading = self.name
        for batch in range(3):
            self.clock.advance(self.batch_seconds)  # reading takes time: the scheduler polls between batches
            if self.on_batch:
                self.on_batch(job, batch)
            yield f"{self.name}:{job.spec.window.start:%d}:{batch}"
        self.read_windows.append(job.spec.window)
        self.marketo.reading = None

    def checkpoint(self, jobs):
        self.checkpoints += 1
        return iter(())

    def progress(self):
        return self.name

    def likely_rest(self, past_now):
        return None  # these lanes cannot tell: windows are cut as the day's budget allows


@contextmanager
def open_rows(job):
    yield SimpleNamespace(job=job)


def scheduler_for(marketo, clock):
    return ExportScheduler(marketo, open_rows, ExportBudget(clock, 500), clock, LOG, poll_interval=1.0)


def test_given_a_status_failure_of_lane_b_during_lane_a_download_when_driven_then_only_lane_b_fails_and_its_job_is_named():
    clock = FakeClock(START)
    marketo = FakeMarketo(clock)
    b = FakeLane("activities", "activities", 3, marketo)

    def break_b(job, batch):  # while A's first file is being read, B's next status call fails for good
        if batch == 1 and not marketo.broken:
            marketo.broken.update(j.export_id for j in scheduler._lanes[1].jobs if j.export_id)

    a = FakeLane("leads", "leads", 3, marketo, on_batch=break_b)
    scheduler = scheduler_for(marketo, clock)
    output = list(scheduler.run([a, b]))
    assert marketo.failed_while_reading[0] == "leads"  # B's status failed in the middle of A's file
    assert len(a.read_windows) == 3  # A read every window, its first file to the end
    errors = scheduler.lane_errors()
    assert len(errors) == 1 and scheduler.failed(b) and not scheduler.failed(a)
    assert "activities export" in errors[0].message and "activities-" in errors[0].message  # B's job, not A's
    assert "leads" not in errors[0].message
    assert [item for item in output if item.startswith("leads:")] == [f"leads:{day:02d}:{batch}" for day in (1, 2, 3) for batch in range(3)]


def test_given_a_status_failure_at_the_top_of_the_loop_when_driven_then_the_owning_lane_fails_and_the_others_complete():
    clock = FakeClock(START)
    marketo = FakeMarketo(clock)
    a, b = (FakeLane(name, name, 4, marketo, batch_seconds=0.0) for name in ("leads", "activities"))  # quick files: polls between them
    scheduler = scheduler_for(marketo, clock)
    original = marketo.create

    def create(job):  # B's second export breaks as soon as it exists, before any file is read
        decision = original(job)
        if job.spec.kind == "activities" and job.export_id.endswith("-4"):
            marketo.broken.add(job.export_id)
        return decision

    marketo.create = create
    list(scheduler.run([a, b]))
    assert marketo.failed_while_reading[0] is None  # between files, at the top of the loop
    assert len(a.read_windows) == 4 and scheduler.failed(b) and not scheduler.failed(a)
    assert len(b.read_windows) < 4 and "activities-4" in scheduler.lane_errors()[0].message


class Session:
    """Answers 615 ``busy`` times, then success; counts the calls."""

    def __init__(self, busy):
        self.busy, self.calls = busy, 0

    def request(self, method, url, **kwargs):
        self.calls += 1
        body = b'{"requestId":"1#1","success":false,"errors":[{"code":"615","message":"Concurrent access limit \'10\' reached"}]}'
        if self.calls > self.busy:
            body = b'{"requestId":"1#1","success":true,"result":[]}'
        response = requests.Response()
        response.status_code, response._content = 200, body
        response.headers["Content-Type"] = "application/json"
        return response


def test_given_615_when_a_call_is_retried_then_it_waits_for_calls_in_flight_not_a_rate_window():
    clock = FakeClock(START)
    session = Session(busy=3)
    client = client_over(session, clock, LOG)
    reply = client.get("/rest/v1/lists.json")
    assert reply.decision.action is Action.OK and session.calls == 4
    assert sum(clock.slept) < 1.5, clock.slept  # three 615s: well under a second each, never 20 s
    assert all(delay < 1.0 for delay in clock.slept)


def test_given_a_lane_that_leaves_its_rest_to_tomorrow_when_driven_then_the_other_lanes_go_on_and_the_run_ends_with_a_clean_stop():
    from source_marketo.components.bulk.windows import Hold
    clock = FakeClock(START)
    marketo = FakeMarketo(clock)
    a, b = (FakeLane(name, name, 4, marketo, batch_seconds=0.0) for name in ("leads", "activities"))
    rooms = []
    handed = a.next_export

    def leads_next(room):  # two windows, then the rest is tomorrow's
        rooms.append(room)
        return handed(room) if len(a.specs) > 2 else Hold.TOMORROW

    a.next_export = leads_next
    a.likely_rest, b.likely_rest = (lambda past_now: 5000 + past_now.days * 100), (lambda past_now: 3000)
    scheduler = scheduler_for(marketo, clock)
    list(scheduler.run([a, b]))
    assert len(a.read_windows) == 2 and len(b.read_windows) == 4  # activities were not stopped with leads
    assert not scheduler.failed(a) and scheduler.limit is not None
    assert "the rest of leads is left to tomorrow" in str(scheduler.limit)
    assert rooms[0].rest_likely == 8100 and rooms[0].rest_now == 8000  # what every lane has left, to a day past now and to now
    del b.likely_rest  # a lane that cannot tell: unknown, so no lane leaves a cut window to tomorrow
    c = FakeLane("leads", "leads", 1, marketo)
    c.likely_rest = lambda past_now: 5000
    other = scheduler_for(marketo, clock)
    other._lanes = [SimpleNamespace(lane=c, jobs=[], failed=None, planned_all=False), SimpleNamespace(lane=b, jobs=[], failed=None, planned_all=False)]
    assert other._room(other._lanes[0]).rest_likely is None


def test_given_a_lane_left_to_tomorrow_when_the_run_goes_past_marketos_midnight_then_it_is_planned_again():
    from source_marketo.components.bulk.windows import Hold
    clock = FakeClock(datetime(2024, 1, 1, 5, 50, tzinfo=UTC))  # Marketo's day resets at 06:00 UTC (midnight in Chicago)
    marketo = FakeMarketo(clock)
    a = FakeLane("leads", "leads", 3, marketo, batch_seconds=0.0)
    b = FakeLane("activities", "activities", 12, marketo, batch_seconds=30.0)  # its files take 90 s each: past midnight
    handed = a.next_export

    def leads_next(room):  # one window, then "tomorrow" until the day has reset
        if len(a.specs) == 2 and clock.now() < datetime(2024, 1, 1, 6, 0, tzinfo=UTC):
            return Hold.TOMORROW
        return handed(room)

    a.next_export = leads_next
    a.likely_rest = b.likely_rest = lambda past_now: 1000
    scheduler = scheduler_for(marketo, clock)
    list(scheduler.run([a, b]))
    assert len(a.read_windows) == 3 and len(b.read_windows) == 12
    assert scheduler.limit is None  # the deferral was for a day that has passed


def test_given_a_lane_left_to_tomorrow_and_no_other_lane_planning_when_midnight_passes_then_the_scheduler_plans_it_again_itself():
    from source_marketo.components.bulk.windows import Hold
    clock = FakeClock(datetime(2024, 1, 1, 5, 58, tzinfo=UTC))
    marketo = FakeMarketo(clock)
    a = FakeLane("leads", "leads", 3, marketo, batch_seconds=0.0)
    b = FakeLane("activities", "activities", 2, marketo, batch_seconds=30.0)  # both planned at once, read past midnight
    handed = a.next_export

    def leads_next(room):
        if len(a.specs) == 2 and clock.now() < datetime(2024, 1, 1, 6, 0, tzinfo=UTC):
            return Hold.TOMORROW
        return handed(room)

    a.next_export = leads_next
    scheduler = scheduler_for(marketo, clock)
    list(scheduler.run([a, b]))
    assert len(b.read_windows) == 2 and clock.now() > datetime(2024, 1, 1, 6, 0, tzinfo=UTC)
    assert len(a.read_windows) == 3 and scheduler.limit is None  # no Room was asked for after midnight: _fill rolled the day
