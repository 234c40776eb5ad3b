"""Bulk export jobs: state machine, progression policies, status refresh, 2 processing / 10 queued,
export megabytes, visibility, validation (one filter, 31 days, fields, 1035), job outcome faults."""
from __future__ import annotations

import pytest

from integration_tests.marketo_emulator import FaultRule
from integration_tests.marketo_emulator.state import OTHER_CLIENT

from .helpers import ApiClient, lead_window


def _lead_body(emulator, **filters):
    return {"fields": ["id", "email", "updatedAt"], "format": "CSV", "filter": filters or {"createdAt": lead_window(emulator)}}


def _create_enqueue(client, emulator, kind="leads", body=None):
    body = body or (_lead_body(emulator) if kind == "leads" else {"filter": {"createdAt": lead_window(emulator)}})
    export_id = client.create_job(kind, body)["result"][0]["exportId"]
    return export_id, client.job_call(kind, export_id, "enqueue")


def test_immediate_job_walks_created_queued_completed(marketo_emulator):
    client = ApiClient(marketo_emulator)
    created = client.create_job("leads", _lead_body(marketo_emulator))["result"][0]
    assert created["status"] == "Created" and set(created) == {"exportId", "format", "status", "createdAt"}
    queued = client.job_call("leads", created["exportId"], "enqueue")["result"][0]
    assert queued["status"] == "Queued" and "queuedAt" in queued
    done = client.job_call("leads", created["exportId"], "status")["result"][0]
    assert done["status"] == "Completed"
    assert done["fileChecksum"].startswith("sha256:") and done["numberOfRecords"] > 0 and done["fileSize"] > 0
    job = marketo_emulator.jobs[0]
    assert [t["status"] for t in job["timeline"]] == ["Created", "Queued", "Processing", "Completed"]


def test_polls_policy_completes_on_the_nth_poll(marketo_emulator_factory):
    emulator = marketo_emulator_factory(job_progression="polls:3")
    client = ApiClient(emulator)
    export_id, _ = _create_enqueue(client, emulator)
    seen = [client.job_call("leads", export_id, "status")["result"][0]["status"] for _ in range(3)]
    assert seen == ["Processing", "Processing", "Completed"]


def test_seconds_policy_and_status_refresh_interval(marketo_emulator_factory):
    emulator = marketo_emulator_factory(job_progression="seconds:30", status_refresh_seconds=60)
    client = ApiClient(emulator)
    export_id, _ = _create_enqueue(client, emulator)
    status = lambda: client.job_call("leads", export_id, "status")["result"][0]["status"]  # noqa: E731
    assert status() == "Queued"  # the enqueue showed Queued less than 60 s ago
    emulator.clock.advance(45)
    assert status() == "Queued"
    emulator.clock.advance(20)
    assert status() == "Completed"  # refreshed at +65 s; the job completed at +30 s
    job = emulator.jobs[0]
    assert job["finishedAt"] > job["startedAt"]


def test_at_most_two_processing_and_ten_queued(marketo_emulator_factory):
    emulator = marketo_emulator_factory(job_progression="seconds:60")
    client = ApiClient(emulator)
    ids = [_create_enqueue(client, emulator)[0] for _ in range(10)]
    eleventh = client.create_job("leads", _lead_body(emulator))["result"][0]["exportId"]
    body = client.job_call("leads", eleventh, "enqueue")
    assert body["errors"][0] == {"code": "1029", "message": "Too many jobs in queue"}
    statuses = [client.job_call("leads", i, "status")["result"][0]["status"] for i in ids]
    assert statuses.count("Processing") == 2 and statuses.count("Queued") == 8
    again = client.job_call("leads", ids[0], "enqueue")
    assert again["errors"][0] == {"code": "1029", "message": "Job already queued"}
    emulator.clock.advance(60 * 5)  # five rounds of two
    statuses = [client.job_call("leads", i, "status")["result"][0]["status"] for i in ids]
    assert statuses == ["Completed"] * 10
    jobs = sorted((j for j in emulator.jobs if j["startedAt"]), key=lambda j: (j["startedAt"], j["queuedAt"]))
    assert emulator.usage["peak_processing_jobs"] == 2 and emulator.usage["peak_queued_jobs"] == 10
    assert jobs[2]["startedAt"] == jobs[0]["finishedAt"]  # queued jobs start as a slot frees up


