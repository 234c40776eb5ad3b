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
    client.host = marketo_emulator.base_url  # the client builds https://<munchkin>.mktorest.com; point it here
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
