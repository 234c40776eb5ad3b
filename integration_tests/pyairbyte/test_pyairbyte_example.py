"""examples/pyairbyte_marketo.py end to end: PyAirbyte runs ``source-marketo`` into DuckDB, the tables hold
exactly what the connector emits, and the example's SQL answers agree with the emulator's ground truth.

PyAirbyte is the optional ``pyairbyte`` extra (about 430 MB more in the virtualenv): without it these
tests are skipped. The example runs as a user runs it, in a child process with this interpreter.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from integration_tests.harness import configured_catalog, emulator_config, run

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "pyairbyte_marketo.py"
DEFAULT_CACHE = Path(".cache") / "default_cache" / "default_cache.duckdb"  # PyAirbyte's, under the working directory
TYPE_FALLBACK_NOTE = "Could not determine airbyte type"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("airbyte") is None,
    reason="PyAirbyte is not installed; it is the optional extra: pip install -e '.[tests,pyairbyte]'",
)


def run_example(tmp_path: Path, *args: str, cwd: Path = ROOT) -> Tuple[subprocess.CompletedProcess, Dict[str, Any]]:
    summary_path = tmp_path / f"summary-{len(list(tmp_path.glob('summary-*.json')))}.json"
    env = {**os.environ, "AIRBYTE_LOGGING_ROOT": str(tmp_path / "pyairbyte-logs")}
    result = subprocess.run([sys.executable, str(EXAMPLE), *args, "--summary-json", str(summary_path)],
                            cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "Connection check succeeded." in result.stdout
    assert TYPE_FALLBACK_NOTE not in result.stdout
    return result, json.loads(summary_path.read_text(encoding="utf-8"))


def given_a_config_file(tmp_path: Path, emulator) -> Tuple[Dict[str, Any], str]:
    config = emulator_config(emulator, activity_type_ids="all")
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return config, str(path)


def table(db_path: Path, sql: str) -> List[Dict[str, Any]]:
    import duckdb  # a PyAirbyte dependency

    with duckdb.connect(str(db_path), read_only=True) as connection:
        cursor = connection.execute(sql)
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def as_emitted(value: Any) -> Any:
    """A DuckDB value spelled as the connector's JSON spells it."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):  # JSON numbers become DECIMAL(38,9); the emulator's have at most 4 decimals
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def test_given_a_config_when_the_example_syncs_every_stream_then_duckdb_holds_what_the_connector_emits(marketo_emulator_factory, tmp_path):
    # Two full syncs follow each other (the example's, then the connector's own): no 100-calls-per-20-s wait.
    emulator = marketo_emulator_factory(leads=300, activities=3000, hostile=True, rate_limit_calls=0)
    config, config_path = given_a_config_file(tmp_path, emulator)
    db_path = tmp_path / "marketo.duckdb"
    _, summary = run_example(tmp_path, "--config", config_path, "--cache", str(db_path), "--streams", "all")

    discovered = run("discover", config).catalog
    emitted = run("read", config, configured_catalog(discovered, mode="full_refresh"))
    assert emitted.failure is None, emitted.errors
    emitted_by_stream = emitted.records_by_stream()
    assert set(summary["row_counts"]) == {stream["name"] for stream in discovered["streams"]}  # every stream, the per-type ones too
    for stream, rows in summary["row_counts"].items():
        expected = len(emitted_by_stream.get(stream, []))
        assert rows == expected, stream
        assert table(db_path, f"select count(*) as n from {stream}")[0]["n"] == expected, stream

    leads = {row["id"]: row for row in table(db_path, "select * from leads")}
    seen = Counter()
    for record in emitted_by_stream["leads"]:
        row = leads[record["id"]]
        for column, value in record.items():
            assert as_emitted(row[column]) == value, (record["id"], column)  # JSON nulls are SQL NULLs
            if value is None:
                seen["null"] += 1
            elif isinstance(value, str):
                seen["U+2028"] += "\u2028" in value
                seen["CR or LF"] += "\r" in value or "\n" in value
    # the emulator's hostile strings and its JSON nulls went through unchanged
    assert seen["U+2028"] > 0 and seen["CR or LF"] > 0 and seen["null"] > 100, seen

    attributes = {row["id"]: row["value"] for row in table(db_path, "select id, value from lead_activity_attributes")}
    for record in emitted_by_stream["lead_activity_attributes"]:
        # value is ["null", "integer", "string"] in the schema: PyAirbyte makes it VARCHAR
        assert attributes[record["id"]] == (None if record["value"] is None else str(record["value"]))

    # a first sync: leads removed before it were never synced, so they get no deleted_at row
    assert set(leads) == {lead["id"] for lead in emulator.truth.leads()}
    assert not {lead_id for lead_id, row in leads.items() if row["deleted_at"] is not None}
    assert summary["row_counts"]["lead_activity_types"] == len(emulator.truth.activity_types())


