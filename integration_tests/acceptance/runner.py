"""Our runner for what the CDK's standard suites do not run: the Connector Acceptance Tests' record
comparison (``expect_records``, ``fail_on_extra_columns``), sequential full-refresh reads and the
``incremental`` section (two sequential reads, abnormally large state).

The connector runs in-process through its command-line entrypoint (``source_marketo.run``: the
``MarketoEntrypoint`` that writes bulk records itself), as a user or Airbyte runs it. The only
difference from ``source_marketo.run.create_source`` is the clock handed to the source (see
``environment.AnchoredClock``).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple


from integration_tests.acceptance.environment import AnchoredClock
from integration_tests import harness
from integration_tests.harness import Output
from source_marketo.catalog import configure as configure_catalog
from source_marketo.components.types import parse_datetime

# Keys of acceptance-test-config.yml entries, per section, and who reads them. The CDK's suites reject
# the keys they do not read in the sections they collect; ``standard_suite.py`` hands them the file
# without OUR_KEYS. Nobody validates the incremental section for us: ``entry_problems`` does.
CDK_KEYS = {
    "spec": {"config_path"},
    "connection": {"config_path", "status"},
    "discovery": {"config_path"},
    "basic_read": {"config_path", "empty_streams", "validate_schema"},
    "full_refresh": {"config_path", "configured_catalog_path"},
}
OUR_KEYS = {
    "basic_read": {"expect_records", "fail_on_extra_columns"},
    "full_refresh": {"config_path", "configured_catalog_path"},
    "incremental": {"config_path", "configured_catalog_path", "future_state", "threshold_days", "skip_comprehensive_incremental_tests"},
}
EXPECT_RECORDS_KEYS = {"path", "exact_order", "extra_fields", "extra_records", "bypass_reason"}
FUTURE_STATE_KEYS = {"future_state_path", "missing_streams", "bypass_reason"}
SECTIONS = ("spec", "connection", "discovery", "basic_read", "full_refresh", "incremental")


# --- running the connector ---------------------------------------------------------------------------

def run_connector(command: str, config: Optional[Mapping[str, Any]] = None, catalog: Optional[Mapping[str, Any]] = None, state: Optional[Any] = None) -> Output:
    """One command through the connector's entrypoint, as the CLI runs it, on the emulator's pinned time."""
    return harness.run(command, config, catalog, state, clock=AnchoredClock())


def assert_succeeded(output: Output, what: str) -> None:
    assert output.failure is None and not output.errors, f"{what} failed: {output.failure!r} {[e.get('message') for e in output.errors]}"


def discover(config: Mapping[str, Any]) -> Dict[str, Any]:
    output = run_connector("discover", config)
    assert_succeeded(output, "discover")
    return output.catalog


def configure(streams: Iterable[Mapping[str, Any]], mode: str) -> Dict[str, Any]:
    """A configured catalog of ``streams`` (AirbyteStream dicts), incremental where ``mode`` says and the stream can."""
    return configure_catalog(list(streams), full_refresh=mode != "incremental")


def full_refresh_only(catalog: Mapping[str, Any]) -> Dict[str, Any]:
    """The catalog's streams, each in full refresh (CAT's sequential reads do the same)."""
    return configure([configured["stream"] for configured in catalog["streams"]], "full_refresh")


def incremental_only(catalog: Mapping[str, Any]) -> Dict[str, Any]:
    return {"streams": [configured for configured in catalog["streams"] if configured["sync_mode"] == "incremental"]}


# --- records -----------------------------------------------------------------------------------------

def comparable(data: Mapping[str, Any]) -> Dict[str, Any]:
    """A record's data as compared here: without null values. The CDK's serializer leaves them out of the
    records it writes and the bulk streams write them; to a destination an absent column is a null."""
    return {key: value for key, value in data.items() if value is not None}


def hashable(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def records_by_stream(output: Output) -> Dict[str, List[Dict[str, Any]]]:
    found: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    for message in output.of_type("RECORD"):
        found[message["record"]["stream"]].append(message["record"]["data"])
    return found


def load_expected_records(path: str) -> Dict[str, List[Dict[str, Any]]]:
    expected: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            item = json.loads(line)
            missing = {"stream", "data", "emitted_at"} - set(item)
            assert not missing, f"{path}:{number}: an expected record needs stream, data and emitted_at (missing {sorted(missing)})"
            expected[item["stream"]].append(item["data"])
    return expected


def compare_records(stream: str, actual: Sequence[Mapping[str, Any]], expected: Sequence[Mapping[str, Any]], primary_key: Sequence[str], *, exact_order: bool, extra_fields: bool, extra_records: bool) -> List[str]:
    """CAT's comparison of one stream's records with the expected ones; one message per problem."""
    if extra_fields and not exact_order:
        return [f"{stream}: extra_fields needs exact_order (records without a key cannot be matched otherwise)"]
    got = [comparable(record) for record in actual]
    wanted = [comparable(record) for record in expected]
    if exact_order:
        problems = []
        for index, want in enumerate(wanted):
            if index >= len(got):
                problems.append(f"{stream}: {len(wanted) - index} expected record(s) missing from position {index} on")
                break
            have = {key: got[index].get(key) for key in want} if extra_fields else got[index]
            if have != want:
                problems.append(f"{stream}: record {index} differs: {_difference(want, got[index])}")
        if not extra_records and len(got) > len(wanted):
            problems.append(f"{stream}: {len(got) - len(wanted)} record(s) more than expected")
        return problems
    got_counts, wanted_counts = Counter(map(hashable, got)), Counter(map(hashable, wanted))
    missing = wanted_counts - got_counts
    extra = got_counts - wanted_counts if not extra_records else Counter()
    if not missing and not extra:
        return []
    return [f"{stream}: {sum(missing.values())} expected record(s) missing, {sum(extra.values())} unexpected"
            + (f" (of {len(got)} read, {len(wanted)} expected)" if extra_records is False else "")
            + "".join(_explain(missing, extra, primary_key))]


def _explain(missing: Counter, extra: Counter, primary_key: Sequence[str], limit: int = 5) -> Iterable[str]:
    """The first few problems, matched by primary key where both sides have the record."""
    def key(record):
        return tuple(record.get(part) for part in primary_key) if primary_key else None

    extra_by_key = {key(json.loads(text)): json.loads(text) for text in extra}
    shown = 0
    for text in missing:
        if shown == limit:
            break
        record = json.loads(text)
        other = extra_by_key.pop(key(record), None) if primary_key else None
        yield f"\n  {'differs' if other is not None else 'missing'} {key(record) if primary_key else record}: " + (_difference(record, other) if other is not None else "")
        shown += 1
    for record_key in list(extra_by_key)[: max(0, limit - shown)]:
        yield f"\n  unexpected {record_key}"


def _difference(want: Mapping[str, Any], have: Mapping[str, Any]) -> str:
    keys = sorted(set(want) | set(have))
    return "; ".join(f"{key}: expected {want.get(key)!r}, got {have.get(key)!r}" for key in keys if want.get(key) != have.get(key))


def extra_columns(records: Iterable[Mapping[str, Any]], schema: Mapping[str, Any]) -> List[str]:
    """Top-level columns that records have and the stream's schema does not declare (CAT's fail_on_extra_columns)."""
    declared = set((schema.get("properties") or {}).keys())
    return sorted({column for record in records for column in record if column not in declared})


# --- state -------------------------------------------------------------------------------------------

def latest_states(output: Output) -> List[Dict[str, Any]]:
    """The last state message of each stream, as the platform would save it."""
    latest: Dict[str, Dict[str, Any]] = {}
    for message in output.of_type("STATE"):
        state = message["state"]
        latest[state["stream"]["stream_descriptor"]["name"]] = {"type": "STREAM", "stream": {
            "stream_descriptor": state["stream"]["stream_descriptor"], "stream_state": state["stream"]["stream_state"]}}
    return list(latest.values())


def state_cursors(stream_state: Mapping[str, Any], cursor_field: str) -> List[Tuple[Dict[str, Any], str]]:
    """``(partition, cursor value)`` pairs of a stream state: the top-level cursor (partition ``{}``), the
    global one of a per-partition state, and each partition's."""
    found: List[Tuple[Dict[str, Any], str]] = []
    if isinstance(stream_state.get(cursor_field), str):
        found.append(({}, stream_state[cursor_field]))
    if isinstance(stream_state.get("state"), Mapping) and isinstance(stream_state["state"].get(cursor_field), str):
        found.append(({}, stream_state["state"][cursor_field]))
    for entry in stream_state.get("states") or []:
        value = (entry.get("cursor") or {}).get(cursor_field)
        if isinstance(value, str):
            partition = {key: item for key, item in (entry.get("partition") or {}).items() if key != "parent_slice"}
            found.append((partition, value))
    return found


