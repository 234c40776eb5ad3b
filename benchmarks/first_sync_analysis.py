"""What a first sync cost and what it should have cost, from the emulator's books (jobs, journal, truth).

Pure functions of the job dicts (``emu.jobs``), journal entries (``emu.journal.to_list()``) and the
ground truth returned by ``scaled.ScaledEmulator.truth``. Every instant is emulator time (epoch ms or
ISO seconds), so the numbers are those of a real instance, whatever the clock's speed.

The ideal: the export jobs the data needs, i.e. per lane ceil((end - where its data begins) / window)
full-size windows, each costing Marketo's fixed start-up S plus rows / R (the emulator's
``fixed:S,rows:R``), packed perfectly into Marketo's two processing slots: the sum over both lanes / 2.
A daily export cap forces at least ceil(MB / cap) Marketo days, so at least (days - 1) windows more
(each day's budget ends inside a window); they are added for the cap scenario.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional, Tuple

MB = 1024 * 1024
DAY_MS = 86_400_000


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def iso(value_ms: float) -> str:
    return datetime.fromtimestamp(value_ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- jobs ------------------------------------------------------------------------------------------

def is_census(job: Dict[str, Any]) -> bool:
    """A lead census: a lead export of the single column updatedAt (census.py)."""
    return job["kind"] == "leads" and list(job["request"].get("fields") or []) == ["updatedAt"]


def lane_of(job: Dict[str, Any]) -> str:
    return "census" if is_census(job) else job["kind"]


def window_of(job: Dict[str, Any]) -> Tuple[int, int]:
    window = next(iter(job["request"]["filter"].values()))
    return window["startMs"], window["endMs"]


def job_kinds(jobs: List[Dict[str, Any]]) -> Dict[str, int]:
    counts = Counter(lane_of(job) for job in jobs)
    return {"leads": counts["leads"], "activities": counts["activities"], "census": counts["census"], "all": len(jobs)}


def export_mb(jobs: List[Dict[str, Any]], census: Optional[bool] = None) -> float:
    return sum(job.get("bytes") or 0 for job in jobs if job["status"] == "Completed" and (census is None or is_census(job) == census)) / MB


def job_list(jobs: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The jobs in enqueue order, compactly: lane, window, rows, bytes, and when each was queued,
    started and ended (seconds after the first enqueue)."""
    queued = [job["queuedAtMs"] for job in jobs if job.get("queuedAtMs")]
    origin = min(queued, default=0)
    rel = lambda value: None if value is None else round((value - origin) / 1000, 1)  # noqa: E731
    return [{"lane": lane_of(job), "window": [iso(edge) for edge in window_of(job)], "rows": job.get("records"), "bytes": job.get("bytes"),
             "status": job["status"], "queued": rel(job.get("queuedAtMs")), "started": rel(job.get("startedAtMs")), "ended": rel(job.get("endedAtMs"))}
            for job in sorted(jobs, key=lambda job: job.get("queuedAtMs") or job["createdAtMs"])]


def windows(jobs: List[Dict[str, Any]], window_days: int) -> Dict[str, List[Dict[str, Any]]]:
    """Per lane, its export windows in order: size in days, rows, MB, and whether it is short of the
    configured size although it is not the lane's last window (a window smaller than needed)."""
    out: Dict[str, List[Dict[str, Any]]] = {}
    for job in sorted(jobs, key=lambda job: (lane_of(job), window_of(job))):
        start, end = window_of(job)
        out.setdefault(lane_of(job), []).append({
            "start": iso(start), "end": iso(end), "days": round((end - start) / DAY_MS, 2), "rows": job.get("records"),
            "mb": round((job.get("bytes") or 0) / MB, 2), "status": job["status"], "export_id": job["exportId"]})
    for lane, items in out.items():
        for index, item in enumerate(items):
            last = index == len(items) - 1
            item["short"] = lane != "census" and not last and item["days"] < window_days - 0.01
            item["empty"] = item["rows"] == 0
    return out


