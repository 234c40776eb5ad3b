"""The command line: prints its base URL first (flushed), serves, stops cleanly on SIGTERM."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[3]


def test_cli_prints_base_url_first_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "integration_tests.marketo_emulator", "--port", "0", "--seed", "7", "--leads", "50",
         "--activities", "200", "--job-progression", "immediate", "--status-refresh-seconds", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "0"})
    try:
        first = process.stdout.readline().strip()
        assert first.startswith("http://127.0.0.1:")
        token = requests.get(f"{first}/identity/oauth/token", params={
            "grant_type": "client_credentials", "client_id": "emulator-client-id",
            "client_secret": "emulator-client-secret"}, timeout=5).json()["access_token"]
        body = requests.get(f"{first}/rest/v1/leads.json", params={"filterType": "id", "filterValues": "1,2,3,4,5"},
                            headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
        assert body["result"] and body["result"][0]["id"] <= 5
        assert requests.get(f"{first}/_emulator/info", timeout=5).json()["options"]["seed"] == 7
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()
    assert code == 0


def test_cli_help_lists_every_option():
    out = subprocess.run([sys.executable, "-m", "integration_tests.marketo_emulator", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=30).stdout
    for option in ("--port", "--seed", "--leads", "--activities", "--client-id", "--client-secret", "--token-ttl",
                   "--job-progression", "--job-rows-per-second", "--status-refresh-seconds", "--daily-call-quota",
                   "--daily-export-mb", "--no-updated-at-filter", "--host", "--hostile", "--data-begins",
                   "--history-shape", "--activity-retention", "--retention", "--queue-latency-seconds", "--clock-speed"):
        assert option in out


def test_cli_options_for_instance_shapes():
    from integration_tests.marketo_emulator.__main__ import options_from, parser

    options = options_from(parser().parse_args([
        "--data-begins", "2024-03-01T00:00:00Z", "--history-shape", "growing", "--retention", "1,6,7=30",
        "--retention", "12=400", "--queue-latency-seconds", "20", "--job-progression", "fixed:45,rows:20000",
        "--fake-clock", "2025-06-02T15:00:00Z", "--clock-speed", "60"]))
    assert options.data_begins.isoformat() == "2024-03-01T00:00:00+00:00" and options.history_shape == "growing"
    assert options.activity_retention is True and options.retention_days == {1: 30, 6: 30, 7: 30, 12: 400}
    assert options.queue_latency_seconds == 20 and options.job_progression == "fixed:45,rows:20000"
    assert options.clock.speed == 60
    defaults = options_from(parser().parse_args([]))
    assert defaults.activity_retention is False and defaults.retention_days is None and defaults.data_begins is None
    bad = subprocess.run([sys.executable, "-m", "integration_tests.marketo_emulator", "--retention", "1=x"], cwd=ROOT,
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2 and "--retention" in bad.stderr


def test_cli_options_for_the_later_objects():
    from integration_tests.marketo_emulator.__main__ import options_from, parser

    options = options_from(parser().parse_args([
        "--no-program-member-updated-at-filter", "--program-member-export-booleans", "words", "--activity-list-limit",
        "10000", "--opportunities", "7", "--custom-object-types", "1", "--crm-sync", "--program-member-density", "0.25"]))
    assert options.program_member_updated_at_filter is False and options.program_member_export_booleans == "words"
    assert options.program_member_density == 0.25
    assert (options.activity_list_limit, options.opportunities, options.custom_object_types, options.crm_sync) == (10000, 7, 1, True)
    defaults = options_from(parser().parse_args([]))
    assert defaults.program_member_updated_at_filter is True and defaults.program_member_export_booleans == "digits"
    assert defaults.program_member_density == 1.0
    assert (defaults.activity_list_limit, defaults.opportunities, defaults.custom_object_types, defaults.crm_sync) == (0, 40, 3, False)
