"""custom_objects_<name> end to end: one stream per first-level custom object of the instance, from
Bulk Custom Object Extract by updatedAt windows through the one scheduler (Marketo's job slots and
megabytes shared with leads and activities); discovered from customobjects.json and describe."""

import json
from datetime import timedelta
from urllib.request import Request, urlopen

from integration_tests.harness import configured_catalog, dedupe, emulator_config, run
from integration_tests.marketo_emulator import FaultRule
from integration_tests.test_faults import next_chicago_midnight, per_chicago_day
from source_marketo.components.naming import snake_case
from source_marketo.components.types import format_datetime, parse_datetime

OBJECTS = ("car_c", "subscription_c", "purchase_c")
STREAMS = tuple(f"custom_objects_{name}" for name in OBJECTS)
KEY, CURSOR = "marketo_guid", "updated_at"


def expected(emulator, name, since=""):
    """The emulator's records of one object as rows: field names in snake_case, values as Marketo typed them."""
    return {record["marketoGUID"]: {snake_case(field): value for field, value in record.items()}
            for record in emulator.truth.custom_objects(name) if record["updatedAt"] >= since}


def table(*outputs, stream):
    """The warehouse table after Append + Deduped: the latest row per marketo_guid."""
    return dedupe([record for output in outputs for record in output.records(stream)], CURSOR, (KEY,))


def object_jobs(emulator, name=None):
    return [job for job in emulator.jobs if job["kind"].startswith("customobjects/") and (name is None or job["kind"] == f"customobjects/{name}")]


def describe(emulator, name):
    """What Marketo's describe says of an object (asked as a client would: the token, then the call)."""
    base = emulator.base_url
    token = json.load(urlopen(f"{base}/identity/oauth/token?grant_type=client_credentials&client_id={emulator.client_id}&client_secret={emulator.client_secret}"))
    return json.load(urlopen(Request(f"{base}/rest/v1/customobjects/{name}/describe.json", headers={"Authorization": f"Bearer {token['access_token']}"})))["result"][0]


def sync(config, streams=STREAMS, state=None):
    catalog = configured_catalog(run("discover", config).catalog, list(streams))
    return run("read", config, catalog, state=state)


def test_given_the_instance_when_discover_then_one_typed_stream_per_custom_object_keyed_by_marketo_guid(marketo_emulator):
    streams = {stream["name"]: stream for stream in run("discover", emulator_config(marketo_emulator)).catalog["streams"]}
    assert {name for name in streams if name.startswith("custom_objects_")} == set(STREAMS)
    car = streams["custom_objects_car_c"]
    assert car["source_defined_primary_key"] == [[KEY]] and car["default_cursor_field"] == [CURSOR]
    assert car["supported_sync_modes"] == ["full_refresh", "incremental"]
    properties = car["json_schema"]["properties"]
    assert properties[KEY] == {"type": "string"} and properties["lead_id"]["type"] == ["null", "integer"]
    assert properties["purchase_price"]["type"] == ["null", "number"] and properties["is_electric"]["type"] == ["null", "boolean"]
    assert properties["purchase_date"]["format"] == "date" and properties[CURSOR]["format"] == "date-time"
    assert "dedupe fields: orderNumber, sku" in streams["custom_objects_purchase_c"]["json_schema"]["description"]


def test_given_a_first_sync_when_read_then_every_custom_object_record_comes_out_once_as_the_ground_truth(marketo_emulator):
    config = emulator_config(marketo_emulator)
    output = sync(config)
    assert output.failure is None, output.errors
    for name, stream in zip(OBJECTS, STREAMS):
        records = output.records(stream)
        assert len(records) == len({record[KEY] for record in records}), stream  # each exactly once, boundaries included
        assert {record[KEY]: record for record in records} == expected(marketo_emulator, name, config["start_date"]), stream
        assert output.statuses(stream)[-1] == "COMPLETE"
        assert output.stream_state(stream)[CURSOR] and output.stream_state(stream)["pending_exports"] == []
    described = {name: {field["name"] for field in describe(marketo_emulator, name)["fields"]} for name in OBJECTS}
    for job in object_jobs(marketo_emulator):
        assert list(job["request"]["filter"]) == ["updatedAt"] and set(job["request"]["fields"]) <= described[job["kind"].split("/")[1]]


