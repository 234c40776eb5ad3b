"""Companies, opportunities and opportunity roles (EL:companies, EL:opportunities,
EL:opportunity-roles): small, seeded, linked to the leads.

* Companies — one per name of the leads' `company` pool (a lead belongs to the company whose
  `company` it names; the lead schema has no externalCompanyId here) plus a few prospects no lead
  names yet; ids 1.., `externalCompanyId` "ACCT-…".
* Opportunities — `options.opportunities` of them, each of a company (`externalCompanyId`).
* Opportunity roles — 0-4 per opportunity, each naming a lead of the opportunity's company
  (`leadId`), a role and whether it is the primary contact. A role of a deleted lead is gone; one of
  a merged loser names the winner.

None of them has a list-all endpoint: every read is filterType/filterValues (see the README for
what a connector can enumerate). They do not change over time.
"""
from __future__ import annotations

from . import content as c
from .hashing import seeded_rng
from .leadgen import DAY_MS
from .timefmt import rest_date, rest_datetime

PROSPECTS = ["Northwind Traders", "Contoso, Ltd.", "Fabrikam \"Fiber\"", "ありがとう商事", "Blue Yonder Airlines"]
INDUSTRIES = ["Software", "Manufacturing", "Financial Services", "Healthcare", "Retail", None]
STAGES = [("Prospecting", 10, False, False), ("Qualification", 20, False, False), ("Needs Analysis", 30, False, False),
          ("Proposal", 60, False, False), ("Negotiation", 80, False, False), ("Closed Won", 100, True, True),
          ("Closed Lost", 0, True, False)]
OPPORTUNITY_TYPES = ["New Business", "Renewal", "Upsell", "Existing Business, Expansion"]
ROLES = ["Decision Maker", "Technical Buyer", "Champion", "Influencer", "Economic Buyer"]
SALES_PEOPLE = ["SP-001", "SP-002", "SP-017", None]


def _guid(rng) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[rng.randrange(4)]}{h[17:20]}-{h[20:]}"


def _times(rng, anchor_ms: int, oldest_days: int) -> tuple[int, int]:
    created = anchor_ms - rng.randint(2, oldest_days) * DAY_MS - rng.randint(0, 86_399) * 1000
    updated = created if rng.random() < 0.4 else rng.randint(created, anchor_ms - 3_600_000) // 1000 * 1000
    return created, updated


def companies(seed: int, anchor_ms: int) -> list[dict]:
    rng = seeded_rng(seed, "companies")
    out = []
    for index, name in enumerate(list(c.COMPANIES) + PROSPECTS):
        created, updated = _times(rng, anchor_ms, 900)
        out.append({"id": index + 1, "externalCompanyId": f"ACCT-{rng.randrange(16 ** 6):06X}-{index + 1:03d}",
                    "company": name, "site": rng.choice(["HQ", "EMEA office", None]),
                    "website": f"https://www.{''.join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:12] or 'example'}.example",
                    "mainPhone": f"+1 ({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                    "annualRevenue": round(rng.uniform(1e6, 5e9), 2), "numberOfEmployees": rng.randint(5, 200_000),
                    "industry": rng.choice(INDUSTRIES), "sicCode": rng.choice(["7372", "3571", "6021", None]),
                    "billingStreet": rng.choice(c.STREETS), "billingCity": rng.choice(c.CITIES),
                    "billingState": rng.choice([s for s in c.STATES if s]), "billingCountry": rng.choice(c.COUNTRIES),
                    "billingPostalCode": f"{rng.randint(10000, 99999)}",
                    "externalSalesPersonId": rng.choice(SALES_PEOPLE),
                    "createdAt": rest_datetime(created), "updatedAt": rest_datetime(updated)})
    return out


