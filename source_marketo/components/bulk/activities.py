"""lead_activities and lead_activity_attributes: one Bulk Activity Extract per window, shared by both streams.

Marketo's activity export (marketo-api.md 6.2, 7.3): ``filter.createdAt`` (the activity date, at
most 31 days) and an optional list of ``activityTypeIds`` (Delete Lead 37 is not exportable: it
comes from ``activities/deletedleads.json``); columns ``marketoGUID, leadId, activityDate,
activityTypeId, campaignId, primaryAttributeValueId, primaryAttributeValue, attributes``, the last
one a JSON object keyed by attribute display name. One job per window covers every configured
type, and both streams read the same file, so the attributes cost no extra job or megabyte.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Tuple

import orjson

from source_marketo.components.bulk.context import BulkContext
from source_marketo.components.bulk.csv_rows import ExportRows, located_errors, report_cleanup
from source_marketo.components.bulk.lane import PlannedLane
from source_marketo.components.bulk.jobs import ExportJob, ExportSpec, Window
from source_marketo.components.bulk.records import RecordSink, plan_columns
from source_marketo.components.bulk.state import state_message
from source_marketo.components.bulk.windows import WindowPlan, cursor_text, parse_cursor, saved_exports
from source_marketo.components.metadata import DELETE_LEAD
from source_marketo.components.types import rfc3339

ACTIVITIES = "lead_activities"
ATTRIBUTES = "lead_activity_attributes"
CURSOR = "activity_date"
PRIOR_BYTES_PER_DAY = 20 * 2**20

ACTIVITY_COLUMNS: Tuple[Tuple[str, str, str], ...] = (
    ("id", "marketoGUID", "string"),
    ("activity_id", "", "integer"),  # the legacy numeric id is not in bulk exports; marketoGUID is the key
    ("lead_id", "leadId", "integer"),
    ("campaign_id", "campaignId", "integer"),
    ("primary_attribute_value_id", "primaryAttributeValueId", "integer"),
    ("primary_attribute_value", "primaryAttributeValue", "string"),
    ("activity_type_id", "activityTypeId", "integer"),
    ("activity_date", "activityDate", "datetime"),
)


def attribute_value(value: Any) -> Optional[str]:
    """Attribute values keep their JSON types in the export; the column is text. NUL characters
    (JSON-escaped inside the attributes column, so not removed with the file's NUL bytes) are dropped:
    most warehouses refuse them in text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return orjson.dumps(value).decode()


class ActivitiesLane(PlannedLane):
    name = "activities"

    def __init__(self, context: BulkContext, type_ids: Optional[Tuple[int, ...]]) -> None:
        self.context = context
        self.streams = [stream for stream in (ACTIVITIES, ATTRIBUTES) if stream in context.selected]
        self.type_ids = None if type_ids is None else tuple(t for t in type_ids if t != DELETE_LEAD)
        settings = context.runtime.settings
        self.cursors: Dict[str, datetime] = {}
        saved: List[Dict[str, Any]] = []
        rate = None
        for stream in self.streams:
            state = context.input_state(stream)
            self.cursors[stream] = parse_cursor(state.get(CURSOR)) or settings.start_date
            saved = saved or list(state.get("pending_exports") or [])
            rate = rate or state.get("bytes_per_day")
        self.deletes_through = parse_cursor((context.input_state(ACTIVITIES) if ACTIVITIES in self.streams else {}).get("deletes_through"))
        start = min(self.cursors.values(), default=settings.start_date)
        start = max(settings.start_date, start - settings.lookback) if start > settings.start_date else start
        self.plan = WindowPlan(start, context.now, settings.export_window, PRIOR_BYTES_PER_DAY, rate, saved)
        self.exports_anything = bool(self.streams) and self.type_ids != ()
        self._pending: List[Dict[str, Any]] = []

    # --- the Lane protocol ------------------------------------------------------------------

    def resume_jobs(self) -> List[ExportJob]:
        return self.plan.resumable(self._spec, min(self.cursors.values(), default=None)) if self.exports_anything else []

    def peek(self, available_bytes: int) -> Optional[ExportSpec]:
        return super().peek(available_bytes) if self.exports_anything else None

    def unsupported(self, spec: ExportSpec, reason: str) -> None:
        raise RuntimeError(f"Marketo refused the activity export filter: {reason}")

    def on_jobs_changed(self, jobs: List[ExportJob]) -> Iterator[Any]:
        self._pending = saved_exports(jobs)
        for stream in self.streams:
            yield state_message(stream, self.state_of(stream))

    def consume(self, job: ExportJob) -> Iterator[Any]:
        window = job.spec.window
        targets = [stream for stream in self.streams if self.cursors[stream] < window.end]
        if targets:
            yield from self._read_file(job, targets)
        self.plan.learn(window, job.file_size, job.records)
        for stream in self.streams:
            self.cursors[stream] = max(self.cursors[stream], window.end)

    # --- internals --------------------------------------------------------------------------

    def _spec(self, window: Window) -> ExportSpec:
        fields = [source for _, source, _ in ACTIVITY_COLUMNS if source]
        if ATTRIBUTES in self.streams:
            fields.append("attributes")
        return ExportSpec("activities", window, "createdAt", tuple(fields), self.type_ids)

    def state_of(self, stream: str) -> Dict[str, Any]:
        state: Dict[str, Any] = {CURSOR: cursor_text(self.cursors[stream]), "pending_exports": self._pending}
        if self.plan.bytes_per_day is not None:
            state["bytes_per_day"] = round(self.plan.bytes_per_day)
        if stream == ACTIVITIES and self.deletes_through is not None:
            state["deletes_through"] = cursor_text(self.deletes_through)
        return state

    def _read_file(self, job: ExportJob, targets: List[str]) -> Iterator[Any]:
        context = self.context
        with context.open_export(job) as binary:
            rows = ExportRows(binary, job.name())
            activities = context.sink(ACTIVITIES) if ACTIVITIES in targets else None
            attributes = context.sink(ATTRIBUTES) if ATTRIBUTES in targets else None
            with located_errors(rows):
                yield from self._rows(rows, activities, attributes)
            report_cleanup(rows, binary.nul_bytes, context.runtime.logger)
        for sink in (activities, attributes):
            if sink is not None:
                context.count(sink.stream, sink.count)

    def _rows(self, rows: ExportRows, activities: Optional[RecordSink], attributes: Optional[RecordSink]) -> Iterator[Any]:
        plan = plan_columns(rows.header, ACTIVITY_COLUMNS) if activities else None
        convert, checked = (plan.compile_fast(), plan.checked) if plan else (None, None)
        where = {name: index for index, name in enumerate(rows.header)}
        type_at = where.get("activityTypeId", 0)
        if attributes:
            guid_at, attributes_at, date_at = where["marketoGUID"], where["attributes"], where["activityDate"]
        loads, delete_lead = orjson.loads, str(DELETE_LEAD)
        for row in rows:
            if row[type_at] == delete_lead:
                continue  # Delete Lead comes from deletedleads.json (with its legacy id); never twice
            if activities is not None:
                try:
                    record = convert(row)
                except (ValueError, TypeError, IndexError):
                    record = checked(row)
                activities.append(activities.line_of(record))
                if len(activities.pending) >= activities.BATCH:
                    yield from activities.drain()
            if attributes is not None:
                raw = row[attributes_at]
                if raw != "null" and raw != "{}" and raw:
                    guid, type_id, activity_date = row[guid_at], int(row[type_at]), rfc3339(row[date_at])
                    for name, value in _attributes(loads, raw, rows, guid).items():
                        attributes.append(attributes.line_of({
                            "id": f"{guid}:{type_id}:{name}",
                            "activity_id": guid,
                            "activity_type_id": type_id,
                            "activity_type_attribute_id": f"{type_id}:{name}",
                            "name": name,
                            "value": attribute_value(value),
                            "activity_date": activity_date,
                        }))
                    if attributes.full:
                        yield from attributes.drain()
        for sink in (activities, attributes):
            if sink is not None:
                yield from sink.drain()


def _attributes(loads, raw: str, rows: ExportRows, guid: str) -> Dict[str, Any]:
    try:
        parsed = loads(raw)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"column 'attributes' of activity {guid} is not JSON ({error})") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"column 'attributes' of activity {guid} is not a JSON object")
    return parsed
