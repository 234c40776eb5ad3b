"""program_members: Bulk Program Member Extract, ten programs per job, through the same scheduler as leads.

Marketo (marketo-api.md 4.6, 6.2): ``POST /bulk/v1/program/members/export/create.json`` with
``filter.programIds`` (at most 10; the file then starts with a ``programId`` column) and optionally
``filter.updatedAt`` (at most 31 days; 1035 on subscriptions without it); ``fields`` from
``programs/members/describe.json`` (custom program member fields included). The jobs share the
2 processing / 10 queued slots and the day's export megabytes with leads and activities.

A sync is a *pass* over every program, one export per group of ten: the first sync (or one whose
window, the lookback included, would pass 31 days) exports every member of the group; the next ones
only the members updated since the cursor (less the lookback), except for programs no completed pass
had (``known_programs``), which go whole. The pass is kept in state (its window, the programs done,
the exports made), so a sync that stops continues it, over the programs there are then; the cursor
moves to the pass's end once every program is in. Without the ``updatedAt`` filter (1035), every
pass exports every member: correct, and as costly as the first sync, each time (docs/behavior.md
says so).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from source_marketo.components.budget import LimitReached
from source_marketo.components.bulk.context import BulkContext
from source_marketo.components.bulk.csv_rows import ExportRows
from source_marketo.components.bulk.jobs import ExportJob, ExportSpec, Window
from source_marketo.components.bulk.records import emit_rows
from source_marketo.components.bulk.state import state_message
from source_marketo.components.bulk.windows import MIN_ESTIMATE, Hold, Room, cursor_text, parse_cursor
from source_marketo.components.errors import Action, Decision
from source_marketo.components.metadata import MemberField
from source_marketo.components.naming import column_names
from source_marketo.components.types import schema_kind

PROGRAM_MEMBERS = "program_members"
KIND = "program/members"
CURSOR = "updated_at"
GROUP = 10  # programIds takes at most ten
FULL_AFTER = timedelta(days=31)  # the updatedAt filter spans 31 days: further behind, a full pass is one job a group
MODE_UPDATED_AT, MODE_FULL = "updated_at_filter", "full_passes"
MODE_RECHECK = timedelta(days=7)
# A guess, until a group's export shows how many bytes a program's members take; with little of the
# day's budget left, a group goes program by program, so a wrong guess costs at most one program's
# members (docs/behavior.md: the honest limitation).
PRIOR_BYTES_PER_PROGRAM = 256 * 1024
MARGIN = 2.0


def member_columns(fields: Sequence[MemberField]) -> Dict[str, str]:
    """API name -> column (``programId`` -> ``program_id``, ``leadId`` -> ``lead_id``...)."""
    return column_names([field.name for field in fields])


class ProgramMembersLane:
    name = "program members"
    streams = [PROGRAM_MEMBERS]

    def __init__(self, context: BulkContext, fields: Sequence[MemberField], program_ids: Sequence[int]) -> None:
        self.context = context
        settings = context.runtime.settings
        state = context.input_state(PROGRAM_MEMBERS)
        self.cursor = parse_cursor(state.get(CURSOR))
        checked_at = parse_cursor(state.get("mode_checked_at"))
        recent = checked_at is not None and context.now - checked_at < MODE_RECHECK
        self.mode = MODE_FULL if state.get("mode") == MODE_FULL and recent else MODE_UPDATED_AT
        self.mode_checked_at = checked_at if self.mode == MODE_FULL else None
        self.columns = self._columns(fields, context.selected[PROGRAM_MEMBERS])
        self.export_fields = tuple(dict.fromkeys(["leadId", "updatedAt"] + [source for _, source, _ in self.columns if source and source != "programId"]))
        self.bytes_per_program = _positive(state.get("bytes_per_program"))
        self.programs = sorted(set(program_ids))
        known = state.get("known_programs")
        # The programs every member of which is in the destination (a completed pass had them); None: not
        # noted (a state from before this was kept), taken as all of them.
        self.known: Optional[set] = {int(p) for p in known if str(p).isdigit()} if isinstance(known, list) else None
        saved = state.get("pass") if isinstance(state.get("pass"), Mapping) else {}
        self.until = parse_cursor(saved.get("until")) if saved else None
        self.since = parse_cursor(saved.get("since")) if saved else None
        if self.until is None:  # a new pass
            self.until = context.now
            since = None if self.cursor is None else max(settings.start_date, self.cursor - settings.lookback)
            # The updatedAt filter spans 31 days at most: further behind (the lookback included), a full pass.
            behind = since is None or self.until - since > FULL_AFTER or self.mode == MODE_FULL
            self.since = None if behind else since
            # A cursor at or past now (a state from the future): nothing to read in this pass.
            self.done: set = set(self.programs) if self.since is not None and self.since >= self.until else set()
        else:
            # The pass goes on over the programs there are now: one deleted since is no longer asked for, one
            # added is asked for in this pass (whatever the list's size: a pass that takes days must end).
            if self.since is not None and self.until - self.since > FULL_AFTER:
                self.since = None  # a window Marketo refuses (1003, over 31 days): what is left goes whole
            self.done = {int(p) for p in saved.get("done") or [] if str(p).isdigit()} & set(self.programs)
        self._saved = [entry for entry in state.get("pending_exports") or [] if isinstance(entry, Mapping)]
        # New to this pass's filter: programs no completed pass had (one created, or one the API user can
        # see only now), exported whole, since their members' updates may be older than the window.
        self._fresh = set() if self.since is None or self.known is None else set(self.programs) - self.known
        self._todo: List[int] = sorted((p for p in self.programs if p not in self.done), key=lambda p: (p in self._fresh, p))
        self._pending: List[Dict[str, Any]] = []

    # --- the Lane protocol ------------------------------------------------------------------

    def resume(self) -> List[ExportJob]:
        """Saved exports of this pass whose request is still what would be asked now."""
        jobs = []
        for entry in self._saved:
            group = tuple(int(p) for p in entry.get("program_ids") or [])
            spec = self._spec(group)
            if entry.get("export_id") and entry.get("key") == spec.key and group and set(group) <= set(self._todo):
                self._todo = [p for p in self._todo if p not in group]
                jobs.append(ExportJob(spec, export_id=str(entry["export_id"]), reused=True))
        self._saved = []
        return jobs

    def next_export(self, room: Room) -> Union[ExportSpec, Hold, None]:
        """The next programs, ten at most: as many as what is left of the day's budget holds."""
        if not self._todo:
            return None
        fresh = self._todo[0] in self._fresh
        alike = next((i for i, p in enumerate(self._todo) if (p in self._fresh) != fresh), len(self._todo))  # one filter a job
        for size in range(min(GROUP, alike), 0, -1):
            spec = self._spec(tuple(self._todo[:size]))
            if self.estimate(spec) <= room.free:
                del self._todo[:size]
                return spec
        return Hold.WAIT if room.reserved else Hold.STOP

    def estimate(self, spec: ExportSpec) -> int:
        per_program = self.bytes_per_program or PRIOR_BYTES_PER_PROGRAM
        share = 1.0 if not spec.filter_name else min(1.0, max(spec.window.days, 1 / 24) / FULL_AFTER.days)
        return max(int(per_program * len(spec.program_ids or ()) * share * MARGIN), MIN_ESTIMATE)

    def refused(self, spec: ExportSpec, decision: Decision) -> Optional[List[ExportSpec]]:
        """Without the ``updatedAt`` filter (1035): every member of the group, and full passes from now on.
        A program deleted since the list was read (1003 naming it "not found"): the group is asked for in
        halves until that program is alone, and it is left out once the Asset API says it is gone."""
        if decision.action is not Action.UNSUPPORTED_FILTER and decision.ask_for_less and _not_found(decision):
            if len(spec.program_ids or ()) > 1:
                return self.halves(spec)
            gone = (spec.program_ids or (None,))[0]
            if gone is None or not self._gone(gone):
                return None  # the program is there: the refusal is about something else, in Marketo's words
            self.done.add(gone)
            self.context.runtime.logger.warning(f"Program {gone} is no longer in Marketo ({decision.reason}): it has no members to export.")
            self._complete_if_done()
            return []
        if decision.action is not Action.UNSUPPORTED_FILTER or not spec.filter_name:
            return None
        self.mode, self.mode_checked_at, self.since = MODE_FULL, self.context.now, None
        self.context.runtime.logger.warning(
            "This Marketo subscription does not support the bulk program member 'updatedAt' filter (1035): every sync "
            "exports every member of every program (ten programs a job), as the first sync does."
        )
        return [replace(spec, filter_name="")]

    def _gone(self, program: int) -> bool:
        """Whether Marketo says there is no program ``program`` (the Asset API's 702), asked once; any other
        answer, or a failure to ask, is taken as there: a program is never left out on a guess."""
        try:
            reply = self.context.runtime.client.get(f"/rest/asset/v1/program/{program}.json", accept=(Action.MISSING,))
        except LimitReached:
            raise  # a daily limit: the clean stop, as for any call
        except Exception:  # noqa: BLE001 - the lane then stops with Marketo's refusal, which says more
            return False
        if reply.decision.action is Action.MISSING:
            return True
        envelope = reply.envelope
        return envelope is not None and (envelope.no_assets_found or not envelope.result)

    def halves(self, spec: ExportSpec) -> Optional[List[ExportSpec]]:
        programs = spec.program_ids or ()
        if len(programs) < 2:
            return None
        middle = len(programs) // 2
        return [replace(spec, program_ids=programs[:middle]), replace(spec, program_ids=programs[middle:])]

    def read(self, job: ExportJob, rows: ExportRows) -> Iterator[Any]:
        sink = self.context.sink(PROGRAM_MEMBERS)
        yield from emit_rows(sink, rows, self.columns)
        self.context.count(PROGRAM_MEMBERS, sink.count)
        programs = job.spec.program_ids or ()
        if job.file_size is not None and programs and not job.spec.filter_name:
            # The largest seen, not an average: programs differ tenfold in members, and near the cap an
            # estimate below a program's size would overrun it.
            self.bytes_per_program = max(job.file_size / len(programs) * (2 if len(programs) > 1 else 1), self.bytes_per_program or 0.0)
        self.done.update(programs)
        self._complete_if_done()

    def _complete_if_done(self) -> None:
        if self.done >= set(self.programs):
            self.cursor = max(filter(None, [self.cursor, self.until]))
            self.known = set(self.programs)  # every member of each is in: the next passes may filter them

    def checkpoint(self, jobs: List[ExportJob]) -> Iterator[Any]:
        self._pending = [{"program_ids": list(job.spec.program_ids or ()), "export_id": job.export_id, "key": job.spec.key}
                         for job in jobs if job.export_id]
        yield state_message(PROGRAM_MEMBERS, self.state())

    def likely_rest(self, past_now: timedelta) -> Optional[int]:
        return None  # programs, not dates: no rate to tell what the rest holds

    def progress(self) -> str:
        return f"program members: {len(self.done & set(self.programs))} of {len(self.programs)} programs of this pass"

    def far_behind(self) -> bool:
        return False  # no survey: a full pass is one export per ten programs, whatever the start date

    # --- state and shape ----------------------------------------------------------------------

    def state(self) -> Dict[str, Any]:
        complete = self.done >= set(self.programs)
        state: Dict[str, Any] = {"mode": self.mode, "pending_exports": self._pending}
        if self.cursor is not None:
            state[CURSOR] = cursor_text(self.cursor)
        if not complete:
            state["pass"] = {"since": cursor_text(self.since) if self.since else None, "until": cursor_text(self.until),
                             "programs": len(self.programs), "done": sorted(self.done)}
        if self.known is not None:
            state["known_programs"] = sorted(self.known)
        if self.bytes_per_program is not None:
            state["bytes_per_program"] = round(self.bytes_per_program)
        if self.mode_checked_at is not None:
            state["mode_checked_at"] = cursor_text(self.mode_checked_at)
        return state

    def _spec(self, programs: Tuple[int, ...]) -> ExportSpec:
        start = self.since or self.until
        if self.since is None or (programs and programs[0] in self._fresh):
            return ExportSpec(KIND, Window(start, self.until), "", self.export_fields, program_ids=programs)
        return ExportSpec(KIND, Window(start, self.until), "updatedAt", self.export_fields, program_ids=programs)

    @staticmethod
    def _columns(fields: Sequence[MemberField], schema: Mapping[str, Any]) -> List[Tuple[str, str, str]]:
        by_column = {column: api for api, column in member_columns(fields).items()}
        properties = schema.get("properties") or {}
        wanted = [(column, by_column.get(column, ""), schema_kind(prop)) for column, prop in properties.items()]
        for column, source, kind in (("program_id", "programId", "integer"), ("lead_id", "leadId", "integer"), ("updated_at", "updatedAt", "datetime")):
            if column not in properties:
                wanted.append((column, source, kind))
        return wanted


def _not_found(decision: Decision) -> bool:
    """A 1003 that may name a program Marketo does not have (the wording is unconfirmed: the program is
    then looked up before it is left out)."""
    reason = (decision.reason or "").lower()
    return "not found" in reason or "does not exist" in reason


def _positive(value: Any) -> Optional[float]:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None
