"""Polls land just after a job's expected end (timing.py), never more often than the poll interval.

A fake Marketo with two processing slots, a dispatch delay, jobs that take a fixed time plus their rows
at a fixed rate, and a status that refreshes only when a poll comes at least an interval after the last
refresh: what the emulator does, and the least Marketo promises."""

import itertools
import logging
from datetime import datetime, timedelta, timezone

from source_marketo.components.budget import ExportBudget
from source_marketo.components.bulk.jobs import ExportJob, ExportSpec, JobStatus, Window
from source_marketo.components.bulk.scheduler import ExportScheduler, LaneState
from source_marketo.components.bulk.timing import JobTimer, _fit
from source_marketo.components.errors import Action, Decision
from unit_tests.helpers import FakeClock
from unit_tests.test_scheduler import open_rows

UTC = timezone.utc
START = datetime(2024, 1, 1, tzinfo=UTC)
LOG = logging.getLogger("test_job_timing")
FIXED, ROWS_PER_SECOND, DISPATCH, INTERVAL, ROW_BYTES = 90.0, 3000.0, 30.0, 60.0, 100
RATES = {"leads": ROWS_PER_SECOND}  # rows a second by kind: Marketo's may differ


class TimedMarketo:
    def __init__(self, clock, rows_of):
        self.clock, self.rows_of, self.ids = clock, rows_of, itertools.count(1)
        self.origin = (clock.now(), clock.monotonic())
        self.jobs = {}  # export id: the job's true timeline and its last view
        self.order = []  # enqueue order (FIFO)
        self.slots = [float("-inf"), float("-inf")]  # when each processing slot frees
        self.latency = 0.0

    def stamp(self, at):
        moment = self.origin[0] + timedelta(seconds=at - self.origin[1])
        return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _advance(self):
        """Start queued jobs, oldest first, as a slot frees and their dispatch delay passes."""
        now = self.clock.monotonic()
        for export_id in self.order:
            job = self.jobs[export_id]
            if job["started"] is not None:
                continue
            slot = min(range(2), key=lambda index: self.slots[index])
            start = max(job["queued"] + DISPATCH, self.slots[slot])
            if start > now:
                return
            job["started"], self.slots[slot] = start, start + job["duration"]

    def create(self, job):
        job.export_id, job.status = f"x-{next(self.ids)}", JobStatus.CREATED
        rows = self.rows_of(job.spec)
        self.jobs[job.export_id] = {"kind": job.spec.kind, "fields": job.spec.fields, "rows": rows, "duration": FIXED + rows / RATES.get(job.spec.kind, ROWS_PER_SECOND), "queued": None, "started": None,
                                    "refreshed": None, "view": {"exportId": job.export_id, "status": "Created"}, "polls": []}
        return Decision(Action.OK, "ok")

    def enqueue(self, job):
        entry = self.jobs[job.export_id]
        entry["queued"] = self.clock.monotonic()
        self.order.append(job.export_id)
        job.update({"exportId": job.export_id, "status": "Queued", "queuedAt": self.stamp(entry["queued"])})
        return Decision(Action.OK, "ok")

    def status(self, job):
        self._advance()
        now = self.clock.monotonic()
        entry = self.jobs[job.export_id]
        entry["polls"].append(now)
        self.clock.advance(self.latency)  # the reply comes this much after Marketo looked
        if entry["refreshed"] is None or now - entry["refreshed"] >= INTERVAL:
            entry["refreshed"] = now
            view = {"exportId": job.export_id, "status": "Queued", "queuedAt": self.stamp(entry["queued"])}
            if entry["started"] is not None:
                view.update(status="Processing", startedAt=self.stamp(entry["started"]))
                end = entry["started"] + entry["duration"]
                if end <= now:
                    view.update(status="Completed", finishedAt=self.stamp(end), numberOfRecords=entry["rows"],
                                fileSize=entry["rows"] * ROW_BYTES, fileChecksum="sha256:00")
                    entry["seen"] = now - end
            entry["view"] = view
        job.update(entry["view"])
        return Decision(Action.OK, "ok")

    def cancel(self, job):
        pass


