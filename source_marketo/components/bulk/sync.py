"""BulkSync: reads the selected bulk streams (leads, the activity streams, program_members, custom objects) of a run.

It builds one lane per Marketo export kind (one per custom object); a lane far behind (a first sync)
first surveys where its data begins (survey.py), and the backfill plan goes to the log; one
scheduler then drives the lanes.
After them come what the exports cannot carry: deleted and merged-away leads (as leads rows with
``deleted_at``) and Delete Lead activities (from ``activities/deletedleads.json``). Stream
statuses, state after every window, and a clean stop at a daily limit (saying how much of the plan
is done) are handled here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, Iterator, List, Optional, Tuple

from airbyte_cdk.models import AirbyteStreamStatus, ConfiguredAirbyteCatalog, FailureType, StreamDescriptor, SyncMode
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as status_message

from source_marketo.components import metadata, removals
from source_marketo.components.budget import MEGABYTE, LimitReached, marketo_day
from source_marketo.components.bulk.activities import ACTIVITIES, ATTRIBUTES, ActivitiesLane
from source_marketo.components.bulk.activity_streams import is_type_stream, type_streams
from source_marketo.components.bulk.context import BulkContext
from source_marketo.components.bulk.custom_objects import CustomObjectLane, CustomObjectStream, is_custom_object_stream, selected_streams
from source_marketo.components.bulk.jobs import BulkApi
from source_marketo.components.bulk.lane import PlannedLane
from source_marketo.components.bulk.leads import LEADS, LeadsLane
from source_marketo.components.bulk.program_members import KIND as MEMBER_KIND, PROGRAM_MEMBERS, ProgramMembersLane
from source_marketo.components.bulk.scheduler import ExportScheduler
from source_marketo.components.bulk.state import state_message, stream_states
from source_marketo.components.bulk.windows import cursor_text, parse_cursor, resume_point
from source_marketo.components.errors import ExportFailed, MarketoRequestError, user_message
from source_marketo.components.metadata import DELETE_LEAD
from source_marketo.components.runtime import MarketoRuntime
from source_marketo.components.types import parse_datetime, to_integer

BULK_STREAMS = (LEADS, ACTIVITIES, ATTRIBUTES, PROGRAM_MEMBERS)


def is_bulk_stream(name: str) -> bool:
    """The streams read from bulk exports here (the per-type activity and custom object streams too); the rest are declarative."""
    return name in BULK_STREAMS or is_type_stream(name) or is_custom_object_stream(name)
SETTLE = timedelta(minutes=1)  # the newest minute is left to the next run (Marketo writes activities with a small delay)
DEFER_REMOVALS = timedelta(days=7)  # a capped run may leave the removal scans to the next; deletions are kept 14 days (marketo-api.md 4.4)


class BulkSync:
    def __init__(self, runtime: MarketoRuntime, catalog: ConfiguredAirbyteCatalog, state: Optional[List[Any]], raw_output: bool) -> None:
        self.runtime = runtime
        self.streams = [configured for configured in catalog.streams if is_bulk_stream(configured.stream.name)]
        self.raw_output = raw_output
        self.state = stream_states(state)
        self.stopped: Optional[LimitReached] = None
        self.errors: List[Exception] = []
        self._lanes: List[Any] = []
        self._crashed = False
        self._delete_streams: List[str] = []  # lead_activities and activities_delete_lead, if selected
        self._delete_marks: List[Optional[datetime]] = []  # their deletes_through checkpoints
        self._failed_streams: set = set()  # streams of lanes that stopped while the others went on
        self._objects: Optional[List[CustomObjectStream]] = None  # the selected custom objects, described once
        self._listed_jobs: List[Tuple[str, Dict[str, Any]]] = []  # (kind, item) of the job lists read at the start

    def read(self) -> Iterator[Any]:
        if not self.streams:
            return
        for configured in self.streams:
            yield status_message(StreamDescriptor(name=configured.stream.name), AirbyteStreamStatus.STARTED)
        try:
            yield from self._read(self._context())
        except LimitReached as stop:
            self.stopped = stop.with_progress(self._progress()) if self._lanes else stop
        except Exception as error:  # the state emitted so far stands; the run ends with this error
            self._crashed = True
            self.errors.append(error)
            self.runtime.logger.error(f"The bulk streams stopped: {user_message(error)}")
        for configured in self.streams:
            name = configured.stream.name
            done = not self.stopped and not self._crashed and name not in self._failed_streams
            yield status_message(StreamDescriptor(name=name), AirbyteStreamStatus.COMPLETE if done else AirbyteStreamStatus.INCOMPLETE)

    def _context(self) -> BulkContext:
        api = BulkApi(self.runtime.client)
        self._observe_export_spending(api)  # after these calls we know Marketo's clock
        return BulkContext(
            runtime=self.runtime,
            api=api,
            now=(self.runtime.client.server_now() - SETTLE).replace(microsecond=0),
            raw_output=self.raw_output,
            selected={c.stream.name: c.stream.json_schema for c in self.streams},
            full_refresh={c.stream.name: c.sync_mode == SyncMode.full_refresh for c in self.streams},
            states=self.state,
        )

    def _read(self, context: BulkContext) -> Iterator[Any]:
        runtime, settings = self.runtime, self.runtime.settings
        leads_lane = LeadsLane(context, metadata.lead_fields(runtime)) if LEADS in context.selected else None
        activities_lane = None
        per_type = [stream for stream in type_streams(metadata.activity_types(runtime)) if stream.name in context.selected] if any(map(is_type_stream, context.selected)) else []
        if ACTIVITIES in context.selected or ATTRIBUTES in context.selected or per_type:
            types = settings.activity_type_ids  # None: every type, no activityTypeIds filter at all
            if types is not None:
                metadata.validate_activity_type_ids(settings, metadata.activity_types(runtime))
            activities_lane = ActivitiesLane(context, types, per_type)
        self._delete_streams = ([ACTIVITIES] if ACTIVITIES in context.selected and self._wants_deletes(settings.activity_type_ids) else []) + \
            [stream.name for stream in per_type if stream.type_id == DELETE_LEAD]
        members_lane = ProgramMembersLane(context, metadata.program_member_fields(runtime), metadata.program_ids(runtime)) if PROGRAM_MEMBERS in context.selected else None
        object_lanes = self._object_lanes(context)
        self._lanes = [lane for lane in (leads_lane, activities_lane, members_lane, *object_lanes) if lane is not None]
        self._survey(context)
        scheduler = ExportScheduler(context.api, context.export_rows, runtime.exports, runtime.client.marketo_clock, runtime.logger, settings.status_poll_interval)
        scheduler.timer.learn_listed(self._listed_jobs)
        try:
            yield from scheduler.run(self._lanes)
        except Exception:
            yield from scheduler.final_states()  # export ids created since the last checkpoint are kept
            raise
        finally:
            runtime.jobs_created += scheduler.jobs_created
            runtime.jobs_reused += scheduler.jobs_reused
        self.errors.extend(scheduler.lane_errors())
        self._failed_streams |= {stream for lane in self._lanes if scheduler.failed(lane) for stream in lane.streams}
        lead_removals = leads_lane is not None and not scheduler.failed(leads_lane)
        delete_activities = activities_lane is not None and bool(self._delete_streams)
        if delete_activities:  # each stream's own checkpoint: one added since scans from its start
            self._delete_marks = [parse_cursor(context.input_state(stream).get("deletes_through")) for stream in self._delete_streams]
            activities_lane.deletes_through = None if None in self._delete_marks else min(self._delete_marks)
        # activities/deletedleads.json feeds both: read it once, from where the earlier of them resumes.
        # Each scan resumes from its own checkpoint, never the bulk cursor: a run that stopped before
        # the scan must not make the next one skip it.
        starts = ([resume_point(settings, leads_lane.deletions_through)] if lead_removals else []) + ([resume_point(settings, activities_lane.deletes_through)] if delete_activities else [])
        if starts and scheduler.limit is not None and min(starts) >= context.now - DEFER_REMOVALS:
            # A run stopped at the day's export cap leaves its scans to the next run, from the same checkpoints:
            # a backfill over several Marketo days pays for them once, not once a day.
            kinds = " and ".join((["deleted and merged leads"] if lead_removals else []) + (["Delete Lead activities"] if delete_activities else []))
            runtime.logger.info(f"The {kinds} since {cursor_text(min(starts))} are read by the next sync (this one stopped at "
                                "the daily export limit; their checkpoints are kept, and a scan waits at most "
                                f"{DEFER_REMOVALS.days} days: Marketo may prune deletions after 14).")
            starts, lead_removals, delete_activities = [], False, False
        deleted = list(removals.deleted_leads(runtime, min(starts))) if starts else []
        if lead_removals:
            yield from self._lead_removals(context, leads_lane, deleted)
        if delete_activities:
            yield from self._delete_activities(context, activities_lane, deleted)
        yield from scheduler.final_states()  # every stream ends with a checkpoint, even when nothing was exported
        if scheduler.limit is not None:
            raise scheduler.limit

    def _survey(self, context: BulkContext) -> None:
        """Lanes far behind learn where their data begins before exporting anything; the plan is logged."""
        planned = []
        for lane in self._lanes:
            if not isinstance(lane, PlannedLane):
                continue  # no date windows to plan
            if lane.plan.learned is not None:  # earlier runs exported here: the data's beginning is behind, its rate known
                self._sample(lane)  # far behind, or a sample kept from an earlier run that this one may outrun (take_sample)
                if lane.far_behind():
                    planned.append(lane)
                continue
            try:
                lane.apply(lane.take_survey())
            except MarketoRequestError as error:  # the survey only saves work: without it, nothing is skipped
                self.runtime.logger.warning(f"{lane.name}: could not survey where the data begins ({user_message(error)}); exporting from {cursor_text(lane.plan.position)}.")
                continue
            self._sample(lane)
            planned.append(lane)
        if planned:
            self.runtime.logger.info(backfill_plan(planned, self.runtime.exports, self.runtime.settings.start_date))

    def _sample(self, lane: PlannedLane) -> None:
        try:
            lane.take_sample()
        except MarketoRequestError as error:  # a sample only sizes windows better: without it, the rates and censuses do
            self.runtime.logger.warning(f"{lane.name}: could not sample the data ({user_message(error)}); windows are sized from its rate.")

    def _progress(self) -> str:
        return "Done so far: " + "; ".join(lane.progress() for lane in self._lanes) + "."

    def _object_streams(self) -> List[CustomObjectStream]:
        """The selected custom object streams, described once; one that cannot be read fails alone."""
        if self._objects is None:
            self._objects, problems = selected_streams(self.runtime, [c.stream.name for c in self.streams if is_custom_object_stream(c.stream.name)])
            for stream, failure in problems.items():
                self._fail_alone(stream, failure)
        return self._objects

    def _fail_alone(self, stream: str, failure: ExportFailed) -> None:
        """``stream`` cannot be read this run; the others go on."""
        self.runtime.logger.error(failure.message)  # it names the stream
        self.errors.append(failure)
        self._failed_streams.add(stream)
        self._objects = [item for item in self._objects or [] if item.name != stream]

    def _object_lanes(self, context: BulkContext) -> List[CustomObjectLane]:
        """A lane per readable custom object stream; a stream whose state was written for another object
        (a new object took its name: names come from the sorted API names) fails instead of applying
        that object's cursor to this one."""
        lanes = []
        for stream in self._object_streams():
            saved = context.input_state(stream.name).get("api_name")
            if saved is not None and saved != stream.object.api_name:
                self._fail_alone(stream.name, ExportFailed(
                    f"{stream.name}: its saved state is for the custom object {saved}, but the stream now reads {stream.object.api_name} "
                    "(an object added in Marketo took the name); refresh the source schema and reset this stream", FailureType.config_error))
                continue
            lanes.append(CustomObjectLane(context, stream))
        return lanes

    def _observe_export_spending(self, api: BulkApi) -> None:
        """Today's export megabytes of this API user, from the job lists (this also reads Marketo's clock);
        the job list of each selected custom object too: their files count against the same day."""
        kinds = ["leads", "activities"] + ([MEMBER_KIND] if PROGRAM_MEMBERS in {c.stream.name for c in self.streams} else [])
        listed = [(kind, job) for kind in kinds for job in api.list_jobs(kind, "Completed")]
        for stream in self._object_streams():  # an object's job list refused or failing stops that object alone
            try:
                listed += [(stream.kind, job) for job in api.list_jobs(stream.kind, "Completed")]
            except MarketoRequestError as error:
                self._fail_alone(stream.name, ExportFailed(f"{stream.name}: listing the custom object's export jobs failed ({user_message(error)})", error.failure_type))
        self._listed_jobs = listed  # they also tell how long Marketo takes to process a job (timing.py)
        today = marketo_day(self.runtime.client.server_now())  # after a reply: Marketo's day, not ours
        spent = 0
        for _, job in listed:
            try:
                if job.get("finishedAt") and marketo_day(parse_datetime(str(job["finishedAt"]))) == today:
                    spent += int(job.get("fileSize") or 0)
            except ValueError:
                continue
        self.runtime.exports.observe_spent(spent)

    @staticmethod
    def _wants_deletes(type_ids) -> bool:
        return type_ids is None or DELETE_LEAD in type_ids

    def _lead_removals(self, context: BulkContext, lane: LeadsLane, deleted: List[Dict[str, Any]]) -> Iterator[Any]:
        """Deleted and merged-away leads become leads rows with ``deleted_at`` (and ``updated_at``) set; a
        merged-away lead's row also names the lead it was merged into (``merged_into_lead_id``)."""
        since = resume_point(self.runtime.settings, lane.deletions_through)
        scan_started = context.now
        sink = context.sink(LEADS)
        blank = {column: None for column, _, _ in lane.columns}
        for removal in _from(deleted, since) + list(removals.merged_leads(self.runtime, since)):
            row = dict(blank)
            row.update({"id": removal["lead_id"], "updated_at": removal["deleted_at"], "deleted_at": removal["deleted_at"]})
            if "merged_into_lead_id" in row:  # selected (it is, unless a user left it out of the catalog)
                row["merged_into_lead_id"] = removal.get("winner_id")
            sink.append(sink.line_of(row))
            if sink.full:
                yield from sink.drain()
        yield from sink.drain()
        context.count(LEADS, sink.count)
        lane.deletions_through = scan_started
        yield state_message(LEADS, lane.state())

    def _delete_activities(self, context: BulkContext, lane: ActivitiesLane, deleted: List[Dict[str, Any]]) -> Iterator[Any]:
        """Delete Lead (37) is not in bulk exports: its activities come from ``activities/deletedleads.json``,
        to lead_activities and to its own per-type stream, whichever are selected."""
        since = resume_point(self.runtime.settings, lane.deletes_through)
        sinks = [context.sink(stream) for stream in self._delete_streams]
        sinces = [resume_point(self.runtime.settings, mark) for mark in self._delete_marks]  # each stream from its own checkpoint
        for removal in _from(deleted, since):
            item = removal["activity"]
            row = {
                "id": str(item.get("marketoGUID") or item.get("id")),
                "activity_id": item.get("id") if isinstance(item.get("id"), int) else None,
                "lead_id": to_integer(item.get("leadId")),  # as for every activity; the tombstone names the deleted lead
                "campaign_id": item.get("campaignId"),
                "primary_attribute_value_id": item.get("primaryAttributeValueId"),
                "primary_attribute_value": item.get("primaryAttributeValue"),
                "activity_type_id": DELETE_LEAD,
                "activity_date": removal["deleted_at"],
            }
            for sink, after in zip(sinks, sinces):
                if removal["deleted_at"] is None or parse_datetime(removal["deleted_at"]) >= after:
                    sink.append(sink.line_of(row))
                if sink.full:
                    yield from sink.drain()
        lane.deletes_through = context.now
        for sink in sinks:
            yield from sink.drain()
            context.count(sink.stream, sink.count)
            if sink.stream == ACTIVITIES:
                yield state_message(sink.stream, lane.state_of(sink.stream))
            else:  # Delete Lead's own stream: its cursor never goes back (a state from the future stays)
                cursor = max(filter(None, [parse_cursor(context.input_state(sink.stream).get("activity_date")), lane.deletes_through]))
                yield state_message(sink.stream, {"activity_date": cursor_text(cursor), "deletes_through": cursor_text(lane.deletes_through)})


