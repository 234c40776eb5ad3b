"""Static list membership: ground truth, ticks that add and remove members with Add to List (24)
and Remove from List (25) activities, bulk lead exports by staticListId (a snapshot at processing
start), the listId filter of activities and its size limit, ismember.json."""
from __future__ import annotations

import csv
import io

from .helpers import ApiClient


def _members_over_rest(client, list_id) -> list[int]:
    ids, token = [], None
    while True:
        body = client.get_json(f"/rest/v1/lists/{list_id}/leads.json", {"batchSize": 50, **({"nextPageToken": token} if token else {})})
        ids += [lead["id"] for lead in body.get("result", [])]
        token = body.get("nextPageToken")
        if not token:
            return ids


def _exported(client, list_id) -> list[int]:
    _, content = client.run_job("leads", {"fields": ["id"], "filter": {"staticListId": list_id}})
    return [int(row["id"]) for row in csv.DictReader(io.StringIO(content.decode()))]


def _quiet(**counts):
    base = {"new_leads": 0, "updated_leads": 0, "deleted_leads": 0, "merged_leads": 0, "new_activities": 0,
            "asset_updates": 0, "other_asset_updates": 0, "program_member_changes": 0, "custom_object_changes": 0,
            "list_membership_changes": 0}
    base.update(counts)
    return base


def test_truth_equals_rest_and_bulk(marketo_emulator):
    client = ApiClient(marketo_emulator)
    list_id = marketo_emulator.truth.lists()[3]["id"]
    members = marketo_emulator.truth.list_members(list_id)
    assert members and _members_over_rest(client, list_id) == members == _exported(client, list_id)


def test_ticks_add_and_remove_members_with_activities(marketo_emulator):
    client = ApiClient(marketo_emulator)
    before = marketo_emulator.clock.now()
    lists_before = {item["id"]: set(marketo_emulator.truth.list_members(item["id"])) for item in marketo_emulator.truth.lists()}
    summary = marketo_emulator.tick(seconds=3600, **_quiet(list_membership_changes=15))
    changes = summary["list_memberships"]
    assert len(changes) == 15 and {c["action"] for c in changes} == {"added", "removed"}
    activities = marketo_emulator.truth.activities(type_ids=[24, 25], since=before)
    assert len(activities) == 15 == summary["activities_added"]
    names = {item["id"]: item["name"] for item in marketo_emulator.truth.lists()}
    expected = {list_id: set(ids) for list_id, ids in lists_before.items()}
    for change, activity in zip(changes, activities):
        assert activity["activityTypeId"] == (24 if change["action"] == "added" else 25)
        assert (activity["leadId"], activity["primaryAttributeValueId"]) == (change["leadId"], change["listId"])
        assert activity["primaryAttributeValue"] == names[change["listId"]] and "campaignId" in activity
        (expected[change["listId"]].add if change["action"] == "added" else expected[change["listId"]].discard)(change["leadId"])
    for list_id in {c["listId"] for c in changes}:
        assert set(marketo_emulator.truth.list_members(list_id)) == expected[list_id]
        assert _members_over_rest(client, list_id) == _exported(client, list_id) == sorted(expected[list_id])


def test_bulk_export_by_list_is_a_snapshot_at_processing_start(marketo_emulator_factory):
    emulator = marketo_emulator_factory(job_progression="polls:1")
    client = ApiClient(emulator)
    list_id = emulator.truth.lists()[0]["id"]
    before = emulator.truth.list_members(list_id)
    export_id = client.create_job("leads", {"fields": ["id"], "filter": {"staticListId": list_id}})["result"][0]["exportId"]
    client.job_call("leads", export_id, "enqueue")  # processing starts: membership is taken now
    for _ in range(5):
        emulator.tick(seconds=600, **_quiet(list_membership_changes=20))
    assert emulator.truth.list_members(list_id) != before
    assert client.job_call("leads", export_id, "status")["result"][0]["status"] == "Completed"
    content = client.get(f"/bulk/v1/leads/export/{export_id}/file.json").text
    assert [int(line) for line in content.split("\n")[1:] if line] == before


def test_activities_list_filter_follows_membership(marketo_emulator):
    client = ApiClient(marketo_emulator)
    summary = marketo_emulator.tick(seconds=3600, **_quiet(list_membership_changes=10))
    added = next(c for c in summary["list_memberships"] if c["action"] == "added")
    token = client.get_json("/rest/v1/activities/pagingtoken.json", {"sinceDatetime": summary["from"]})["nextPageToken"]
    page = client.get_json("/rest/v1/activities.json", {"nextPageToken": token, "activityTypeIds": "24,25",
                                                         "listId": added["listId"]})
    members = set(marketo_emulator.truth.list_members(added["listId"]))
    leads = {a["leadId"] for a in page.get("result", [])}
    assert added["leadId"] in leads and leads <= members


def test_list_size_limit_for_activities_when_enabled(marketo_emulator_factory):
    emulator = marketo_emulator_factory(activity_list_limit=10)
    client = ApiClient(emulator)
    sizes = {item["id"]: len(emulator.truth.list_members(item["id"])) for item in emulator.truth.lists()}
    big = next(i for i, n in sizes.items() if n >= 10)
    token = client.get_json("/rest/v1/activities/pagingtoken.json", {"sinceDatetime": "2020-01-01T00:00:00Z"})["nextPageToken"]
    for path, extra in (("/rest/v1/activities.json", {"activityTypeIds": "1"}), ("/rest/v1/activities/leadchanges.json", {"fields": "email"})):
        refused = client.get_json(path, {"nextPageToken": token, "listId": big, **extra})
        assert refused["errors"][0]["code"] == "1003", path
    small = [i for i, n in sizes.items() if n < 10]
    if small:
        assert client.get_json("/rest/v1/activities.json", {"nextPageToken": token, "listId": small[0], "activityTypeIds": "1"})["success"]
    unlimited = ApiClient(marketo_emulator_factory())
    assert unlimited.get_json("/rest/v1/activities.json", {"nextPageToken": token, "listId": big, "activityTypeIds": "1"})["success"]


def test_is_member(marketo_emulator):
    client = ApiClient(marketo_emulator)
    list_id = marketo_emulator.truth.lists()[0]["id"]
    members = marketo_emulator.truth.list_members(list_id)
    outsider = next(i for i in range(1, 300) if i not in members and marketo_emulator.truth.lead(i))
    body = client.get_json(f"/rest/v1/lists/{list_id}/leads/ismember.json", {"id": f"{members[0]},{outsider},999999"})
    assert body["result"] == [{"id": members[0], "status": "memberof"}, {"id": outsider, "status": "notmemberof"},
                              {"id": 999999, "status": "skipped", "reasons": [{"code": "1004", "message": "Lead not found"}]}]
    assert client.get_json("/rest/v1/lists/1/leads/ismember.json", {"id": "1"})["errors"][0]["code"] == "1013"
