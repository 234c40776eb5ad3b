"""Window planning: the 31-day cap, sizes from evidence that fit the day's budget (two jobs at a time near
the cap), holds instead of slivers, a stop at the tail, and reuse of saved exports."""

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from source_marketo.components.bulk.jobs import ExportJob, ExportSpec, Window
from source_marketo.components.bulk.census import Census, read_census, sample_bound, sample_census, samples_within
from source_marketo.components.bulk.windows import MARGIN_LEARNED, MIN_WINDOW, Hold, Room, WindowPlan, plan_numbers, plan_start, plan_state, saved_exports

START = datetime(2026, 1, 1, tzinfo=timezone.utc)
MB = 2**20


def plan(**kwargs):
    defaults = dict(start=START, end=START + timedelta(days=100), max_window=timedelta(days=30), prior=10 * MB)
    return WindowPlan(**{**defaults, **kwargs})


def room(left=500 * MB, reserved=0, cap=500 * MB, in_flight=0):
    return Room(left_today=left, reserved=reserved, cap=cap, in_flight=in_flight)


def size(window):
    return window.end - window.start


def test_given_a_learned_rate_when_planning_then_windows_are_as_large_as_allowed_and_follow_each_other():
    windows = plan(learned=1000)
    first = windows.next_window(room())
    assert first == Window(START, START + timedelta(days=30))
    assert windows.next_window(room(in_flight=1)).start == first.end


def test_given_survey_evidence_when_planning_then_full_windows_go_at_full_depth_at_once():
    windows = plan(evidence=100 * 1024)  # no finished export yet: no lone probe, no one-at-a-time
    planned = [windows.next_window(room(reserved=i * 10 * MB, in_flight=i)) for i in range(3)]
    assert all(isinstance(w, Window) and size(w) == timedelta(days=30) for w in planned)


def test_given_only_a_guess_and_a_tight_budget_when_a_job_is_in_flight_then_the_lane_waits():
    windows = plan()  # prior 10 MB a day
    assert isinstance(windows.next_window(room()), Window)
    assert windows.next_window(room(reserved=100 * MB, in_flight=1)) is Hold.WAIT


def test_given_a_rate_from_one_window_and_a_plan_that_may_not_fit_today_when_a_job_is_in_flight_then_one_at_a_time():
    windows = plan(learned=6 * MB, samples=1)  # 70 days left x 6 MB x 1.25 > what is free: growth still unknown
    assert isinstance(windows.next_window(room()), Window)
    assert windows.next_window(room(reserved=75 * MB, in_flight=1)) is Hold.WAIT
    windows.learn(Window(START, START + timedelta(days=1)), 9 * MB, records=10)  # a second window: growth 1.5
    assert windows.samples == 2 and windows.growth == 1.5
    assert isinstance(windows.next_window(room(reserved=75 * MB, in_flight=1)), Window)


def test_given_survey_evidence_of_newer_denser_data_when_the_learned_rate_is_lower_then_estimates_keep_the_evidence():
    windows = plan(evidence=10 * MB)
    windows.learn(Window(START, START + timedelta(days=30)), 30 * 1024, records=100)  # the sparse beginning
    assert windows.estimate(Window(START, START + timedelta(days=1))) == int(10 * MB * 2.0)


def test_given_settled_rows_with_a_known_growth_when_estimating_then_the_learned_rate_replaces_the_surveys_newest_day():
    # Activities stay where they were written: a growing history's newest day (10 MB a day) says nothing
    # about its early windows once two of them were exported (1 kB, then 1.5 kB a day: growth 1.5)
    month = Window(START + timedelta(days=60), START + timedelta(days=90))
    for settled, expected in ((True, int(30 * 1536 * 1.5 * MARGIN_LEARNED)), (False, int(30 * 10 * MB * 2.0))):
        windows = plan(evidence=10 * MB, settled=settled)
        windows.learn(Window(START, START + timedelta(days=30)), 30 * 1024, records=100)
        assert windows.estimate(month) == int(30 * 10 * MB * 2.0)  # one export: growth unknown
        windows.learn(Window(START + timedelta(days=30), START + timedelta(days=60)), 45 * 1024, records=150)
        assert windows.estimate(month) == expected  # leads' rows move: the evidence stays
    restarted = plan(evidence=10 * MB, settled=True, **plan_numbers({"bytes_per_day": 1536, "rate_growth": 1.5, "bytes_per_row": 300.0}))
    assert restarted.estimate(month) == int(30 * 1536 * 1.5 * MARGIN_LEARNED)  # the state keeps both


def test_given_a_rising_rate_when_windows_lie_further_ahead_of_the_learned_one_then_each_step_projects_its_growth_again():
    # Found by a test with kills: a growing activity history learned from two 5-day windows (growth 2) had three
    # 30-day windows reserve 0.8 MB where they took 1.9 MB, under a cap of 1 MB.
    windows = plan(settled=True)
    first, second = Window(START, START + timedelta(days=5)), Window(START + timedelta(days=5), START + timedelta(days=10))
    windows.learn(first, 5 * 1000 * 1000, records=10)
    windows.learn(second, 5 * 2000 * 1000, records=20)
    assert windows.growth == 2.0
    rate = lambda window: windows.estimate(window) / window.days / MARGIN_LEARNED
    assert rate(Window(second.end, second.end + timedelta(days=5))) == 2000_000 * 2  # the next 5 days: its growth once
    assert rate(Window(second.end, second.end + timedelta(days=30))) == 2000_000 * (2 + 15 / 5 - 0.5)  # its centre 3.5 steps ahead
    assert rate(Window(second.end + timedelta(days=60), second.end + timedelta(days=90))) == 2000_000 * 8  # far ahead: 8 times at most
    restarted = plan(settled=True, **plan_numbers(plan_state(windows)))  # the state keeps where the rate was learned
    assert restarted.learned_window == second and restarted.estimate(Window(second.end, second.end + timedelta(days=30))) == windows.estimate(Window(second.end, second.end + timedelta(days=30)))
    flat = plan(settled=True)
    flat.learn(first, 5 * 1000 * 1000, records=10)
    flat.learn(second, 5 * 900 * 1000, records=9)
    assert flat.estimate(Window(second.end + timedelta(days=60), second.end + timedelta(days=90))) == int(1000_000 * MARGIN_LEARNED * 30)  # not rising: no projection
    assert plan(**plan_numbers({"bytes_per_day": 1000, "rate_window": {"start": "x"}})).learned_window is None  # a broken state entry: none


