"""A scaled Marketo clock shared by the emulator and the connector, for benchmarks of whole first syncs.

The emulator runs in its own process (so that writing export files does not share a core and the GIL
with the connector) on ``FakeClock(start, follow_real_time=True, speed=K)``. The connector runs in
this process, in-process like ``integration_tests/harness.py`` runs it, on a ``ScaledClock`` that
reads the same time: ``now()`` is the emulator's now (derived from one reading of its clock and the
machine's monotonic clock, which both processes share), ``monotonic()`` is real monotonic x K and
``sleep(s)`` sleeps s / K. So the connector's 60 s poll interval, its 100 calls / 20 s limiter and
its backoffs run K times faster exactly as Marketo's do: the run is a real one, K times sooner.

The emulator process answers commands over a pipe (jobs, journal, occupancy, clock advance, ground
truth as id arrays), so nothing large crosses HTTP. Ground truth reads the emulator's own activity
log generator rather than ``truth.activities()`` (a list of millions of dicts); read-only.
"""
from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import time
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parents[1]


# --- the emulator's process ------------------------------------------------------------------------

def _serve(conn, options: Dict[str, Any], start: str, speed: float) -> None:
    """Child process: one emulator on a scaled clock, driven by commands on ``conn``."""
    import sys
    sys.path.insert(0, str(ROOT))
    from integration_tests.marketo_emulator import EmulatorOptions, FakeClock, MarketoEmulator

    clock = FakeClock(start, follow_real_time=True, speed=speed)
    emulator = MarketoEmulator(EmulatorOptions(**options, clock=clock)).start()
    conn.send({"base_url": emulator.base_url, **_reading(clock)})
    ready = _watch_files(emulator)
    handlers = {
        "file_ready": lambda: dict(ready),
        "reading": lambda: _reading(clock),
        "advance": lambda seconds: (clock.advance(seconds), _reading(clock))[1],
        "jobs": lambda: emulator.jobs,
        "journal": lambda since=0: emulator.journal.to_list(since),
        "journal_seq": lambda: max((entry.seq for entry in emulator.journal.entries), default=0),
        "occupancy": lambda: emulator.occupancy(emulator.client_id),
        "usage": lambda: emulator.usage,
        "truth": lambda since, type_ids, attributes: _truth(emulator, since, type_ids, attributes),
    }
    while True:
        command, args = conn.recv()
        if command == "stop":
            emulator.stop()
            conn.send("stopped")
            return
        try:
            conn.send(("ok", handlers[command](*args)))
        except Exception as error:  # reported to the parent, which raises it
            conn.send(("error", f"{type(error).__name__}: {error}"))


def _watch_files(emulator, every: float = 0.02) -> Dict[str, int]:
    """When (emulator ms) each export's file was written: on a fast clock a big file can take longer
    than the job's due time, and its completion shows late (README, bulk rules). Sampled every 20 ms
    of real time by a daemon thread, read-only; the report compares it with each job's end."""
    import threading

    ready: Dict[str, int] = {}
    jobs = emulator.state.jobs

    def watch() -> None:
        while True:
            with jobs.lock:
                for export_id, job in jobs.jobs.items():
                    if export_id not in ready and job.started_ms is not None and job.done.is_set():
                        ready[export_id] = emulator.state.now_ms()
            time.sleep(every)

    threading.Thread(target=watch, name="file-watch", daemon=True).start()
    return ready


def _reading(clock) -> Dict[str, Any]:
    """The clock's now and the machine's monotonic time at (nearly) the same instant."""
    before = time.monotonic()
    now = clock.now()
    after = time.monotonic()
    return {"now": now.isoformat(), "monotonic": (before + after) / 2}


