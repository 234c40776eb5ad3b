"""First sync of a real instance, on a scaled Marketo clock: jobs, calls, megabytes and wall against the ideal.

Each scenario starts a fresh emulator in its own process on ``FakeClock(speed=K)`` with Marketo-like
job latency (``fixed:S,rows:R``, a dispatch delay, status refreshed once a minute), and runs the
connector in this process on the same scaled time (``scaled.ScaledClock``): a first sync of leads
(every column) and lead_activities (+ lead_activity_attributes with the default types), config as
a user leaves it (60 s polls, 30-day windows, 500 MB a day) unless the scenario says otherwise.

Scenarios, each with the default activity types (12,13,32,37) and with 10 common ones:
  dense      start date where the data begins (``data_begins``), a growing history
  sparse     the same data, start date 10 years before it begins
  retention  Marketo's activity retention (90 days for 1,6,7,13,22,24), start date a year before the
             data (also with those 90-day types alone)
  cap        ``daily_bulk_export_limit_mb`` = 40% of the dense sync's megabytes; read after read, the
             emulator's clock moved to just past Chicago midnight after each clean stop, state carried

Prints a table and writes benchmarks/results/first-sync[-quick].md and .json. Asserts nothing.

Usage: python benchmarks/first_sync.py [--quick] [--speed K] [--only dense,sparse,retention,cap] [--types default,ten]
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

import first_sync_analysis as analysis  # noqa: E402
from scaled import ScaledEmulator, record_ids, run_connector  # noqa: E402

ANCHOR = datetime(2025, 6, 2, 15, 0, tzinfo=timezone.utc)  # where the generated history ends (10:00 in Chicago)
TYPES = {
    "default": {"ids": [12, 13, 32, 37], "attributes": True},
    "ten": {"ids": [1, 2, 6, 7, 10, 11, 12, 13, 22, 24], "attributes": False},
    "ninety": {"ids": [1, 6, 7, 13, 22, 24], "attributes": False},  # every one kept 90 days by Marketo
}
STOP = "Stopped cleanly"
SIZES = {
    # K: the connector's CPU x K stays a few % of the wall, and the emulator writes every file before its due end
    "full": {"leads": 150_000, "activities": 2_000_000, "history_days": 730, "speed": 20.0},
    "quick": {"leads": 30_000, "activities": 300_000, "history_days": 365, "speed": 60.0},
}


def log(text: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- one scenario ------------------------------------------------------------------------------------

def emulator_options(args, retention: bool) -> Dict[str, Any]:
    size = args.size
    return {"seed": 42, "leads": size["leads"], "activities": size["activities"], "anchor": ANCHOR,
            "data_begins": (ANCHOR - timedelta(days=size["history_days"])).isoformat(), "history_shape": "growing",
            "activity_retention": retention, "job_progression": f"fixed:{args.fixed:g},rows:{args.rows_per_second:g}",
            "queue_latency_seconds": args.queue_latency, "status_refresh_seconds": 60, "daily_export_mb": 500}


def catalog_for(emulator: ScaledEmulator, config: Dict[str, Any], folder: Path, attributes: bool) -> Dict[str, Any]:
    found = run_connector("discover", config, emulator.clock, folder / "discover")
    streams = next(m for m in found.messages if m["type"] == "CATALOG")["catalog"]["streams"]
    wanted = {"leads", "lead_activities"} | ({"lead_activity_attributes"} if attributes else set())
    return {"streams": [{"stream": stream, "sync_mode": "incremental", "destination_sync_mode": "append_dedup",
                         "cursor_field": stream.get("default_cursor_field") or [], "primary_key": [["id"]]}
                        for stream in streams if stream["name"] in wanted]}


def next_chicago_midnight(now: datetime) -> float:
    """Seconds to one minute past the next midnight in Chicago (Marketo's day)."""
    local = now.astimezone(ZoneInfo("America/Chicago"))
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=local.tzinfo) + timedelta(minutes=1)
    return (midnight - local).total_seconds()


