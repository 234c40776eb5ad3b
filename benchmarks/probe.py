"""Run ``source-marketo`` exactly as its console script does, with three benchmark-only additions:

* every non-RECORD message (STATE, LOG, TRACE) is also written to a side file, so stdout can go to
  /dev/null and the runner still gets the state, the "Sync summary" line and any error;
* the wall and CPU time spent reading each export file (download, CSV parsing, conversion, RECORD
  lines written to stdout) is recorded per export id: the hot path, without start-up and job waits;
  the scheduler's servicing between a file's batches (status polls of the other jobs, enqueues,
  creates, and any wait for the call-rate window) is timed apart, as ``service_wall_s`` / ``service_cpu_s``;
  so is every wait for the client's own call-rate window (100 calls / 20 s) during a file's read, opening its
  download included, as ``rate_wait_s``;
* optionally the whole run is profiled with cProfile.

The connector's code is not modified: three methods are wrapped with a timer, and the
entrypoint's ``launch`` loop (five lines in source_marketo/run.py) is repeated here with the side file.

Usage: python benchmarks/probe.py --side SIDE.jsonl [--profile OUT.prof] -- read --config C --catalog K [--state S]
"""
from __future__ import annotations

import argparse
import collections
import gc
import json
import logging
import os
import sys
import time

STARTED = time.perf_counter()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", required=True)
    parser.add_argument("--profile")
    parser.add_argument("--rss-trace", action="store_true", help="sample RSS every 0.2 s into the side file")
    parser.add_argument("--experiment", choices=["bytes-output"], help="try a hot-path change without editing the connector")
    ours, _, connector_args = " ".join(sys.argv[1:]).partition(" -- ")
    options = parser.parse_args(ours.split())
    args = connector_args.split()

    from airbyte_cdk.logger import PRINT_BUFFER
    from source_marketo import run as entry
    from source_marketo.components import budget
    from source_marketo.components.bulk import scheduler

    imported = time.perf_counter()
    files = []

    serviced = [0.0, 0.0]  # wall, CPU seconds in ExportScheduler._service so far
    rate_waited = [0.0]  # wall seconds in CallRateLimiter._wait_for_window so far (the call-rate window)

    def timed(method):
        """Around the scheduler's reading of one completed export: download, CSV, conversion, RECORD lines out."""
        def wrapper(self, state, job):
            wall, cpu, service_wall, service_cpu, rate_wait = time.perf_counter(), time.process_time(), *serviced, rate_waited[0]
            try:
                yield from method(self, state, job)
            finally:
                files.append({"export_id": job.export_id, "kind": "census" if job.spec.census else job.spec.kind,
                              "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                              "service_wall_s": serviced[0] - service_wall, "service_cpu_s": serviced[1] - service_cpu,
                              "rate_wait_s": rate_waited[0] - rate_wait})
        return wrapper

    def rate_timed(method):
        def wrapper(self):
            wall = time.perf_counter()
            try:
                return method(self)
            finally:
                rate_waited[0] += time.perf_counter() - wall
        return wrapper

    def service_timed(method):
        def wrapper(self):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return method(self)
            finally:
                serviced[0] += time.perf_counter() - wall
                serviced[1] += time.process_time() - cpu
        return wrapper

    scheduler.ExportScheduler._batches = timed(scheduler.ExportScheduler._batches)
    scheduler.ExportScheduler._service = service_timed(scheduler.ExportScheduler._service)
    budget.CallRateLimiter._wait_for_window = rate_timed(budget.CallRateLimiter._wait_for_window)

    side = open(options.side, "w")

    if options.experiment == "bytes-output":
        # What a change of the connector would do: RECORD batches stay bytes and go straight to the stdout file
        # (after the CDK's print buffer is flushed, to keep the order), skipping decode, StringIO and re-encode.
        from source_marketo.components.bulk import records

        original_drain = records.RecordSink.drain

        def drain(self):
            if not self.raw or not self.pending:
                return original_drain(self)
            lines = self.pending[:]
            self.pending.clear()
            self.count += len(lines)
            return [records.RawRecords(self.stream, b"\n".join(lines), len(lines))]

        def write_raw(self, batch) -> None:
            PRINT_BUFFER.flush()
            out = sys.__stdout__.buffer
            out.write(batch.data)
            out.write(b"\n")
            self._raw_counts[batch.stream] += batch.count

        records.RecordSink.drain = drain
        entry.MarketoEntrypoint._write_raw = write_raw

    samples = []
    if options.rss_trace:
        import threading

        import psutil

        me = psutil.Process()

        def sample() -> None:
            while True:
                samples.append((round(time.perf_counter() - STARTED, 2), round(me.memory_info().rss / 2**20, 1), len(files)))
                time.sleep(0.2)

        threading.Thread(target=sample, daemon=True).start()

    class SideLog(logging.Handler):  # LOG messages bypass the message loop: the CDK's handler prints them
        def __init__(self) -> None:
            super().__init__(logging.INFO)
            self.recent: collections.deque = collections.deque(maxlen=32)  # the same record reaches two loggers

        def emit(self, record: logging.LogRecord) -> None:
            if any(seen is record for seen in self.recent):
                return
            self.recent.append(record)
            side.write(json.dumps({"type": "LOG", "log": {"level": record.levelname, "message": record.getMessage()}}) + "\n")

    handler = SideLog()
    for name in ("", "airbyte"):
        logging.getLogger(name).addHandler(handler)

    def launch(source, argv):  # source_marketo.run.launch, plus the side file
        entrypoint = entry.MarketoEntrypoint(source)
        parsed = entrypoint.parse_args(argv)
        with PRINT_BUFFER:
            for message in entrypoint.run(parsed):
                print(f"{message}\n", end="")
                if not message.startswith('{"type":"RECORD"'):
                    side.write(message + "\n")

    def run() -> None:
        launch(entry.create_source(args), args)

    try:
        if options.profile:
            import cProfile
            cProfile.runctx("run()", globals(), {"run": run}, options.profile)
        else:
            run()
    except BaseException as error:  # the CDK prints its error trace to stdout (here /dev/null) at exit
        side.write(json.dumps({"type": "TRACE", "trace": {"type": "ERROR", "error": {"message": f"{type(error).__name__}: {error}"}}}) + "\n")
        raise
    finally:
        sys.stdout.flush()
        side.write(json.dumps({"type": "BENCH_PROBE", "files": files, "import_s": imported - STARTED, "connector": entry.__file__,
                               "gc_collections": [generation["collections"] for generation in gc.get_stats()],
                               "wall_s": time.perf_counter() - STARTED, "cpu_s": time.process_time(),
                               "rss_trace": samples}) + "\n")
        side.close()


if __name__ == "__main__":
    main()