def _truth(emulator, since: str, type_ids: Optional[List[int]], attributes: bool) -> Dict[str, Any]:
    """What a first sync from ``since`` must deliver, as of now: live lead ids and their earliest
    ``updatedAt``; visible activity ids of the types (Delete Lead apart: it is not exportable), their
    earliest date, and (if asked) how many attribute records they make."""
    from integration_tests.marketo_emulator.activities import Query
    from integration_tests.marketo_emulator.timefmt import parse_input, rest_datetime

    state = emulator.state
    since_ms = parse_input(since)
    leads = emulator.truth.leads()
    lead_ids = array("q", (lead["id"] for lead in leads if lead["updatedAt"] >= rest_datetime(since_ms)[:20]))
    updated = [lead["updatedAt"] for lead in leads]
    activity_ids, deletes = array("q"), array("q")
    first, last, attribute_records = None, None, 0
    query = Query(type_ids=frozenset(type_ids) if type_ids else None)
    with state.lock:
        now_ms = state.now_ms()
        for record in state.activities.between(since_ms, now_ms, query):
            if record["activityTypeId"] == 37:
                deletes.append(record["id"])
                continue
            activity_ids.append(record["id"])
            first = first or record["activityDate"]
            last = record["activityDate"]
            if attributes:
                attribute_records += len(record.get("attributes") or [])
    return {"as_of": rest_datetime(now_ms), "lead_ids": lead_ids.tobytes(), "leads_first": min(updated, default=None),
            "leads_last": max(updated, default=None), "activity_ids": activity_ids.tobytes(), "delete_ids": deletes.tobytes(),
            "activities_first": first, "activities_last": last, "attribute_records": attribute_records}


class ScaledEmulator:
    """The emulator process, its scaled clock, and the commands it answers."""

    def __init__(self, options: Dict[str, Any], start: datetime, speed: float) -> None:
        self.options, self.start, self.speed = options, start, speed
        self.process = None
        self.conn = None

    def __enter__(self) -> "ScaledEmulator":
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, self.options, self.start.isoformat(), self.speed), daemon=True)
        self.process.start()
        ready = self.conn.recv()
        self.base_url = ready["base_url"]
        self.clock = ScaledClock(ready, self.speed)
        return self

    def __exit__(self, *exc: Any) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(("stop", ()))
            self.conn.recv()
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.terminate()

    def call(self, command: str, *args: Any) -> Any:
        self.conn.send((command, args))
        status, value = self.conn.recv()
        if status != "ok":
            raise RuntimeError(f"emulator {command}: {value}")
        return value

    def advance(self, seconds: float) -> None:
        self.clock.resync(self.call("advance", seconds))

    def now(self) -> datetime:
        return self.clock.now()

    def truth(self, since: datetime, type_ids: Optional[List[int]], attributes: bool) -> Dict[str, Any]:
        raw = self.call("truth", since.strftime("%Y-%m-%dT%H:%M:%SZ"), type_ids, attributes)
        for key in ("lead_ids", "activity_ids", "delete_ids"):
            ids = array("q")
            ids.frombytes(raw[key])
            raw[key] = ids
        return raw


class ScaledClock:
    """The connector's Clock (source_marketo/components/clock.py) on the emulator's scaled time."""

    def __init__(self, reading: Dict[str, Any], speed: float) -> None:
        self.speed = speed
        self.resync(reading)

    def resync(self, reading: Dict[str, Any]) -> None:
        self._now0 = datetime.fromisoformat(reading["now"])
        self._mono0 = reading["monotonic"]

    def now(self) -> datetime:
        return self._now0 + timedelta(seconds=(time.monotonic() - self._mono0) * self.speed)

    def monotonic(self) -> float:
        return time.monotonic() * self.speed

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds / self.speed)


# --- the connector, in this process -----------------------------------------------------------------

@dataclass
class ReadOutcome:
    """One ``read``: its non-RECORD messages, log lines, latest states, the error if it failed, costs."""

    messages: List[Dict[str, Any]]
    logs: List[str]
    states: List[Dict[str, Any]]
    error: Optional[Dict[str, Any]]
    records_path: Path
    real_s: float
    cpu_s: float
    started_at: datetime
    ended_at: datetime
    journal_from: int = 0
    records: Dict[str, int] = field(default_factory=dict)


