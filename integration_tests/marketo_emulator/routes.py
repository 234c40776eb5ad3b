"""The routing table: (methods, endpoint template) -> handler. Nothing else.

Templates are what the journal records (`/bulk/v1/leads/export/{exportId}/status.json`), so tests
can count calls per endpoint whatever the ids were.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from .handlers import activities, assets, bulk, crm, customobjects, identity, leads, programmembers, stats


@dataclass(frozen=True)
class Route:
    methods: tuple[str, ...]
    template: str
    handler: Callable
    group: str  # identity | leaddb | asset | bulk
    regex: re.Pattern


def _route(methods: str, template: str, handler: Callable, group: str) -> Route:
    pattern = re.escape(template)
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
    return Route(tuple(methods.split("|")), template, handler, group, re.compile(f"^{pattern}$"))


def _bulk_routes(kind: str) -> list[Route]:
    base = f"/bulk/v1/{kind}/export"
    return [
        _route("POST", f"{base}/create.json", bulk.create, "bulk"),
        _route("POST", base + "/{exportId}/enqueue.json", bulk.enqueue, "bulk"),
        _route("GET", base + "/{exportId}/status.json", bulk.status, "bulk"),
        _route("GET", base + "/{exportId}/file.json", bulk.file, "bulk"),
        _route("POST", base + "/{exportId}/cancel.json", bulk.cancel, "bulk"),
        _route("GET", f"{base}.json", bulk.listing, "bulk"),
    ]


ROUTES: list[Route] = [
    _route("GET|POST", "/identity/oauth/token", identity.token, "identity"),
    _route("GET", "/rest/v1/leads/describe.json", leads.describe, "leaddb"),
    _route("GET", "/rest/v1/leads/describe2.json", leads.describe2, "leaddb"),
    _route("GET", "/rest/v1/leads/partitions.json", leads.partitions, "leaddb"),
    _route("GET", "/rest/v1/leads.json", leads.by_filter, "leaddb"),
    _route("GET", "/rest/v1/lead/{leadId}.json", leads.by_id, "leaddb"),
    _route("GET", "/rest/v1/lists.json", leads.lists, "leaddb"),
    _route("GET", "/rest/v1/lists/{listId}.json", leads.list_by_id, "leaddb"),
    _route("GET", "/rest/v1/lists/{listId}/leads.json", leads.list_members, "leaddb"),
    _route("GET", "/rest/v1/lists/{listId}/leads/ismember.json", leads.is_member, "leaddb"),
    _route("GET", "/rest/v1/campaigns.json", leads.campaigns, "leaddb"),
    _route("GET", "/rest/v1/campaigns/{campaignId}.json", leads.campaign_by_id, "leaddb"),
    _route("GET", "/rest/v1/programs/members/describe.json", programmembers.describe, "leaddb"),
    _route("GET", "/rest/v1/program/members/describe.json", programmembers.describe, "leaddb"),
    _route("GET", "/rest/v1/programs/{programId}/members.json", programmembers.members, "leaddb"),
    _route("GET", "/rest/v1/leads/programs/{programId}.json", programmembers.leads_of_program, "leaddb"),
    _route("GET", "/rest/v1/customobjects.json", customobjects.listing, "leaddb"),
    _route("GET", "/rest/v1/customobjects/schema.json", customobjects.schema_listing, "leaddb"),
    _route("GET", "/rest/v1/customobjects/schema/{apiName}/describe.json", customobjects.schema_describe, "leaddb"),
    _route("GET", "/rest/v1/customobjects/{apiName}/describe.json", customobjects.describe, "leaddb"),
    _route("GET", "/rest/v1/customobjects/{apiName}.json", customobjects.records, "leaddb"),
    _route("GET", "/rest/v1/companies/describe.json", crm.describe("companies"), "leaddb"),
    _route("GET", "/rest/v1/companies.json", crm.query("companies"), "leaddb"),
    _route("GET", "/rest/v1/opportunities/describe.json", crm.describe("opportunities"), "leaddb"),
    _route("GET", "/rest/v1/opportunities.json", crm.query("opportunities"), "leaddb"),
    _route("GET", "/rest/v1/opportunities/roles/describe.json", crm.describe("roles"), "leaddb"),
    _route("GET", "/rest/v1/opportunities/roles.json", crm.query("roles"), "leaddb"),
    _route("GET", "/rest/v1/activities/types.json", activities.types, "leaddb"),
    _route("GET", "/rest/v1/activities/pagingtoken.json", activities.paging_token, "leaddb"),
    _route("GET", "/rest/v1/activities.json", activities.activities, "leaddb"),
    _route("GET", "/rest/v1/activities/deletedleads.json", activities.deleted_leads, "leaddb"),
    _route("GET", "/rest/v1/activities/leadchanges.json", activities.lead_changes, "leaddb"),
    _route("GET", "/rest/v1/stats/usage.json", stats.usage_today, "leaddb"),
    _route("GET", "/rest/v1/stats/usage/last7days.json", stats.usage_week, "leaddb"),
    _route("GET", "/rest/v1/stats/errors.json", stats.errors_today, "leaddb"),
    _route("GET", "/rest/v1/stats/errors/last7days.json", stats.errors_week, "leaddb"),
    _route("GET", "/rest/asset/v1/programs.json", assets.browse("programs"), "asset"),
    _route("GET", "/rest/asset/v1/program/{id}.json", assets.program_by_id, "asset"),
    _route("GET", "/rest/asset/v1/emails.json", assets.browse("emails"), "asset"),
    _route("GET", "/rest/asset/v1/email/{id}.json", assets.by_id("emails"), "asset"),
    _route("GET", "/rest/asset/v1/landingPages.json", assets.browse("landingPages"), "asset"),
    _route("GET", "/rest/asset/v1/landingPage/{id}.json", assets.by_id("landingPages"), "asset"),
    _route("GET", "/rest/asset/v1/segmentation.json", assets.segmentations, "asset"),
    _route("GET", "/rest/asset/v1/segmentation/{id}/segments.json", assets.segments, "asset"),
    _route("GET", "/rest/asset/v1/smartCampaigns.json", assets.browse("smartCampaigns"), "asset"),
    _route("GET", "/rest/asset/v1/smartCampaign/{id}.json", assets.by_id("smartCampaigns"), "asset"),
    _route("GET", "/rest/asset/v1/staticLists.json", assets.browse("staticLists"), "asset"),
    _route("GET", "/rest/asset/v1/staticList/{id}.json", assets.by_id("staticLists"), "asset"),
    _route("GET", "/rest/asset/v1/smartLists.json", assets.browse("smartLists"), "asset"),
    _route("GET", "/rest/asset/v1/smartList/{id}.json", assets.by_id("smartLists"), "asset"),
    _route("GET", "/rest/asset/v1/folder/{id}/tokens.json", assets.tokens, "asset"),
    _route("GET", "/rest/asset/v1/forms.json", assets.browse("forms"), "asset"),
    _route("GET", "/rest/asset/v1/form/{id}.json", assets.by_id("forms"), "asset"),
    _route("GET", "/rest/asset/v1/form/{id}/fields.json", assets.form_fields, "asset"),
    _route("GET", "/rest/asset/v1/emailTemplates.json", assets.browse("emailTemplates"), "asset"),
    _route("GET", "/rest/asset/v1/emailTemplate/{id}.json", assets.by_id("emailTemplates"), "asset"),
    _route("GET", "/rest/asset/v1/snippets.json", assets.browse("snippets"), "asset"),
    _route("GET", "/rest/asset/v1/snippet/{id}.json", assets.by_id("snippets"), "asset"),
    _route("GET", "/rest/asset/v1/channels.json", assets.browse("channels"), "asset"),
    _route("GET", "/rest/asset/v1/channel/byName.json", assets.channel_by_name, "asset"),
    _route("GET", "/rest/asset/v1/tagTypes.json", assets.browse("tagTypes"), "asset"),
    _route("GET", "/rest/asset/v1/tagType/byName.json", assets.tag_type_by_name, "asset"),
    _route("GET", "/rest/asset/v1/folders.json", assets.folders, "asset"),
    _route("GET", "/rest/asset/v1/folder/byName.json", assets.folder_by_name, "asset"),  # before folder/{id}.json
    _route("GET", "/rest/asset/v1/folder/{id}.json", assets.folder_by_id, "asset"),
] + _bulk_routes("leads") + _bulk_routes("activities") + _bulk_routes("program/members") \
    + _bulk_routes("customobjects/{apiName}")


def match(path: str, method: str):
    """(route, path params) for a path, or (None, {}) when unknown. A route with another method
    is returned too, so the caller can answer 605."""
    found = None
    for route in ROUTES:
        hit = route.regex.match(path)
        if hit:
            if method in route.methods:
                return route, hit.groupdict()
            found = found or (route, hit.groupdict())
    return found or (None, {})


def group_of(path: str) -> str:
    if path.startswith("/rest/asset/"):
        return "asset"
    if path.startswith("/bulk/"):
        return "bulk"
    return "leaddb"
