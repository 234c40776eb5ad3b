"""Run the connector as a user does (spec, check, discover, read through our entrypoint) and read its output.

In-process: ``MarketoEntrypoint.run`` with the same arguments as the command line, its output
(Airbyte messages and the raw bulk RECORD lines, in order) collected and parsed. A failing run's
exception becomes what the CDK's launcher would print: a TRACE error message.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import AirbyteLogFormatter
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_marketo.catalog import configure, select
from source_marketo.run import MarketoEntrypoint, create_source
from source_marketo.components.types import format_datetime


@dataclass
class Output:
    messages: List[Dict[str, Any]]
    failure: Optional[BaseException] = None
    text: str = ""

    def of_type(self, kind: str) -> List[Dict[str, Any]]:
        return [message for message in self.messages if message["type"] == kind]

    def records(self, stream: Optional[str] = None) -> List[Dict[str, Any]]:
        return [m["record"]["data"] for m in self.of_type("RECORD") if stream is None or m["record"]["stream"] == stream]

    def records_by_stream(self) -> Dict[str, List[Dict[str, Any]]]:
        found: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
        for message in self.of_type("RECORD"):
            found[message["record"]["stream"]].append(message["record"]["data"])
        return found

    @property
    def states(self) -> List[Dict[str, Any]]:
        return [message["state"] for message in self.of_type("STATE")]

    def latest_state(self) -> List[Dict[str, Any]]:
        """The last state message of each stream, as a state file would hold them."""
        latest: Dict[str, Dict[str, Any]] = {}
        for state in self.states:
            latest[state["stream"]["stream_descriptor"]["name"]] = {"type": "STREAM", "stream": state["stream"]}
        return list(latest.values())

    def stream_state(self, stream: str) -> Optional[Dict[str, Any]]:
        for state in reversed(self.states):
            if state["stream"]["stream_descriptor"]["name"] == stream:
                return state["stream"]["stream_state"]
        return None

    @property
    def errors(self) -> List[Dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]

    def statuses(self, stream: str) -> List[str]:
        return [m["trace"]["stream_status"]["status"] for m in self.of_type("TRACE")
                if m["trace"]["type"] == "STREAM_STATUS" and m["trace"]["stream_status"]["stream_descriptor"]["name"] == stream]

    def logs(self, level: Optional[str] = None) -> List[str]:
        return [m["log"]["message"] for m in self.of_type("LOG") if level is None or m["log"]["level"] == level]

    @property
    def connection_status(self) -> Dict[str, Any]:
        return self.of_type("CONNECTION_STATUS")[-1]["connectionStatus"]

    @property
    def catalog(self) -> Dict[str, Any]:
        return self.of_type("CATALOG")[-1]["catalog"]


def run(command: str, config: Optional[Mapping[str, Any]] = None, catalog: Optional[Mapping[str, Any]] = None, state: Optional[Any] = None, stop_after: Optional[int] = None, clock: Optional[Any] = None,
        stop_when: Optional[Callable[[Dict[str, Any]], bool]] = None) -> Output:
    """Run one command; ``stop_after`` kills the run after that many output lines (a crash mid-sync), and
    ``stop_when`` after the first message it holds true for; ``clock`` pins the connector's time."""
    with tempfile.TemporaryDirectory() as folder:
        args = [command]
        for name, value in (("config", config), ("catalog", catalog), ("state", state)):
            if value is not None:
                path = os.path.join(folder, f"{name}.json")
                with open(path, "w") as handle:
                    json.dump(value, handle)
                args += [f"--{name}", path]
        return _execute(args, stop_after, clock, stop_when)


class _LogCollector(logging.Handler):
    """Log records of the run, written as the CDK's formatter writes them (LOG messages, secrets masked)."""

    def __init__(self, chunks: List[str]) -> None:
        super().__init__(level=logging.INFO)
        self.chunks = chunks
        self.setFormatter(AirbyteLogFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        self.chunks.append(self.format(record) + "\n")


def _execute(args: List[str], stop_after: Optional[int], clock: Optional[Any] = None, stop_when: Optional[Callable[[Dict[str, Any]], bool]] = None) -> Output:
    chunks: List[str] = []
    collector = _LogCollector(chunks)
    airbyte_logger = logging.getLogger("airbyte")
    airbyte_logger.addHandler(collector)
    failure = None
    try:
        source = create_source(args, clock)
        entrypoint = MarketoEntrypoint(source, write=lambda data: chunks.append(data.decode()))
        for message in entrypoint.run(entrypoint.parse_args(args)):
            chunks.append(message + "\n")
            if stop_after is not None and sum(chunk.count("\n") for chunk in chunks) >= stop_after:
                break
            if stop_when is not None and stop_when(json.loads(message)):
                break
    except AirbyteTracedException as error:
        failure = error
        chunks.append(AirbyteEntrypoint.airbyte_message_to_string(error.as_sanitized_airbyte_message()) + "\n")
    except Exception as error:  # what the process would die of
        failure = error
    finally:
        airbyte_logger.removeHandler(collector)
    text = "".join(chunks)
    lines = [line for line in text.split("\n") if line.strip()]  # never splitlines(): U+2028 is inside values
    if stop_after is not None:
        lines = lines[:stop_after]
    return Output([json.loads(line) for line in lines], failure, text)


def emulator_config(emulator, **changes: Any) -> Dict[str, Any]:
    """A config for the emulator: start 100 days before its history ends, status polls at once."""
    start = emulator.clock.now() - timedelta(days=100)
    config = {
        "munchkin_id": emulator.base_url,
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "start_date": format_datetime(start.replace(microsecond=0)),
        "status_poll_interval_seconds": 0,
    }
    config.update(changes)
    return config


def configured_catalog(catalog: Mapping[str, Any], streams: Optional[Iterable[str]] = None, mode: str = "incremental") -> Dict[str, Any]:
    """Select ``streams`` (all by default) from a discovered catalog, incremental where supported (as
    ``source-marketo-catalog`` does)."""
    chosen = select(catalog, list(streams) if streams is not None else None)
    return configure(chosen, full_refresh=mode != "incremental")


def without_nulls(row: Mapping[str, Any]) -> Dict[str, Any]:
    """The CDK's serializer leaves out null values of the records it writes; compare rows that way."""
    return {key: value for key, value in row.items() if value is not None}


def primary_keys(catalog: Mapping[str, Any]) -> Dict[str, Tuple[str, ...]]:
    """Stream name -> its primary key's fields, from a discovered (or configured) catalog."""
    streams = [entry.get("stream", entry) for entry in catalog["streams"]]
    return {stream["name"]: tuple(path[0] for path in stream.get("source_defined_primary_key") or [["id"]]) for stream in streams}


def record_key(record: Mapping[str, Any], primary_key: Sequence[str] = ("id",)) -> Any:
    """A record's primary key value: the value itself for a one-field key, else a tuple."""
    return record[primary_key[0]] if len(primary_key) == 1 else tuple(record[field] for field in primary_key)


def dedupe(records: List[Dict[str, Any]], cursor: str, primary_key: Sequence[str] = ("id",)) -> Dict[Any, Dict[str, Any]]:
    """Airbyte's incremental + dedup: the row with the latest cursor wins per primary key (later rows win ties)."""
    latest: Dict[Any, Dict[str, Any]] = {}
    for record in records:
        key = record_key(record, primary_key)
        current = latest.get(key)
        if current is None or (record.get(cursor) or "") >= (current.get(cursor) or ""):
            latest[key] = record
    return latest
