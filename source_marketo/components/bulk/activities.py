"""lead_activities and lead_activity_attributes: one Bulk Activity Extract per window, shared by both streams.

Marketo's activity export (marketo-api.md 6.2, 7.3): ``filter.createdAt`` (the activity date, at
most 31 days) and an optional list of ``activityTypeIds`` (Delete Lead 37 is not exportable: it
comes from ``activities/deletedleads.json``); columns ``marketoGUID, leadId, activityDate,
activityTypeId, campaignId, primaryAttributeValueId, primaryAttributeValue, attributes``, the last
one a JSON object keyed by attribute display name. One job per window covers every configured
type, and both streams read the same file, so the attributes cost no extra job or megabyte.

Marketo documents no maximum for the bulk type list. Should it refuse one anyway, the lane splits
the refused list in two and exports each window once per group from then on (the groups are kept
in state); the cursor moves over a window only when every type has been emitted up to its end.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import orjson

from source_marketo.components.bulk.activity_streams import ACTIVITY_COLUMNS, TypeStream, attribute_value
from source_marketo.components.bulk.context import BulkContext
from source_marketo.components.bulk.csv_rows import ExportRows
from source_marketo.components.bulk.lane import PlannedLane
from source_marketo.components.bulk.jobs import ExportJob, ExportSpec, Window
from source_marketo.components.bulk.records import NO_INSTANT, Edge, RecordSink, plan_columns
from source_marketo.components.bulk.state import state_message
from source_marketo.components.bulk.survey import Survey, survey_activities
from source_marketo.components.bulk.windows import Group, Hold, Room, WindowPlan, cursor_text, int_tuple, parse_cursor, plan_numbers, plan_start, plan_state, resume_point, saved_exports
from source_marketo.components.errors import Decision
from source_marketo.components.metadata import DELETE_LEAD
from source_marketo.components.types import rfc3339

ACTIVITIES = "lead_activities"
ATTRIBUTES = "lead_activity_attributes"
CURSOR = "activity_date"
PRIOR_BYTES_PER_DAY = 20 * 2**20

class ActivitiesLane(PlannedLane):
    name = "activities"

    def __init__(self, context: BulkContext, type_ids: Optional[Tuple[int, ...]], type_streams: Sequence[TypeStream] = ()) -> None:
        self.context = context
        # The per-type streams (activity_streams.py) selected; Delete Lead's comes from deletedleads.json.
        self.type_streams: Dict[str, TypeStream] = {str(ts.type_id): ts for ts in type_streams if ts.name in context.selected and ts.type_id != DELETE_LEAD}
        logs = [stream for stream in (ACTIVITIES, ATTRIBUTES) if stream in context.selected]
        self.streams = logs + [ts.name for ts in self.type_streams.values()]
        configured = (None if type_ids is None else tuple(t for t in type_ids if t != DELETE_LEAD)) if logs else ()
        extra = {ts.type_id for ts in self.type_streams.values()}
        # One export per window for every type any selected stream needs; rows are routed by type.
        self.type_ids = None if configured is None else tuple(sorted(set(configured) | extra))
        self.logged_types = None if configured is None or set(configured) >= extra else frozenset(map(str, configured))
        settings = context.runtime.settings
        self.cursors: Dict[str, datetime] = {}
        saved: List[Dict[str, Any]] = []
        numbers: Dict[str, Any] = {}
        saved_groups = []
        for stream in self.streams:
            state = context.input_state(stream)
            self.cursors[stream] = parse_cursor(state.get(CURSOR)) or settings.start_date
            saved = saved or list(state.get("pending_exports") or [])
            numbers = numbers if numbers.get("learned") else plan_numbers(state)
            saved_groups.append((state.get("type_groups"), state.get("groups_through")))
        self.groups: List[Group] = type_groups(next((groups for groups, _ in saved_groups if groups), None), self.type_ids)
        # Where each group had been emitted to when the last run stopped (groups run ahead of the cursor);
        # only when every stream's state says so: a stream added or reset since has emitted nothing.
        self._ahead: Dict[Group, datetime] = {}
        saved_through = saved_groups[0][1] if saved_groups else None
        if self.grouped and all(entry == saved_groups[0] for entry in saved_groups) and isinstance(saved_through, list) and len(saved_through) == len(self.groups):
            self._ahead = {group: moment for group, moment in zip(self.groups, map(parse_cursor, saved_through)) if moment is not None}
        self.deletes_through = parse_cursor((context.input_state(ACTIVITIES) if ACTIVITIES in self.streams else {}).get("deletes_through"))
        behind = min(self.streams, key=self.cursors.__getitem__, default=None)  # the stream the windows start for
        start = plan_start(settings, self.cursors[behind], context.input_state(behind)) if behind else settings.start_date
        self.plan = WindowPlan(start, context.now, settings.export_window, PRIOR_BYTES_PER_DAY, saved=saved, settled=True, **(numbers or plan_numbers({})))
        self.exports_anything = bool(self.streams) and self.type_ids != ()
        self._pending: List[Dict[str, Any]] = []
        # Progress is kept per type (lane.py), so a window exported in groups counts once all are in.
        self._begin(start)
        for group, moment in self._ahead.items():
            self._emitted.update({type_id: max(start, moment) for type_id in group or ()})
        self._window_sizes: Dict[Window, List[Any]] = {}  # types, bytes and records of a grouped window so far

    def take_survey(self) -> Survey:
        return survey_activities(self.context.runtime, self.plan.position, self.type_ids, ATTRIBUTES in self.streams)

    def skip_to(self, moment: datetime) -> None:
        """The survey found no activity of the configured types before ``moment``: the cursors start there."""
        self._skip_to(moment)
        for stream in self.streams:
            self.cursors[stream] = max(self.cursors[stream], self.plan.start)

    # --- the Lane protocol ------------------------------------------------------------------

    def resume(self) -> List[ExportJob]:
        if not self.exports_anything:
            return []
        return self._resume(min(self.cursors.values(), default=None), self._ahead)

    def next_export(self, room: Room) -> Union[ExportSpec, Hold, None]:
        return super().next_export(room) if self.exports_anything else None

    def parts(self) -> List[Group]:
        return self.groups if self.grouped else [None]

    def _keys_of(self, part: Group) -> Tuple[Optional[int], ...]:
        """Progress is kept per type (None: the one key of an export of every type)."""
        return tuple(part) if part else (self.type_ids or (None,))

    def refused(self, spec: ExportSpec, decision: Decision) -> Optional[List[ExportSpec]]:
        """Marketo refused an export with several types: export them in two groups from now on."""
        types = spec.activity_type_ids or ()
        if not decision.ask_for_less:
            return None
        if len(types) < 2:
            # Even one type is refused: the list was not the problem, so the groups were no help either.
            self.groups = [self.type_ids]
            return None
        if types not in self.groups:  # asked for before an earlier refusal split it: ask for its parts
            parts = [group for group in self.groups if group and set(group) <= set(types)]
            if len(parts) > 1:
                return [replace(spec, activity_type_ids=group) for group in parts]
        middle = len(types) // 2
        first, second = types[:middle], types[middle:]
        if types in self.groups:
            at = self.groups.index(types)
            self.groups[at:at + 1] = [first, second]
        if types in self._window_parts:
            at = self._window_parts.index(types)
            self._window_parts[at:at + 1] = [first, second]
        self.context.runtime.logger.warning(
            f"Marketo refused the activity type list of the {spec.describe()} ({decision.reason}). Exporting the types "
            f"in {len(self.groups)} groups from now on, one export per group and window: "
            + "; ".join(",".join(map(str, group or ())) for group in self.groups) + "."
        )
        return [replace(spec, activity_type_ids=first), replace(spec, activity_type_ids=second)]

    def checkpoint(self, jobs: List[ExportJob]) -> Iterator[Any]:
        self._pending = saved_exports(jobs, self.grouped, self.plan.estimate)
        for stream in self.streams:
            yield state_message(stream, self.state_of(stream))

    def _read_export(self, job: ExportJob, rows: ExportRows) -> Iterator[Any]:
        window = job.spec.window
        self._check_continuity(job)
        # The streams this window is read for: those whose resume point (cursor less the lookback) it
        # reaches, so the lookback export before a reused chain, which ends at the cursor, is emitted too.
        settings = self.context.runtime.settings
        targets = [stream for stream in self.streams if resume_point(settings, self.cursors[stream]) < window.end]
        edge = self._edge(job)
        if targets:
            yield from self._read_file(rows, targets, edge)
        self._learn(job)
        through = self._advance(job, edge if targets else None)
        for done in [part for part in self._window_sizes if part.end <= through]:
            del self._window_sizes[done]  # split or resumed windows whose parts never all came through here
        for stream in self.streams:
            self.cursors[stream] = max(self.cursors[stream], through)

    def estimate(self, spec: ExportSpec) -> int:
        """A group's share of the window's estimate, by its number of types: the groups of a window
        together are estimated as the window's one export would be, so grouping costs no window size."""
        whole = self.plan.estimate(spec.window)
        if not self.grouped or not spec.activity_type_ids or not self.type_ids:
            return whole
        return int(whole * len(spec.activity_type_ids) / len(self.type_ids)) + 1

    # --- internals --------------------------------------------------------------------------

    def _learn(self, job: ExportJob) -> None:
        """How big a day of data is, from a whole window: its one export, or the sum of its groups' files."""
        window, types = job.spec.window, job.spec.activity_type_ids
        if not self.grouped or not types or not self.type_ids:
            self.plan.learn(window, job.file_size, job.records)
            return
        seen = self._window_sizes.setdefault(window, [set(), 0, 0])
        seen[0].update(types)
        seen[1] += job.file_size or 0
        seen[2] += job.records or 0
        if seen[0] >= set(self.type_ids):
            del self._window_sizes[window]
            self.plan.learn(window, seen[1], seen[2])

    @property
    def grouped(self) -> bool:
        return len(self.groups) > 1

    def _spec(self, window: Window, group: Group = None) -> ExportSpec:
        fields = [source for _, source, _ in ACTIVITY_COLUMNS if source]
        if ATTRIBUTES in self.streams or self.type_streams:
            fields.append("attributes")
        return ExportSpec("activities", window, "createdAt", tuple(fields), group if group is not None else self.type_ids)

    def state_of(self, stream: str) -> Dict[str, Any]:
        state: Dict[str, Any] = {CURSOR: cursor_text(self.cursors[stream]), "pending_exports": self._pending}
        state.update(plan_state(self.plan))
        if self.grouped:
            state["type_groups"] = [list(group or ()) for group in self.groups]
            state["groups_through"] = [cursor_text(min(self._emitted_to(type_id) for type_id in group or ())) for group in self.groups]
        if stream == ACTIVITIES and self.deletes_through is not None:
            state["deletes_through"] = cursor_text(self.deletes_through)
        return state

    def _read_file(self, rows: ExportRows, targets: List[str], edge: Optional[Edge] = None) -> Iterator[Any]:
        context = self.context
        activities = context.sink(ACTIVITIES) if ACTIVITIES in targets else None
        attributes = context.sink(ATTRIBUTES) if ATTRIBUTES in targets else None
        by_type = {code: (ts, context.sink(ts.name)) for code, ts in self.type_streams.items() if ts.name in targets}
        yield from self._rows(rows, activities, attributes, by_type, edge or Edge(None, frozenset(), ""))
        for sink in [activities, attributes] + [sink for _, sink in by_type.values()]:
            if sink is not None:
                context.count(sink.stream, sink.count)

    def _rows(self, rows: ExportRows, activities: Optional[RecordSink], attributes: Optional[RecordSink],
              by_type: Dict[str, Tuple[TypeStream, RecordSink]], edge: Edge) -> Iterator[Any]:
        """Each row to lead_activities, its attributes to lead_activity_attributes, and the whole to its
        type's stream, as selected; the attributes' JSON is parsed once per row. The activity log alone
        (no per-type stream, every type logged) takes the tight loop: it runs millions of times."""
        plan = plan_columns(rows.header, ACTIVITY_COLUMNS) if activities or by_type else None
        convert, checked = (plan.compile_fast(), plan.checked) if plan else (None, None)
        where = {name: index for index, name in enumerate(rows.header)}
        at = (where.get("activityTypeId", 0), where.get("activityDate", 0), where.get("marketoGUID", 0), where.get("attributes", 0))
        if by_type or self.logged_types is not None:
            yield from self._routed_rows(rows, activities, attributes, by_type, edge, convert, checked, at)
        else:
            yield from self._log_rows(rows, activities, attributes, edge, convert, checked, at)
        for sink in [activities, attributes] + [sink for _, sink in by_type.values()]:
            if sink is not None:
                yield from sink.drain()

    @staticmethod
    def _log_rows(rows, activities, attributes, edge, convert, checked, at) -> Iterator[Any]:
        type_at, date_at, guid_at, attributes_at = at
        loads, delete_lead = orjson.loads, str(DELETE_LEAD)
        start, seen, end, at_end = edge.start or NO_INSTANT, edge.seen, edge.end or NO_INSTANT, edge.at_end
        for row in rows:
            if row[type_at] == delete_lead:
                continue  # Delete Lead comes from deletedleads.json (with its legacy id)
            moment = row[date_at]
            if moment == end:
                at_end.add(row[guid_at])
            elif moment == start and row[guid_at] in seen:
                continue  # the window before emitted it at its end (Edge)
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
                    guid = row[guid_at]
                    _attribute_rows(attributes, guid, int(row[type_at]), rfc3339(row[date_at]), _attributes(loads, raw, guid))
                    if len(attributes.pending) >= attributes.BATCH:
                        yield from attributes.drain()

    def _routed_rows(self, rows, activities, attributes, by_type, edge, convert, checked, at) -> Iterator[Any]:
        type_at, date_at, guid_at, attributes_at = at
        loads, delete_lead, logged = orjson.loads, str(DELETE_LEAD), self.logged_types
        start, seen, end, at_end = edge.start or NO_INSTANT, edge.seen, edge.end or NO_INSTANT, edge.at_end
        for row in rows:
            code = row[type_at]
            if code == delete_lead:
                continue
            moment = row[date_at]
            if moment == end:
                at_end.add(row[guid_at])
            elif moment == start and row[guid_at] in seen:
                continue
            in_log = logged is None or code in logged
            record = None
            if activities is not None and in_log:
                record = _converted(convert, checked, row)
                activities.append(activities.line_of(record))
                if len(activities.pending) >= activities.BATCH:
                    yield from activities.drain()
            typed = by_type.get(code)
            if (attributes is not None and in_log) or typed is not None:
                raw = row[attributes_at]
                parsed = _attributes(loads, raw, row[guid_at]) if raw != "null" and raw != "{}" and raw else {}
                if attributes is not None and in_log and parsed:
                    _attribute_rows(attributes, row[guid_at], int(code), rfc3339(row[date_at]), parsed)
                    if len(attributes.pending) >= attributes.BATCH:
                        yield from attributes.drain()
                if typed is not None:
                    stream, sink = typed
                    sink.append(sink.line_of(stream.record(record or _converted(convert, checked, row), parsed)))
                    if len(sink.pending) >= sink.BATCH:
                        yield from sink.drain()


