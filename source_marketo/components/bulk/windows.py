"""Date windows of a bulk lane: where to start, how big, and which saved exports can be reused.

Marketo limits a bulk export's date filter to 31 days (marketo-api.md 6.2) and meters the day's
500 MB on file size, counting a job when it completes (6.3). A window is the configured size unless
the day's export budget cannot hold it. How many bytes a day of data takes comes from evidence, in
order of trust: the lane's own finished exports (``learned``, kept in state), a survey of the data
with a few REST calls before the first export (``evidence``, survey.py), and only when neither
exists a cautious guess (``prior``). Each job reserves its estimate until it completes; the less
the rate is known, the more an estimate holds above it.

Near the end of the budget, windows are sized so that Marketo's two processing slots can both run
(each job gets half of what is left of the day, never more than is free), and the lane waits for
running jobs to settle rather than cut slivers. An empty export (a header only) teaches nothing
about the rate, and never holds a lane to one job at a time.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from source_marketo.components.bulk import census as census_module
from source_marketo.components.bulk.census import Census
from source_marketo.components.bulk.jobs import ExportJob, ExportSpec, Window
from source_marketo.components.types import format_datetime, parse_datetime

MIN_WINDOW = timedelta(minutes=10)
MIN_ESTIMATE = 64 * 1024
PROCESSING_SLOTS = 2  # Marketo processes two export jobs at once (marketo-api.md 6.3)
DEPTH = 4  # jobs a run keeps queued or processing: both slots busy while earlier files download
TAIL = 0.05  # a window the budget cuts to less than this share of the day's cap: stop for today (tomorrow's takes it)
# How far above the rate an estimate (and so a reservation) holds, by how the rate is known.
MARGIN_LEARNED = 1.25  # from this lane's own finished exports: adjacent windows differ little
MARGIN_NEAR_CAP = 2.0  # at least this when the budget decides a window's size: an underestimate there overruns the cap
MAX_GROWTH = 2.0  # a rate rising from window to window is projected to rise as much again, at most doubled
# ... and as much again for each step (the distance between the exports it came from) a window lies further ahead,
# up to this many times the learned rate: windows handed out in a row, or one far longer than the learned one.
MAX_PROJECTION = 8.0
SETTLED_QUIET_DAYS = 7  # a shorter window of settled rows never lowers their rate: nights and weekends are quiet
MARGIN_EVIDENCE = 2.0  # from the survey of the data's beginning: data gets denser over time
MARGIN_PRIOR = 4.5  # a guess: a job several times bigger must still not push the day over the cap
CENSUS_RISK = 2.0  # a census comes first when data this much denser than estimated would not fit the day's budget
# A window the budget cuts is left to tomorrow only where everything left of every lane most likely takes at most this
# share of tomorrow's cap (its estimate leaves out the margins: with them, a growing history's rest looks 1.5 times as big).
TOMORROW_SHARE = 0.75
TODAY_MARGIN = 1.5  # ... and only where it most likely does not fit what is left today even at two thirds of that estimate
NEAR_RESET = timedelta(hours=1)  # ... and not within this of Marketo's midnight (the run may go on in the new day)

Group = Optional[Tuple[int, ...]]  # the activity types of one export; None: the lane's one export per window


class Hold(enum.Enum):
    """What a lane answers instead of a window."""

    WAIT = "wait"  # not now: running jobs hold the budget, or a lane of guesses goes one job at a time
    STOP = "stop"  # today's budget is spent but for a tail no window fits: stop until Marketo's day resets
    NEVER = "never"  # the census shows one minute holding more than a whole day's budget: no day can export it
    TOMORROW = "tomorrow"  # a window cut now would save tomorrow no job: this lane is done for today, the others go on


@dataclass(frozen=True)
class Room:
    """The scheduler's view when a lane plans: the day's export bytes, and the lane's jobs in flight."""

    left_today: int  # the cap less what completed today (reservations not deducted)
    reserved: int  # held by jobs created and not yet completed
    cap: int  # the day's whole budget
    in_flight: int  # this lane's jobs planned and not yet read
    running: int = 0  # jobs of every lane created and not yet finished in Marketo
    rest_likely: Optional[int] = None  # what every lane has left to plan most likely holds, to a day past now (None: unknown)
    rest_now: Optional[int] = None  # ... and to now (what this run could still export)
    tomorrow: Optional[int] = None  # the budget the next Marketo day is expected to bring (what this run's day began with)
    until_reset: Optional[float] = None  # seconds until Marketo's day resets (midnight US Central)

    @property
    def free(self) -> int:
        return max(self.left_today - self.reserved, 0)

    @property
    def share(self) -> float:
        """What the next job may reserve: half of what is left of the day when nothing runs (so a second
        job can run beside it), all that is free when a job already runs in the other slot."""
        return self.free if self.running else min(self.left_today / PROCESSING_SLOTS, self.free)


