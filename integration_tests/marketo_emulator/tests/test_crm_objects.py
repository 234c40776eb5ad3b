"""Companies, opportunities and opportunity roles: describe, filter-only reads (no list-all), the
links to leads, and what a connector can enumerate from the leads."""
from __future__ import annotations

from .helpers import ApiClient


def test_describes(marketo_emulator):
    client = ApiClient(marketo_emulator)
    company = client.get_json("/rest/v1/companies/describe.json")["result"][0]
    assert company["idField"] == "id" and company["dedupeFields"] == ["externalCompanyId"]
    assert company["searchableFields"] == [["externalCompanyId"], ["id"], ["company"]]
    opportunity = client.get_json("/rest/v1/opportunities/describe.json")["result"][0]
    assert opportunity["name"] == "opportunity" and opportunity["idField"] == "marketoGUID"
    role = client.get_json("/rest/v1/opportunities/roles/describe.json")["result"][0]
    assert role["dedupeFields"] == ["externalOpportunityId", "leadId", "role"]
    for item in (company, opportunity, role):
        assert all({"name", "displayName", "dataType", "updateable"} <= set(f) for f in item["fields"])


def test_companies_are_the_companies_the_leads_name(marketo_emulator):
    client = ApiClient(marketo_emulator)
    names = sorted({lead["company"] for lead in marketo_emulator.truth.leads() if lead["company"]})
    found = client.get_json("/rest/v1/companies.json", {"filterType": "company", "filterValues": ",".join(
        n for n in names if "," not in n), "fields": "company,externalCompanyId,industry"})["result"]
    assert {c["company"] for c in found} == {n for n in names if "," not in n}
    assert [set(c) for c in found] == [{"seq", "company", "externalCompanyId", "industry"}] * len(found)
    truth = marketo_emulator.truth.companies()
    assert len(truth) > len(names)  # prospects no lead names yet
    by_id = client.get_json("/rest/v1/companies.json", {"filterType": "id", "filterValues": "1,2,3"})["result"]
    assert [(c["id"], c["externalCompanyId"]) for c in by_id] == [(c["id"], c["externalCompanyId"]) for c in truth[:3]]
    assert set(by_id[0]) == {"seq", "id", "externalCompanyId", "updatedAt", "createdAt"}


def test_roles_link_opportunities_to_leads_of_the_company(marketo_emulator):
    truth = marketo_emulator.truth
    companies = {c["externalCompanyId"]: c["company"] for c in truth.companies()}
    opportunities = {o["externalOpportunityId"]: o for o in truth.opportunities()}
    roles = truth.opportunity_roles()
    assert len(opportunities) == 40 and roles
    live = {lead["id"]: lead for lead in truth.leads()}
    for role in roles:
        assert role["leadId"] in live
        assert companies[opportunities[role["externalOpportunityId"]]["externalCompanyId"]] == live[role["leadId"]]["company"] \
            or role["leadId"] in {m["survivor"] for m in truth.merged_leads()}
    assert sum(r["isPrimary"] for r in roles) == len({r["externalOpportunityId"] for r in roles})


def test_a_connector_can_reach_roles_by_lead_ids_then_their_opportunities(marketo_emulator):
    client = ApiClient(marketo_emulator)
    lead_ids = [lead["id"] for lead in marketo_emulator.truth.leads()]
    roles = []
    for start in range(0, len(lead_ids), 300):
        roles += client.get_json("/rest/v1/opportunities/roles.json", {
            "filterType": "leadId", "filterValues": ",".join(map(str, lead_ids[start:start + 300])),
            "fields": "marketoGUID,externalOpportunityId,leadId,role,isPrimary"})["result"]
    assert sorted(r["marketoGUID"] for r in roles) == sorted(r["marketoGUID"] for r in marketo_emulator.truth.opportunity_roles())
    wanted = sorted({r["externalOpportunityId"] for r in roles})
    opportunities = client.get_json("/rest/v1/opportunities.json", {"filterType": "externalOpportunityId",
                                                                    "filterValues": ",".join(wanted)})["result"]
    assert sorted(o["externalOpportunityId"] for o in opportunities) == wanted
    unreached = {o["externalOpportunityId"] for o in marketo_emulator.truth.opportunities()} - set(wanted)
    assert unreached  # opportunities without roles cannot be found from the leads


def test_compound_key_errors_and_crm_sync(marketo_emulator_factory):
    emulator = marketo_emulator_factory()
    client = ApiClient(emulator)
    role = emulator.truth.opportunity_roles()[0]
    key = {k: role[k] for k in ("externalOpportunityId", "leadId", "role")}
    found = client.post_json("/rest/v1/opportunities/roles.json", {"filterType": "dedupeFields", "input": [key]},
                             params={"_method": "GET"})["result"]
    assert [r["marketoGUID"] for r in found] == [role["marketoGUID"]]
    assert client.get_json("/rest/v1/companies.json", {"filterType": "industry", "filterValues": "Software"})["errors"][0]["code"] == "1011"
    assert client.get_json("/rest/v1/companies.json", {"filterType": "id", "filterValues": "1", "fields": "nope"})["errors"][0]["code"] == "1006"
    assert client.get_json("/rest/v1/opportunities.json", {"filterType": "marketoGUID"})["errors"][0]["code"] == "701"
    synced = ApiClient(marketo_emulator_factory(crm_sync=True))
    assert synced.get_json("/rest/v1/opportunities/roles.json", {"filterType": "leadId", "filterValues": "1"})["errors"][0] == \
        {"code": "1018", "message": "CRM Enabled"}
    assert synced.get_json("/rest/v1/companies.json", {"filterType": "id", "filterValues": "1"})["success"]
