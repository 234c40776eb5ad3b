"""Asset API: offset/maxReturn paging, the "No assets found" warning, date filters where Marketo
supports them, Marketo's shapes (Z+0000 datetimes, folder objects, landing page and email fields),
approved and draft versions of emails and landing pages."""
from __future__ import annotations

from .helpers import ApiClient

WARNING = "No assets found for the given search criteria."


def _browse_all(client, path, size=200, extra=None):
    items, offset = [], 0
    while True:
        body = client.get_json(path, {"maxReturn": size, "offset": offset, **(extra or {})})
        if "result" not in body:
            assert body["warnings"] == [WARNING] and body["errors"] == []
            return items
        items += body["result"]
        offset += size


def test_default_page_is_20_and_maximum_200(marketo_emulator):
    client = ApiClient(marketo_emulator)
    assert len(client.get_json("/rest/asset/v1/emails.json")["result"]) == 20
    assert len(client.get_json("/rest/asset/v1/emails.json", {"maxReturn": 200})["result"]) == 200
    assert client.get_json("/rest/asset/v1/emails.json", {"maxReturn": 201})["errors"][0]["code"] == "1003"


def test_browse_all_kinds_to_the_warning_and_match_truth(marketo_emulator):
    client = ApiClient(marketo_emulator)
    for kind in ("programs", "emails", "landingPages", "smartCampaigns", "staticLists", "smartLists"):
        assert _browse_all(client, f"/rest/asset/v1/{kind}.json") == marketo_emulator.truth.assets(kind)


def test_offset_past_the_end_gives_warning_and_no_result(marketo_emulator):
    body = ApiClient(marketo_emulator).get_json("/rest/asset/v1/programs.json", {"offset": 10_000})
    assert body == {"requestId": body["requestId"], "success": True, "errors": [], "warnings": [WARNING]}


def test_asset_shapes(marketo_emulator):
    truth = marketo_emulator.truth
    program = truth.assets("programs")[0]
    assert program["createdAt"].endswith("Z+0000") and set(program["folder"]) == {"type", "value", "folderName"}
    assert any("sfdcId" in p and "sfdcName" in p for p in truth.assets("programs"))
    email = truth.assets("emails")[0]
    for key in ("subject", "fromName", "fromEmail", "replyEmail", "operational", "textOnly", "webView", "template",
                "version", "status", "workspace", "folder"):
        assert key in email
    assert email["subject"]["type"] == "Text"
    assert any(e["fromEmail"] is None for e in truth.assets("emails"))
    page = truth.assets("landingPages")[0]
    for key in ("URL", "computedUrl", "customHeadHTML", "facebookOgTags", "formPrefill", "mobileEnabled", "robots",
                "keywords", "title", "template"):
        assert key in page
    campaign = truth.assets("smartCampaigns")[0]
    assert set(campaign["folder"]) == {"id", "type"}


def test_updated_at_filters_apply_to_programs_but_not_landing_pages(marketo_emulator):
    client = ApiClient(marketo_emulator)
    window = {"earliestUpdatedAt": "2000-01-01T00:00:00Z", "latestUpdatedAt": "2000-01-02T00:00:00Z"}
    assert _browse_all(client, "/rest/asset/v1/programs.json", extra=window) == []
    assert len(_browse_all(client, "/rest/asset/v1/landingPages.json", extra=window)) == len(marketo_emulator.truth.assets("landingPages"))
    programs = marketo_emulator.truth.assets("programs")
    newest = max(p["updatedAt"] for p in programs)
    recent = _browse_all(client, "/rest/asset/v1/programs.json",
                         extra={"earliestUpdatedAt": newest.replace("Z+0000", "Z"), "latestUpdatedAt": "2100-01-01T00:00:00Z"})
    assert [p["updatedAt"] for p in recent] == [newest] * len(recent) and recent


def test_status_and_folder_filters(marketo_emulator):
    client = ApiClient(marketo_emulator)
    drafts = _browse_all(client, "/rest/asset/v1/emails.json", extra={"status": "draft"})
    assert drafts and all(e["status"] == "draft" for e in drafts)
    folder = marketo_emulator.truth.assets("emails")[0]["folder"]
    inside = _browse_all(client, "/rest/asset/v1/emails.json",
                         extra={"folder": f'{{"id":{folder["value"]},"type":"{folder["type"]}"}}'})
    assert inside and all(e["folder"]["value"] == folder["value"] for e in inside)


def test_segmentations_ignore_paging_and_segments_page(marketo_emulator):
    client = ApiClient(marketo_emulator)
    body = client.get_json("/rest/asset/v1/segmentation.json", {"batchSize": 1, "offset": 3})
    assert body["result"] == marketo_emulator.truth.assets("segmentation")
    segmentation_id = body["result"][0]["id"]
    segments = client.get_json(f"/rest/asset/v1/segmentation/{segmentation_id}/segments.json")["result"]
    assert segments and all(s["segmentationId"] == segmentation_id for s in segments)