@dataclass
class WindowPlan:
    """Plans consecutive windows from ``position`` to ``end``."""

    start: datetime
    end: datetime
    max_window: timedelta
    prior: float  # bytes a day: a cautious guess, used only until there is evidence
    learned: Optional[float] = None  # bytes a day, from this lane's finished exports
    saved: List[Dict[str, Any]] = field(default_factory=list)  # pending exports from the last state
    evidence: Optional[float] = None  # bytes a day, from the survey
    growth: float = 1.0  # how much the learned rate rose from one window to the next (1: not rising)
    bytes_per_row: Optional[float] = None  # from finished exports, else the survey: what a census row count costs
    samples: int = 0  # finished exports the learned rate comes from (2: its growth is known too)
    learned_window: Optional[Window] = None  # the export the learned rate was last taken from (where its growth is projected from)
    growth_days: Optional[float] = None  # how far apart (centre to centre) the two exports were that gave the growth
    # The census the last run stopped inside (its counts from where it stopped): a dense spot ahead that
    # the learned rate does not show is still cut from counted rows, without paying for a new census.
    carried_census: Optional[Census] = None
    # Leads sampled by id over the plan (census.sample_census): where no census counted, windows are cut
    # from its upper bound, and a census is taken only where the next span might not fit today.
    sample: Optional[Census] = None
    planned_until: Optional[datetime] = None  # from the last run's state (plan_start), kept until this run emits
    # Rows stay where they were written (activities, by creation): once two finished exports give the rate
    # and its growth, they tell the next windows' size better than the survey's densest day does.
    settled: bool = False
    position: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.position = self.start
        self.group_starts: Dict[Group, datetime] = {}  # where resumable() began each group's chain
        self._last_size: Optional[timedelta] = None
        self._margins: Dict[Window, float] = {}  # windows sized near the cap hold a larger margin
        self._estimates: Dict[Window, int] = {}  # windows cut from a census: their rows at the known row size
        self._pinned: Dict[Window, int] = {}  # what each window handed out was estimated at then: it reserves no less later
        self.census: Optional[Census] = self.carried_census
        self.saved_census: Optional[Dict[str, Any]] = None  # a census the last run created and did not read (resumable)
        self.emitted_fresh = False  # whether a window exported in this run was emitted (plan_state's planned_until)
        self.sample_dropped: Optional[Window] = None  # the export that held more leads than the sample's bound
        self.handed_out = 0  # windows handed out in this run (a lane leaves its rest to tomorrow only after one)

    # --- what to export next -----------------------------------------------------------------

    def next_window(self, room: Room, risk: float = CENSUS_RISK) -> Union[Window, Hold, None]:
        """The next window, a Hold, or None when every window up to ``end`` was handed out. ``risk``: the
        lane's census risk (census_due), which a window cut from counts heeds where it runs past them."""
        if self.position >= self.end:
            return None
        if self.census is not None and self.census.covers(self.position) and self.bytes_per_row:
            return self._from_census(room, self.census, risk)
        if self.sampled_at(self.position):
            return self._from_census(room, self.sample, risk)
        if room.in_flight and self.samples < 2 and self._tight(room):
            return Hold.WAIT  # the rest may not fit today and how fast the data grows is unknown: one job at a time
        span = self.next_span()  # a rising rate is projected to the furthest a window may reach: a shorter one holds less
        margin = self._rate()[1]
        remaining = self.end - self.position
        if (room.reserved + self._per_day(span, margin) * span.days) * MARGIN_NEAR_CAP > room.left_today:
            # The day might not hold the next window at twice its estimate: an underestimate now overruns the
            # cap (windows handed out in a row run ahead of what the rate learned; growing data outgrows it).
            margin = max(margin, MARGIN_NEAR_CAP)
        size, even = self._sized(room, span, margin)
        if size < min(self.max_window, remaining):  # the budget, not the window limit, decides the size
            margin = max(margin, MARGIN_NEAR_CAP)
            size, even = self._sized(room, span, margin)
            if room.reserved and size < even / 2:
                return Hold.WAIT  # running jobs will settle and tell more than a sliver would
            if room.share < TAIL * room.cap or size < MIN_WINDOW:
                return Hold.WAIT if room.reserved else Hold.STOP  # a sliver costs a whole job: tomorrow's window takes it
            if self.leaves_for_tomorrow(room, self.position + size):
                return Hold.WAIT if room.reserved else Hold.TOMORROW
        size = max(timedelta(seconds=int(size.total_seconds())), MIN_WINDOW)  # whole seconds, as Marketo and the cursor keep them
        window = Window(self.position, min(self.position + size, self.end))
        self.position, self._last_size = window.end, size
        self.handed_out += 1
        if margin != self._rate()[1]:
            self._margins[window] = margin
        self._pinned[window] = self.estimate(window)
        return window

    def _sized(self, room: Room, span: Window, margin: float) -> Tuple[timedelta, timedelta]:
        """_affordable at ``margin``, for the longest window from ``position`` whose own estimate fits: a window
        shorter than ``span`` is projected less far ahead (_projected), so it may be longer than ``span``'s rate allows."""
        size, even = self._affordable(room, self._per_day(span, margin))
        cut = lambda length: Window(self.position, self.position + length)
        if size >= span.end - span.start or self._per_day(cut(size), margin) >= self._per_day(span, margin):
            return size, even
        low, high = size, span.end - span.start
        for _ in range(20):  # the window's estimate grows with its length: bisect to the longest that fits
            middle = (low + high) / 2
            if self._affordable(room, self._per_day(cut(middle), margin))[0] >= middle:
                low = middle
            else:
                high = middle
        return low, self._affordable(room, self._per_day(cut(low), margin))[1]

    def _from_census(self, room: Room, census: Census, risk: float) -> Union[Window, Hold]:
        """A window cut to the rows the budget holds, as the census counted them (no guess), or as many as
        a sample's bound allows; where the counts end first, what comes after them sizes the rest."""
        end, budget, limit = self._census_cut(room, census)
        if isinstance(end, Hold):
            return end
        if end < limit and self.leaves_for_tomorrow(room, end):
            return Hold.WAIT if room.reserved else Hold.TOMORROW
        held = self._held(census, end)
        if end >= limit:
            end, held = self._past_counts(room, census, end, held, budget, risk)
        window = Window(self.position, end)
        self._estimates[window] = max(held, MIN_ESTIMATE)
        self.position, self._last_size = window.end, window.end - window.start
        self.handed_out += 1
        return window

    def _past_counts(self, room: Room, census: Census, end: datetime, held: int, budget: float, risk: float) -> Tuple[datetime, int]:
        """A window that reached the end of its counts before its own limit, with budget to spare, goes on:
        past a census (kept in the state, it ends after its first minutes) the sample's bound cuts it, past
        the sample (it ends where the run that took it began) the rate does, where even data ``risk`` times
        as dense would fit (else a census comes first). Without this, each end of
        counts cost a job: 629 leads where a kept census ended, a census and an empty export past the sample.
        (end, the bytes the window holds)."""
        reach = min(self.position + self.max_window, self.end)
        row_bytes = (self.bytes_per_row or 0.0) * census_module.MARGIN
        if census is not self.sample and self.sample is not None and self.sample.covers(end) and end < reach:
            limit = min(reach, self.sample.span.end)
            more = self.sample.end_for(end, limit, int(max(budget - held, 0) / row_bytes))
            if more > end:
                held += int(self.sample.rows(end, more) * row_bytes)
                end = more
            if end < limit:
                return end, held  # the sample's bound cut it
        if end >= reach:
            return end, held
        rest = Window(end, reach)
        if (room.reserved + held + self._per_day(rest) * rest.days) * risk > room.left_today:
            # As census_due asks: were the data ``risk`` times as dense, the day might not hold it with what is reserved.
            # (Applying the risk to the rest alone took a custom object's capped days 0.3% over the cap.)
            return end, held
        past = self._past_sample(rest)
        if held + past > budget:
            return end, held  # the rest is for a window of its own (the day's budget sizes it)
        return reach, held + past

    def leaves_for_tomorrow(self, room: Room, end: datetime) -> bool:
        """Whether a window the budget cuts to ``end`` should be left to tomorrow: the rest of the plan, to a day
        past now (where tomorrow's sync will end), needs as many full windows without it as after it, and
        tomorrow takes that rest (tomorrow_takes_rest). Such a cut costs a job (its calls, and a slot for Marketo's
        fixed start-up or more) and saves none. Measured: the second day of a 3-day backfill ended with 5 days of
        leads in a job of their own (2.6 MB), a slot idle for its 30 s wait, then 90 s of it running alone; the next
        day's one job took the 13 days after it anyway."""
        if end <= self.position:
            return False
        tomorrow = self.end + timedelta(days=1)
        if self._windows_for(tomorrow - end) < self._windows_for(tomorrow - self.position):
            return False  # the cut leaves tomorrow a job fewer
        return self.tomorrow_takes_rest(room)

    def tomorrow_takes_rest(self, room: Room) -> bool:
        """Whether this lane's rest can wait for tomorrow at no cost in Marketo days: the lane handed out a
        window in this run already (each run moves it on, whatever the day began with); what every lane has
        left most likely does not fit what is left of today, even at two thirds of its estimate (else the sync
        might end today: a review's simulation took a day more where it was 0.1% over what was left); it most likely
        takes at most TOMORROW_SHARE of tomorrow's budget (the one this run's day began with: counted rows, a
        sample's leads at the ids each stands for, then the learned rate as projected, without the margins the
        reservations hold); and each of this lane's windows tomorrow, at those margins, fits a job (half of that budget;
        the whole rest in half took the second day's cut of a full-size backfill for one that might not fit)."""
        if room.rest_likely is None or not self.handed_out:
            return False
        if room.until_reset is not None and room.until_reset < NEAR_RESET.total_seconds():
            return False  # jobs cut now run into the new day, whose budget this run goes on with: no sync is saved by stopping
        tomorrow = min(room.cap, room.tomorrow if room.tomorrow is not None else room.cap)
        if room.rest_now is None or room.rest_now <= TODAY_MARGIN * room.left_today or room.rest_likely > TOMORROW_SHARE * tomorrow:
            return False
        return self._windows_fit(self.end + timedelta(days=1), tomorrow / PROCESSING_SLOTS)

    def _windows_fit(self, until: datetime, share: float) -> bool:
        """Whether each full window from ``position`` to ``until`` would reserve at most ``share`` (so none of them is
        cut tomorrow: a day's first window may take half of it), at the reservations' margins."""
        at = self.position
        while at < until:
            upto = min(at + self.max_window, until)
            if self._rest_reserved(upto, at) > share:
                return False
            at = upto
        return True

    def _windows_for(self, span: timedelta) -> int:
        return max(math.ceil(span / self.max_window - 1e-9), 1)

    def likely_rest(self, until: datetime, start: Optional[datetime] = None) -> Optional[int]:
        """What the plan has left, from ``position`` (or ``start``) to ``until``, most likely holds in bytes (no margin):
        the rows a census counted, a sample's leads at the ids each stands for, then the learned rate projected as its
        growth says (None: no rate learned yet, only guesses). The scheduler adds it up over the lanes (Room.rest_likely)."""
        start = self.position if start is None else start
        if start >= until:
            return 0
        if not self.bytes_per_row or self.learned is None:
            return None
        return int(self._rest(start, until, lambda counts, begin, end: counts.counted(begin, end) * max(counts.step, 1.0) * self.bytes_per_row,
                              lambda window: max(self.learned, 1.0) * self._projected(window) * window.days))

    def _rest_reserved(self, until: datetime, start: Optional[datetime] = None) -> int:
        """What the rest, to ``until``, would reserve in a day with room: counted rows and a sample's bound at the
        census margin (as the windows cut from them would), then the rate at its own margin (as estimate does)."""
        rows = lambda counts, start, end: counts.rows(start, end) * (self.bytes_per_row or 0.0) * census_module.MARGIN
        return int(self._rest(self.position if start is None else start, until, rows, lambda window: self._per_day(window) * window.days))

    def _rest(self, at: datetime, until: datetime, counted: Callable[[Census, datetime, datetime], float], rated: Callable[[Window], float]) -> float:
        held = 0.0
        for counts in (self.census, self.sample):
            if counts is not None and counts.covers(at) and at < until:
                upto = min(counts.span.end, until)
                held += counted(counts, at, upto)
                at = upto
        if at < until:
            held += rated(Window(at, until))
        return held

    def _past_sample(self, rest: Window) -> int:
        """What the part of a window past every count reserves: its days at the rate, at the margin near the cap."""
        return int(self._per_day(rest, max(self._rate()[1], MARGIN_NEAR_CAP)) * rest.days)

    def _census_cut(self, room: Room, census: Census) -> Tuple[Union[datetime, Hold], float, datetime]:
        """(where the window cut from ``census`` ends or the Hold instead, the bytes it was cut to, the furthest it may reach)."""
        limit = min(self.position + self.max_window, census.span.end, self.end)
        row_bytes = self.bytes_per_row * census_module.MARGIN

        def sliver(end: datetime) -> bool:  # a sliver costs a whole job: tomorrow's window takes it
            return end <= self.position or (end < limit and self._held(census, end) < TAIL * room.cap)

        budget = room.share
        end = census.end_for(self.position, limit, int(budget / row_bytes))
        if sliver(end) and not room.reserved:  # not even the next dense minute in half: alone, it may have all
            budget = room.free
            end = census.end_for(self.position, limit, int(budget / row_bytes))
            if end <= self.position:
                whole_day = census.end_for(self.position, limit, int(room.cap / row_bytes))
                # Only a count proves that no day can hold a minute; a sample's bound stops for today.
                return (Hold.NEVER if whole_day <= self.position and not census.sampled else Hold.STOP), budget, limit
        if sliver(end):
            return (Hold.WAIT if room.reserved else Hold.STOP), budget, limit
        return end, budget, limit

    def _held(self, census: Census, end: datetime) -> int:
        """What the rows up to ``end`` take (not the reservation's 64 kB floor, over 5% of a small cap)."""
        return int(census.rows(self.position, end) * self.bytes_per_row * census_module.MARGIN) if end > self.position else 0

    def census_due(self, room: Room, risk: float) -> bool:
        """Whether a census should come before the next window: the day's budget could not hold it,
        with what runs, if the data were ``risk`` times as dense as estimated (and no census covers it)."""
        if self.position >= self.end or not self.bytes_per_row or (self.census is not None and self.census.covers(self.position)):
            return False
        if self.sampled_at(self.position):  # the sample's bound already holds the risk
            if room.reserved + self.estimate(self.next_span()) <= room.left_today:
                return False
            # A census makes the window cut now exact. The census's job pays only where it could add more than a
            # sliver to that window (less, and no window would be cut for it today either).
            return self._census_gain(room) > TAIL * room.cap
        return (room.reserved + self.estimate(self.next_span())) * risk > room.left_today

    def _census_gain(self, room: Room) -> float:
        """The bytes a census could add to the window the sample cuts now: what the budget allowed less what
        the cut most likely holds (the bound's slack, and the gap before a dense minute the bound kept out);
        all that the budget allowed where the sample cuts none (a census may show that a window fits)."""
        end, budget, limit = self._census_cut(room, self.sample)
        if isinstance(end, Hold):
            return budget
        if end >= limit:
            return 0.0  # the window reaches as far as it may: a count would not make it longer
        return budget - self.sample.counted(self.position, end) * max(self.sample.step, 1.0) * self.bytes_per_row * census_module.MARGIN

    def next_span(self) -> Window:
        return Window(self.position, min(self.position + self.max_window, self.end))

    def estimate(self, window: Window) -> int:
        """The bytes a job over ``window`` reserves until it completes."""
        if window in self._estimates:
            return self._estimates[window]
        if self.sampled_at(window.start):
            held = int(self.sample.rows(window.start, window.end) * self.bytes_per_row * census_module.MARGIN)
            if window.end > self.sample.span.end:  # a window that ran past the sample (reused after a restart): its rest at the rate
                held += self._past_sample(Window(self.sample.span.end, window.end))
            return max(held, MIN_ESTIMATE)
        fresh = max(int(self._per_day(window, self._margins.get(window)) * window.days), MIN_ESTIMATE)
        return max(fresh, self._pinned.get(window, 0))  # a quiet export read since lowers the rate, not what the job was given

    def drop_updated_at_evidence(self) -> None:
        """Leads switched to activity mode: windows are by creation now, so counts by update say nothing."""
        self.census = self.sample = None
        self._estimates.clear()

    def take_sample(self, updated: List[datetime], step: float, cap: int) -> bool:
        """Cut windows from a sample of leads by id (their update times, each standing for ``step`` ids), unless
        it is too coarse for a day of ``cap`` bytes: even a window without a sampled lead is bounded at two
        steps of leads, and where that is more than a sliver of the cap, the rate and censuses do better."""
        if 2 * step * (self.bytes_per_row or 0.0) * census_module.MARGIN > TAIL * cap:
            return False
        self.sample = census_module.sample_census(updated, step, Window(self.position, self.end))
        return True

    def sampled_at(self, moment: datetime) -> bool:
        return self.sample is not None and self.sample.covers(moment) and bool(self.bytes_per_row)

    def sample_outdated(self, left_today: int) -> bool:
        """Whether a sample kept from an earlier run is worth taking again (3-5 calls) before this run plans. It ends
        where the run that took it began, and the leads updated since lie past it: there a window is sized from the
        rate, and where the day might not hold that rest at CENSUS_RISK times the rate, a census comes first (a job
        the lane waits for). Taken again, the sample covers them, and the last window is cut through to the end.
        Worth it where this run may get that far (what the sample holds from here fits what is left of today) and
        that census would likely come (the rest at the risk does not fit what is left, even with nothing reserved)."""
        if not self.sampled_at(self.position) or self.sample.span.end >= self.end:
            return False
        held = self.estimate(Window(self.position, self.sample.span.end))
        past = self._past_sample(Window(self.sample.span.end, self.end))
        return held <= left_today and (held + past) * CENSUS_RISK > left_today

    def learn(self, window: Window, file_size: Optional[int], records: Optional[int] = None) -> None:
        """Cautious: a busy window raises the rate at once; a quiet one lowers it by half at most.
        An empty export (a header only) says nothing about how big a day of data is."""
        if (records is not None and self.sample is not None and self.sample.covers(window.start) and window.end <= self.sample.span.end
                and records > self.sample.rows(window.start, window.end)):
            # More leads than the sample's bound: it cannot see them (the visible updatedAt tracks standard
            # fields only, and a mass update of a custom field moves leads unseen). Rates and censuses from here.
            # (A window that ran past the sample also holds leads updated since it was taken: nothing to tell.)
            self.sample = None
            self.sample_dropped = window
        if file_size is None or window.days <= 0 or records == 0:
            return
        rate = file_size / max(window.days, MIN_WINDOW.total_seconds() / 86400)
        if self.settled and self.learned is not None and window.days < SETTLED_QUIET_DAYS:
            # A short window may fall on a night or a weekend: of settled rows (whose rate alone sizes windows
            # once its growth is known) it may raise the rate, never lower it. A review's simulation: three quiet
            # 12-hour windows at a day's end took the rate to an eighth, and the next day's 30-day windows
            # reserved 16.9 MB for about 90 MB of data.
            rate = max(rate, self.learned)
        if self.learned is not None:
            self.growth = min(max(rate / max(self.learned, 1.0), 1.0), MAX_GROWTH)
            last = self.learned_window
            self.growth_days = (window.start - last.start + window.end - last.end).total_seconds() / 2 / 86400 if last is not None else None
        self.learned = rate if self.learned is None else max(rate, self.learned * 0.5)
        self.learned_window = window
        if records:
            self.bytes_per_row = max(file_size / records, (self.bytes_per_row or 0.0) * 0.5)
        self.samples = min(self.samples + 1, 2)

    def begin_at(self, moment: datetime) -> None:
        """The survey found nothing before ``moment``: the plan starts there (never earlier than it was)."""
        if moment > self.position:
            self.start = self.position = min(moment, self.end)

    def split(self, window: Window) -> Optional[List[Window]]:
        if window.end - window.start < 2 * MIN_WINDOW:
            return None
        middle = window.start + (window.end - window.start) / 2
        middle = middle.replace(microsecond=0)
        return [Window(window.start, middle), Window(middle, window.end)]

    def split_export(self, window: Window) -> Optional[List[Window]]:
        """The halves of a window exported in two instead: each reserves what the whole did (its rows may all
        be in one half; a review: a 40 MB census cut split into halves that reserved 1.25 MB each)."""
        halves = self.split(window)
        whole = self.estimate(window)
        for half in halves or ():
            self._estimates[half] = whole
        return halves

    def rate_known_from(self) -> str:
        return "earlier exports" if self.learned is not None else "the survey" if self.evidence is not None else "a cautious guess"

    def bytes_per_day(self) -> float:
        return self._rate()[0]

    def _rate(self) -> Tuple[float, float]:
        """(bytes a day, margin): the learned rate projected by its growth, or the survey's, whichever
        holds more (the survey sampled the newest data too: an upper bound while data grows). Of settled
        rows, the learned rate alone once its growth is known: the newest day is where a growing history
        ends, not what the windows between hold (with it, a growing history's early windows reserved up to
        45 times what they took, and held the other lanes' windows small all day)."""
        known = [(max(self.learned, 1.0) * self.growth, MARGIN_LEARNED)] if self.learned is not None else []
        if self.evidence is not None and not (self.settled and self.samples >= 2):
            known.append((max(self.evidence, 1.0), MARGIN_EVIDENCE))
        return max(known, key=lambda pair: pair[0] * pair[1]) if known else (self.prior, MARGIN_PRIOR)

    def _per_day(self, window: Window, margin: Optional[float] = None) -> float:
        """The bytes a day ``window`` reserves: the rate at ``margin`` (the rate's own when None), and at least
        the learned rate projected to the window (_projected) at the learned margin. A margin near the cap
        holds a window or two ahead already; the projection decides further ahead, or for a window far longer
        than the learned one."""
        rate, own = self._rate()
        per_day = rate * (own if margin is None else margin)
        if self.learned is not None:
            per_day = max(per_day, max(self.learned, 1.0) * self._projected(window) * MARGIN_LEARNED)
        return per_day

    def _projected(self, window: Window) -> float:
        """How many times the learned rate ``window`` is estimated at: its growth once for the window next to
        the learned one, and as much again for each step further ahead (the distance between the two exports
        the growth came from), up to MAX_PROJECTION: growth as a straight line, through the last two exports. Without the steps, a growing activity history learned from two 5-day
        windows had three 30-day windows reserve 0.8 MB where they took 1.9 MB (a cap of 1 MB)."""
        learned, apart = self.learned_window, self.growth_days
        # Growth between short windows is mostly noise (a night, a weekend): where a quiet window can lower the
        # rate (rows that move), only a week's windows tell (a review: two 0.3-day windows gave 8 times all day).
        shortest = 1.0 if self.settled else SETTLED_QUIET_DAYS
        if self.growth <= 1.0 or learned is None or apart is None or min(learned.days, apart) < shortest:
            return self.growth
        centres = (window.start - learned.start + window.end - learned.end).total_seconds() / 2 / 86400
        return min(max(1.0 + (self.growth - 1.0) * centres / apart, self.growth), max(MAX_PROJECTION, self.growth))

    def _affordable(self, room: Room, bytes_per_day: float) -> Tuple[timedelta, timedelta]:
        """The window the budget allows now (Room.share), and what each of two parallel jobs would get of
        the day's budget left; near the cap, windows grow by doubling at most (the rate may be rising)."""
        even = self._days(room.left_today / PROCESSING_SLOTS, bytes_per_day)
        size = min(self.max_window, self._days(room.share, bytes_per_day))
        if size < self.max_window and self.learned is not None and self._last_size is not None:
            size = min(size, 2 * self._last_size)
        return size, even

    def _days(self, budget: float, bytes_per_day: float) -> timedelta:
        return timedelta(days=max(min(budget / bytes_per_day, self.max_window.days + 1.0), 0.0))  # no timedelta overflow

    def _tight(self, room: Room) -> bool:
        """Whether what is left of the plan might not fit what is free of today's budget."""
        rest = Window(self.position, self.end)
        return self._per_day(rest) * rest.days > room.free

    # --- reuse of the exports an earlier run created ------------------------------------------

    def resumable(self, make_spec, cursor: Optional[datetime] = None, groups: Sequence[Group] = (None,), ahead: Optional[Dict[Group, datetime]] = None) -> List[ExportJob]:
        """Saved exports that continue the plan without a gap and still match what would be asked now.

        A saved chain starts where the last run's emitted windows ended (``cursor``): reusing it skips
        this run's lookback, which is cheaper than paying for those exports again. A lane that exports
        its activity types in groups (activities.py) saves one chain per group, interleaved, each
        starting where its group was emitted to (``ahead``, when past the cursor); a group whose chain
        ends early gets new exports up to where the longest one ends, so no window misses a group.
        ``make_spec(window, group)`` builds what would be asked now.
        """
        jobs: List[ExportJob] = []
        self.saved_census = None
        reached = {group: self.position for group in groups}
        if self.saved and cursor is not None and self.saved[0].get("start"):
            first, group = parse_datetime(self.saved[0]["start"]), entry_group(self.saved[0])
            begins = {each: max(cursor, (ahead or {}).get(each) or cursor) for each in groups}
            if group in begins and first.replace(microsecond=0) == begins[group].replace(microsecond=0):  # the cursor is kept to the second
                reached = {**begins, group: first}
        self.group_starts = dict(reached)
        for entry in self.saved:
            group = entry_group(entry)
            if group not in reached or not entry.get("export_id"):
                break
            if entry.get("census"):  # the lane's last job: the lane reuses it if it starts where the plan is
                self.saved_census = entry
                break
            window = Window.from_state(entry)
            spec: ExportSpec = make_spec(window, group)
            if window.start != reached[group] or entry.get("key") != spec.key:
                break
            saved = _positive(entry.get("estimate"))
            if saved is not None and window not in self._estimates:
                # What the window was cut to (a census, a sample, a margin near the cap) is gone with the last run:
                # the job reserves what it reserved then, or more where the rate now says so. (A review's simulation:
                # restarts while jobs ran took capped days 24-56% over the cap at the rate's estimates.)
                self._estimates[window] = max(int(saved), self.estimate(window))
            jobs.append(ExportJob(spec, export_id=str(entry["export_id"]), reused=True))
            reached[group] = window.end
        self.saved = []
        if jobs:
            self.position = max(reached.values())
            for group, position in reached.items():
                while position < self.position:
                    end = min(position + self.max_window, self.position)
                    jobs.append(ExportJob(make_spec(Window(position, end), group)))
                    position = end
        return jobs


