"""Bulk files: CSV that round-trips through Python's csv module (null literals, RFC 4180 quoting,
U+2028, hostile content), the activity columns and JSON attributes, Range/206, checksums, 404s."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta

from integration_tests.marketo_emulator.fields import REST_FIELDS

from .helpers import ApiClient, lead_window

EXPORTABLE = [f.rest for f in REST_FIELDS if f.data_type != "formula"]
ACTIVITY_COLUMNS = ["marketoGUID", "leadId", "activityDate", "activityTypeId", "campaignId", "primaryAttributeValueId",
                    "primaryAttributeValue", "attributes"]


def rendered(value) -> str:
    """How a typed REST value appears in a bulk CSV (marketo-api.md §7.3)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parse(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))


def _export_all_leads(client, emulator, fields):
    window = {"startAt": "2000-01-01T00:00:00Z", "endAt": "2000-01-31T00:00:00Z"}
    rows, start = [], emulator.clock.now() - timedelta(days=emulator.options.history_days + 20)
    while start < emulator.clock.now():
        end = start + timedelta(days=30)
        window = {"startAt": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "endAt": (end - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
        status, content = client.run_job("leads", {"fields": fields, "filter": {"createdAt": window}})
        table = parse(content)
        assert table[0] == fields and status["numberOfRecords"] == len(table) - 1
        rows += table[1:]
        start = end
    return rows


def test_lead_csv_round_trips_to_truth(marketo_emulator):
    client = ApiClient(marketo_emulator)
    rows = _export_all_leads(client, marketo_emulator, EXPORTABLE)
    truth = marketo_emulator.truth.leads()
    assert rows == [[rendered(lead[name]) for name in EXPORTABLE] for lead in truth]
    text = "\n".join(",".join(r) for r in rows)
    assert "\u2028" in text and "\n" in "".join(r[EXPORTABLE.index("address")] for r in rows)


def test_hostile_content_round_trips(marketo_emulator_factory):
    emulator = marketo_emulator_factory(hostile=True, leads=300)
    client = ApiClient(emulator)
    rows = _export_all_leads(client, emulator, ["id", "firstName", "lastName", "company", "favoriteQuote", "title"])
    truth = emulator.truth.leads()
    assert rows == [[rendered(l[n]) for n in ("id", "firstName", "lastName", "company", "favoriteQuote", "title")] for l in truth]
    joined = "".join("".join(r) for r in rows)
    assert "\x00" in joined and "\r" in joined and "\u202e" in joined


def test_header_names_format_and_column_order(marketo_emulator):
    client = ApiClient(marketo_emulator)
    body = {"fields": ["lastName", "id", "email"], "format": "TSV", "columnHeaderNames": {"lastName": "Last Name"},
            "filter": {"createdAt": lead_window(marketo_emulator)}}
    status, content = client.run_job("leads", body)
    assert content.decode().split("\n")[0] == "Last Name\tid\temail"
    assert status["format"] == "TSV"


def test_activity_csv_has_default_columns_and_json_attributes(marketo_emulator):
    client = ApiClient(marketo_emulator)
    window = lead_window(marketo_emulator, days=20)
    status, content = client.run_job("activities", {"filter": {"createdAt": window, "activityTypeIds": [2, 6, 12, 13]}})
    table = parse(content)
    assert table[0] == ACTIVITY_COLUMNS
    truth = marketo_emulator.truth.activities(type_ids=[2, 6, 12, 13], since=window["startAt"], until=window["endAt"])
    assert len(table) - 1 == len(truth) == status["numberOfRecords"] > 0
    for row, activity in zip(table[1:], truth):
        assert row[0] == activity["marketoGUID"] and row[1] == str(activity["leadId"])
        assert row[4] == rendered(activity.get("campaignId"))
        assert json.loads(row[7]) == {a["name"]: a["value"] for a in activity["attributes"]}
    assert any(r[6] == "null" for r in table[1:] if r[3] == "12")  # New Lead has no primary attribute value


def test_range_requests_and_checksum(marketo_emulator):
    client = ApiClient(marketo_emulator)
    status, full = client.run_job("leads", {"fields": EXPORTABLE, "filter": {"createdAt": lead_window(marketo_emulator)}})
    assert status["fileChecksum"] == "sha256:" + hashlib.sha256(full).hexdigest()
    url = f"/bulk/v1/leads/export/{status['exportId']}/file.json"
    size = len(full)
    first = client.get(url, headers={"Range": "bytes=0-9"})
    assert first.status_code == 206 and first.content == full[:10]
    assert first.headers["Content-Range"] == f"bytes 0-9/{size}" and first.headers["Accept-Ranges"] == "bytes"
    rest = client.get(url, headers={"Range": "bytes=10-"})
    assert rest.status_code == 206 and first.content + rest.content == full
    tail = client.get(url, headers={"Range": "bytes=-5"})
    assert tail.content == full[-5:]
    assert client.get(url, headers={"Range": f"bytes={size}-"}).status_code == 416
    assert "gzip" not in client.get(url, headers={"Accept-Encoding": "gzip"}).headers.get("Content-Encoding", "")


def test_file_is_404_plain_text_before_completion_and_after_retention(marketo_emulator_factory):
    emulator = marketo_emulator_factory(job_progression="seconds:30")
    client = ApiClient(emulator)
    export_id = client.create_job("leads", {"fields": ["id"], "filter": {"createdAt": lead_window(emulator)}})["result"][0]["exportId"]
    url = f"/bulk/v1/leads/export/{export_id}/file.json"
    early = client.get(url)
    assert early.status_code == 404 and early.headers["Content-Type"].startswith("text/plain")
    client.job_call("leads", export_id, "enqueue")
    assert client.get(url).status_code == 404
    emulator.clock.advance(31)
    assert client.job_call("leads", export_id, "status")["result"][0]["status"] == "Completed"
    assert client.get(url).status_code == 200
    emulator.clock.advance(7 * 86400 + 60)
    client.authenticate()
    assert client.get(url).status_code == 404
    assert client.job_call("leads", export_id, "status")["result"][0]["status"] == "Completed"


def test_updated_at_filter_sees_the_latest_update(marketo_emulator):
    client = ApiClient(marketo_emulator)
    before = marketo_emulator.clock.now()
    summary = marketo_emulator.tick(seconds=3600, new_leads=0, updated_leads=5, deleted_leads=0, merged_leads=0,
                                    new_activities=0, asset_updates=0)
    updated = set(summary["updated_leads"])
    old_times = {}
    for lead_id in updated:
        old_times[lead_id] = lead_id
    window = {"startAt": before.strftime("%Y-%m-%dT%H:%M:%SZ"),
              "endAt": marketo_emulator.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")}
    _, content = client.run_job("leads", {"fields": ["id", "updatedAt"], "filter": {"updatedAt": window}})
    assert {int(r[0]) for r in parse(content)[1:]} == updated
    old_window = lead_window(marketo_emulator, days=31)
    old_window["endAt"] = (before - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _, older = client.run_job("leads", {"fields": ["id"], "filter": {"updatedAt": old_window}})
    assert not updated & {int(r[0]) for r in parse(older)[1:]}


def test_export_snapshot_is_taken_when_processing_starts(marketo_emulator_factory):
    emulator = marketo_emulator_factory(job_progression="seconds:30")
    client = ApiClient(emulator)
    window = {"startAt": (emulator.clock.now() - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
              "endAt": (emulator.clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    export_id = client.create_job("leads", {"fields": ["id"], "filter": {"createdAt": window}})["result"][0]["exportId"]
    client.job_call("leads", export_id, "enqueue")
    client.job_call("leads", export_id, "status")  # starts processing now
    summary = emulator.tick(seconds=10, new_leads=3, updated_leads=0, deleted_leads=0, merged_leads=0, new_activities=0,
                            asset_updates=0)
    emulator.clock.advance(30)
    client.authenticate()
    client.job_call("leads", export_id, "status")
    content = client.get(f"/bulk/v1/leads/export/{export_id}/file.json").content
    assert not set(summary["new_leads"]) & {int(r[0]) for r in parse(content)[1:]}
