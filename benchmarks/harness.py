"""Building blocks of the benchmark: an emulator process, a connector run, a baseline run, job-timeline maths.

Everything here measures and returns numbers; nothing asserts on time.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
MB = 1024 * 1024


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Emulator:
    """The bundled emulator in its own process (so its CPU is measured apart from the connector's)."""

    def __init__(self, workdir: Path, name: str, leads: int, activities: int, rows_per_second: float,
                 status_refresh: float, asset_scale: float = 1.0, extra: Sequence[str] = (), fixed_seconds: float = 0.0) -> None:
        self.name = name
        self.leads, self.activities, self.asset_scale = leads, activities, asset_scale
        self.export_dir = workdir / f"exports-{name}"
        self.export_dir.mkdir(parents=True, exist_ok=True)
        self.command = [PYTHON, str(HERE / "emulator_proc.py"), "--port", "0", "--seed", "42",
                        "--leads", str(leads), "--activities", str(activities),
                        "--job-progression", (f"fixed:{fixed_seconds:g},rows:{rows_per_second:g}" if fixed_seconds else f"rows:{rows_per_second:g}"),
                        "--status-refresh-seconds", f"{status_refresh:g}",
                        "--daily-export-mb", "1000000", "--daily-call-quota", "100000000",
                        "--export-dir", str(self.export_dir), "--asset-scale", f"{asset_scale:g}", *extra]
        self.process: Optional[subprocess.Popen] = None
        self.base_url = ""
        self.build_s = 0.0

    def __enter__(self) -> "Emulator":
        started = time.perf_counter()
        self.process = subprocess.Popen(self.command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http"):
            raise RuntimeError(f"the emulator did not start: {self.command}")
        self.build_s = time.perf_counter() - started
        self.ps = psutil.Process(self.process.pid)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for path in self.export_dir.glob("*"):
            path.unlink(missing_ok=True)

    def admin(self, path: str, body: Optional[dict] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method="GET" if body is None else "POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as reply:
            return json.loads(reply.read())

    def info(self) -> dict:
        return self.admin("/_emulator/info")

    def now(self) -> datetime:
        return parse_iso(self.info()["now"])

    def anchor(self) -> datetime:
        return parse_iso(self.info()["anchor"])

    def cpu_s(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def snapshot(self) -> dict:
        """Where the journal, the job list and the emulator's CPU stand, after waiting for a quiet rate window."""
        journal = self.admin("/_emulator/journal")
        self.quiet_rate_window(journal)  # no call is made while it waits: the journal read stays current
        return {"journal": len(journal), "jobs": {job["exportId"] for job in self.admin("/_emulator/jobs")}, "cpu_s": self.cpu_s()}

    RATE_WINDOW_S = 20.0  # the emulator's 100 calls per 20 s (Marketo's)

    def quiet_rate_window(self, journal: List[dict]) -> float:
        """Wait until no call counted before now (discover, the sync before, another family's calls) is still in
        Marketo's 20 s rate window, so a measured sync starts with the window to itself, as a scheduled sync on
        an instance of its own would; else it may meet a 606 that another client caused. Returns the seconds waited."""
        counted = [entry["time"] for entry in journal if entry.get("counted")]
        if not counted:
            return 0.0
        since = (self.now() - parse_iso(counted[-1])).total_seconds()  # journal times are to the second
        wait = max(0.0, self.RATE_WINDOW_S + 1.0 - since)
        time.sleep(wait)
        return wait

    def tick(self, **counts: Any) -> dict:
        return self.admin("/_emulator/tick", counts)

    def file_of(self, export_id: str) -> Path:
        return self.export_dir / f"{export_id}.csv"


@dataclass
class RunResult:
    name: str
    wall_s: float
    cpu_s: float
    rss_mb: float
    exit_code: int
    records: Dict[str, int]
    summary: str
    errors: List[str]
    states: List[dict]
    probe: dict
    calls: int = 0
    identity_calls: int = 0
    calls_by_endpoint: Dict[str, int] = field(default_factory=dict)
    jobs: List[dict] = field(default_factory=list)
    emulator_cpu_s: float = 0.0
    export_rows: int = 0
    export_bytes: int = 0
    journal: List[dict] = field(default_factory=list)

    @property
    def hot_wall_s(self) -> float:
        return sum(f["wall_s"] for f in self.probe.get("files", []))

    @property
    def service_wall_s(self) -> float:
        """Of hot_wall_s: the scheduler's servicing between batches (other jobs' polls, enqueues, rate waits)."""
        return sum(f.get("service_wall_s", 0.0) for f in self.probe.get("files", []))

    @property
    def rate_wait_s(self) -> float:
        """Of hot_wall_s: waits for the client's call-rate window (100 calls / 20 s), opening downloads included."""
        return sum(f.get("rate_wait_s", 0.0) for f in self.probe.get("files", []))

    @property
    def hot_cpu_s(self) -> float:
        return sum(f["cpu_s"] for f in self.probe.get("files", []))

    @property
    def hot_rows(self) -> int:
        rows = {job["exportId"]: job.get("records") or 0 for job in self.jobs}
        return sum(rows.get(f["export_id"], 0) for f in self.probe.get("files", []))

    @property
    def total_records(self) -> int:
        return sum(self.records.values())


def parse_summary_records(summary: str) -> Dict[str, int]:
    """'Sync summary: records leads 99999, lead_activities 5; API calls ...' -> {stream: count}."""
    if not summary.startswith("Sync summary: records "):
        return {}
    part = summary[len("Sync summary: records "):].split(";", 1)[0]
    out = {}
    for item in part.split(", "):
        name, _, count = item.rpartition(" ")
        if name and count.isdigit():
            out[name] = int(count)
    return out


def run_connector(emulator: Emulator, workdir: Path, name: str, config: dict, catalog: dict,
                  state: Optional[list] = None, profile: Optional[Path] = None, probe_args: Optional[List[str]] = None) -> RunResult:
    """One ``source-marketo read`` (through probe.py), stdout to /dev/null; costs read from the emulator."""
    folder = workdir / name
    folder.mkdir(parents=True, exist_ok=True)
    paths = {key: folder / f"{key}.json" for key in ("config", "catalog", "state")}
    paths["config"].write_text(json.dumps(config))
    paths["catalog"].write_text(json.dumps(catalog))
    side = folder / "messages.jsonl"
    command = [PYTHON, str(HERE / "probe.py"), "--side", str(side)]
    if profile is not None:
        command += ["--profile", str(profile)]
    command += list(probe_args or [])
    command += ["--", "read", "--config", str(paths["config"]), "--catalog", str(paths["catalog"])]
    if state is not None:
        paths["state"].write_text(json.dumps(state))
        command += ["--state", str(paths["state"])]
    before = emulator.snapshot()
    with open(folder / "stderr.txt", "w") as stderr, open(os.devnull, "w") as devnull:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=folder, stdout=devnull, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
    emulator_cpu = emulator.cpu_s() - before["cpu_s"]
    messages = [json.loads(line) for line in side.read_text().splitlines() if line.strip()] if side.exists() else []
    probe = next((m for m in messages if m.get("type") == "BENCH_PROBE"), {})
    logs = [m["log"]["message"] for m in messages if m.get("type") == "LOG"]
    summary = next((line for line in logs if line.startswith("Sync summary:")), "")
    errors = [m["trace"]["error"]["message"] for m in messages if m.get("type") == "TRACE" and m["trace"].get("type") == "ERROR"]
    latest: Dict[str, dict] = {}
    for m in messages:
        if m.get("type") == "STATE" and m["state"].get("type") == "STREAM":
            descriptor = m["state"]["stream"]["stream_descriptor"]["name"]
            latest[descriptor] = {"type": "STREAM", "stream": m["state"]["stream"]}
    result = RunResult(name=name, wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime, rss_mb=usage.ru_maxrss / 1024,
                       exit_code=os.waitstatus_to_exitcode(status), records=parse_summary_records(summary), summary=summary,
                       errors=errors, states=list(latest.values()), probe=probe, emulator_cpu_s=emulator_cpu)
    journal = emulator.admin("/_emulator/journal")[before["journal"]:]
    result.journal = journal
    for entry in journal:
        if entry["endpoint"].startswith("/identity/"):
            result.identity_calls += 1
        elif entry.get("counted"):
            result.calls += 1
            result.calls_by_endpoint[entry["endpoint"]] = result.calls_by_endpoint.get(entry["endpoint"], 0) + 1
    result.jobs = [job for job in emulator.admin("/_emulator/jobs") if job["exportId"] not in before["jobs"]]
    completed = [job for job in result.jobs if job["status"] == "Completed"]
    result.export_rows = sum(job.get("records") or 0 for job in completed)
    result.export_bytes = sum(job.get("bytes") or 0 for job in completed)
    return result


def run_baseline(stream: str, files: List[Path], options: Sequence[str] = ()) -> dict:
    """benchmarks/baseline.py on ``files``; ``options``: its --attributes / --types (the fan-out of activities)."""
    files = [str(path) for path in files if path.exists()]
    if not files:
        return {"rows": 0, "bytes": 0, "wall_s": 0.0, "cpu_s": 0.0}
    out = subprocess.run([PYTHON, str(HERE / "baseline.py"), "--stream", stream, *options, *files], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_connector_offline(schema: dict, files: List[Path], workdir: Path) -> dict:
    """benchmarks/connector_offline.py on ``files``: the connector's per-record path, read from disk like the baseline."""
    files = [str(path) for path in files if path.exists()]
    if not files:
        return {"rows": 0, "bytes": 0, "wall_s": 0.0, "cpu_s": 0.0}
    path = workdir / "offline-schema.json"
    path.write_text(json.dumps(schema))
    out = subprocess.run([PYTHON, str(HERE / "connector_offline.py"), "--schema", str(path), *files], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def job_slots(jobs: List[dict], slots: int = 2) -> dict:
    """From the emulator's job timelines: how busy Marketo's processing slots were.

    ``sum_s``: processing time of all jobs (Processing -> Completed); ``span_s``: first start to last
    completion; ``ideal_s``: max(sum / slots, longest job); ``occupancy``: sum / (slots * span);
    ``idle_slot_s``: slot-seconds left idle before the last job started (a job could have run then).
    Timestamps are whole seconds.
    """
    intervals = []
    for job in jobs:
        marks = {entry["status"]: parse_iso(entry["at"]).timestamp() for entry in job.get("timeline", [])}
        if "Processing" in marks and "Completed" in marks:
            intervals.append((marks["Processing"], marks["Completed"]))
    if not intervals:
        return {"jobs": 0}
    total = sum(end - start for start, end in intervals)
    first, last_end = min(s for s, _ in intervals), max(e for _, e in intervals)
    last_start = max(s for s, _ in intervals)
    span = last_end - first
    idle = 0.0
    t = first
    while t < last_start:  # 1-second sweep
        busy = sum(1 for s, e in intervals if s <= t < e)
        idle += max(slots - busy, 0)
        t += 1.0
    longest = max(e - s for s, e in intervals)
    return {"jobs": len(intervals), "sum_s": total, "longest_s": longest, "span_s": span,
            "ideal_s": max(total / slots, longest), "occupancy": total / (slots * span) if span > 0 else 1.0,
            "idle_slot_s": idle}


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "cores": os.cpu_count(), "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": sys.version.split()[0], "platform": sys.platform}


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)