def saved_exports(jobs: List[ExportJob], grouped: bool = False, estimate: Optional[Callable[[Window], int]] = None) -> List[Dict[str, Any]]:
    """The created jobs of a lane, in order, as state entries (for reuse by the next run); a lane
    that exports its types in groups notes each export's types, and each window's ``estimate`` (the
    plan's bytes for it) is kept, so that a reused job reserves what it was cut to."""
    entries = []
    for job in jobs:
        if not job.export_id:
            break
        entry: Dict[str, Any] = {**job.spec.window.to_state(), "export_id": job.export_id, "key": job.spec.key}
        if estimate is not None and not job.spec.census:
            entry["estimate"] = int(estimate(job.spec.window))
        if job.spec.census:
            entries.append({**entry, "census": True})  # a lane waits for its census: nothing comes after it
            break
        if grouped and job.spec.activity_type_ids:
            entry["type_ids"] = list(job.spec.activity_type_ids)
        entries.append(entry)
    return entries


def entry_group(entry: Dict[str, Any]) -> Group:
    return int_tuple(entry.get("type_ids"))


def int_tuple(value: Any) -> Group:
    """A non-empty list of integers (as saved in state) as a tuple; None for anything else."""
    if not isinstance(value, list) or not value:
        return None
    try:
        return tuple(int(item) for item in value)
    except (TypeError, ValueError):
        return None


