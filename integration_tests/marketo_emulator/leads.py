"""The lead database: generated base leads plus overlays for everything that changed since.

Base leads (ids 1..n) come from `LeadFactory`; leads created later (ticks) get the next ids.
Changes are overlays: changed field values, new `updatedAt`, deletions, merges (loser -> winner).
A `LeadView` reads a `LeadState`; `LeadStore.snapshot()` copies the (small) state so a bulk
export sees the database as it was when the job started processing, as Marketo's does.
"""
from __future__ import annotations

import bisect
from array import array
from dataclasses import dataclass, field

from .fields import BY_REST_NAME
from .leadgen import LeadFactory, finish_computed
from .timefmt import rest_datetime


@dataclass
class LeadState:
    extra_created: list[int] = field(default_factory=list)  # createdAt ms of ids n_base+1...
    changes: dict[int, dict] = field(default_factory=dict)  # id -> changed REST values (replaced, never mutated)
    updated: dict[int, int] = field(default_factory=dict)  # id -> updatedAt ms after a change
    deleted: dict[int, int] = field(default_factory=dict)  # id -> deletion ms
    merged: dict[int, tuple[int, int]] = field(default_factory=dict)  # loser -> (winner, ms)
    emails: dict[str, int] = field(default_factory=dict)  # changed email -> id
    # static list membership changed by ticks: list id -> leads added / removed (over the generated membership)
    list_added: dict[int, set[int]] = field(default_factory=dict)
    list_removed: dict[int, set[int]] = field(default_factory=dict)

    def copy(self) -> "LeadState":
        return LeadState(list(self.extra_created), dict(self.changes), dict(self.updated), dict(self.deleted),
                         dict(self.merged), dict(self.emails), {k: set(v) for k, v in self.list_added.items()},
                         {k: set(v) for k, v in self.list_removed.items()})


class LeadView:
    """Read access to leads as of one state."""

    def __init__(self, factory: LeadFactory, state: LeadState, seed: int, index: "UpdatedIndex") -> None:
        self.factory = factory
        self.state = state
        self.seed = seed
        self._index = index

    @property
    def max_id(self) -> int:
        return self.factory.n_base + len(self.state.extra_created)

    def is_live(self, lead_id: int) -> bool:
        return 1 <= lead_id <= self.max_id and lead_id not in self.state.deleted and lead_id not in self.state.merged

    def created_ms(self, lead_id: int) -> int:
        if lead_id > self.factory.n_base:
            return self.state.extra_created[lead_id - self.factory.n_base - 1]
        return self.factory.created_ms(lead_id)

    def updated_ms(self, lead_id: int) -> int:
        if lead_id in self.state.updated:
            return self.state.updated[lead_id]
        if lead_id > self.factory.n_base:
            return self.created_ms(lead_id)
        return self.factory.updated_ms(lead_id, self.factory.created_ms(lead_id))

    def record(self, lead_id: int) -> dict | None:
        """Every REST field of a live lead, typed like `leads.json` returns them."""
        if not self.is_live(lead_id):
            return None
        return self.any_record(lead_id)

    def any_record(self, lead_id: int) -> dict:
        """The last known values of a lead, live or not (deleted leads keep their name for 37 activities)."""
        created = self.created_ms(lead_id)
        record = self.factory.record(lead_id, created)
        record["updatedAt"] = rest_datetime(self.updated_ms(lead_id))
        if lead_id in self.state.changes:
            record.update(self.state.changes[lead_id])
            finish_computed(record)
        return record

    def select(self, lead_id: int, names: list[str]) -> dict | None:
        record = self.record(lead_id)
        if record is None:
            return None
        return {name: record.get(name) for name in names}

    def live_ids(self):
        deleted, merged = self.state.deleted, self.state.merged
        for lead_id in range(1, self.max_id + 1):
            if lead_id not in deleted and lead_id not in merged:
                yield lead_id

    def is_plain(self, lead_id: int) -> bool:
        """True when the lead is exactly its generated base version (fast CSV path applies)."""
        return lead_id <= self.factory.n_base and lead_id not in self.state.changes and lead_id not in self.state.updated

    # -- filters -----------------------------------------------------------------------------
    def ids_for_values(self, filter_type: str, values: list[str]) -> list[int]:
        """Live ids matching a leads.json filterType (sorted)."""
        if filter_type == "id":
            ids = {int(v) for v in values if v.strip().lstrip("-").isdigit()}
            return sorted(i for i in ids if self.is_live(i))
        if filter_type == "email":
            return self._ids_by_email(values)
        if filter_type in ("industryVertical__c", "billingContactEmail", "seatCount", "leadPartitionId"):
            wanted = set(values)
            return [i for i in self.live_ids() if _as_text(self.record(i).get(filter_type)) in wanted]
        return []  # cookies, sfdc* ... : never populated here

    def _ids_by_email(self, values: list[str]) -> list[int]:
        found = set()
        for value in values:
            email = value.strip().lower()
            if email in self.state.emails:
                found.add(self.state.emails[email])
            parts = email.split("@")[0].rsplit(".", 1)
            if len(parts) == 2 and parts[1].isdigit():
                found.add(int(parts[1]))
        return sorted(i for i in found if self.is_live(i) and (self.record(i)["email"] or "").lower() in
                      {v.strip().lower() for v in values})

    def ids_created_between(self, start_ms: int, end_ms: int) -> list[int]:
        first = self.factory.first_id_created_at_or_after(start_ms)
        ids = []
        lead_id = first
        while lead_id <= self.max_id:
            created = self.created_ms(lead_id)
            if created > end_ms:
                break
            if created >= start_ms and self.is_live(lead_id):
                ids.append(lead_id)
            lead_id += 1
        return ids

    def ids_updated_between(self, start_ms: int, end_ms: int) -> list[int]:
        """Live ids whose LATEST update falls in [start, end] (Marketo's bulk `updatedAt` filter)."""
        changed = self.state.updated
        ids = [i for i in self._index.ids_between(start_ms, end_ms) if i not in changed and self.is_live(i)]
        ids += [i for i, ms in changed.items() if start_ms <= ms <= end_ms and self.is_live(i)]
        base = self.factory.n_base
        ids += [base + 1 + k for k, ms in enumerate(self.state.extra_created)
                if base + 1 + k not in changed and start_ms <= ms <= end_ms and self.is_live(base + 1 + k)]
        return sorted(ids)

    def in_static_list(self, list_id: int, lead_id: int) -> bool:
        """Generated membership (a hash of list and lead), changed by ticks' adds and removes."""
        added = self.state.list_added.get(list_id)
        if added and lead_id in added:
            return True
        removed = self.state.list_removed.get(list_id)
        if removed and lead_id in removed:
            return False
        return _member(self.seed, list_id, lead_id, 5 + list_id % 20)

    def list_members(self, list_id: int) -> list[int]:
        """Live members of a static list, by id."""
        return [i for i in self.live_ids() if self.in_static_list(list_id, i)]

    def in_smart_list(self, list_id: int, lead_id: int) -> bool:
        return _member(self.seed, list_id + 7919, lead_id, 10 + list_id % 30)

    def resolve(self, lead_id: int) -> int:
        """Follow merges: the id that now owns this lead's history."""
        seen = 0
        while lead_id in self.state.merged and seen < 100:
            lead_id = self.state.merged[lead_id][0]
            seen += 1
        return lead_id

    def name_of(self, lead_id: int) -> str | None:
        return self.any_record(lead_id).get("mktoName")