def kept_lines(logs: List[str]) -> Dict[str, Any]:
    """The log lines a report quotes: the plan, the last progress line, warnings and errors, the summary."""
    text = [line.split(" ", 1)[1] for line in logs]
    return {"plan": [line for line in text if line.startswith("Backfill plan:")],
            "progress": next((line for line in reversed(text) if line.startswith("Progress:")), None),
            "summary": next((line for line in reversed(text) if line.startswith("Sync summary:")), None),
            "warnings": [line.split(" ", 1)[1] for line in logs if line.startswith(("WARNING", "ERROR"))][:20]}


def scenario(args, kind: str, types: str, workdir: Path, dense: Optional[Dict[str, Any]], truths: Dict[Any, Any]) -> Dict[str, Any]:
    """One scenario on a fresh emulator: discover, the ground truth, read after read, the books."""
    name, spec, retention = f"{kind}-{types}", TYPES[types], kind == "retention"
    begins = ANCHOR - timedelta(days=args.size["history_days"])
    start = {"dense": begins, "cap": begins, "sparse": begins - timedelta(days=3650), "retention": begins - timedelta(days=365)}[kind]
    options = emulator_options(args, retention)
    log(f"{name}: emulator with {options['leads']:,} leads, {options['activities']:,} activities from {begins:%Y-%m-%d}, "
        f"start date {start:%Y-%m-%d}, K={args.speed:g}")
    with ScaledEmulator(options, ANCHOR + timedelta(minutes=10), args.speed) as emulator:
        config = {"munchkin_id": emulator.base_url, "client_id": "emulator-client-id", "client_secret": "emulator-client-secret",
                  "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "status_poll_interval_seconds": 60,
                  "activity_type_ids": ",".join(map(str, spec["ids"]))}
        cap_mb = max(1, int(dense["mb"] * args.cap_share)) if kind == "cap" else None
        if cap_mb:
            config["daily_bulk_export_limit_mb"] = cap_mb
        catalog = catalog_for(emulator, config, workdir / name, spec["attributes"])
        truth = None if retention else truths.get(types)  # the same data and types: the same truth
        if truth is None:
            truth = emulator.truth(start, spec["ids"], spec["attributes"])
            if not retention:
                truths[types] = truth
        runs, found = read_until_done(args, emulator, name, config, catalog, workdir / name, repeat=kind == "cap")
        truth_end = emulator.truth(start, spec["ids"], spec["attributes"]) if retention else None
        jobs = emulator.call("jobs")
        occupancy = emulator.call("occupancy")
        lateness = analysis.file_lateness(jobs, emulator.call("file_ready"))
    row = summarize(args, name, kind, types, config, cap_mb, runs, jobs, occupancy, truth, truth_end, found, dense)
    row["file_lateness"] = lateness
    return row


def read_until_done(args, emulator: ScaledEmulator, name: str, config: Dict[str, Any], catalog: Dict[str, Any], folder: Path,
                    repeat: bool) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """Read; with ``repeat``, after each clean stop move Marketo's clock past Chicago midnight and read
    again from the state (test_faults.sync_until_complete). Returns the runs and the record ids found."""
    runs: List[Dict[str, Any]] = []
    state: Optional[List[Dict[str, Any]]] = None
    found: Dict[str, Any] = {"ids": {}, "counts": {}}
    for attempt in range(1, args.max_runs + 1):
        seq = emulator.call("journal_seq")
        outcome = run_connector("read", config, emulator.clock, folder / f"read-{attempt}", catalog, state)
        journal = emulator.call("journal", seq)
        seen = {job_id for run in runs for job_id in run["job_ids"]}
        run_jobs = [job for job in emulator.call("jobs") if job["exportId"] not in seen]
        ids = record_ids(outcome.records_path)
        for stream, values in ids["ids"].items():
            found["ids"].setdefault(stream, set()).update(values)
        for stream, count in ids["counts"].items():
            found["counts"][stream] = found["counts"].get(stream, 0) + count
        if not args.keep:
            outcome.records_path.unlink(missing_ok=True)
        merged = {entry["stream"]["stream_descriptor"]["name"]: entry for entry in (state or []) + outcome.states}
        state = list(merged.values())
        runs.append(run_row(attempt, outcome, journal, run_jobs, ids["counts"]))
        (folder / f"read-{attempt}" / "logs.txt").write_text("\n".join(outcome.logs))
        (folder / f"read-{attempt}" / "journal.jsonl").write_text("".join(json.dumps(entry) + "\n" for entry in journal))
        message = runs[-1]["error"]
        log(f"{name} run {attempt}: {runs[-1]['span']['wall_s'] / 60:.1f} min on the Marketo clock ({outcome.real_s:.0f} s real, "
            f"connector CPU {outcome.cpu_s:.1f} s), {len(run_jobs)} jobs, {runs[-1]['calls']['counted']} calls, {runs[-1]['mb']:.1f} MB"
            + (f"; {message[:160]}" if message else ""))
        if not (repeat and STOP in message):
            break
        emulator.advance(next_chicago_midnight(emulator.now()))
    return runs, found