def test_program_tokens(marketo_emulator):
    client = ApiClient(marketo_emulator)
    program_id = next(p for p in marketo_emulator.truth.assets("programs") if marketo_emulator.truth.tokens(p["id"]))["id"]
    body = client.get_json(f"/rest/asset/v1/folder/{program_id}/tokens.json", {"folderType": "Program"})
    assert body["result"][0]["folder"] == {"type": "Program", "value": program_id}
    assert body["result"][0]["tokens"] == marketo_emulator.truth.tokens(program_id)
    missing = client.get_json("/rest/asset/v1/folder/999999/tokens.json", {"folderType": "Program"})
    assert missing["errors"][0]["code"] == "702" and missing["warnings"] == []


def test_by_id(marketo_emulator):
    client = ApiClient(marketo_emulator)
    email = marketo_emulator.truth.assets("emails")[3]
    assert client.get_json(f"/rest/asset/v1/email/{email['id']}.json")["result"] == [email]
    assert client.get_json("/rest/asset/v1/email/1.json")["warnings"] == [WARNING]


def _versions(assets):
    by_id = {}
    for asset in assets:
        by_id.setdefault(asset["id"], []).append(asset)
    return by_id


def test_emails_and_landing_pages_have_an_approved_version_a_newer_draft_beside_it_or_a_draft_only(marketo_emulator):
    for kind in ("emails", "landingPages"):
        versions = _versions(marketo_emulator.truth.assets(kind))
        both = [v for v in versions.values() if [a["status"] for a in v] == ["approved", "draft"]]
        draft_only = [v for v in versions.values() if [a["status"] for a in v] == ["draft"]]
        approved_only = [v for v in versions.values() if [a["status"] for a in v] == ["approved"]]
        assert len(both) + len(draft_only) + len(approved_only) == len(versions), kind  # no other combination
        assert 0.1 * len(versions) <= len(both) <= 0.35 * len(versions), kind
        assert 1 <= len(draft_only) <= 0.12 * len(versions), kind
        for approved, draft in both:
            assert draft["updatedAt"] > approved["updatedAt"] and draft["createdAt"] == approved["createdAt"], kind
            assert draft["name"] == approved["name"] and draft != {**approved, "status": "draft", "updatedAt": draft["updatedAt"]}


def test_browse_returns_both_versions_and_status_keeps_one(marketo_emulator):
    client = ApiClient(marketo_emulator)
    for kind in ("emails", "landingPages"):
        everything = _browse_all(client, f"/rest/asset/v1/{kind}.json")
        approved = _browse_all(client, f"/rest/asset/v1/{kind}.json", extra={"status": "approved"})
        drafts = _browse_all(client, f"/rest/asset/v1/{kind}.json", extra={"status": "draft"})
        assert len(everything) == len(approved) + len(drafts) > len({a["id"] for a in everything})
        assert {a["status"] for a in approved} == {"approved"} and len(approved) == len({a["id"] for a in approved})
        assert {a["status"] for a in drafts} == {"draft"} and len(drafts) == len({a["id"] for a in drafts})
        assert sorted(approved + drafts, key=lambda a: (a["id"], a["status"])) == everything


def test_by_id_serves_the_approved_version_unless_the_draft_is_asked_for(marketo_emulator):
    client = ApiClient(marketo_emulator)
    for kind, path in (("emails", "email"), ("landingPages", "landingPage")):
        versions = _versions(marketo_emulator.truth.assets(kind))
        approved, draft = next(v for v in versions.values() if len(v) == 2)
        assert client.get_json(f"/rest/asset/v1/{path}/{approved['id']}.json")["result"] == [approved]
        assert client.get_json(f"/rest/asset/v1/{path}/{approved['id']}.json", {"status": "draft"})["result"] == [draft]
        only = next(v[0] for v in versions.values() if [a["status"] for a in v] == ["draft"])
        assert client.get_json(f"/rest/asset/v1/{path}/{only['id']}.json")["result"] == [only]
        assert client.get_json(f"/rest/asset/v1/{path}/{only['id']}.json", {"status": "approved"})["warnings"] == [WARNING]


def test_edits_from_ticks_go_through_drafts(marketo_emulator_factory):
    emulator = marketo_emulator_factory(asset_counts={"programs": 0, "emails": 40, "landingPages": 0, "segmentation": 0,
                                                      "smartCampaigns": 0, "staticLists": 0, "smartLists": 0})
    before = _versions(emulator.truth.assets("emails"))
    edited = set()
    for _ in range(8):
        edited |= set(emulator.tick(seconds=600, new_leads=0, updated_leads=0, deleted_leads=0, merged_leads=0,
                                    new_activities=0, asset_updates=10)["asset_updates"]["emails"])
    after = _versions(emulator.truth.assets("emails"))
    assert set(after) == set(before) and edited
    statuses = {asset_id: [a["status"] for a in after[asset_id]] for asset_id in edited}
    assert all(s in (["approved"], ["approved", "draft"], ["draft"]) for s in statuses.values())
    assert any(s == ["approved", "draft"] and [a["status"] for a in before[i]] == ["approved"] for i, s in statuses.items())  # a new draft
    approvals = [i for i, s in statuses.items() if s == ["approved"] and len(before[i]) == 2]  # a draft approved
    assert approvals and all(after[i][0]["updatedAt"] > before[i][1]["updatedAt"] for i in approvals)
    for asset_id in set(after) - edited:
        assert after[asset_id] == before[asset_id]
