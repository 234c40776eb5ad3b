"""The later asset kinds: forms (and their fields), email templates, snippets, channels, tag types,
the folder tree; program tags; references from the older catalogue land on assets that exist."""
from __future__ import annotations

import json

from integration_tests.marketo_emulator import FakeClock

from .helpers import ApiClient
from .test_assets import WARNING, _browse_all, _versions

NEW_KINDS = ("forms", "emailTemplates", "snippets", "channels", "tagTypes")
PROGRAM_TYPE_WORDS = {"Default": "program", "Email": "email_batch", "Engagement": "nurture", "Event": "event",
                      "Event with Webinar": "webinar"}


def test_new_kinds_browse_to_the_warning_and_match_truth(marketo_emulator):
    client = ApiClient(marketo_emulator)
    for kind in NEW_KINDS:
        items = _browse_all(client, f"/rest/asset/v1/{kind}.json", size=7)
        assert items == marketo_emulator.truth.assets(kind), kind
    counts = {kind: len({a.get("id", a.get("tagType")) for a in marketo_emulator.truth.assets(kind)}) for kind in NEW_KINDS}
    assert counts == {"forms": 40, "emailTemplates": 25, "snippets": 30, "channels": 10, "tagTypes": 4}
    assert 50 <= len(marketo_emulator.truth.assets("folders")) <= 150


def test_shapes_of_forms_templates_snippets(marketo_emulator):
    truth = marketo_emulator.truth
    form = truth.assets("forms")[0]
    assert list(form) == ["id", "name", "description", "createdAt", "updatedAt", "url", "status", "theme", "language",
                          "locale", "progressiveProfiling", "labelPosition", "fontFamily", "fontSize", "folder",
                          "knownVisitor", "thankYouList", "buttonLocation", "buttonLabel", "waitingLabel"]
    assert form["createdAt"].endswith("Z+0000") and set(form["folder"]) == {"type", "value", "folderName"}
    assert set(form["knownVisitor"]) == {"type", "template"} and form["thankYouList"][-1]["default"] is True
    assert {f["status"] for f in truth.assets("forms")} == {"approved", "draft"}
    template = truth.assets("emailTemplates")[0]
    assert set(template) == {"id", "name", "description", "createdAt", "updatedAt", "url", "folder", "status",
                             "workspace", "version"}
    assert set(template["folder"]) == {"type", "value"} and template["version"] in (1, 2)
    assert {t["status"] for t in truth.assets("emailTemplates")} == {"Approved", "Draft"}  # capitalised, as EL shows
    snippet = truth.assets("snippets")[0]
    assert snippet["url"] is None and set(snippet["folder"]) == {"type", "value", "folderName"}
    assert {s["status"] for s in truth.assets("snippets")} == {"approved", "draft"}


def test_versions_status_filter_and_by_id(marketo_emulator):
    client = ApiClient(marketo_emulator)
    for kind, path in (("forms", "form"), ("emailTemplates", "emailTemplate"), ("snippets", "snippet")):
        versions = _versions(marketo_emulator.truth.assets(kind))
        assert any(len(v) == 2 for v in versions.values()), kind
        drafts = _browse_all(client, f"/rest/asset/v1/{kind}.json", extra={"status": "draft"})
        assert drafts and all(d["status"].lower() == "draft" for d in drafts)
        approved, draft = next(v for v in versions.values() if len(v) == 2)
        assert client.get_json(f"/rest/asset/v1/{path}/{approved['id']}.json")["result"] == [approved]
        assert client.get_json(f"/rest/asset/v1/{path}/{approved['id']}.json", {"status": "draft"})["result"] == [draft]
        assert client.get_json(f"/rest/asset/v1/{path}/999999.json")["warnings"] == [WARNING]


def test_form_fields(marketo_emulator):
    client = ApiClient(marketo_emulator)
    form = marketo_emulator.truth.assets("forms")[0]
    fields = client.get_json(f"/rest/asset/v1/form/{form['id']}/fields.json")["result"]
    assert [f["id"] for f in fields[:3]] == ["FirstName", "LastName", "Email"]
    assert all({"id", "dataType", "rowNumber", "columnNumber"} <= set(f) for f in fields)
    assert fields == marketo_emulator.truth.form_fields(form["id"])
    assert client.get_json("/rest/asset/v1/form/1/fields.json")["warnings"] == [WARNING]


