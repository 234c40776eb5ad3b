"""The later asset streams end to end through the entrypoint (forms, email templates, snippets, smart lists,
smart campaigns, program tokens, channels and their progression statuses, tags, folders): records equal the
emulator's ground truth after a full sync and after an incremental one that follows a tick, and the calls
are those the data needs (one per page of 200, one per program for tokens, one per tag type for tags)."""

import math
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from integration_tests.asset_truth import ASSET_KINDS, asset_rows
from integration_tests.harness import configured_catalog, emulator_config, primary_keys, record_key, run, without_nulls
from source_marketo.components.types import format_datetime, rfc3339

STREAMS = ["forms", "email_templates", "snippets", "smart_lists", "smart_campaigns", "program_tokens", "channels",
           "channel_progression_statuses", "tags", "folders"]
INCREMENTAL = [stream for stream in STREAMS if stream not in ("program_tokens", "tags")]
# The column of a record that holds the id a tick reports for it; the kinds whose edits change a stream's
# records (a program is a folder of the tree, with the program's dates).
TICKED_ID = {"channel_progression_statuses": "channel_id"}
TICKED_KINDS = {"folders": ("folders", "programs")}
DAYS_BEFORE = 800  # assets go back ~700 days


@pytest.fixture
def config(marketo_emulator):
    start = marketo_emulator.clock.now() - timedelta(days=DAYS_BEFORE)
    return emulator_config(marketo_emulator, start_date=format_datetime(start.replace(microsecond=0)))


@pytest.fixture
def catalog(config):
    return run("discover", config).catalog


def table(emulator, stream, keys):
    return {record_key(row, keys): without_nulls(row) for row in asset_rows(emulator, stream)}


def assert_records_equal_the_truth(emulator, output, catalog, streams):
    keys = primary_keys(catalog)
    for stream in streams:
        records = output.records(stream)
        assert len(records) == len({record_key(r, keys[stream]) for r in records}), f"{stream}: duplicates"
        assert {record_key(r, keys[stream]): without_nulls(r) for r in records} == table(emulator, stream, keys[stream]), stream
        assert output.statuses(stream)[-1] == "COMPLETE", stream


def test_given_the_discovered_catalog_then_keys_cursors_and_sync_modes_are_the_documented_ones(catalog):
    found = {s["name"]: (s["source_defined_primary_key"], s.get("default_cursor_field"), s["supported_sync_modes"])
             for s in catalog["streams"] if s["name"] in STREAMS}
    both, full = ["full_refresh", "incremental"], ["full_refresh"]
    assert found == {
        "forms": ([["id"], ["status"]], ["updated_at"], both),
        "email_templates": ([["id"], ["status"]], ["updated_at"], both),
        "snippets": ([["id"], ["status"]], ["updated_at"], both),
        "smart_lists": ([["id"]], ["updated_at"], both),
        "smart_campaigns": ([["id"]], ["updated_at"], both),
        "program_tokens": ([["program_id"], ["name"]], None, full),
        "channels": ([["id"]], ["updated_at"], both),
        "channel_progression_statuses": ([["channel_id"], ["name"]], ["updated_at"], both),
        "tags": ([["tag_type"]], None, full),
        "folders": ([["id"], ["type"]], ["updated_at"], both),
    }


def test_given_every_new_asset_stream_when_read_in_full_then_records_equal_the_ground_truth(marketo_emulator, config, catalog):
    configured = configured_catalog(catalog, STREAMS, mode="full_refresh")
    output = run("read", config, configured)
    assert output.failure is None, output.errors
    assert_records_equal_the_truth(marketo_emulator, output, configured, STREAMS)
    # Approved and draft versions both stay under their (id, status) key; the whole folder tree, not Marketo's default 2 levels.
    for stream in ("forms", "email_templates", "snippets"):
        assert {"approved", "draft"} == {r["status"] for r in output.records(stream)}, stream
    assert max(r["path"].count("/") for r in output.records("folders")) > 3
    assert {r["type"] for r in output.records("folders")} == {"Folder", "Program"}


