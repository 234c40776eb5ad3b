"""The benchmark suite of source-marketo, in one command, against the bundled emulator.

For each size it starts the emulator (in its own process, export jobs taking time proportional to
their rows: ``--job-progression rows:R``), runs full and incremental syncs of the bulk streams
(leads with 10 columns and with every column; lead_activities of 10 activity types, and with
lead_activity_attributes) and of the REST streams through ``source-marketo read`` (stdout to
/dev/null), and runs the baseline (csv reader + orjson, benchmarks/baseline.py) on the same export
files. Prints numbers, asserts nothing; writes docs/benchmarks.md, docs/benchmarks.png and the raw
results as JSON.

Usage: python benchmarks/run.py [--quick] [--leads-sizes 100000,1000000] [--activity-sizes 1000000,10000000]
       [--rows-per-second 20000] [--no-profile] [--out docs/benchmarks.md]
"""
from __future__ import annotations

import argparse
import json
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from harness import (MB, PYTHON, ROOT, Emulator, RunResult, ceil_div, iso, job_slots, machine,  # noqa: E402
                     run_baseline, run_connector, run_connector_offline)
from source_marketo.catalog import configure as configure_catalog  # noqa: E402

LEADS10 = ["id", "email", "first_name", "last_name", "company", "title", "lead_score", "unsubscribed", "created_at", "updated_at"]
TEN_TYPES = [1, 2, 3, 6, 7, 10, 11, 12, 13, 22]
REST_STREAMS = ["lead_activity_types", "lead_activity_type_attributes", "campaigns", "lists", "email", "programs",
                "landing_pages", "segmentation", "segments"]
HISTORY_DAYS = 60  # the emulator's default
# The per-type scenario: five activities_<type> streams, of types 1, 2, 6, 10 and 22 (all in TEN_TYPES).
TYPE_STREAMS = {1: "activities_visit_webpage", 2: "activities_fill_out_form", 6: "activities_send_email",
                10: "activities_open_email", 22: "activities_change_score"}
# ~1M program members: 300 programs, each with 0.5-10 % of 75,000 leads (the emulator's 2-40 % rates x 0.25).
MEMBER_SHAPE = {"programs": 300, "density": 0.25, "leads": 75_000}


