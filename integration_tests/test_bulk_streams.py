"""leads, lead_activities and lead_activity_attributes end to end against the emulator."""

import bisect
from datetime import datetime, timedelta

import pytest

from integration_tests.bulk_expectations import expected_activities, expected_attributes, expected_leads, expected_per_type, removed_lead_ids
from integration_tests.harness import configured_catalog, dedupe, emulator_config, run, without_nulls
from source_marketo.components.types import format_datetime

BULK = ["leads", "lead_activities", "lead_activity_attributes"]
TYPES = (1, 2, 6, 10, 12, 13, 22, 24, 32, 37, 46)


def read_bulk(emulator, config, state=None, streams=BULK, stop_after=None):
    catalog = configured_catalog(run("discover", config).catalog, streams)
    return run("read", config, catalog, state=state, stop_after=stop_after), catalog


def leads_schema(catalog):
    return next(s["stream"]["json_schema"] for s in catalog["streams"] if s["stream"]["name"] == "leads")


def assert_leads_match(emulator, records, schema, since, must_remove=()):
    """Live leads equal the emulator's; tombstones only for removed leads, and for every lead removed
    after the first sync began (``must_remove``): earlier removals were never emitted, so need none."""
    latest = dedupe(records, "updated_at")
    live = {lead_id: row for lead_id, row in latest.items() if row["deleted_at"] is None}
    assert live == expected_leads(emulator, schema, since)
    tombstones = {lead_id for lead_id, row in latest.items() if row["deleted_at"] is not None}
    assert set(must_remove) <= tombstones <= removed_lead_ids(emulator)
    winners = {item["id"]: item["mergedInto"] for item in emulator.truth.merged_leads()}
    for lead_id in tombstones:
        assert latest[lead_id]["updated_at"] == latest[lead_id]["deleted_at"]
        assert latest[lead_id]["merged_into_lead_id"] == winners.get(lead_id), lead_id  # a merged-away lead names its winner


def test_given_a_first_sync_when_read_then_every_bulk_stream_equals_the_ground_truth(marketo_emulator):
    config = emulator_config(marketo_emulator, activity_type_ids=",".join(map(str, TYPES)))
    output, catalog = read_bulk(marketo_emulator, config)
    assert output.failure is None, output.errors
    since = config["start_date"]
    assert_leads_match(marketo_emulator, output.records("leads"), leads_schema(catalog), since)
    activities = output.records("lead_activities")
    exported = {r["id"]: r for r in activities if r["activity_type_id"] != 37}
    assert len(exported) == len([r for r in activities if r["activity_type_id"] != 37])  # each exactly once
    assert exported == expected_activities(marketo_emulator, TYPES, since)
    deletes = {r["lead_id"] for r in activities if r["activity_type_id"] == 37}
    assert deletes == {item["id"] for item in marketo_emulator.truth.deleted_leads()}
    attributes = output.records("lead_activity_attributes")
    assert {r["id"]: r for r in attributes} == expected_attributes(marketo_emulator, TYPES, since)
    assert len(attributes) == len({r["id"] for r in attributes})
    assert_one_export_per_window(marketo_emulator, sorted(set(TYPES) - {37}))  # one job for all types, never one per type
    for stream in BULK:
        statuses = output.statuses(stream)
        assert statuses[0] == "STARTED" and statuses[-1] == "COMPLETE" and "INCOMPLETE" not in statuses, statuses