def test_given_a_synced_cache_then_the_example_queries_agree_with_the_ground_truth(marketo_emulator_factory, tmp_path):
    emulator = marketo_emulator_factory(leads=300, activities=3000)
    _, config_path = given_a_config_file(tmp_path, emulator)
    db_path = tmp_path / "marketo.duckdb"
    run_example(tmp_path, "--config", config_path, "--cache", str(db_path))
    changes = emulator.tick(seconds=1800, new_leads=0, updated_leads=0, deleted_leads=2, merged_leads=2, new_activities=0)
    emulator.clock.advance(120)  # the newest minute is left to the next run
    _, summary = run_example(tmp_path, "--config", config_path, "--cache", str(db_path), "--incremental")
    queries, counts = summary["queries"], summary["row_counts"]
    assert set(counts) == {"leads", "lead_activities", "lead_activity_types", "email", "programs", "campaigns"}
    deleted = set(changes["deleted_leads"])
    removed = deleted | {merge["loser"] for merge in changes["merged_leads"]}

    assert queries["lead_counts"] == [{"rows": counts["leads"], "live": len(emulator.truth.leads()), "deleted_or_merged": len(removed)}]
    assert queries["removed_leads"]
    for row in queries["removed_leads"]:
        assert row["removal"] == ("deleted" if row["id"] in deleted else "merged away")

    type_names = {item["id"]: item["name"] for item in emulator.truth.activity_types()}
    by_type = queries["activities_by_type"]
    assert sum(row["activities"] for row in by_type) == counts["lead_activities"]
    assert {row["activity_type_id"]: row["activity_type"] for row in by_type} == {row["activity_type_id"]: type_names[row["activity_type_id"]] for row in by_type}
    assert {1, 6, 7, 10, 12, 13} <= {row["activity_type_id"] for row in by_type}

    emails = table(db_path, "select id, status, workspace from email")  # one row per version: (id, status) is the key
    assert len(emails) == len({(row["id"], row["status"]) for row in emails}) > len({row["id"] for row in emails})
    per_workspace = {row["workspace"]: row for row in queries["emails_by_workspace"]}
    assert {w: row["emails"] for w, row in per_workspace.items()} == dict(Counter(w for w, _ in {(row["workspace"], row["id"]) for row in emails}))
    for status in ("approved", "draft"):
        assert {w: row[status] for w, row in per_workspace.items() if row[status]} == dict(Counter(row["workspace"] for row in emails if row["status"] == status))
    truth_emails = {item["id"]: item for item in emulator.truth.assets("emails")}
    assert {row["workspace"] for row in queries["emails_by_workspace"]} <= {item["workspace"] for item in truth_emails.values()}

    delivered = Counter(row["primary_attribute_value_id"] for row in table(db_path, "select primary_attribute_value_id from lead_activities where activity_type_id = 7"))
    top = queries["email_engagement"]
    assert 0 < len(top) <= 10
    for row in top:
        assert row["email_id"] in truth_emails
        assert row["delivered"] == delivered[row["email_id"]]
    assert [row["delivered"] for row in top] == sorted((row["delivered"] for row in top), reverse=True)


def test_given_no_config_when_the_example_runs_then_it_syncs_the_bundled_emulator_into_the_default_cache(tmp_path):
    result, summary = run_example(tmp_path, "--leads", "100", "--activities", "1000", cwd=tmp_path)
    assert result.stdout.startswith("Marketo emulator at http://127.0.0.1:")
    assert Path(summary["cache"]) == (tmp_path / DEFAULT_CACHE).resolve()
    assert (tmp_path / DEFAULT_CACHE).is_file()
    assert summary["row_counts"]["leads"] == 98  # 98 live; the seeded deletion and merge predate the first sync
    assert summary["queries"]["lead_counts"] == [{"rows": 98, "live": 98, "deleted_or_merged": 0}]
    for title in ("Rows per table", "Activities per activity type", "Email assets per workspace", "Top emails by deliveries"):
        assert title in result.stdout


def test_given_a_synced_cache_when_changes_follow_and_the_example_runs_incrementally_then_rows_are_merged(marketo_emulator_factory, tmp_path):
    emulator = marketo_emulator_factory(leads=200, activities=2000)
    _, config_path = given_a_config_file(tmp_path, emulator)
    db_path = tmp_path / "marketo.duckdb"
    _, first = run_example(tmp_path, "--config", config_path, "--cache", str(db_path), "--streams", "leads")
    changes = emulator.tick(seconds=1800, new_leads=3, updated_leads=4, deleted_leads=1, merged_leads=1, new_activities=0)
    emulator.clock.advance(120)  # the newest minute is left to the next run

    _, second = run_example(tmp_path, "--config", config_path, "--cache", str(db_path), "--streams", "leads", "--incremental")
    assert second["processed_records"] < first["processed_records"] / 4  # only what changed was read
    leads = {row["id"]: row for row in table(db_path, "select id, email, updated_at, deleted_at from leads")}
    assert second["row_counts"]["leads"] == len(leads)  # merged on the primary key: one row per lead
    removed = set(changes["deleted_leads"]) | {merge["loser"] for merge in changes["merged_leads"]}
    live = {lead["id"]: lead for lead in emulator.truth.leads()}
    assert set(leads) == set(live) | removed
    assert {lead_id for lead_id, row in leads.items() if row["deleted_at"] is not None} == removed
    for lead_id in set(changes["new_leads"]) | set(changes["updated_leads"]):
        if lead_id in live:
            assert as_emitted(leads[lead_id]["updated_at"]) == live[lead_id]["updatedAt"]
            assert leads[lead_id]["email"] == live[lead_id]["email"]
