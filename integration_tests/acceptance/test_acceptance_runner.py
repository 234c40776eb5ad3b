"""What the CDK's standard suites leave out of acceptance-test-config.yml, run by our runner (runner.py)
against the acceptance emulator, as Airbyte's Connector Acceptance Tests (CAT) ran it:

* the file itself: every key is read by someone, and the rules of ``test_strictness_level: high``;
* the catalogs and expected records are current (generated from the emulator's seeded data);
* ``basic_read``: ``expect_records`` (records equal the expected ones, with the entry's
  exact_order / extra_fields / extra_records) and ``fail_on_extra_columns``;
* ``full_refresh``: two sequential reads, the first one's records contained in the second's;
* ``incremental``: two sequential reads (the second, from the first's state, returns nothing older
  than that state, less ``threshold_days``) and ``future_state`` (from abnormally large cursors: no
  record, states that do not move any cursor back, every stream complete).

Each test is parametrized by the entries of its section, read from the file at collection.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any, Dict, List

import pytest

from integration_tests.acceptance import runner
from integration_tests.acceptance.environment import load_acceptance_test_config, load_config, path_of, read_json
from integration_tests.acceptance.expected_records import expected_by_stream, jsonl
from source_marketo.components.types import parse_datetime

CONFIG = load_acceptance_test_config()


def section_params(section: str, needs: str = "") -> List[Any]:
    return [pytest.param(entry, id=runner.entry_id(section, index, entry))
            for index, entry in enumerate(runner.entries(CONFIG, section)) if not needs or needs in entry]


@pytest.fixture
def connector_config(request, acceptance_emulator):
    """The config of the test's entry, pointed at the emulator."""
    return load_config(request.getfixturevalue("entry")["config_path"], acceptance_emulator.base_url)


@pytest.fixture(scope="module")
def discovered(acceptance_emulator) -> Dict[str, Any]:
    config_path = runner.entries(CONFIG, "discovery")[0]["config_path"]
    return runner.discover(load_config(config_path, acceptance_emulator.base_url))