def test_other_users_jobs_share_the_queue_and_are_invisible(marketo_emulator):
    assert marketo_emulator.occupy_queue(9) == 9
    client = ApiClient(marketo_emulator)
    mine, _ = _create_enqueue(client, marketo_emulator)
    assert client.job_call("leads", mine, "status")["result"][0]["status"] == "Queued"  # both slots are taken
    other = next(j for j in marketo_emulator.jobs if j["clientId"] == OTHER_CLIENT)
    assert client.job_call("leads", other["exportId"], "status")["errors"][0]["code"] == "1003"
    listed = client.get_json("/bulk/v1/leads/export.json")["result"]
    assert [j["exportId"] for j in listed] == [mine]
    blocked = client.create_job("leads", _lead_body(marketo_emulator))["result"][0]["exportId"]
    assert client.job_call("leads", blocked, "enqueue")["errors"][0]["message"] == "Too many jobs in queue"
    marketo_emulator.release_queue()
    assert client.job_call("leads", mine, "status")["result"][0]["status"] == "Completed"


def test_export_megabytes_quota_blocks_create_and_enqueue_until_chicago_midnight(marketo_emulator_factory):
    emulator = marketo_emulator_factory(daily_export_mb=1)
    client = ApiClient(emulator)
    pending = client.create_job("leads", _lead_body(emulator))["result"][0]["exportId"]
    emulator.consume_export_mb(1)
    message = {"code": "1029", "message": "Export daily quota 1MB exceeded."}
    assert client.create_job("leads", _lead_body(emulator))["errors"][0] == message
    assert client.job_call("leads", pending, "enqueue")["errors"][0] == message
    from integration_tests.marketo_emulator.clock import next_chicago_midnight

    emulator.clock.set(next_chicago_midnight(emulator.clock.now()))
    client.authenticate()
    assert client.create_job("leads", _lead_body(emulator))["success"] is True


def test_completed_files_are_metered_on_file_size(marketo_emulator):
    client = ApiClient(marketo_emulator)
    status, content = client.run_job("leads", _lead_body(marketo_emulator))
    assert marketo_emulator.usage["export_bytes_today"] == status["fileSize"] == len(content)


def test_cancel(marketo_emulator_factory):
    emulator = marketo_emulator_factory(job_progression="seconds:60")
    client = ApiClient(emulator)
    export_id, _ = _create_enqueue(client, emulator)
    assert client.job_call("leads", export_id, "cancel")["result"][0]["status"] == "Cancelled"
    assert client.job_call("leads", export_id, "status")["result"][0]["status"] == "Cancelled"
    assert client.job_call("leads", export_id, "cancel")["success"] is False
    assert client.get(f"/bulk/v1/leads/export/{export_id}/file.json").status_code == 404


@pytest.mark.parametrize("outcome", ["Failed", "Cancelled"])
def test_job_outcome_faults(marketo_emulator, outcome):
    marketo_emulator.faults.add(FaultRule(endpoint="/bulk/v1/leads/export/create.json", job_outcome=outcome,
                                          job_error_msg="Internal error while exporting", times=1))
    client = ApiClient(marketo_emulator)
    status, content = client.run_job("leads", _lead_body(marketo_emulator))
    assert status["status"] == outcome and content == b""
    if outcome == "Failed":
        assert status["errorMsg"] == "Internal error while exporting" and "finishedAt" in status
    assert client.run_job("leads", _lead_body(marketo_emulator))[0]["status"] == "Completed"


def test_job_list_filters_by_status_and_forgets_after_seven_days(marketo_emulator):
    client = ApiClient(marketo_emulator)
    client.run_job("leads", _lead_body(marketo_emulator))
    client.create_job("leads", _lead_body(marketo_emulator))
    assert [j["status"] for j in client.get_json("/bulk/v1/leads/export.json", {"status": "completed"})["result"]] == ["Completed"]
    assert len(client.get_json("/bulk/v1/leads/export.json", {"status": "Created,Completed"})["result"]) == 2
    assert client.get_json("/bulk/v1/activities/export.json")["result"] == []
    marketo_emulator.clock.advance(8 * 86400)
    client.authenticate()
    assert client.get_json("/bulk/v1/leads/export.json")["result"] == []


def _create_error(client, kind, body):
    return client.create_job(kind, body)["errors"][0]


