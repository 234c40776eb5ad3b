"""The first-sync benchmark's table (stdout) and markdown report, from its raw results."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

TARGET_RATIO = 1.15
TARGET_CALLS = 0.10
SPARSE_JOBS, SPARSE_CALLS = 3, 20


def minutes(seconds: float) -> str:
    return f"{seconds / 60:,.1f}"


def table_rows(results: Dict[str, Any]) -> List[List[str]]:
    rows = []
    for row in results["scenarios"]:
        jobs, ideal, slots = row["jobs"], row["ideal"], [run["slots"] for run in row["runs"]]
        idle = sum(s.get("idle_slot_s", 0.0) for s in slots)
        idle_nothing = sum(s.get("idle_nothing_queued_s", 0.0) for s in slots)
        calls_vs = row.get("calls_vs_dense")
        records = row["records"]
        rows.append([
            row["name"], ",".join(map(str, row["type_ids"])),
            f"{jobs['leads']}+{jobs['activities']}" + (f"+{jobs['census']}c" if jobs["census"] else "") + f" ({ideal['jobs']})",
            f"{row['calls']}" + (f" ({calls_vs:+.0%})" if calls_vs is not None and row["kind"] != "dense" else ""),
            f"{row['mb']:,.1f}" + (f" (cap {row['cap_mb']})" if row.get("cap_mb") else ""),
            (f"{row['plan']['mb']:,.0f} ({row['plan']['days']} d)" if row.get("plan") else "-"),
            str(len(row["runs"])), minutes(row["wall_s"]), minutes(ideal["ideal_s"]), f"{row['wall_over_ideal']:.2f}",
            minutes(row["half_processing_s"]), f"{row['occupancy_runs']:.0%}" if row.get("occupancy_runs") else "-",
            f"{idle / 60:,.1f} ({idle_nothing / 60:,.1f})",
            "ok" if records["ok"] else "MISMATCH",
        ])
    return rows


HEADER = ["scenario", "types", "jobs L+A(+census) (ideal)", "API calls (vs dense)", "MB", "plan MB (days)", "runs", "wall min",
          "ideal min", "wall / ideal", "actual sum/2 min", "slot occupancy", "idle slot-min (none queued)", "records vs truth"]


def table(results: Dict[str, Any]) -> str:
    rows = [HEADER] + table_rows(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) for row in rows)


def markdown_table(header: List[str], rows: List[List[str]]) -> List[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(row) + " |" for row in rows]


def targets(results: Dict[str, Any]) -> List[List[str]]:
    out = []
    for row in results["scenarios"]:
        ratio = row["wall_over_ideal"]
        out.append([f"wall / ideal <= {TARGET_RATIO} ({row['name']})", f"{ratio:.2f}", "met" if ratio <= TARGET_RATIO else "missed"])
    for row in results["scenarios"]:
        if row.get("calls_vs_dense") is not None and row["kind"] != "dense":
            value = row["calls_vs_dense"]
            out.append([f"calls within 10% of dense ({row['name']})", f"{row['calls']} vs {row['calls'] - row['more_calls_than_dense']} ({value:+.1%})",
                        "met" if abs(value) <= TARGET_CALLS else "missed"])
    for row in results["scenarios"]:
        if row["kind"] == "sparse" and row.get("more_jobs_than_dense") is not None:
            more_jobs, more_calls = row["more_jobs_than_dense"], row["more_calls_than_dense"]
            out.append([f"sparse start: <= {SPARSE_JOBS} more jobs, <= {SPARSE_CALLS} more calls than dense ({row['name']})",
                        f"{more_jobs:+d} jobs, {more_calls:+d} calls",
                        "met" if more_jobs <= SPARSE_JOBS and more_calls <= SPARSE_CALLS else "missed"])
    for row in results["scenarios"]:
        if row.get("cap_mb"):  # each read of the cap scenario runs within one Marketo day (the clock moves to midnight between)
            worst = max(run["mb"] for run in row["runs"])
            out.append([f"nothing over the cap of {row['cap_mb']} MB a Marketo day ({row['name']})", f"at most {worst:.2f} MB in a day",
                        "met" if worst <= row["cap_mb"] else "missed"])
    for row in results["scenarios"]:
        records = row["records"]
        detail = "; ".join(f"{stream} {item['distinct']:,} of {item['truth']:,}" + (f" (missing {item['missing']}, extra {item['extra']})" if item["missing"] or item["extra"] else "")
                           + (f", at the end {item['truth_at_end']:,} visible, missing {item['missing_at_end']}" if "truth_at_end" in item else "")
                           for stream, item in records.items() if isinstance(item, dict))
        out.append([f"records = ground truth, by distinct id ({row['name']})", detail, "met" if records["ok"] else "missed"])
    late = [(row["name"], row["file_lateness"]) for row in results["scenarios"] if row.get("file_lateness")]
    if late:
        worst = max(late, key=lambda item: item[1]["max_s"])
        count = sum(item["late_jobs"] for _, item in late)
        out.append(["benchmark validity: the emulator wrote every export file by the job's due end at this K",
                    f"{count} late file(s) in {sum(item['jobs'] for _, item in late)} jobs" + (f", worst {worst[1]['max_s']:.0f} s ({worst[0]})" if count else ""),
                    "met" if count == 0 else "missed (lower K)"])
    return out


def scenario_section(row: Dict[str, Any], settings: Dict[str, Any]) -> List[str]:
    ideal = row["ideal"]
    lines = [f"### {row['name']}", "",
             f"Start date {row['start_date']}; activity types {','.join(map(str, row['type_ids']))}"
             + (f"; `daily_bulk_export_limit_mb` {row['cap_mb']}" if row.get("cap_mb") else "") + ".", ""]
    lane_bits = [f"{lane}: data {item['begins']}..{item['end']}, {item['windows']} windows, {item['rows']:,} rows, "
                 f"{minutes(item['processing_s'])} min of processing" for lane, item in ideal["lanes"].items()]
    lines.append(f"Ideal: {'; '.join(lane_bits)}" + (f"; plus {ideal['extra_jobs_for_cap']} job(s) for {ideal['cap_days']} Marketo days at the cap"
                                                    if ideal["extra_jobs_for_cap"] else "") + f"; half of the sum {minutes(ideal['ideal_s'])} min.")
    lines.append("")
    run_rows = []
    for run in row["runs"]:
        span, slots, seen = run["span"], run["slots"], run["seen"]
        run_rows.append([str(run["run"]), minutes(span["wall_s"]), minutes(span.get("before_jobs_s", 0)), minutes(span.get("jobs_s", 0)),
                         minutes(span.get("after_jobs_s", 0)), f"{run['jobs']['leads']}+{run['jobs']['activities']}+{run['jobs']['census']}",
                         f"{run['mb']:,.1f}", str(run["calls"]["counted"]), minutes(slots.get("half_sum_s", 0)),
                         f"{slots.get('occupancy', 0):.0%}", f"{slots.get('idle_nothing_queued_s', 0):,.0f} / {slots.get('idle_in_dispatch_s', 0):,.0f}",
                         f"{slots.get('drain_s', 0):,.0f}", f"{seen['seen_mean_s']:.0f} / {seen['seen_max_s']:.0f}",
                         f"{run['cpu_s']:.1f} ({run['cpu_s'] * settings['speed'] / max(span['wall_s'], 1):.0%})"])
    lines += markdown_table(["run", "wall min", "before jobs", "jobs", "after jobs", "jobs L+A+census", "MB", "calls", "sum/2 min",
                             "occupancy", "idle slot-s: none queued / in dispatch", "drain s", "end seen after s (mean / max)",
                             "connector CPU s (x K / wall)"], run_rows)
    lines.append("")
    for run in row["runs"]:
        kept = run["lines"]
        for plan in kept["plan"]:
            lines += [f"Run {run['run']} plan: `{plan}`", ""]
        if kept["progress"]:
            lines += [f"Run {run['run']} last progress: `{kept['progress']}`", ""]
        if run["error"]:
            lines += [f"Run {run['run']} ended: `{run['error']}`", ""]
        if kept["summary"]:
            lines += [f"Run {run['run']} summary: `{kept['summary']}`", ""]
        for warning in kept["warnings"]:
            lines += [f"Run {run['run']} warning: `{warning}`", ""]
    endpoints: Dict[str, int] = {}
    for run in row["runs"]:
        for endpoint, count in run["calls"]["by_endpoint"].items():
            endpoints[endpoint] = endpoints.get(endpoint, 0) + count
    lines.append("Calls: " + ", ".join(f"`{endpoint}` {count}" for endpoint, count in sorted(endpoints.items(), key=lambda kv: -kv[1])) + ".")
    lines.append("")
    for lane, items in row["windows"].items():
        short = [f"{item['start'][:10]}..{item['end'][:10]} ({item['days']} d, {item['rows']:,} rows)" for item in items if item["short"]]
        empty = [f"{item['start'][:10]}..{item['end'][:10]}" for item in items if item["empty"]]
        sizes = [item["days"] for item in items]
        lines.append(f"- {lane}: {len(items)} windows of {min(sizes):g}-{max(sizes):g} days, rows {min(i['rows'] or 0 for i in items):,}-"
                     f"{max(i['rows'] or 0 for i in items):,}" + (f"; short of {settings['window_days']} days before the lane's last: {', '.join(short)}" if short else "")
                     + (f"; empty: {', '.join(empty)}" if empty else ""))
    late = row.get("file_lateness")
    if late:
        lines.append(f"- emulator files written after the job's due end (a scaled-clock artefact): {late['late_jobs']} of {late['jobs']} jobs"
                     + (f", by {late['mean_late_s']:.0f} s on average, at most {late['max_s']:.0f} s" if late["late_jobs"] else ""))
    censuses = row.get("censuses") or []
    if censuses:
        lines.append(f"- lead censuses: {len(censuses)}; " + "; ".join(
            f"{item['window'][0][:10]}..{item['window'][1][:10]} ({item['rows']:,} rows) -> {item['exports_after']} export(s) of "
            f"{', '.join(f'{rows:,}' for rows in item['export_rows'] if rows is not None)} rows" + (" (changed nothing: one export took the whole span)" if item["changed_nothing"] else "")
            for item in censuses))
    alone = [job for run in row["runs"] for job in run["slots"].get("alone", [])]
    if alone:
        lines.append("- ran alone (the other slot idle for at least half the job, before the tail): " + "; ".join(
            f"{job['lane']} {job['window'][0][:10]}..{job['window'][1][:10]} ({job['alone_s']:.0f} of {job['processing_s']:.0f} s)" for job in alone))
    lines.append("")
    return lines


def write(results: Dict[str, Any], out: Path) -> None:
    settings = results["settings"]
    lines = [
        "# First sync of a real instance, on a scaled Marketo clock",
        "",
        f"Generated by `{results['command']}` on {results['date']} at commit `{results['commit'][:12]}` "
        f"(total {results.get('total_s', 0) / 60:.0f} min). See [docs/benchmarks-first-sync.md](../../docs/benchmarks-first-sync.md) for the method.",
        "",
        f"Data: {settings['leads']:,} leads and {settings['activities']:,} activities over {settings['history_days']} days "
        f"(`data_begins`, `history_shape=growing`), history ending {settings['anchor']}. Marketo model: every job takes "
        f"S = {settings['fixed_s']:g} s plus rows / R, R = {settings['rows_per_second']:,.0f} rows/s (`fixed:{settings['fixed_s']:g},rows:{settings['rows_per_second']:g}`), "
        f"dispatch delay {settings['queue_latency_s']:g} s, status refreshed every 60 s, 2 processing slots; the connector polls every 60 s. "
        f"Clock: K = {settings['speed']:g} (one real second is {settings['speed']:g} Marketo seconds, for the emulator and the connector alike).",
        "",
        "Wall: Marketo-clock time from the first to the last call of the connector's reads (for the cap scenario the sum of "
        "the runs, without the waits for midnight). Ideal: half the processing the data needs (per lane, full 30-day "
        "windows from where its data begins to the end, each S + rows / R; with a cap, one more job per extra Marketo day). "
        "Actual sum/2: half of the processing time of the jobs that ran. Occupancy: processing time / (2 x job span), summed over runs. "
        f"Even a perfect run stays above the ideal by a floor of about {settings['queue_latency_s'] + settings['fixed_s'] / 2 + 30:.0f} s a run: the first "
        f"job's dispatch delay ({settings['queue_latency_s']:g} s), the last job alone in its slot (about S / 2 on average against the "
        "ideal's perfect packing) and on average half a poll interval before the last file is seen (plus its download and the removal scans).",
        "",
    ]
    lines += markdown_table(HEADER, table_rows(results))
    lines += ["", "## Targets", ""]
    lines += markdown_table(["target", "measured", "verdict"], targets(results))
    lines += ["", "## Scenarios", ""]
    for row in results["scenarios"]:
        lines += scenario_section(row, settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
