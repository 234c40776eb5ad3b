"""Program members: describe, members.json filters and limits, the bulk program member export
(filters ANDed, programIds column, 1/0 booleans, shared job limits), ticks, deletes and merges."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from .helpers import ApiClient

STANDARD = ["acquiredBy", "attendanceLikelihood", "createdAt", "isExhausted", "leadId", "membershipDate",
            "nurtureCadence", "program", "programId", "reachedSuccess", "reachedSuccessDate", "registrationLikelihood",
            "statusName", "statusReason", "trackName", "updatedAt", "waitlistPriority", "registrationCode", "webinarUrl"]
BOOLEANS = {"acquiredBy", "isExhausted", "reachedSuccess", "pmVipAttendee"}


def _rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))


def _as_csv(record: dict, names) -> dict:
    out = {}
    for name in names:
        value = record[name]
        if name in BOOLEANS:
            out[name] = "1" if value else "0"
        else:
            out[name] = "null" if value is None else str(value)
    return out


def _biggest(emulator) -> int:
    counts = {}
    for record in emulator.truth.program_members():
        counts[record["programId"]] = counts.get(record["programId"], 0) + 1
    return max(counts, key=counts.get)


def test_describe_on_both_paths(marketo_emulator):
    client = ApiClient(marketo_emulator)
    body = client.get_json("/rest/v1/programs/members/describe.json")
    assert body == {**client.get_json("/rest/v1/program/members/describe.json"), "requestId": body["requestId"]}
    item = body["result"][0]
    assert item["name"] == "API Program Membership" and item["dedupeFields"] == ["leadId", "programId"]
    names = [f["name"] for f in item["fields"]]
    assert set(STANDARD) <= set(names) and len(names) == len(STANDARD) + 3
    types = {f["name"]: f["dataType"] for f in item["fields"]}
    assert {types[n] for n in ("pmReferralSource", "pmSeatsRequested", "pmVipAttendee")} == {"string", "integer", "boolean"}
    assert {f["name"]: f.get("length") for f in item["fields"]}["nurtureCadence"] == 4
    assert ["leadId"] in item["searchableFields"] and ["statusName"] in item["searchableFields"]


def test_members_are_consistent_with_leads_programs_and_channels(marketo_emulator):
    truth = marketo_emulator.truth
    programs = {p["id"]: p for p in truth.assets("programs")}
    channels = {c["name"]: c for c in truth.assets("channels")}
    leads = {lead["id"]: lead for lead in truth.leads()}
    survivors = {m["survivor"] for m in truth.merged_leads()}  # may hold a loser's older membership
    members = truth.program_members()
    assert len(members) > 300 and {m["programId"] for m in members} == set(programs)
    for member in members:
        program = programs[member["programId"]]
        statuses = {s["name"]: s for s in channels[program["channel"]]["progressionStatuses"]}
        assert member["statusName"] in statuses and member["statusName"] != "Not in Program"
        assert member["reachedSuccess"] == statuses[member["statusName"]]["success"]
        assert member["leadId"] in leads and member["program"] == program["name"]
        assert member["membershipDate"] == member["createdAt"] <= member["updatedAt"]
        assert member["leadId"] in survivors or leads[member["leadId"]]["createdAt"] <= member["membershipDate"]
        assert (member["nurtureCadence"] is not None) == (program["type"] == "Engagement")
        assert (member["webinarUrl"] is not None) == (program["type"] == "Event with Webinar")
        if member["reachedSuccess"]:
            assert member["membershipDate"] <= member["reachedSuccessDate"] <= member["updatedAt"]


def test_members_json_filters_fields_and_paging(marketo_emulator):
    client = ApiClient(marketo_emulator)
    program_id = _biggest(marketo_emulator)
    truth = marketo_emulator.truth.program_members(program_id)
    lead_ids = [m["leadId"] for m in truth][:5]
    body = client.get_json(f"/rest/v1/programs/{program_id}/members.json",
                           {"filterType": "leadId", "filterValues": ",".join(map(str, lead_ids + [99999]))})
    assert body["moreResult"] is False and "nextPageToken" not in body
    assert [r["seq"] for r in body["result"]] == list(range(5))
    assert [set(r) for r in body["result"]] == [{"seq", "acquiredBy", "leadId", "membershipDate", "programId",
                                                  "reachedSuccess"}] * 5
    status = truth[0]["statusName"]
    expected = [m for m in truth if m["statusName"] == status]
    got, token = [], None
    while True:
        params = {"filterType": "statusName", "filterValues": status, "fields": "leadId,statusName,updatedAt",
                  "batchSize": 3, **({"nextPageToken": token} if token else {})}
        page = client.get_json(f"/rest/v1/programs/{program_id}/members.json", params)
        got += [{k: v for k, v in r.items() if k != "seq"} for r in page["result"]]
        if not page["moreResult"]:
            break
        token = page["nextPageToken"]
    assert got == [{"leadId": m["leadId"], "statusName": status, "updatedAt": m["updatedAt"]} for m in expected]
    newest = max(m["updatedAt"] for m in truth)
    window = {"filterType": "updatedAt", "startAt": newest, "endAt": newest, "fields": "leadId"}
    recent = client.get_json(f"/rest/v1/programs/{program_id}/members.json", window)["result"]
    assert [r["leadId"] for r in recent] == [m["leadId"] for m in truth if m["updatedAt"] == newest]


def test_members_json_errors(marketo_emulator_factory):
    emulator = marketo_emulator_factory(program_member_query_limit=10)
    client = ApiClient(emulator)
    program_id = _biggest(emulator)
    path = f"/rest/v1/programs/{program_id}/members.json"

    def code(params, where=path):
        return client.get_json(where, params)["errors"][0]["code"]

    assert code({"filterType": "email", "filterValues": "x"}) == "1011"
    assert code({"filterType": "leadId", "filterValues": "1", "fields": "nope"}) == "1006"
    assert code({"filterType": "leadId", "filterValues": ",".join(map(str, range(1, 302)))}) == "1003"
    assert code({"filterType": "updatedAt", "startAt": "2024-01-01T00:00:00Z", "endAt": "2024-01-09T00:00:00Z"}) == "1003"
    assert code({"filterType": "leadId", "filterValues": "1"}, "/rest/v1/programs/424242/members.json") == "1013"
    over = client.get_json(path, {"filterType": "statusName", "filterValues": "Member"})["errors"][0]
    total = len(emulator.truth.program_members(program_id))
    assert over == {"code": "1003", "message": f"Total membership size: {total:,} exceeds the limit allowed 10 for the filter"}
    assert client.get_json(path, {"filterType": "leadId", "filterValues": "1,2,3"})["success"]  # leadId: no limit


def test_bulk_export_equals_truth_with_1_0_booleans(marketo_emulator):
    client = ApiClient(marketo_emulator)
    program_id = _biggest(marketo_emulator)
    names = STANDARD + ["pmReferralSource", "pmSeatsRequested", "pmVipAttendee"]
    status, content = client.run_job("program/members", {"fields": names, "filter": {"programId": program_id}})
    rows = _rows(content)
    truth = marketo_emulator.truth.program_members(program_id)
    assert status["numberOfRecords"] == len(rows) == len(truth)
    assert rows == [_as_csv(m, names) for m in truth]
    assert marketo_emulator.jobs[-1]["kind"] == "program/members"


def test_program_ids_add_a_leading_program_id_column_and_lead_fields(marketo_emulator):
    client = ApiClient(marketo_emulator)
    program_ids = [p["id"] for p in marketo_emulator.truth.assets("programs")][:3]
    status, content = client.run_job("program/members", {
        "fields": ["leadId", "email", "firstName", "statusName"], "columnHeaderNames": {"email": "Email Address"},
        "filter": {"programIds": program_ids}})
    lines = content.decode().split("\n")
    assert lines[0] == "programId,leadId,Email Address,firstName,statusName"
    rows = _rows(content)
    expected = [m for pid in program_ids for m in marketo_emulator.truth.program_members(pid)]
    assert [(int(r["programId"]), int(r["leadId"]), r["statusName"]) for r in rows] == \
        [(m["programId"], m["leadId"], m["statusName"]) for m in expected]
    first = marketo_emulator.truth.lead(int(rows[0]["leadId"]))
    assert rows[0]["Email Address"] == first["email"] and rows[0]["firstName"] == (first["firstName"] or "null")


def test_filters_are_anded_and_validated(marketo_emulator_factory):
    emulator = marketo_emulator_factory()
    client = ApiClient(emulator)
    programs = emulator.truth.assets("programs")
    engagement = [p["id"] for p in programs if p["type"] == "Engagement"][:2]
    now = emulator.clock.now().replace(microsecond=0)
    window = {"startAt": (now - timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ"), "endAt": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    body = {"fields": ["leadId", "statusName", "updatedAt"], "filter": {
        "programIds": engagement, "isExhausted": False, "nurtureCadence": "norm", "statusNames": ["Member", "Engaged"],
        "updatedAt": window}}
    _, content = client.run_job("program/members", body)
    expected = [m for pid in engagement for m in emulator.truth.program_members(pid)
                if not m["isExhausted"] and m["nurtureCadence"] == "norm" and m["statusName"] in ("Member", "Engaged")
                and window["startAt"] <= m["updatedAt"] <= window["endAt"]]
    assert expected and [(int(r["programId"]), int(r["leadId"])) for r in _rows(content)] == \
        [(m["programId"], m["leadId"]) for m in expected]

    def refused(filters, fields=("leadId",)):
        reply = client.post_json("/bulk/v1/program/members/export/create.json", {"fields": list(fields), "filter": filters})
        return reply["errors"][0]

    ids = [p["id"] for p in programs]
    assert refused({"programIds": ids[:11]})["code"] == "1003"
    assert refused({"programId": ids[0], "programIds": ids[:2]})["code"] == "1003"
    assert refused({"isExhausted": True})["code"] == "1003"
    assert refused({"programId": ids[0], "statusNames": ["Member", "No Such Status"]}) == {"code": "1003", "message": "Invalid Data"}
    assert refused({"programId": ids[0], "updatedAt": {"startAt": "2024-01-01T00:00:00Z", "endAt": "2024-03-01T00:00:00Z"}})["code"] == "1003"
    assert refused({"programId": ids[0]}, fields=("leadId", "noSuchField"))["code"] == "1003"
    assert refused({"programId": 424242})["code"] == "1003"
    no_corona = ApiClient(marketo_emulator_factory(program_member_updated_at_filter=False))
    reply = no_corona.post_json("/bulk/v1/program/members/export/create.json",
                                {"fields": ["leadId"], "filter": {"programId": ids[0], "updatedAt": window}})
    assert reply["errors"][0] == {"code": "1035", "message": "Unsupported filter type for target subscription"}


def test_booleans_as_words_when_asked(marketo_emulator_factory):
    emulator = marketo_emulator_factory(program_member_export_booleans="words")
    _, content = ApiClient(emulator).run_job("program/members", {"fields": ["leadId", "acquiredBy"],
                                                                "filter": {"programId": _biggest(emulator)}})
    assert {r["acquiredBy"] for r in _rows(content)} == {"true", "false"}


def test_jobs_of_every_kind_share_the_slots_and_the_megabytes(marketo_emulator_factory):
    emulator = marketo_emulator_factory(job_progression="polls:1000")
    client = ApiClient(emulator)
    window = {"startAt": (emulator.clock.now() - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "endAt": emulator.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")}
    bodies = [("leads", {"fields": ["id"], "filter": {"createdAt": window}}),
              ("program/members", {"fields": ["leadId"], "filter": {"programId": 1001}})]
    ids = []
    for index in range(10):
        kind, body = bodies[index % 2]
        export_id = client.create_job(kind, body)["result"][0]["exportId"]
        assert client.job_call(kind, export_id, "enqueue")["success"]
        ids.append((kind, export_id))
    extra = client.create_job("program/members", bodies[1][1])["result"][0]["exportId"]
    assert client.job_call("program/members", extra, "enqueue")["errors"][0] == {"code": "1029", "message": "Too many jobs in queue"}
    statuses = [client.job_call(kind, export_id, "status")["result"][0]["status"] for kind, export_id in ids]
    assert statuses.count("Processing") == 2
    assert {job["kind"] for job in emulator.jobs} == {"leads", "program/members"}
    spent = marketo_emulator_factory(daily_export_mb=0.001)
    spender = ApiClient(spent)
    spender.run_job("program/members", {"fields": ["leadId", "program"], "filter": {"programId": _biggest(spent)}})
    refused = spender.create_job("leads", bodies[0][1])
    assert refused["errors"][0]["code"] == "1029" and "Export daily quota" in refused["errors"][0]["message"]


def test_ticks_change_memberships_with_change_status_activities(marketo_emulator):
    before = marketo_emulator.clock.now()
    summary = marketo_emulator.tick(seconds=3600, new_leads=0, updated_leads=0, deleted_leads=0, merged_leads=0,
                                    new_activities=0, asset_updates=0, other_asset_updates=0, program_member_changes=12,
                                    list_membership_changes=0)
    changes = summary["program_members"]
    assert len(changes) == 12 and any(c["from"] == "Not in Program" for c in changes)
    activities = marketo_emulator.truth.activities(type_ids=[104], since=before)
    assert len(activities) == 12 == summary["activities_added"]
    for change, activity in zip(changes, activities):
        attributes = {a["name"]: a["value"] for a in activity["attributes"]}
        assert (activity["leadId"], activity["primaryAttributeValueId"]) == (change["leadId"], change["programId"])
        assert (attributes["Old Status"], attributes["New Status"]) == (change["from"], change["to"])
        member = next(m for m in marketo_emulator.truth.program_members(change["programId"]) if m["leadId"] == change["leadId"])
        assert member["updatedAt"] >= activity["activityDate"]
    last = changes[-1]
    member = next(m for m in marketo_emulator.truth.program_members(last["programId"]) if m["leadId"] == last["leadId"])
    assert member["statusName"] == last["to"] and member["updatedAt"] == activities[-1]["activityDate"]


def test_export_is_a_snapshot_at_processing_start(marketo_emulator_factory):
    emulator = marketo_emulator_factory(job_progression="polls:1")
    client = ApiClient(emulator)
    program_id = _biggest(emulator)
    before = emulator.truth.program_members(program_id)
    export_id = client.create_job("program/members", {"fields": ["leadId", "statusName"], "filter": {"programId": program_id}})["result"][0]["exportId"]
    client.job_call("program/members", export_id, "enqueue")  # starts processing now: the snapshot is taken
    emulator.tick(seconds=600, program_member_changes=20)
    assert client.job_call("program/members", export_id, "status")["result"][0]["status"] == "Completed"
    content = client.get(f"/bulk/v1/program/members/export/{export_id}/file.json").content
    assert [(int(r["leadId"]), r["statusName"]) for r in _rows(content)] == [(m["leadId"], m["statusName"]) for m in before]


def test_deleted_leads_leave_and_merged_losers_pass_memberships_to_the_winner(marketo_emulator):
    truth = marketo_emulator.truth
    deleted = {d["id"] for d in truth.deleted_leads()}
    members = truth.program_members()
    assert deleted and not {m["leadId"] for m in members} & deleted
    merged = truth.merged_leads()
    assert merged and not {m["leadId"] for m in members} & {m["id"] for m in merged}
    view = marketo_emulator.state.members
    inherited = [(pid, m["survivor"]) for m in merged for pid in view.profiles
                 if view.factory.is_member(view.profiles[pid], m["id"])
                 and not view.factory.is_member(view.profiles[pid], m["survivor"]) and truth.lead(m["survivor"])]
    assert inherited
    by_key = {(m["programId"], m["leadId"]): m for m in members}
    assert all(key in by_key for key in inherited)


def test_leads_of_a_program_with_their_membership(marketo_emulator):
    client = ApiClient(marketo_emulator)
    program_id = _biggest(marketo_emulator)
    truth = marketo_emulator.truth.program_members(program_id)
    body = client.get_json(f"/rest/v1/leads/programs/{program_id}.json", {"batchSize": 300, "fields": "id,email"})
    assert [lead["id"] for lead in body["result"]] == [m["leadId"] for m in truth]
    first = body["result"][0]
    assert first["membership"]["progressionStatus"] == truth[0]["statusName"]
    assert set(first) == {"id", "email", "membership"}


def test_density_scales_every_programs_member_rate(marketo_emulator_factory):
    dense = marketo_emulator_factory(leads=2000, activities=100)
    sparse = marketo_emulator_factory(leads=2000, activities=100, program_member_density=0.25)
    rates = {pid: p.rate for pid, p in dense.state.members.profiles.items()}
    assert {pid: p.rate for pid, p in sparse.state.members.profiles.items()} == {pid: max(1, round(r / 4)) for pid, r in rates.items()}
    counts = [sum(1 for _ in emulator.state.members.lead_ids(pid)) for emulator in (dense, sparse) for pid in (1001, 1002)]
    assert 0.15 < sum(counts[2:]) / sum(counts[:2]) < 0.35
    assert [record["leadId"] for record in sparse.truth.program_members(1001)] == [
        lead_id for lead_id, _, _ in sparse.state.members.lead_ids(1001)]