def test_given_a_rising_rate_learned_from_short_windows_of_rows_that_move_when_planning_ahead_then_it_is_not_projected():
    # Found by a review: two 0.3-day lead windows apart by noise gave growth 1.96, the 30-day span was projected
    # at 8 times, and the run cut half-day windows all day.
    for settled, days, projected in ((False, 0.3, False), (False, 8, True), (True, 0.3, False), (True, 1, True)):
        windows = plan(settled=settled)
        first = Window(START, START + timedelta(days=days))
        second = Window(first.end, first.end + timedelta(days=days))
        windows.learn(first, int(days * 1000_000), records=10)
        windows.learn(second, int(days * 2000_000), records=20)
        month = Window(second.end + timedelta(days=30), second.end + timedelta(days=60))
        assert (windows.estimate(month) > int(windows.learned * 2.0 * MARGIN_LEARNED * 30) + 1) == projected, (settled, days)


def test_given_a_rising_rate_near_the_cap_when_sizing_then_the_window_is_the_longest_whose_own_estimate_fits():
    windows = plan(settled=True)
    windows.learn(Window(START, START + timedelta(days=5)), 5 * 1000_000, records=10)
    windows.learn(Window(START + timedelta(days=5), START + timedelta(days=10)), 5 * 2000_000, records=20)
    windows.position = START + timedelta(days=10)
    budget = room(left=40 * MB, cap=40 * MB)
    window = windows.next_window(budget)
    assert windows.estimate(window) <= budget.share
    longer = Window(window.start, window.end + timedelta(hours=6))
    assert windows._per_day(longer, 2.0) * longer.days > budget.share  # the longest: the span's rate (farther ahead) would have cut it shorter
    assert windows._per_day(window, 2.0) < windows._per_day(windows.next_span(), 2.0)


def test_given_a_window_handed_out_when_a_quiet_export_lowers_the_rate_then_its_estimate_does_not_fall():
    # Found by a review: estimates saved at a checkpoint were recomputed after a flat window reset the growth,
    # and a restarted run reserved 5 times less than the jobs had.
    windows = plan(settled=True)
    windows.learn(Window(START, START + timedelta(days=5)), 5 * 1000_000, records=10)
    windows.learn(Window(START + timedelta(days=5), START + timedelta(days=10)), 5 * 2000_000, records=20)
    windows.position = START + timedelta(days=10)
    window = windows.next_window(room())
    given = windows.estimate(window)
    windows.learn(Window(START + timedelta(days=10), START + timedelta(days=20)), 10 * 1000_000, records=20)
    assert windows.growth == 1.0 and windows.estimate(window) == given


def test_given_a_window_split_in_halves_then_each_half_reserves_what_the_whole_did():
    windows = plan(learned=10 * MB)
    window = windows.next_window(room(left=50 * MB))  # near the cap: reserved at the larger margin
    whole = windows.estimate(window)
    assert windows.estimate(windows.split(window)[0]) < whole  # a span halved to find a census that fits: smaller
    halves = windows.split_export(window)
    assert [windows.estimate(half) for half in halves] == [whole, whole]  # its rows may all be in one half


def test_given_settled_rows_when_short_quiet_windows_are_learned_then_their_rate_does_not_fall():
    # Found by a review: three quiet 12-hour windows at the end of a day (a night, a weekend) took a settled
    # rate to an eighth, and the next day's 30-day windows reserved a fifth of what they held.
    for settled, kept in ((True, 1.0), (False, 0.125)):
        windows = plan(evidence=MB, settled=settled)
        for month in range(2):
            windows.learn(Window(START + timedelta(days=30 * month), START + timedelta(days=30 * (month + 1))), 30 * MB, records=30 * 4000)
        position = START + timedelta(days=60)
        for _ in range(3):
            windows.learn(Window(position, position + timedelta(hours=12)), int(0.05 * MB), records=200)
            position += timedelta(hours=12)
        assert windows.learned == kept * MB
    windows.learn(Window(position, position + timedelta(days=10)), MB, records=4000)  # a quiet week and more lowers it, by half at most
    assert windows.learned == MB / 10
    settled = plan(evidence=MB, settled=True, learned=float(MB), samples=2)
    settled.learn(Window(position, position + timedelta(days=10)), MB, records=4000)
    assert settled.learned == MB / 2


def test_given_little_budget_left_when_planning_then_each_job_gets_half_of_it():
    windows = plan(learned=10 * MB, samples=2)
    window = windows.next_window(room(left=50 * MB))  # half of 50 MB at 10 MB a day x 2 (the margin near the cap)
    assert size(window) == timedelta(days=1.25)
    assert windows.estimate(window) <= 25 * MB
    second = windows.next_window(room(left=50 * MB, reserved=windows.estimate(window), in_flight=1))
    assert size(second) == timedelta(days=1.25)  # the other slot runs too
    assert windows.next_window(room(left=50 * MB, reserved=2 * windows.estimate(window), in_flight=2)) is Hold.WAIT  # no sliver


def test_given_the_tail_of_the_day_when_no_full_window_fits_then_stop_until_the_day_resets():
    windows = plan(learned=10 * MB)
    assert windows.next_window(room(left=20 * MB)) is Hold.STOP  # under 5% of 500 MB
    assert windows.next_window(room(left=20 * MB, reserved=5 * MB)) is Hold.WAIT  # let running jobs finish first


