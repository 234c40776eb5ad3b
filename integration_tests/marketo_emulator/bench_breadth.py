"""Benchmark of the emulator's later bulk exports: prints numbers, asserts nothing.

An emulator runs in a child process (the CLI) with many leads; this process creates, enqueues and
polls program member and custom object exports over HTTP and streams each file, then reports rows,
megabytes, the seconds from create to the last byte, and the child's peak memory (VmHWM).

Usage: python -m integration_tests.marketo_emulator.bench_breadth [--leads N] [--programs K]
"""
from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode, urlsplit


class Client:
    """Minimal keep-alive JSON client on http.client (no third-party packages)."""

    def __init__(self, base_url: str, client_id: str = "emulator-client-id", client_secret: str = "emulator-client-secret") -> None:
        address = urlsplit(base_url)
        self.connection = http.client.HTTPConnection(address.hostname, address.port, timeout=900)
        query = urlencode({"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret})
        self.token = self.call("GET", f"/identity/oauth/token?{query}", auth=False)["access_token"]

    def call(self, method: str, path: str, body=None, auth: bool = True) -> dict:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        self.connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        return json.loads(self.connection.getresponse().read())

    def export(self, kind: str, body: dict) -> tuple[float, int, int]:
        """(seconds from create to the file's last byte, rows, bytes)."""
        started = time.perf_counter()
        created = self.call("POST", f"/bulk/v1/{kind}/export/create.json", body)
        export_id = created["result"][0]["exportId"]
        self.call("POST", f"/bulk/v1/{kind}/export/{export_id}/enqueue.json")
        while True:
            status = self.call("GET", f"/bulk/v1/{kind}/export/{export_id}/status.json")["result"][0]
            if status["status"] in ("Completed", "Failed", "Cancelled"):
                break
            time.sleep(0.05)
        self.connection.request("GET", f"/bulk/v1/{kind}/export/{export_id}/file.json",
                                headers={"Authorization": f"Bearer {self.token}"})
        reply, size = self.connection.getresponse(), 0
        while True:
            chunk = reply.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
        return time.perf_counter() - started, status.get("numberOfRecords", 0), size


def peak_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--programs", type=int, default=10, help="program ids per program member export (at most 10)")
    args = parser.parse_args()
    child = subprocess.Popen([sys.executable, "-m", "integration_tests.marketo_emulator", "--leads", str(args.leads),
                              "--activities", "1000", "--history-days", "16", "--job-progression", "immediate",
                              "--status-refresh-seconds", "0", "--daily-export-mb", "1000000", "--rate-limit-calls", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        base = child.stdout.readline().strip()
        client = Client(base)
        print(f"emulator: {args.leads:,} leads, started, peak {peak_mb(child.pid):.0f} MB")
        programs = [p["id"] for p in client.call("GET", "/rest/asset/v1/programs.json?maxReturn=200")["result"]]
        fields = [f["name"] for f in client.call("GET", "/rest/v1/programs/members/describe.json")["result"][0]["fields"]]
        now = datetime.now(timezone.utc).replace(microsecond=0)
        window = {"startAt": (now - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ"), "endAt": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
        runs = [("program/members", "4 fields", {"fields": ["leadId", "statusName", "membershipDate", "reachedSuccess"],
                                                 "filter": {"programIds": programs[: args.programs]}}),
                ("program/members", f"{len(fields)} fields", {"fields": fields, "filter": {"programIds": programs[: args.programs]}})]
        for name in ("car_c", "purchase_c"):
            described = client.call("GET", f"/rest/v1/customobjects/{name}/describe.json")["result"][0]
            runs.append((f"customobjects/{name}", f"{len(described['fields'])} fields",
                         {"fields": [f["name"] for f in described["fields"]], "filter": {"updatedAt": window}}))
        for kind, label, body in runs:
            seconds, rows, size = client.export(kind, body)
            print(f"{kind:28} {label:10} {rows:>10,} rows {size / 1e6:8.1f} MB {seconds:7.1f} s "
                  f"({rows / max(seconds, 1e-9):,.0f} rows/s); emulator peak {peak_mb(child.pid):.0f} MB")
    finally:
        child.terminate()
        child.wait(timeout=30)


if __name__ == "__main__":
    main()