def test_given_hostile_text_in_records_when_synced_then_it_arrives_as_written_but_for_the_documented_cleaning(marketo_emulator_factory):
    """Quotes, commas, newlines, U+2028 and RTL marks arrive as written; NUL bytes are removed from the
    file, and a value that then reads as the literal null is a null (docs: behavior.md, hostile CSV)."""
    emulator = marketo_emulator_factory(hostile=True)
    config = emulator_config(emulator)
    output = sync(config)
    assert output.failure is None, output.errors

    def cleaned(value):
        if not isinstance(value, str):
            return value
        value = value.replace("\x00", "")
        return None if value == "null" else value

    for name, stream in zip(OBJECTS, STREAMS):
        truth = {guid: {column: cleaned(value) for column, value in row.items()} for guid, row in expected(emulator, name, config["start_date"]).items()}
        assert {record[KEY]: record for record in output.records(stream)} == truth, stream
    assert any("NUL bytes" in line for line in output.logs())  # cleaning is never silent


def test_given_created_and_changed_records_when_an_incremental_sync_follows_then_the_table_is_the_ground_truth(marketo_emulator):
    config = emulator_config(marketo_emulator)
    first = sync(config)
    summary = marketo_emulator.tick(seconds=1800, custom_object_changes=12, deleted_leads=0, merged_leads=0)
    marketo_emulator.clock.advance(120)  # the newest minute is left to the next sync
    second = sync(config, state=first.latest_state())
    assert second.failure is None, second.errors
    changed = {change["marketoGUID"] for change in summary["custom_objects"]}
    assert {change["action"] for change in summary["custom_objects"]} == {"created", "updated"}
    assert changed <= {record[KEY] for stream in STREAMS for record in second.records(stream)}
    assert sum(len(second.records(stream)) for stream in STREAMS) < sum(len(first.records(stream)) for stream in STREAMS) / 5  # incremental
    for name, stream in zip(OBJECTS, STREAMS):
        assert table(first, second, stream=stream) == expected(marketo_emulator, name, config["start_date"]), stream


def test_given_deleted_and_merged_leads_when_synced_again_then_only_their_records_differ_and_the_leads_say_why(marketo_emulator):
    """Marketo drops a deleted lead's records and moves a merged-away lead's to the winner without a new
    updatedAt: no export shows either (docs: behavior.md). The rows that stay behind are exactly those of
    the removed leads, whose leads rows are tombstones."""
    config = emulator_config(marketo_emulator)
    streams = STREAMS + ("leads",)
    first = sync(config, streams)
    summary = marketo_emulator.tick(seconds=1800, deleted_leads=6, merged_leads=6, custom_object_changes=6)
    marketo_emulator.clock.advance(120)
    second = sync(config, streams, state=first.latest_state())
    assert second.failure is None, second.errors
    removed = set(summary["deleted_leads"]) | {merge["loser"] for merge in summary["merged_leads"]}
    tombstones = {record["id"] for record in second.records("leads") if record["deleted_at"]}
    assert removed <= tombstones
    stale = 0
    for name, stream in zip(OBJECTS, STREAMS):
        rows = table(first, second, stream=stream)
        behind = {guid for guid, row in rows.items() if row["lead_id"] in removed}
        stale += len(behind)
        truth = expected(marketo_emulator, name, config["start_date"])
        assert {guid: row for guid, row in rows.items() if guid not in behind} == {guid: row for guid, row in truth.items() if guid not in behind}
    assert stale  # the seeded tick removes leads that had records


def test_given_custom_objects_with_leads_and_activities_when_synced_then_they_share_marketos_job_slots(marketo_emulator_factory):
    emulator = marketo_emulator_factory(job_progression="polls:2")  # jobs stay in flight: the shared limits can bite
    config = emulator_config(emulator, activity_type_ids="1,6,12,13")
    output = sync(config, STREAMS + ("leads", "lead_activities"))
    assert output.failure is None, output.errors
    assert emulator.usage["peak_processing_jobs"] <= 2 and emulator.usage["peak_queued_jobs"] <= 10
    assert emulator.occupancy()["max_processing"] <= 2
    # The journal: custom object jobs were enqueued while lead or activity jobs were still in flight (one pool).
    enqueues = [entry for entry in emulator.journal.calls(method="POST") if entry.path.endswith("/enqueue.json")]
    kinds = [entry.path.split("/export/")[0] for entry in enqueues]
    assert any(a != b for a, b in zip(kinds, kinds[1:])) and {"/bulk/v1/leads", "/bulk/v1/activities"} <= set(kinds)
    # In flight from its enqueue to its download (journal order): some custom object job and some lead or
    # activity job were in Marketo's queue at once.
    spans = {}
    for entry in emulator.journal.entries:
        if "/export/" in entry.path and entry.path.endswith(("/enqueue.json", "/file.json")):
            kind, export_id = entry.path.split("/bulk/v1/")[1].split("/export/")[0], entry.path.split("/export/")[1].split("/")[0]
            spans.setdefault((kind, export_id), []).append(entry.seq)
    objects = [(min(seqs), max(seqs)) for (kind, _), seqs in spans.items() if kind.startswith("customobjects/")]
    others = [(min(seqs), max(seqs)) for (kind, _), seqs in spans.items() if not kind.startswith("customobjects/")]
    assert any(a < d and c < b for a, b in objects for c, d in others)
    for name, stream in zip(OBJECTS, STREAMS):
        assert {record[KEY]: record for record in output.records(stream)} == expected(emulator, name, config["start_date"])