def test_given_updates_deletes_and_merges_when_an_incremental_sync_follows_then_the_warehouse_is_current(marketo_emulator):
    config = emulator_config(marketo_emulator)
    first, catalog = read_bulk(marketo_emulator, config, streams=["leads"])
    summary = marketo_emulator.tick(seconds=1800, new_leads=4, updated_leads=6, deleted_leads=2, merged_leads=2, new_activities=10)
    marketo_emulator.clock.advance(120)  # the newest minute is left to the next run
    tokens_before = len(marketo_emulator.journal.calls(endpoint="/rest/v1/activities/pagingtoken.json"))
    second, _ = read_bulk(marketo_emulator, config, state=first.latest_state(), streams=["leads"])
    assert second.failure is None, second.errors
    # Both scans (deleted leads, merges) start from the same checkpoint: one paging token serves them.
    assert len(marketo_emulator.journal.calls(endpoint="/rest/v1/activities/pagingtoken.json")) - tokens_before == 1
    changed = set(summary["new_leads"]) | set(summary["updated_leads"])
    second_live = {r["id"] for r in second.records("leads") if r["deleted_at"] is None}
    assert changed <= second_live
    assert len(second_live) < len({r["id"] for r in first.records("leads")})  # incremental, not everything again
    gone = set(summary["deleted_leads"]) | {merge["loser"] for merge in summary["merged_leads"]}
    assert_leads_match(marketo_emulator, first.records("leads") + second.records("leads"), leads_schema(catalog), config["start_date"], must_remove=gone)
    assert gone <= {r["id"] for r in second.records("leads") if r["deleted_at"]}


def test_given_no_updated_at_filter_when_synced_then_updates_are_still_caught_in_activity_mode(marketo_emulator_factory):
    emulator = marketo_emulator_factory(updated_at_filter=False)
    config = emulator_config(emulator)
    first, catalog = read_bulk(emulator, config, streams=["leads"])
    assert first.failure is None, first.errors
    assert any("activity mode" in message for message in first.logs("WARN"))
    assert first.stream_state("leads")["mode"] == "activity_changes"
    summary = emulator.tick(seconds=1800, new_leads=3, updated_leads=5, deleted_leads=1, merged_leads=1, new_activities=5)
    emulator.clock.advance(120)
    second, _ = read_bulk(emulator, config, state=first.latest_state(), streams=["leads"])
    assert second.failure is None, second.errors
    assert set(summary["updated_leads"]) | set(summary["new_leads"]) <= {r["id"] for r in second.records("leads")}
    gone = set(summary["deleted_leads"]) | {merge["loser"] for merge in summary["merged_leads"]}
    # Every lead, also those with no logged activity (found by the created-in-window part of each window).
    assert_leads_match(emulator, first.records("leads") + second.records("leads"), leads_schema(catalog), config["start_date"], must_remove=gone)


def assert_one_export_per_window(emulator, type_ids):
    """Activity exports: at least one, each window once, every one listing exactly ``type_ids``."""
    jobs = [job for job in emulator.jobs if job["kind"] == "activities"]
    assert jobs, "no activity export was created"
    windows = [tuple(sorted(job["request"]["filter"]["createdAt"].items())) for job in jobs]
    assert len(windows) == len(set(windows))  # one export per window, none created twice
    assert all(job["request"]["activityTypeIds"] == type_ids for job in jobs)


def test_given_many_activity_types_when_synced_then_one_export_per_window_and_job_limits_hold(marketo_emulator):
    config = emulator_config(marketo_emulator, activity_type_ids="all")
    output, _ = read_bulk(marketo_emulator, config, streams=["lead_activities", "lead_activity_attributes"])
    assert output.failure is None, output.errors
    assert_one_export_per_window(marketo_emulator, None)  # "all": no type list at all
    ids = [r["id"] for r in output.records("lead_activities")]
    assert len(ids) == len(set(ids)), "an activity was emitted twice (Delete Lead comes from deletedleads.json only)"
    usage = marketo_emulator.usage
    assert usage["peak_processing_jobs"] <= 2 and usage["peak_queued_jobs"] <= 10
    assert not marketo_emulator.journal.calls(error_code="1029")


GROUPED_TYPES = (1, 2, 6, 10, 12, 13, 22, 24)


def grouped_config(emulator):
    """Where the emulator's activities are (its last 60 days), in two-week windows: few exports per group."""
    start = (emulator.clock.now() - timedelta(days=61)).replace(microsecond=0)
    return emulator_config(emulator, activity_type_ids=",".join(map(str, GROUPED_TYPES)), export_window_days=14, start_date=format_datetime(start))


def assert_activities_match(emulator, records, attributes, types, since):
    latest = dedupe(records, "activity_date")
    assert latest == expected_activities(emulator, types, since)
    assert {r["id"]: r for r in attributes} == expected_attributes(emulator, types, since)