def opportunities(seed: int, count: int, companies_list: list[dict], anchor_ms: int) -> list[dict]:
    rng = seeded_rng(seed, "opportunities")
    out = []
    for index in range(count):
        company = rng.choice(companies_list[: len(c.COMPANIES)])  # companies with leads
        stage, probability, closed, won = rng.choice(STAGES)
        amount = round(rng.uniform(5_000, 900_000), 2)
        created, updated = _times(rng, anchor_ms, 400)
        close = rest_date(created + rng.randint(10, 200) * DAY_MS)
        out.append({"marketoGUID": _guid(rng), "externalOpportunityId": f"OPP-{10_000 + index:06d}",
                    "name": f"{company['company']} - {rng.choice(OPPORTUNITY_TYPES)}",
                    "description": rng.choice(["", "Inbound, via webinar", "Renewal \"at risk\"", None]),
                    "type": rng.choice(OPPORTUNITY_TYPES), "stage": stage, "amount": amount,
                    "expectedRevenue": round(amount * probability / 100, 2), "probability": probability,
                    "closeDate": close, "isClosed": closed, "isWon": won,
                    "fiscalQuarter": (int(close[5:7]) - 1) // 3 + 1, "fiscalYear": int(close[:4]),
                    "leadSource": rng.choice(c.LEAD_SOURCES), "nextStep": rng.choice(["Send proposal", "Call back, Monday", None]),
                    "lastActivityDate": rest_datetime(updated), "externalCompanyId": company["externalCompanyId"],
                    "externalSalesPersonId": rng.choice(SALES_PEOPLE),
                    "createdAt": rest_datetime(created), "updatedAt": rest_datetime(updated)})
    return out


def roles(seed: int, opportunities_list: list[dict], companies_list: list[dict], lead_factory, leads) -> list[dict]:
    """0-4 roles per opportunity, each a base lead whose `company` is the opportunity's company."""
    rng = seeded_rng(seed, "opportunity-roles")
    by_external = {company["externalCompanyId"]: company["company"] for company in companies_list}
    out = []
    for opportunity in opportunities_list:
        wanted = by_external[opportunity["externalCompanyId"]]
        chosen: list[int] = []
        for _ in range(rng.choice([0, 1, 2, 2, 3, 4])):
            for _ in range(300):  # sample leads until one of this company turns up
                lead_id = rng.randint(1, max(1, lead_factory.n_base))
                if lead_id not in chosen and lead_factory.n_base and leads.any_record(lead_id).get("company") == wanted:
                    chosen.append(lead_id)
                    break
        for position, lead_id in enumerate(chosen):
            created = opportunity["createdAt"]
            out.append({"marketoGUID": _guid(rng), "externalOpportunityId": opportunity["externalOpportunityId"],
                        "leadId": lead_id, "role": ROLES[(position + rng.randrange(len(ROLES))) % len(ROLES)],
                        "isPrimary": position == 0, "externalCreatedDate": created,
                        "createdAt": created, "updatedAt": created})
    return out


class Crm:
    """The three collections; roles follow the leads (deleted: gone, merged: the winner)."""

    def __init__(self, seed: int, opportunity_count: int, anchor_ms: int, lead_factory, leads) -> None:
        self.companies = companies(seed, anchor_ms)
        self.opportunities = opportunities(seed, opportunity_count, self.companies, anchor_ms) if self.companies else []
        self._roles = roles(seed, self.opportunities, self.companies, lead_factory, leads)
        self._leads = leads

    def roles(self) -> list[dict]:
        out = []
        for role in self._roles:
            owner = self._leads.resolve(role["leadId"])
            if self._leads.is_live(owner):
                out.append(dict(role, leadId=owner))
        return out


def _field(name: str, display: str, data_type: str, length: int | None = None, updateable: bool = True) -> dict:
    item = {"name": name, "displayName": display, "dataType": data_type}
    if length is not None:
        item["length"] = length
    item["updateable"] = updateable
    return item


