"""Lead database: describe, leads by filter (fields, paging, 300-value cap), lists, campaigns."""
from __future__ import annotations

from .helpers import ApiClient

MARKETO_TYPES = {"string", "text", "email", "phone", "url", "integer", "float", "currency", "percent", "score",
                 "boolean", "date", "datetime", "reference", "formula"}


def test_describe_has_standard_and_custom_fields_of_every_type(marketo_emulator):
    fields = ApiClient(marketo_emulator).get_json("/rest/v1/leads/describe.json")["result"]
    assert MARKETO_TYPES <= {f["dataType"] for f in fields}
    by_name = {f["rest"]["name"]: f for f in fields if "rest" in f}
    assert by_name["id"] == {"id": 44, "displayName": "Id", "dataType": "integer", "rest": {"name": "id", "readOnly": False},
                             "soap": {"name": "Id", "readOnly": False}}
    assert by_name["createdAt"]["rest"]["readOnly"] is True and "soap" not in by_name["createdAt"]
    assert by_name["fullNameFormula"]["dataType"] == "formula"
    soap_only = [f for f in fields if "rest" not in f]
    assert soap_only and soap_only[0]["soap"]["name"] == "LegacySegmentCode"
    assert all("length" in f for f in fields if f["dataType"] in ("string", "email"))


def test_describe2_lists_searchable_fields_and_fields(marketo_emulator):
    result = ApiClient(marketo_emulator).get_json("/rest/v1/leads/describe2.json")["result"][0]
    assert result["name"] == "API Lead"
    assert ["email"] in result["searchableFields"] and ["id"] in result["searchableFields"]
    assert {"name", "displayName", "dataType", "updateable", "crmManaged"} <= set(result["fields"][0])


def test_leads_by_id_returns_default_fields_typed_and_matches_truth(marketo_emulator):
    body = ApiClient(marketo_emulator).get_json("/rest/v1/leads.json", {"filterType": "id", "filterValues": "1,5,7"})
    assert [r["id"] for r in body["result"]] == [1, 5, 7]
    assert set(body["result"][0]) == {"id", "email", "updatedAt", "createdAt", "firstName", "lastName"}
    truth = marketo_emulator.truth.lead(5)
    assert body["result"][1] == {k: truth[k] for k in body["result"][1]}
    assert body["result"][0]["createdAt"].endswith("Z")


def test_requested_fields_come_back_typed_with_explicit_nulls(marketo_emulator):
    fields = "id,seatCount,isPartner,contractValue,renewalDate,lastDemoAt,fax,unsubscribed"
    result = ApiClient(marketo_emulator).get_json("/rest/v1/leads.json", {
        "filterType": "id", "filterValues": ",".join(str(i) for i in range(1, 60)), "fields": fields})["result"]
    assert all(set(r) == set(fields.split(",")) for r in result)
    assert any(r["fax"] is None for r in result)
    assert all(isinstance(r["unsubscribed"], bool) for r in result)
    assert all(r["seatCount"] is None or isinstance(r["seatCount"], int) for r in result)


def test_lookup_by_email_and_custom_field(marketo_emulator):
    client = ApiClient(marketo_emulator)
    lead = marketo_emulator.truth.lead(3)
    by_email = client.get_json("/rest/v1/leads.json", {"filterType": "email", "filterValues": lead["email"]})
    assert [r["id"] for r in by_email["result"]] == [3]
    vertical = next(l for l in marketo_emulator.truth.leads() if l["industryVertical__c"])["industryVertical__c"]
    custom = client.get_json("/rest/v1/leads.json", {"filterType": "industryVertical__c", "filterValues": vertical,
                                                      "fields": "id,industryVertical__c"})
    assert custom["result"] and all(r["industryVertical__c"] == vertical for r in custom["result"])


def test_filter_errors(marketo_emulator):
    client = ApiClient(marketo_emulator)
    many = client.post("/rest/v1/leads.json", params={"_method": "GET"},
                       data={"filterType": "id", "filterValues": ",".join(str(i) for i in range(301))}).json()
    assert many["errors"][0]["code"] == "1003"
    unknown = client.get_json("/rest/v1/leads.json", {"filterType": "id", "filterValues": "1", "fields": "nope"})
    assert unknown["errors"][0] == {"code": "1006", "message": "Field 'nope' not found"}
    blank = client.get_json("/rest/v1/leads.json", {"filterType": "id"})
    assert blank["errors"][0]["code"] == "701"


def test_paging_of_leads_by_filter(marketo_emulator):
    client = ApiClient(marketo_emulator)
    ids = ",".join(str(i) for i in range(1, 51))
    first = client.get_json("/rest/v1/leads.json", {"filterType": "id", "filterValues": ids, "batchSize": 20})
    assert len(first["result"]) == 20 and first["moreResult"] is True and first["nextPageToken"]
    seen = [r["id"] for r in first["result"]]
    token = first["nextPageToken"]
    while token:
        page = client.get_json("/rest/v1/leads.json", {"filterType": "id", "filterValues": ids, "batchSize": 20,
                                                      "nextPageToken": token})
        seen += [r["id"] for r in page["result"]]
        token = page.get("nextPageToken")
    live = {l["id"] for l in marketo_emulator.truth.leads()}
    assert seen == [i for i in range(1, 51) if i in live]


def test_deleted_and_merged_leads_are_not_returned(marketo_emulator):
    gone = [d["id"] for d in marketo_emulator.truth.deleted_leads()] + [m["id"] for m in marketo_emulator.truth.merged_leads()]
    assert gone
    body = ApiClient(marketo_emulator).get_json("/rest/v1/leads.json", {"filterType": "id", "filterValues": ",".join(map(str, gone))})
    assert body["result"] == []


def test_lists_and_campaigns_page_with_next_page_token_only_when_more(marketo_emulator):
    client = ApiClient(marketo_emulator)
    for path, truth in (("/rest/v1/lists.json", marketo_emulator.truth.lists()),
                        ("/rest/v1/campaigns.json", marketo_emulator.truth.campaigns())):
        items, token, pages = [], None, 0
        while True:
            params = {"batchSize": 10, **({"nextPageToken": token} if token else {})}
            body = client.get_json(path, params)
            items += body["result"]
            pages += 1
            token = body.get("nextPageToken")
            if not token:
                break
        assert items == truth and pages == -(-len(truth) // 10)
    campaign = marketo_emulator.truth.campaigns()[0]
    assert set(campaign) >= {"id", "name", "type", "workspaceName", "createdAt", "updatedAt", "active"}
    assert campaign["createdAt"].endswith("Z") and not campaign["createdAt"].endswith("+0000")


def test_list_members_and_partitions(marketo_emulator):
    client = ApiClient(marketo_emulator)
    list_id = marketo_emulator.truth.lists()[0]["id"]
    body = client.get_json(f"/rest/v1/lists/{list_id}/leads.json", {"batchSize": 5})
    assert len(body["result"]) == 5 and body["moreResult"] is True
    assert client.get_json("/rest/v1/leads/partitions.json")["result"][0]["name"] == "Default"