def test_given_a_budget_that_buys_a_job_of_under_5_percent_of_the_cap_when_planning_then_stop_instead_of_a_sliver():
    windows = plan(learned=10 * MB, samples=2)
    assert windows.next_window(room(left=45 * MB)) is Hold.STOP  # half of 45 MB is under 25 MB: a whole job for a sliver
    assert isinstance(windows.next_window(room(left=60 * MB)), Window)  # half of 60 MB is not


def test_given_a_census_cut_to_a_sliver_of_the_cap_when_planning_then_stop_for_the_day():
    windows = plan(learned=1.0, bytes_per_row=1000.0)
    windows.census = census(START, [(60, 10), (24 * 60 * 20, 900)])  # 10 rows, then a minute the budget cannot hold
    assert windows.next_window(room(left=1_000_000, cap=10_000_000)) is Hold.STOP  # 11.5 kB of a 10 MB cap: tomorrow


def test_given_the_tail_of_the_day_when_the_last_window_is_small_then_it_still_goes():
    windows = plan(end=START + timedelta(hours=5), learned=10 * MB)
    assert windows.next_window(room(left=20 * MB)) == Window(START, START + timedelta(hours=5))


def test_given_the_end_when_planning_then_the_last_window_is_clipped_and_then_none():
    windows = plan(end=START + timedelta(hours=5), learned=1)
    assert windows.next_window(room()).end == START + timedelta(hours=5)
    assert windows.next_window(room()) is None


def test_given_a_failing_window_when_split_then_halves_down_to_the_minimum():
    windows = plan()
    halves = windows.split(Window(START, START + timedelta(days=2)))
    assert halves == [Window(START, START + timedelta(days=1)), Window(START + timedelta(days=1), START + timedelta(days=2))]
    assert windows.split(Window(START, START + MIN_WINDOW)) is None


def test_given_a_busy_then_quiet_window_when_learning_then_the_rate_falls_slowly():
    windows = plan()
    windows.learn(Window(START, START + timedelta(days=1)), 100 * MB)
    windows.learn(Window(START, START + timedelta(days=1)), 0)
    assert windows.learned == 50 * MB


def test_given_an_empty_export_when_learning_then_the_rate_stays_unknown():
    windows = plan(evidence=MB)
    windows.learn(Window(START, START + timedelta(days=30)), 120, records=0)
    assert windows.learned is None and windows.rate_known_from() == "the survey"


def test_given_an_ample_budget_and_a_learned_rate_then_estimates_hold_a_small_margin():
    windows = plan(learned=MB)
    window = windows.next_window(room())
    assert windows.estimate(window) == int(MB * MARGIN_LEARNED * 30)


def test_given_a_huge_budget_and_a_tiny_rate_when_planning_then_no_overflow():
    windows = plan(learned=0.0)
    assert size(windows.next_window(room(left=10**15, cap=10**15))) == timedelta(days=30)


def test_given_a_survey_when_the_data_begins_later_then_the_plan_starts_there():
    windows = plan(learned=1000)
    windows.begin_at(START + timedelta(days=40))
    assert windows.next_window(room()).start == START + timedelta(days=40)
    windows.begin_at(START)  # never back
    assert windows.position > START


def test_given_windows_sized_by_the_budget_when_planned_then_they_are_whole_seconds():
    windows = plan(learned=7 * MB)
    window = windows.next_window(room(left=123_456_789, cap=123_456_789))
    assert timedelta(days=4) < size(window) < timedelta(days=5) and size(window).microseconds == 0  # 61,728,394 B / (7 MB x 2) a day


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


def test_given_a_window_cut_near_the_cap_when_it_is_reused_after_a_restart_then_it_reserves_what_it_was_cut_to():
    first_run = plan(learned=10 * MB)
    window = first_run.next_window(room(left=50 * MB))  # cut by the budget: reserved at the margin near the cap
    cut_to = first_run.estimate(window)
    assert cut_to == int(10 * MB * 2.0 * window.days) > int(10 * MB * MARGIN_LEARNED * window.days)
    saved = saved_exports([ExportJob(spec(window), export_id="a")], estimate=first_run.estimate)
    assert saved[0]["estimate"] == cut_to
    restarted = plan(learned=10 * MB, saved=saved)
    assert [job.export_id for job in restarted.resumable(spec, START)] == ["a"]
    assert restarted.estimate(window) == cut_to  # not the rate's 1.25 (the review's restarts went 24-56% over the cap)
    risen = plan(learned=40 * MB, saved=saved)
    risen.resumable(spec, START)
    assert risen.estimate(window) == int(40 * MB * MARGIN_LEARNED * window.days)  # where the rate now says more, that
    broken = plan(learned=10 * MB, saved=[{**saved[0], "estimate": "lots"}])
    broken.resumable(spec, START)
    assert broken.estimate(window) == int(10 * MB * MARGIN_LEARNED * window.days)  # a bad number in the state is ignored


def test_given_saved_exports_for_other_fields_when_resuming_then_none_is_reused():
    first = Window(START, START + timedelta(days=1))
    saved = saved_exports([ExportJob(spec(first), export_id="a")])
    other = lambda window, group: ExportSpec("leads", window, "updatedAt", ("id", "updatedAt", "email"))
    windows = plan(saved=saved)
    assert windows.resumable(other) == [] and windows.position == START


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




