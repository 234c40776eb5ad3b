"""source-marketo-catalog (and python -m source_marketo.catalog): a configured catalog from discover,
of the streams asked for, that `read` accepts."""

import json
import os
import subprocess
import sys

import pytest

from integration_tests.harness import emulator_config, run
from source_marketo.components.naming import display_snake_case

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONSOLE_SCRIPT = os.path.join(os.path.dirname(sys.executable), "source-marketo-catalog")


def catalog_command(tmp_path, config, *args, module=False):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    command = [sys.executable, "-m", "source_marketo.catalog"] if module else [CONSOLE_SCRIPT]
    return subprocess.run([*command, "--config", str(path), *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture
def config(marketo_emulator):
    return emulator_config(marketo_emulator)


def test_given_chosen_streams_when_the_catalog_is_made_then_read_accepts_it_and_syncs_only_those(tmp_path, config):
    assert os.access(CONSOLE_SCRIPT, os.X_OK), "the console script is not installed (setup.py entry_points)"
    result = catalog_command(tmp_path, config, "--streams", "leads,email,lead_activity_types")
    assert result.returncode == 0, result.stderr
    catalog = json.loads(result.stdout)
    modes = {c["stream"]["name"]: (c["sync_mode"], c["destination_sync_mode"], c["cursor_field"], c["primary_key"]) for c in catalog["streams"]}
    assert modes == {
        "leads": ("incremental", "append_dedup", ["updated_at"], [["id"]]),
        "email": ("incremental", "append_dedup", ["updated_at"], [["id"], ["status"]]),
        "lead_activity_types": ("full_refresh", "overwrite", [], [["id"]]),  # no incremental: full refresh
    }
    output = run("read", config, catalog)
    assert output.failure is None, output.errors
    assert set(output.records_by_stream()) == {"leads", "email", "lead_activity_types"}
    assert {name: output.statuses(name)[-1] for name in modes} == {name: "COMPLETE" for name in modes}
    assert {state["stream"]["stream_descriptor"]["name"] for state in output.states} == set(modes)


def test_given_no_streams_and_full_refresh_when_the_catalog_is_made_then_every_stream_in_full_refresh(tmp_path, config, marketo_emulator):
    result = catalog_command(tmp_path, config, "--full-refresh", module=True)
    assert result.returncode == 0, result.stderr
    catalog = json.loads(result.stdout)
    discovered = run("discover", config).catalog
    assert [c["stream"] for c in catalog["streams"]] == discovered["streams"]
    assert {(c["sync_mode"], c["destination_sync_mode"]) for c in catalog["streams"]} == {("full_refresh", "overwrite")}
    output = run("read", config, catalog)
    assert output.failure is None, output.errors
    with_data = {item["activityTypeId"] for item in marketo_emulator.truth.activities(since=config["start_date"])}
    empty = {"activities_" + display_snake_case(t["name"]) for t in marketo_emulator.truth.activity_types() if t["id"] not in with_data}
    assert empty and set(output.records_by_stream()) == {s["name"] for s in discovered["streams"]} - empty  # types listed without data


@pytest.mark.parametrize(
    "changes, args, message",
    [
        ({}, ("--streams", "leads,contacts"), "unknown stream(s): contacts; the streams are: campaigns, email"),
        ({"munchkin_id": "https://app-ab12.marketo.com"}, (), "Marketo's web interface, not of its REST API"),
    ],
)
def test_given_a_mistake_when_the_catalog_is_made_then_it_says_so_on_stderr_and_prints_nothing(tmp_path, config, changes, args, message):
    result = catalog_command(tmp_path, {**config, **changes}, *args, module=True)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("source-marketo-catalog: ") and message in result.stderr
