"""Change over time and ground truth: ticks create, update, delete and merge leads with the right
activities, move asset updatedAt; truth matches the API; determinism; admin endpoints."""
from __future__ import annotations

import requests

from integration_tests.marketo_emulator import EmulatorOptions, FakeClock, MarketoEmulator

from .helpers import ApiClient


def _activities(emulator, type_ids, since):
    return emulator.truth.activities(type_ids=type_ids, since=since)


def test_new_and_updated_leads(marketo_emulator):
    before = marketo_emulator.clock.now()
    summary = marketo_emulator.tick(seconds=3600, new_leads=3, updated_leads=4, deleted_leads=0, merged_leads=0,
                                    new_activities=5, asset_updates=0, program_member_changes=0,
                                    list_membership_changes=0)  # no 104, 24, 25 here
    assert marketo_emulator.clock.now() > before
    new_lead_activities = _activities(marketo_emulator, [12], before)
    assert [a["leadId"] for a in new_lead_activities] == summary["new_leads"]
    for lead_id in summary["new_leads"]:
        lead = marketo_emulator.truth.lead(lead_id)
        assert lead["createdAt"] == lead["updatedAt"] > before.strftime("%Y-%m-%dT%H:%M:%SZ")
    changes = _activities(marketo_emulator, [13], before)
    assert {a["leadId"] for a in changes} == set(summary["updated_leads"])
    last = changes[-1]
    field_value = next(a["value"] for a in last["attributes"] if a["name"] == "New Value")
    lead = marketo_emulator.truth.lead(last["leadId"])
    assert lead["updatedAt"] >= last["activityDate"]
    assert field_value in {str(v).lower() if isinstance(v, bool) else str(v) for v in lead.values()}
    assert summary["activities_added"] == len(new_lead_activities) + len(changes) + 5


def test_deleted_lead_disappears_with_a_delete_lead_activity(marketo_emulator):
    before = marketo_emulator.clock.now()
    summary = marketo_emulator.tick(seconds=600, new_leads=0, updated_leads=0, deleted_leads=1, merged_leads=0,
                                    new_activities=0, asset_updates=0)
    lead_id = summary["deleted_leads"][0]
    assert marketo_emulator.truth.lead(lead_id) is None
    deletion = _activities(marketo_emulator, [37], before)
    assert deletion[0]["leadId"] == deletion[0]["primaryAttributeValueId"] == lead_id
    assert any(d["id"] == lead_id for d in marketo_emulator.truth.deleted_leads())
    assert not [a for a in marketo_emulator.truth.activities(type_ids=[1, 6, 7, 10]) if a["leadId"] == lead_id]


def test_merge_moves_history_to_the_winner(marketo_emulator):
    history_before = {}
    summary = None
    before = marketo_emulator.clock.now()
    all_types = [t["id"] for t in marketo_emulator.truth.activity_types() if t["id"] not in (37,)][:10]
    for a in marketo_emulator.truth.activities(type_ids=all_types):
        history_before.setdefault(a["leadId"], []).append(a["id"])
    summary = marketo_emulator.tick(seconds=600, new_leads=0, updated_leads=0, deleted_leads=0, merged_leads=1,
                                    new_activities=0, asset_updates=0)
    merge = summary["merged_leads"][0]
    winner, loser = merge["winner"], merge["loser"]
    assert marketo_emulator.truth.lead(loser) is None
    assert marketo_emulator.truth.lead(winner)["updatedAt"] > before.strftime("%Y-%m-%dT%H:%M:%SZ")
    activity = _activities(marketo_emulator, [32], before)[0]
    attributes = {a["name"]: a["value"] for a in activity["attributes"]}
    assert activity["leadId"] == winner and attributes["Merge IDs"] == f"[{loser}]"
    assert set(attributes) == {"Merge IDs", "Merge Source", "Master Updated", "Merged in Sales"}
    moved = {a["id"] for a in marketo_emulator.truth.activities(type_ids=all_types) if a["leadId"] == winner}
    assert set(history_before.get(loser, [])) <= moved
    assert {"id": loser, "mergedInto": winner} in marketo_emulator.truth.changed_since(before)["leads_merged"]