def test_given_marketo_refuses_a_long_type_list_when_synced_then_the_types_go_in_groups_and_nothing_is_lost(marketo_emulator_factory):
    emulator = marketo_emulator_factory(max_bulk_activity_types=3)  # a what-if: Marketo documents no maximum
    config = grouped_config(emulator)
    streams = ["lead_activities", "lead_activity_attributes"]
    first, _ = read_bulk(emulator, config, streams=streams)
    assert first.failure is None, first.errors
    assert any("refused the activity type list" in message for message in first.logs("WARN"))
    assert len(emulator.journal.calls(error_code="1003")) == 3  # 8 types -> 4 + 4, each 4 -> 2 + 2; then never again
    assert first.stream_state("lead_activities")["type_groups"] == [[1, 2], [6, 10], [12, 13], [22, 24]]
    records = first.records("lead_activities")
    assert len(records) == len({r["id"] for r in records})  # each activity once: the groups do not overlap
    assert_activities_match(emulator, records, first.records("lead_activity_attributes"), GROUPED_TYPES, config["start_date"])
    jobs = [job for job in emulator.jobs if job["kind"] == "activities"]
    by_window = {}
    for job in jobs:
        window = tuple(sorted(job["request"]["filter"]["createdAt"].items()))
        assert len(job["request"]["activityTypeIds"]) <= 3
        by_window.setdefault(window, []).append(tuple(job["request"]["activityTypeIds"]))
    for window, groups in by_window.items():
        assert sorted(t for group in groups for t in group) == sorted(GROUPED_TYPES), window  # every type, once per window

    emulator.tick(seconds=1800, new_leads=0, updated_leads=0, deleted_leads=0, merged_leads=0, new_activities=20)
    emulator.clock.advance(120)
    refusals = len(emulator.journal.calls(error_code="1003"))
    second, _ = read_bulk(emulator, config, state=first.latest_state(), streams=streams)
    assert second.failure is None, second.errors
    assert len(emulator.journal.calls(error_code="1003")) == refusals  # the groups came from the state
    assert_activities_match(emulator, records + second.records("lead_activities"),
                            first.records("lead_activity_attributes") + second.records("lead_activity_attributes"), GROUPED_TYPES, config["start_date"])


