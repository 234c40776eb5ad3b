"""The connector's own per-record path on export files read from disk, as baseline.py reads them: the
same files, back to back, with no emulator, network, scheduler or waits. Set beside the baseline in
the same run, it says how much of a sync's hot-path gap is the per-record code and how much is the
sync around it (a file at a time after pauses, the emulator writing the next files on the same cores).

It uses the connector's classes as the program_members lane does (``ExportRows`` over the file,
``emit_rows`` with the lane's columns from ``ProgramMembersLane._columns``, a raw ``RecordSink``) and
writes the RECORD batches to /dev/null like the entrypoint.

Usage: python benchmarks/connector_offline.py --schema SCHEMA.json FILE [FILE ...]   (prints one JSON line)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from source_marketo.components.bulk.csv_rows import ExportRows  # noqa: E402
from source_marketo.components.bulk.program_members import ProgramMembersLane  # noqa: E402
from source_marketo.components.bulk.records import RecordSink, emit_rows  # noqa: E402
from source_marketo.components.metadata import MemberField  # noqa: E402


def run(schema: dict, paths: list[str]) -> dict:
    rows = size = 0
    wall, cpu = time.perf_counter(), time.process_time()
    with open(os.devnull, "wb") as out:
        for path in paths:
            size += os.path.getsize(path)
            with open(path, "rb") as binary:
                export = ExportRows(binary, path)
                fields = [MemberField(name, "string") for name in export.header if name != "programId"]
                wanted = ProgramMembersLane._columns(fields, schema)  # the lane's columns: kinds from the schema
                sink = RecordSink("program_members", raw=True)
                for batch in emit_rows(sink, export, wanted):
                    out.write(batch.data)
                    rows += batch.count
    return {"rows": rows, "bytes": size, "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schema", required=True, help="the stream's JSON schema, as the configured catalog has it")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    print(json.dumps(run(json.loads(Path(args.schema).read_text()), args.files)))


if __name__ == "__main__":
    main()
