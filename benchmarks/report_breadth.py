"""The report's sections for the breadth scenarios of benchmarks/run.py: activities with five
``activities_<type>`` streams (``--only per-type``) and program_members (``--only program-members``).

Each sync is followed by the baseline (benchmarks/baseline.py) on its own export files, so every
ratio here is of two numbers measured one after the other; the spread is over the repeats.
"""
from __future__ import annotations

import json
from typing import List, Optional, Tuple

from report import baseline_per_cpu, baseline_rps, k, median, n, pct, ratio, size_label

PER_TYPE_TARGET = 0.70
MEMBERS_TARGET = 0.80
FULL = "log+attributes+5 types"  # the variant the per-type target is about
WITHOUT = "log+attributes"  # the same sync without the type streams


def emitted_rps(full: dict) -> Optional[float]:
    """All records emitted (every stream) per second of the hot path (the time spent reading the exports)."""
    return full["records"] / full["hot_wall_s"] if full.get("hot_wall_s") else None


def fan_out(full: dict, per: str) -> Optional[float]:
    """The fan-out baseline's records per wall or CPU second (it writes the records the sync emits)."""
    base = full.get("baseline_fan_out") or {}
    return base["records"] / base[per] if base.get(per) else None


def records_per_cpu(full: dict) -> Optional[float]:
    return full["records"] / full["cpu_s"] if full.get("cpu_s") else None


def rows_per_cpu(full: dict) -> Optional[float]:
    return full["export_rows"] / full["cpu_s"] if full.get("cpu_s") else None


def verdict(values: List[Optional[float]], target: float) -> str:
    """Met only when every run is at or above the target."""
    kept = [v for v in values if v]
    if not kept:
        return "-"
    if min(kept) >= target:
        return "met"
    return "missed" if max(kept) < target else "met in some runs, missed in others"


def spread(values: List[Optional[float]]) -> str:
    """``median (min-max)`` of ratios, as percentages."""
    kept = [v for v in values if v]
    if not kept:
        return "-"
    return f"{pct(median(kept))} ({pct(min(kept))}-{pct(max(kept))})"


def ran(results: dict, family: str) -> List[str]:
    run = (results.get("runs") or {}).get(family)
    if not run:
        return []
    return [f"Measured by `{run['command'].strip()}` on {run['date']} at commit `{run['commit'][:12]}` "
            f"(total {run.get('total_s', 0) / 60:.0f} min), not by the run the rest of this page comes from.", ""]


def export_signature(full: dict) -> List[Tuple]:
    """What each completed export asked for and returned: window start, types, fields, rows, bytes (window ends
    are each sync's own 'now', so they differ by the minutes between syncs)."""
    return sorted((json.dumps(job["filter"].get("createdAt", {}).get("startAt")), tuple(job.get("activity_type_ids") or ()),
                   tuple(job.get("fields") or ()), job.get("records"), job.get("bytes"))
                  for job in full["job_list"] if job["status"] == "Completed")


def equality(rows: List[dict]) -> List[Tuple[int, str, str]]:
    """Per repeat: (repeat, with vs without the type streams, with vs lead_activities alone)."""
    out = []
    for repeat in sorted({r["repeat"] for r in rows}):
        by = {r["variant"]: r["full"] for r in rows if r["repeat"] == repeat}
        if FULL not in by:
            continue
        full = by[FULL]

        def compare(other: Optional[dict]) -> str:
            if other is None:
                return "-"
            same = export_signature(full) == export_signature(other)
            facts = (f"{full['jobs_created']} vs {other['jobs_created']} jobs, {n(full['export_mb'], 2)} vs "
                     f"{n(other['export_mb'], 2)} MB, {n(full['export_rows'])} vs {n(other['export_rows'])} rows")
            return ("identical: " if same else "different: ") + facts
        out.append((repeat, compare(by.get(WITHOUT)), compare(by.get("log"))))
    return out


def per_type_targets(results: dict) -> List[str]:
    rows = [r["full"] for r in results.get("per_type") or [] if r["variant"] == FULL]
    if not rows:
        return []
    literal = [ratio(emitted_rps(f), baseline_rps(f)) for f in rows]
    alike = [ratio(emitted_rps(f), fan_out(f, "wall_s")) for f in rows]
    size = size_label(results["per_type"][0]["size"])
    return [f"| lead_activities + lead_activity_attributes + 5 `activities_<type>` streams >= 70% of the baseline's rows/s at "
            f"{size} activities (records emitted / hot-path wall) | records emitted {spread(literal)} of the baseline's rows/s; "
            f"{spread(alike)} of the fan-out baseline's records/s (the same records) | {verdict(literal, PER_TYPE_TARGET)} as "
            f"defined; like for like: {verdict(alike, PER_TYPE_TARGET)} |"]