def test_given_a_full_sync_when_counted_then_one_call_per_page_per_program_and_per_tag_type(marketo_emulator, config, catalog):
    configured = configured_catalog(catalog, STREAMS, mode="full_refresh")
    marketo_emulator.journal.clear()
    output = run("read", config, configured)
    assert output.failure is None, output.errors
    calls = Counter(entry.endpoint for entry in marketo_emulator.journal.counted())
    truth = marketo_emulator.truth

    def pages(kind):  # full pages of 200, then a short page (or the "No assets found" reply)
        return len(truth.assets(kind)) // 200 + 1

    # A server-side window per 365 days from the start date to now (one page each here).
    windows = math.ceil((datetime.now(timezone.utc) - (marketo_emulator.clock.now() - timedelta(days=DAYS_BEFORE))) / timedelta(days=365))
    programs = len(truth.assets("programs"))
    assert dict(calls) == {
        "/rest/asset/v1/forms.json": pages("forms"),
        "/rest/asset/v1/emailTemplates.json": pages("emailTemplates"),
        "/rest/asset/v1/snippets.json": pages("snippets"),
        "/rest/asset/v1/smartLists.json": windows,
        "/rest/asset/v1/smartCampaigns.json": windows,
        "/rest/asset/v1/programs.json": programs // 200 + 1,
        "/rest/asset/v1/folder/{id}/tokens.json": programs,
        "/rest/asset/v1/channels.json": pages("channels"),  # one listing for channels and their statuses
        "/rest/asset/v1/tagTypes.json": pages("tagTypes"),
        "/rest/asset/v1/tagType/byName.json": len(truth.assets("tagTypes")),
        "/rest/asset/v1/folders.json": pages("folders"),
    }
    folder_calls = marketo_emulator.journal.calls(endpoint="/rest/asset/v1/folders.json")
    assert all(entry.params.get("maxDepth") == "100" for entry in folder_calls)


def test_given_more_forms_than_a_page_when_read_then_every_version_of_every_form_is_synced(marketo_emulator_factory):
    emulator = marketo_emulator_factory(asset_counts={"forms": 230})
    start = emulator.clock.now() - timedelta(days=DAYS_BEFORE)
    config = emulator_config(emulator, start_date=format_datetime(start.replace(microsecond=0)))
    configured = configured_catalog(run("discover", config).catalog, ["forms"], mode="full_refresh")
    output = run("read", config, configured)
    assert output.failure is None, output.errors
    assert len(emulator.truth.assets("forms")) > 230  # versions: more records than forms, over two pages
    assert_records_equal_the_truth(emulator, output, configured, ["forms"])
    assert len(emulator.journal.calls(endpoint="/rest/asset/v1/forms.json")) == len(emulator.truth.assets("forms")) // 200 + 1


def test_given_a_start_date_when_read_incrementally_then_nothing_older_is_replicated(marketo_emulator):
    config = emulator_config(marketo_emulator)  # 100 days before the emulator's now: most assets are older
    configured = configured_catalog(run("discover", config).catalog, INCREMENTAL)
    output = run("read", config, configured)
    assert output.failure is None, output.errors
    keys = primary_keys(configured)
    left_out = 0
    for stream in INCREMENTAL:
        rows = asset_rows(marketo_emulator, stream)
        expected = {record_key(row, keys[stream]) for row in rows if row["updated_at"] >= config["start_date"]}
        left_out += len(rows) - len(expected)
        assert {record_key(r, keys[stream]) for r in output.records(stream)} == expected, stream
    assert left_out, "every asset is newer than the start date: the test proves nothing"


def on_the_cursor(records, id_column):
    """The ids of records exactly on the saved cursor (the newest updated_at): an inclusive cursor reads them again."""
    latest = max((r["updated_at"] or "" for r in records), default="")
    return {r[id_column] for r in records if r["updated_at"] == latest}


def test_given_the_state_of_a_first_run_when_assets_change_then_a_second_run_returns_what_changed(marketo_emulator, config, catalog):
    configured = configured_catalog(catalog, INCREMENTAL)
    first = run("read", config, configured)
    assert first.failure is None, first.errors
    summary = marketo_emulator.tick(seconds=600, new_leads=0, updated_leads=0, deleted_leads=0, merged_leads=0, new_activities=0,
                                    asset_updates=80, other_asset_updates=100)
    second = run("read", config, configured, state=first.latest_state())
    assert second.failure is None, second.errors
    keys = primary_keys(configured)
    for stream in INCREMENTAL:
        id_column = TICKED_ID.get(stream, "id")
        updated = {i for kind in TICKED_KINDS.get(stream, (ASSET_KINDS[stream],)) for i in summary["asset_updates"][kind]}
        assert updated, f"the tick changed no {stream}: the test would prove nothing for it"
        got = {r[id_column] for r in second.records(stream)}
        assert updated <= got, stream
        now = table(marketo_emulator, stream, keys[stream])
        changed = [r for r in second.records(stream) if r[id_column] in updated]
        assert all(without_nulls(r) == now[record_key(r, keys[stream])] for r in changed), stream  # their new values
        edited = {key for key, row in now.items() if row[id_column] in updated and row["updated_at"] > rfc3339(summary["from"])}
        assert edited <= {record_key(r, keys[stream]) for r in changed}, stream  # every edited row (a new draft: not its approved row)
        assert got <= updated | on_the_cursor(first.records(stream), id_column), stream  # only the changes