def test_lead_export_validation(marketo_emulator_factory):
    emulator = marketo_emulator_factory()
    client = ApiClient(emulator)
    window = lead_window(emulator)
    assert _create_error(client, "leads", {"fields": ["id"], "filter": {}})["code"] == "1003"
    assert _create_error(client, "leads", {"fields": ["id"], "filter": {"createdAt": window, "updatedAt": window}})["code"] == "1003"
    assert _create_error(client, "leads", {"fields": ["id", "nope"], "filter": {"createdAt": window}})["code"] == "1003"
    assert _create_error(client, "leads", {"fields": ["fullNameFormula"], "filter": {"createdAt": window}})["code"] == "1003"
    long = {"startAt": "2024-01-01T00:00:00Z", "endAt": "2024-02-02T00:00:00Z"}
    assert _create_error(client, "leads", {"fields": ["id"], "filter": {"createdAt": long}})["code"] == "1003"
    millis = {"startAt": "2024-01-01T00:00:00.000Z", "endAt": "2024-01-02T00:00:00Z"}
    assert _create_error(client, "leads", {"fields": ["id"], "filter": {"createdAt": millis}})["code"] == "1003"
    list_name = emulator.truth.assets("staticLists")[0]["name"]
    assert client.create_job("leads", {"fields": ["id"], "filter": {"staticListName": list_name}})["success"]
    no_corona = marketo_emulator_factory(updated_at_filter=False)
    other = ApiClient(no_corona)
    for key, value in (("updatedAt", window), ("smartListId", 3001)):
        error = _create_error(other, "leads", {"fields": ["id"], "filter": {key: value}})
        assert error == {"code": "1035", "message": "Unsupported filter type for target subscription"}
    assert other.create_job("leads", {"fields": ["id"], "filter": {"createdAt": window}})["success"]


def test_activity_export_validation(marketo_emulator):
    client = ApiClient(marketo_emulator)
    window = lead_window(marketo_emulator)
    assert _create_error(client, "activities", {"filter": {"activityTypeIds": [1]}})["code"] == "1003"
    assert _create_error(client, "activities", {"filter": {"createdAt": window, "activityTypeIds": [37]}})["code"] == "1003"
    assert _create_error(client, "activities", {"fields": ["bogus"], "filter": {"createdAt": window}})["code"] == "1003"
    assert _create_error(client, "activities", {"filter": {"createdAt": window, "activityTypeIds": [4]}})["code"] == "1003"
    many = [1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 22, 24, 25, 46, 104]  # no 10-type cap in bulk
    assert client.create_job("activities", {"filter": {"createdAt": window, "activityTypeIds": many}})["success"] is True


def test_activity_type_list_cap_is_a_what_if_switch(marketo_emulator_factory):
    capped = marketo_emulator_factory(max_bulk_activity_types=4)
    client = ApiClient(capped)
    window = lead_window(capped)
    error = _create_error(client, "activities", {"filter": {"createdAt": window, "activityTypeIds": [1, 2, 6, 7, 12]}})
    assert error["code"] == "1003" and "at most 4" in error["message"]
    assert client.create_job("activities", {"filter": {"createdAt": window, "activityTypeIds": [1, 2, 6, 7]}})["success"] is True
    assert client.create_job("activities", {"filter": {"createdAt": window}})["success"] is True  # no list: every type


def test_unknown_export_id(marketo_emulator):
    client = ApiClient(marketo_emulator)
    assert client.job_call("leads", "00000000-0000-0000-0000-000000000000", "status")["errors"][0]["code"] == "1003"


def test_rows_policy_takes_time_proportional_to_rows(marketo_emulator_factory):

    emulator = marketo_emulator_factory(job_progression="rows:10")
    client = ApiClient(emulator)
    export_id, _ = _create_enqueue(client, emulator)
    status = lambda: client.job_call("leads", export_id, "status")["result"][0]  # noqa: E731
    assert status()["status"] == "Processing"
    job = emulator.state.jobs.jobs[export_id]
    assert job.done.wait(5)  # the file is written in the background
    rows = job.result.records
    emulator.clock.advance(rows / 10 - 1)
    assert status()["status"] == "Processing"
    emulator.clock.advance(1)
    done = status()
    assert done["status"] == "Completed" and done["numberOfRecords"] == rows
    described = emulator.jobs[0]
    assert described["records"] == rows and described["bytes"] == done["fileSize"] and described["polls"] == 3