def streams_of(catalog: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {stream["name"]: stream for stream in catalog["streams"]}


def test_every_key_of_the_acceptance_test_config_is_read_and_high_strictness_rules_hold():
    assert CONFIG.get("test_strictness_level") == "high"
    assert runner.entry_problems(CONFIG) == []


@pytest.mark.parametrize("section", ["full_refresh", "incremental"])
def test_configured_catalogs_are_the_discovered_streams(section, discovered):
    """A stale catalog file would export other lead columns than a user's: regenerate with --catalogs."""
    streams = streams_of(discovered)
    for entry in runner.entries(CONFIG, section):
        catalog = read_json(entry["configured_catalog_path"])
        names = [configured["stream"]["name"] for configured in catalog["streams"]]
        expected = [name for name, stream in streams.items() if section == "full_refresh" or "incremental" in stream["supported_sync_modes"]]
        assert sorted(names) == sorted(expected), entry["configured_catalog_path"]
        for configured in catalog["streams"]:
            stream = streams[configured["stream"]["name"]]
            where = f"{entry['configured_catalog_path']}: {stream['name']}"
            assert configured["stream"]["json_schema"] == stream["json_schema"], f"{where}: schema differs from discover"
            assert configured["sync_mode"] in stream["supported_sync_modes"], where
            assert configured["primary_key"] == stream["source_defined_primary_key"], where
            if configured["sync_mode"] == "incremental":
                assert configured["cursor_field"] == stream["default_cursor_field"], where
            assert configured["sync_mode"] == ("full_refresh" if section == "full_refresh" else "incremental"), where


@pytest.mark.parametrize("entry", section_params("basic_read", needs="expect_records"))
def test_expected_records_are_generated_from_the_emulators_seeded_data(entry, connector_config, acceptance_emulator):
    """expected_records.jsonl is what tools/generate_expected_records.py computes from the emulator's ground
    truth, not a hand edit or a recording of the connector."""
    path = entry["expect_records"].get("path")
    if not path:
        pytest.skip(entry["expect_records"].get("bypass_reason") or "no expected records")
    empty = {stream["name"] for stream in entry.get("empty_streams") or []}
    catalog = {"streams": [stream for stream in runner.discover(connector_config)["streams"] if stream["name"] not in empty]}
    with open(path_of(path), encoding="utf-8") as handle:
        current = handle.read()
    generated = jsonl(expected_by_stream(acceptance_emulator, connector_config, catalog))
    if current != generated:
        stale = Counter(current.splitlines()) - Counter(generated.splitlines())
        new = Counter(generated.splitlines()) - Counter(current.splitlines())
        pytest.fail(f"{path} is not current ({sum(stale.values())} line(s) not generated, {sum(new.values())} generated line(s) "
                    f"missing): run python tools/generate_expected_records.py", pytrace=False)


@pytest.fixture(scope="module")
def basic_reads():
    """One read per basic_read entry, shared by its tests."""
    return {}


def basic_read(entry: Dict[str, Any], config: Dict[str, Any], cache: Dict[str, Any]):
    """CAT's basic read: every discovered stream but the declared empty ones, in full refresh."""
    key = runner.entry_id("basic_read", runner.entries(CONFIG, "basic_read").index(entry), entry)
    if key not in cache:
        discovered = runner.discover(config)
        empty = {stream["name"] for stream in entry.get("empty_streams") or []}
        catalog = runner.configure([stream for stream in discovered["streams"] if stream["name"] not in empty], "full_refresh")
        output = runner.run_connector("read", config, catalog)
        runner.assert_succeeded(output, "basic read")
        cache[key] = (catalog, output)
    return cache[key]


@pytest.mark.parametrize("entry", section_params("basic_read", needs="expect_records"))
def test_basic_read_returns_the_expected_records(entry, connector_config, basic_reads):
    options = entry["expect_records"]
    if not options.get("path"):
        pytest.skip(options.get("bypass_reason") or "no expected records")
    catalog, output = basic_read(entry, connector_config, basic_reads)
    expected = runner.load_expected_records(str(path_of(options["path"])))
    actual = runner.records_by_stream(output)
    read_streams = [configured["stream"] for configured in catalog["streams"]]
    if CONFIG.get("test_strictness_level") == "high":
        without = sorted(stream["name"] for stream in read_streams if stream["name"] not in expected)
        assert not without, f"high strictness: streams read without expected records (declare them in empty_streams): {without}"
    problems = []
    for stream in read_streams:
        if stream["name"] not in expected:
            continue
        primary_key = [path[-1] for path in stream.get("source_defined_primary_key") or []]
        problems += runner.compare_records(
            stream["name"], actual.get(stream["name"], []), expected[stream["name"]], primary_key,
            exact_order=bool(options.get("exact_order", False)), extra_fields=bool(options.get("extra_fields", False)),
            extra_records=bool(options.get("extra_records", True)))
    unknown = sorted(set(expected) - {stream["name"] for stream in read_streams})
    assert not unknown, f"expected records of streams that were not read: {unknown}"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("entry", section_params("basic_read"))
def test_basic_read_records_have_no_column_outside_their_schema(entry, connector_config, basic_reads):
    if not entry.get("fail_on_extra_columns", True):  # CAT's default is to fail
        pytest.skip("fail_on_extra_columns: false")
    catalog, output = basic_read(entry, connector_config, basic_reads)
    actual = runner.records_by_stream(output)
    extra = {configured["stream"]["name"]: runner.extra_columns(actual.get(configured["stream"]["name"], []), configured["stream"]["json_schema"])
             for configured in catalog["streams"]}
    assert {stream: columns for stream, columns in extra.items() if columns} == {}


@pytest.mark.parametrize("entry", section_params("full_refresh"))
def test_full_refresh_sequential_reads_return_the_same_records(entry, connector_config):
    catalog = runner.full_refresh_only(read_json(entry["configured_catalog_path"]))
    first = runner.run_connector("read", connector_config, catalog)
    runner.assert_succeeded(first, "first full refresh read")
    second = runner.run_connector("read", connector_config, catalog)
    runner.assert_succeeded(second, "second full refresh read")
    first_records, second_records = runner.records_by_stream(first), runner.records_by_stream(second)
    assert sum(map(len, first_records.values())) > 0, "the full refresh read returned no record"
    for configured in catalog["streams"]:
        name = configured["stream"]["name"]
        before = Counter(runner.hashable(runner.comparable(record)) for record in first_records.get(name, []))
        after = Counter(runner.hashable(runner.comparable(record)) for record in second_records.get(name, []))
        lost = before - after
        assert not lost, f"{name}: {sum(lost.values())} record(s) of the first read are not in the second, e.g. {next(iter(lost))[:300]}"


@pytest.mark.parametrize("entry", section_params("incremental"))
def test_incremental_two_sequential_reads_return_nothing_older_than_the_state(entry, connector_config):
    catalog = runner.incremental_only(read_json(entry["configured_catalog_path"]))
    assert catalog["streams"], "no incremental stream in the catalog"
    first = runner.run_connector("read", connector_config, catalog)
    runner.assert_succeeded(first, "first incremental read")
    assert first.of_type("RECORD") and first.of_type("STATE"), "the first read must return records and states"
    states = runner.latest_states(first)
    second = runner.run_connector("read", connector_config, catalog, state=states)
    runner.assert_succeeded(second, "second incremental read")
    by_stream = {state["stream"]["stream_descriptor"]["name"]: state["stream"]["stream_state"] for state in states}
    threshold = timedelta(days=entry.get("threshold_days", 0))
    records = runner.records_by_stream(second)
    problems = {}
    for configured in catalog["streams"]:
        name, cursor = configured["stream"]["name"], runner.cursor_of(configured)
        assert name in by_stream, f"{name}: the first read emitted no state"
        cursors = runner.state_cursors(by_stream[name], cursor)
        assert cursors, f"{name}: no {cursor} in its state {by_stream[name]}"
        older = runner.older_than_state(records.get(name, []), cursor, cursors, threshold)
        if older:
            problems[name] = older[:3]
    assert problems == {}
    assert sum(map(len, records.values())) < sum(map(len, runner.records_by_stream(first).values())), "the second read read everything again"


@pytest.mark.parametrize("entry", section_params("incremental", needs="future_state"))
def test_incremental_read_from_an_abnormally_large_state_returns_no_record(entry, connector_config):
    future = entry["future_state"]
    if not future.get("future_state_path"):
        pytest.skip(future.get("bypass_reason") or "no future state")
    catalog = runner.incremental_only(read_json(entry["configured_catalog_path"]))
    state = read_json(future["future_state_path"])
    given = {message["stream"]["stream_descriptor"]["name"]: message["stream"]["stream_state"] for message in state}
    missing = {item["name"] for item in future.get("missing_streams") or []}
    names = [configured["stream"]["name"] for configured in catalog["streams"]]
    assert sorted(set(names) - set(given) - missing) == [], "the future state must cover every incremental stream (or list it in missing_streams)"
    floors = {}
    for configured in catalog["streams"]:
        name = configured["stream"]["name"]
        if name in given:
            cursors = runner.state_cursors(given[name], runner.cursor_of(configured))
            assert cursors, f"{name}: its future state has no {runner.cursor_of(configured)}"
            floors[name] = min(parse_datetime(value) for _, value in cursors)

    output = runner.run_connector("read", connector_config, catalog, state=state)
    runner.assert_succeeded(output, "read from the future state")
    records = runner.records_by_stream(output)
    assert {name: len(rows) for name, rows in records.items() if rows} == {}, "records returned from an abnormally large state"
    states = output.of_type("STATE")
    assert states, "the read must emit at least one STATE message"
    for message in states:
        assert message["state"]["type"] == "STREAM", message
        name = message["state"]["stream"]["stream_descriptor"]["name"]
        assert name in names, f"state of a stream not in the catalog: {name}"
        configured = next(item for item in catalog["streams"] if item["stream"]["name"] == name)
        cursors = runner.state_cursors(message["state"]["stream"]["stream_state"], runner.cursor_of(configured))
        assert cursors, f"{name}: emitted a state without its cursor: {message['state']['stream']['stream_state']}"
        if name in floors:
            moved_back = [value for _, value in cursors if parse_datetime(value) < floors[name]]
            assert not moved_back, f"{name}: the state moved its cursor back to {moved_back}"
    for name in names:
        assert output.statuses(name)[-1:] == ["COMPLETE"], f"{name}: {output.statuses(name)}"
