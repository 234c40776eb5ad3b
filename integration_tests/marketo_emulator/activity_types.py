"""The activity types of the emulated instance (`activities/types.json`, marketo-api.md §4.4).

Ids and names are Marketo's standard ones. Attribute names follow Marketo/Adobe sources: the AEP
Marketo field-mapping tables (e.g. Merge Leads 32: "Merge IDs", "Merge Source", "Master Updated",
"Merged in Sales"; Change Score 22: "Change Value", "New Value", "Old Value", "Reason", "Urgency",
"Priority", "Relative Score", "Relative Urgency"), EL:activities (Fill Out Form) and Airbyte's test
fixtures (Send Email: "Campaign Run ID", "Choice Number", "Has Predictive", "Step ID", "Test
Variant"). `weight` is how often generated history uses the type (0: only ticks produce it, or never).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActivityType:
    id: int
    name: str
    description: str
    primary: tuple[str, str] | None  # (name, dataType)
    attributes: tuple[tuple[str, str], ...]
    weight: int = 0
    api_name: str | None = None

    def describe(self) -> dict:
        item: dict = {"id": self.id, "name": self.name, "description": self.description}
        if self.api_name:
            item["apiName"] = self.api_name
        if self.primary:
            item["primaryAttribute"] = {"name": self.primary[0], "dataType": self.primary[1]}
        item["attributes"] = [{"name": n, "dataType": t} for n, t in self.attributes]
        return item


S, I, B, T, F, D, DT = "string", "integer", "boolean", "text", "float", "date", "datetime"
WEB = (("Client IP Address", S), ("Query Parameters", S), ("Referrer URL", S), ("User Agent", S))
MAIL = (("Campaign Run ID", I), ("Choice Number", I), ("Step ID", I), ("Test Variant", I))

ACTIVITY_TYPES = [
    ActivityType(1, "Visit Webpage", "User visits a web page", ("Webpage ID", I),
                 (("Webpage URL", S),) + WEB + (("Search Engine", S), ("Search Query", S), ("Personalized URL", B)), 18),
    ActivityType(2, "Fill Out Form", "User fills out and submits form on web page", ("Webform ID", I),
                 (("Client IP Address", S), ("Form Fields", T), ("Webpage ID", I), ("Query Parameters", S),
                  ("Referrer URL", S), ("User Agent", S)), 6),
    ActivityType(3, "Click Link", "User clicks link on a page", ("Link ID", I),
                 (("Link", S), ("Webpage ID", I)) + WEB, 6),
    ActivityType(6, "Send Email", "Send Marketo Email to a person", ("Mailing ID", I),
                 MAIL + (("Has Predictive", B),), 14),
    ActivityType(7, "Email Delivered", "Marketo Email is delivered to a person", ("Mailing ID", I),
                 MAIL + (("Has Predictive", B),), 13),
    ActivityType(8, "Email Bounced", "Marketo Email hard bounces", ("Mailing ID", I),
                 MAIL + (("Category", S), ("Details", S), ("Email", S), ("Subcategory", S)), 2),
    ActivityType(9, "Unsubscribe Email", "Person unsubscribes from Marketo Emails", ("Mailing ID", I),
                 (("Campaign Run ID", I), ("Client IP Address", S), ("Form Fields", T), ("Webform ID", I),
                  ("Webpage ID", I), ("User Agent", S)), 1),
    ActivityType(10, "Open Email", "User opens Marketo Email", ("Mailing ID", I),
                 MAIL + (("Device", S), ("Is Mobile Device", B), ("Platform", S), ("User Agent", S),
                         ("Is Bot Activity", B), ("Bot Activity Pattern", S)), 10),
    ActivityType(11, "Click Email", "User clicks on a link in a Marketo Email", ("Mailing ID", I),
                 MAIL + (("Device", S), ("Is Mobile Device", B), ("Link", S), ("Platform", S), ("User Agent", S)), 6),
    ActivityType(12, "New Lead", "New person", ("Lead ID", I),
                 (("Source Type", S), ("Form Name", S), ("Lead Source", S), ("List Name", S), ("SFDC Type", S),
                  ("Created Date", D)), 4),
    ActivityType(13, "Change Data Value", "Changed attribute value for a person", ("Attribute Name", "reference"),
                 (("New Value", S), ("Old Value", S), ("Reason", S), ("Source", S)), 8),
    ActivityType(19, "Sync Lead to SFDC", "Person synced to SFDC", None, (("Assign To", S),), 0),
    ActivityType(21, "Convert Lead", "Convert a person", None,
                 (("Converted Status", S), ("Send Notification Email", B)), 0),
    ActivityType(22, "Change Score", "Change score of a person", ("Score Name", "reference"),
                 (("Change Value", S), ("New Value", I), ("Old Value", I), ("Reason", S), ("Urgency", F),
                  ("Priority", I), ("Relative Score", I), ("Relative Urgency", I)), 5),
    ActivityType(23, "Change Owner", "Change owner of a person", None, (("New Owner", S),), 0),
    ActivityType(24, "Add to List", "Add person to a list", ("List ID", I), (("Source", S),), 4),
    ActivityType(25, "Remove from List", "Remove person from a list", ("List ID", I), (("Source", S),), 1),
    ActivityType(27, "Email Bounced Soft", "Marketo Email soft bounces", ("Mailing ID", I),
                 MAIL + (("Category", S), ("Details", S), ("Email", S), ("Subcategory", S)), 0),
    ActivityType(32, "Merge Leads", "Merge two or more persons", ("Lead ID", I),
                 (("Merge IDs", S), ("Merge Source", S), ("Master Updated", B), ("Merged in Sales", B)), 0),
    ActivityType(34, "Add to Opportunity", "Add person to an opportunity", ("Opportunity ID", I),
                 (("Is Primary", B), ("Role", S)), 0),
    ActivityType(37, "Delete Lead", "Delete a person", ("Lead ID", I), (), 0),
    ActivityType(46, "Interesting Moment", "Interesting moment for a person", ("Marketo Asset Name", S),
                 (("Date", DT), ("Description", S), ("Source", S)), 2),
    ActivityType(101, "Change Revenue Stage", "Change revenue stage of a person", ("Model ID", I),
                 (("New Stage ID", I), ("New Stage", S), ("Old Stage ID", I), ("Old Stage", S), ("Reason", S)), 0),
    ActivityType(104, "Change Status in Progression", "Change program status of a person", ("Program ID", I),
                 (("Acquired By", B), ("New Status ID", I), ("New Status", S), ("Old Status ID", I),
                  ("Old Status", S), ("Program Member ID", I), ("Reason", S), ("Success", B)), 3),
    ActivityType(110, "Call Webhook", "Call a webhook", ("Webhook ID", I), (("Error Type", I), ("Response", T)), 0),
    ActivityType(113, "Add to Nurture", "Add person to a nurture program", ("Program ID", I),
                 (("Track ID", I), ("Track Name", S)), 0),
    ActivityType(114, "Change Nurture Track", "Change nurture track of a person", ("Program ID", I),
                 (("New Track ID", I), ("New Track Name", S), ("Previous Track ID", I), ("Previous Track Name", S)), 0),
    ActivityType(115, "Change Nurture Cadence", "Change nurture cadence of a person", ("Program ID", I),
                 (("New Nurture Cadence", S), ("Previous Nurture Cadence", S)), 0),
    ActivityType(100001, "Watched Webinar Recording", "Custom activity: person watched a webinar recording",
                 ("Webinar ID", I), (("Watched Minutes", I), ("Recording Title", S)), 2,
                 api_name="watchedWebinarRecording_c"),
]

BY_ID = {item.id: item for item in ACTIVITY_TYPES}
GENERATED = [item for item in ACTIVITY_TYPES if item.weight > 0]
DELETE_LEAD, MERGE_LEADS, NEW_LEAD, CHANGE_DATA_VALUE = 37, 32, 12, 13
# Bulk activity export fields (marketo-api.md §6.2): the default columns in documented order.
DEFAULT_EXPORT_FIELDS = ["marketoGUID", "leadId", "activityDate", "activityTypeId", "campaignId",
                         "primaryAttributeValueId", "primaryAttributeValue", "attributes"]
OPTIONAL_EXPORT_FIELDS = ["actionResult"]


def types_result() -> list[dict]:
    return [item.describe() for item in ACTIVITY_TYPES]


def weighted_table() -> list[int]:
    """256 entries of type ids in proportion to their weights: one byte picks a type."""
    total = sum(item.weight for item in GENERATED)
    table: list[int] = []
    for item in GENERATED:
        table += [item.id] * round(256 * item.weight / total)
    while len(table) < 256:
        table.append(GENERATED[0].id)
    return table[:256]
