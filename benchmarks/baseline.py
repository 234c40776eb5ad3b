"""The physical limit of the per-record path: Python's csv reader + orjson, nothing else.

Reads export files as Marketo served them (from the emulator's export directory), and writes one
RECORD line per row, ``{"type":"RECORD","record":{"stream":S,"data":{...},"emitted_at":T}}``, in
batches to /dev/null, like the connector's raw output. Values stay strings (no typing, no ``null``
literal handling): this is an upper bound, not a competitor. Keys are the snake_case column names.

With ``--attributes STREAM`` and ``--types STREAM_PREFIX:ID,ID,...`` it also writes the records an
activity export fans out to, as plainly: one record per attribute of every row (the ``attributes``
column parsed with orjson) and, for the rows of the listed types, one record of the row's columns
with its attributes: the same number of records as lead_activity_attributes and the activities_<type>
streams, without typing, names or checks.

Usage: python benchmarks/baseline.py --stream NAME [--attributes NAME] [--types PREFIX:1,2] FILE [FILE ...]
       (prints one JSON line)
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


def framing(stream: str, emitted_at: int) -> tuple[bytes, bytes]:
    return b'{"type":"RECORD","record":{"stream":' + orjson.dumps(stream) + b',"data":', b',"emitted_at":' + str(emitted_at).encode() + b"}}"


def run(stream: str, paths: list[str], attributes: str = "", types: str = "") -> dict:
    emitted_at = int(time.time() * 1000)
    prefix, suffix = framing(stream, emitted_at)
    dumps = orjson.dumps
    rows = size = records = 0
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
                if attributes or types:
                    count = fan_out(reader, header, keys, batch, out, (prefix, suffix), emitted_at, attributes, types)
                    rows, records = rows + count[0], records + count[1]
                    continue
                for row in reader:
                    append(prefix + dumps(dict(zip(keys, row))) + suffix)
                    if len(batch) >= BATCH:
                        out.write(b"\n".join(batch) + b"\n")
                        rows += len(batch)
                        batch.clear()
                if batch:
                    out.write(b"\n".join(batch) + b"\n")
                    rows += len(batch)
    return {"rows": rows, "records": records or rows, "bytes": size, "wall_s": time.perf_counter() - wall,
            "cpu_s": time.process_time() - cpu, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def fan_out(reader, header: list[str], keys: list[str], batch: list[bytes], out, log: tuple[bytes, bytes], emitted_at: int,
            attributes: str, types: str) -> tuple[int, int]:
    """Activity rows to the log's records, one record per attribute, and a record per row of a listed type."""
    dumps, loads = orjson.dumps, orjson.loads
    attribute_frame = framing(attributes, emitted_at) if attributes else None
    stream_prefix, _, ids = types.partition(":")
    typed = {code: framing(f"{stream_prefix}{code}", emitted_at) for code in ids.split(",") if code}
    at = {name: index for index, name in enumerate(header)}
    type_at, guid_at, date_at, attributes_at = at["activityTypeId"], at["marketoGUID"], at["activityDate"], at["attributes"]
    append = batch.append
    rows = records = 0
    for row in reader:
        rows += 1
        append(log[0] + dumps(dict(zip(keys, row))) + log[1])
        code, raw = row[type_at], row[attributes_at]
        frame = typed.get(code)
        if attribute_frame is None and frame is None:
            continue
        parsed = loads(raw) if raw and raw != "null" else {}
        if attribute_frame is not None:
            guid, date = row[guid_at], row[date_at]
            for name, value in parsed.items():
                append(attribute_frame[0] + dumps({"id": f"{guid}:{code}:{name}", "activity_id": guid, "activity_type_id": code,
                                                   "activity_type_attribute_id": f"{code}:{name}", "name": name,
                                                   "value": value, "activity_date": date}) + attribute_frame[1])
        if frame is not None:
            append(frame[0] + dumps({**dict(zip(keys, row)), **parsed}) + frame[1])
        if len(batch) >= BATCH:
            records += len(batch)
            out.write(b"\n".join(batch) + b"\n")
            batch.clear()
    if batch:
        records += len(batch)
        out.write(b"\n".join(batch) + b"\n")
        batch.clear()
    return rows, records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stream", required=True)
    parser.add_argument("--attributes", default="", help="also one record per attribute, to this stream")
    parser.add_argument("--types", default="", help="PREFIX:ID,ID: also a record per row of these types, to PREFIX<ID>")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()
    print(json.dumps(run(args.stream, args.paths, args.attributes, args.types)))


if __name__ == "__main__":
    main()