def test_asset_updates_move_updated_at_and_changed_since(marketo_emulator):
    before = marketo_emulator.clock.now()
    summary = marketo_emulator.tick(seconds=600, new_leads=1, updated_leads=1, deleted_leads=1, merged_leads=0,
                                    new_activities=0, asset_updates=6)
    changed = marketo_emulator.truth.changed_since(before)
    for kind, ids in summary["asset_updates"].items():
        assert sorted(set(ids)) == sorted(changed["assets"][kind])
        newest = {}  # an email or landing page edit moves one of its versions (the draft, mostly)
        for asset in marketo_emulator.truth.assets(kind):
            newest[asset["id"]] = max(newest.get(asset["id"], ""), asset["updatedAt"])
            assert asset["updatedAt"].endswith("Z+0000")
        for asset_id in ids:
            assert newest[asset_id] > before.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert changed["leads_created"] == summary["new_leads"]
    assert set(summary["updated_leads"]) <= set(changed["leads_updated"])
    assert changed["leads_deleted"] == summary["deleted_leads"]


def test_same_seed_same_world(marketo_emulator):
    clock = FakeClock(marketo_emulator.clock.now())
    twin = MarketoEmulator(EmulatorOptions(seed=42, leads=200, activities=2000, clock=clock,
                                           anchor=marketo_emulator.clock.now()))
    try:
        assert twin.truth.leads() == marketo_emulator.truth.leads()
        assert twin.truth.activities(type_ids=[1, 12]) == marketo_emulator.truth.activities(type_ids=[1, 12])
        assert twin.truth.assets("emails") == marketo_emulator.truth.assets("emails")
        assert twin.tick(seconds=60) == marketo_emulator.tick(seconds=60)
    finally:
        twin.stop()
    other = MarketoEmulator(EmulatorOptions(seed=43, leads=200, activities=10, clock=FakeClock(), anchor=marketo_emulator.clock.now()))
    assert other.truth.leads() != marketo_emulator.truth.leads()
    other.stop()


def test_reset_restores_the_initial_state(marketo_emulator):
    initial = marketo_emulator.truth.leads()
    start = marketo_emulator.clock.now()
    marketo_emulator.tick(seconds=3600)
    ApiClient(marketo_emulator).get_json("/rest/v1/leads/describe.json")
    marketo_emulator.reset()
    assert marketo_emulator.truth.leads() == initial
    assert marketo_emulator.clock.now() == start and len(marketo_emulator.journal) == 0
    assert marketo_emulator.usage["calls_today"] == 0


def test_admin_endpoints(marketo_emulator):
    base = f"{marketo_emulator.base_url}/_emulator"
    info = requests.get(f"{base}/info").json()
    assert info["client_id"] == marketo_emulator.client_id and info["base_url"] == marketo_emulator.base_url
    summary = requests.post(f"{base}/tick", json={"seconds": 120, "new_leads": 2}).json()
    assert len(summary["new_leads"]) == 2
    assert requests.get(f"{base}/truth/leads/{summary['new_leads'][0]}").json()["id"] == summary["new_leads"][0]
    assert len(requests.get(f"{base}/truth/leads").json()) == len(marketo_emulator.truth.leads())
    assert requests.get(f"{base}/truth/activities", params={"type_ids": "12", "since": summary["from"]}).json()
    assert requests.get(f"{base}/truth/assets/programs").json() == marketo_emulator.truth.assets("programs")
    assert requests.get(f"{base}/truth/changed_since", params={"ts": summary["from"]}).json()["leads_created"] == summary["new_leads"]
    now = requests.post(f"{base}/clock/advance", json={"seconds": 60}).json()["now"]
    assert now == marketo_emulator.clock.now().isoformat()
    ApiClient(marketo_emulator).get_json("/rest/v1/leads/describe.json")
    journal = requests.get(f"{base}/journal", params={"counted": "true"}).json()
    assert [e["endpoint"] for e in journal] == ["/rest/v1/leads/describe.json"]
    requests.post(f"{base}/consume", json={"calls": 10, "export_mb": 2, "queue_slots": 3})
    usage = requests.get(f"{base}/usage").json()
    assert usage["calls_today"] == 11 and usage["export_mb_today"] == 2
    assert len(requests.get(f"{base}/jobs").json()) == 3
    assert requests.post(f"{base}/release_queue").json()["released"] == 3
    assert requests.post(f"{base}/reset").status_code == 200 and len(marketo_emulator.journal) == 0
    assert requests.get(f"{base}/nope").status_code == 404
