"""Conformance with a real client nobody here wrote: marketorestpython (PyPI) drives the emulator.

Where the client and Marketo's documentation disagree, the documentation wins; notes below.
marketorestpython rate-limits itself to 5 calls/s, so this module makes few calls.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

marketorestpython = pytest.importorskip("marketorestpython.client")


@pytest.fixture
def mc(marketo_emulator):
    client = marketorestpython.MarketoClient("123-ABC-456", marketo_emulator.client_id, marketo_emulator.client_secret)
    client.host = marketo_emulator.base_url  # the client derives a cloud URL from the munchkin id; point it here
    return client


def test_authenticate_and_describe(mc, marketo_emulator):
    fields = mc.execute(method="describe")
    assert mc.token and mc.scope == marketo_emulator.options.api_user and 0 < mc.expires_in <= 3599
    assert {f["rest"]["name"] for f in fields if "rest" in f} >= {"id", "email", "createdAt", "updatedAt"}


def test_leads_by_filter_uses_post_method_get(mc, marketo_emulator):
    leads = mc.execute(method="get_multiple_leads_by_filter_type", filterType="id", filterValues=["1", "2", "3"],
                       fields=["id", "email", "firstName"])
    assert [lead["id"] for lead in leads] == [1, 2, 3]
    assert leads[0]["email"] == marketo_emulator.truth.lead(1)["email"]
    call = marketo_emulator.journal.calls("/rest/v1/leads.json")[-1]
    assert call.method == "POST"  # sent as POST ..., _method=GET in the form body


def test_paginate_activities(mc, marketo_emulator):
    since = (marketo_emulator.clock.now() - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    activities = mc.execute(method="get_lead_activities", activityTypeIds=["1", "12"], sinceDatetime=since, batchSize=300)
    assert activities == marketo_emulator.truth.activities(type_ids=[1, 12], since=since)
    deleted = mc.execute(method="get_deleted_leads", sinceDatetime=since)
    assert {a["leadId"] for a in deleted} <= {d["id"] for d in marketo_emulator.truth.deleted_leads()}


def test_browse_assets(mc, marketo_emulator):
    emails = mc.execute(method="get_emails", maxReturn=200)
    assert emails == marketo_emulator.truth.assets("emails")
    pages = mc.execute(method="get_landing_pages", maxReturn=200)
    assert pages == marketo_emulator.truth.assets("landingPages")
    programs = [p for page in mc.execute(method="get_programs_yield", maxReturn=200) for p in page]
    assert programs == marketo_emulator.truth.assets("programs")
    segmentations = mc.execute(method="get_segmentations")
    assert segmentations == marketo_emulator.truth.assets("segmentation")
    # Note: the client's get_segments asks for maxReturn=200 and takes one page; fine for our counts.
    segments = mc.execute(method="get_segments", id=segmentations[0]["id"])
    assert all(s["segmentationId"] == segmentations[0]["id"] for s in segments)


def test_bulk_export_create_enqueue_status_file(mc, marketo_emulator):
    now = marketo_emulator.clock.now().replace(microsecond=0)
    window = {"startAt": (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"), "endAt": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    job = mc.execute(method="create_leads_export_job", fields=["id", "email"], filters={"createdAt": window})[0]
    assert job["status"] == "Created"
    assert mc.execute(method="enqueue_leads_export_job", job_id=job["exportId"])[0]["status"] == "Queued"
    status = mc.execute(method="get_leads_export_job_status", job_id=job["exportId"])[0]
    assert status["status"] == "Completed"
    content = mc.execute(method="get_leads_export_job_file", job_id=job["exportId"])
    assert content.decode().startswith("id,email\n")
    assert len(content) == status["fileSize"]
    listed = mc.execute(method="get_leads_export_jobs_list")
    assert [j["exportId"] for j in listed] == [job["exportId"]]
    usage = mc.execute(method="get_daily_usage")
    assert usage[0]["total"] == marketo_emulator.usage["calls_today"] - 1


# -- the later endpoints: assets, program members, custom objects, companies and opportunities ---------

def test_browse_later_asset_kinds(mc, marketo_emulator):
    truth = marketo_emulator.truth
    assert mc.execute(method="get_forms", maxReturn=200) == truth.assets("forms")
    assert mc.execute(method="get_email_templates", maxReturn=200) == truth.assets("emailTemplates")
    assert mc.execute(method="get_snippets", maxReturn=200) == truth.assets("snippets")
    assert mc.execute(method="get_channels", maxReturn=200) == truth.assets("channels")
    assert mc.execute(method="get_tags", maxReturn=200) == truth.assets("tagTypes")
    assert mc.execute(method="get_tag_by_name", name="Region")[0]["allowableValues"].startswith("[")
    assert mc.execute(method="get_channel_by_name", name="Webinar")[0]["name"] == "Webinar"
    form = truth.assets("forms")[0]
    assert mc.execute(method="get_form_fields", id=form["id"]) == truth.form_fields(form["id"])
    program = truth.assets("programs")[0]
    assert mc.execute(method="get_program_by_id", id=program["id"]) == [truth.program(program["id"])]


def test_folders(mc, marketo_emulator):
    folders = marketo_emulator.truth.assets("folders")
    # Note: the client sends root=None (dropped) and pages with maxReturn until a short page.
    assert mc.execute(method="browse_folders", maxDepth=99, maxReturn=200) == folders
    assert mc.execute(method="get_folder_by_id", id=41, type="Folder")[0]["name"] == "Active Marketing Programs"
    assert [f["id"] for f in mc.execute(method="get_folder_by_name", name="Design Studio")] == [2]


def test_program_members(mc, marketo_emulator):
    described = mc.execute(method="describe_program_member")
    assert described[0]["name"] == "API Program Membership"
    program_id = marketo_emulator.truth.assets("programs")[0]["id"]
    members = marketo_emulator.truth.program_members(program_id)
    leads = mc.execute(method="get_multiple_leads_by_program_id", programId=program_id, fields=["id", "email"])
    assert [lead["id"] for lead in leads] == [m["leadId"] for m in members]
    job = mc.execute(method="create_program_members_export_job", fields=["leadId", "statusName"],
                     filters={"programId": program_id})[0]
    mc.execute(method="enqueue_program_members_export_job", job_id=job["exportId"])
    status = mc.execute(method="get_program_members_export_job_status", job_id=job["exportId"])[0]
    assert status["status"] == "Completed" and status["numberOfRecords"] == len(members)
    content = mc.execute(method="get_program_members_export_job_file", job_id=job["exportId"]).decode()
    assert content.split("\n")[1] == f"{members[0]['leadId']},{members[0]['statusName']}"


def test_custom_objects(mc, marketo_emulator):
    assert [o["name"] for o in mc.execute(method="get_list_of_custom_objects")] == ["car_c", "subscription_c", "purchase_c"]
    assert mc.execute(method="describe_custom_object", name="car_c")[0]["dedupeFields"] == ["vin"]
    purchase = marketo_emulator.truth.custom_objects("purchase_c")[0]
    # The client always sends a JSON body (POST, _method=GET) with `input` objects: the compound-key form.
    found = mc.execute(method="get_custom_objects", name="purchase_c", filterType="dedupeFields",
                       input=[{"orderNumber": purchase["orderNumber"], "sku": purchase["sku"]}], fields=["marketoGUID", "quantity"])
    assert [(r["marketoGUID"], r["quantity"]) for r in found] == [(purchase["marketoGUID"], purchase["quantity"])]
    now = marketo_emulator.clock.now().replace(microsecond=0)
    window = {"startAt": (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"), "endAt": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
    job = mc.execute(method="create_custom_objects_export_job", object_name="car_c", fields=["marketoGUID", "leadId"],
                     filters={"updatedAt": window})[0]
    mc.execute(method="enqueue_custom_objects_export_job", object_name="car_c", job_id=job["exportId"])
    assert mc.execute(method="get_custom_objects_export_job_status", object_name="car_c", job_id=job["exportId"])[0]["status"] == "Completed"
    assert [j["exportId"] for j in mc.execute(method="get_custom_objects_export_jobs_list", object_name="car_c")] == [job["exportId"]]


def test_companies_and_opportunities(mc, marketo_emulator):
    assert mc.execute(method="describe_company")[0]["idField"] == "id"
    companies = mc.execute(method="get_companies", filterType="id", filterValues=["1", "2"])
    assert [c["id"] for c in companies] == [1, 2]
    role = marketo_emulator.truth.opportunity_roles()[0]
    roles = mc.execute(method="get_opportunity_roles", filterType="leadId", filterValues=[str(role["leadId"])])
    assert role["marketoGUID"] in {r["marketoGUID"] for r in roles}
    opportunities = mc.execute(method="get_opportunities", filterType="externalOpportunityId",
                               filterValues=[role["externalOpportunityId"]])
    assert [o["externalOpportunityId"] for o in opportunities] == [role["externalOpportunityId"]]
