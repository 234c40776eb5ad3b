"""list_members end to end through the entrypoint: the members of every static list from
lists/{id}/leads.json (only the lead id asked for, 300 a page), equal to the emulator's ground truth
after a full sync and after a tick and the next sync; one call per page of each list; a list deleted
between the listing and the read of its members is skipped with a warning; a call cap stops cleanly."""

import math
from collections import Counter

import pytest

from integration_tests.harness import configured_catalog, emulator_config, run
from integration_tests.marketo_emulator import FaultRule

MEMBERS = "list_members"
LEADS_OF_A_LIST = "/rest/v1/lists/{listId}/leads.json"
LEADS = 3000  # lists hold 5-24 % of the leads: several lists of more than one page of 300


@pytest.fixture
def emulator(marketo_emulator_factory):
    return marketo_emulator_factory(leads=LEADS, rate_limit_calls=0)


def truth(emulator):
    """(list id, lead id) of every member of every static list now."""
    return {(item["id"], lead_id) for item in emulator.truth.lists() for lead_id in emulator.truth.list_members(item["id"])}


def members(output):
    rows = [(record["list_id"], record["lead_id"]) for record in output.records(MEMBERS)]
    assert len(rows) == len(set(rows)), "a membership emitted twice"
    return set(rows)


def sync(emulator, config, streams=(MEMBERS,), state=None, count_calls=False):
    """A read of ``streams``; ``count_calls``: the emulator's journal then holds the read's calls only."""
    catalog = configured_catalog(run("discover", config).catalog, list(streams))
    if count_calls:
        emulator.journal.clear()
    return run("read", config, catalog, state=state)


def test_given_the_discovered_catalog_then_list_members_is_full_refresh_keyed_by_list_and_lead(emulator):
    stream = next(s for s in run("discover", emulator_config(emulator)).catalog["streams"] if s["name"] == MEMBERS)
    assert stream["supported_sync_modes"] == ["full_refresh"]
    assert stream["source_defined_primary_key"] == [["list_id"], ["lead_id"]]
    assert not stream.get("default_cursor_field")
    assert set(stream["json_schema"]["properties"]) == {"list_id", "lead_id"}


def test_given_static_lists_when_synced_in_full_then_the_members_equal_the_truth_at_one_call_per_page(emulator):
    output = sync(emulator, emulator_config(emulator), count_calls=True)
    assert output.failure is None, output.errors
    expected = truth(emulator)
    assert members(output) == expected
    assert output.statuses(MEMBERS)[-1] == "COMPLETE"
    sizes = Counter(list_id for list_id, _ in expected)
    lists = [item["id"] for item in emulator.truth.lists()]
    assert max(sizes.values()) > 300, "no list of more than one page: the paging is not tested"
    calls = Counter(entry.endpoint for entry in emulator.journal.counted())
    pages = sum(max(1, math.ceil(sizes[list_id] / 300)) for list_id in lists)  # an empty list costs one call too
    assert dict(calls) == {"/rest/v1/lists.json": len(lists) // 300 + 1, LEADS_OF_A_LIST: pages}
    reads = emulator.journal.calls(endpoint=LEADS_OF_A_LIST)
    assert all(entry.params.get("fields") == "id" and entry.params.get("batchSize") == "300" for entry in reads)


def test_given_lists_and_their_members_together_when_synced_then_the_listing_is_asked_once(emulator):
    output = sync(emulator, emulator_config(emulator), streams=("lists", MEMBERS), count_calls=True)
    assert output.failure is None, output.errors
    assert members(output) == truth(emulator)
    assert len(emulator.journal.calls(endpoint="/rest/v1/lists.json")) == len(emulator.truth.lists()) // 300 + 1


def test_given_members_added_and_removed_when_the_next_sync_runs_then_its_records_are_the_new_truth(emulator):
    config = emulator_config(emulator)
    first = sync(emulator, config, streams=("lists", MEMBERS))
    assert first.failure is None, first.errors
    before = truth(emulator)
    assert members(first) == before
    changes = emulator.tick(list_membership_changes=30, deleted_leads=3, merged_leads=2)
    actions = {change["action"] for change in changes["list_memberships"]}
    assert actions == {"added", "removed"}, changes["list_memberships"]
    after = truth(emulator)
    removed_leads = set(changes["deleted_leads"]) | {merge["loser"] for merge in changes["merged_leads"]}
    assert after != before and before - after and after - before
    second = sync(emulator, config, streams=("lists", MEMBERS), state=first.latest_state())
    assert second.failure is None, second.errors
    assert members(second) == after  # a full snapshot: removals and removed leads are gone from it
    assert not {lead_id for _, lead_id in members(second)} & removed_leads


def test_given_a_list_deleted_between_the_listing_and_its_members_when_synced_then_it_is_skipped_with_a_warning(emulator):
    gone = emulator.truth.lists()[3]["id"]
    emulator.faults.add(FaultRule(endpoint=f"/rest/v1/lists/{gone}/leads.json", error_code="1013", error_message="Static list not found"))
    output = sync(emulator, emulator_config(emulator))
    assert output.failure is None, output.errors
    expected = {(list_id, lead_id) for list_id, lead_id in truth(emulator) if list_id != gone}
    assert members(output) == expected and any(list_id == gone for list_id, _ in truth(emulator))
    assert output.statuses(MEMBERS)[-1] == "COMPLETE"
    warnings = [line for line in output.logs("WARN") if f"/rest/v1/lists/{gone}/leads.json" in line]
    assert len(warnings) == 1 and "1013" in warnings[0] and "list_members: skipped" in warnings[0], output.logs("WARN")


def test_given_a_daily_call_cap_below_the_pages_when_synced_then_it_stops_cleanly_within_the_cap(emulator):
    cap = 20
    output = sync(emulator, emulator_config(emulator, daily_api_call_limit=cap), count_calls=True)
    assert output.failure is not None
    assert output.errors[-1]["failure_type"] == "transient_error"
    assert "Stopped cleanly: the daily API call limit set for this connector was reached" in output.errors[-1]["message"]
    assert len(emulator.journal.counted()) <= cap
    assert members(output) < truth(emulator)  # what was read is right, the rest waits for the next sync
    assert output.statuses(MEMBERS)[-1] == "INCOMPLETE"
