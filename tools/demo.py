"""The connector's main job, end to end, with no Marketo account: start the bundled emulator with seeded
data, run check, make a catalog of every stream (``source-marketo-catalog``, which runs discover) and a
full sync through the ``source-marketo`` command, then print what was synced.

The sync's output is read as it comes, line by line: records are counted per stream and dropped, only
the last state of each stream, the errors and the run summary are kept, so this process needs a few
megabytes whatever the size of the instance (the connector's and this process's peak memory are printed).

Usage: python tools/demo.py [--leads N] [--activities N] [--keep OUTPUT_DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Every RECORD line of the connector starts so (the CDK's serializer and the bulk streams' writer alike).
RECORD_PREFIX = b'{"type":"RECORD","record":{"stream":"'


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=int(os.environ.get("DEMO_LEADS", 10_000)))
    parser.add_argument("--activities", type=int, default=int(os.environ.get("DEMO_ACTIVITIES", 100_000)))
    parser.add_argument("--job-progression", default="seconds:3", help="emulator export job timing (immediate, seconds:S, rows:R)")
    parser.add_argument("--keep", help="write config, catalog, state and the raw output (read.jsonl) to this folder")
    args = parser.parse_args()
    folder = args.keep or tempfile.mkdtemp(prefix="source-marketo-demo-")
    os.makedirs(folder, exist_ok=True)
    emulator = start_emulator(args.leads, args.activities, args.job_progression)
    try:
        base_url = emulator.stdout.readline().strip()
        print(f"Marketo emulator: {base_url} ({args.leads:,} leads, {args.activities:,} activities)", flush=True)
        return sync(base_url, folder, keep_output=bool(args.keep))
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


def command(name: str) -> str:
    """A console script of this installation (the venv's ``bin``), as a user would call it."""
    return shutil.which(name, path=os.path.dirname(sys.executable)) or name


def run_small(*args: str, output: str) -> str:
    """Run a short command (check, the catalog) with its stdout in ``output``; returns that output."""
    with open(output, "w") as handle:
        subprocess.run(list(args), cwd=ROOT, stdout=handle, check=False)
    with open(output) as handle:
        return handle.read()


def sync(base_url: str, folder: str, keep_output: bool) -> int:
    start = (datetime.now(timezone.utc) - timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ")
    config = {"munchkin_id": base_url, "client_id": "emulator-client-id", "client_secret": "emulator-client-secret",
              "start_date": start, "activity_type_ids": "all", "status_poll_interval_seconds": 1}
    paths = {name: os.path.join(folder, f"{name}.json") for name in ("config", "catalog")}
    with open(paths["config"], "w") as handle:
        json.dump(config, handle, indent=2)
    check = run_small(command("source-marketo"), "check", "--config", paths["config"], output=os.path.join(folder, "check.jsonl"))
    status = next(m["connectionStatus"] for m in map(json.loads, check.splitlines()) if m["type"] == "CONNECTION_STATUS")
    print(" ".join(part for part in ("check:", status["status"], status.get("message")) if part), flush=True)
    if status["status"] != "SUCCEEDED":
        return 1
    catalog = json.loads(run_small(command("source-marketo-catalog"), "--config", paths["config"], output=paths["catalog"]))
    print(f"catalog: {len(catalog['streams'])} streams (source-marketo-catalog, from discover); full sync of all of them...", flush=True)
    read = ReadOutput()
    started = time.monotonic()
    connector_peak = read.run([command("source-marketo"), "read", "--config", paths["config"], "--catalog", paths["catalog"]],
                              os.path.join(folder, "read.jsonl") if keep_output else None)
    report(read, catalog, time.monotonic() - started, connector_peak)
    write_state(read.states, os.path.join(folder, "state.json"))
    return 1 if read.errors else 0


class ReadOutput:
    """What the summary needs from a ``read``'s output, taken line by line as it streams."""

    def __init__(self) -> None:
        self.records: Counter = Counter()
        self.states: Dict[str, Any] = {}  # stream -> its last state
        self.errors: List[str] = []
        self.summary: List[str] = []

    def run(self, args: List[str], raw_path: Optional[str]) -> int:
        """Run the connector, read its stdout to the end (a copy in ``raw_path``); its peak RSS in bytes."""
        raw = open(raw_path, "wb") if raw_path else None
        try:
            process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, bufsize=1 << 20)
            for line in process.stdout:
                if raw:
                    raw.write(line)
                self.take(line)
            process.stdout.close()
            # wait4: this child's own rusage (RUSAGE_CHILDREN would mix in the emulator).
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_maxrss * 1024
        finally:
            if raw:
                raw.close()

    def take(self, line: bytes) -> None:
        if line.startswith(RECORD_PREFIX):
            end = line.find(b'"', len(RECORD_PREFIX))
            self.records[line[len(RECORD_PREFIX):end].decode()] += 1
            return
        if not line.strip():
            return
        message = json.loads(line)
        kind = message.get("type")
        if kind == "RECORD":
            self.records[message["record"]["stream"]] += 1
        elif kind == "STATE" and message["state"].get("stream"):
            stream = message["state"]["stream"]
            self.states[stream["stream_descriptor"]["name"]] = stream.get("stream_state")
        elif kind == "TRACE" and message["trace"]["type"] == "ERROR":
            self.errors.append(message["trace"]["error"]["message"])
        elif kind == "LOG" and message["log"]["message"].startswith("Sync summary"):
            self.summary.append(message["log"]["message"])


def cursor_value(state: Optional[Dict[str, Any]], cursor_field: List[str]) -> Optional[str]:
    """The cursor in a stream's state: at the top level, or for a stream read per partition (segments:
    one cursor per segmentation) the CDK's cursor over all partitions, under ``state``."""
    if not state or not cursor_field:
        return None
    field = cursor_field[0]
    if field in state:
        return state[field]
    overall = state.get("state")
    return overall.get(field) if isinstance(overall, dict) else None


def report(read: ReadOutput, catalog: Dict[str, Any], seconds: float, connector_peak: int) -> None:
    cursors = {c["stream"]["name"]: c.get("cursor_field") or [] for c in catalog["streams"]}
    print(f"read: {sum(read.records.values()):,} records in {seconds:.1f} s")
    streams = sorted(set(cursors) | set(read.records))  # every stream synced, an empty one too
    width = max(map(len, streams), default=10)
    for stream in streams:
        if cursors.get(stream):
            where = f"cursor {cursor_value(read.states.get(stream), cursors[stream]) or '-'}"
        else:
            where = "full refresh"
        print(f"  {stream:<{width}}  {read.records.get(stream, 0):>9,}  {where}")
    for line in read.summary:
        print(line)
    print(f"peak memory: connector {megabytes(connector_peak)}, this demo {megabytes(own_peak())}")
    for error in read.errors:
        print(f"ERROR: {error}")


def own_peak() -> int:
    """This process's peak RSS in bytes: VmHWM, which starts afresh at exec (ru_maxrss would keep the
    peak of the process that started this one, when that was larger)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def megabytes(count: int) -> str:
    return f"{count / 1e6:,.0f} MB"


def write_state(states: Dict[str, Any], path: str) -> None:
    """The state file for a next ``read --state``: the last state of each stream."""
    with open(path, "w") as handle:
        json.dump([{"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": value}}
                   for name, value in states.items()], handle)


if __name__ == "__main__":
    sys.exit(main())