def test_given_a_grouped_run_killed_midway_when_rerun_then_nothing_is_lost_and_its_exports_are_reused(marketo_emulator_factory):
    emulator = marketo_emulator_factory(max_bulk_activity_types=4)
    config = grouped_config(emulator)
    full, _ = read_bulk(emulator, config, streams=["lead_activities"])
    emulator.reset()
    killed, _ = read_bulk(emulator, config, streams=["lead_activities"], stop_after=len(full.messages) // 2)
    state = killed.stream_state("lead_activities")
    pending = [entry["export_id"] for entry in state["pending_exports"]]
    assert pending and all(len(entry["type_ids"]) == 4 for entry in state["pending_exports"])
    first_seq = len(emulator.journal)
    rerun, _ = read_bulk(emulator, config, state=killed.latest_state(), streams=["lead_activities"])
    assert rerun.failure is None, rerun.errors
    downloads = [entry.path for entry in emulator.journal.entries[first_seq:] if entry.endpoint.endswith("/file.json")]
    for export_id in pending:
        assert any(export_id in path for path in downloads), f"export {export_id} was not reused"
    assert dedupe(killed.records("lead_activities") + rerun.records("lead_activities"), "activity_date") == expected_activities(emulator, GROUPED_TYPES, config["start_date"])


@pytest.mark.parametrize("updated_at_filter", [True, False], ids=["updatedAt", "activity mode"])
def test_given_a_run_killed_midway_when_rerun_with_its_last_state_then_nothing_is_lost_and_exports_are_reused(marketo_emulator_factory, updated_at_filter):
    emulator = marketo_emulator_factory(updated_at_filter=updated_at_filter)
    config = emulator_config(emulator, export_window_days=7)
    full, catalog = read_bulk(emulator, config, streams=["leads"])
    emulator.reset()
    killed, _ = read_bulk(emulator, config, streams=["leads"], stop_after=len(full.messages) // 2)
    state = killed.latest_state()
    pending = [entry["export_id"] for entry in killed.stream_state("leads")["pending_exports"]]
    assert pending, "the killed run saved no export ids"
    first_seq = len(emulator.journal)
    rerun, _ = read_bulk(emulator, config, state=state, streams=["leads"])
    assert rerun.failure is None, rerun.errors
    rerun_calls = list(emulator.journal.entries[first_seq:])
    downloads = [entry.path for entry in rerun_calls if entry.endpoint.endswith("/file.json")]
    for export_id in pending:
        assert any(export_id in path for path in downloads), f"export {export_id} was not reused"
    assert_leads_match(emulator, killed.records("leads") + rerun.records("leads"), leads_schema(catalog), config["start_date"])


def clean(value):
    """What the documented conversions make of a hostile text value: NUL removed, and the bare word
    null (indistinguishable from an empty value in Marketo's CSV) read as empty."""
    if isinstance(value, str):
        value = value.replace("\x00", "")
        return None if value == "null" else value
    return value


def test_given_hostile_content_when_synced_then_values_survive_except_nul_bytes(marketo_emulator_factory):
    emulator = marketo_emulator_factory(hostile=True)
    config = emulator_config(emulator, activity_type_ids=",".join(map(str, TYPES)))
    output, catalog = read_bulk(emulator, config)
    assert output.failure is None, output.errors
    assert any("NUL bytes" in message for message in output.logs("WARN"))
    since = config["start_date"]
    latest = {r["id"]: r for r in output.records("leads") if r["deleted_at"] is None}
    expected = expected_leads(emulator, leads_schema(catalog), since)
    assert latest.keys() == expected.keys()
    for lead_id, row in expected.items():
        assert latest[lead_id] == {column: clean(value) for column, value in row.items()}, lead_id
    attributes = {r["id"]: r for r in output.records("lead_activity_attributes")}
    for row_id, row in expected_attributes(emulator, TYPES, since).items():
        value = row["value"].replace("\x00", "") if isinstance(row["value"], str) else row["value"]  # JSON strings keep "null"
        assert attributes[row_id]["value"] == value, row_id
    assert not any(isinstance(v, str) and "\x00" in v for record in output.records() for v in record.values())


@pytest.mark.parametrize("end", ["inclusive", "exclusive"])
@pytest.mark.parametrize("stream, cursor, kind", [("leads", "updatedAt", "leads"), ("lead_activities", "activityDate", "activities")])
def test_given_a_row_exactly_on_a_window_boundary_when_synced_then_it_comes_out_once(marketo_emulator_factory, stream, cursor, kind, end):
    """Whether Marketo's endAt includes its instant is undocumented: if it does, a row at the instant where
    one window ends and the next begins is in both exports; if not, in the second only. Either way it
    comes out once (never twice, never lost)."""
    marketo_emulator = marketo_emulator_factory(activities=20000, bulk_end_exclusive=end == "exclusive")
    now = marketo_emulator.clock.now()
    items = marketo_emulator.truth.leads() if kind == "leads" else marketo_emulator.truth.activities(type_ids=[12, 13])
    moments = sorted(datetime.fromisoformat(item[cursor].replace("Z", "+00:00")) for item in items if item.get(cursor))

    def data_at(start):  # a row within the survey's margin after the start date: the first window begins at the start date
        at = bisect.bisect_left(moments, start)
        return kind == "leads" or (at < len(moments) and moments[at] <= start + timedelta(seconds=50))

    on_boundary = next(item for item in items if item.get(cursor) and (now - timedelta(days=20)).isoformat() < item[cursor] < (now - timedelta(days=5)).isoformat()
                       and data_at(datetime.fromisoformat(item[cursor].replace("Z", "+00:00")) - timedelta(days=30)))
    start = datetime.fromisoformat(on_boundary[cursor].replace("Z", "+00:00")) - timedelta(days=30)
    config = emulator_config(marketo_emulator, activity_type_ids="12,13", start_date=format_datetime(start), export_window_days=30)
    output, _ = read_bulk(marketo_emulator, config, streams=[stream])
    assert output.failure is None, output.errors
    starts = [job["request"]["filter"][("updatedAt" if kind == "leads" else "createdAt")]["startAt"] for job in marketo_emulator.jobs if job["kind"] == kind]
    assert on_boundary[cursor] in starts, (on_boundary[cursor], starts)  # a window began exactly on it (and the one before ended there)
    ids = [record["id"] for record in output.records(stream)]
    assert len(ids) == len(set(ids)), [i for i in set(ids) if ids.count(i) > 1]
    key = on_boundary["id"] if kind == "leads" else str(on_boundary["marketoGUID"])
    assert ids.count(key) == 1


def test_given_a_delete_lead_activity_when_synced_then_its_lead_id_is_marketo_s_lead_id_and_the_tombstone_names_the_deleted_lead(marketo_emulator):
    import json

    from integration_tests.marketo_emulator import FaultRule

    deleted = {"id": 99000001, "marketoGUID": "99000001", "leadId": 7001, "activityDate": format_datetime(marketo_emulator.clock.now().replace(microsecond=0) - timedelta(minutes=30)),  # within the first sync's lookback: it gets a tombstone
               "activityTypeId": 37, "primaryAttributeValueId": 7002, "primaryAttributeValue": "Ada Lovelace", "attributes": []}
    body = {"requestId": "1#1", "success": True, "moreResult": False, "nextPageToken": "X", "result": [deleted]}
    config = emulator_config(marketo_emulator, activity_type_ids="12,37")
    catalog = configured_catalog(run("discover", config).catalog, ["leads", "lead_activities"])
    marketo_emulator.faults.add(FaultRule(endpoint="/rest/v1/activities/deletedleads.json", http_status=200, body=json.dumps(body), content_type="application/json"))
    output = run("read", config, catalog)
    assert output.failure is None, output.errors
    row = next(r for r in output.records("lead_activities") if r["activity_type_id"] == 37)
    assert (row["lead_id"], row["primary_attribute_value_id"]) == (7001, 7002)
    assert any(r["id"] == 7002 and r["deleted_at"] for r in output.records("leads"))


PER_TYPE = {"activities_visit_webpage": 1, "activities_fill_out_form": 2, "activities_send_email": 6, "activities_open_email": 10, "activities_change_score": 22}


def test_given_per_type_streams_beside_the_activity_log_when_synced_then_no_extra_job_or_megabyte_and_each_equals_the_truth(marketo_emulator_factory):
    costs = []
    for streams in (["lead_activities", "lead_activity_attributes"], ["lead_activities", "lead_activity_attributes", *PER_TYPE]):
        emulator = marketo_emulator_factory()
        config = emulator_config(emulator, activity_type_ids=",".join(map(str, TYPES)))
        output, _ = read_bulk(emulator, config, streams=streams)
        assert output.failure is None, output.errors
        jobs = [job for job in emulator.jobs if job["kind"] == "activities"]
        costs.append(([(job["request"]["fields"], job["request"]["activityTypeIds"]) for job in jobs], sum(job["bytes"] or 0 for job in jobs)))
    assert costs[0] == costs[1]  # the same export jobs (fields, types) and megabytes, whatever number of per-type streams
    for stream, type_id in PER_TYPE.items():
        got = {row["id"]: without_nulls(row) for row in output.records(stream)}
        assert got == {key: without_nulls(row) for key, row in expected_per_type(emulator, type_id, config["start_date"]).items()}, stream
        assert got, stream


def test_given_a_per_type_stream_of_a_type_the_activity_log_does_not_list_when_synced_then_each_gets_only_its_own(marketo_emulator):
    config = emulator_config(marketo_emulator, activity_type_ids="12,13")
    output, _ = read_bulk(marketo_emulator, config, streams=["lead_activities", "activities_visit_webpage"])
    assert output.failure is None, output.errors
    assert {r["activity_type_id"] for r in output.records("lead_activities")} <= {12, 13, 37}
    assert {r["activity_type_id"] for r in output.records("activities_visit_webpage")} == {1}
    assert all(job["request"]["activityTypeIds"] == [1, 12, 13] for job in marketo_emulator.jobs if job["kind"] == "activities")  # one export for both