class UpdatedIndex:
    """Base leads sorted by their generated updatedAt: a window query is two bisections.

    Built on first use (one pass over the base leads); two compact arrays, ~12 bytes per lead.
    """

    def __init__(self, factory: LeadFactory) -> None:
        self._factory = factory
        self._times: array | None = None
        self._ids: array | None = None

    def _build(self) -> None:
        factory = self._factory
        times = array("q", (factory.updated_ms(i, factory.created_ms(i)) for i in range(1, factory.n_base + 1)))
        order = sorted(range(len(times)), key=times.__getitem__)
        self._ids = array("I", (i + 1 for i in order))
        self._times = array("q", (times[i] for i in order))

    def ids_between(self, start_ms: int, end_ms: int) -> list[int]:
        if self._times is None:
            self._build()
        low = bisect.bisect_left(self._times, start_ms)
        high = bisect.bisect_right(self._times, end_ms)
        return list(self._ids[low:high])


class LeadStore(LeadView):
    """The live lead database: a view plus the mutations that ticks perform."""

    def __init__(self, factory: LeadFactory, seed: int) -> None:
        super().__init__(factory, LeadState(), seed, UpdatedIndex(factory))

    def snapshot(self) -> LeadView:
        return LeadView(self.factory, self.state.copy(), self.seed, self._index)

    def create(self, created_ms: int) -> int:
        self.state.extra_created.append(created_ms)
        return self.max_id

    def update(self, lead_id: int, changes: dict, at_ms: int) -> dict:
        """Apply changed values; returns the old values of the changed fields."""
        current = self.record(lead_id)
        old = {name: current.get(name) for name in changes}
        merged = dict(self.state.changes.get(lead_id, {}))
        merged.update(changes)
        self.state.changes[lead_id] = merged
        self.state.updated[lead_id] = at_ms
        if "email" in changes and changes["email"]:
            self.state.emails[changes["email"].lower()] = lead_id
        return old

    def touch(self, lead_id: int, at_ms: int) -> None:
        self.state.updated[lead_id] = at_ms

    def add_to_list(self, list_id: int, lead_id: int) -> None:
        self.state.list_removed.get(list_id, set()).discard(lead_id)
        self.state.list_added.setdefault(list_id, set()).add(lead_id)

    def remove_from_list(self, list_id: int, lead_id: int) -> None:
        self.state.list_added.get(list_id, set()).discard(lead_id)
        self.state.list_removed.setdefault(list_id, set()).add(lead_id)

    def delete(self, lead_id: int, at_ms: int) -> None:
        self.state.deleted[lead_id] = at_ms

    def merge(self, winner: int, loser: int, at_ms: int) -> dict:
        """Loser disappears; winner keeps its values and takes the loser's where it had none."""
        winner_record, loser_record = self.record(winner), self.record(loser)
        fills = {name: loser_record[name] for name, value in winner_record.items()
                 if value is None and loser_record.get(name) is not None and name in BY_REST_NAME
                 and not BY_REST_NAME[name].read_only}
        self.state.merged[loser] = (winner, at_ms)
        if fills:
            self.update(winner, fills, at_ms)
        else:
            self.touch(winner, at_ms)
        return fills



def _member(seed: int, list_id: int, lead_id: int, percent: int) -> bool:
    mixed = (lead_id * 2654435761 + list_id * 40503 + seed * 97) & 0xFFFFFFFF
    mixed ^= mixed >> 15
    return (mixed * 2246822519 & 0xFFFFFFFF) % 100 < percent


def _as_text(value) -> str | None:
    if value is None:
        return None
    return str(value)