def census_effects(jobs: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Each lead census and what followed it: the lead exports that began within its span, and whether
    the census changed anything (it did not when one export then covered its whole span anyway)."""
    leads = sorted((window_of(job), job) for job in jobs if job["kind"] == "leads" and not is_census(job))
    out = []
    for census in sorted((job for job in jobs if is_census(job)), key=window_of):
        start, end = window_of(census)
        after = [(window, job) for window, job in leads if start <= window[0] < end]
        whole = bool(after) and after[0][0][0] == start and after[0][0][1] >= end
        out.append({"window": [iso(start), iso(end)], "rows": census.get("records"), "exports_after": len(after),
                    "export_rows": [job.get("records") for _, job in after], "changed_nothing": whole})
    return out


def plan_numbers(line: str) -> Optional[Dict[str, Any]]:
    """"Backfill plan: ... In all about 3 MB: 1 Marketo day(s) ..." -> {"mb": 3, "days": 1}."""
    match = re.search(r"In all about ([\d,.]+) MB: (\d+) Marketo day", line)
    return {"mb": float(match.group(1).replace(",", "")), "days": int(match.group(2))} if match else None


# --- slots -----------------------------------------------------------------------------------------

def slot_use(jobs: List[Dict[str, Any]], slots: int = 2) -> Dict[str, Any]:
    """How our jobs used the two processing slots (emulator clock, ms precision).

    ``processing_sum_s``: sum of Processing -> end; ``busy_span_s``: first start to last end;
    ``idle_slot_s``: free slot-seconds from the first start to the last start (a job could have run),
    split into ``idle_nothing_queued_s`` (none of our jobs was queued: the connector had not supplied
    one) and ``idle_in_dispatch_s`` (one was queued but within Marketo's dispatch delay: enqueued too
    late); ``drain_s``: last start to last end (the tail, one job alone at the end); ``alone``: jobs
    that ran with the other slot idle for at least half their processing time (before the tail)."""
    spans = sorted(((job["startedAtMs"], job["endedAtMs"], job) for job in jobs if job.get("startedAtMs") and job.get("endedAtMs")),
                   key=lambda span: span[:2])
    if not spans:
        return {"jobs": 0}
    queued = [(job["queuedAtMs"], job["startedAtMs"]) for job in jobs if job.get("queuedAtMs") and job.get("startedAtMs")]
    first, last_start, last_end = spans[0][0], max(s for s, _, _ in spans), max(e for _, e, _ in spans)
    cuts = sorted(c for c in {first, last_start, *(s for s, _, _ in spans), *(e for _, e, _ in spans), *(q for q, _ in queued)} if c >= first)
    idle_nothing = idle_dispatch = 0.0
    alone_ms: Counter = Counter()
    for low, high in zip(cuts, cuts[1:]):
        if low >= last_start:
            break
        high = min(high, last_start)
        running = [job for s, e, job in spans if s <= low < e]
        free = max(slots - len(running), 0)
        if not free:
            continue
        waiting = sum(1 for q, s in queued if q <= low < s)
        in_dispatch = min(free, waiting)
        idle_dispatch += in_dispatch * (high - low)
        idle_nothing += (free - in_dispatch) * (high - low)
        if len(running) == 1:
            alone_ms[running[0]["exportId"]] += high - low
    alone = []
    for start, end, job in spans:
        share = alone_ms[job["exportId"]] / max(end - start, 1)
        if share >= 0.5:
            alone.append({"export_id": job["exportId"], "lane": lane_of(job), "window": [iso(w) for w in window_of(job)],
                          "processing_s": round((end - start) / 1000, 1), "alone_s": round(alone_ms[job["exportId"]] / 1000, 1)})
    total = sum(e - s for s, e, _ in spans)
    return {"jobs": len(spans), "processing_sum_s": total / 1000, "half_sum_s": total / 2000, "busy_span_s": (last_end - first) / 1000,
            "occupancy": total / (slots * max(last_end - first, 1)), "idle_slot_s": (idle_nothing + idle_dispatch) / 1000,
            "idle_nothing_queued_s": idle_nothing / 1000, "idle_in_dispatch_s": idle_dispatch / 1000,
            "drain_s": (last_end - last_start) / 1000, "alone": alone,
            "longest_s": max(e - s for s, e, _ in spans) / 1000}


def completion_seen(jobs: List[Dict[str, Any]], journal: List[Dict[str, Any]]) -> Dict[str, float]:
    """How long after a job ended the connector saw it (its last status call) and began its download:
    a poll-interval effect, and a check that the emulator wrote no file late on the scaled clock."""
    last_status, first_file = {}, {}
    for entry in journal:
        path = entry["path"]
        if "/export/" not in path:
            continue
        export_id = path.split("/export/", 1)[1].split("/", 1)[0]
        if path.endswith("/status.json"):
            last_status[export_id] = ms(entry["time"])
        elif path.endswith("/file.json"):
            first_file.setdefault(export_id, ms(entry["time"]))
    seen = [(last_status[j["exportId"]] - j["endedAtMs"]) / 1000 for j in jobs if j.get("endedAtMs") and j["exportId"] in last_status]
    files = [(first_file[j["exportId"]] - j["endedAtMs"]) / 1000 for j in jobs if j.get("endedAtMs") and j["exportId"] in first_file]
    return {"seen_mean_s": sum(seen) / len(seen) if seen else 0.0, "seen_max_s": max(seen, default=0.0),
            "download_after_mean_s": sum(files) / len(files) if files else 0.0, "download_after_max_s": max(files, default=0.0)}


def file_lateness(jobs: List[Dict[str, Any]], ready: Dict[str, int]) -> Dict[str, Any]:
    """How far after its due end each export's file was written (emulator time): above zero, the job's
    completion showed late because the emulator could not write the file as fast as the scaled clock ran
    (the timeline still says the job ended when due). A benchmark artefact to keep near zero with K."""
    late = [(ready[job["exportId"]] - job["endedAtMs"]) / 1000 for job in jobs
            if job.get("endedAtMs") and job["status"] == "Completed" and job["exportId"] in ready]
    over = [value for value in late if value > 1.0]
    return {"jobs": len(late), "late_jobs": len(over), "max_s": max(late, default=0.0), "mean_late_s": sum(over) / len(over) if over else 0.0}


# --- calls and time --------------------------------------------------------------------------------

def calls(journal: List[Dict[str, Any]]) -> Dict[str, Any]:
    counted = [entry for entry in journal if entry.get("counted")]
    by_endpoint = Counter(entry["endpoint"] for entry in counted)
    errors = Counter(entry["error_code"] for entry in journal if entry.get("error_code"))
    return {"counted": len(counted), "token": sum(1 for e in journal if e["endpoint"].startswith("/identity/")),
            "by_endpoint": dict(by_endpoint.most_common()), "errors": dict(errors)}


def run_span(journal: List[Dict[str, Any]], jobs: List[Dict[str, Any]]) -> Dict[str, float]:
    """A run's wall on the emulator clock (first to last call), in three parts: before the first
    enqueue (start-up, survey), the jobs (first enqueue to last end), after (last downloads, scans)."""
    if not journal:
        return {"wall_s": 0.0}
    first, last = ms(journal[0]["time"]), ms(journal[-1]["time"])
    queued = [job["queuedAtMs"] for job in jobs if job.get("queuedAtMs")]
    ended = [job["endedAtMs"] for job in jobs if job.get("endedAtMs")]
    if not queued:
        return {"wall_s": (last - first) / 1000, "before_jobs_s": (last - first) / 1000, "jobs_s": 0.0, "after_jobs_s": 0.0}
    # the journal has whole seconds: clamp so the three parts add up to the wall
    start_jobs, end_jobs = max(min(queued), first), min(max(ended or queued), last)
    return {"wall_s": (last - first) / 1000, "before_jobs_s": (start_jobs - first) / 1000, "jobs_s": (end_jobs - start_jobs) / 1000,
            "after_jobs_s": max(last - end_jobs, 0) / 1000, "first_call": journal[0]["time"], "last_call": journal[-1]["time"]}


# --- the ideal -------------------------------------------------------------------------------------

def ideal(truth: Dict[str, Any], lane_ends: Dict[str, str], window_days: int, fixed_s: float, rows_per_s: float,
          cap_days: int = 1) -> Dict[str, Any]:
    """The processing the data needs, and half of it (two slots). Per lane: full windows from where its
    data begins (ground truth) to the lane's end (where its last export ended), each S + rows / R."""
    lanes = {}
    sources = {"leads": ("leads_first", "lead_ids"), "activities": ("activities_first", "activity_ids")}
    for lane, (first_key, ids_key) in sources.items():
        if lane not in lane_ends or not truth.get(first_key):
            continue
        begins, end = ms(truth[first_key]), ms(lane_ends[lane])
        count = max(1, math.ceil((end - begins) / (window_days * DAY_MS))) if len(truth[ids_key]) else 0
        rows = len(truth[ids_key])
        lanes[lane] = {"begins": truth[first_key], "end": lane_ends[lane], "windows": count, "rows": rows,
                       "processing_s": count * fixed_s + rows / rows_per_s}
    extra = max(cap_days - 1, 0)
    total = sum(lane["processing_s"] for lane in lanes.values()) + extra * fixed_s
    return {"lanes": lanes, "jobs": sum(lane["windows"] for lane in lanes.values()) + extra, "cap_days": cap_days,
            "extra_jobs_for_cap": extra, "processing_sum_s": total, "ideal_s": total / 2}


# --- records against the truth ---------------------------------------------------------------------

def check_records(found: Dict[str, Any], truth: Dict[str, Any], truth_end: Optional[Dict[str, Any]] = None,
                  attributes: bool = False) -> Dict[str, Any]:
    """Distinct ids the connector emitted against the emulator's ground truth. ``truth_end`` (retention):
    what was still visible when the sync ended; the records must lie between the two."""
    ids = found["ids"]
    leads = {int(i) for i in ids.get("leads", ())}
    activities = {int(i) for i in ids.get("lead_activities", ())}
    want_leads = set(truth["lead_ids"])
    want_activities = set(truth["activity_ids"]) | set(truth["delete_ids"])
    out = {"leads": {"records": found["counts"].get("leads", 0), "distinct": len(leads), "truth": len(want_leads),
                     "missing": len(want_leads - leads), "extra": len(leads - want_leads)},
           "lead_activities": {"records": found["counts"].get("lead_activities", 0), "distinct": len(activities),
                               "truth": len(want_activities), "missing": len(want_activities - activities),
                               "extra": len(activities - want_activities)}}
    if truth_end is not None:  # retained out during the sync: visible at the start, gone by the end
        still = set(truth_end["activity_ids"]) | set(truth_end["delete_ids"])
        out["lead_activities"].update({"truth_at_end": len(still), "missing_at_end": len(still - activities)})
    if attributes:
        distinct = len(ids.get("lead_activity_attributes", ()))
        item = {"records": found["counts"].get("lead_activity_attributes", 0), "distinct": distinct, "truth": truth["attribute_records"],
                "missing": max(truth["attribute_records"] - distinct, 0), "extra": max(distinct - truth["attribute_records"], 0)}
        if truth_end is not None:
            item.update({"truth_at_end": truth_end["attribute_records"], "missing_at_end": max(truth_end["attribute_records"] - distinct, 0)})
        out["lead_activity_attributes"] = item
    # With retention the records must lie between what was visible at the start and at the end.
    out["ok"] = all(item["extra"] == 0 and (item["missing_at_end"] == 0 if "missing_at_end" in item else item["missing"] == 0)
                    for item in out.values())
    return out


def lane_ends(jobs: Iterable[Dict[str, Any]]) -> Dict[str, str]:
    ends: Dict[str, int] = {}
    for job in jobs:
        if is_census(job):
            continue
        ends[job["kind"]] = max(ends.get(job["kind"], 0), window_of(job)[1])
    return {lane: iso(end) for lane, end in ends.items()}


