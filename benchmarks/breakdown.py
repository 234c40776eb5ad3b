"""Where the hot path's time goes, stage by stage, on one export file (no profiler overhead).

Starts the emulator, exports N leads with the 10 headline columns (or a day range of activities),
then times, in this process and on the same local file, cumulative stages of the connector's path:

1. csv reader alone (TextIOWrapper + csv.reader): the floor;
2. the connector's ExportRows (utf-8-sig, counting error handler, width check);
3. + the generated row converter (typed values);
4. + the RECORD line (orjson + prefix/suffix);
5. + the RecordSink batches (join, decode to str) written through a text stdout, as run.py does;
6. the same with the batch written as bytes (no decode / re-encode), for comparison;
and the baseline loop (csv + dict(zip) + orjson) for reference. Prints a table; asserts nothing.

Usage: python benchmarks/breakdown.py [--leads 1000000] [--activities 0] [--repeat 3]
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import csv  # noqa: E402

import orjson  # noqa: E402

from harness import Emulator, iso  # noqa: E402
from source_marketo.components.bulk.activities import ACTIVITY_COLUMNS  # noqa: E402
from source_marketo.components.bulk.csv_rows import ExportRows  # noqa: E402
from source_marketo.components.bulk.records import RecordSink, plan_columns  # noqa: E402

LEADS10 = [("id", "id", "integer"), ("email", "email", "string"), ("first_name", "firstName", "string"),
           ("last_name", "lastName", "string"), ("company", "company", "string"), ("title", "title", "string"),
           ("lead_score", "leadScore", "integer"), ("unsubscribed", "unsubscribed", "boolean"),
           ("created_at", "createdAt", "datetime"), ("updated_at", "updatedAt", "datetime")]


DOWNLOADS: list = []


def download_only(kind: str) -> tuple:
    """The connector's download loop without parsing: requests, raw.read1(1 MB), SHA-256 (download.py)."""
    import hashlib

    import requests

    started, size = time.perf_counter(), 0
    with requests.Session() as session:
        for url, token, of_kind in DOWNLOADS:
            if of_kind != kind:
                continue
            digest = hashlib.sha256()
            with session.get(url, headers={"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}, stream=True) as reply:
                while True:
                    chunk = reply.raw.read1(1 << 20)
                    if not chunk:
                        break
                    digest.update(chunk)
                    size += len(chunk)
    return time.perf_counter() - started, size


def export(emulator: Emulator, kind: str, body: dict) -> Path:
    def call(method: str, path: str, payload=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(emulator.base_url + path, method=method, headers=headers,
                                         data=None if payload is None else json.dumps(payload).encode())
        with urllib.request.urlopen(request, timeout=600) as reply:
            return json.loads(reply.read())

    token = call("POST", "/identity/oauth/token?grant_type=client_credentials&client_id=emulator-client-id"
                         "&client_secret=emulator-client-secret")["access_token"]
    export_id = call("POST", f"/bulk/v1/{kind}/export/create.json", body, token)["result"][0]["exportId"]
    call("POST", f"/bulk/v1/{kind}/export/{export_id}/enqueue.json", None, token)
    while call("GET", f"/bulk/v1/{kind}/export/{export_id}/status.json", None, token)["result"][0]["status"] != "Completed":
        time.sleep(0.5)
    DOWNLOADS.append((f"{emulator.base_url}/bulk/v1/{kind}/export/{export_id}/file.json", token, kind))
    return emulator.file_of(export_id)


def stages(path: Path, stream: str, wanted) -> dict:
    devnull = open(os.devnull, "w")
    results = {}

    def timed(name, fn):
        started = time.perf_counter()
        rows = fn()
        results[name] = (time.perf_counter() - started, rows)

    def floor():
        with open(path, "rb") as binary:
            return sum(1 for _ in csv.reader(io.TextIOWrapper(binary, encoding="utf-8", newline=""))) - 1

    def export_rows():
        with open(path, "rb") as binary:
            return sum(1 for _ in ExportRows(binary, "bench"))

    def converted():
        with open(path, "rb") as binary:
            rows = ExportRows(binary, "bench")
            convert = plan_columns(rows.header, wanted).compile()
            count = 0
            for row in rows:
                convert(row)
                count += 1
            return count

    def lines():
        sink = RecordSink(stream, raw=True)
        with open(path, "rb") as binary:
            rows = ExportRows(binary, "bench")
            convert = plan_columns(rows.header, wanted).compile()
            line_of, count = sink.line_of, 0
            for row in rows:
                line_of(convert(row))
                count += 1
            return count

    def sink_text():
        """As run.py did before it wrote bytes: batch bytes joined and decoded, written to the CDK's PRINT_BUFFER (a StringIO emptied every
        0.1 s with getvalue() into sys.__stdout__, which encodes again)."""
        from airbyte_cdk.utils.print_buffer import PrintBuffer

        real = sys.__stdout__
        sys.__stdout__ = io.TextIOWrapper(open(os.devnull, "wb"), encoding="utf-8")
        buffer = PrintBuffer(flush_interval=0.1)
        try:
            sink = RecordSink(stream, raw=True)
            with open(path, "rb") as binary:
                rows = ExportRows(binary, "bench")
                convert = plan_columns(rows.header, wanted).compile()
                append, line_of = sink.append, sink.line_of
                for row in rows:
                    append(line_of(convert(row)))
                    if sink.full:
                        for batch in sink.drain():
                            buffer.write(batch.data.decode())  # the connector's output path before 0.1.0
                for batch in sink.drain():
                    buffer.write(batch.data.decode())
            buffer.flush()
        finally:
            sys.__stdout__ = real
        return sink.count

    def sink_bytes():
        sink = RecordSink(stream, raw=True)
        out = open(os.devnull, "wb")
        with open(path, "rb") as binary:
            rows = ExportRows(binary, "bench")
            convert = plan_columns(rows.header, wanted).compile()
            append, line_of, pending = sink.append, sink.line_of, sink.pending
            count = 0
            for row in rows:
                append(line_of(convert(row)))
                if len(pending) >= 2000:
                    out.write(b"\n".join(pending) + b"\n")
                    count += len(pending)
                    pending.clear()
            out.write(b"\n".join(pending) + b"\n")
            count += len(pending)
        return count

    def suggested():
        """What the loop could be: batches of 2000 rows (islice), the generated converter called directly in a list
        comprehension, one join per batch around the orjson payloads, bytes to stdout. Same output bytes."""
        from itertools import islice

        prefix, suffix = RecordSink(stream, raw=True).line_of({}).split(b"{}", 1)
        glue, dumps, out, count = suffix + b"\n" + prefix, orjson.dumps, open(os.devnull, "wb"), 0
        with open(path, "rb") as binary:
            export = ExportRows(binary, "bench")
            wrapper = plan_columns(export.header, wanted).compile()
            # the generated function itself, without the per-row try/except wrapper (its fallback would move to
            # a try around the batch)
            fast = next(cell.cell_contents for cell in wrapper.__closure__
                        if getattr(cell.cell_contents, "__code__", None) is not None
                        and cell.cell_contents.__code__.co_filename == "<marketo row converter>")
            rows = iter(export)
            while True:
                batch = list(islice(rows, 2000))
                if not batch:
                    break
                out.write(prefix + glue.join([dumps(fast(row)) for row in batch]) + suffix + b"\n")
                count += len(batch)
        return count

    def baseline():
        prefix = b'{"type":"RECORD","record":{"stream":"' + stream.encode() + b'","data":'
        suffix, out, dumps = b',"emitted_at":1}}', open(os.devnull, "wb"), orjson.dumps
        with open(path, "rb") as binary:
            reader = csv.reader(io.TextIOWrapper(binary, encoding="utf-8", newline=""))
            keys = next(reader)
            batch, count = [], 0
            for row in reader:
                batch.append(prefix + dumps(dict(zip(keys, row))) + suffix)
                if len(batch) >= 2000:
                    out.write(b"\n".join(batch) + b"\n")
                    count += len(batch)
                    batch.clear()
            out.write(b"\n".join(batch) + b"\n")
            return count + len(batch)

    for name, fn in (("1 csv reader alone", floor), ("2 ExportRows", export_rows), ("3 + row converter", converted),
                     ("4 + RECORD line (orjson)", lines), ("5 + sink, PRINT_BUFFER text stdout (as run.py)", sink_text),
                     ("6 + sink, bytes stdout (suggested)", sink_bytes), ("7 suggested loop: batches, one join, bytes", suggested), ("baseline: csv + dict(zip) + orjson", baseline)):
        timed(name, fn)
    devnull.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=0, help="also an activities export of this many activities (10 types)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="marketo-breakdown-"))
    jobs = []
    with Emulator(workdir, "breakdown", leads=args.leads, activities=args.activities or 1000, rows_per_second=1e9, status_refresh=0) as emulator:
        now = emulator.anchor()
        windows = [(now - timedelta(days=31 * (i + 1)), now - timedelta(days=31 * i)) for i in range(3)]
        leads_files = [export(emulator, "leads", {"fields": [s for _, s, _ in LEADS10], "filter": {"createdAt": {"startAt": iso(a), "endAt": iso(b)}}})
                       for a, b in windows]
        jobs.append(("leads, 10 columns", "leads", LEADS10, leads_files))
        if args.activities:
            act_files = [export(emulator, "activities", {"fields": [s for _, s, _ in ACTIVITY_COLUMNS if s],
                                                           "filter": {"createdAt": {"startAt": iso(a), "endAt": iso(b)},
                                                                      "activityTypeIds": [1, 2, 3, 6, 7, 10, 11, 12, 13, 22]}})
                         for a, b in windows[:2]]
            jobs.append(("lead_activities, 10 types", "lead_activities", ACTIVITY_COLUMNS, act_files))
        for label, stream, wanted, files in jobs:
            merged = workdir / f"{stream}.csv"
            with open(merged, "wb") as out:  # one file: the windows' files, one header
                for index, path in enumerate(files):
                    with open(path, "rb") as part:
                        header = part.readline()
                        if index == 0:
                            out.write(header)
                        out.write(part.read())
            best: dict = {}
            for _ in range(args.repeat):
                for name, (seconds, rows) in stages(merged, stream, wanted).items():
                    if name not in best or seconds < best[name][0]:
                        best[name] = (seconds, rows)
            size = merged.stat().st_size
            seconds, downloaded = min(download_only(stream if stream == "leads" else "activities") for _ in range(args.repeat))
            best["download only (requests read1 + SHA-256)"] = (seconds, best["1 csv reader alone"][1])
            floor = best["1 csv reader alone"][0]
            base = best["baseline: csv + dict(zip) + orjson"][0]
            print(f"\n{label}: {best['1 csv reader alone'][1]:,} rows, {size / 1e6:.0f} MB (best of {args.repeat})\n")
            print(f"| stage | seconds | rows/s | us/row | over previous stage, us/row | vs baseline |")
            print("|---|---|---|---|---|---|")
            previous = None
            for name, (seconds, rows) in best.items():
                step = "" if previous is None or name.startswith(("6", "7", "baseline", "download")) else f"{(seconds - previous) / rows * 1e6:+.2f}"
                print(f"| {name} | {seconds:.2f} | {rows / seconds / 1000:,.0f}k | {seconds / rows * 1e6:.2f} | {step} | {base / seconds:.0%} |")
                if not name.startswith(("6", "7", "baseline", "download")):
                    previous = seconds
            merged.unlink()


if __name__ == "__main__":
    main()