def cursor_floor(record: Mapping[str, Any], cursors: Sequence[Tuple[Dict[str, Any], str]]) -> Optional[datetime]:
    """The state cursor a record of the next read must not be older than: its partition's, else the stream's."""
    for partition, value in cursors:
        if partition and all(record.get(key) == item for key, item in partition.items()):
            return parse_datetime(value)
    overall = [parse_datetime(value) for partition, value in cursors if not partition]
    return max(overall) if overall else None


def cursor_of(stream: Mapping[str, Any]) -> Optional[str]:
    """The (top-level) cursor field of a configured stream."""
    path = stream.get("cursor_field") or stream["stream"].get("default_cursor_field") or []
    return path[-1] if path else None


def older_than_state(records: Iterable[Mapping[str, Any]], cursor_field: str, cursors: Sequence[Tuple[Dict[str, Any], str]], threshold: timedelta) -> List[str]:
    problems = []
    for record in records:
        floor = cursor_floor(record, cursors)
        value = record.get(cursor_field)
        if floor is None or value is None:
            continue
        if parse_datetime(str(value)) < floor - threshold:
            problems.append(f"{cursor_field}={value} < state {floor.isoformat()} - {threshold}")
    return problems


# --- acceptance-test-config.yml ----------------------------------------------------------------------

