"""Ground truth for tests: the current objects of every collection, in exactly the shapes the API
returns (REST-typed lead values, `Z+0000` asset datetimes), plus what changed since a time.
"""
from __future__ import annotations

from datetime import datetime

from .activities import Query
from .activity_types import types_result
from .assets import KINDS
from .timefmt import parse_input, rest_datetime, to_ms


def _ms(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_ms(value)
    if isinstance(value, (int, float)):
        return int(value)
    return parse_input(str(value))


class Truth:
    def __init__(self, emulator) -> None:
        self._emulator = emulator

    @property
    def _state(self):
        return self._emulator.state

    def leads(self) -> list[dict]:
        """Every live lead with every REST field, ordered by id."""
        state = self._state
        with state.lock:
            return [state.leads.record(i) for i in state.leads.live_ids()]

    def lead(self, lead_id: int) -> dict | None:
        with self._state.lock:
            return self._state.leads.record(int(lead_id))

    def deleted_leads(self) -> list[dict]:
        state = self._state
        with state.lock:
            return [{"id": i, "deletedAt": rest_datetime(ms), "name": state.leads.name_of(i)}
                    for i, ms in sorted(state.leads.state.deleted.items())]

    def merged_leads(self) -> list[dict]:
        state = self._state
        with state.lock:
            return [{"id": loser, "mergedInto": winner, "survivor": state.leads.resolve(loser),
                     "mergedAt": rest_datetime(ms)} for loser, (winner, ms) in sorted(state.leads.state.merged.items())]

    def activities(self, type_ids=None, since=None, until=None) -> list[dict]:
        """Visible activities (as `activities.json` returns them) with since <= activityDate <= until."""
        state = self._state
        query = Query(type_ids=frozenset(int(t) for t in type_ids) if type_ids else None)
        start = _ms(since) if since is not None else 0
        end = _ms(until) if until is not None else state.now_ms()
        with state.lock:
            return list(state.activities.between(start, end, query))

    def activity_types(self) -> list[dict]:
        return types_result()

    def assets(self, kind: str) -> list[dict]:
        if kind not in KINDS:
            raise KeyError(f"unknown asset kind {kind!r}; one of {KINDS}")
        with self._state.lock:
            return self._state.assets.all(kind)

    def program(self, program_id: int) -> dict | None:
        """A program as `program/{id}.json` returns it: the browse record plus `tags` and `costs`."""
        with self._state.lock:
            return self._state.assets.program(int(program_id))

    def form_fields(self, form_id: int, status: str | None = None) -> list[dict] | None:
        """`form/{id}/fields.json` of the approved version (or of `status`)."""
        with self._state.lock:
            return self._state.assets.form_fields(int(form_id), status)

    def program_members(self, program_id: int | None = None) -> list[dict]:
        """Members (every field, as members.json returns them, without `seq`) of one program or of all,
        by program id then lead id."""
        state = self._state
        with state.lock:
            ids = [int(program_id)] if program_id is not None else sorted(state.members.profiles)
            return [record for pid in ids for record in state.members.records(pid)]

    def list_members(self, list_id: int) -> list[int]:
        """Ids of the live leads now in a static list (what lists/{id}/leads.json and a bulk lead
        export with staticListId return), ascending."""
        with self._state.lock:
            return self._state.leads.list_members(int(list_id))

    def companies(self) -> list[dict]:
        """Every company (every field), by id."""
        return [dict(company) for company in self._state.crm.companies]

    def opportunities(self) -> list[dict]:
        return [dict(opportunity) for opportunity in self._state.crm.opportunities]

    def opportunity_roles(self) -> list[dict]:
        """Roles of live leads (a merged loser's name the winner), by opportunity."""
        with self._state.lock:
            return self._state.crm.roles()

    def custom_object_types(self) -> list[str]:
        return list(self._state.custom_objects.types)

    def custom_objects(self, api_name: str) -> list[dict]:
        """Every record of a custom object (every field, describe order), by lead id then ordinal:
        what an updatedAt export over all time holds; records of deleted leads are gone, a merged
        loser's are the winner's."""
        state = self._state
        if api_name not in state.custom_objects.types:
            raise KeyError(f"unknown custom object {api_name!r}; one of {list(state.custom_objects.types)}")
        with state.lock:
            return list(state.custom_objects.all(api_name))

    def tokens(self, program_id: int) -> list[dict]:
        with self._state.lock:
            return list(self._state.assets.tokens.get(int(program_id), []))

    def lists(self) -> list[dict]:
        with self._state.lock:
            return self._state.assets.lead_lists()

    def campaigns(self) -> list[dict]:
        with self._state.lock:
            return self._state.assets.lead_campaigns()

    def changed_since(self, ts) -> dict:
        """Leads created/updated/deleted/merged, activities and assets changed after `ts`."""
        since = _ms(ts)
        state = self._state
        with state.lock:
            leads = state.leads
            far = state.now_ms() + 10 * 365 * 86_400_000
            return {
                "since": rest_datetime(since),
                "leads_created": leads.ids_created_between(since + 1, far),
                "leads_updated": leads.ids_updated_between(since + 1, far),
                "leads_deleted": sorted(i for i, ms in leads.state.deleted.items() if ms > since),
                "leads_merged": sorted(({"id": loser, "mergedInto": winner} for loser, (winner, ms)
                                        in leads.state.merged.items() if ms > since), key=lambda m: m["id"]),
                "activities": list(state.activities.between(since + 1, far, Query())),
                "assets": state.assets.changed_since(since),
            }
