"""The REST streams end to end: every record equals the emulator's ground truth after the documented
conversions, paging is complete, and an incremental run returns what changed since the state."""

from datetime import timedelta

import pytest

from integration_tests.asset_truth import asset_rows
from integration_tests.harness import configured_catalog, emulator_config, primary_keys, record_key, run, without_nulls
from source_marketo.components import shapes
from source_marketo.components.types import format_datetime

REST_STREAMS = ["campaigns", "email", "landing_pages", "lists", "programs", "segmentation", "segments", "lead_activity_types", "lead_activity_type_attributes"]


def truth(emulator, stream):
    t = emulator.truth
    if stream == "campaigns":
        return [shapes.campaign(item) for item in t.campaigns()]
    if stream == "lists":
        return [shapes.static_list(item) for item in t.lists()]
    if stream == "lead_activity_types":
        return [shapes.activity_type(item) for item in t.activity_types()]
    if stream == "lead_activity_type_attributes":
        return [row for item in t.activity_types() for row in shapes.activity_type_attributes(item)]
    return asset_rows(emulator, stream)


@pytest.fixture
def everything_config(marketo_emulator):
    # Assets go back ~700 days: start before all of them.
    start = marketo_emulator.clock.now() - timedelta(days=800)
    return emulator_config(marketo_emulator, start_date=format_datetime(start.replace(microsecond=0)))


def discover(config):
    return run("discover", config).catalog


def test_given_every_rest_stream_when_read_in_full_then_records_equal_the_ground_truth(marketo_emulator, everything_config):
    catalog = configured_catalog(discover(everything_config), REST_STREAMS, mode="full_refresh")
    output = run("read", everything_config, catalog)
    assert output.failure is None, output.errors
    got = output.records_by_stream()
    keys = primary_keys(catalog)  # email and landing_pages: id and status (an approved and a draft version)
    for stream in REST_STREAMS:
        expected = {record_key(row, keys[stream]): without_nulls(row) for row in truth(marketo_emulator, stream)}
        records = got[stream]
        assert len(records) == len({record_key(r, keys[stream]) for r in records}), f"{stream}: duplicates"
        assert {record_key(r, keys[stream]): without_nulls(r) for r in records} == expected, stream
        assert output.statuses(stream)[-1] == "COMPLETE"


def test_given_asset_paging_when_read_then_no_more_calls_than_pages_plus_the_end(marketo_emulator, everything_config):
    catalog = configured_catalog(discover(everything_config), ["email"], mode="full_refresh")
    marketo_emulator.journal.clear()
    output = run("read", everything_config, catalog)
    emails = len(output.records("email"))
    calls = marketo_emulator.journal.calls(endpoint="/rest/asset/v1/emails.json")
    assert emails == len(marketo_emulator.truth.assets("emails")) > 200
    assert len(calls) <= emails // 200 + 2  # full pages, a short last page (or the "No assets found" reply)


def test_given_a_start_date_when_read_then_nothing_older_is_replicated(marketo_emulator):
    config = emulator_config(marketo_emulator)
    catalog = configured_catalog(discover(config), ["programs", "landing_pages", "lists"], mode="incremental")
    output = run("read", config, catalog)
    start = config["start_date"]
    for stream in ("programs", "landing_pages", "lists"):
        expected = {row["id"] for row in truth(marketo_emulator, stream) if row["updated_at"] >= start}
        assert {r["id"] for r in output.records(stream)} == expected, stream


def test_given_the_state_of_a_first_run_when_assets_change_then_a_second_run_returns_what_changed(marketo_emulator, everything_config):
    streams = ["campaigns", "email", "landing_pages", "lists", "programs", "segmentation", "segments"]
    catalog = configured_catalog(discover(everything_config), streams)
    first = run("read", everything_config, catalog)
    assert first.failure is None
    summary = marketo_emulator.tick(seconds=600, new_leads=0, updated_leads=0, deleted_leads=0, merged_leads=0, new_activities=0, asset_updates=60)
    changed = summary["asset_updates"]
    second = run("read", everything_config, catalog, state=first.latest_state())
    assert second.failure is None
    keys = primary_keys(catalog)
    kinds = {"campaigns": "smartCampaigns", "email": "emails", "landing_pages": "landingPages", "lists": "staticLists", "programs": "programs", "segmentation": "segmentation", "segments": "segments"}
    for stream in streams:
        got = {r["id"] for r in second.records(stream)}
        updated = set(changed.get(kinds[stream], []))
        assert updated, f"the tick changed no {stream}: the test would prove nothing for it"
        assert updated <= got, stream
        now = {record_key(row, keys[stream]): without_nulls(row) for row in truth(marketo_emulator, stream)}
        assert all(without_nulls(r) == now[record_key(r, keys[stream])] for r in second.records(stream) if r["id"] in updated), stream  # their new values
        assert got <= updated | on_the_cursor(first.records(stream), stream), stream  # only the changes (and records sitting exactly on the cursor)


