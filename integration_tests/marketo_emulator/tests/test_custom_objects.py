"""Custom objects: the list of types, describe, schema, records by filter (leadId, marketoGUID,
dedupe keys, compound keys in a JSON body), the bulk custom object export (updatedAt and list
filters, unknown objects, shared job limits), ticks, deletes and merges."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

from .helpers import ApiClient

NAMES = ("car_c", "subscription_c", "purchase_c")


def _rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"), newline="")))


def _cell(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _window(emulator, days=31) -> dict:
    end = emulator.clock.now().replace(microsecond=0)
    return {"startAt": (end - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"), "endAt": end.strftime("%Y-%m-%dT%H:%M:%SZ")}


def test_list_describe_and_schema(marketo_emulator):
    client = ApiClient(marketo_emulator)
    listed = client.get_json("/rest/v1/customobjects.json")["result"]
    assert [item["name"] for item in listed] == list(NAMES)
    for item in listed:
        assert set(item) == {"name", "displayName", "pluralName", "description", "createdAt", "updatedAt", "idField",
                             "dedupeFields", "searchableFields", "relationships", "state"}
        assert item["idField"] == "marketoGUID" and item["state"] == "approved"
        assert item["relationships"] == [{"field": "leadId", "type": "child", "relatedTo": {"name": "Lead", "field": "id"}}]
    assert [i["name"] for i in client.get_json("/rest/v1/customobjects.json", {"names": "car_c"})["result"]] == ["car_c"]
    described = client.get_json("/rest/v1/customobjects/purchase_c/describe.json")["result"][0]
    assert described["dedupeFields"] == ["orderNumber", "sku"] and described["searchableFields"][0] == ["orderNumber", "sku"]
    names = [f["name"] for f in described["fields"]]
    assert names[:3] == ["createdAt", "marketoGUID", "updatedAt"] and "leadId" in names
    types = {f["dataType"] for name in NAMES
             for f in client.get_json(f"/rest/v1/customobjects/{name}/describe.json")["result"][0]["fields"]}
    assert {"string", "integer", "float", "currency", "date", "datetime", "boolean", "text"} <= types
    schema = client.get_json("/rest/v1/customobjects/schema.json")["result"]
    assert [s["apiName"] for s in schema] == list(NAMES) and schema[0]["version"] == "approved"
    assert client.get_json("/rest/v1/customobjects/nope_c/describe.json")["errors"][0]["code"] == "1013"


def test_records_are_linked_to_live_leads_with_consistent_dates(marketo_emulator):
    truth = marketo_emulator.truth
    leads = {lead["id"]: lead for lead in truth.leads()}
    for name in NAMES:
        records = truth.custom_objects(name)
        assert len(records) > 50, name
        assert len({r["marketoGUID"] for r in records}) == len(records)
        for record in records:
            assert record["leadId"] in leads and record["createdAt"] <= record["updatedAt"]
    cars = truth.custom_objects("car_c")
    assert all(len(car["vin"]) == 17 for car in cars) and {c["isElectric"] for c in cars} == {True, False}


def test_query_by_lead_guid_and_dedupe_keys(marketo_emulator):
    client = ApiClient(marketo_emulator)
    cars = marketo_emulator.truth.custom_objects("car_c")
    lead_ids = sorted({c["leadId"] for c in cars})[:4]
    body = client.get_json("/rest/v1/customobjects/car_c.json", {"filterType": "leadId", "filterValues": ",".join(map(str, lead_ids))})
    expected = [c for c in cars if c["leadId"] in lead_ids]
    assert [r["seq"] for r in body["result"]] == list(range(len(expected)))
    assert [{k: v for k, v in r.items() if k != "seq"} for r in body["result"]] == \
        [{"marketoGUID": c["marketoGUID"], "vin": c["vin"], "createdAt": c["createdAt"], "updatedAt": c["updatedAt"]} for c in expected]
    some = cars[5:8]
    by_guid = client.get_json("/rest/v1/customobjects/car_c.json", {
        "filterType": "idField", "filterValues": ",".join(c["marketoGUID"] for c in some), "fields": "leadId,make,model"})
    assert [r["leadId"] for r in by_guid["result"]] == [c["leadId"] for c in some]
    by_vin = client.get_json("/rest/v1/customobjects/car_c.json", {"filterType": "vin", "filterValues": some[0]["vin"] + ",NOTAVIN"})
    assert [r["marketoGUID"] for r in by_vin["result"]] == [some[0]["marketoGUID"]]
    purchases = marketo_emulator.truth.custom_objects("purchase_c")[:3]
    compound = client.post_json("/rest/v1/customobjects/purchase_c.json", {
        "filterType": "dedupeFields", "fields": ["marketoGUID", "quantity"],
        "input": [{"orderNumber": p["orderNumber"], "sku": p["sku"]} for p in purchases] + [{"orderNumber": purchases[0]["orderNumber"], "sku": "OTHER"}]},
        params={"_method": "GET"})
    assert [r["marketoGUID"] for r in compound["result"]] == [p["marketoGUID"] for p in purchases]


def test_query_paging_and_errors(marketo_emulator):
    client = ApiClient(marketo_emulator)
    purchases = marketo_emulator.truth.custom_objects("purchase_c")
    lead_ids = sorted({p["leadId"] for p in purchases})[:40]
    wanted = [p["marketoGUID"] for p in purchases if p["leadId"] in lead_ids]
    got, token = [], None
    while True:
        params = {"filterType": "leadId", "filterValues": ",".join(map(str, lead_ids)), "batchSize": 7,
                  **({"nextPageToken": token} if token else {})}
        page = client.get_json("/rest/v1/customobjects/purchase_c.json", params)
        got += [r["marketoGUID"] for r in page["result"]]
        if "nextPageToken" not in page:
            break
        assert page["moreResult"] is True
        token = page["nextPageToken"]
    assert got == wanted

    def code(name, params):
        return client.get_json(f"/rest/v1/customobjects/{name}.json", params)["errors"][0]["code"]

    assert code("nope_c", {"filterType": "leadId", "filterValues": "1"}) == "1013"
    assert code("car_c", {"filterType": "make", "filterValues": "Tesla"}) == "1011"
    assert code("car_c", {"filterType": "leadId", "filterValues": "1", "fields": "nope"}) == "1006"
    assert code("car_c", {"filterType": "leadId", "filterValues": ",".join(map(str, range(1, 302)))}) == "1003"
    assert code("purchase_c", {"filterType": "dedupeFields", "filterValues": "x"}) == "1003"


def test_bulk_export_updated_at_and_lists(marketo_emulator):
    client = ApiClient(marketo_emulator)
    window = _window(marketo_emulator, 20)
    fields = ["marketoGUID", "leadId", "vin", "isElectric", "purchasePrice", "updatedAt"]
    status, content = client.run_job("customobjects/car_c", {"fields": fields, "filter": {"updatedAt": window}})
    expected = [c for c in marketo_emulator.truth.custom_objects("car_c") if window["startAt"] <= c["updatedAt"] <= window["endAt"]]
    assert status["numberOfRecords"] == len(expected) > 0
    assert _rows(content) == [{f: _cell(c[f]) for f in fields} for c in expected]
    assert marketo_emulator.jobs[-1]["kind"] == "customobjects/car_c"
    list_id = marketo_emulator.truth.lists()[0]["id"]
    members = {lead["id"] for lead in client.get_json(f"/rest/v1/lists/{list_id}/leads.json", {"batchSize": 300})["result"]}
    _, content = client.run_job("customobjects/subscription_c", {"fields": ["leadId", "subscriptionId"], "filter": {"staticListId": list_id}})
    subscriptions = [s for s in marketo_emulator.truth.custom_objects("subscription_c") if s["leadId"] in members]
    assert [(int(r["leadId"]), r["subscriptionId"]) for r in _rows(content)] == [(s["leadId"], s["subscriptionId"]) for s in subscriptions]
    listings = client.get_json("/bulk/v1/customobjects/car_c/export.json")["result"]
    assert len(listings) == 1 and client.get_json("/bulk/v1/customobjects/subscription_c/export.json")["result"]


def test_bulk_export_validation(marketo_emulator_factory):
    emulator = marketo_emulator_factory()
    client = ApiClient(emulator)

    def error(name, body):
        return client.post_json(f"/bulk/v1/customobjects/{name}/export/create.json", body)["errors"][0]

    window = _window(emulator)
    assert error("nope_c", {"fields": ["leadId"], "filter": {"updatedAt": window}})["code"] == "1013"
    assert error("car_c", {"filter": {"updatedAt": window}})["code"] == "1003"
    assert error("car_c", {"fields": ["leadId", "email"], "filter": {"updatedAt": window}})["code"] == "1003"
    assert error("car_c", {"fields": ["leadId"], "filter": {"updatedAt": window, "staticListId": 1016}})["code"] == "1003"
    assert error("car_c", {"fields": ["leadId"], "filter": {"updatedAt": _window(emulator, 40)}})["code"] == "1003"
    assert error("car_c", {"fields": ["leadId"], "filter": {"staticListId": 999999}})["code"] == "1003"
    plain = ApiClient(marketo_emulator_factory(updated_at_filter=False))
    refused = plain.post_json("/bulk/v1/customobjects/car_c/export/create.json",
                              {"fields": ["leadId"], "filter": {"smartListId": 3001}})["errors"][0]
    assert refused["code"] == "1035"
    assert plain.post_json("/bulk/v1/customobjects/car_c/export/create.json",
                           {"fields": ["leadId"], "filter": {"updatedAt": window}})["success"]


def test_shared_queue_with_other_kinds(marketo_emulator_factory):
    emulator = marketo_emulator_factory(job_progression="polls:1000")
    client = ApiClient(emulator)
    window = _window(emulator)
    kinds = [("leads", {"fields": ["id"], "filter": {"createdAt": window}}),
             ("customobjects/car_c", {"fields": ["leadId"], "filter": {"updatedAt": window}}),
             ("program/members", {"fields": ["leadId"], "filter": {"programId": 1001}})]
    for index in range(10):
        kind, body = kinds[index % 3]
        export_id = client.create_job(kind, body)["result"][0]["exportId"]
        assert client.job_call(kind, export_id, "enqueue")["success"], kind
    export_id = client.create_job("customobjects/purchase_c", {"fields": ["leadId"], "filter": {"updatedAt": window}})["result"][0]["exportId"]
    assert client.job_call("customobjects/purchase_c", export_id, "enqueue")["errors"][0]["message"] == "Too many jobs in queue"
    assert emulator.usage["peak_processing_jobs"] == 2
    other = client.get_json(f"/bulk/v1/customobjects/car_c/export/{export_id}/status.json")  # another object's path
    assert other["errors"][0]["code"] == "1003"


def test_ticks_create_and_update_records(marketo_emulator):
    before = marketo_emulator.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    summary = marketo_emulator.tick(seconds=3600, new_leads=0, updated_leads=0, deleted_leads=0, merged_leads=0,
                                    new_activities=0, program_member_changes=0, custom_object_changes=10)
    changes = summary["custom_objects"]
    assert len(changes) == 10 and {c["action"] for c in changes} == {"created", "updated"}
    for change in changes:
        record = next(r for r in marketo_emulator.truth.custom_objects(change["apiName"])
                      if r["marketoGUID"] == change["marketoGUID"])
        assert record["leadId"] == change["leadId"] and record["updatedAt"] > before
        if change["action"] == "created":
            assert record["createdAt"] == record["updatedAt"]
    created = next(c for c in changes if c["action"] == "created")
    found = ApiClient(marketo_emulator).get_json(f"/rest/v1/customobjects/{created['apiName']}.json",
                                                 {"filterType": "idField", "filterValues": created["marketoGUID"]})
    assert [r["marketoGUID"] for r in found["result"]] == [created["marketoGUID"]]


def test_deleted_leads_lose_and_winners_take_records(marketo_emulator):
    truth = marketo_emulator.truth
    view = marketo_emulator.state.custom_objects
    gone = {d["id"] for d in truth.deleted_leads()} | {m["id"] for m in truth.merged_leads()}
    for name in NAMES:
        assert not {r["leadId"] for r in truth.custom_objects(name)} & gone
    moved = [(name, m) for name in NAMES for m in truth.merged_leads() if view.factory.base_count(name, m["id"])
             and truth.lead(m["survivor"])]
    assert moved
    name, merge = moved[0]
    loser_record = view.factory.record(name, merge["id"], 0)
    mine = {r["marketoGUID"]: r for r in truth.custom_objects(name) if r["leadId"] == merge["survivor"]}
    assert mine[loser_record["marketoGUID"]]["leadId"] == merge["survivor"]