def resume_point(settings: Any, moment: Optional[datetime]) -> datetime:
    """Where reading resumes: ``moment`` (a cursor, a scan's checkpoint) less the lookback, never
    before the start date; the start date when nothing was read yet."""
    return settings.start_date if moment is None else max(settings.start_date, moment - settings.lookback)


def plan_start(settings: Any, cursor: Optional[datetime], state: Dict[str, Any]) -> datetime:
    """Where a lane's windows begin: its resume point, except for a backfill that stopped at a daily
    limit. There the window before the cursor was exported more than a lookback after its data was
    written (its run began at the state's ``planned_until``, the end of that run's plan), so the lookback
    would only export it again; where that hour is dense, each resumed day would spend its budget on it
    without progress (measured on leads: a cursor held for 12 days)."""
    planned_until = parse_cursor(state.get("planned_until"))
    if cursor is not None and planned_until is not None and planned_until - cursor > settings.lookback:
        # (planned_until moves only with a window exported in its run: a run that emitted none keeps the last one's)
        return max(cursor, settings.start_date)
    return resume_point(settings, cursor)


def plan_numbers(state: Dict[str, Any]) -> Dict[str, Any]:
    """What a lane's state keeps of its plan: the learned rate, its growth, the bytes a row takes."""
    learned = _positive(state.get("bytes_per_day"))
    samples = 2 if learned and "rate_growth" in state else 1 if learned else 0
    return {"learned": learned, "growth": rate_growth(state), "bytes_per_row": _positive(state.get("bytes_per_row")), "samples": samples,
            "learned_window": _window(state.get("rate_window")) if learned else None, "growth_days": _positive(state.get("growth_days")),
            "carried_census": _kind(census_module.from_state(state.get("census")), sampled=False),
            "sample": _kind(census_module.from_state(state.get("sample")), sampled=True), "planned_until": parse_cursor(state.get("planned_until"))}


