"""Activity exports in type groups, driven by the real scheduler and lane against a fake Marketo.

The fake refuses (1003) any export listing more than ``max_types`` activity types, completes the
others after a few polls, and records every create. The lane's file reading is replaced by a
recorder, so each test can check that every type of every window was emitted exactly once.
"""

import itertools
import logging
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from source_marketo.components.budget import ExportBudget
from source_marketo.components.bulk.activities import ACTIVITIES, ATTRIBUTES, ActivitiesLane
from source_marketo.components.bulk.jobs import ExportJob, JobStatus, Window
from source_marketo.components.bulk.scheduler import ExportScheduler, LaneState
from source_marketo.components.envelope import parse_envelope
from source_marketo.components.errors import Action, Decision, classify_body
from source_marketo.components.types import format_datetime
from unit_tests.helpers import FakeClock

UTC = timezone.utc
START = datetime(2024, 1, 1, tzinfo=UTC)
NOW = datetime(2024, 7, 1, tzinfo=UTC)
TYPES = (1, 2, 3, 4, 5, 6, 7, 8)
LOG = logging.getLogger("test_activity_groups")


class FakeMarketo:
    def __init__(self, clock, max_types=len(TYPES), code="1003"):
        self.clock, self.max_types, self.code = clock, max_types, code
        self.ids = itertools.count(1)
        self.created, self.refused, self.polls = [], [], {}

    def create(self, job):
        types = job.spec.activity_type_ids or ()
        if len(types) > self.max_types:
            self.refused.append(types)
            reply = parse_envelope({"requestId": "1#1", "success": False, "errors": [{"code": self.code, "message": "Too many activity type ids"}]})
            return classify_body(reply, "/bulk/v1/activities/export/create.json")  # what the client hands over
        job.export_id, job.status = str(next(self.ids)), JobStatus.CREATED
        self.created.append((job.spec.window, types))
        return Decision(Action.OK, "ok")

    def enqueue(self, job):
        job.status = JobStatus.QUEUED
        return Decision(Action.OK, "ok")

    def status(self, job):
        self.polls[job.export_id] = self.polls.get(job.export_id, 0) + 1
        if self.polls[job.export_id] < 2:
            job.status = JobStatus.PROCESSING
        else:
            job.status, job.file_size, job.records, job.finished_at = JobStatus.COMPLETED, 1000, 5, format_datetime(self.clock.now())
        return Decision(Action.OK, "ok")

    def cancel(self, job):
        pass


def make_lane(states, selected=(ACTIVITIES,), types=TYPES):
    settings = SimpleNamespace(start_date=START, lookback=timedelta(hours=1), export_window=timedelta(days=30))
    context = SimpleNamespace(runtime=SimpleNamespace(settings=settings, logger=LOG), now=NOW, selected={name: {} for name in selected})
    context.input_state = lambda stream: dict(states.get(stream) or {})
    lane = ActivitiesLane(context, types)
    lane.emitted = []  # (window, types, streams) per file read

    def read(rows, targets, boundary=None):
        lane.emitted.append((rows.job.spec.window, rows.job.spec.activity_type_ids, tuple(targets)))
        return iter(())

    lane._read_file = read
    return lane


@contextmanager
def open_rows(job):
    """The scheduler opens each completed file and hands its rows to the lane; here the rows name their job."""
    yield SimpleNamespace(job=job)


def scheduler_for(marketo, budget_mb=500):
    return ExportScheduler(marketo, open_rows, ExportBudget(marketo.clock, budget_mb), marketo.clock, LOG, 0.0)


def run(lane, marketo, budget_mb=500):
    scheduler = scheduler_for(marketo, budget_mb)
    messages = list(scheduler.run([lane])) + list(scheduler.final_states())  # as BulkSync does
    return scheduler, [message.state.stream.stream_state.__dict__ for message in messages if getattr(message, "state", None)]


def assert_every_type_emitted_once_per_day(lane, since=START, until=NOW, stream=ACTIVITIES):
    """Every type's windows reaching ``stream`` tile [since, until) with no gap and no overlap."""
    for type_id in lane.type_ids:
        windows = sorted((w.start, w.end) for w, types, streams in lane.emitted if type_id in types and stream in streams)
        position = since
        for start, end in windows:
            assert start == position, f"type {type_id}: {'gap' if start > position else 'overlap'} at {position}"
            position = end
        assert position == until, f"type {type_id} emitted to {position} only"


def test_given_a_type_cap_when_synced_then_the_list_is_halved_until_accepted_and_each_window_exported_once_per_group():
    marketo = FakeMarketo(FakeClock(NOW), max_types=2)
    lane = make_lane({ACTIVITIES: {"activity_date": format_datetime(START), "bytes_per_day": 1000}})
    scheduler, states = run(lane, marketo)
    assert not scheduler.lane_errors()
    assert marketo.refused == [TYPES, (1, 2, 3, 4), (5, 6, 7, 8)]  # no group refused twice
    assert lane.groups == [(1, 2), (3, 4), (5, 6), (7, 8)] and states[-1]["type_groups"] == [[1, 2], [3, 4], [5, 6], [7, 8]]
    assert len(marketo.created) == len(set(marketo.created))  # no window exported twice for a group
    assert_every_type_emitted_once_per_day(lane)
    assert states[-1]["activity_date"] == format_datetime(NOW)