def test_given_a_small_daily_export_cap_when_synced_day_after_day_then_each_day_stops_cleanly_and_nothing_is_lost(marketo_emulator_factory):
    emulator = marketo_emulator_factory(leads=5000, rate_limit_calls=0)  # about 2 MB of custom object records
    config = emulator_config(emulator, daily_bulk_export_limit_mb=1)
    outputs, state = [], None
    for _ in range(8):
        output = sync(config, state=state)
        outputs.append(output)
        state = output.latest_state() or state
        if output.failure is None:
            break
        assert "Stopped cleanly" in output.errors[-1]["message"], output.errors
        assert {s["stream"]["stream_descriptor"]["name"] for s in output.latest_state()} == set(STREAMS)
        emulator.clock.advance(next_chicago_midnight(emulator))
    assert len(outputs) > 1 and outputs[-1].failure is None
    for name, stream in zip(OBJECTS, STREAMS):
        assert table(*outputs, stream=stream) == expected(emulator, name, config["start_date"]), stream
    completed = [job for job in object_jobs(emulator) if job["status"] == "Completed"]
    windows = [(job["kind"], job["request"]["filter"]["updatedAt"]["startAt"], job["request"]["filter"]["updatedAt"]["endAt"], tuple(job["request"]["fields"])) for job in completed]
    assert len(windows) == len(set(windows))  # a stop never pays for an export twice
    per_day = per_chicago_day((job["finishedAt"], job["bytes"]) for job in emulator.jobs if job["status"] == "Completed")
    assert len(per_day) > 1 and max(per_day.values()) <= 1024 * 1024, per_day