def run_row(attempt: int, outcome, journal: List[Dict[str, Any]], jobs: List[Dict[str, Any]], records: Dict[str, int]) -> Dict[str, Any]:
    return {"run": attempt, "job_ids": [job["exportId"] for job in jobs], "span": analysis.run_span(journal, jobs),
            "calls": analysis.calls(journal), "slots": analysis.slot_use(jobs), "seen": analysis.completion_seen(jobs, journal),
            "jobs": analysis.job_kinds(jobs), "mb": analysis.export_mb(jobs), "cpu_s": outcome.cpu_s, "real_s": outcome.real_s,
            "error": (outcome.error or {}).get("message") or "", "lines": kept_lines(outcome.logs), "records": records}


def summarize(args, name, kind, types, config, cap_mb, runs, jobs, occupancy, truth, truth_end, found, dense) -> Dict[str, Any]:
    mb = analysis.export_mb(jobs)
    wall = sum(run["span"]["wall_s"] for run in runs)
    cap_days = math.ceil(dense["mb_data"] / cap_mb) if cap_mb else 1
    # With retention, what the sync must deliver is what is still there when it ends (a lower bound).
    ideal = analysis.ideal(truth_end or truth, analysis.lane_ends(jobs), args.window_days, args.fixed, args.rows_per_second, cap_days)
    plans = [analysis.plan_numbers(line) for run in runs for line in run["lines"]["plan"]]
    half_sum = sum(run["slots"].get("half_sum_s", 0.0) for run in runs)
    busy_span = sum(run["slots"].get("busy_span_s", 0.0) for run in runs)
    calls = sum(run["calls"]["counted"] for run in runs)
    row = {
        "name": name, "kind": kind, "types": types, "type_ids": TYPES[types]["ids"], "start_date": config["start_date"],
        "cap_mb": cap_mb, "runs": runs, "jobs": analysis.job_kinds(jobs), "mb": mb, "mb_data": analysis.export_mb(jobs, census=False),
        "mb_census": analysis.export_mb(jobs, census=True), "calls": calls, "wall_s": wall, "ideal": ideal,
        "wall_over_ideal": wall / ideal["ideal_s"] if ideal["ideal_s"] else None, "half_processing_s": half_sum,
        "occupancy_runs": (2 * half_sum) / (2 * busy_span) if busy_span else None, "occupancy": occupancy,
        "windows": analysis.windows(jobs, args.window_days), "job_list": analysis.job_list(jobs),
        "censuses": analysis.census_effects(jobs), "plan": plans[0] if plans else None,
        "records": analysis.check_records(found, truth, truth_end, TYPES[types]["attributes"]),
        "truth": {key: (len(value) if isinstance(value, (bytes, bytearray)) or hasattr(value, "typecode") else value)
                  for key, value in truth.items()},
        "cpu_s": sum(run["cpu_s"] for run in runs), "real_s": sum(run["real_s"] for run in runs),
    }
    if dense is not None:
        row["calls_vs_dense"] = calls / dense["calls"] - 1 if dense["calls"] else None
        row["more_jobs_than_dense"] = row["jobs"]["all"] - dense["jobs"]["all"]
        row["more_calls_than_dense"] = calls - dense["calls"]
    return row


# --- the suite ---------------------------------------------------------------------------------------

