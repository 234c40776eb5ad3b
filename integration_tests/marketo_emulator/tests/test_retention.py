"""Activity retention (Marketo's policy: 14 days, 90 days, 25 months, New Lead forever) relative to
the emulator's clock: per type, moving as the clock moves, in REST paging, lead changes, bulk
exports and ground truth; per-type overrides."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from integration_tests.marketo_emulator import EmulatorOptions, FakeClock, MarketoEmulator
from integration_tests.marketo_emulator.retention import RetentionPolicy, months_before, parse_retention
from integration_tests.marketo_emulator.timefmt import parse_input, to_ms

from .helpers import ApiClient

ANCHOR = datetime(2025, 6, 2, 15, 0, 0, tzinfo=timezone.utc)
DAY = 86_400_000
NINETY_DAY_TYPES = {1, 3, 6, 7, 13, 22, 24}  # generated here, kept 90 days
LONG_TYPES = {2, 8, 9, 10, 11, 25, 46, 104, 100001}  # generated here, kept 25 months


def _emulator(**options) -> MarketoEmulator:
    base = {"seed": 42, "leads": 1500, "activities": 12_000, "clock": FakeClock(ANCHOR), "anchor": ANCHOR,
            "data_begins": ANCHOR - timedelta(days=1000)}
    return MarketoEmulator(EmulatorOptions(**{**base, **options}))


def _ms(activity: dict) -> int:
    return parse_input(activity["activityDate"])


def _expected(full: list[dict], now_ms: int, days: dict[int, int] | None = None) -> list[dict]:
    """What the policy keeps of `full` at `now_ms`, computed independently of the emulator."""
    days = {37: 14, **{t: 90 for t in NINETY_DAY_TYPES}, **(days or {})}
    long_cutoff = months_before(now_ms, 25)

    def kept(activity) -> bool:
        type_id = activity["activityTypeId"]
        if type_id in days:
            return days[type_id] <= 0 or _ms(activity) >= now_ms - days[type_id] * DAY
        return type_id == 12 or _ms(activity) >= long_cutoff

    return [a for a in full if kept(a)]


def test_months_before_clamps_to_the_month():
    assert months_before(to_ms(datetime(2025, 5, 31, 12, tzinfo=timezone.utc)), 3) == \
        to_ms(datetime(2025, 2, 28, 12, tzinfo=timezone.utc))
    assert months_before(to_ms(ANCHOR), 25) == to_ms(datetime(2023, 5, 2, 15, tzinfo=timezone.utc))


def test_each_type_keeps_its_retention_and_new_lead_stays_forever():
    full = _emulator().truth.activities()
    emulator = _emulator(activity_retention=True)
    kept = emulator.truth.activities()
    now = to_ms(ANCHOR)
    assert kept == _expected(full, now)
    assert all(_ms(a) >= now - 90 * DAY for a in kept if a["activityTypeId"] in NINETY_DAY_TYPES)
    assert any(_ms(a) < now - 90 * DAY for a in kept if a["activityTypeId"] in LONG_TYPES)
    assert any(_ms(a) < months_before(now, 25) for a in kept if a["activityTypeId"] == 12)
    assert len(kept) < len(full) / 2


def test_retention_moves_with_the_clock_and_overrides_apply():
    emulator = _emulator(activity_retention=True, retention_days={1: 10, 2: 0})
    full = _emulator().truth.activities()
    before = emulator.truth.activities(type_ids=[1])
    assert before and all(_ms(a) >= to_ms(ANCHOR) - 10 * DAY for a in before)
    emulator.clock.advance(5 * 86400)
    after = emulator.truth.activities(type_ids=[1])
    assert len(after) < len(before) and after == before[len(before) - len(after):]
    now = to_ms(emulator.clock.now())
    assert emulator.truth.activities() == _expected(full, now, {1: 10, 2: 0})
    assert emulator.truth.activities(type_ids=[2]) == [a for a in full if a["activityTypeId"] == 2]  # 0: kept


def test_changed_since_leaves_out_retained_activities():
    emulator = _emulator(activity_retention=True)
    since = ANCHOR - timedelta(days=200)
    changed = emulator.truth.changed_since(since)["activities"]
    assert changed == emulator.truth.activities(since=since + timedelta(milliseconds=1))
    assert not [a for a in changed if a["activityTypeId"] in NINETY_DAY_TYPES and _ms(a) < to_ms(ANCHOR) - 90 * DAY]


def _page_all(client, types: str, since: str) -> tuple[list[dict], int]:
    token = client.get_json("/rest/v1/activities/pagingtoken.json", {"sinceDatetime": since})["nextPageToken"]
    items, pages = [], 0
    while True:
        body = client.get_json("/rest/v1/activities.json", {"nextPageToken": token, "activityTypeIds": types})
        items += body.get("result", [])
        pages += 1
        if not body["moreResult"]:
            return items, pages
        token = body["nextPageToken"]


def test_rest_paging_and_lead_changes_skip_retained_activities(marketo_emulator_factory):
    emulator = marketo_emulator_factory(leads=1500, activities=12_000, data_begins=ANCHOR - timedelta(days=1000),
                                        activity_retention=True)
    client = ApiClient(emulator)
    items, pages = _page_all(client, "1,3,6", "2015-01-01T00:00:00Z")
    assert items == emulator.truth.activities(type_ids=[1, 3, 6])
    assert pages <= len(items) // 300 + 2  # the 90-day types start at their cutoff: no empty pages before
    token = client.get_json("/rest/v1/activities/pagingtoken.json", {"sinceDatetime": "2015-01-01"})["nextPageToken"]
    changes = client.get_json("/rest/v1/activities/leadchanges.json", {"nextPageToken": token, "fields": "title,city"})
    cutoff = to_ms(emulator.clock.now()) - 90 * DAY
    assert all(parse_input(c["activityDate"]) >= cutoff for c in changes.get("result", []) if c["activityTypeId"] == 13)


def test_bulk_exports_leave_out_retained_activities(marketo_emulator_factory):
    emulator = marketo_emulator_factory(leads=1500, activities=12_000, data_begins=ANCHOR - timedelta(days=1000),
                                        activity_retention=True)
    client = ApiClient(emulator)
    now = emulator.clock.now().replace(microsecond=0)
    start, end = now - timedelta(days=120), now - timedelta(days=90)
    window = {"startAt": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "endAt": end.strftime("%Y-%m-%dT%H:%M:%SZ")}
    status, content = client.run_job("activities", {"filter": {"createdAt": window, "activityTypeIds": [1, 2, 6, 12]}})
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))
    types = {int(r["activityTypeId"]) for r in rows}
    assert rows and types <= {2, 12} and 1 not in types and 6 not in types
    truth = emulator.truth.activities(type_ids=[1, 2, 6, 12], since=start, until=end)
    assert [int(r["marketoGUID"]) for r in rows] == [a["id"] for a in truth]


def test_options_and_cli_syntax():
    assert parse_retention(["1,6,7=90", "12=30"]) == {1: 90, 6: 90, 7: 90, 12: 30}
    assert parse_retention(None) is None
    for bad in ("1,6", "x=3", "1=abc"):
        with pytest.raises(ValueError):
            parse_retention([bad])
    with pytest.raises(ValueError):
        RetentionPolicy(False, {1: 5})
    assert RetentionPolicy(False).cutoffs(0) is None
    assert _emulator().truth.activities() == _emulator(activity_retention=False).truth.activities()


def test_delete_lead_activities_go_after_fourteen_days():
    emulator = _emulator(activity_retention=True)
    deletions = emulator.truth.activities(type_ids=[37])
    assert deletions and emulator.truth.deleted_leads()
    emulator.clock.advance(5 * 86400)
    fewer = emulator.truth.activities(type_ids=[37])
    assert all(_ms(a) >= to_ms(emulator.clock.now()) - 14 * DAY for a in fewer)
    emulator.clock.advance(10 * 86400)  # the seeded deletions happened in the 10 days before the anchor
    assert emulator.truth.activities(type_ids=[37]) == []
    assert emulator.truth.deleted_leads()  # the leads stay deleted: only their Delete Lead activity is gone