def log(text: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {text}", flush=True)


# --- catalogs and configs ------------------------------------------------------------------------

def discover(emulator: Emulator, config: dict, workdir: Path) -> Dict[str, dict]:
    path = workdir / f"discover-{emulator.name}.json"
    path.write_text(json.dumps(config))
    out = subprocess.run([PYTHON, "-c", "from source_marketo.run import run; run()", "discover", "--config", str(path)],
                         capture_output=True, text=True, cwd=workdir, check=True)
    for line in out.stdout.splitlines():
        if line.startswith('{"type":"CATALOG"'):
            return {stream["name"]: stream for stream in json.loads(line)["catalog"]["streams"]}
    raise RuntimeError(f"discover returned no catalog: {out.stdout[-2000:]}")


def configured(streams: Dict[str, dict], names: List[str], columns: Optional[Dict[str, List[str]]] = None) -> dict:
    """The streams ``names``, as source-marketo-catalog configures them, with only ``columns`` where given."""
    chosen = []
    for name in names:
        stream = json.loads(json.dumps(streams[name]))
        if columns and name in columns:
            stream["json_schema"]["properties"] = {k: v for k, v in stream["json_schema"]["properties"].items() if k in columns[name]}
        chosen.append(stream)
    return configure_catalog(chosen)


def make_config(emulator: Emulator, start: datetime, poll: int, types: Any = "all") -> dict:
    return {"munchkin_id": emulator.base_url, "client_id": "emulator-client-id", "client_secret": "emulator-client-secret",
            "start_date": iso(start), "status_poll_interval_seconds": poll,
            "activity_type_ids": ",".join(map(str, types)) if isinstance(types, list) else types,
            "export_window_days": 31, "daily_bulk_export_limit_mb": 50_000}


# --- one measured run ----------------------------------------------------------------------------

def measure(emulator: Emulator, workdir: Path, name: str, config: dict, catalog: dict, state=None, baseline_stream: Optional[str] = None,
            profile: Optional[Path] = None, probe_args: Optional[List[str]] = None, fan_out: Sequence[str] = (),
            offline_schema: Optional[dict] = None) -> dict:
    """One sync, then the baseline on its files (and, with ``fan_out``, the baseline writing the same records)."""
    log(f"{name}: syncing...")
    result = run_connector(emulator, workdir, name, config, catalog, state, profile, probe_args)
    if not str(result.probe.get("connector", ROOT)).startswith(str(ROOT)):
        log(f"WARNING: measured the connector at {result.probe['connector']}, not this checkout's ({ROOT}): set PYTHONPATH={ROOT}")
    row = summarize(result)
    if baseline_stream and result.jobs:
        files = [emulator.file_of(job["exportId"]) for job in result.jobs if job["status"] == "Completed"]
        row["baseline"] = run_baseline(baseline_stream, files)
        if fan_out:
            row["baseline_fan_out"] = run_baseline(baseline_stream, files, fan_out)
        if offline_schema is not None:  # the connector's own path on the same files, right after the baseline
            row["offline"] = run_connector_offline(offline_schema, files, workdir)
    row["states"] = result.states
    row["_journal"] = result.journal
    log(f"{name}: {row['records']:,} records in {row['wall_s']:.1f} s, hot path {fmt_rate(row.get('hot_rps'))}/s, "
        f"baseline {fmt_rate(row.get('baseline', {}).get('rows', 0) / row['baseline']['wall_s'] if row.get('baseline', {}).get('wall_s') else None)}/s, "
        f"{row['calls']} calls, {row['export_mb']:.1f} MB, {row['jobs_created']} jobs, RSS {row['rss_mb']:.0f} MB"
        + (f" ERRORS: {row['errors']}" if row["errors"] else ""))
    return row


def summarize(result: RunResult) -> dict:
    row = {"name": result.name, "records": result.total_records, "records_by_stream": result.records, "wall_s": result.wall_s,
           "cpu_s": result.cpu_s, "rss_mb": result.rss_mb, "exit_code": result.exit_code, "errors": result.errors,
           "summary": result.summary, "calls": result.calls, "identity_calls": result.identity_calls,
           "calls_by_endpoint": result.calls_by_endpoint, "jobs_created": len(result.jobs),
           "export_rows": result.export_rows, "export_mb": result.export_bytes / MB, "emulator_cpu_s": result.emulator_cpu_s,
           "import_s": result.probe.get("import_s"), "hot_wall_s": result.hot_wall_s, "hot_cpu_s": result.hot_cpu_s,
           "service_wall_s": result.service_wall_s, "rate_wait_s": result.rate_wait_s, "hot_rows": result.hot_rows, "slots": job_slots(result.jobs),
           "windows": [job["request"]["filter"] for job in result.jobs], "rss_trace": result.probe.get("rss_trace") or [],
           "job_list": [{"filter": job["request"]["filter"], "status": job["status"], "records": job.get("records"),
                         "bytes": job.get("bytes"), "timeline": job.get("timeline"), "fields": job["request"].get("fields"),
                         "activity_type_ids": job["request"].get("activityTypeIds")} for job in result.jobs],
           "files": result.probe.get("files") or [], "gc_collections": result.probe.get("gc_collections")}
    row["hot_rps"] = result.hot_rows / result.hot_wall_s if result.hot_wall_s > 0 else None
    net = result.hot_wall_s - result.service_wall_s  # the file's own work: download, CSV, records out
    row["hot_rps_net"] = result.hot_rows / net if net > 0 else None
    return row


OFFSET_ENDPOINTS = {"/rest/asset/v1/programs.json": "programs", "/rest/asset/v1/emails.json": "emails",
                    "/rest/asset/v1/landingPages.json": "landingPages"}
TOKEN_ENDPOINTS = {"/rest/v1/campaigns.json": "campaigns", "/rest/v1/lists.json": "lists"}


def pages_needed(emulator: Emulator, journal: List[dict]) -> Dict[str, dict]:
    """Per endpoint: calls made and the fewest calls that can read what was asked, from the emulator's truth.

    Offset-paged asset browse (maxReturn 200): per date slice (earliestUpdatedAt/latestUpdatedAt of the calls),
    n // 200 + 1 calls (a short page ends the slice). Lead-database lists (batchSize 300, nextPageToken):
    max(1, ceil(n / 300)). Segments: one call per segmentation. Single-call endpoints: one call.
    """
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z+0000", "+00:00").replace("Z", "+00:00"))

    truth = {kind: emulator.admin(f"/_emulator/truth/assets/{kind}") for kind in ("programs", "emails", "landingPages", "segmentation")}
    truth["campaigns"] = emulator.admin("/_emulator/truth/campaigns")
    truth["lists"] = emulator.admin("/_emulator/truth/lists")
    out: Dict[str, dict] = {}
    slices: Dict[str, set] = {}
    for entry in journal:
        if not entry.get("counted"):
            continue
        endpoint = entry["endpoint"]
        row = out.setdefault(endpoint, {"calls": 0, "pages": 0})
        row["calls"] += 1
        params = entry.get("params") or {}
        if endpoint in OFFSET_ENDPOINTS:
            slices.setdefault(endpoint, set()).add((params.get("earliestUpdatedAt"), params.get("latestUpdatedAt")))
    for endpoint, row in out.items():
        if endpoint in OFFSET_ENDPOINTS:
            items = truth[OFFSET_ENDPOINTS[endpoint]]
            for low, high in slices[endpoint]:
                n = sum(1 for item in items if (low is None or parse(item["updatedAt"]) >= parse(low))
                        and (high is None or parse(item["updatedAt"]) <= parse(high)))
                row["pages"] += n // 200 + 1
            row["slices"] = len(slices[endpoint])
        elif endpoint in TOKEN_ENDPOINTS:
            row["pages"] = max(1, ceil_div(len(truth[TOKEN_ENDPOINTS[endpoint]]), 300))
        elif endpoint.endswith("/segments.json"):
            row["pages"] = len(truth["segmentation"])
        else:
            row["pages"] = 1
    return out


def fmt_rate(value: Optional[float]) -> str:
    if not value:
        return "-"
    return f"{value / 1000:,.0f}k" if value >= 10_000 else f"{value:,.0f}"


# --- scenarios ----------------------------------------------------------------------------------

def leads_scenarios(size: int, args, workdir: Path, results: dict) -> None:
    with Emulator(workdir, f"leads{size}", leads=size, activities=10_000, rows_per_second=args.rows_per_second,
                  status_refresh=args.status_refresh) as emulator:
        log(f"emulator with {size:,} leads up in {emulator.build_s:.1f} s")
        config = make_config(emulator, emulator.anchor() - timedelta(days=HISTORY_DAYS + 15), args.poll)
        streams = discover(emulator, config, workdir)
        for variant, columns in (("leads10", {"leads": LEADS10}), ("leads_all", None)):
            catalog = configured(streams, ["leads"], columns)
            full = measure(emulator, workdir, f"{variant}-{size}-full", config, catalog, baseline_stream="leads")
            emulator.tick(seconds=3600, new_leads=max(3, size // 1000), updated_leads=max(5, size // 100), deleted_leads=2,
                          merged_leads=2, new_activities=100, asset_updates=0)
            incremental = measure(emulator, workdir, f"{variant}-{size}-incremental", config, catalog, state=full.pop("states"))
            incremental.pop("states", None)
            results["bulk"].append({"scenario": variant, "size": size, "full": full, "incremental": incremental})
        if args.profile and size == max(args.leads_sizes):
            profile = workdir / f"profile-leads10-{size}.prof"
            catalog = configured(streams, ["leads"], {"leads": LEADS10})
            row = measure(emulator, workdir, f"profile-leads10-{size}", config, catalog, profile=profile)
            results["profiles"].append({"scenario": "leads10", "size": size, "wall_s": row["wall_s"], "top": profile_top(profile)})


def activities_scenarios(size: int, args, workdir: Path, results: dict) -> None:
    leads = max(10_000, size // 20)
    with Emulator(workdir, f"activities{size}", leads=leads, activities=size, rows_per_second=args.rows_per_second,
                  status_refresh=args.status_refresh) as emulator:
        log(f"emulator with {size:,} activities ({leads:,} leads) up in {emulator.build_s:.1f} s")
        start = emulator.anchor() - timedelta(days=HISTORY_DAYS + 1)
        config = make_config(emulator, start, args.poll, TEN_TYPES)
        streams = discover(emulator, config, workdir)
        catalog = configured(streams, ["lead_activities"])
        full = measure(emulator, workdir, f"activities10-{size}-full", config, catalog, baseline_stream="lead_activities")
        emulator.tick(seconds=3600, new_leads=10, updated_leads=100, deleted_leads=2, merged_leads=2,
                      new_activities=max(100, size // 1000), asset_updates=0)
        incremental = measure(emulator, workdir, f"activities10-{size}-incremental", config, catalog, state=full.pop("states"))
        incremental.pop("states", None)
        results["bulk"].append({"scenario": "activities10", "size": size, "full": full, "incremental": incremental})
        if size <= args.attributes_max:
            both = configured(streams, ["lead_activities", "lead_activity_attributes"])
            row = measure(emulator, workdir, f"activities10+attributes-{size}-full", config, both, baseline_stream="lead_activities")
            row.pop("states", None)
            results["bulk"].append({"scenario": "activities10+attributes", "size": size, "full": row})
        if size == min(args.activity_sizes):
            for label, types in (("1 type", [1]), ("10 types", TEN_TYPES), ("all types (no filter)", "all")):
                row = measure(emulator, workdir, f"types-{len(types) if isinstance(types, list) else 'all'}-{size}",
                              make_config(emulator, start, args.poll, types), catalog)
                results["types"].append({"types": label, "size": size, "jobs": row["jobs_created"], "records": row["records"],
                                         "calls": row["calls"], "windows": len({json.dumps(w, sort_keys=True) for w in row["windows"]})})
        if args.profile and size == max((s for s in args.activity_sizes if s <= args.profile_max), default=None):
            profile = workdir / f"profile-activities10-{size}.prof"
            row = measure(emulator, workdir, f"profile-activities10-{size}", config, configured(streams, ["lead_activities"]), profile=profile)
            results["profiles"].append({"scenario": "activities10", "size": size, "wall_s": row["wall_s"], "top": profile_top(profile)})


def per_type_scenarios(args, workdir: Path, results: dict) -> None:
    """lead_activities + lead_activity_attributes + five activities_<type> streams, the same without the type
    streams, and lead_activities alone: alternated, repeated, each followed by the baseline on its own files
    (one record per row, and fanned out to the same records as the sync)."""
    size = args.breadth_size
    leads = max(10_000, size // 20)
    with Emulator(workdir, f"per-type{size}", leads=leads, activities=size, rows_per_second=args.rows_per_second,
                  status_refresh=args.status_refresh) as emulator:
        log(f"emulator with {size:,} activities ({leads:,} leads) up in {emulator.build_s:.1f} s")
        config = make_config(emulator, emulator.anchor() - timedelta(days=HISTORY_DAYS + 1), args.poll, TEN_TYPES)
        streams = discover(emulator, config, workdir)
        missing = [name for name in TYPE_STREAMS.values() if name not in streams]
        if missing:
            raise RuntimeError(f"discover has no {missing}")
        types = "activities_:" + ",".join(map(str, TYPE_STREAMS))
        variants = [("log+attributes+5 types", ["lead_activities", "lead_activity_attributes", *TYPE_STREAMS.values()],
                     ["--attributes", "lead_activity_attributes", "--types", types]),
                    ("log+attributes", ["lead_activities", "lead_activity_attributes"], ["--attributes", "lead_activity_attributes"]),
                    ("log", ["lead_activities"], [])]
        for repeat in range(args.breadth_repeats):
            for variant, names, fan_out in variants:
                row = measure(emulator, workdir, f"per-type-{len(names)}-streams-{repeat}", config, configured(streams, names),
                              baseline_stream="lead_activities", fan_out=fan_out)
                row.pop("states", None)
                results.setdefault("per_type", []).append({"variant": variant, "streams": names, "size": size, "repeat": repeat, "full": row})
        if args.profile:
            profile = workdir / f"profile-per-type-{size}.prof"
            row = measure(emulator, workdir, f"profile-per-type-{size}", config, configured(streams, variants[0][1]), profile=profile)
            results["profiles"].append({"scenario": "per-type", "size": size, "wall_s": row["wall_s"], "top": profile_top(profile)})


def program_member_scenarios(args, workdir: Path, results: dict) -> None:
    """A full sync of program_members (every column) on an instance of many programs of uneven size, repeated,
    each followed by the baseline on its own files."""
    shape = {"programs": args.member_programs, "density": args.member_density, "leads": args.member_leads}
    extra = ["--programs", str(shape["programs"]), "--program-member-density", f"{shape['density']:g}"]
    with Emulator(workdir, f"program-members{shape['leads']}", leads=shape["leads"], activities=10_000,
                  rows_per_second=args.member_rows_per_second, status_refresh=args.status_refresh, extra=extra,
                  fixed_seconds=args.member_fixed_seconds) as emulator:
        log(f"emulator with {shape['programs']} programs, {shape['leads']:,} leads, density {shape['density']:g} up in {emulator.build_s:.1f} s")
        results["program_member_shape"] = {**shape, **member_counts(shape), "rows_per_second": args.member_rows_per_second,
                                           "fixed_seconds": args.member_fixed_seconds}
        config = make_config(emulator, emulator.anchor() - timedelta(days=HISTORY_DAYS + 15), args.poll)
        streams = discover(emulator, config, workdir)
        catalog = configured(streams, ["program_members"])
        for repeat in range(args.breadth_repeats):
            row = measure(emulator, workdir, f"program-members-{repeat}", config, catalog, baseline_stream="program_members",
                          offline_schema=catalog["streams"][0]["stream"]["json_schema"])
            row.pop("states", None)
            results.setdefault("program_members", []).append({"size": row["export_rows"], "repeat": repeat, "full": row})
        if args.profile:
            profile = workdir / "profile-program-members.prof"
            row = measure(emulator, workdir, "profile-program-members", config, catalog, profile=profile)
            results["profiles"].append({"scenario": "program-members", "size": row["export_rows"], "wall_s": row["wall_s"],
                                        "top": profile_top(profile)})


def member_counts(shape: dict) -> dict:
    """Members per program of the emulated instance, counted in this process from the same options (no server)."""
    from integration_tests.marketo_emulator.emulator import MarketoEmulator
    from integration_tests.marketo_emulator.options import EmulatorOptions
    emulator = MarketoEmulator(EmulatorOptions(seed=42, leads=shape["leads"], activities=10_000, asset_counts={"programs": shape["programs"]},
                                               program_member_density=shape["density"]))
    members = emulator.state.members
    try:
        counts = sorted(sum(1 for _ in members.lead_ids(program_id)) for program_id in members.profiles)
    finally:
        emulator.stop()  # removes its temporary export directory
    return {"members": sum(counts), "per_program_min": counts[0], "per_program_median": counts[len(counts) // 2],
            "per_program_max": counts[-1], "per_lead_mean": sum(counts) / shape["leads"]}


def removal_scenarios(size: int, args, workdir: Path, results: dict) -> None:
    """A leads sync also reads deleted leads (deletedleads.json) and merged leads (activities.json, Merge Leads)
    from the activity log: its REST calls grow with the number of activities, not of leads."""
    with Emulator(workdir, f"removals{size}", leads=10_000, activities=size, rows_per_second=args.rows_per_second,
                  status_refresh=args.status_refresh) as emulator:
        config = make_config(emulator, emulator.anchor() - timedelta(days=HISTORY_DAYS + 15), args.poll)
        streams = discover(emulator, config, workdir)
        row = measure(emulator, workdir, f"removals-leads10-{size}", config, configured(streams, ["leads"], {"leads": LEADS10}))
        row.pop("states", None)
        results.setdefault("removals", []).append({"activities": size, "leads": 10_000, "full": row})


def experiment_scenarios(args, workdir: Path, results: dict) -> None:
    """The same syncs with and without a candidate hot-path change (probe.py --experiment), alternated, RSS traced."""
    size = args.experiment_size
    variants = [("current", ["--rss-trace"]), ("bytes-output", ["--rss-trace", "--experiment", "bytes-output"])]
    with Emulator(workdir, f"experiments-leads{size}", leads=size, activities=10_000, rows_per_second=args.rows_per_second,
                  status_refresh=args.status_refresh) as emulator:
        config = make_config(emulator, emulator.anchor() - timedelta(days=HISTORY_DAYS + 15), args.poll)
        streams = discover(emulator, config, workdir)
        for scenario, columns in (("leads10", {"leads": LEADS10}), ("leads_all", None)):
            for repeat in range(args.experiment_repeats):
                for variant, extra in variants:
                    row = measure(emulator, workdir, f"experiment-{scenario}-{variant}-{repeat}", config,
                                  configured(streams, ["leads"], columns), probe_args=extra, baseline_stream="leads")
                    row.pop("states", None)
                    results.setdefault("experiments", []).append({"scenario": scenario, "size": size, "variant": variant, "repeat": repeat, "full": row})
    with Emulator(workdir, f"experiments-activities{size}", leads=max(10_000, size // 20), activities=size,
                  rows_per_second=args.rows_per_second, status_refresh=args.status_refresh) as emulator:
        config = make_config(emulator, emulator.anchor() - timedelta(days=HISTORY_DAYS + 1), args.poll, TEN_TYPES)
        streams = discover(emulator, config, workdir)
        for repeat in range(args.experiment_repeats):
            for variant, extra in variants:
                row = measure(emulator, workdir, f"experiment-activities10-{variant}-{repeat}", config,
                              configured(streams, ["lead_activities"]), probe_args=extra, baseline_stream="lead_activities")
                row.pop("states", None)
                results.setdefault("experiments", []).append({"scenario": "activities10", "size": size, "variant": variant, "repeat": repeat, "full": row})


def rest_scenarios(scale: float, args, workdir: Path, results: dict) -> None:
    from integration_tests.marketo_emulator.options import DEFAULT_ASSET_COUNTS
    with Emulator(workdir, f"rest{scale:g}", leads=1_000, activities=1_000, rows_per_second=args.rows_per_second,
                  status_refresh=args.status_refresh, asset_scale=scale) as emulator:
        counts = {kind: max(1, int(round(n * scale))) for kind, n in DEFAULT_ASSET_COUNTS.items()}
        config = make_config(emulator, emulator.anchor() - timedelta(days=800), args.poll)
        streams = discover(emulator, config, workdir)
        catalog = configured(streams, REST_STREAMS)
        full = measure(emulator, workdir, f"rest-x{scale:g}-full", config, catalog)
        full["pages"] = pages_needed(emulator, full.pop("_journal"))
        emulator.tick(seconds=3600, new_leads=0, updated_leads=0, deleted_leads=0, merged_leads=0, new_activities=0,
                      asset_updates=max(3, int(10 * scale)))
        incremental = measure(emulator, workdir, f"rest-x{scale:g}-incremental", config, catalog, state=full.pop("states"))
        incremental.pop("states", None)
        incremental["pages"] = pages_needed(emulator, incremental.pop("_journal"))
        results["rest"].append({"scale": scale, "asset_counts": counts, "full": full, "incremental": incremental})


# --- profile ------------------------------------------------------------------------------------

def profile_top(path: Path, limit: int = 18) -> dict:
    """Top functions by own time. Shares are of the busy time (all profiled time less time.sleep, i.e. less the
    waits for Marketo's jobs) and of the hot path (cumulative time of the file-reading generators)."""
    stats = pstats.Stats(str(path))
    total = sum(entry[2] for entry in stats.stats.values())
    sleep = sum(entry[2] for key, entry in stats.stats.items() if key[2] == "<built-in method time.sleep>")
    hot = sum(entry[3] for key, entry in stats.stats.items() if key[2] == "_batches")  # the scheduler reading one export
    busy = total - sleep
    rows = []
    for (filename, line, function), (cc, nc, tottime, cumtime, callers) in stats.stats.items():
        if function == "<built-in method time.sleep>":
            continue
        rows.append({"function": f"{short(filename)}:{line}({function})", "calls": nc, "tottime_s": tottime,
                     "share": tottime / busy if busy else 0.0, "share_hot": tottime / hot if hot else None, "cumtime_s": cumtime})
    rows.sort(key=lambda r: r["tottime_s"], reverse=True)
    return {"total_s": total, "sleep_s": sleep, "busy_s": busy, "hot_s": hot, "functions": rows[:limit]}


def short(filename: str) -> str:
    if str(ROOT) + "/" in filename:
        return filename.split(str(ROOT) + "/", 1)[1]
    for marker in ("site-packages/", "bench-wt/", "lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# --- main ---------------------------------------------------------------------------------------

def strip_journals(node: Any) -> None:
    if isinstance(node, dict):
        node.pop("_journal", None)
        for value in node.values():
            strip_journals(value)
    elif isinstance(node, list):
        for value in node:
            strip_journals(value)


# The families whose results --merge can put into saved results of the whole suite, with their keys.
MERGED = {"per-type": ("per_type", "per-type"), "program-members": ("program_members", "program-members")}


def merged(saved: Optional[dict], fresh: dict, families: List[str]) -> dict:
    """``saved`` with the results of ``families`` replaced by ``fresh``'s; each family keeps the facts of its own run."""
    if saved is None:
        return fresh
    run = {key: fresh[key] for key in ("commit", "date", "machine", "command", "total_s", "settings")}
    for family in families:
        key, scenario = MERGED[family]
        saved[key] = fresh.get(key, [])
        saved["profiles"] = [p for p in saved.get("profiles", []) if p["scenario"] != scenario] + \
            [p for p in fresh["profiles"] if p["scenario"] == scenario]
        saved.setdefault("runs", {})[family] = run
        if family == "program-members":
            saved["program_member_shape"] = fresh.get("program_member_shape")
    return saved


def sizes(text: str) -> List[int]:
    return [int(float(part)) for part in text.split(",") if part.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (10k/100k leads, 100k/1M activities), a few minutes")
    parser.add_argument("--leads-sizes", type=sizes, default=None, help="comma-separated lead counts (default 10000,100000,1000000)")
    parser.add_argument("--activity-sizes", type=sizes, default=None, help="comma-separated activity counts (default 100000,1000000,10000000)")
    parser.add_argument("--rest-scales", type=lambda t: [float(x) for x in t.split(",")], default=None,
                        help="asset-count multipliers for the REST streams (default 1,20)")
    parser.add_argument("--attributes-max", type=int, default=1_000_000, help="largest size that also syncs lead_activity_attributes")
    parser.add_argument("--profile-max", type=int, default=1_000_000, help="largest activity size to profile")
    parser.add_argument("--rows-per-second", type=float, default=20_000, help="emulated Marketo export speed (rows/s per job)")
    parser.add_argument("--status-refresh", type=float, default=1.0, help="emulator status refresh (s); Marketo's is 60")
    parser.add_argument("--poll", type=int, default=1, help="connector status_poll_interval_seconds; Marketo's advice is 60")
    parser.add_argument("--no-profile", dest="profile", action="store_false")
    parser.add_argument("--only", choices=["leads", "activities", "rest", "removals", "experiments", "breakdown", "first-sync",
                                           "per-type", "program-members"], action="append",
                        help="run only these families (first-sync: benchmarks/first_sync.py, its own report under benchmarks/results/)")
    parser.add_argument("--breadth-size", type=int, default=1_000_000, help="activities for --only per-type")
    parser.add_argument("--breadth-repeats", type=int, default=2, help="runs of each per-type / program-members sync")
    parser.add_argument("--member-programs", type=int, default=MEMBER_SHAPE["programs"], help="programs for --only program-members")
    parser.add_argument("--member-density", type=float, default=MEMBER_SHAPE["density"], help="the emulator's --program-member-density")
    parser.add_argument("--member-rows-per-second", type=float, default=5_000,
                        help="export speed for --only program-members, rows/s per job (with --member-fixed-seconds; at "
                             "20,000 and no fixed cost its 30 jobs end faster than 100 calls / 20 s can create, enqueue, "
                             "poll and download them, and the hot path waits for the call-rate window)")
    parser.add_argument("--member-fixed-seconds", type=float, default=3.0,
                        help="seconds every program member job takes before its rows count (Marketo: a minute or more)")
    parser.add_argument("--member-leads", type=int, default=None, help=f"leads for --only program-members (default {MEMBER_SHAPE['leads']:,}: ~1M members)")
    parser.add_argument("--merge", action="store_true",
                        help="with --only per-type / program-members: keep the other families' results saved in --json, replace these")
    parser.add_argument("--experiment-size", type=int, default=1_000_000, help="rows for the hot-path experiments")
    parser.add_argument("--experiment-repeats", type=int, default=2)
    parser.add_argument("--removal-sizes", type=sizes, default=None, help="activity counts for the deleted/merged-leads scan (default 100000,1000000)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--json", default=str(Path(__file__).resolve().parent / "results" / "latest.json"),
                        help="raw results (default benchmarks/results/latest.json)")
    parser.add_argument("--workdir", default=None, help="keep configs, catalogs, messages and profiles here")
    parser.add_argument("--from-json", default=None, help="only render the report from saved raw results")
    args = parser.parse_args()
    args.leads_sizes = args.leads_sizes or ([10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    args.activity_sizes = args.activity_sizes or ([100_000, 1_000_000] if args.quick else [100_000, 1_000_000, 10_000_000])
    args.rest_scales = args.rest_scales or ([1.0, 5.0] if args.quick else [1.0, 20.0])
    args.member_leads = args.member_leads or (MEMBER_SHAPE["leads"] // 10 if args.quick else MEMBER_SHAPE["leads"])
    if args.quick:
        args.rows_per_second = max(args.rows_per_second, 50_000)
        args.breadth_size = min(args.breadth_size, 100_000)
    if args.only and "first-sync" in args.only:  # a suite of its own, on a scaled Marketo clock, with its own report
        import first_sync
        first_sync.main(["--quick"] if args.quick else [])
        args.only = [family for family in args.only if family != "first-sync"]
        if not args.only:
            return 0
    out = Path(args.out)
    raw = Path(args.json)
    import report
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text())
        for prof in results.get("profiles", []):  # with --workdir: recompute the tables from the saved .prof files
            saved = Path(args.workdir or "/nonexistent") / f"profile-{prof['scenario']}-{prof['size']}.prof"
            if saved.exists():
                prof["top"] = profile_top(saved)
        raw.write_text(json.dumps(results, indent=1, default=str))
        report.write(results, out)
        return 0

    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="marketo-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    results: Dict[str, Any] = {
        "commit": commit, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
        "command": "python benchmarks/run.py " + " ".join(sys.argv[1:]),
        "settings": {"rows_per_second": args.rows_per_second, "status_refresh_s": args.status_refresh, "poll_s": args.poll,
                     "ten_types": TEN_TYPES, "leads10_columns": LEADS10, "leads_sizes": args.leads_sizes,
                     "activity_sizes": args.activity_sizes, "rest_scales": args.rest_scales,
                     "type_streams": TYPE_STREAMS, "breadth_size": args.breadth_size, "breadth_repeats": args.breadth_repeats},
        "bulk": [], "types": [], "rest": [], "profiles": [],
    }
    started = time.perf_counter()
    # "experiments" (a candidate hot-path change against the current one) runs only when asked for.
    families = args.only or ["leads", "activities", "rest", "removals", "breakdown", "per-type", "program-members"]
    if args.merge and not set(families) <= set(MERGED):
        parser.error(f"--merge works with --only {' / '.join(MERGED)}")
    try:
        if "rest" in families:
            for scale in args.rest_scales:
                rest_scenarios(scale, args, workdir, results)
        if "leads" in families:
            for size in args.leads_sizes:
                leads_scenarios(size, args, workdir, results)
        if "activities" in families:
            for size in args.activity_sizes:
                activities_scenarios(size, args, workdir, results)
        if "experiments" in families:
            experiment_scenarios(args, workdir, results)
        if "breakdown" in families:
            log("stage breakdown (benchmarks/breakdown.py)...")
            size = args.experiment_size
            out_text = subprocess.run([PYTHON, str(Path(__file__).resolve().parent / "breakdown.py"), "--leads", str(size),
                                       "--activities", str(size), "--repeat", "3"], capture_output=True, text=True, cwd=ROOT)
            results["breakdown"] = {"size": size, "text": out_text.stdout.strip(), "error": out_text.stderr[-2000:] if out_text.returncode else ""}
        if "removals" in families:
            for size in args.removal_sizes or ([100_000] if args.quick else [100_000, 1_000_000]):
                removal_scenarios(size, args, workdir, results)
        if "per-type" in families:
            per_type_scenarios(args, workdir, results)
        if "program-members" in families:
            program_member_scenarios(args, workdir, results)
    finally:
        results["total_s"] = total_s = time.perf_counter() - started
        strip_journals(results)
        if args.merge:
            results = merged(json.loads(raw.read_text()) if raw.exists() else None, results, families)
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(json.dumps(results, indent=1, default=str))
        report.write(results, out)
        log(f"done in {total_s / 60:.1f} min; report {out}, raw results {raw}, work files {workdir}")
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