def arguments(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30k leads, 300k activities over a year, K=60 (a few minutes)")
    parser.add_argument("--speed", type=float, default=None, help="K: the Marketo clock runs K times real time (full 20, quick 60)")
    parser.add_argument("--leads", type=int, default=None)
    parser.add_argument("--activities", type=int, default=None)
    parser.add_argument("--history-days", type=int, default=None, help="days of data before the anchor (full 730, quick 365)")
    parser.add_argument("--fixed", type=float, default=90.0, help="S: seconds every export job takes before its rows (default 90)")
    parser.add_argument("--rows-per-second", type=float, default=3000.0, help="R: rows a job processes per second (default 3000)")
    parser.add_argument("--queue-latency", type=float, default=30.0, help="Marketo's dispatch delay (s, default 30)")
    parser.add_argument("--cap-share", type=float, default=0.4, help="the cap scenario's cap as a share of the dense sync's MB")
    parser.add_argument("--only", default="dense,sparse,retention,cap", help="scenario kinds, comma-separated")
    parser.add_argument("--types", default="default,ten", help="type sets: default, ten (retention also runs 'ninety')")
    parser.add_argument("--max-runs", type=int, default=8, help="reads per scenario at most (the cap scenario)")
    parser.add_argument("--workdir", default=None, help="keep configs, catalogs, logs (and --keep: records) here")
    parser.add_argument("--keep", action="store_true", help="keep the RECORD files")
    parser.add_argument("--out", default=None, help="report (default benchmarks/results/first-sync[-quick].md)")
    parser.add_argument("--from-json", default=None, help="only render the report from saved results")
    args = parser.parse_args(argv)
    args.label = "quick" if args.quick else "full"
    args.size = dict(SIZES[args.label])
    for key in ("leads", "activities", "history_days", "speed"):
        if getattr(args, key) is not None:
            args.size[key] = getattr(args, key)
    args.speed, args.window_days = args.size["speed"], 30
    args.kinds = [kind.strip() for kind in args.only.split(",") if kind.strip()]
    args.sets = [name.strip() for name in args.types.split(",") if name.strip()]
    return args


def suite(args, workdir: Path, results: Dict[str, Any]) -> None:
    """Per type set: dense first (sparse and cap compare with it, cap sizes its cap from it), then the others."""
    truths: Dict[Any, Any] = {}
    for types in args.sets:
        dense = None
        for kind in ["dense", "sparse", "retention", "cap"]:
            if kind not in args.kinds and not (kind == "dense" and {"sparse", "cap"} & set(args.kinds)):
                continue
            row = scenario(args, kind, types, workdir, dense, truths)
            dense = row if kind == "dense" else dense
            if kind in args.kinds:
                results["scenarios"].append(row)
            if kind == "retention" and types == args.sets[-1] and "ninety" not in args.sets:
                results["scenarios"].append(scenario(args, kind, "ninety", workdir, None, truths))


def main(argv: Optional[List[str]] = None) -> int:
    args = arguments(argv)
    import first_sync_report as report

    out = Path(args.out) if args.out else HERE / "results" / f"first-sync{'-quick' if args.quick else ''}.md"
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
        report.write(results, out)
        print(report.table(results))
        return 0
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="marketo-first-sync-"))
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=HERE.parent, capture_output=True, text=True).stdout.strip()
    results: Dict[str, Any] = {
        "commit": commit, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "label": args.label,
        "command": "python benchmarks/first_sync.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "settings": {"speed": args.speed, "fixed_s": args.fixed, "rows_per_second": args.rows_per_second,
                     "queue_latency_s": args.queue_latency, "status_refresh_s": 60, "poll_s": 60, "window_days": 30,
                     "cap_share": args.cap_share, "anchor": ANCHOR.isoformat(), **args.size},
        "scenarios": [],
    }
    started = time.perf_counter()
    try:
        suite(args, workdir, results)
    finally:
        results["total_s"] = time.perf_counter() - started
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str))
        report.write(results, out)
        print(report.table(results))
        log(f"done in {results['total_s'] / 60:.1f} min; report {out}, raw results {out.with_suffix('.json')}, work files {workdir}")
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