class Lane:
    def __init__(self, windows, rows, kind="leads", pad=1.0, fields=("id",), name=None):
        self.name, self.rows, self.pad = name or kind, rows, pad
        self.specs = [ExportSpec(kind, Window(START + timedelta(days=i), START + timedelta(days=i + 1)), "updatedAt", fields) for i in range(windows)]

    def rows_of(self, spec):
        return self.rows[(spec.window.start - START).days]

    def resume(self):
        return []

    def next_export(self, room):
        return self.specs.pop(0) if self.specs else None

    def estimate(self, spec):
        # pad 1: a good estimate, the timer's rows from it are right; a quiet window reserves the lanes' 64 kB floor
        return max(int(self.rows_of(spec) * ROW_BYTES * self.pad), 64 * 1024)

    def refused(self, spec, decision):
        return None

    def halves(self, spec):
        return None

    def read(self, job, rows):
        yield job.export_id

    def checkpoint(self, jobs):
        return iter(())

    def progress(self):
        return self.name

    def likely_rest(self, past_now):
        return None  # these lanes cannot tell: windows are cut as the day's budget allows


SERIALS = itertools.count(1)
ROWS = [0, 60000, 12000, 45000, 3000, 30000, 90000, 6000, 24000, 51000, 1500, 75000]


def sync(timed: bool, latency: float = 0.0, lanes=None):
    clock = FakeClock(START)
    lanes = lanes or [Lane(len(ROWS), ROWS)]
    by_request = {(lane.specs[0].kind, lane.specs[0].fields): lane for lane in lanes}
    marketo = TimedMarketo(clock, lambda spec: by_request[spec.kind, spec.fields].rows_of(spec))
    marketo.latency = latency
    scheduler = ExportScheduler(marketo, open_rows, ExportBudget(clock, 500), clock, LOG, poll_interval=INTERVAL, depth=2)
    if not timed:
        scheduler.timer.expected_end = lambda job, estimate: None
    list(scheduler.run(lanes))
    return marketo


def seen_of(marketo, kind, fields=None):
    return [entry["seen"] for entry in marketo.jobs.values() if entry["kind"] == kind and fields in (None, entry["fields"])]


def test_given_learned_job_times_when_polling_then_each_job_is_seen_within_seconds_of_its_end():
    for latency in (0.0, 0.5, 2.0):  # however long a reply takes, no poll of the phase is skipped
        marketo = sync(timed=True, latency=latency)
        seen = [entry["seen"] for entry in marketo.jobs.values()]
        assert len(seen) == len(ROWS)
        assert max(seen[3:]) <= 5.0, (latency, seen)  # once two jobs gave the fit (and one more was under way), seconds after the end
        for entry in marketo.jobs.values():  # never more often than the interval (as Marketo sees the polls)
            gaps = [b - a for a, b in zip(entry["polls"], entry["polls"][1:])]
            assert min(gaps, default=INTERVAL) >= INTERVAL - 1e-6, entry["polls"]
            assert max(gaps, default=INTERVAL) <= INTERVAL * 1.02 * 2, entry["polls"]  # nor skipped


def test_given_no_timing_when_polling_then_jobs_are_seen_later_on_average():
    timed, untimed = sync(timed=True), sync(timed=False)
    mean = lambda marketo: sum(entry["seen"] for entry in marketo.jobs.values()) / len(marketo.jobs)
    assert mean(untimed) > 3 * mean(timed) and mean(untimed) > 10.0  # the arbitrary phase: tens of seconds
    polls = lambda marketo: sum(len(entry["polls"]) for entry in marketo.jobs.values())
    assert polls(timed) <= polls(untimed)  # not one status call more


def test_given_reservations_padded_twice_over_when_rows_take_most_of_a_job_then_jobs_are_still_seen_within_seconds(monkeypatch):
    # A reservation holds a margin over the window's estimate: read as rows, it would put every expected end
    # late by as long again as the rows take, and the job would be seen on the arbitrary phase's poll.
    monkeypatch.setitem(RATES, "leads", 500.0)  # 90,000 rows: 3 minutes of rows against 90 s fixed
    for pad in (1.0, 2.0, 4.5):
        seen = seen_of(sync(timed=True, lanes=[Lane(len(ROWS), ROWS, pad=pad)]), "leads")
        assert len(seen) == len(ROWS) and max(seen[3:]) <= 5.0, (pad, seen)


def test_given_kinds_processed_at_different_speeds_when_polling_then_each_kind_is_timed_by_its_own_fit(monkeypatch):
    # One line through both kinds' jobs fits neither: with activity rows ten times as fast, its slope came out
    # near the activities' and every lead job was expected early.
    monkeypatch.setitem(RATES, "activities", 30000.0)
    activities = [rows * 3 for rows in ROWS]  # three times the rows, at ten times the speed
    marketo = sync(timed=True, lanes=[Lane(len(ROWS), ROWS), Lane(len(ROWS), activities, kind="activities")])
    for kind in ("leads", "activities"):
        seen = seen_of(marketo, kind)
        assert len(seen) == len(ROWS) and max(seen[3:]) <= 5.0, (kind, seen)


