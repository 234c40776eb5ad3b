"""The physical limit of the per-record path: Python's csv reader + orjson, nothing else.

Reads export files as Marketo served them (from the emulator's export directory), and writes one
RECORD line per row, ``{"type":"RECORD","record":{"stream":S,"data":{...},"emitted_at":T}}``, in
batches to /dev/null, like the connector's raw output. Values stay strings (no typing, no ``null``
literal handling): this is an upper bound, not a competitor. Keys are the snake_case column names.

Usage: python benchmarks/baseline.py --stream NAME FILE [FILE ...]   (prints one JSON line)
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import resource
import time

import orjson

csv.field_size_limit(1 << 26)
BATCH = 2000


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def run(stream: str, paths: list[str]) -> dict:
    prefix = b'{"type":"RECORD","record":{"stream":' + orjson.dumps(stream) + b',"data":'
    suffix = b',"emitted_at":' + str(int(time.time() * 1000)).encode() + b"}}"
    dumps = orjson.dumps
    rows = size = 0
    wall, cpu = time.perf_counter(), time.process_time()
    with open(os.devnull, "wb") as out:
        for path in paths:
            size += os.path.getsize(path)
            with open(path, "rb") as binary:
                text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
                reader = csv.reader(text)
                header = next(reader, None)
                if header is None:
                    continue
                keys = [snake(name) for name in header]
                batch: list[bytes] = []
                append = batch.append
                for row in reader:
                    append(prefix + dumps(dict(zip(keys, row))) + suffix)
                    if len(batch) >= BATCH:
                        out.write(b"\n".join(batch) + b"\n")
                        rows += len(batch)
                        batch.clear()
                if batch:
                    out.write(b"\n".join(batch) + b"\n")
                    rows += len(batch)
    return {"rows": rows, "bytes": size, "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stream", required=True)
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    print(json.dumps(run(args.stream, args.paths)))


if __name__ == "__main__":
    main()