def _converted(convert, checked, row) -> Dict[str, Any]:
    try:
        return convert(row)
    except (ValueError, TypeError, IndexError):
        return checked(row)


def _attribute_rows(sink: RecordSink, guid: str, type_id: int, activity_date: Optional[str], parsed: Dict[str, Any]) -> None:
    """One lead_activity_attributes record per attribute. The common values inline, as attribute_value gives them:
    text without NUL as it is, an integer in decimal."""
    append, line_of = sink.append, sink.line_of
    key, type_key = f"{guid}:{type_id}:", f"{type_id}:"  # once per row, not per attribute
    for name, value in parsed.items():
        append(line_of({
            "id": key + name,
            "activity_id": guid,
            "activity_type_id": type_id,
            "activity_type_attribute_id": type_key + name,
            "name": name,
            "value": value if value.__class__ is str and "\x00" not in value else str(value) if value.__class__ is int else attribute_value(value),
            "activity_date": activity_date,
        }))


def type_groups(saved: Any, type_ids: Optional[Tuple[int, ...]]) -> List[Group]:
    """The groups a refused type list was split into by an earlier run, if they still partition the
    configured types; else the configured list as one group (None: every type, no list at all)."""
    if type_ids and isinstance(saved, list) and len(saved) > 1:
        groups = [int_tuple(group) for group in saved]
        if all(groups) and sorted(t for group in groups for t in group) == sorted(type_ids):
            return list(groups)
    return [type_ids]


def _attributes(loads, raw: str, guid: str) -> Dict[str, Any]:
    try:
        parsed = loads(raw)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"column 'attributes' of activity {guid} is not JSON ({error})") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"column 'attributes' of activity {guid} is not a JSON object")
    return parsed
