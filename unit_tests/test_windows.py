"""Window planning: 31-day cap, a one-day probe, sizes that fit the megabytes left, reuse of saved exports."""

from datetime import datetime, timedelta, timezone

from source_marketo.components.bulk.jobs import ExportSpec, Window
from source_marketo.components.bulk.windows import MIN_WINDOW, WindowPlan, saved_exports
from source_marketo.components.bulk.jobs import ExportJob

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
MB = 2**20


def plan(**kwargs):
    defaults = dict(start=START, end=START + timedelta(days=100), max_window=timedelta(days=30), prior_bytes_per_day=10 * MB)
    return WindowPlan(**{**defaults, **kwargs})


def test_given_nothing_learned_when_planning_then_the_first_window_is_a_one_day_probe():
    assert plan().peek(500 * MB) == Window(START, START + timedelta(days=1))


def test_given_a_learned_rate_when_planning_then_windows_are_as_large_as_allowed():
    windows = plan(bytes_per_day=1000)
    first = windows.peek(500 * MB)
    assert first.end - first.start == timedelta(days=30)
    windows.accept(first)
    assert windows.peek(500 * MB).start == first.end


def test_given_little_budget_left_when_planning_then_the_window_shrinks_to_fit():
    windows = plan(bytes_per_day=10 * MB)
    window = windows.peek(30 * MB)  # 30 MB / (10 MB/day * 1.5 safety) = 2 days
    assert window.end - window.start == timedelta(days=2)
    assert windows.estimate(window) <= 30 * MB


def test_given_the_end_when_planning_then_the_last_window_is_clipped_and_then_none():
    windows = plan(end=START + timedelta(hours=5), bytes_per_day=1)
    window = windows.peek(500 * MB)
    assert window.end == START + timedelta(hours=5)
    windows.accept(window)
    assert windows.peek(500 * MB) is None


def test_given_a_failing_window_when_split_then_halves_down_to_the_minimum():
    windows = plan()
    halves = windows.split(Window(START, START + timedelta(days=2)))
    assert halves == [Window(START, START + timedelta(days=1)), Window(START + timedelta(days=1), START + timedelta(days=2))]
    assert windows.split(Window(START, START + MIN_WINDOW)) is None


def test_given_a_busy_then_quiet_window_when_learning_then_the_rate_falls_slowly():
    windows = plan()
    windows.learn(Window(START, START + timedelta(days=1)), 100 * MB)
    windows.learn(Window(START, START + timedelta(days=1)), 0)
    assert windows.bytes_per_day == 50 * MB


def spec(window, group=None):
    return ExportSpec("leads", window, "updatedAt", ("id", "updatedAt"))


def test_given_saved_exports_when_resuming_then_the_contiguous_matching_chain_is_reused():
    first = Window(START, START + timedelta(days=1))
    second = Window(first.end, first.end + timedelta(days=30))
    saved = saved_exports([ExportJob(spec(first), export_id="a"), ExportJob(spec(second), export_id="b"), ExportJob(spec(second))])
    assert [entry["export_id"] for entry in saved] == ["a", "b"]
    windows = plan(saved=saved)
    jobs = windows.resumable(spec)
    assert [job.export_id for job in jobs] == ["a", "b"] and all(job.reused for job in jobs)
    assert windows.position == second.end


def test_given_saved_exports_for_other_fields_when_resuming_then_none_is_reused():
    first = Window(START, START + timedelta(days=1))
    saved = saved_exports([ExportJob(spec(first), export_id="a")])
    other = lambda window, group: ExportSpec("leads", window, "updatedAt", ("id", "updatedAt", "email"))
    windows = plan(saved=saved)
    assert windows.resumable(other) == [] and windows.position == START


def test_given_an_empty_probe_when_learning_then_the_rate_stays_unknown_and_the_prior_sizes_windows():
    windows = plan()  # prior 10 MB a day
    probe = windows.peek(500 * MB)
    windows.accept(probe)
    windows.learn(probe, 120, records=0)
    assert windows.bytes_per_day is None and windows.max_jobs(4) == 1
    second = windows.peek(150 * MB)
    assert second.end - second.start == timedelta(days=10)  # 150 MB / (10 MB a day x 1.5)


def test_given_an_ample_budget_when_a_rate_is_known_then_windows_are_full_size_at_once():
    windows = plan(bytes_per_day=100 * 1024)
    first = windows.peek(500 * MB)
    windows.accept(first)
    windows.learn(first, 3 * MB, records=1000)
    assert windows.peek(500 * MB).end - windows.peek(500 * MB).start == timedelta(days=30)


def test_given_a_huge_budget_and_a_tiny_rate_when_planning_then_no_overflow():
    windows = plan(bytes_per_day=0.0)
    window = windows.peek(10**15)
    assert window.end - window.start == timedelta(days=30)


def typed(window, group):
    return ExportSpec("activities", window, "createdAt", ("marketoGUID",), group or (1, 12, 13))


def test_given_exports_saved_per_type_group_when_resuming_then_each_chain_is_reused_and_a_short_one_is_filled_up():
    a, b = (1,), (12, 13)
    first = Window(START, START + timedelta(days=1))
    second = Window(first.end, first.end + timedelta(days=30))
    jobs = [ExportJob(typed(first, a), export_id="1a"), ExportJob(typed(first, b), export_id="1b"),
            ExportJob(typed(second, a), export_id="2a"), ExportJob(typed(second, b))]  # killed before 2b was created
    saved = saved_exports(jobs, grouped=True)
    assert [entry["type_ids"] for entry in saved] == [[1], [12, 13], [1]]
    windows = plan(saved=saved)
    resumed = windows.resumable(typed, START, groups=[a, b])
    assert [(job.export_id, job.spec.activity_type_ids, job.spec.window) for job in resumed] == [
        ("1a", a, first), ("1b", b, first), ("2a", a, second), (None, b, second)]
    assert windows.position == second.end


def test_given_exports_saved_without_groups_when_the_lane_now_exports_in_groups_then_none_is_reused():
    first = Window(START, START + timedelta(days=1))
    saved = saved_exports([ExportJob(typed(first, None), export_id="x")])
    assert "type_ids" not in saved[0]
    windows = plan(saved=saved)
    assert windows.resumable(typed, START, groups=[(1,), (12, 13)]) == [] and windows.position == START


def test_given_a_group_emitted_past_the_cursor_when_resuming_then_its_chain_starts_where_it_was_emitted_to():
    a, b = (1,), (12, 13)
    first = Window(START, START + timedelta(days=14))
    second = Window(first.end, first.end + timedelta(days=14))
    # a's export of the first window was emitted (so not saved); the stream's cursor stays at START until b's is
    saved = saved_exports([ExportJob(typed(first, b), export_id="1b"), ExportJob(typed(second, a), export_id="2a")], grouped=True)
    windows = plan(start=START - timedelta(hours=1), saved=saved)  # the lookback
    resumed = windows.resumable(typed, START, groups=[a, b], ahead={a: first.end})
    assert [(job.export_id, job.spec.activity_type_ids, job.spec.window) for job in resumed] == [
        ("1b", b, first), ("2a", a, second), (None, b, second)]


def test_given_windows_planned_at_the_prior_rate_when_sized_then_they_are_whole_seconds():
    windows = plan(prior_bytes_per_day=7 * MB)
    windows.accept(windows.peek(123_456_789))  # the one-day probe
    size = windows.peek(123_456_789)
    size = size.end - size.start
    assert timedelta(days=11) < size < timedelta(days=12) and size.microseconds == 0  # 123,456,789 B / (7 MB x 1.5) a day
