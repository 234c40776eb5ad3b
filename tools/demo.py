"""The connector's main job, end to end, with no Marketo account: start the bundled emulator with seeded
data, run spec, check, discover and a full sync of every stream through the ``source-marketo``
command, then print what was synced.

Usage: python tools/demo.py [--leads N] [--activities N] [--keep OUTPUT_DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=int(os.environ.get("DEMO_LEADS", 10_000)))
    parser.add_argument("--activities", type=int, default=int(os.environ.get("DEMO_ACTIVITIES", 100_000)))
    parser.add_argument("--job-progression", default="seconds:3", help="emulator export job timing (immediate, seconds:S, rows:R)")
    parser.add_argument("--keep", help="write config, catalog, state and the raw output to this folder")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="source-marketo-demo-")
    os.makedirs(folder, exist_ok=True)
    emulator = start_emulator(args.leads, args.activities, args.job_progression)
    try:
        base_url = emulator.stdout.readline().strip()
        print(f"Marketo emulator: {base_url} ({args.leads:,} leads, {args.activities:,} activities)", flush=True)
        return sync(base_url, folder)
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def start_emulator(leads: int, activities: int, progression: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "integration_tests.marketo_emulator", "--port", "0", "--seed", "42",
               "--leads", str(leads), "--activities", str(activities), "--job-progression", progression,
               "--status-refresh-seconds", "0"]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def connector(*args: str, output: str) -> List[dict]:
    """Run ``source-marketo`` as a user would; its stdout goes to ``output``; returns the parsed messages."""
    executable = shutil.which("source-marketo", path=os.path.dirname(sys.executable)) or "source-marketo"
    with open(output, "w") as handle:
        subprocess.run([executable, *args], cwd=ROOT, stdout=handle, check=False)
    with open(output) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def sync(base_url: str, folder: str) -> int:
    start = (datetime.now(timezone.utc) - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    config = {"munchkin_id": base_url, "client_id": "emulator-client-id", "client_secret": "emulator-client-secret",
              "start_date": start, "activity_type_ids": "all", "status_poll_interval_seconds": 1}
    paths = {name: os.path.join(folder, f"{name}.json") for name in ("config", "catalog")}
    with open(paths["config"], "w") as handle:
        json.dump(config, handle, indent=2)
    check = connector("check", "--config", paths["config"], output=os.path.join(folder, "check.jsonl"))
    status = next(m["connectionStatus"] for m in check if m["type"] == "CONNECTION_STATUS")
    print(f"check: {status['status']} {status.get('message') or ''}", flush=True)
    if status["status"] != "SUCCEEDED":
        return 1
    discovered = connector("discover", "--config", paths["config"], output=os.path.join(folder, "discover.jsonl"))
    catalog = next(m["catalog"] for m in discovered if m["type"] == "CATALOG")
    with open(paths["catalog"], "w") as handle:
        json.dump(configured(catalog), handle)
    print(f"discover: {len(catalog['streams'])} streams; full sync of all of them...", flush=True)
    started = time.monotonic()
    messages = connector("read", "--config", paths["config"], "--catalog", paths["catalog"], output=os.path.join(folder, "read.jsonl"))
    report(messages, time.monotonic() - started, folder)
    return 0 if not any(m["type"] == "TRACE" and m["trace"]["type"] == "ERROR" for m in messages) else 1


def configured(catalog: Dict) -> Dict:
    streams = []
    for stream in catalog["streams"]:
        incremental = "incremental" in stream["supported_sync_modes"]
        streams.append({"stream": stream, "sync_mode": "incremental" if incremental else "full_refresh",
                        "destination_sync_mode": "append_dedup" if incremental else "overwrite",
                        "cursor_field": stream.get("default_cursor_field") or [], "primary_key": [["id"]]})
    return {"streams": streams}


def report(messages: List[dict], seconds: float, folder: str) -> None:
    records = Counter(m["record"]["stream"] for m in messages if m["type"] == "RECORD")
    states = {m["state"]["stream"]["stream_descriptor"]["name"]: m["state"]["stream"]["stream_state"] for m in messages if m["type"] == "STATE"}
    errors = [m["trace"]["error"]["message"] for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]
    summary = [m["log"]["message"] for m in messages if m["type"] == "LOG" and m["log"]["message"].startswith("Sync summary")]
    print(f"read: {sum(records.values()):,} records in {seconds:.1f} s")
    width = max(map(len, records), default=10)
    for stream in sorted(records):
        cursor = next((v for k, v in (states.get(stream) or {}).items() if k in ("updated_at", "activity_date")), "-")
        print(f"  {stream:<{width}}  {records[stream]:>9,}  cursor {cursor}")
    for line in summary:
        print(line)
    for error in errors:
        print(f"ERROR: {error}")
    with open(os.path.join(folder, "state.json"), "w") as handle:
        json.dump([{"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": value}} for name, value in states.items()], handle)


if __name__ == "__main__":
    sys.exit(main())
