"""Program members: which leads are members of which programs, with what status (EL:program-members,
EL:bulk-program-member-extract; marketo-api.md §4.6, §6.2).

Membership of a base lead in a program is a pure function of (seed, program, lead): an integer mix
of the lead id with the program's key against the program's rate (2-40 %), so asking whether one
lead is a member costs a few integer operations and listing a program's members costs one such
test per lead, nothing stored. A member's values come from a BLAKE2b digest of (program, lead):
its status (one of the program channel's progression statuses above "Not in Program", earlier
steps more often), its dates (membershipDate after both the lead and the program were created,
updatedAt at or after it), engagement-program fields (isExhausted, nurtureCadence, trackName),
event fields (likelihoods, waitlistPriority), webinar fields (registrationCode, webinarUrl) and
three custom fields. Leads created by ticks are members only through ticks.

Changes are overlays (`MemberState`): a tick adds a member or moves one to a later status; the
overlay holds the whole new record. A deleted lead's memberships are gone; a merged loser's
membership passes to the winner for programs the winner is not a member of (leadId = winner, the
rest as it was). A `MemberView` reads one state with one lead view, so a bulk export sees both as
they were when it started processing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .hashing import SlotSource, seeded_rng
from .memberfields import NAMES
from .timefmt import rest_datetime

RATES = [20, 50, 80, 120, 200, 300, 400]  # per mille of the base leads, one drawn per program (times the density option)
TRACKS = ["Main Track", "Track 2: Advanced", "Re-engagement, \"cold\""]
REASONS = ["Changed by Smart Campaign", "Filled out form", None, "Registered via API", "Imported, list upload"]
REFERRALS = ["Partner", "Sales rep", "Newsletter", "Colleague, referral", "広告"]
EVENT_TYPES = ("Event", "Event with Webinar")
_MASK = 0xFFFFFFFF


class ProgramProfile:
    """What membership of one program depends on: its type, channel statuses, rate and key."""

    def __init__(self, seed: int, program: dict, channel: dict, created_ms: int, density: float = 1.0) -> None:
        rng = seeded_rng(seed, "members", program["id"])
        self.id, self.name, self.type = program["id"], program["name"], program["type"]
        drawn = rng.choice(RATES)
        self.rate = drawn if density == 1.0 else max(1, round(drawn * density))
        self.key = rng.getrandbits(32)
        self.slots = SlotSource(seed, f"member-{program['id']}")
        self.created_ms = created_ms
        self.channel_id = channel["id"]
        self.statuses = [(s["name"], s["step"], s["success"]) for s in channel["progressionStatuses"] if s["step"] > 0]
        count = len(self.statuses)
        weights = [count - i for i in range(count)]  # earlier steps more common
        table = []
        for index, weight in enumerate(weights):
            table += [index] * weight
        self.status_table = [table[b * len(table) // 256] for b in range(256)]
        self.engagement = self.type == "Engagement"
        self.event = self.type in EVENT_TYPES
        self.webinar = self.type == "Event with Webinar"

    def status_id(self, name: str) -> int:
        """Progression status ids: channel id * 100 + step (this emulator's numbering)."""
        step = next((s[1] for s in self.statuses if s[0] == name), 0)
        return self.channel_id * 100 + step

    def step_of(self, name: str) -> int:
        return next((s[1] for s in self.statuses if s[0] == name), 0)

    def status_names(self) -> set[str]:
        return {s[0] for s in self.statuses}


class MemberFactory:
    """Base memberships of base leads (ids 1..n_base)."""

    def __init__(self, profiles: dict[int, ProgramProfile], lead_factory, anchor_ms: int) -> None:
        self.profiles = profiles
        self.leads = lead_factory
        self.n_base = lead_factory.n_base
        # Base leads are created at least an hour before the anchor, programs two days: every
        # membership has room between its start and this end, so membership is the hash alone.
        self.end_ms = anchor_ms - 60_000

    def is_member(self, profile: ProgramProfile, lead_id: int) -> bool:
        if not 1 <= lead_id <= self.n_base:
            return False
        x = (lead_id * 0x9E3779B1 + profile.key) & _MASK
        x ^= x >> 16
        x = (x * 0x85EBCA6B) & _MASK
        x ^= x >> 13
        return x % 1000 < profile.rate

    def _start(self, profile: ProgramProfile, lead_created: int) -> int:
        return max(lead_created, profile.created_ms) + 60_000

    def times(self, profile: ProgramProfile, d: bytes, lead_created: int) -> tuple[int, int]:
        """(membershipDate, updatedAt) in ms."""
        start, end = self._start(profile, lead_created), self.end_ms
        membership = (start + (end - start) * (d[0] | d[1] << 8) // 65536) // 1000 * 1000
        if d[4] < 77:  # ~30 % never changed after joining
            return membership, membership
        return membership, (membership + (end - membership) * (d[5] | d[6] << 8) // 65536) // 1000 * 1000

    def status(self, profile: ProgramProfile, d: bytes) -> tuple[str, int, bool]:
        return profile.statuses[profile.status_table[d[2]]]

    def record(self, profile: ProgramProfile, source_id: int, shown_id: int) -> dict:
        """The REST record (every field, describe order) of base member `source_id`, shown as `shown_id`."""
        d = profile.slots.digest(source_id)
        membership, updated = self.times(profile, d, self.leads.created_ms(source_id))
        name, _, success = self.status(profile, d)
        likely = profile.event and d[23] >= 77
        code = d[14:18].hex().upper() + f"-{source_id}" if profile.webinar else None
        values = {
            "acquiredBy": d[3] < 90, "attendanceLikelihood": d[11] % 101 if likely else None,
            "createdAt": rest_datetime(membership), "isExhausted": profile.engagement and d[7] < 26,
            "leadId": shown_id, "membershipDate": rest_datetime(membership),
            "nurtureCadence": ("paus" if d[8] < 40 else "norm") if profile.engagement else None,
            "program": profile.name, "programId": profile.id, "reachedSuccess": success,
            "reachedSuccessDate": rest_datetime(membership + (updated - membership) * d[21] // 255 // 1000 * 1000)
            if success else None,
            "registrationLikelihood": d[12] % 101 if likely else None, "statusName": name,
            "statusReason": REASONS[d[10] % len(REASONS)], "trackName": TRACKS[d[9] % len(TRACKS)] if profile.engagement else None,
            "updatedAt": rest_datetime(updated), "waitlistPriority": 1 + d[13] % 50 if name == "Waitlisted" else None,
            "pmReferralSource": REFERRALS[d[18] % len(REFERRALS)] if d[18] >= 102 else None,
            "pmSeatsRequested": 1 + d[19] % 10 if d[19] >= 128 else None, "pmVipAttendee": d[20] < 38,
            "registrationCode": code,
            "webinarUrl": f"https://webinars.example.com/j/{profile.id}?code={code}&lang=en" if code else None,
        }
        return {name: values[name] for name in NAMES}


@dataclass
class MemberState:
    """Overlays from ticks: (program id, lead id) -> the whole REST record as it now is."""

    changes: dict[tuple[int, int], dict] = field(default_factory=dict)
    by_program: dict[int, set[int]] = field(default_factory=dict)

    def copy(self) -> "MemberState":
        return MemberState(dict(self.changes), {pid: set(ids) for pid, ids in self.by_program.items()})


class MemberView:
    """Memberships as of one member state and one lead view."""

    def __init__(self, factory: MemberFactory, state: MemberState, leads) -> None:
        self.factory = factory
        self.state = state
        self.leads = leads

    @property
    def profiles(self) -> dict[int, ProgramProfile]:
        return self.factory.profiles

    def _own(self, profile: ProgramProfile, lead_id: int):
        """The lead's own membership: ("overlay", record) | ("base", None) | None."""
        if lead_id in self.state.by_program.get(profile.id, ()):
            return "overlay", self.state.changes[(profile.id, lead_id)]
        if self.factory.is_member(profile, lead_id):
            return "base", None
        return None

    def _losers_of(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for loser in sorted(self.leads.state.merged):
            out.setdefault(self.leads.resolve(loser), []).append(loser)
        return out

    def membership(self, program_id: int, lead_id: int, losers_of=None):
        """(kind, record or None, source lead id) of a live lead's membership, or None."""
        profile = self.profiles[program_id]
        if not self.leads.is_live(lead_id):
            return None
        own = self._own(profile, lead_id)
        if own is not None:
            return own[0], own[1], lead_id
        for loser in (self._losers_of() if losers_of is None else losers_of).get(lead_id, ()):
            inherited = self._own(profile, loser)
            if inherited is not None:
                return inherited[0], inherited[1], loser
        return None

    def record(self, program_id: int, lead_id: int, losers_of=None) -> dict | None:
        found = self.membership(program_id, lead_id, losers_of)
        if found is None:
            return None
        kind, overlay, source = found
        if kind == "overlay":
            return dict(overlay, leadId=lead_id)
        return self.factory.record(self.profiles[program_id], source, lead_id)

    def lead_ids(self, program_id: int):
        """Live lead ids that are members of the program, ascending, with the source of each."""
        profile = self.profiles[program_id]
        leads, factory = self.leads, self.factory
        deleted, merged = leads.state.deleted, leads.state.merged
        overlay = self.state.by_program.get(program_id, set())
        losers_of = self._losers_of()
        key, rate, n_base = profile.key, profile.rate, factory.n_base
        for lead_id in range(1, leads.max_id + 1):
            if lead_id in deleted or lead_id in merged:
                continue
            if lead_id in overlay:
                yield lead_id, "overlay", lead_id
                continue
            if lead_id <= n_base:
                x = (lead_id * 0x9E3779B1 + key) & _MASK
                x ^= x >> 16
                x = (x * 0x85EBCA6B) & _MASK
                x ^= x >> 13
                if x % 1000 < rate:
                    yield lead_id, "base", lead_id
                    continue
            if lead_id in losers_of:
                found = self.membership(program_id, lead_id, losers_of)
                if found is not None:
                    yield lead_id, found[0], found[2]

    def records(self, program_id: int):
        """REST records of every member of the program, by lead id."""
        profile = self.profiles[program_id]
        for lead_id, kind, source in self.lead_ids(program_id):
            if kind == "overlay":
                yield dict(self.state.changes[(program_id, source)], leadId=lead_id)
            else:
                yield self.factory.record(profile, source, lead_id)

    def count(self, program_id: int) -> int:
        return sum(1 for _ in self.lead_ids(program_id))

    def estimate(self, program_id: int) -> int:
        """About how many members the program has (rate x base leads): no scan."""
        return self.profiles[program_id].rate * self.factory.n_base // 1000 + len(self.state.by_program.get(program_id, ()))


class MemberStore(MemberView):
    """The live memberships plus the changes ticks make."""

    def __init__(self, factory: MemberFactory, leads) -> None:
        super().__init__(factory, MemberState(), leads)

    def snapshot(self, leads) -> MemberView:
        return MemberView(self.factory, self.state.copy(), leads)

    def put(self, program_id: int, lead_id: int, record: dict) -> None:
        self.state.changes[(program_id, lead_id)] = record
        self.state.by_program.setdefault(program_id, set()).add(lead_id)

    def new_record(self, program_id: int, lead_id: int, status: str, at_ms: int, acquired: bool) -> dict:
        """A membership a tick creates: joined now, at the given (first) status."""
        profile = self.profiles[program_id]
        success = dict((s[0], s[2]) for s in profile.statuses)[status]
        now = rest_datetime(at_ms)
        values = {name: None for name in NAMES}
        values.update({"acquiredBy": acquired, "createdAt": now, "isExhausted": False, "leadId": lead_id,
                       "membershipDate": now, "program": profile.name, "programId": program_id,
                       "reachedSuccess": success, "reachedSuccessDate": now if success else None,
                       "statusName": status, "statusReason": "Changed by Smart Campaign", "updatedAt": now,
                       "pmVipAttendee": False})
        if profile.engagement:
            values.update(nurtureCadence="norm", trackName=TRACKS[0])
        return values