def test_fill_out_form_activities_and_emails_name_assets_that_exist(marketo_emulator):
    truth = marketo_emulator.truth
    forms = {f["id"]: f["name"] for f in truth.assets("forms")}
    fills = truth.activities(type_ids=[2])
    assert fills and all(a["primaryAttributeValue"] == f"Form.{forms[a['primaryAttributeValueId']]}" for a in fills)
    templates = {t["id"] for t in truth.assets("emailTemplates")}
    assert {e["template"] for e in truth.assets("emails") if e["template"] is not None} <= templates


def test_channels_name_the_programs_channels_and_their_statuses(marketo_emulator):
    client = ApiClient(marketo_emulator)
    channels = {c["name"]: c for c in marketo_emulator.truth.assets("channels")}
    assert {p["channel"] for p in marketo_emulator.truth.assets("programs")} <= set(channels)
    for channel in channels.values():
        statuses = channel["progressionStatuses"]
        assert statuses[0]["name"] == "Not in Program" and statuses[0]["step"] == 0
        assert [s["step"] for s in statuses] == sorted(s["step"] for s in statuses)
        assert all(set(s) == {"name", "step", "description", "hidden", "success"} for s in statuses)
        assert channel["applicableProgramType"] in PROGRAM_TYPE_WORDS.values()
    webinar = client.get_json("/rest/asset/v1/channel/byName.json", {"name": "Webinar"})["result"]
    assert webinar == [channels["Webinar"]]
    assert client.get_json("/rest/asset/v1/channel/byName.json", {"name": "Nope"})["warnings"] == [WARNING]


def test_tag_types_and_program_tags(marketo_emulator):
    client = ApiClient(marketo_emulator)
    tag_types = client.get_json("/rest/asset/v1/tagTypes.json")["result"]
    assert all(set(t) == {"tagType", "applicableProgramTypes", "required"} for t in tag_types)
    allowed = {}
    for tag_type in tag_types:
        named = client.get_json("/rest/asset/v1/tagType/byName.json", {"name": tag_type["tagType"]})["result"][0]
        assert named["allowableValues"].startswith("[") and named["tagType"] == tag_type["tagType"]
        allowed[tag_type["tagType"]] = named["allowableValues"].strip("[]").split(", ")
    for program in marketo_emulator.truth.assets("programs")[:15]:
        by_id = client.get_json(f"/rest/asset/v1/program/{program['id']}.json")["result"][0]
        assert by_id == marketo_emulator.truth.program(program["id"]) and by_id["costs"] is None
        assert {k: v for k, v in by_id.items() if k not in ("tags", "costs")} == program  # browse has no tags
        word = PROGRAM_TYPE_WORDS[program["type"]]
        applicable = [t for t in tag_types if word in t["applicableProgramTypes"].strip("[]").split(",")]
        tagged = {t["tagType"]: t["tagValue"] for t in by_id["tags"]}
        assert {t["tagType"] for t in applicable if t["required"]} <= set(tagged) <= {t["tagType"] for t in applicable}
        assert all(value in allowed[name] for name, value in tagged.items())


def _folder_keys(folders):
    return {(f["folderId"]["id"], f["folderId"]["type"]) for f in folders}


def test_every_asset_folder_exists_and_programs_are_program_folders(marketo_emulator):
    truth = marketo_emulator.truth
    folders = truth.assets("folders")
    keys = _folder_keys(folders)
    for kind in ("programs", "emails", "landingPages", "segmentation", "smartCampaigns", "staticLists", "smartLists",
                 "forms", "emailTemplates", "snippets"):
        for asset in truth.assets(kind):
            folder = asset["folder"]
            assert (folder.get("value", folder.get("id")), folder["type"]) in keys, (kind, asset["id"], folder)
    by_key = {(f["folderId"]["id"], f["folderId"]["type"]): f for f in folders}
    for program in truth.assets("programs"):
        own = by_key[(program["id"], "Program")]
        assert own["name"] == program["name"] and own["parent"] == {"id": program["folder"]["value"], "type": "Folder"}
        assert own["updatedAt"] == program["updatedAt"]
    for folder in folders:
        if folder["parent"] is None:
            assert folder["path"] == "/" + folder["name"] and folder["isSystem"]
        else:
            parent = by_key[(folder["parent"]["id"], folder["parent"]["type"])]
            assert folder["path"] == f"{parent['path']}/{folder['name']}"
    assert {f["path"].split("/")[1] for f in folders} == {"Marketing Activities", "Design Studio", "Lead Database"}


