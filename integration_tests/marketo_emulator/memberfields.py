"""Program member fields: what `programs/members/describe.json` returns (EL:program-members,
EL:bulk-program-member-extract; marketo-api.md §4.6).

The standard fields in the documented order (alphabetical, then the updateable registrationCode
and webinarUrl), plus three custom fields of different types (string, integer, boolean) placed as
a real describe places custom fields: after the standard ones, before registrationCode.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MemberField:
    name: str
    data_type: str
    length: int | None = None
    updateable: bool = False
    display: str | None = None

    def describe(self) -> dict:
        item = {"name": self.name, "displayName": self.display or self.name, "dataType": self.data_type}
        if self.length is not None:
            item["length"] = self.length
        item.update({"updateable": self.updateable, "crmManaged": False})
        return item


FIELDS = [
    MemberField("acquiredBy", "boolean"),
    MemberField("attendanceLikelihood", "integer"),
    MemberField("createdAt", "datetime"),
    MemberField("isExhausted", "boolean"),
    MemberField("leadId", "integer"),
    MemberField("membershipDate", "datetime"),
    MemberField("nurtureCadence", "string", 4),
    MemberField("program", "string", 255),
    MemberField("programId", "integer"),
    MemberField("reachedSuccess", "boolean"),
    MemberField("reachedSuccessDate", "datetime"),
    MemberField("registrationLikelihood", "integer"),
    MemberField("statusName", "string", 255),
    MemberField("statusReason", "string", 255),
    MemberField("trackName", "string", 255),
    MemberField("updatedAt", "datetime"),
    MemberField("waitlistPriority", "integer"),
    MemberField("pmReferralSource", "string", 255, True, "PM Referral Source"),
    MemberField("pmSeatsRequested", "integer", None, True, "PM Seats Requested"),
    MemberField("pmVipAttendee", "boolean", None, True, "PM VIP Attendee"),
    MemberField("registrationCode", "string", 100, True),
    MemberField("webinarUrl", "string", 2000, True),
]
BY_NAME = {item.name: item for item in FIELDS}
NAMES = [item.name for item in FIELDS]
DEFAULT_FIELDS = ["acquiredBy", "leadId", "membershipDate", "programId", "reachedSuccess"]  # EL:program-members
# filterType of members.json: the searchable fields (EL's example: leadId, a custom field, reachedSuccess,
# statusName), custom string/integer fields, and updatedAt (with startAt/endAt).
SEARCHABLE = ["leadId", "pmReferralSource", "pmSeatsRequested", "reachedSuccess", "statusName"]
FILTER_TYPES = SEARCHABLE + ["updatedAt"]
BOOLEAN_FIELDS = frozenset(item.name for item in FIELDS if item.data_type == "boolean")


def describe_result(created: str, updated: str) -> list[dict]:
    return [{"name": "API Program Membership", "description": "Map for API program membership fields",
             "createdAt": created, "updatedAt": updated, "dedupeFields": ["leadId", "programId"],
             "searchableFields": [[name] for name in SEARCHABLE], "fields": [item.describe() for item in FIELDS]}]