SYSTEM = [_field("createdAt", "Created At", "datetime", None, False), _field("updatedAt", "Updated At", "datetime", None, False)]
COMPANY_FIELDS = SYSTEM + [
    _field("externalCompanyId", "External Company Id", "string", 100, False), _field("id", "Id", "integer", None, False),
    _field("company", "Company Name", "string", 255), _field("site", "Site", "string", 255),
    _field("website", "Website", "url", 255), _field("mainPhone", "Main Phone", "phone", 255),
    _field("annualRevenue", "Annual Revenue", "currency"), _field("numberOfEmployees", "Num Employees", "integer"),
    _field("industry", "Industry", "string", 255), _field("sicCode", "SIC Code", "string", 40),
    _field("billingStreet", "Billing Address", "text", 65535), _field("billingCity", "Billing City", "string", 255),
    _field("billingState", "Billing State", "string", 255), _field("billingCountry", "Billing Country", "string", 255),
    _field("billingPostalCode", "Billing Postal Code", "string", 255),
    _field("externalSalesPersonId", "External Sales Person Id", "string", 100)]
OPPORTUNITY_FIELDS = [_field("marketoGUID", "Marketo GUID", "string", 36, False)] + SYSTEM + [
    _field("externalOpportunityId", "External Opportunity Id", "string", 50, False), _field("name", "Name", "string", 255),
    _field("description", "Description", "string", 2000), _field("type", "Type", "string", 255),
    _field("stage", "Stage", "string", 255), _field("amount", "Amount", "currency"),
    _field("expectedRevenue", "Expected Revenue", "currency"), _field("probability", "Probability", "integer"),
    _field("closeDate", "Close Date", "date"), _field("isClosed", "Closed", "boolean"), _field("isWon", "Won", "boolean"),
    _field("fiscalQuarter", "Fiscal Quarter", "integer"), _field("fiscalYear", "Fiscal Year", "integer"),
    _field("leadSource", "Lead Source", "string", 255), _field("nextStep", "Next Step", "string", 255),
    _field("lastActivityDate", "Last Activity Date", "datetime"),
    _field("externalCompanyId", "External Company Id", "string", 100),
    _field("externalSalesPersonId", "External Sales Person Id", "string", 100)]
ROLE_FIELDS = [_field("marketoGUID", "Marketo GUID", "string", 36, False),
               _field("externalOpportunityId", "External Opportunity Id", "string", 50, False),
               _field("leadId", "Lead Id", "integer", None, False), _field("role", "Role", "string", 50, False),
               _field("isPrimary", "Is Primary", "boolean"), _field("externalCreatedDate", "External Created Date", "datetime")] + SYSTEM

# (describe head, fields) per object, as EL:companies, EL:opportunities and EL:opportunity-roles show them
OBJECTS = {
    "companies": ({"name": "Company", "description": "Company object", "idField": "id",
                   "dedupeFields": ["externalCompanyId"],
                   "searchableFields": [["externalCompanyId"], ["id"], ["company"]]}, COMPANY_FIELDS),
    "opportunities": ({"name": "opportunity", "displayName": "Opportunity", "idField": "marketoGUID",
                       "dedupeFields": ["externalOpportunityId"],
                       "searchableFields": [["externalOpportunityId"], ["marketoGUID"]]}, OPPORTUNITY_FIELDS),
    "roles": ({"name": "opportunityRole", "displayName": "Opportunity Role", "idField": "marketoGUID",
               "dedupeFields": ["externalOpportunityId", "leadId", "role"],
               "searchableFields": [["externalOpportunityId", "leadId", "role"], ["marketoGUID"], ["leadId"],
                                    ["externalOpportunityId"]]}, ROLE_FIELDS),
}


def describe(kind: str, created: str, updated: str) -> dict:
    head, fields = OBJECTS[kind]
    item = {key: head[key] for key in ("name", "displayName", "description") if key in head}
    item.update({"createdAt": created, "updatedAt": updated, "idField": head["idField"],
                 "dedupeFields": list(head["dedupeFields"]), "searchableFields": [list(s) for s in head["searchableFields"]],
                 "fields": [dict(f) for f in fields]})
    return item


def default_fields(kind: str) -> list[str]:
    """Without `fields`: the id field, the dedupe fields, updatedAt, createdAt (EL:companies)."""
    head, _ = OBJECTS[kind]
    return list(dict.fromkeys([head["idField"], *head["dedupeFields"], "updatedAt", "createdAt"]))


def field_names(kind: str) -> list[str]:
    return [f["name"] for f in OBJECTS[kind][1]]
