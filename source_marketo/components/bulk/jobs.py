"""Export jobs as objects, and the bulk endpoints that move them along.

Marketo (marketo-api.md 6.1-6.3): ``POST /bulk/v1/{leads|activities}/export/create.json`` makes a
job in ``Created``; ``enqueue.json`` moves it to ``Queued``; Marketo runs at most 2 ``Processing``
and accepts at most 10 ``Queued``+``Processing`` (1029 "Too many jobs in queue" on enqueue); it
ends ``Completed`` (with ``fileSize``, ``fileChecksum``), ``Failed`` (``errorMsg``) or
``Cancelled``. Status refreshes at most once a minute. An unknown status fails loudly.
"""

from __future__ import annotations

import enum
import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Tuple

import orjson

from source_marketo.components.client import MarketoClient
from source_marketo.components.envelope import Envelope
from source_marketo.components.errors import Action, Decision, MarketoRequestError
from source_marketo.components.types import format_datetime, parse_datetime


_SERIALS = itertools.count(1)


class JobStatus(enum.Enum):
    CREATED = "Created"
    QUEUED = "Queued"
    PROCESSING = "Processing"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"

    @classmethod
    def parse(cls, value: Any) -> "JobStatus":
        text = str(value or "").strip().lower()
        if text == "canceled":  # the docs' spelling; replies say Cancelled
            text = "cancelled"
        for status in cls:
            if status.value.lower() == text:
                return status
        raise MarketoRequestError(Decision(Action.FAIL, f"Marketo reported an unknown export job status {value!r}"), 1)

    @property
    def active(self) -> bool:
        return self in (JobStatus.QUEUED, JobStatus.PROCESSING)

    @property
    def finished(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def as_filter(self) -> Dict[str, str]:
        """Marketo wants ISO 8601 without milliseconds."""
        return {"startAt": format_datetime(self.start.replace(microsecond=0)), "endAt": format_datetime(self.end.replace(microsecond=0))}

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def label(self) -> str:
        bounds = self.as_filter()
        return f"{bounds['startAt']}..{bounds['endAt']}"

    def to_state(self) -> Dict[str, str]:
        return {"start": format_datetime(self.start), "end": format_datetime(self.end)}

    @classmethod
    def from_state(cls, value: Mapping[str, Any]) -> "Window":
        return cls(parse_datetime(value["start"]), parse_datetime(value["end"]))


@dataclass(frozen=True)
class ExportSpec:
    """What to export: ``kind`` is the export's path (``leads``, ``activities``, ``program/members``,
    ``customobjects/<name>``); ``filter_name`` the date filter over ``window`` (empty: no date filter,
    e.g. every member of some programs; ``window`` then says when the export was asked for);
    ``program_ids`` the program member filter (at most 10)."""

    kind: str
    window: Window
    filter_name: str  # leads: updatedAt | createdAt; activities: createdAt; program members, custom objects: updatedAt or ""
    fields: Tuple[str, ...]
    activity_type_ids: Optional[Tuple[int, ...]] = None
    census: bool = False  # one timestamp column, to learn where the rows of the window fall (census.py)
    program_ids: Optional[Tuple[int, ...]] = None

    def body(self) -> Dict[str, Any]:
        filter_: Dict[str, Any] = {self.filter_name: self.window.as_filter()} if self.filter_name else {}
        if self.activity_type_ids:
            filter_["activityTypeIds"] = list(self.activity_type_ids)
        if self.program_ids:
            filter_["programIds"] = list(self.program_ids)
        return {"format": "CSV", "fields": list(self.fields), "filter": filter_}

    @property
    def key(self) -> str:
        """Stable identity of the export request, to recognise a reusable job across runs."""
        return hashlib.sha256(orjson.dumps({"kind": self.kind, "census": self.census, **self.body()}, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]

    def describe(self) -> str:
        types = f", types {','.join(map(str, self.activity_type_ids))}" if self.activity_type_ids else ""
        programs = f"programs {','.join(map(str, self.program_ids))}" if self.program_ids else ""
        dates = f"{self.filter_name} {self.window.label()}" if self.filter_name else "every member"
        return f"{self.kind} {'census' if self.census else 'export'} of {' '.join(part for part in (programs, dates) if part)}{types}"


@dataclass(eq=False)  # a job is itself: two jobs of the same request are two jobs (identity, for deque.index and in)
class ExportJob:
    spec: ExportSpec
    export_id: Optional[str] = None
    status: Optional[JobStatus] = None
    file_size: Optional[int] = None
    checksum: Optional[str] = None
    records: Optional[int] = None
    finished_at: Optional[str] = None
    error: Optional[str] = None
    attempt: int = 1
    reused: bool = False
    seen_unfinished: bool = False  # seen Created/Queued/Processing in this run: its megabytes count for this run
    enqueued_at: float = 0.0  # clock.monotonic() seconds; 0 for a job reused from an earlier run
    serial: int = field(default_factory=lambda: next(_SERIALS))
    given_up: bool = False  # its lane stopped and its status cannot be had: left to the next run (its id is in state)
    last_polled: float = 0.0
    first_polled: float = 0.0
    queued_at: Optional[str] = None  # Marketo's queuedAt and startedAt (timing.py)
    started_at: Optional[str] = None
    queued_local: Optional[float] = None  # clock.monotonic() when the enqueue reply came (with queuedAt)
    expected_end: Optional[float] = None  # clock.monotonic() just after which it should be done (timing.py)

    def update(self, item: Mapping[str, Any]) -> None:
        self.export_id = str(item.get("exportId") or self.export_id)
        self.status = JobStatus.parse(item.get("status"))
        self.file_size = _int_or_none(item.get("fileSize"))
        self.checksum = item.get("fileChecksum") or None
        self.records = _int_or_none(item.get("numberOfRecords"))
        self.finished_at = item.get("finishedAt") or None
        self.error = item.get("errorMsg") or None
        self.queued_at = item.get("queuedAt") or self.queued_at
        self.started_at = item.get("startedAt") or self.started_at

    def name(self) -> str:
        return f"{self.spec.describe()} (export {self.export_id or 'not created'})"

    def key(self) -> int:
        """This job's reservation in the export budget (two attempts of one request are two jobs)."""
        return self.serial


class BulkApi:
    """The bulk export endpoints; replies are classified by errors.py through the shared client."""

    SPECIAL = (Action.QUEUE_FULL, Action.ALREADY_QUEUED, Action.UNSUPPORTED_FILTER, Action.NOT_FOUND)
    REFUSALS = (Action.FAIL, Action.MISSING)  # a create or cancel Marketo refuses comes back as a decision

    def __init__(self, client: MarketoClient) -> None:
        self.client = client

    def create(self, job: ExportJob) -> Decision:
        """A refusal (FAIL: 1003, 413...; MISSING: 1013) comes back as a decision: the lane may ask in smaller parts."""
        reply = self.client.post_json(f"/bulk/v1/{job.spec.kind}/export/create.json", job.spec.body(), accept=self.SPECIAL + self.REFUSALS)
        if reply.decision.action is Action.OK:
            job.update(_first(reply.envelope, job))
        return reply.decision

    def enqueue(self, job: ExportJob) -> Decision:
        reply = self.client.request("POST", self._path(job, "enqueue.json"), accept=self.SPECIAL)
        if reply.decision.action is Action.OK:
            job.update(_first(reply.envelope, job))
        return reply.decision

    def status(self, job: ExportJob) -> Decision:
        reply = self.client.get(self._path(job, "status.json"), accept=self.SPECIAL)
        if reply.decision.action is Action.OK:
            job.update(_first(reply.envelope, job))
        return reply.decision

    def cancel(self, job: ExportJob) -> None:
        self.client.request("POST", self._path(job, "cancel.json"), accept=self.SPECIAL + self.REFUSALS)

    def file_path(self, job: ExportJob) -> str:
        return self._path(job, "file.json")

    def list_jobs(self, kind: str, statuses: str = "Completed") -> List[Dict[str, Any]]:
        """This API user's jobs of the last 7 days with the given statuses (paged by nextPageToken)."""
        jobs: List[Dict[str, Any]] = []
        params: Dict[str, Any] = {"status": statuses, "batchSize": 300}
        while True:
            reply = self.client.get(f"/bulk/v1/{kind}/export.json", params=params)
            jobs.extend(item for item in reply.envelope.result if isinstance(item, Mapping))
            if not reply.envelope.next_page_token or not reply.envelope.result:
                return jobs
            params = {**params, "nextPageToken": reply.envelope.next_page_token}

    @staticmethod
    def _path(job: ExportJob, action: str) -> str:
        return f"/bulk/v1/{job.spec.kind}/export/{job.export_id}/{action}"


def _first(envelope: Optional[Envelope], job: ExportJob) -> Mapping[str, Any]:
    if envelope is None or not envelope.result or not isinstance(envelope.result[0], Mapping):
        raise MarketoRequestError(Decision(Action.FAIL, f"Marketo's reply about {job.name()} carried no job"), 1)
    return envelope.result[0]


def _int_or_none(value: Any) -> Optional[int]:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):  # OverflowError: Infinity, which JSON decoders accept
        return None
