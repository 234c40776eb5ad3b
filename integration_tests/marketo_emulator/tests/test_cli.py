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
                   "--daily-export-mb", "--no-updated-at-filter", "--host", "--hostile"):
        assert option in out