def census(start, counts_by_minute):
    """A census of rows at ``start`` + minute offsets."""
    class Rows(list):
        header = ["updatedAt"]
    rows = Rows([(start + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%SZ")] for m, n in counts_by_minute for _ in range(n))
    return read_census(rows, "updatedAt", Window(start, start + timedelta(days=30)))


def test_given_a_census_when_the_budget_is_tight_then_windows_are_cut_to_the_rows_that_fit():
    windows = plan(learned=1.0, bytes_per_row=1000.0)  # a learned rate that knows nothing of the dense end
    windows.census = census(START, [(60, 100), (24 * 60 * 20, 900)])  # 100 rows on day 0, 900 on day 20
    first = windows.next_window(room(left=700_000, cap=700_000))  # half: 350 kB, 304 rows at 1000 B x 1.15
    assert first.start == START and first.end == START + timedelta(days=20, seconds=-1)  # all of day 0, none of day 20
    assert windows.estimate(first) == int(100 * 1000 * 1.15)
    # The dense minute alone (900 rows, 1 MB) is more than half of what is left: wait for the running job...
    assert windows.next_window(room(left=700_000, cap=700_000, reserved=windows.estimate(first), in_flight=1)) is Hold.WAIT
    # ... and more than a whole day's cap: no day could export it (the lane says so instead of stopping every day)
    assert windows.next_window(room(left=700_000 - 100_000, cap=700_000)) is Hold.NEVER


def test_given_a_census_minute_over_half_of_the_day_when_nothing_runs_then_it_goes_alone():
    windows = plan(learned=1.0, bytes_per_row=1000.0)
    windows.census = census(START, [(24 * 60 * 2, 900)])
    window = windows.next_window(room(left=1_200_000, cap=1_200_000))  # 1.03 MB: not in half, but alone it fits
    assert isinstance(window, Window) and window.start == START and windows.estimate(window) <= 1_200_000


def test_given_census_rows_dated_outside_the_span_when_counted_then_they_count_at_its_nearer_end():
    """The filter sees any field's change, the column standard fields only: such a lead is in the span's export."""
    counted = census(START, [(-600, 4), (10, 1)])  # four leads whose visible updatedAt is ten hours before the span
    assert counted.rows(START, START + timedelta(minutes=5)) == 4


def test_given_a_census_when_counting_rows_then_minutes_and_bounds_are_exact():
    counted = census(START, [(0, 2), (10, 3), (20, 5)])
    assert counted.rows(START, START + timedelta(minutes=10)) == 5  # the end minute counts (windows include their end)
    assert counted.rows(START + timedelta(minutes=11), START + timedelta(minutes=30)) == 5
    assert counted.end_for(START, START + timedelta(days=1), 5) == START + timedelta(minutes=20, seconds=-1)
    assert counted.end_for(START, START + timedelta(days=1), 1) == START  # the first minute alone is over
    assert counted.end_for(START, START + timedelta(days=1), 100) == START + timedelta(days=1)


def test_given_a_job_running_in_the_other_slot_when_the_next_is_sized_then_it_may_take_all_that_is_free():
    alone, beside = room(left=50 * MB, reserved=10 * MB), Room(left_today=50 * MB, reserved=10 * MB, cap=500 * MB, in_flight=1, running=1)
    assert alone.share == 25 * MB and beside.share == 40 * MB  # half of the day alone (so a second can run); beside one, the rest


def test_given_a_run_stopping_inside_a_census_when_the_state_is_read_again_then_the_next_plan_cuts_from_the_same_counts():
    from source_marketo.components.bulk.windows import plan_numbers, plan_state
    windows = plan(learned=1.0, bytes_per_row=1000.0)
    windows.census = census(START, [(60, 100), (24 * 60 * 20, 900)])
    first = windows.next_window(room(left=700_000, cap=700_000))  # day 0's rows; the dense minute of day 20 is left
    saved = plan_state(windows)
    assert saved["census"]["start"] == "2026-01-20T23:59:59Z" and saved["census"]["rows"] == [900]
    again = plan(start=first.end, learned=1.0, bytes_per_row=1000.0, **{k: v for k, v in plan_numbers(saved).items() if k not in ("learned", "bytes_per_row")})
    assert again.census is not None and again.census.covers(first.end)
    assert again.next_window(room(left=700_000, cap=700_000)) is Hold.NEVER  # the counts, not the tiny learned rate
    # Without the census kept, the learned rate (1 byte a day) would have sent the dense minute out blind.
    blind = plan(start=first.end, learned=1.0, bytes_per_row=1000.0)
    assert isinstance(blind.next_window(room(left=700_000, cap=700_000)), Window)


def test_given_a_long_census_when_kept_in_the_state_then_only_its_first_minutes_are_and_its_span_ends_after_them():
    from source_marketo.components.bulk.census import KEPT_MINUTES, from_state, to_state
    counted = census(START, [(m, 1) for m in range(KEPT_MINUTES + 10)])
    kept = from_state(to_state(counted, START))
    assert len(kept.minutes) == KEPT_MINUTES and kept.span.end == START + timedelta(minutes=KEPT_MINUTES, seconds=-1)
    assert kept.rows(START, kept.span.end) == KEPT_MINUTES  # the last minute kept counts in full


def test_given_a_census_in_the_state_that_is_not_in_its_shape_when_read_then_it_is_dropped():
    from source_marketo.components.bulk.census import from_state
    good = {"start": "2026-01-01T00:00:00Z", "end": "2026-01-02T00:00:00Z", "minutes": [29440800], "rows": [3]}
    assert from_state(good) is not None
    for bad in (None, "x", {**good, "rows": [3, 4]}, {**good, "minutes": [2, 1], "rows": [1, 1]}, {**good, "rows": [-1]},
                {**good, "start": None}, {**good, "end": "2025-01-01T00:00:00Z"}, {**good, "minutes": ["a"]}):
        assert from_state(bad) is None, bad


def test_given_a_cursor_left_far_behind_its_runs_plan_end_when_resumed_then_the_plan_starts_at_the_cursor_else_a_lookback_before_it():
    settings = SimpleNamespace(start_date=START, lookback=timedelta(hours=1))
    cursor = START + timedelta(days=40)
    ran = WindowPlan(START, START + timedelta(days=100), timedelta(days=30), 1000.0, planned_until=START + timedelta(days=10))
    assert plan_state(ran)["planned_until"] == "2026-01-11T00:00:00Z"  # nothing exported in this run was emitted: the last run's stays
    ran.emitted_fresh = True
    state = plan_state(ran)
    assert state["planned_until"] == "2026-04-11T00:00:00Z"  # every lane's state keeps where its run's plan ended
    assert "planned_until" not in plan_state(WindowPlan(START, START + timedelta(days=100), timedelta(days=30), 1000.0))
    assert plan_start(settings, cursor, state) == cursor  # stopped mid-backfill: exported long after it was written
    assert plan_start(settings, cursor, {"planned_until": "2026-02-10T00:30:00Z"}) == cursor - timedelta(hours=1)  # a run that got near its end
    assert plan_start(settings, cursor, {}) == cursor - timedelta(hours=1)  # a state from before planned_until
    assert plan_start(settings, cursor, {"planned_until": "not a time"}) == cursor - timedelta(hours=1)
    assert plan_start(settings, START + timedelta(minutes=10), {}) == START  # never before the start date
    assert plan_start(settings, None, state) == START


def test_given_a_sample_bound_when_inverted_then_the_most_sampled_leads_within_it_are_found():
    assert sample_bound(0) == 2 and sample_bound(100) == 122  # a window with no sampled lead may still hold some
    for bound in (2, 5, 10, 99.5, 1000, 123456):
        allowed = samples_within(bound)
        assert sample_bound(allowed) <= bound < sample_bound(allowed + 1)
    assert samples_within(1.9) == -1  # not even an empty window


def test_given_a_sample_of_leads_when_windows_are_cut_then_they_hold_its_upper_bound_and_no_census_comes_while_the_next_span_fits():
    # 300 sampled leads, each standing for 10 ids: 100 on day 1, 200 on day 50 (a mass update), 1,000 B a row
    updated = [START + timedelta(days=1)] * 100 + [START + timedelta(days=50, minutes=m % 60) for m in range(200)] + [START - timedelta(days=1)]
    windows = plan(learned=1.0, bytes_per_row=1000.0, sample=sample_census(updated, 10.0, Window(START, START + timedelta(days=100))))
    assert windows.sample.prefix[-1] == 300  # the lead updated before the span was exported already
    whole = room(left=500 * MB, cap=500 * MB)
    assert not windows.census_due(whole, 2.0)
    first = windows.next_window(whole)
    assert size(first) == timedelta(days=30)  # the rate (1 B a day) would have said the same; the bound holds 1,210 leads
    assert windows.estimate(first) == int((100 + 20 + 2) * 10 * 1000.0 * 1.15)
    tight = room(left=2 * MB, cap=2 * MB)  # the mass update's window: 200 x 10 leads, bound 2,303 x 1.15 kB = 2.6 MB
    assert windows.census_due(tight, 2.0)  # might not fit what is left today: count it exactly
    assert not windows.census_due(room(left=10 * MB, cap=10 * MB), 2.0)  # fits: no census, where a rate of 1 B a day x 2 would not tell


def test_given_a_fine_sample_near_the_end_of_the_days_budget_when_planned_then_no_census_comes_and_the_window_is_cut_from_its_bound():
    # 1,000 sampled leads, one every 2.4 hours over 100 days, each standing for 2 ids, 1,000 B a row: a 30-day
    # span holds 300 (bound 337 x 2 leads, 0.77 MB); 0.7 MB is left of a 5 MB day
    updated = [START + timedelta(hours=2.4 * i) for i in range(1000)]
    windows = plan(learned=1.0, bytes_per_row=1000.0, sample=sample_census(updated, 2.0, Window(START, START + timedelta(days=100))))
    near_end = room(left=int(0.7 * MB), cap=5 * MB)
    assert windows.estimate(windows.next_span()) > near_end.left_today
    assert not windows.census_due(near_end, 2.0)  # a count could add less than a sliver (256 kB) to the window cut now
    window = windows.next_window(near_end)
    assert isinstance(window, Window) and windows.estimate(window) <= near_end.share
    assert windows.estimate(window) > 0.8 * near_end.share  # not far below what a census would have allowed
    coarse = plan(learned=1.0, bytes_per_row=1000.0, sample=sample_census(updated, 20.0, Window(START, START + timedelta(days=100))))
    assert coarse.census_due(room(left=7 * MB, cap=10 * MB), 2.0)  # one in 20 ids: the bound holds back more than a sliver
    too_coarse = plan(learned=1.0, bytes_per_row=1000.0)  # two steps of 50 leads at 1.15 kB: 115 kB, over 5% of a 1 MB cap
    assert not too_coarse.take_sample(updated, 50.0, MB) and too_coarse.sample is None
    assert too_coarse.take_sample(updated, 50.0, 10 * MB) and too_coarse.sampled_at(START)


def test_given_a_sample_that_cuts_no_window_before_a_dense_minute_when_planned_then_a_census_counts_it():
    # Found by a review: 60 of 900 sampled leads (one in 50 ids) in one minute an hour ahead, 4.2 MB left of 10.
    # The sample's bound of that minute (3,000 leads x 1.15 kB, plus its slack) is over half of what is left, so
    # the sample cuts no window; a census shows that the minute fits, and skipping it stopped the day instead.
    updated = [START + timedelta(hours=1)] * 60 + [START + timedelta(days=100 * i / 840) for i in range(840)]
    windows = plan(learned=1.0, bytes_per_row=1000.0, samples=2, sample=sample_census(updated, 50.0, Window(START, START + timedelta(days=100))))
    left = room(left=int(4.2 * MB), cap=10 * MB)
    assert windows.census_due(left, 2.0)
    # and a cut that ends just before such a minute: the census could add most of the budget to it
    later = [START + timedelta(days=2)] * 60 + [START + timedelta(days=100 * i / 840) for i in range(840)]
    windows = plan(learned=1.0, bytes_per_row=1000.0, samples=2, sample=sample_census(later, 50.0, Window(START, START + timedelta(days=100))))
    assert windows.census_due(left, 2.0)


def test_given_a_sample_whose_first_minute_is_over_a_whole_day_when_planned_then_it_stops_for_today_and_never_gives_up():
    updated = [START + timedelta(minutes=5)] * 50  # 50 x 100 leads at 1,000 B: 5 MB, over a 1 MB day
    windows = plan(learned=1.0, bytes_per_row=1000.0, sample=sample_census(updated, 100.0, Window(START, START + timedelta(days=100))))
    first = windows.next_window(room(left=MB, cap=MB))
    assert first == Window(START, START + timedelta(minutes=5, seconds=-1))  # up to the dense minute
    assert windows.next_window(room(left=MB, cap=MB)) is Hold.STOP  # only a count may say NEVER


def test_given_a_census_created_and_not_read_when_the_run_stops_then_it_is_saved_after_the_chain_and_offered_for_reuse():
    first = Window(START, START + timedelta(days=1))
    span = Window(first.end, first.end + timedelta(days=30))
    census_spec = ExportSpec("leads", span, "updatedAt", ("updatedAt",), census=True)
    saved = saved_exports([ExportJob(spec(first), export_id="a"), ExportJob(census_spec, export_id="c")])
    assert [(entry["export_id"], entry.get("census", False)) for entry in saved] == [("a", False), ("c", True)]
    assert saved[1]["key"] == census_spec.key  # the lane reuses it only if it would ask the same now
    windows = plan(saved=saved)
    assert [job.export_id for job in windows.resumable(spec)] == ["a"]  # the chain; the census is the lane's to take
    assert windows.saved_census == saved[1] and windows.position == span.start
    assert saved_exports([ExportJob(spec(first), export_id="a"), ExportJob(census_spec)]) == saved[:1]  # not created: nothing to reuse


def test_given_an_export_holding_more_leads_than_the_samples_bound_when_learned_then_the_sample_is_dropped():
    # The sample sees the visible updatedAt (standard fields only); a mass update of a custom field moves leads it cannot see.
    updated = [START + timedelta(days=d) for d in range(100)]  # one sampled lead a day, each for 10 ids
    windows = plan(bytes_per_row=1000.0, sample=sample_census(updated, 10.0, Window(START, START + timedelta(days=100))))
    first = windows.next_window(room())
    windows.learn(first, 400 * 1000, 400)  # the bound of 30 sampled days: (30 + 2 sqrt(30) + 2) x 10 = 430 leads
    assert windows.sample is not None
    second = windows.next_window(room())
    windows.learn(second, 3000 * 1000, 3000)
    assert windows.sample is None and windows.sample_dropped == second
    assert not windows.sampled_at(windows.position)


def test_given_leads_switching_to_activity_mode_when_the_evidence_by_update_is_dropped_then_windows_come_from_the_rate_again():
    windows = plan(learned=1000.0, bytes_per_row=1000.0, sample=sample_census([START + timedelta(days=1)], 10.0, Window(START, START + timedelta(days=100))))
    windows.census = census(START, [(60, 5)])
    cut = windows.next_window(room(left=MB, cap=MB))
    assert cut in windows._estimates
    windows.drop_updated_at_evidence()
    assert windows.census is None and windows.sample is None and windows.estimate(cut) == max(int(1000.0 * MARGIN_LEARNED * cut.days), 64 * 1024)


def test_given_a_run_stopping_inside_a_sample_when_the_state_is_read_again_then_the_next_plan_cuts_from_the_same_sample():
    updated = [START + timedelta(days=d, minutes=d) for d in range(100)]
    windows = plan(learned=1000.0, bytes_per_row=1000.0, sample=sample_census(updated, 10.0, Window(START, START + timedelta(days=100))))
    state = plan_state(windows, cursor=START + timedelta(days=40))
    assert "census" not in state and state["sample"]["step"] == 10.0 and len(state["sample"]["minutes"]) == 60
    numbers = plan_numbers(state)
    assert numbers["carried_census"] is None  # a sample is never taken for a count
    again = plan(**numbers, start=START + timedelta(days=40))
    assert again.sample.step == 10.0 and again.sampled_at(START + timedelta(days=40))
    assert again.sample.rows(START + timedelta(days=40), START + timedelta(days=50)) == windows.sample.rows(START + timedelta(days=40), START + timedelta(days=50))
    assert plan_numbers({"census": state["sample"]})["carried_census"] is None and plan_numbers({"sample": {**state["sample"], "step": "x"}})["sample"] is None


def test_given_a_kept_census_that_ends_after_its_first_minutes_when_a_sample_covers_the_rest_then_one_window_goes_on_past_it():
    from source_marketo.components.bulk.census import from_state, to_state
    # A run stopped inside a census: the state keeps its first minutes, so its span ends a day in; the sample goes on.
    kept = from_state({**to_state(census(START, [(60, 50)]), START), "end": "2026-01-02T00:00:00Z"})
    updated = [START + timedelta(days=d, hours=12) for d in range(100)]  # one sampled lead a day, each for 10 ids
    windows = plan(learned=1000.0, bytes_per_row=1000.0, carried_census=kept,
                   sample=sample_census(updated, 10.0, Window(START, START + timedelta(days=100))))
    first = windows.next_window(room(left=50 * MB, cap=50 * MB))
    assert first == Window(START, START + timedelta(days=30))  # not a day's window of 50 leads, then another job
    counted = int(50 * 1000 * 1.15)  # the census's day, exact, then the sample's bound for days 1..30 (29 sampled leads)
    assert abs(windows.estimate(first) - counted - windows.sample.rows(START + timedelta(days=1), first.end) * 1000 * 1.15) <= 1
    # Where the sample's bound does not fit, the sample cuts it (never the rate, which knows less)
    cut = plan(learned=1000.0, bytes_per_row=1000.0, carried_census=kept, sample=sample_census(updated, 10.0, Window(START, START + timedelta(days=100))))
    window = cut.next_window(room(left=MB, cap=MB))  # half: 512 kB, under the 538 kB of the 30 days
    assert START + timedelta(days=1) < window.end < START + timedelta(days=30)
    assert cut.estimate(window) <= MB / 2  # half of what is left today


def test_given_a_sample_that_ends_before_the_plan_when_the_rest_is_short_and_fits_then_the_last_window_takes_it():
    # The sample ends where the run that took it began; the plan ends at this run's now, 5 days later.
    updated = [START + timedelta(days=d, hours=12) for d in range(95)]
    sampled = sample_census(updated, 10.0, Window(START, START + timedelta(days=95)))
    windows = plan(start=START + timedelta(days=80), learned=10_000.0, bytes_per_row=1000.0, samples=2, sample=sampled)
    ample = room(left=50 * MB, cap=50 * MB)
    assert not windows.census_due(ample, 2.0)
    last = windows.next_window(ample)
    assert last == Window(START + timedelta(days=80), START + timedelta(days=100))  # no census and no empty export after the sample
    tail = int(10_000.0 * 2.0 * 5)  # 5 days at the learned rate, at the margin near the cap
    assert abs(windows.estimate(last) - windows.sample.rows(last.start, START + timedelta(days=95)) * 1000 * 1.15 - tail) <= 1
    # Reused after a restart (the estimate made at the cut is gone), it still reserves its rest at the rate
    restarted = plan(start=START + timedelta(days=80), learned=10_000.0, bytes_per_row=1000.0, samples=2, sample=sampled)
    assert abs(restarted.estimate(last) - windows.estimate(last)) <= 1
    windows.learn(last, 400 * 1000, 400)  # more than the sample's bound: the leads updated since it was taken, not a blind spot
    assert windows.sample is not None and windows.sample_dropped is None
    # A day that might not hold the rest at twice its rate: the window ends with the sample, and a census counts the rest.
    tight = plan(start=START + timedelta(days=80), learned=10_000.0, bytes_per_row=1000.0, samples=2, sample=sampled)
    small = room(left=600_000, cap=600_000)
    cut = tight.next_window(small)
    assert cut.end == START + timedelta(days=95)
    assert tight.census_due(room(left=600_000, reserved=tight.estimate(cut), cap=600_000, in_flight=1), 2.0)
    # The lane's census risk decides too: a lane whose newest data is 8 times as uncertain ends with the sample.
    other_slot_busy = Room(left_today=700_000, reserved=0, cap=700_000, in_flight=0, running=1)  # all that is free: 700 kB
    assert plan(start=START + timedelta(days=80), learned=10_000.0, bytes_per_row=1000.0, samples=2, sample=sampled).next_window(other_slot_busy, 2.0).end == START + timedelta(days=100)
    assert plan(start=START + timedelta(days=80), learned=10_000.0, bytes_per_row=1000.0, samples=2, sample=sampled).next_window(other_slot_busy, 8.0).end == START + timedelta(days=95)


def test_given_a_kept_sample_that_this_run_may_outrun_when_planned_then_it_is_taken_again_and_the_last_window_needs_no_census():
    # The sample a first run kept ends at day 95 (where that run began); this run's plan ends at day 100.
    updated = [START + timedelta(days=d, hours=12) for d in range(95)]
    sampled = sample_census(updated, 10.0, Window(START, START + timedelta(days=95)))
    kept = plan(start=START + timedelta(days=80), learned=10_000.0, bytes_per_row=1000.0, samples=2, sample=sampled)
    # what it holds from day 80 (285 kB) fits 600 kB, but with the 5 days past it at the rate, twice, it does not
    assert kept.sample_outdated(600_000)
    assert not kept.sample_outdated(200_000)  # this run cannot get past it today: the kept one does
    assert not kept.sample_outdated(50 * MB)  # the day holds the rest at the risk: no census would come there
    assert not plan(start=START + timedelta(days=80), learned=10_000.0, bytes_per_row=1000.0, samples=2,
                    sample=sample_census(updated, 10.0, Window(START, START + timedelta(days=100)))).sample_outdated(600_000)
    # Taken again: the leads updated since the first run are in it (one here), and the window runs to the end.
    again = plan(start=START + timedelta(days=80), learned=10_000.0, bytes_per_row=1000.0, samples=2, sample=sampled)
    assert again.take_sample(updated[80:] + [START + timedelta(days=97)], 10.0, 600_000)
    assert again.sample.span == Window(START + timedelta(days=80), START + timedelta(days=100))
    small = room(left=600_000, cap=600_000)
    assert not again.census_due(small, 2.0)
    last = again.next_window(small)
    assert last == Window(START + timedelta(days=80), START + timedelta(days=100))
    assert again.estimate(last) <= 300_000  # the half of the day a job may take alone
    # Without it, the window ends with the kept sample and a census of the rest comes first (the test above).
    assert kept.next_window(small).end == START + timedelta(days=95)


def test_given_a_window_the_budget_cuts_when_tomorrow_takes_the_rest_in_as_many_jobs_then_the_lane_leaves_it_to_tomorrow():
    # 20 days left at 50 kB a day (1 MB, about 2.5 MB at the margins), and 0.5 MB left of a 4 MB day: the budget cuts the window
    def tight(days_left=20.0, handed_out=1, **kwargs):
        windows = plan(start=START + timedelta(days=100 - days_left), learned=50_000.0, bytes_per_row=1000.0, samples=2, **kwargs)
        windows.handed_out = handed_out  # a window went out in this run already
        return windows

    def left(rest_likely, reserved=0, tomorrow=None):
        return Room(left_today=MB // 2, reserved=reserved, cap=4 * MB, in_flight=0, rest_likely=rest_likely, tomorrow=tomorrow,
                    rest_now=None if rest_likely is None else rest_likely - 50_000)

    cut = tight().next_window(left(None))  # no one can tell what the lanes have left: cut as before
    assert isinstance(cut, Window) and cut.end < START + timedelta(days=100)
    assert tight().next_window(left(2 * MB)) is Hold.TOMORROW  # everything left most likely takes half of tomorrow
    assert tight().next_window(left(2 * MB, reserved=100_000)) is Hold.WAIT  # a job still running may leave room for more
    assert isinstance(tight().next_window(left(int(3.2 * MB))), Window)  # more than 75% of tomorrow's cap: today's bytes may save a day
    assert isinstance(tight().next_window(left(2 * MB, tomorrow=2 * MB)), Window)  # today began half spent (another tool): so may tomorrow
    assert isinstance(tight().next_window(left(MB // 2)), Window)  # all that is left might fit today: the sync may end today
    assert isinstance(tight(handed_out=0).next_window(left(2 * MB)), Window)  # a run always moves the lane on
    near_midnight = replace(left(2 * MB), until_reset=1800.0)  # jobs cut now run into the new day, and the run with them
    assert isinstance(tight().next_window(near_midnight), Window)
    # 45 days left: tomorrow needs 2 windows whether 10 days go today or not; of 40, a cut of 15 days leaves 25 (and a day): one
    assert tight(45.0).next_window(Room(left_today=MB, reserved=0, cap=8 * MB, in_flight=0, rest_likely=2 * MB, rest_now=2 * MB)) is Hold.TOMORROW
    # ... and of a 4 MB day: the 46 days reserve 2.9 MB, over half of it, but each of the two windows fits half
    assert tight(45.0).next_window(Room(left_today=MB // 2, reserved=0, cap=4 * MB, in_flight=0, rest_likely=2 * MB, rest_now=2 * MB)) is Hold.TOMORROW
    assert tight(40.0).next_window(Room(left_today=MB, reserved=0, cap=8 * MB, in_flight=0, rest_likely=2 * MB, rest_now=2 * MB)) is Hold.TOMORROW
    saves = tight(40.0).next_window(Room(left_today=3 * MB, reserved=0, cap=8 * MB, in_flight=0, rest_likely=4 * MB, rest_now=4 * MB))
    assert isinstance(saves, Window) and timedelta(days=11) <= size(saves) < timedelta(days=30)
    # Tomorrow's first window might be cut too (the rest, at its estimate, is over half the cap): cut as before
    assert isinstance(tight().next_window(Room(left_today=MB // 2, reserved=0, cap=2 * MB, in_flight=0, rest_likely=MB, rest_now=MB)), Window)


def test_given_rows_a_census_counted_when_tomorrow_is_weighed_then_its_counts_decide_whether_one_job_takes_the_rest():
    # Found by a review: the check that the rest fits one job tomorrow took the rate, not the counted rows; a census
    # of a dense spot then cut even a fresh day's first window, and the lane answered "tomorrow" on 40 days of 40.
    def counted():  # 150 leads a day counted for 30 days from day 80 (1 kB each), a learned rate of 10 kB a day
        windows = plan(start=START + timedelta(days=80), learned=10_000.0, bytes_per_row=1000.0, samples=2,
                       carried_census=census(START + timedelta(days=80), [(day * 1440 + 60, 150) for day in range(30)]))
        windows.handed_out = 1
        return windows
    windows = counted()
    assert windows._rest_reserved(windows.end + timedelta(days=1)) == int(150 * 21 * 1000 * 1.15)  # 3.6 MB: the counts, not 0.26 MB
    day = Room(left_today=MB, reserved=0, cap=6 * MB, in_flight=0, rest_likely=int(3.2 * MB), rest_now=int(3.2 * MB))
    cut = windows.next_window(day)  # over half of tomorrow's 6 MB at its estimate: tomorrow's first window would be cut too
    assert isinstance(cut, Window) and cut.end < START + timedelta(days=84)
    roomy = Room(left_today=MB, reserved=0, cap=8 * MB, in_flight=0, rest_likely=int(3.2 * MB), rest_now=int(3.2 * MB))
    assert counted().next_window(roomy) is Hold.TOMORROW  # with 8 MB tomorrow, one job takes it


def test_given_counts_and_a_rate_when_the_rest_is_estimated_then_it_is_what_they_most_likely_hold_without_margins():
    updated = [START + timedelta(days=d, hours=12) for d in range(95)]  # one sampled lead a day, each for 10 ids
    windows = plan(start=START + timedelta(days=80), learned=10_000.0, growth=1.5, bytes_per_row=1000.0, samples=2,
                   sample=sample_census(updated, 10.0, Window(START, START + timedelta(days=95))))
    # 15 sampled days x 10 leads x 1 kB, then 5 days past the sample and 1 more at the rate grown once
    assert windows.likely_rest(START + timedelta(days=101)) == 15 * 10 * 1000 + int(6 * 10_000.0 * 1.5)
    assert windows.likely_rest(START + timedelta(days=80)) == 0
    assert plan(bytes_per_row=1000.0).likely_rest(START + timedelta(days=10)) is None  # no rate learned: a guess, not a likelihood
    counted = plan(start=START, learned=10_000.0, bytes_per_row=1000.0, carried_census=census(START, [(60, 50)]))
    assert counted.likely_rest(START + timedelta(minutes=30)) == 0  # its rows lie in the minute after
    assert counted.likely_rest(START + timedelta(days=31)) == 50 * 1000 + 10_000  # and the day past the census's end at the rate


def test_given_a_window_a_sample_cuts_at_the_budget_when_tomorrow_takes_the_rest_in_one_job_then_it_is_left_to_tomorrow():
    updated = [START + timedelta(days=d, hours=12) for d in range(100)]  # one sampled lead a day, each for 10 ids
    def sampled(handed_out=1):
        windows = plan(start=START + timedelta(days=80), learned=10_000.0, bytes_per_row=1000.0, samples=2,
                       sample=sample_census(updated, 10.0, Window(START, START + timedelta(days=100))))
        windows.handed_out = handed_out
        return windows
    day_end = Room(left_today=400_000, reserved=0, cap=MB, in_flight=0)
    cut = sampled().next_window(day_end)
    assert isinstance(cut, Window) and cut.end < START + timedelta(days=95)  # what the lane did: a job of 9 days, then one of 11 tomorrow
    assert sampled().next_window(replace(day_end, rest_likely=720_000, rest_now=700_000)) is Hold.TOMORROW
    assert isinstance(sampled().next_window(replace(day_end, rest_likely=800_000, rest_now=780_000)), Window)  # tomorrow may not hold all: today's bytes count
    assert isinstance(sampled(handed_out=0).next_window(replace(day_end, rest_likely=720_000, rest_now=700_000)), Window)
