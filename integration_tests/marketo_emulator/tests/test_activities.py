"""Activities: types, paging tokens, chronological pages, short/empty pages with moreResult,
deleted leads, lead changes, limits on parameters."""
from __future__ import annotations

from integration_tests.marketo_emulator import FaultRule

from .helpers import ApiClient


def _token(client, since="2000-01-01T00:00:00Z") -> str:
    return client.get_json("/rest/v1/activities/pagingtoken.json", {"sinceDatetime": since})["nextPageToken"]


def _all(client, path, params, max_pages=1000):
    params = dict(params)
    items, pages, empty_pages = [], 0, 0
    while pages < max_pages:
        body = client.get_json(path, params)
        assert body["success"], body
        assert body["nextPageToken"]  # always returned
        items += body.get("result", [])
        empty_pages += "result" not in body
        pages += 1
        if not body["moreResult"]:
            break
        params["nextPageToken"] = body["nextPageToken"]
    return items, pages, empty_pages


def test_types_have_standard_ids_names_and_attributes(marketo_emulator):
    types = {t["id"]: t for t in ApiClient(marketo_emulator).get_json("/rest/v1/activities/types.json")["result"]}
    assert types[12]["name"] == "New Lead" and types[13]["name"] == "Change Data Value" and types[37]["name"] == "Delete Lead"
    merge = types[32]
    assert merge["name"] == "Merge Leads"
    assert [a["name"] for a in merge["attributes"]] == ["Merge IDs", "Merge Source", "Master Updated", "Merged in Sales"]
    assert types[2]["primaryAttribute"] == {"name": "Webform ID", "dataType": "integer"}
    assert types[100001]["apiName"] == "watchedWebinarRecording_c"


def test_paging_token_has_no_result_and_is_padded_base32(marketo_emulator):
    body = ApiClient(marketo_emulator).get_json("/rest/v1/activities/pagingtoken.json", {"sinceDatetime": "2015-10-06"})
    assert set(body) == {"requestId", "success", "nextPageToken"} and body["nextPageToken"].endswith("=")


def test_activities_are_chronological_unique_and_match_truth(marketo_emulator):
    client = ApiClient(marketo_emulator)
    type_ids = [1, 6, 12, 13, 22, 32, 37]
    items, _, _ = _all(client, "/rest/v1/activities.json",
                       {"nextPageToken": _token(client), "activityTypeIds": ",".join(map(str, type_ids))})
    assert items == marketo_emulator.truth.activities(type_ids=type_ids)
    dates = [a["activityDate"] for a in items]
    assert dates == sorted(dates)
    assert len({a["id"] for a in items}) == len(items) == len({a["marketoGUID"] for a in items})
    assert {a["activityTypeId"] for a in items} == set(type_ids)


def test_short_and_empty_pages_keep_more_result_true(marketo_emulator_factory):
    emulator = marketo_emulator_factory(activity_page_scan=50)
    client = ApiClient(emulator)
    items, pages, empty = _all(client, "/rest/v1/activities.json",
                               {"nextPageToken": _token(client), "activityTypeIds": "8,9"})  # rare types
    assert empty > 0 and pages > 5
    assert items == emulator.truth.activities(type_ids=[8, 9])


def test_repeated_activity_type_ids_params_are_accepted(marketo_emulator):
    client = ApiClient(marketo_emulator)
    url = f"/rest/v1/activities.json?activityTypeIds=1&activityTypeIds=12&nextPageToken={_token(client)}"
    body = client.get_json(url)
    assert {a["activityTypeId"] for a in body["result"]} <= {1, 12}


def test_parameter_limits(marketo_emulator):
    client = ApiClient(marketo_emulator)
    token = _token(client)
    eleven = client.get_json("/rest/v1/activities.json", {"nextPageToken": token, "activityTypeIds": ",".join(map(str, [1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13]))})
    assert eleven["errors"][0]["code"] == "1003"
    leads = client.get_json("/rest/v1/activities.json", {"nextPageToken": token, "activityTypeIds": "1", "leadIds": ",".join(map(str, range(1, 32)))})
    assert leads["errors"][0]["code"] == "1003"
    big = client.get_json("/rest/v1/activities.json", {"nextPageToken": token, "activityTypeIds": "1", "batchSize": 301})
    assert big["errors"][0]["code"] == "1003"
    bad = client.get_json("/rest/v1/activities.json", {"nextPageToken": "garbage", "activityTypeIds": "1"})
    assert bad["errors"][0]["code"] == "1003"


def test_lead_filter_and_batch_size(marketo_emulator):
    client = ApiClient(marketo_emulator)
    body = client.get_json("/rest/v1/activities.json", {"nextPageToken": _token(client), "activityTypeIds": "1,6,10",
                                                         "leadIds": "10,20", "batchSize": 5})
    assert all(a["leadId"] in (10, 20) for a in body.get("result", []))
    page = client.get_json("/rest/v1/activities.json", {"nextPageToken": _token(client), "activityTypeIds": "1,6,7,10",
                                                         "batchSize": 7})
    assert len(page["result"]) == 7


def test_deleted_leads_endpoint_lists_delete_lead_activities(marketo_emulator):
    client = ApiClient(marketo_emulator)
    items, _, _ = _all(client, "/rest/v1/activities/deletedleads.json", {"nextPageToken": _token(client)})
    deleted = marketo_emulator.truth.deleted_leads()
    assert [a["primaryAttributeValueId"] for a in items] == [d["id"] for d in sorted(deleted, key=lambda d: d["deletedAt"])]
    assert all(a["activityTypeId"] == 37 and a["attributes"] == [] for a in items)
    assert items[0]["primaryAttributeValue"] == next(d["name"] for d in deleted if d["id"] == items[0]["leadId"])


def test_lead_changes_carry_fields_of_change_data_value_and_new_lead(marketo_emulator):
    client = ApiClient(marketo_emulator)
    marketo_emulator.tick(seconds=600, new_leads=2, updated_leads=4, deleted_leads=0, merged_leads=0, new_activities=0,
                          asset_updates=0)
    items, _, _ = _all(client, "/rest/v1/activities/leadchanges.json",
                       {"nextPageToken": _token(client), "fields": "firstName,lastName,email,leadStatus,title,city"})
    assert {a["activityTypeId"] for a in items} == {12, 13}
    change = next(a for a in items if a["activityTypeId"] == 13)
    assert change["fields"][0]["name"] in ("firstName", "lastName", "email", "leadStatus", "title", "city")
    assert {"id", "name", "newValue", "oldValue"} == set(change["fields"][0])


def test_empty_page_fault_returns_no_result_and_same_cursor(marketo_emulator):
    client = ApiClient(marketo_emulator)
    token = _token(client)
    marketo_emulator.faults.add(FaultRule(endpoint="/rest/v1/activities.json", empty_page=True, times=1))
    body = client.get_json("/rest/v1/activities.json", {"nextPageToken": token, "activityTypeIds": "1"})
    assert "result" not in body and body["moreResult"] is True and body["nextPageToken"] == token