def _from(deleted: List[Dict[str, Any]], since: datetime) -> List[Dict[str, Any]]:
    """The deletions at or after ``since`` (one consumer's start) of a scan that began at the earliest start."""
    return [removal for removal in deleted if removal["deleted_at"] is None or parse_datetime(removal["deleted_at"]) >= since]


def backfill_plan(lanes: List[Any], budget: Any, start_date: datetime) -> str:
    """One line for the log: per lane what is to be exported and why from there, about how many
    megabytes and jobs, and how many Marketo days that takes at the day's export cap."""
    parts, total = [], 0.0
    for lane in lanes:
        plan, survey = lane.plan, lane.survey
        days = max((plan.end - plan.position).total_seconds() / 86400, 0.0)
        # Between the beginning's density and the newest day's, for a plan from the survey alone.
        fresh = survey is not None and plan.learned is None
        rate = survey.mean_bytes_per_day if fresh and survey.mean_bytes_per_day is not None else plan.bytes_per_day()
        megabytes, known = rate * days / MEGABYTE, plan.rate_known_from()
        if fresh and survey.total_rows and plan.bytes_per_row:  # leads: each once, however their updates spread
            megabytes, known = survey.total_rows * plan.bytes_per_row / MEGABYTE, f"about {survey.total_rows:,} leads by their ids"
            rate = megabytes * MEGABYTE / max(days, 1.0)
        total += megabytes
        windows = max(1, -(-int(days) // max(plan.max_window.days, 1)))
        if survey is None:
            begins = "continuing the backfill of earlier runs"
        elif not survey.conclusive:
            begins = "where the data begins could not be told"
        else:
            begins = f"the data begins {cursor_text(survey.begins)} ({survey.source})" if survey.begins else "no data found"
        skipped = f"; nothing to export from the start date {cursor_text(start_date)} until then" if fresh and plan.position > start_date + timedelta(days=1) else ""
        parts.append(f"{lane.name} {cursor_text(plan.position)}..{cursor_text(plan.end)}: {begins}{skipped}; about {windows} "
                     f"windows of up to {plan.max_window.days} days x {len(lane.parts())} export(s), about {megabytes:,.1f} MB at "
                     f"{rate / MEGABYTE:,.3f} MB a day (from {known})")
    cap, left = budget.cap_bytes / MEGABYTE, budget.left_today() / MEGABYTE
    days_needed = 1 if total <= left else 1 + -(-int(total - left) // max(int(cap), 1))
    return (f"Backfill plan: {' | '.join(parts)}. In all about {total:,.0f} MB: {days_needed} Marketo day(s) at the cap of "
            f"{cap:,.0f} MB a day ({left:,.0f} MB left today). Progress is in the heartbeat and a stop's message.")