class _Logs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: List[str] = []
        self._recent: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if any(seen is record for seen in self._recent):  # one record can reach two loggers
            return
        self._recent = (self._recent + [record])[-16:]
        self.lines.append(f"{record.levelname} {record.getMessage()}")


_DEVNULL = open(os.devnull, "w")  # never closed: a handler made during a run may keep it


@contextlib.contextmanager
def _quiet(devnull):
    """The CDK's log handler prints LOG messages to the stdout it saw when it was set up: silence it."""
    silenced = []
    for name in ("", "airbyte"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                silenced.append((handler, handler.setStream(devnull)))
    try:
        yield
    finally:
        for handler, stream in silenced:
            handler.setStream(stream)


def run_connector(command: str, config: Dict[str, Any], clock: ScaledClock, folder: Path,
                  catalog: Optional[Dict[str, Any]] = None, state: Optional[List[Dict[str, Any]]] = None) -> ReadOutcome:
    """``command`` (discover, read) in-process on ``clock``; RECORD lines go to a file, the rest is kept."""
    from airbyte_cdk.entrypoint import AirbyteEntrypoint
    from airbyte_cdk.utils.traced_exception import AirbyteTracedException
    from source_marketo.run import MarketoEntrypoint, create_source

    folder.mkdir(parents=True, exist_ok=True)
    args = [command]
    for name, value in (("config", config), ("catalog", catalog), ("state", state)):
        if value is not None:
            path = folder / f"{name}.json"
            path.write_text(json.dumps(value))
            args += [f"--{name}", str(path)]
    records_path = folder / "records.jsonl"
    logs = _Logs()
    loggers = [logging.getLogger(name) for name in ("", "airbyte")]
    for logger in loggers:
        logger.addHandler(logs)
    messages: List[Dict[str, Any]] = []
    error = None
    started_at, real, cpu = clock.now(), time.perf_counter(), time.process_time()
    with open(records_path, "wb") as out, contextlib.redirect_stdout(_DEVNULL), _quiet(_DEVNULL):
        try:
            source = create_source(args, clock)
            entrypoint = MarketoEntrypoint(source, write=out.write)
            for message in entrypoint.run(entrypoint.parse_args(args)):
                if message.startswith('{"type":"RECORD"'):
                    out.write(message.encode() + b"\n")
                else:
                    messages.append(json.loads(message))
        except AirbyteTracedException as failure:
            messages.append(json.loads(AirbyteEntrypoint.airbyte_message_to_string(failure.as_sanitized_airbyte_message())))
        except Exception as failure:  # what the process would die of
            error = {"message": f"{type(failure).__name__}: {failure}", "failure_type": "crash"}
        finally:
            for logger in loggers:
                logger.removeHandler(logs)
    real, cpu = time.perf_counter() - real, time.process_time() - cpu
    errors = [m["trace"]["error"] for m in messages if m["type"] == "TRACE" and m["trace"].get("type") == "ERROR"]
    latest: Dict[str, Dict[str, Any]] = {}
    for message in messages:
        if message["type"] == "STATE" and message["state"].get("type") == "STREAM":
            latest[message["state"]["stream"]["stream_descriptor"]["name"]] = {"type": "STREAM", "stream": message["state"]["stream"]}
    return ReadOutcome(messages, logs.lines, list(latest.values()), error or (errors[-1] if errors else None), records_path,
                       real, cpu, started_at, clock.now())


def record_ids(path: Path) -> Dict[str, Any]:
    """Distinct record ids per stream in a RECORD file, and the raw record counts."""
    import orjson

    ids: Dict[str, set] = {}
    counts: Dict[str, int] = {}
    with open(path, "rb") as handle:
        for line in handle:
            if not line.startswith(b'{"type":"RECORD"'):
                continue
            record = orjson.loads(line)["record"]
            stream = record["stream"]
            counts[stream] = counts.get(stream, 0) + 1
            ids.setdefault(stream, set()).add(record["data"].get("id"))
    return {"ids": ids, "counts": counts}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