def member_targets(results: dict) -> List[str]:
    rows = [r["full"] for r in results.get("program_members") or []]
    if not rows:
        return []
    ratios = [ratio(f.get("hot_rps"), baseline_rps(f)) for f in rows]
    net = [ratio(f.get("hot_rps_net"), baseline_rps(f)) for f in rows if f.get("hot_rps_net")]
    without = (f"; without the polls of other jobs between its batches {spread(net)}: {verdict(net, MEMBERS_TARGET)}" if net else "")
    offline = [ratio(offline_rps(f), baseline_rps(f)) for f in rows if offline_rps(f)]
    apart = (f"; the same per-record path read offline from the same files {spread(offline)} (not the target's measure)"
             if offline else "")
    return [f"| program_members >= 80% of the baseline's rows/s at {n(rows[0]['export_rows'])} rows | hot path "
            f"{spread(ratios)} of the baseline in a sync (median, min-max over {len(rows)} runs){without}{apart} | "
            f"{verdict(ratios, MEMBERS_TARGET)} |"]


def per_type_section(results: dict) -> List[str]:
    rows = results.get("per_type") or []
    if not rows:
        return []
    size = rows[0]["size"]
    lines = [f"## Activities with five per-type streams, {size_label(size)} activities", ""] + ran(results, "per-type")
    lines += [
        f"Setup: an emulator with {n(size)} activities ({n(max(10_000, size // 20))} leads), `activity_type_ids` = the 10 "
        "types above. Three full syncs, alternated and repeated: `lead_activities` + `lead_activity_attributes` + "
        "`activities_visit_webpage`, `activities_fill_out_form`, `activities_send_email`, `activities_open_email`, "
        "`activities_change_score` (types 1, 2, 6, 10, 22); the same without the five type streams; `lead_activities` "
        "alone. Each sync is followed by the baseline on its own export files twice: as for every scenario (one "
        "record per row), and fanned out (`baseline.py --attributes --types`: one record per attribute and one per row "
        "of the five types, the same records the sync emits, values untyped).", "",
        "| variant | run | export rows | records emitted | hot path s | records emitted/s | baseline rows/s | emitted / baseline | "
        "fan-out baseline records/s | emitted / fan-out | export rows/s / baseline | records per CPU-s, whole process | "
        "vs baseline rows per CPU-s | vs fan-out per CPU-s | wall s | CPU s | peak RSS MB | jobs | bulk MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        f = row["full"]
        lines.append(
            f"| {row['variant']} | {row['repeat'] + 1} | {n(f['export_rows'])} | {n(f['records'])} | {n(f.get('hot_wall_s'), 1)} | "
            f"{k(emitted_rps(f))} | {k(baseline_rps(f))} | {pct(ratio(emitted_rps(f), baseline_rps(f)))} | {k(fan_out(f, 'wall_s'))} | "
            f"{pct(ratio(emitted_rps(f), fan_out(f, 'wall_s')))} | {pct(ratio(f.get('hot_rps'), baseline_rps(f)))} | "
            f"{k(records_per_cpu(f))} | {pct(ratio(records_per_cpu(f), baseline_per_cpu(f)))} | "
            f"{pct(ratio(records_per_cpu(f), fan_out(f, 'cpu_s')))} | {n(f['wall_s'], 1)} | {n(f['cpu_s'], 1)} | {n(f['rss_mb'])} | "
            f"{f['jobs_created']} | {n(f['export_mb'], 1)} |")
    lines += ["", "Median (min-max) over the runs:", "",
              "| variant | records emitted / baseline rows/s | emitted / fan-out baseline | export rows/s / baseline | "
              "records per CPU-s / baseline rows per CPU-s | per CPU-s / fan-out | peak RSS MB (max) |", "|---|---|---|---|---|---|---|"]
    for variant in dict.fromkeys(r["variant"] for r in rows):
        fs = [r["full"] for r in rows if r["variant"] == variant]
        lines.append(f"| {variant} | {spread([ratio(emitted_rps(f), baseline_rps(f)) for f in fs])} | "
                     f"{spread([ratio(emitted_rps(f), fan_out(f, 'wall_s')) for f in fs])} | "
                     f"{spread([ratio(f.get('hot_rps'), baseline_rps(f)) for f in fs])} | "
                     f"{spread([ratio(records_per_cpu(f), baseline_per_cpu(f)) for f in fs])} | "
                     f"{spread([ratio(records_per_cpu(f), fan_out(f, 'cpu_s')) for f in fs])} | {n(max(f['rss_mb'] for f in fs))} |")
    lines += ["", "Export jobs and megabytes, from the emulator's job list (window start, type ids, fields, rows and bytes of "
              "every completed export):", "", "| run | with vs without the five type streams | with the type streams vs "
              "lead_activities alone |", "|---|---|---|"]
    lines += [f"| {repeat + 1} | {without} | {alone} |" for repeat, without, alone in equality(rows)]
    return lines + [""]


def offline_rps(row: dict) -> Optional[float]:
    offline = row.get("offline") or {}
    return offline["rows"] / offline["wall_s"] if offline.get("wall_s") else None


def program_members_section(results: dict) -> List[str]:
    rows = results.get("program_members") or []
    if not rows:
        return []
    shape = results.get("program_member_shape") or {}
    lines = [f"## program_members, {n(rows[0]['full']['export_rows'])} rows", ""] + ran(results, "program-members")
    if shape:
        lines += [f"Setup: an emulator with {n(shape['programs'])} programs and {n(shape['leads'])} leads; each program's "
                  f"members are a share of the leads drawn per program (the emulator's 2-40 %, times `--program-member-density "
                  f"{shape['density']:g}`): {n(shape['members'])} members, {n(shape['per_program_min'])} to "
                  f"{n(shape['per_program_max'])} a program (median {n(shape['per_program_median'])}), "
                  f"{shape['per_lead_mean']:.1f} programs a lead on average. A full sync of `program_members` with every "
                  "column (one export per ten programs), repeated, each run followed by the baseline on its export files."
                  + (f" Each export job takes {n(shape.get('fixed_seconds') or 0, 0)} s plus its rows / "
                     f"{n(shape['rows_per_second'])} s (`--member-fixed-seconds`, `--member-rows-per-second`; Marketo "
                     "takes a minute or more), so the connector's calls stay under Marketo's 100 per 20 s and none of its "
                     "hot path waits for that window." if shape.get("rows_per_second") else ""), ""]
    lines += ["| run | rows | hot path s | of which polls between batches s | of which call-rate waits s | hot path CPU s | "
              "hot path rows/s | baseline rows/s | hot / baseline | "
              "without the polls / baseline | connector's path offline / baseline | rows per CPU-s, whole process | "
              "vs baseline per CPU-s | start-up s | wall s | CPU s | peak RSS MB | jobs | bulk MB | API calls |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        f = row["full"]
        lines.append(f"| {row['repeat'] + 1} | {n(f['export_rows'])} | {n(f.get('hot_wall_s'), 1)} | {n(f.get('service_wall_s'), 1)} | "
                     f"{n(f.get('rate_wait_s'), 2)} | {n(f.get('hot_cpu_s'), 1)} | "
                     f"{k(f.get('hot_rps'))} | {k(baseline_rps(f))} | {pct(ratio(f.get('hot_rps'), baseline_rps(f)))} | "
                     f"{pct(ratio(f.get('hot_rps_net'), baseline_rps(f)))} | {pct(ratio(offline_rps(f), baseline_rps(f)))} | "
                     f"{k(rows_per_cpu(f))} | "
                     f"{pct(ratio(rows_per_cpu(f), baseline_per_cpu(f)))} | {n(f.get('import_s'), 1)} | {n(f['wall_s'], 1)} | "
                     f"{n(f['cpu_s'], 1)} | {n(f['rss_mb'])} | {f['jobs_created']} | {n(f['export_mb'], 1)} | {f['calls']} |")
    fs = [r["full"] for r in rows]
    lines += ["", f"Median (min-max) over {len(fs)} runs: hot / baseline {spread([ratio(f.get('hot_rps'), baseline_rps(f)) for f in fs])}; "
              f"without the polls between batches {spread([ratio(f.get('hot_rps_net'), baseline_rps(f)) for f in fs if f.get('hot_rps_net')])}; "
              f"the connector's per-record path read offline from the same files (benchmarks/connector_offline.py, "
              f"right after the baseline) {spread([ratio(offline_rps(f), baseline_rps(f)) for f in fs if offline_rps(f)])}; "
              f"per CPU second {spread([ratio(rows_per_cpu(f), baseline_per_cpu(f)) for f in fs])}.", ""]
    return lines


def breadth_sections(results: dict) -> List[str]:
    return per_type_section(results) + program_members_section(results)


def breadth_targets(results: dict) -> List[str]:
    return per_type_targets(results) + member_targets(results)

