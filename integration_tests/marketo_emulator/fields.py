"""The lead schema of the emulated instance: what `leads/describe.json` and `describe2.json` return.

Standard fields follow a real instance's describe (marketo-api.md §4.1: small ids, `soap` on older
fields, `readOnly` on system fields). Custom fields (ids 701+) cover every Marketo data type
(§7.2), plus a `formula` field (readable over REST, not exportable in bulk) and a SOAP-only field
without `rest` (invisible to REST clients, which must skip it).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LeadField:
    id: int
    display: str
    data_type: str
    rest: str | None
    length: int | None = None
    soap: str | None = None
    read_only: bool = False
    custom: bool = False

    def describe(self) -> dict:
        item: dict = {"id": self.id, "displayName": self.display, "dataType": self.data_type}
        if self.length is not None:
            item["length"] = self.length
        if self.rest:
            item["rest"] = {"name": self.rest, "readOnly": self.read_only}
        if self.soap:
            item["soap"] = {"name": self.soap, "readOnly": self.read_only}
        return item

    def describe2(self) -> dict:
        item: dict = {"name": self.rest, "displayName": self.display, "dataType": self.data_type}
        if self.length is not None:
            item["length"] = self.length
        item["updateable"] = not self.read_only
        item["crmManaged"] = self.rest is not None and self.rest.endswith("__c")
        return item


def _std(fid, display, dtype, rest, length=None, soap=True, read_only=False):
    soap_name = display.replace(" ", "") if soap is True else soap
    return LeadField(fid, display, dtype, rest, length, soap_name, read_only)


def _custom(fid, display, dtype, rest, length=None):
    return LeadField(fid, display, dtype, rest, length, None, dtype == "formula", True)


STANDARD_FIELDS = [
    _std(44, "Id", "integer", "id"),
    _std(51, "Company Name", "string", "company", 255),
    _std(47, "Salutation", "string", "salutation", 255),
    _std(48, "First Name", "string", "firstName", 255),
    _std(49, "Middle Name", "string", "middleName", 255),
    _std(50, "Last Name", "string", "lastName", 255),
    _std(56, "Email Address", "email", "email", 255, "Email"),
    _std(58, "Phone Number", "phone", "phone", 255),
    _std(59, "Mobile Phone Number", "phone", "mobilePhone", 255),
    _std(60, "Fax Number", "phone", "fax", 255),
    _std(57, "Job Title", "string", "title", 255),
    _std(61, "Contact Company", "reference", "contactCompany", None, "Contact Company", True),
    _std(62, "Address", "text", "address", 65535),
    _std(63, "City", "string", "city", 255),
    _std(64, "State", "string", "state", 255),
    _std(65, "Country", "string", "country", 255),
    _std(66, "Postal Code", "string", "postalCode", 255),
    _std(67, "Website", "url", "website", 255),
    _std(68, "Annual Revenue", "currency", "annualRevenue"),
    _std(69, "Num Employees", "integer", "numberOfEmployees"),
    _std(70, "Industry", "string", "industry", 255),
    _std(71, "Lead Source", "string", "leadSource", 255),
    _std(72, "Lead Status", "string", "leadStatus", 255),
    _std(73, "Lead Score", "integer", "leadScore"),
    _std(74, "Date of Birth", "date", "dateOfBirth"),
    _std(75, "Unsubscribed", "boolean", "unsubscribed"),
    _std(76, "Unsubscribed Reason", "text", "unsubscribedReason", 65535),
    _std(77, "Do Not Call", "boolean", "doNotCall"),
    _std(78, "Email Invalid", "boolean", "emailInvalid"),
    _std(79, "Lead Role", "string", "leadRole", 50),
    _std(80, "Priority", "integer", "priority"),
    _std(81, "Urgency", "float", "urgency"),
    _std(82, "Relative Score", "integer", "relativeScore"),
    _std(122, "Lead Partition", "reference", "leadPartitionId", None, "LeadPartitionId"),
    _std(123, "Acquisition Program Id", "reference", "acquisitionProgramId", None, False),
    _std(124, "Person Type", "string", "personType", 255, False, True),
    _std(125, "Full Name", "string", "mktoName", 255, False, True),
    _std(126, "SFDC Type", "string", "sfdcType", 255, "SFDCType", True),
    _std(127, "Original Source Type", "string", "originalSourceType", 255, "OriginalSourceType", True),
    _std(128, "Anonymous IP", "string", "anonymousIP", 255),
    _std(129, "Marketing Suspended", "boolean", "marketingSuspended"),
    _std(130, "Created At", "datetime", "createdAt", None, False, True),
    _std(131, "Updated At", "datetime", "updatedAt", None, False, True),
]

CUSTOM_FIELDS = [
    _custom(701, "Industry Vertical", "string", "industryVertical__c", 255),
    _custom(702, "Favorite Quote", "text", "favoriteQuote", 65535),
    _custom(703, "Billing Contact Email", "email", "billingContactEmail", 255),
    _custom(704, "Assistant Phone", "phone", "assistantPhone", 255),
    _custom(705, "LinkedIn Profile URL", "url", "linkedInProfileUrl", 255),
    _custom(706, "Seat Count", "integer", "seatCount"),
    _custom(707, "Engagement Ratio", "float", "engagementRatio"),
    _custom(708, "Contract Value", "currency", "contractValue"),
    _custom(709, "Discount Percent", "percent", "discountPercent"),
    _custom(710, "Product Interest Score", "score", "productInterestScore"),
    _custom(711, "Is Partner", "boolean", "isPartner"),
    _custom(712, "Renewal Date", "date", "renewalDate"),
    _custom(713, "Last Demo At", "datetime", "lastDemoAt"),
    _custom(714, "Parent Account", "reference", "parentAccountId"),
    _custom(715, "Full Name Formula", "formula", "fullNameFormula"),
    # A field only the SOAP API knows: no `rest` key, so REST clients must skip it.
    LeadField(716, "Legacy Segment Code", "string", None, 255, "LegacySegmentCode", False, True),
]

ALL_FIELDS = STANDARD_FIELDS + CUSTOM_FIELDS
REST_FIELDS = [item for item in ALL_FIELDS if item.rest]
BY_REST_NAME = {item.rest: item for item in REST_FIELDS}
BY_ID = {item.id: item for item in ALL_FIELDS}

DEFAULT_REST_FIELDS = ["id", "email", "updatedAt", "createdAt", "firstName", "lastName"]
# Types bulk extract cannot export (marketo-api.md §7.2: formula is "not exportable").
NOT_EXPORTABLE_TYPES = {"formula"}
# filterType values of leads.json. Fields we never populate (cookies, sfdc*) are accepted and match nothing.
LOOKUP_FIELDS = ["email", "id", "cookies", "facebookId", "leadPartitionId", "linkedInId", "sfdcAccountId",
                 "sfdcContactId", "sfdcLeadId", "sfdcLeadOwnerId", "sfdcOpptyId", "twitterId",
                 "industryVertical__c", "billingContactEmail", "seatCount"]
# Lead fields that a tick may change (each change is a Change Data Value activity).
MUTABLE_FIELDS = ["firstName", "lastName", "email", "title", "company", "city", "leadStatus", "leadScore",
                  "phone", "industryVertical__c", "seatCount", "isPartner", "contractValue", "favoriteQuote",
                  "renewalDate", "lastDemoAt"]


def describe_result() -> list[dict]:
    return [item.describe() for item in ALL_FIELDS]


def describe2_result() -> list[dict]:
    return [{
        "name": "API Lead",
        "searchableFields": [[name] for name in LOOKUP_FIELDS],
        "fields": [item.describe2() for item in REST_FIELDS],
    }]
