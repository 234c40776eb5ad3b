"""Benchmark of the Marketo emulator: prints numbers, asserts nothing.

Reports:
1. time to prepare a bulk lead export of 1,000,000 leads (create -> enqueue -> Completed), with the
   6 default fields and with every exportable field (target: under 30 s);
2. bulk file download throughput over loopback (target: at least 100 MB/s);
3. peak memory (max RSS) of an emulator holding 10,000,000 activities while it serves activity
   pages and a one-day bulk activity export (target: under 300 MB), measured in a child process.

Usage: python benchmarks/emulator/bench_emulator.py [--leads N] [--activities N] [--quick]
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from integration_tests.marketo_emulator import EmulatorOptions, FakeClock, MarketoEmulator  # noqa: E402
from integration_tests.marketo_emulator.bench_breadth import Client as HttpClient  # noqa: E402
from integration_tests.marketo_emulator.fields import REST_FIELDS  # noqa: E402


class Client(HttpClient):
    """The emulator's JSON client (bench_breadth's), made from an in-process emulator, plus a streamed download."""

    def __init__(self, emulator) -> None:
        super().__init__(emulator.base_url, emulator.client_id, emulator.client_secret)

    def download(self, path: str, chunk: int = 1 << 20) -> int:
        self.connection.request("GET", path, headers={"Authorization": f"Bearer {self.token}"})
        reply = self.connection.getresponse()
        total = 0
        while True:
            data = reply.read(chunk)
            if not data:
                return total
            total += len(data)


def window(emulator, days: int) -> dict:
    end = emulator.clock.now().replace(microsecond=0)
    return {"startAt": (end - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"), "endAt": end.strftime("%Y-%m-%dT%H:%M:%SZ")}


def run_export(client: Client, kind: str, body: dict) -> tuple[float, dict]:
    started = time.perf_counter()
    export_id = client.call("POST", f"/bulk/v1/{kind}/export/create.json", body)["result"][0]["exportId"]
    client.call("POST", f"/bulk/v1/{kind}/export/{export_id}/enqueue.json")
    while True:
        status = client.call("GET", f"/bulk/v1/{kind}/export/{export_id}/status.json")["result"][0]
        if status["status"] in ("Completed", "Failed", "Cancelled"):
            return time.perf_counter() - started, status
        time.sleep(0.05)


def bench_leads(leads: int) -> None:
    clock = FakeClock()
    options = EmulatorOptions(leads=leads, activities=0, clock=clock, history_days=16, job_progression="immediate",
                              status_refresh_seconds=0, daily_export_mb=1_000_000, rate_limit_calls=0)
    started = time.perf_counter()
    with MarketoEmulator(options) as emulator:
        print(f"emulator with {leads:,} leads built in {time.perf_counter() - started:.2f} s")
        client = Client(emulator)
        all_fields = [f.rest for f in REST_FIELDS if f.data_type != "formula"]
        for label, fields in (("6 default fields", ["id", "email", "updatedAt", "createdAt", "firstName", "lastName"]),
                              (f"all {len(all_fields)} exportable fields", all_fields)):
            seconds, status = run_export(client, "leads", {"fields": fields, "filter": {"createdAt": window(emulator, 31)}})
            size_mb = status["fileSize"] / 1e6
            print(f"prepare lead export, {label}: {seconds:.2f} s for {status['numberOfRecords']:,} rows, "
                  f"{size_mb:.1f} MB ({status['numberOfRecords'] / seconds:,.0f} rows/s)")
        path = f"/bulk/v1/leads/export/{status['exportId']}/file.json"
        best = 0.0
        for _ in range(3):
            started = time.perf_counter()
            total = client.download(path)
            best = max(best, total / 1e6 / (time.perf_counter() - started))
        print(f"bulk file download over loopback: {best:,.0f} MB/s (best of 3, {total / 1e6:.1f} MB file)")
    print(f"benchmark process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def bench_activities_child(activities: int) -> None:
    """Runs in a child process so its peak RSS is the emulator's alone."""
    options = EmulatorOptions(leads=1_000_000, activities=activities, clock=FakeClock(), history_days=60,
                              job_progression="immediate", status_refresh_seconds=0, rate_limit_calls=0,
                              daily_export_mb=1_000_000)
    started = time.perf_counter()
    with MarketoEmulator(options) as emulator:
        built = time.perf_counter() - started
        client = Client(emulator)
        token = client.call("GET", "/rest/v1/activities/pagingtoken.json?sinceDatetime=2000-01-01")["nextPageToken"]
        started = time.perf_counter()
        rows = 0
        for _ in range(50):
            page = client.call("GET", f"/rest/v1/activities.json?activityTypeIds=1,6,12,13&nextPageToken={token}")
            rows += len(page.get("result", []))
            token = page["nextPageToken"]
        paging = time.perf_counter() - started
        seconds, status = run_export(client, "activities", {"filter": {"createdAt": window(emulator, 1)}})
    print(json.dumps({"built_s": built, "pages_s": paging, "page_rows": rows, "export_s": seconds,
                      "export_rows": status["numberOfRecords"], "export_mb": status["fileSize"] / 1e6,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def bench_activities(activities: int) -> None:
    out = subprocess.run([sys.executable, __file__, "--child-activities", str(activities)], capture_output=True,
                         text=True, cwd=ROOT, timeout=3600)
    if out.returncode != 0:
        print(out.stderr)
        return
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"emulator with {activities:,} activities (and 1,000,000 leads) built in {result['built_s']:.2f} s")
    print(f"50 activities.json pages: {result['pages_s']:.2f} s ({result['page_rows']:,} activities)")
    print(f"one-day bulk activity export: {result['export_s']:.2f} s, {result['export_rows']:,} rows, "
          f"{result['export_mb']:.1f} MB")
    print(f"peak memory (max RSS) at {activities:,} activities: {result['peak_rss_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="100k leads, 1M activities")
    parser.add_argument("--child-activities", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_activities:
        bench_activities_child(args.child_activities)
        return
    if args.quick:
        args.leads, args.activities = 100_000, 1_000_000
    bench_leads(args.leads)
    bench_activities(args.activities)


if __name__ == "__main__":
    main()
