"""History shapes: `data_begins` (nothing generated before it) and `history_shape="growing"` (a rising
rate of leads and activities) — arithmetic first-index lookups, ids in creation order, exports by
window and ground truth agree."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from integration_tests.marketo_emulator import EmulatorOptions, FakeClock, MarketoEmulator
from integration_tests.marketo_emulator.timeaxis import TimeAxis
from integration_tests.marketo_emulator.timefmt import parse_input, rest_datetime

from .helpers import ApiClient

ANCHOR = datetime(2025, 6, 2, 15, 0, 0, tzinfo=timezone.utc)
BEGINS = ANCHOR - timedelta(days=400)
ALL_TYPES = None


def _offline(**options) -> MarketoEmulator:
    base = {"seed": 42, "leads": 3000, "activities": 20_000, "clock": FakeClock(ANCHOR), "anchor": ANCHOR}
    return MarketoEmulator(EmulatorOptions(**{**base, **options}))


def _window(start: datetime, end: datetime) -> dict:
    return {"startAt": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "endAt": end.strftime("%Y-%m-%dT%H:%M:%SZ")}


@pytest.mark.parametrize("shape", ["uniform", "growing"])
def test_first_index_at_or_after_matches_a_scan(shape):
    emulator = _offline(data_begins=BEGINS, history_shape=shape, activities=5000, leads=800)
    factory, leads = emulator.state.activity_factory, emulator.state.lead_factory
    dates = [factory.date_ms(i) for i in range(factory.count)]
    created = [leads.created_ms(i) for i in range(1, leads.n_base + 1)]
    assert dates == sorted(dates) and created == sorted(created)  # creation order is id order
    probes = [dates[0] - 1, dates[-1] + 1] + dates[::97] + [d + 500 for d in dates[::89]] + created[::31]
    for ms in probes:
        assert factory.first_index_at_or_after(ms) == next((i for i, d in enumerate(dates) if d >= ms), len(dates))
        assert leads.first_id_created_at_or_after(ms) == next((i + 1 for i, c in enumerate(created) if c >= ms),
                                                              len(created) + 1)


def test_growing_axis_is_invertible_and_rises_linearly():
    axis = TimeAxis(0, 1_000_000, 10_000, "growing")
    for position in (0, 1, 17.5, 2500, 9999.9, 10_000):
        assert axis.position(axis.instant(position)) == pytest.approx(position, abs=1e-6)
    tenth = axis.span / 10
    first, last = axis.position(tenth), axis.count - axis.position(axis.span - tenth)
    assert first == pytest.approx(100) and last == pytest.approx(1900)  # rate rises linearly: 1 % vs 19 %


def test_data_begins_nothing_is_older_and_activities_keep_their_head_start():
    emulator = _offline(data_begins=BEGINS)
    leads, activities = emulator.truth.leads(), emulator.truth.activities(ALL_TYPES)
    begins = BEGINS.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert min(lead["createdAt"] for lead in leads) >= begins
    base = [a for a in activities if a["activityTypeId"] not in (32, 37)]
    assert base[0]["activityDate"] >= rest_datetime(parse_input(begins) + 14 * 86_400_000)
    assert base[-1]["activityDate"] < ANCHOR.strftime("%Y-%m-%dT%H:%M:%SZ")
    # Every activity belongs to a lead created before it (merge winners also own their losers' history).
    created = {lead["id"]: lead["createdAt"] for lead in leads}
    winners = {merge["survivor"] for merge in emulator.truth.merged_leads()}
    assert all(created[a["leadId"]] <= a["activityDate"] for a in base if a["leadId"] in created.keys() - winners)
    assert emulator.truth.activities(ALL_TYPES, until=BEGINS + timedelta(days=14) - timedelta(seconds=1)) == []
    with pytest.raises(ValueError):
        _offline(data_begins=ANCHOR - timedelta(minutes=30))
    with pytest.raises(ValueError):
        _offline(history_shape="exponential")


def test_growing_shape_puts_more_data_late_than_early():
    emulator = _offline(data_begins=BEGINS, history_shape="growing")
    span = (ANCHOR - BEGINS) / 5
    early = emulator.truth.activities(ALL_TYPES, since=BEGINS, until=BEGINS + span)
    late = emulator.truth.activities(ALL_TYPES, since=ANCHOR - span, until=ANCHOR)
    assert len(late) > 5 * max(1, len(early))
    ids = [lead["id"] for lead in emulator.truth.leads()]
    created = [lead["createdAt"] for lead in emulator.truth.leads()]
    assert created == sorted(created) and ids == sorted(ids)


def test_growing_exports_by_window_match_truth(marketo_emulator_factory):
    emulator = marketo_emulator_factory(leads=2000, activities=8000, data_begins=BEGINS, history_shape="growing")
    client = ApiClient(emulator)
    now = emulator.clock.now().replace(microsecond=0)
    empty = _window(BEGINS - timedelta(days=60), BEGINS - timedelta(days=30))
    status, _ = client.run_job("leads", {"fields": ["id"], "filter": {"createdAt": empty}})
    assert status["numberOfRecords"] == 0  # before data_begins: nothing
    for start in (BEGINS + timedelta(days=20), now - timedelta(days=31)):
        end = start + timedelta(days=31) - timedelta(seconds=1)
        status, content = client.run_job("activities", {"filter": {"createdAt": _window(start, end)}})
        rows = list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))
        truth = emulator.truth.activities(ALL_TYPES, since=start, until=end)
        assert [int(r["marketoGUID"]) for r in rows] == [a["id"] for a in truth]
        status, content = client.run_job("leads", {"fields": ["id", "createdAt"], "filter": {"createdAt": _window(start, end)}})
        ids = [int(line.split(",")[0]) for line in content.decode().splitlines()[1:]]
        window = (start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ"))
        assert ids == [lead["id"] for lead in emulator.truth.leads() if window[0] <= lead["createdAt"] <= window[1]]
    assert len(rows) > 0


def test_paging_from_long_before_data_begins_reaches_the_first_activity_at_once(marketo_emulator_factory):
    emulator = marketo_emulator_factory(leads=500, activities=3000, data_begins=BEGINS, history_shape="growing")
    client = ApiClient(emulator)
    token = client.get_json("/rest/v1/activities/pagingtoken.json", {"sinceDatetime": "2015-01-01T00:00:00Z"})["nextPageToken"]
    body = client.get_json("/rest/v1/activities.json", {"nextPageToken": token, "activityTypeIds": "1,12"})
    first = emulator.truth.activities([1, 12])[0]
    assert body["result"][0] == first