def test_given_quiet_windows_between_busy_ones_when_polling_then_the_busy_ones_are_still_seen_within_seconds(monkeypatch):
    # A quiet window reserves the 64 kB floor whatever it holds: learned as rows per reserved byte, three of them
    # made it 0 and the next busy job was expected with no rows (early, seen most of an interval late).
    monkeypatch.setitem(RATES, "leads", 1000.0)
    rows = [0, 60000, 12000, 45000, 30000, 0, 0, 0, 8000, 0, 0, 0, 20000, 0, 0, 0, 4000, 0, 0, 0, 40000]
    marketo = sync(timed=True, lanes=[Lane(len(rows), rows, pad=1.15)])
    busy = [entry["seen"] for entry in list(marketo.jobs.values())[5:] if entry["rows"]]
    assert busy and max(busy) <= 5.0, busy


def test_given_two_lanes_exporting_the_same_kind_when_polling_then_each_undoes_its_own_pad(monkeypatch):
    # The leads lane's activity mode exports activities too (lead ids only, another pad): rows per reserved byte
    # are the lane's, not the kind's.
    monkeypatch.setitem(RATES, "activities", 1000.0)
    ids_only = Lane(len(ROWS), [rows // 2 for rows in ROWS], kind="activities", pad=4.5, fields=("leadId",), name="leads")
    marketo = sync(timed=True, lanes=[Lane(len(ROWS), ROWS, kind="activities", pad=1.25, fields=("id", "leadId")), ids_only])
    for fields in (("id", "leadId"), ("leadId",)):
        seen = seen_of(marketo, "activities", fields)
        assert len(seen) == len(ROWS) and max(seen[3:]) <= 5.0, (fields, seen)


def test_given_a_poll_sent_late_when_on_the_landing_phase_then_the_next_poll_is_not_put_off_a_spacing():
    clock = FakeClock(START)
    scheduler = ExportScheduler(None, open_rows, ExportBudget(clock, 500), clock, LOG, poll_interval=INTERVAL, depth=2)
    lane = Lane(1, [1000])
    state = LaneState(lane)
    scheduler._lanes = [state]
    job = ExportJob(lane.specs[0], export_id="x", status=JobStatus.PROCESSING)
    state.jobs.append(job)
    spacing = INTERVAL * 1.02
    for late in (0.0, 0.4, 1.5):  # another job's reply, a lane's batch: the poll on the phase was sent this late
        job.expected_end = 10000.0
        job.last_polled = job.expected_end - 2 * spacing + late
        due = scheduler._polls_due()[0][0]
        assert abs(due - job.last_polled - spacing) < 1e-6, (late, due - job.last_polled)  # one spacing on, not two


def test_given_one_job_far_faster_than_the_rest_when_timing_then_the_others_still_land_seconds_after_their_end():
    # A job that ended long before its fitted time is seen by the polls before the landing too (every spacing):
    # it must not pull the landing minutes early.
    timer = JobTimer(INTERVAL * 1.02)
    for rows in (0, 30000, 60000, 15000, 45000, 90000, 3000, 24000, 51000, 75000):
        timer.learn(_completed(rows, "2024-01-01T00:00:00Z", (START + timedelta(seconds=FIXED + rows / ROWS_PER_SECOND)).strftime("%Y-%m-%dT%H:%M:%SZ")))
    timer.learn(_completed(1_500_000, "2024-01-01T00:00:00Z", (START + timedelta(seconds=FIXED + 1_500_000 / 30000)).strftime("%Y-%m-%dT%H:%M:%SZ")))
    expected = timer.expected_end(_processing(), 60000 * ROW_BYTES)
    assert expected is not None and 5000 + 30 + 90 + 20 <= expected <= 5000 + 30 + 90 + 20 + 5.0, expected


def _leads_timer():
    timer = JobTimer(INTERVAL * 1.02)
    for rows in (0, 30000, 60000):
        timer.learn(_completed(rows, "2024-01-01T00:00:00Z", (START + timedelta(seconds=FIXED + rows / ROWS_PER_SECOND)).strftime("%Y-%m-%dT%H:%M:%SZ")))
    return timer


def test_given_one_job_of_a_kind_when_it_matches_the_other_kinds_then_their_line_times_its_next():
    timer = _leads_timer()
    members = _processing()
    members.spec = ExportSpec("program/members", members.spec.window, "updatedAt", ("id",))
    census = _processing()
    census.spec = ExportSpec("leads", census.spec.window, "updatedAt", ("updatedAt",), census=True)
    assert timer.expected_end(members, 3000 * ROW_BYTES) is None  # no job of its kind yet: a guess too late costs two intervals
    assert timer.expected_end(census, 3000 * 25) is None
    like = _completed(30000, "2024-01-01T00:00:00Z", "2024-01-01T00:01:40Z", kind="program/members")  # 90 s + 30,000 rows at 3,000/s
    timer.learn(like)
    assert abs(timer.expected_end(members, 60000 * ROW_BYTES) - (5000 + 30 + 90 + 20 + 2.0)) < 1e-6
    for finished in ("00:00:40", "00:01:44"):  # a speed of its own; 4 s later than the line (its poll would come a spacing on)
        other = _leads_timer()
        other.learn(_completed(30000, "2024-01-01T00:00:00Z", f"2024-01-01T{finished}Z", kind="program/members"))
        assert other.expected_end(members, 60000 * ROW_BYTES) is None, finished  # the other kinds' line does not hold for it
    few = JobTimer(INTERVAL * 1.02)  # a line through one lead job and one activity job fits both, and says nothing
    few.learn(_completed(30000, "2024-01-01T00:00:00Z", "2024-01-01T00:01:40Z"))
    few.learn(_completed(300000, "2024-01-01T00:00:00Z", "2024-01-01T00:01:40Z", kind="activities"))
    assert few.expected_end(_processing(), 60000 * ROW_BYTES) is None


def test_given_jobs_exactly_on_a_line_when_fitting_then_rounding_does_not_count_as_a_spacing_late():
    assert _fit([(10000, 70.0), (1000000, 160.0)], INTERVAL * 1.02) is not None  # residuals of 1e-15 s, not a whole spacing


def test_given_small_busy_windows_at_the_reservation_floor_when_polling_then_a_large_job_is_still_timed(monkeypatch):
    # A window of a few hundred rows reserves the 64 kB floor: as rows per reserved byte it would make a large
    # job's rows a fraction of what they are, and its end early.
    monkeypatch.setitem(RATES, "leads", 500.0)
    rows = [60000, 45000, 90000, 300, 200, 250, 400, 300, 350, 60000, 200, 300, 250, 90000, 300]
    marketo = sync(timed=True, lanes=[Lane(len(rows), rows, pad=1.25)])
    large = [entry["seen"] for entry in list(marketo.jobs.values())[3:] if entry["rows"] >= 60000]
    assert large and max(large) <= 5.0, large


def test_given_one_job_far_slower_than_the_rest_when_timing_then_the_others_still_land_seconds_after_their_end():
    timer = JobTimer(INTERVAL)
    for index, rows in enumerate((0, 30000, 60000, 15000, 45000, 90000, 3000, 24000, 51000, 75000)):
        seconds = FIXED + rows / ROWS_PER_SECOND + (240 if index == 4 else 0)  # one job waited 4 minutes more (a busy Marketo)
        timer.learn(_completed(rows, "2024-01-01T00:00:00Z", (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")))
    # enqueue reply at 5000 s, 30 s of Marketo's wait, 90 s + 60,000 rows at 3,000 rows/s: the slow job moves the line,
    # not where the others land (a worst-case margin would have put off every landing by minutes, or turned it off)
    expected = timer.expected_end(_processing(), 60000 * ROW_BYTES)
    assert expected is not None and 5000 + 30 + 90 + 20 <= expected <= 5000 + 30 + 90 + 20 + 5.0, expected


def _completed(records, started, finished, size=None, kind="leads"):
    job = ExportJob(ExportSpec(kind, Window(START, START + timedelta(days=1)), "updatedAt", ("id",)))
    job.update({"exportId": f"done-{next(SERIALS)}", "status": "Completed", "queuedAt": started, "startedAt": started, "finishedAt": finished,
                "numberOfRecords": records, "fileSize": size if size is not None else records * ROW_BYTES})
    return job


def _processing(queued="2024-01-01T00:10:00Z", started="2024-01-01T00:10:30Z", local=5000.0):
    job = ExportJob(ExportSpec("leads", Window(START, START + timedelta(days=1)), "updatedAt", ("id",)))
    job.update({"exportId": "y", "status": "Processing", "queuedAt": queued, "startedAt": started})
    job.queued_local = local
    return job


def test_given_two_completed_jobs_when_a_job_processes_then_its_end_is_the_fitted_time_after_its_start():
    timer = JobTimer(INTERVAL)
    timer.learn(_completed(0, "2024-01-01T00:00:00Z", "2024-01-01T00:01:30Z"))  # 90 s, no rows
    assert timer.expected_end(_processing(), 3000 * ROW_BYTES) is None  # one job cannot split fixed time from rows
    timer.learn(_completed(30000, "2024-01-01T00:02:00Z", "2024-01-01T00:03:40Z"))  # 100 s for 30,000 rows
    # enqueue reply at 5000 s, 30 s of Marketo's wait, 90 s + 60,000 rows at 3,000 rows/s, plus the slack
    assert abs(timer.expected_end(_processing(), 60000 * ROW_BYTES) - (5000 + 30 + 90 + 20 + 2.0)) < 1e-6


def test_given_unknowable_or_scattered_times_when_a_job_processes_then_no_end_is_expected():
    timer = JobTimer(INTERVAL)
    timer.learn(_completed(0, "2024-01-01T00:00:00Z", "2024-01-01T00:01:30Z"))
    timer.learn(_completed(30000, "2024-01-01T00:02:00Z", "2024-01-01T00:03:40Z"))
    no_anchor = _processing()
    no_anchor.queued_local = None  # enqueued by an earlier run: no local time for its queuedAt
    assert timer.expected_end(no_anchor, 1000) is None
    assert timer.expected_end(_processing(started="not a time"), 1000) is None
    other_kind = _processing()
    other_kind.spec = ExportSpec("activities", other_kind.spec.window, "createdAt", ("id",))
    assert timer.expected_end(other_kind, 1000) is None  # no activities file yet: its rows cannot be told from bytes
    scattered = JobTimer(INTERVAL)
    for seconds in (90, 120, 100, 140, 110, 130):  # the same work, its ends spread evenly over the interval
        scattered.learn(_completed(0, "2024-01-01T00:00:00Z", (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")))
    assert scattered.expected_end(_processing(), 1000) is None


def test_given_a_prediction_far_too_late_when_polling_then_the_job_is_still_seen_within_an_interval():
    clock = FakeClock(START)
    rows = [30000, 60000, 0, 900000, 1200000, 1500000]  # then jobs of 6-10 minutes
    lane = Lane(len(rows), rows)
    marketo = TimedMarketo(clock, lane.rows_of)
    marketo.latency = 2.0
    lane.estimate = lambda spec: lane.rows_of(spec) * ROW_BYTES * 3  # 3 times the rows: expected ends minutes too late
    scheduler = ExportScheduler(marketo, open_rows, ExportBudget(clock, 500), clock, LOG, poll_interval=INTERVAL, depth=2)
    list(scheduler.run([lane]))
    seen = [entry["seen"] for entry in marketo.jobs.values()]
    assert max(seen) <= INTERVAL * 1.02 + 1e-6, seen  # the polls before the expected end kept coming, an interval apart


def test_given_odd_values_when_learning_then_nothing_raises_and_a_job_counts_once():
    timer = JobTimer(INTERVAL)
    timer.learn_listed([("leads", {"exportId": "a", "status": "Completed", "startedAt": "0001-01-01T00:00:00+01:00",
                                   "finishedAt": "9999-12-31T23:30:00-01:00", "numberOfRecords": float("inf"), "fileSize": 1}),
                        ("leads", {"exportId": "c", "status": "Completed", "startedAt": "2024-01-01T00:00:00Z",
                                   "finishedAt": "2024-01-01T00:01:40Z", "numberOfRecords": 10 ** 400, "fileSize": 1}),
                        ("leads", {"exportId": "b", "status": "Completed", "startedAt": "2024-01-01T00:00:00Z",
                                   "finishedAt": "2024-01-01T00:01:40Z", "numberOfRecords": 30000, "fileSize": 30000 * ROW_BYTES})])
    again = _completed(30000, "2024-01-01T00:00:00Z", "2024-01-01T00:01:40Z")
    again.export_id = "b"  # the listed job, reused and polled Completed by this run
    timer.learn(again)
    assert list(timer._durations[("leads", False)]) == [(30000, 100.0)]
    timer.learn(_completed(0, "2024-01-01T00:00:00Z", "2024-01-01T00:01:30Z"))
    assert timer.expected_end(_processing(), 1000) is not None  # a fit from the two readable jobs only