def entries(config: Mapping[str, Any], section: str) -> List[Dict[str, Any]]:
    return [entry for entry in ((config.get("acceptance_tests") or {}).get(section) or {}).get("tests") or [] if isinstance(entry, dict)]


def entry_id(section: str, index: int, entry: Mapping[str, Any]) -> str:
    name = os.path.splitext(os.path.basename(entry.get("config_path") or "entry"))[0]
    return f"{section}[{index}:{name}]"


def entry_problems(config: Mapping[str, Any]) -> List[str]:
    """Keys that neither the CDK's suites nor this runner read, and CAT's rules of ``test_strictness_level: high``."""
    problems = []
    for section in config.get("acceptance_tests") or {}:
        if section not in SECTIONS:
            problems.append(f"unknown section {section!r}")
            continue
        for index, entry in enumerate(entries(config, section)):
            read = CDK_KEYS.get(section, set()) | OUR_KEYS.get(section, set())
            for key in entry:
                if key not in read:
                    problems.append(f"{entry_id(section, index, entry)}: {key!r} is read by neither the CDK's suites nor our runner")
            for key in set(entry.get("expect_records") or {}) - EXPECT_RECORDS_KEYS:
                problems.append(f"{entry_id(section, index, entry)}: expect_records.{key} is not read")
            for key in set(entry.get("future_state") or {}) - FUTURE_STATE_KEYS:
                problems.append(f"{entry_id(section, index, entry)}: future_state.{key} is not read")
            if section == "incremental" and entry.get("skip_comprehensive_incremental_tests") is not True:
                problems.append(f"{entry_id(section, index, entry)}: CAT's sequential-slices test is not run here: set skip_comprehensive_incremental_tests: true")
    if config.get("test_strictness_level") == "high":
        for section in SECTIONS:
            declared = (config.get("acceptance_tests") or {}).get(section)
            if not declared or not (declared.get("tests") or declared.get("bypass_reason")):
                problems.append(f"high strictness: section {section!r} has neither tests nor a bypass_reason")
        for index, entry in enumerate(entries(config, "basic_read")):
            where = entry_id("basic_read", index, entry)
            if "configured_catalog_path" in entry:
                problems.append(f"high strictness: {where} reads the discovered catalog, it cannot set configured_catalog_path")
            records = entry.get("expect_records") or {}
            if not (records.get("path") or records.get("bypass_reason")):
                problems.append(f"high strictness: {where} needs expect_records (a path or a bypass_reason)")
            for empty in entry.get("empty_streams") or []:
                if not empty.get("bypass_reason"):
                    problems.append(f"high strictness: {where}: empty stream {empty.get('name')!r} needs a bypass_reason")
        for index, entry in enumerate(entries(config, "incremental")):
            where = entry_id("incremental", index, entry)
            future = entry.get("future_state") or {}
            if not (future.get("future_state_path") or future.get("bypass_reason")):
                problems.append(f"high strictness: {where} needs future_state (a future_state_path or a bypass_reason)")
            for missing in future.get("missing_streams") or []:
                if not missing.get("bypass_reason"):
                    problems.append(f"high strictness: {where}: missing stream {missing.get('name')!r} needs a bypass_reason")
    return problems