def test_given_a_refusal_that_is_not_about_the_list_when_synced_then_the_lane_stops_within_log2_calls_and_keeps_one_list():
    marketo = FakeMarketo(FakeClock(NOW), max_types=0)
    lane = make_lane({ACTIVITIES: {"activity_date": format_datetime(START)}})
    scheduler, states = run(lane, marketo)
    assert len(marketo.refused) == 4  # 8 -> 4 -> 2 -> 1
    assert "Marketo refused to create" in str(scheduler.lane_errors()[0])
    assert lane.groups == [TYPES] and "type_groups" not in states[-1]  # the groups were no help: not kept


def test_given_a_refusal_code_that_smaller_lists_cannot_help_when_synced_then_the_list_is_not_split():
    marketo = FakeMarketo(FakeClock(NOW), max_types=0, code="610")
    lane = make_lane({ACTIVITIES: {"activity_date": format_datetime(START)}})
    scheduler, _ = run(lane, marketo)
    assert marketo.refused == [TYPES] and scheduler.lane_errors()


def test_given_groups_saved_by_a_run_when_the_next_runs_then_they_are_used_without_a_refusal():
    marketo = FakeMarketo(FakeClock(NOW), max_types=4)
    state = {"activity_date": format_datetime(START), "bytes_per_day": 1000, "type_groups": [[1, 2, 3, 4], [5, 6, 7, 8]]}
    lane = make_lane({ACTIVITIES: state})
    scheduler, _ = run(lane, marketo)
    assert not marketo.refused and not scheduler.lane_errors()
    assert_every_type_emitted_once_per_day(lane)


def test_given_a_group_waiting_for_budget_when_planning_goes_on_then_it_is_not_dropped():
    """A group's export that does not fit yet waits in place (created later), never dropped."""
    marketo = FakeMarketo(FakeClock(NOW), max_types=4)
    lane = make_lane({ACTIVITIES: {"activity_date": format_datetime(START), "bytes_per_day": 2**20, "type_groups": [[1, 2, 3, 4], [5, 6, 7, 8]]}})
    scheduler = scheduler_for(marketo)
    scheduler._lanes = [LaneState(lane)]
    first = Window(START, START + timedelta(days=30))
    created, waiting = ExportJob(lane._spec(first, (1, 2, 3, 4))), ExportJob(lane._spec(first, (5, 6, 7, 8)))
    marketo.create(created)
    marketo.enqueue(created)
    scheduler._lanes[0].jobs.extend([created, waiting])
    lane.plan.position = first.end  # the window was handed out
    scheduler.budget.reserve("another lane's job", scheduler.budget.available() - 2**20)
    scheduler._fill()
    assert waiting in scheduler._lanes[0].jobs and waiting.export_id is None
    scheduler.budget.release("another lane's job")
    pending = list(scheduler._lanes[0].jobs)
    lane.resume = lambda: pending  # the same jobs, driven to the end by a run
    for _ in scheduler.run([lane]):
        pass
    assert_every_type_emitted_once_per_day(lane)


def test_given_a_stream_added_since_the_grouped_run_when_synced_then_its_cursor_does_not_jump_over_unread_windows():
    ahead = datetime(2024, 6, 1, tzinfo=UTC)
    grouped = {"activity_date": format_datetime(ahead), "bytes_per_day": 1000, "type_groups": [[1, 2, 3, 4], [5, 6, 7, 8]],
               "groups_through": [format_datetime(ahead), format_datetime(ahead)]}
    marketo = FakeMarketo(FakeClock(NOW), max_types=4)
    lane = make_lane({ACTIVITIES: grouped}, selected=(ACTIVITIES, ATTRIBUTES))  # attributes: no state yet
    scheduler, states = run(lane, marketo)
    assert not scheduler.lane_errors()
    assert_every_type_emitted_once_per_day(lane, stream=ATTRIBUTES)


def test_given_a_budget_stop_while_made_up_exports_wait_then_none_is_created_after_it():
    marketo = FakeMarketo(FakeClock(NOW), max_types=7)
    lane = make_lane({ACTIVITIES: {"activity_date": format_datetime(START), "bytes_per_day": 2**20, "type_groups": [[1, 2, 3, 4, 5, 6, 7], [8]]}})
    scheduler = scheduler_for(marketo)
    scheduler._lanes = [LaneState(lane)]
    first = Window(START, START + timedelta(days=30))
    big, small = ExportJob(lane._spec(first, (1, 2, 3, 4, 5, 6, 7))), ExportJob(lane._spec(first, (8,)))
    scheduler._lanes[0].jobs.extend([big, small])
    lane.plan.position = first.end  # the window was handed out
    scheduler.budget.observe_spent(scheduler.budget.available() - int(lane.estimate(small.spec) * 1.5))  # room for the small one only
    scheduler._fill()
    assert scheduler.limit is not None and not marketo.created and not scheduler._lanes[0].jobs