def test_folders_browse_root_max_depth_workspace(marketo_emulator):
    client = ApiClient(marketo_emulator)
    everything = _browse_all(client, "/rest/asset/v1/folders.json", extra={"maxDepth": 99})
    assert everything == marketo_emulator.truth.assets("folders")
    top = _browse_all(client, "/rest/asset/v1/folders.json")  # maxDepth 2 from the system roots
    assert top and all(f["path"].count("/") <= 3 for f in top) and len(top) < len(everything)
    root = json.dumps({"id": 11, "type": "Folder"})
    alone = client.get_json("/rest/asset/v1/folders.json", {"root": root, "maxDepth": 0})["result"]
    assert [f["id"] for f in alone] == [11]
    below = _browse_all(client, "/rest/asset/v1/folders.json", extra={"root": root, "maxDepth": 1})
    assert below[0]["id"] == 11 and all(f["parent"] == {"id": 11, "type": "Folder"} for f in below[1:]) and below[1:]
    emea = _browse_all(client, "/rest/asset/v1/folders.json", extra={"maxDepth": 99, "workSpace": "EMEA"})
    assert emea and {f["workspace"] for f in emea} == {"EMEA"}
    program = marketo_emulator.truth.assets("programs")[0]
    one = client.get_json(f"/rest/asset/v1/folder/{program['id']}.json", {"type": "Program"})["result"]
    assert one[0]["folderId"] == {"id": program["id"], "type": "Program"} and one[0]["name"] == program["name"]
    assert client.get_json("/rest/asset/v1/folder/41.json", {"type": "Folder"})["result"][0]["name"] == "Active Marketing Programs"
    named = client.get_json("/rest/asset/v1/folder/byName.json", {"name": "Design Studio"})["result"]
    assert [f["id"] for f in named] == [2]
    unknown = client.get_json("/rest/asset/v1/folders.json", {"root": json.dumps({"id": 999999, "type": "Folder"})})
    assert unknown["warnings"] == [WARNING]


def test_folder_tokens_for_any_folder_of_the_tree(marketo_emulator):
    client = ApiClient(marketo_emulator)
    user_folder = next(f for f in marketo_emulator.truth.assets("folders") if not f["isSystem"] and f["folderId"]["type"] == "Folder"
                       and f["id"] > 45)
    body = client.get_json(f"/rest/asset/v1/folder/{user_folder['id']}/tokens.json", {"folderType": "Folder"})
    assert body["result"] == [{"folder": {"type": "Folder", "value": user_folder["id"]}, "tokens": []}]


def test_other_asset_updates_edit_the_later_kinds_and_leave_the_original_tick_alone(marketo_emulator_factory):
    plain = marketo_emulator_factory()
    busy = marketo_emulator_factory(clock=FakeClock(plain.clock.now()))  # the same anchor: the same world
    quiet_summary = plain.tick(seconds=3600, other_asset_updates=0)
    summary = busy.tick(seconds=3600, other_asset_updates=12)
    for key in ("new_leads", "updated_leads", "deleted_leads", "merged_leads"):
        assert summary[key] == quiet_summary[key]
    original = ("programs", "emails", "landingPages", "segmentation", "segments", "smartCampaigns", "staticLists", "smartLists")
    assert {k: summary["asset_updates"][k] for k in original} == {k: quiet_summary["asset_updates"][k] for k in original}
    later = {k: v for k, v in summary["asset_updates"].items() if k not in original}
    assert sum(len(v) for v in later.values()) == 12
    changed = busy.truth.changed_since(quiet_summary["from"])["assets"]
    for kind, ids in later.items():
        assert set(ids) <= set(changed[kind]), kind