def on_the_cursor(records, stream):
    """Records whose updated_at equals the saved cursor: an inclusive cursor reads them again.
    segments keeps one cursor per segmentation."""
    group = (lambda r: r["segmentation_id"]) if stream == "segments" else (lambda r: None)
    latest = {}
    for record in records:
        latest[group(record)] = max(latest.get(group(record), ""), record["updated_at"] or "")
    return {r["id"] for r in records if r["updated_at"] == latest[group(r)]}


def test_given_an_old_segmentation_when_its_segment_changes_then_the_segment_is_synced(marketo_emulator):
    config = emulator_config(marketo_emulator)  # the start date is after most segmentations' last update
    catalog = configured_catalog(discover(config), ["segmentation", "segments"])
    output = run("read", config, catalog)
    assert output.failure is None, output.errors
    expected = {row["id"] for row in truth(marketo_emulator, "segments") if row["updated_at"] >= config["start_date"]}
    assert expected, "no segment changed after the start date: the scenario proves nothing"
    assert {r["id"] for r in output.records("segments")} == expected


def test_given_two_streams_of_one_endpoint_when_read_then_it_is_called_once(marketo_emulator, everything_config):
    catalog = configured_catalog(discover(everything_config), ["lead_activity_types", "lead_activity_type_attributes", "segmentation", "segments"], mode="full_refresh")
    marketo_emulator.journal.clear()
    output = run("read", everything_config, catalog)
    assert output.failure is None, output.errors
    assert len(marketo_emulator.journal.calls(endpoint="/rest/v1/activities/types.json")) == 1
    assert len(marketo_emulator.journal.calls(endpoint="/rest/asset/v1/segmentation.json")) <= 2  # a page, and the repeat that shows the end


def test_given_an_unexpected_value_in_a_rest_record_when_read_then_the_error_names_stream_record_field_and_value(marketo_emulator, everything_config):
    import json

    from integration_tests.marketo_emulator import FaultRule

    body = {"success": True, "errors": [], "warnings": [], "requestId": "1#1",
            "result": [{"id": 1001, "name": "Webinar", "createdAt": "2024-01-01T00:00:00Z+0000", "updatedAt": "last Tuesday"}]}
    marketo_emulator.faults.add(FaultRule(endpoint="/rest/asset/v1/programs.json", http_status=200, body=json.dumps(body), content_type="application/json", times=1))
    catalog = configured_catalog(discover(everything_config), ["programs"], mode="full_refresh")
    output = run("read", everything_config, catalog)
    message = output.errors[-1]["message"]
    assert output.failure is not None
    for part in ("programs", "1001", "updatedAt", "last Tuesday", "not a datetime"):
        assert part in message, message
    assert "ValueError" not in message


@pytest.mark.parametrize("stream, endpoint", [("program_tokens", "/rest/asset/v1/folder/{id}/tokens.json"), ("segments", "/rest/asset/v1/segmentation/{id}/segments.json")])
def test_given_a_parent_deleted_between_its_listing_and_its_children_when_read_then_it_is_skipped_with_a_warning(marketo_emulator, stream, endpoint):
    from integration_tests.marketo_emulator import FaultRule

    config = emulator_config(marketo_emulator)
    catalog = configured_catalog(run("discover", config).catalog, [stream])
    complete = run("read", config, catalog)
    rule = FaultRule(endpoint=endpoint, error_code="702", error_message="No data found for given search scenario", times=1)
    marketo_emulator.faults.add(rule)
    output = run("read", config, catalog)
    assert output.failure is None and rule.fired == 1, output.errors
    assert output.statuses(stream)[-1] == "COMPLETE"
    warnings = [line for line in output.logs("WARN") if f"{stream}: skipped" in line and "702" in line]
    assert len(warnings) == 1, output.logs("WARN")
    keys = primary_keys(catalog)[stream]
    left, everything = {record_key(r, keys) for r in output.records(stream)}, {record_key(r, keys) for r in complete.records(stream)}
    assert left and left <= everything  # only the skipped parent's children can be missing
    if stream == "program_tokens":  # every program has tokens (segments may all predate the start date)
        assert left < everything
