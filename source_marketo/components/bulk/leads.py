"""leads: Bulk Lead Extract by ``updatedAt`` windows, with a fallback for subscriptions without that filter.

Marketo (marketo-api.md 6.2): a lead export takes exactly one filter; ``updatedAt`` sees the most
recent update of any field, so exporting by it (never by ``createdAt``) is what catches updates.
Subscriptions without Marketo's "big data" infrastructure answer 1035 to that filter: then each
window is exported in two parts, the leads created in it (``createdAt``, on every subscription) and
the lead ids of New Lead / Change Data Value / Merge Leads activities (a tiny file), whose leads are
fetched over REST, 300 per call; the cursor passes a window once both are read. ``fields`` lists only the columns the catalog
selects and the instance has (an unknown field would fail the export with 1003).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from source_marketo.components.bulk.context import BulkContext
from source_marketo.components.bulk.csv_rows import ExportRows
from source_marketo.components.bulk.lane import PlannedLane
from source_marketo.components.bulk.jobs import ExportJob, ExportSpec, Window
from source_marketo.components.bulk.records import Edge, emit_rows
from source_marketo.components.bulk.state import state_message
from source_marketo.components.bulk.survey import Survey, highest_id, sample_updates, survey_leads
from source_marketo.components.bulk.windows import MARGIN_NEAR_CAP, MIN_ESTIMATE, Group, WindowPlan, cursor_text, parse_cursor, plan_numbers, plan_start, plan_state, saved_exports
from source_marketo.components.errors import Action, Decision
from source_marketo.components.metadata import LeadField
from source_marketo.components.naming import column_names
from source_marketo.components.types import CONVERTERS, schema_kind

LEADS = "leads"
CURSOR = "updated_at"
MODE_UPDATED_AT = "updated_at_filter"
MODE_ACTIVITY = "activity_changes"
CHANGE_ACTIVITY_TYPES = (12, 13, 22, 32)  # New Lead, Change Data Value, Change Score (score fields), Merge Leads
PRIOR_BYTES_PER_DAY = 10 * 2**20
REST_BATCH = 300
MODE_RECHECK = timedelta(days=7)
OWN_COLUMNS = ("deleted_at", "merged_into_lead_id")  # ours, on tombstones: never a Marketo field


def lead_columns(fields: Sequence[LeadField]) -> Dict[str, str]:
    """API name -> column for every REST-readable lead field, stable whatever the catalog selects."""
    return column_names([field.api_name for field in fields], reserved=OWN_COLUMNS)


class LeadsLane(PlannedLane):
    name = "leads"
    streams = [LEADS]

    def __init__(self, context: BulkContext, fields: Sequence[LeadField]) -> None:
        self.context = context
        settings = context.runtime.settings
        state = context.input_state(LEADS)
        self.cursor: datetime = parse_cursor(state.get(CURSOR)) or settings.start_date
        self.mode_checked_at = parse_cursor(state.get("mode_checked_at"))
        recently_checked = self.mode_checked_at is not None and context.now - self.mode_checked_at < MODE_RECHECK
        # Without the updatedAt filter a subscription stays in activity mode; ask again once a week.
        self.mode = MODE_ACTIVITY if state.get("mode") == MODE_ACTIVITY and recently_checked else MODE_UPDATED_AT
        # Leads removed before the first sync were never emitted, so they need no tombstone: the first
        # scan starts at this run (and the checkpoint is saved at once, in case this run stops early).
        self.deletions_through = parse_cursor(state.get("deletions_through")) or context.now
        self.columns = self._columns(fields, context.selected[LEADS])
        self.export_fields = tuple(dict.fromkeys(["id", "updatedAt"] + [source for _, source, _ in self.columns if source]))
        start = plan_start(settings, self.cursor, state)
        self.plan = WindowPlan(start, context.now, settings.export_window, PRIOR_BYTES_PER_DAY, saved=list(state.get("pending_exports") or []), **plan_numbers(state))
        self._pending: List[Dict[str, Any]] = []
        self.changes_rate = plan_numbers({"bytes_per_day": state.get("changes_bytes_per_day")})["learned"]
        self.id_range = _id_range(state.get("id_range"))  # for the sample of updates (sample_updates)
        self._lowest_id: Optional[int] = None
        self._begin(start)
        # In activity mode a window's two parts are read one after the other: where each had got to
        # when the last run stopped, so its saved exports line up again (one part may be a window ahead).
        through = state.get("parts_through")
        self._ahead: Dict[Group, datetime] = {}
        if self.mode == MODE_ACTIVITY and isinstance(through, list) and len(through) == len(self.parts()):
            self._ahead = {part: moment for part, moment in zip(self.parts(), map(parse_cursor, through)) if moment is not None}

    def take_survey(self) -> Survey:
        return survey_leads(self.context.runtime, self.plan.position, self.export_fields)

    def apply(self, survey: Survey) -> None:
        super().apply(survey)
        self.id_range = survey.id_range or self.id_range
        self._lowest_id = survey.lowest_id

    def take_sample(self) -> None:
        """A backfill (the lane far behind) cuts its windows from a sample of when leads were last
        updated, looked up by id (3 calls, and 1-5 past the highest id known): a census then comes only where a window might not fit
        today, and no rate guessed from New Lead activities decides a window's size. A sample kept from an earlier
        run is taken again where this run may outrun it (WindowPlan.sample_outdated)."""
        if self.mode != MODE_UPDATED_AT:
            return
        kept = self.plan.sample if self.plan.sampled_at(self.plan.position) else None
        if kept is not None and not self.plan.sample_outdated(self.context.runtime.exports.left_today()):
            return  # a sample the last run kept in the state still covers where this one begins: its calls are not paid again
        if kept is None and not self.far_behind():
            return
        if self.id_range is None and self._lowest_id is not None:  # the survey saw no new lead in the newest day
            self.id_range = (self._lowest_id, highest_id(self.context.runtime, self._lowest_id))
        if self.id_range is None:
            return
        updated, step, highest, calls = sample_updates(self.context.runtime, self.id_range)
        self.id_range = (self.id_range[0], highest)
        if not self.plan.take_sample(updated, step, self.context.runtime.exports.cap_bytes):
            instead = "the one kept from an earlier run cuts the windows it covers" if kept is not None else "windows are sized from the rate"
            self.context.runtime.logger.info(f"leads: sampled {len(updated):,} leads by id ({calls} calls); one in {step:.0f} ids is too coarse for this daily export cap, so {instead}.")
            return
        again = f" again (the one kept ended at {cursor_text(kept.span.end)}, where the run that took it began)" if kept is not None else ""
        self.context.runtime.logger.info(
            f"leads: sampled {len(updated):,} leads by id{again} ({calls} calls, one in {step:.0f} ids up to id {highest:,}); "
            f"{self.plan.sample.prefix[-1]:,} of them updated since {cursor_text(self.plan.position)}.")

    def skip_to(self, moment: datetime) -> None:
        """The survey found no lead before ``moment``: the cursor starts there."""
        self._skip_to(moment)
        self.cursor = max(self.cursor, self.plan.start)

    # --- the Lane protocol ------------------------------------------------------------------

    def resume(self) -> List[ExportJob]:
        return self._resume(self.cursor, self._ahead)

    def parts(self) -> List[Group]:
        return [None, CHANGE_ACTIVITY_TYPES] if self.mode == MODE_ACTIVITY else [None]

    def likely_rest(self, past_now: timedelta) -> Optional[int]:
        return None if self.mode == MODE_ACTIVITY else super().likely_rest(past_now)  # the changed-lead part has a rate of its own

    def estimate(self, spec: ExportSpec) -> int:
        """Activity mode's changed-lead ids have a rate of their own (how many changes Marketo logs has
        nothing to do with how many leads are new): learned from those exports; until one is read, as
        much as the window's leads (one change can name every lead)."""
        if spec.kind == "activities" and self.changes_rate is not None:
            return max(int(self.changes_rate * MARGIN_NEAR_CAP * spec.window.days), MIN_ESTIMATE)
        return super().estimate(spec)

    def refused(self, spec: ExportSpec, decision: Decision) -> Optional[List[ExportSpec]]:
        """Without the bulk ``updatedAt`` filter (1035), the window is asked for in activity mode's two
        parts (a census, which activity mode takes none of, is dropped: [])."""
        if decision.action is not Action.UNSUPPORTED_FILTER or self.mode == MODE_ACTIVITY or spec.filter_name != "updatedAt":
            return None
        census = spec.census
        self.mode, self.mode_checked_at = MODE_ACTIVITY, self.context.now
        self.plan.drop_updated_at_evidence()  # by updatedAt: activity mode's windows are by creation
        self.context.runtime.logger.warning(
            "This Marketo subscription does not support the bulk 'updatedAt' filter (1035). Leads are synced in "
            "activity mode: each window exports the leads created in it, and the ids of new, changed and merged "
            "leads from the activity log, which are read over REST (300 per call)."
        )
        if census:
            self._census_pending = False
            return []
        return [self._spec(spec.window, part) for part in self.parts()]

    def checkpoint(self, jobs: List[ExportJob]) -> Iterator[Any]:
        self._pending = saved_exports(jobs, grouped=self.mode == MODE_ACTIVITY, estimate=self.plan.estimate)
        yield state_message(LEADS, self.state())

    def census_column(self) -> Optional[str]:
        return "updatedAt" if self.mode == MODE_UPDATED_AT else None  # activity mode's two parts take none

    def _read_export(self, job: ExportJob, rows: ExportRows) -> Iterator[Any]:
        self._check_continuity(job)
        edge = self._edge(job)
        if job.spec.kind == "leads":
            yield from self._read_leads_file(job, rows, edge)
            self.plan.learn(job.spec.window, job.file_size, job.records)  # window sizes follow the lead exports
            if self.plan.sample_dropped == job.spec.window:
                self.context.runtime.logger.info(
                    f"leads: {job.name()} held {job.records:,} leads, more than the sample of leads by id allowed for "
                    "(a mass update of fields the sample cannot see); windows are sized from the rate and censuses from here.")
        else:
            yield from self._read_changed_leads(rows)
            if job.file_size and job.spec.window.days > 0:
                rate = job.file_size / job.spec.window.days
                self.changes_rate = rate if self.changes_rate is None else max(rate, self.changes_rate * 0.5)
        self.cursor = max(self.cursor, self._advance(job, edge))

    # --- state ------------------------------------------------------------------------------

    def state(self) -> Dict[str, Any]:
        state: Dict[str, Any] = {CURSOR: cursor_text(self.cursor), "pending_exports": self._pending, "mode": self.mode}
        state.update(plan_state(self.plan, self.cursor))
        if self.mode_checked_at is not None:
            state["mode_checked_at"] = cursor_text(self.mode_checked_at)
        if self.deletions_through is not None:
            state["deletions_through"] = cursor_text(self.deletions_through)
        if self.mode == MODE_ACTIVITY:
            state["parts_through"] = [cursor_text(self._emitted_to(part)) for part in self.parts()]
        if self.changes_rate is not None:
            state["changes_bytes_per_day"] = round(self.changes_rate)
        if self.id_range is not None:
            state["id_range"] = list(self.id_range)
        return state

    # --- internals --------------------------------------------------------------------------

    def _columns(self, fields: Sequence[LeadField], schema: Mapping[str, Any]) -> List[Tuple[str, str, str]]:
        """(column, API name or "" when the instance lacks it, kind) for each selected column."""
        by_column = {column: api for api, column in lead_columns(fields).items()}
        properties = schema.get("properties") or {}
        wanted = []
        for column, property_schema in properties.items():
            source = by_column.get(column, "")
            if not source and column not in OWN_COLUMNS:
                self.context.runtime.logger.warning(f"leads: column '{column}' is selected but this Marketo instance has no such lead field; it stays empty.")
            wanted.append((column, source, schema_kind(property_schema)))
        for column in ("id", "updated_at"):
            if column not in properties:
                wanted.append((column, by_column.get(column, column), "integer" if column == "id" else "datetime"))
        return wanted

    def _spec(self, window: Window, part: Group = None) -> ExportSpec:
        if self.mode != MODE_ACTIVITY:
            return ExportSpec("leads", window, "updatedAt", self.export_fields)
        if part:  # the changed leads, named by the activity log
            return ExportSpec("activities", window, "createdAt", ("leadId",), CHANGE_ACTIVITY_TYPES)
        # the leads created in the window; createdAt asked for too, so a lead on the instant two windows share comes out once (Edge)
        return ExportSpec("leads", window, "createdAt", tuple(dict.fromkeys(self.export_fields + ("createdAt",))))

    def _read_leads_file(self, job: ExportJob, rows: ExportRows, edge: Edge) -> Iterator[Any]:
        sink = self.context.sink(LEADS)
        # The filter's own column: a lead at the instant two windows share comes out once (Edge).
        yield from emit_rows(sink, rows, self.columns, job.spec.filter_name, edge, "id")
        self.context.count(LEADS, sink.count)

    def _read_changed_leads(self, rows: ExportRows) -> Iterator[Any]:
        ids = set()
        at = rows.header.index("leadId") if rows.header else 0
        for row in rows:
            if row[at] != "null":
                ids.add(int(row[at]))
        sink, ordered = self.context.sink(LEADS), sorted(ids)
        for batch_start in range(0, len(ordered), REST_BATCH):
            for item in self._fetch(ordered[batch_start: batch_start + REST_BATCH]):
                sink.append(sink.line_of(self._from_rest(item)))
            yield from sink.drain()
        self.context.count(LEADS, sink.count)

    def _fetch(self, lead_ids: List[int]) -> List[Mapping[str, Any]]:
        params = {"filterType": "id", "filterValues": ",".join(map(str, lead_ids)), "fields": ",".join(self.export_fields), "batchSize": REST_BATCH}
        items: List[Mapping[str, Any]] = []
        while True:
            envelope = self.context.runtime.client.get("/rest/v1/leads.json", params=params).envelope
            items.extend(item for item in envelope.result if isinstance(item, Mapping))
            if not envelope.next_page_token or not envelope.more_result:
                return items
            params = {**params, "nextPageToken": envelope.next_page_token}

    def _from_rest(self, item: Mapping[str, Any]) -> Dict[str, Any]:
        return {column: (CONVERTERS[kind](item.get(source)) if source else None) for column, source, kind in self.columns}


def _id_range(value: Any) -> Optional[Tuple[int, int]]:
    """Two ids, low then high, as the state keeps them; None for anything else."""
    if isinstance(value, list) and len(value) == 2 and all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in value) and value[0] <= value[1]:
        return value[0], value[1]
    return None
