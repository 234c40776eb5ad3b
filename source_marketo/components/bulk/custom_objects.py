"""custom_objects_<name>: one stream per first-level custom object, by Bulk Custom Object Extract in ``updatedAt`` windows.

Marketo (marketo-api.md 6.1-6.2; EL:custom-objects, EL:bulk-custom-object-extract):
``customobjects.json`` lists the instance's custom object types, ``customobjects/{apiName}/
describe.json`` their fields with a ``dataType``. The bulk extract exports "first-level custom
object records that are linked directly to a lead": ``POST /bulk/v1/customobjects/{apiName}/
export/create.json`` with ``fields`` (required; a field the object lacks fails the job with 1003, so
only described fields are asked for) and exactly one filter, here ``updatedAt`` (at most 31 days).
Its jobs share the 2 processing / 10 queued slots and the day's export megabytes with every other
export. Each object is a lane of its own (lane.py), windowed like leads: a record comes out at its
latest update, once per sync, and the cursor passes a window only when its file was read.

No record is older than its object type: the describe's ``createdAt`` (the type's creation) is where
a first sync begins when the start date is earlier (a survey that costs no call). Deleted records,
and records that left with a deleted lead, are not in any export: Marketo gives no trace of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from airbyte_cdk.models import FailureType

from source_marketo.components import metadata
from source_marketo.components.bulk.context import BulkContext
from source_marketo.components.bulk.csv_rows import ExportRows
from source_marketo.components.bulk.jobs import ExportJob, ExportSpec, Window
from source_marketo.components.bulk.lane import PlannedLane
from source_marketo.components.bulk.records import emit_rows
from source_marketo.components.bulk.state import state_message
from source_marketo.components.bulk.survey import Survey
from source_marketo.components.bulk.windows import Group, WindowPlan, cursor_text, parse_cursor, plan_numbers, plan_start, plan_state, saved_exports
from source_marketo.components.errors import ExportFailed, MarketoRequestError, Problem, user_message
from source_marketo.components.metadata import CustomObject
from source_marketo.components.naming import column_names
from source_marketo.components.runtime import MarketoRuntime
from source_marketo.components.types import json_schema_for, schema_kind

PREFIX = "custom_objects_"
KIND = "customobjects/"
CURSOR = "updated_at"
FILTER = "updatedAt"
# A guess until an export with records shows the rate: a 30-day window of it reserves about 135 MB
# (with the margin of a guess), which half of the default 500 MB day holds. Each empty export halves
# it (down to a 64th): under a small cap, the windows of a first sync before an object's first records
# then double instead of staying slivers of a few hours.
PRIOR_BYTES_PER_DAY = 2**20
PRIOR_FLOOR = PRIOR_BYTES_PER_DAY / 64
DATETIME = json_schema_for("datetime")


def is_custom_object_stream(name: str) -> bool:
    return name.startswith(PREFIX)


@dataclass(frozen=True)
class CustomObjectStream:
    """The stream of one custom object type: ``custom_objects_`` + its API name in snake_case."""

    name: str
    object: CustomObject

    @property
    def kind(self) -> str:
        return KIND + self.object.api_name

    @cached_property
    def columns(self) -> Dict[str, str]:
        """API name -> column (``marketoGUID`` -> ``marketo_guid``, ``leadId`` -> ``lead_id``...)."""
        return column_names([field.name for field in self.object.fields])

    @property
    def key_column(self) -> str:
        return self.columns.get(self.object.id_field) or column_names([self.object.id_field])[self.object.id_field]

    def json_schema(self) -> Dict[str, Any]:
        properties: Dict[str, Any] = {self.key_column: {"type": "string"}}
        for field in self.object.fields:
            properties.setdefault(self.columns[field.name], json_schema_for(field.data_type))
        properties.setdefault(CURSOR, DATETIME)
        dedupe = ", ".join(self.object.dedupe_fields) or "none"
        return {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": True,
                "description": f"Marketo custom object '{self.object.display_name}' ({self.object.api_name}): one row per record, "
                               f"keyed by {self.object.id_field}; Marketo's dedupe fields: {dedupe}.",
                "required": [self.key_column], "properties": properties}


def stream_names(api_names: Sequence[str]) -> Dict[str, str]:
    """API name -> stream name, unique and stable (sorted first; a clash gets ``_2``...)."""
    return {api: PREFIX + column for api, column in column_names(sorted(api_names)).items()}


def first_level(runtime: MarketoRuntime) -> List[Mapping[str, Any]]:
    """The listing's objects a bulk extract can export (raises MarketoRequestError when Marketo refuses
    the listing); the others are named in the log."""
    items = metadata.custom_object_types(runtime)
    kept = [item for item in items if metadata.linked_to_leads(item) and item.get("state") != "draft"]
    skipped = sorted(str(item["name"]) for item in items if item not in kept)
    if skipped:
        runtime.logger.info(f"Custom objects {', '.join(skipped)} have no stream: they are drafts or not linked directly to leads "
                            "(second-level, or linked to companies), and Marketo's bulk extract exports only approved objects linked to leads.")
    return kept


def discovered_streams(runtime: MarketoRuntime) -> List[CustomObjectStream]:
    """A stream per first-level custom object; discover never fails for them: a refusal is a log line."""
    try:
        items = first_level(runtime)
    except MarketoRequestError as error:
        _raise_if_transient(error)
        runtime.logger.warning(f"No custom object streams: Marketo refused the list of custom objects ({user_message(error)}). They need a "
                               "subscription with custom objects and an API role with the Read-Only Custom Object permission.")
        return []
    if not items:
        runtime.logger.info("No custom object streams: this Marketo instance has no first-level custom object.")
    names, streams = stream_names([str(item["name"]) for item in items]), []
    for item in items:
        try:
            streams.append(CustomObjectStream(names[str(item["name"])], metadata.describe_custom_object(runtime, item)))
        except MarketoRequestError as error:
            _raise_if_transient(error)
            runtime.logger.warning(f"Custom object {item['name']} has no stream: describing it failed ({user_message(error)}).")
    return streams


def _raise_if_transient(error: MarketoRequestError) -> None:
    """Discover leaves out objects Marketo refuses (no feature, no permission, gone), but never because
    of an outage: a catalog without them would read as streams removed, and Airbyte may drop them."""
    if error.failure_type is FailureType.transient_error:
        raise error


def selected_streams(runtime: MarketoRuntime, wanted: Sequence[str]) -> Tuple[List[CustomObjectStream], Dict[str, ExportFailed]]:
    """The streams of ``wanted`` (selected stream names), and why each of the others cannot be read."""
    if not wanted:
        return [], {}
    try:
        items = first_level(runtime)
    except MarketoRequestError as error:
        return [], {name: _failure(name, "Marketo refused the list of custom objects", error) for name in wanted}
    names = stream_names([str(item["name"]) for item in items])
    by_stream = {names[str(item["name"])]: item for item in items}
    streams: List[CustomObjectStream] = []
    problems: Dict[str, ExportFailed] = {}
    for name in wanted:
        if name not in by_stream:
            problems[name] = ExportFailed(f"{name}: this Marketo instance has no such first-level custom object (any more); refresh the source schema")
            continue
        try:
            streams.append(CustomObjectStream(name, metadata.describe_custom_object(runtime, by_stream[name])))
        except MarketoRequestError as error:
            problems[name] = _failure(name, "describing the custom object failed", error)
    return streams, problems


def _failure(stream: str, what: str, error: MarketoRequestError) -> ExportFailed:
    hint = "; the API role needs the Read-Only Custom Object permission" if error.decision.problem is Problem.ACCESS_DENIED else ""
    return ExportFailed(f"{stream}: {what} ({user_message(error)}){hint}", error.failure_type)


class CustomObjectLane(PlannedLane):
    """One custom object's exports: date windows by ``updatedAt`` from the cursor (less the lookback)."""

    # Records come at their latest update, so the newest windows are the densest, and no REST call
    # samples them beforehand (leads have the newest day's New Lead activities): near the day's cap a
    # census comes first when data eight times as dense as estimated would not fit.
    census_risk = 8.0

    def __init__(self, context: BulkContext, stream: CustomObjectStream) -> None:
        self.context = context
        self.stream = stream
        self.name = stream.name
        self.streams = [stream.name]
        settings = context.runtime.settings
        state = context.input_state(stream.name)
        self.cursor = parse_cursor(state.get(CURSOR)) or settings.start_date
        self.columns = self._columns(context.selected[stream.name])
        described = {field.name for field in stream.object.fields}
        wanted = [stream.object.id_field, FILTER] + [source for _, source, _ in self.columns if source]
        self.export_fields = tuple(name for name in dict.fromkeys(wanted) if name in described)
        start = plan_start(settings, self.cursor, state)
        self.plan = WindowPlan(start, context.now, settings.export_window, PRIOR_BYTES_PER_DAY, saved=list(state.get("pending_exports") or []), **plan_numbers(state))
        self._pending: List[Dict[str, Any]] = []
        self._begin(start)

    def take_survey(self) -> Survey:
        """No call: none of the object's records is older than the type itself (describe's ``createdAt``)."""
        created = self.stream.object.created_at
        return Survey(created, created is not None, None, None, 0, "the custom object type's creation, describe's createdAt: no record is older")

    def skip_to(self, moment: datetime) -> None:
        self._skip_to(moment)
        self.cursor = max(self.cursor, self.plan.start)

    # --- the Lane protocol ------------------------------------------------------------------

    def resume(self) -> List[ExportJob]:
        return self._resume(self.cursor)

    def checkpoint(self, jobs: List[ExportJob]) -> Iterator[Any]:
        self._pending = saved_exports(jobs, estimate=self.plan.estimate)
        yield state_message(self.stream.name, self.state())

    def census_column(self) -> Optional[str]:
        return FILTER if FILTER in self.export_fields else None

    def _read_export(self, job: ExportJob, rows: ExportRows) -> Iterator[Any]:
        self._check_continuity(job)
        sink = self.context.sink(self.stream.name)
        edge = self._edge(job)
        yield from emit_rows(sink, rows, self.columns, FILTER, edge, self.stream.object.id_field)  # a record at the instant two windows share comes out once
        self.context.count(self.stream.name, sink.count)
        self.plan.learn(job.spec.window, job.file_size, job.records)
        if self.plan.learned is None and (job.records if job.records is not None else sink.count) == 0:
            self.plan.prior = max(self.plan.prior / 2, PRIOR_FLOOR)
        self.cursor = max(self.cursor, self._advance(job, edge))

    # --- state and shape ----------------------------------------------------------------------

    def state(self) -> Dict[str, Any]:
        state: Dict[str, Any] = {CURSOR: cursor_text(self.cursor), "pending_exports": self._pending, "api_name": self.stream.object.api_name}
        state.update(plan_state(self.plan, self.cursor))
        return state

    def _spec(self, window: Window, part: Group = None) -> ExportSpec:
        return ExportSpec(self.stream.kind, window, FILTER, self.export_fields)

    def _columns(self, schema: Mapping[str, Any]) -> List[Tuple[str, str, str]]:
        """(column, API name or "" when the object lacks it, kind) for each selected column; the key and
        the cursor always."""
        by_column = {column: api for api, column in self.stream.columns.items()}
        properties = schema.get("properties") or {}
        wanted = []
        for column, property_schema in properties.items():
            if column not in by_column:
                self.context.runtime.logger.warning(f"{self.stream.name}: column '{column}' is selected but the custom object has no such field; it stays empty.")
            wanted.append((column, by_column.get(column, ""), schema_kind(property_schema)))
        for column, kind in ((self.stream.key_column, "string"), (CURSOR, "datetime")):
            if column not in properties:
                wanted.append((column, by_column.get(column, ""), kind))
        return wanted