def _kept(plan: WindowPlan, census: Optional[Census], cursor: Optional[datetime]) -> Optional[Dict[str, Any]]:
    """A census (or sample) as the state keeps it, from where the next run resumes; None when it covers nothing ahead."""
    if census is None:
        return None
    kept_from = plan.position if cursor is None else max(cursor, census.span.start)
    return census_module.to_state(census, kept_from) if census.covers(kept_from) and kept_from < plan.end else None


def _kind(census: Optional[Census], sampled: bool) -> Optional[Census]:
    return census if census is not None and census.sampled == sampled else None


def plan_state(plan: WindowPlan, cursor: Optional[datetime] = None) -> Dict[str, Any]:
    """The plan's numbers (plan_numbers reads them back) and where the plan ends (plan_start reads it).
    A census is kept from the lane's ``cursor`` (where the next run's plan resumes), not from how far
    windows were handed out: those not yet read are exported again or reused inside its span."""
    # This run's "now" once a window it exported was emitted; until then the last run's (its windows are still the last emitted).
    until = plan.end if plan.emitted_fresh else plan.planned_until
    ends: Dict[str, Any] = {"planned_until": cursor_text(until)} if until is not None else {}
    sample = _kept(plan, plan.sample, cursor)
    if sample is not None:
        ends["sample"] = sample
    if plan.learned is None:
        return ends
    numbers: Dict[str, Any] = {**ends, "bytes_per_day": round(plan.learned)}
    if plan.samples >= 2:
        numbers["rate_growth"] = round(plan.growth, 3)
    if plan.learned_window is not None:
        numbers["rate_window"] = plan.learned_window.to_state()
    if plan.growth_days is not None and plan.samples >= 2:
        numbers["growth_days"] = round(plan.growth_days, 4)
    census = _kept(plan, plan.census, cursor)
    if census is not None:
        numbers["census"] = census
    return {**numbers, "bytes_per_row": round(plan.bytes_per_row, 1)} if plan.bytes_per_row else numbers


def _window(value: Any) -> Optional[Window]:
    """A window as the state keeps it ({start, end}); None for anything else."""
    if not isinstance(value, dict):
        return None
    start, end = parse_cursor(value.get("start")), parse_cursor(value.get("end"))
    return Window(start, end) if start is not None and end is not None and start < end else None


def _positive(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None


def rate_growth(state: Dict[str, Any]) -> float:
    """The saved growth of a lane's rate (1.0 when none, or not a number in range)."""
    value = state.get("rate_growth")
    return min(max(float(value), 1.0), MAX_GROWTH) if isinstance(value, (int, float)) and not isinstance(value, bool) else 1.0


def parse_cursor(value: Any) -> Optional[datetime]:
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def cursor_text(moment: datetime) -> str:
    return format_datetime(moment.replace(microsecond=0))