def test_given_a_start_date_years_before_the_object_when_synced_then_no_window_precedes_its_creation(marketo_emulator):
    config = emulator_config(marketo_emulator, start_date="2015-01-01T00:00:00Z")
    output = sync(config, ["custom_objects_car_c"])
    assert output.failure is None, output.errors
    created = parse_datetime(describe(marketo_emulator, "car_c")["createdAt"])
    starts = [parse_datetime(job["request"]["filter"]["updatedAt"]["startAt"]) for job in object_jobs(marketo_emulator, "car_c")]
    assert min(starts) >= created - timedelta(minutes=1)  # nothing exported from 2015 up to the object's creation
    span_days = (marketo_emulator.clock.now() - created).days
    assert len(starts) <= -(-span_days // 30) + 1, len(starts)  # one job per 30 days from the creation, not from 2015 (130+)
    assert any(f"the data begins {format_datetime(created)}" in line for line in output.logs("INFO"))
    assert {record[KEY]: record for record in output.records("custom_objects_car_c")} == expected(marketo_emulator, "car_c")


def test_given_an_instance_without_custom_objects_when_discover_then_none_and_a_log_line_says_so(marketo_emulator_factory):
    emulator = marketo_emulator_factory(custom_object_types=0)
    output = run("discover", emulator_config(emulator))
    assert output.failure is None
    assert not [stream for stream in output.catalog["streams"] if stream["name"].startswith("custom_objects_")]
    assert any("no first-level custom object" in line for line in output.logs("INFO"))


def test_given_custom_objects_switched_off_when_discover_then_none_and_a_warning_and_the_other_streams(marketo_emulator):
    marketo_emulator.faults.add(FaultRule(endpoint="/rest/v1/customobjects.json", error_code="703", error_message="The feature is not enabled for the subscription"))
    output = run("discover", emulator_config(marketo_emulator))
    assert output.failure is None and "leads" in {stream["name"] for stream in output.catalog["streams"]}
    assert not [stream for stream in output.catalog["streams"] if stream["name"].startswith("custom_objects_")]
    assert any("Marketo refused the list of custom objects" in line and "703" in line for line in output.logs("WARN"))


def test_given_the_custom_object_list_refused_at_read_when_synced_then_those_streams_fail_by_name_and_leads_completes(marketo_emulator):
    config = emulator_config(marketo_emulator)
    catalog = configured_catalog(run("discover", config).catalog, ["custom_objects_car_c", "leads"])
    marketo_emulator.faults.add(FaultRule(endpoint="/rest/v1/customobjects.json", error_code="603", error_message="Access denied"))
    output = run("read", config, catalog)
    assert output.failure is not None and "custom_objects_car_c: Marketo refused the list of custom objects" in output.errors[-1]["message"]
    assert output.errors[-1]["failure_type"] == "config_error"  # 603: the role lacks Read-Only Custom Object
    assert output.statuses("custom_objects_car_c")[-1] == "INCOMPLETE" and output.statuses("leads")[-1] == "COMPLETE"
    assert output.records("leads") and not output.records("custom_objects_car_c")


def test_given_one_objects_job_list_failing_when_synced_then_that_stream_fails_alone_and_the_others_complete(marketo_emulator):
    config = emulator_config(marketo_emulator)
    streams = ["leads", "custom_objects_car_c", "custom_objects_purchase_c"]
    catalog = configured_catalog(run("discover", config).catalog, streams)
    marketo_emulator.faults.add(FaultRule(endpoint="/bulk/v1/customobjects/car_c/export.json", error_code="611", error_message="System error"))
    output = run("read", config, catalog)
    assert output.failure is not None and "custom_objects_car_c: listing the custom object's export jobs failed" in output.errors[-1]["message"]
    assert output.statuses("custom_objects_car_c")[-1] == "INCOMPLETE" and not output.records("custom_objects_car_c")
    assert output.statuses("leads")[-1] == "COMPLETE" and output.statuses("custom_objects_purchase_c")[-1] == "COMPLETE"
    assert {record[KEY] for record in output.records("custom_objects_purchase_c")} == set(expected(marketo_emulator, "purchase_c"))


def test_given_an_outage_on_the_custom_object_list_when_discover_then_it_fails_instead_of_dropping_the_streams(marketo_emulator):
    marketo_emulator.faults.add(FaultRule(endpoint="/rest/v1/customobjects.json", error_code="611", error_message="System error"))
    output = run("discover", emulator_config(marketo_emulator))
    assert output.failure is not None and "customobjects.json" in output.errors[-1]["message"]  # a catalog without them reads as streams removed


def test_given_an_outage_on_one_describe_when_discover_then_it_fails_instead_of_dropping_that_stream(marketo_emulator):
    marketo_emulator.faults.add(FaultRule(endpoint="/rest/v1/customobjects/car_c/describe.json", http_status=503, body="Service Unavailable"))
    output = run("discover", emulator_config(marketo_emulator))
    assert output.failure is not None


def test_given_state_saved_for_another_object_under_the_stream_name_when_synced_then_the_stream_fails_with_advice(marketo_emulator):
    config = emulator_config(marketo_emulator)
    first = sync(config, ["custom_objects_car_c", "custom_objects_purchase_c"])
    assert first.stream_state("custom_objects_car_c")["api_name"] == "car_c"
    state = json.loads(json.dumps(first.latest_state()).replace('"api_name": "car_c"', '"api_name": "Car_c"'))  # as if Car_c had had the name
    second = sync(config, ["custom_objects_car_c", "custom_objects_purchase_c"], state=state)
    assert second.failure is not None and "saved state is for the custom object Car_c" in second.errors[-1]["message"]
    assert "refresh the source schema and reset this stream" in second.errors[-1]["message"]
    assert second.statuses("custom_objects_car_c")[-1] == "INCOMPLETE" and second.statuses("custom_objects_purchase_c")[-1] == "COMPLETE"


def test_given_the_role_lacks_custom_object_access_when_read_then_the_message_names_the_permission(marketo_emulator):
    config = emulator_config(marketo_emulator)
    catalog = configured_catalog(run("discover", config).catalog, ["custom_objects_car_c"])
    marketo_emulator.faults.add(FaultRule(endpoint="/rest/v1/customobjects/car_c/describe.json", error_code="603", error_message="Access denied"))
    output = run("read", config, catalog)
    assert "the API role needs the Read-Only Custom Object permission" in output.errors[-1]["message"]
