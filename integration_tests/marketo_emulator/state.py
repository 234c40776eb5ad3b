"""All mutable state of one emulator instance, built from options; `reset()` builds a new one.

Nothing lives at module level: two emulators in one process share nothing.
"""
from __future__ import annotations

import os
import threading

from .activities import ActivityStore, Query
from .activitygen import ActivityFactory, AssetRefs
from .assets import AssetStore
from .crm import Crm
from .csvfmt import DELIMITERS
from .customobjectdefs import TYPES as CUSTOM_OBJECT_TYPES
from .customobjects import CoFactory, CoStore
from .emailfunnel import MailingBook
from .exporter import export_activities, export_leads, export_records
from .faults import FaultSet
from .hashing import seeded_rng
from .identity import TokenStore
from .jobs import JobManager
from .journal import Journal
from .leadgen import LeadFactory
from .leads import LeadStore
from .limits import InFlight, RateLimiter, Usage
from .memberexport import export_program_members
from .programmembers import MemberFactory, MemberStore, ProgramProfile
from .options import EmulatorOptions, asset_counts
from .retention import RetentionPolicy
from .ticker import seed_history
from .timeaxis import history_starts
from .timefmt import instant_ms, rest_datetime, to_ms

OTHER_CLIENT = "other-tool-client-id"  # "another tool sharing the instance" (occupies queue slots)


class State:
    def __init__(self, options: EmulatorOptions, clock, anchor_ms: int, export_dir: str) -> None:
        self.options = options
        self.clock = clock
        self.anchor_ms = anchor_ms
        self.export_dir = export_dir
        self.lock = threading.RLock()
        seed = options.seed
        self.assets = AssetStore(seed, asset_counts(options), anchor_ms, options.hostile)
        program_ids = [p["id"] for p in self.assets.all("programs")]
        begins = options.data_begins
        lead_start, activity_start = history_starts(anchor_ms, options.history_days,
                                                    None if begins is None else instant_ms(begins))
        self.lead_factory = LeadFactory(seed, options.leads, anchor_ms, lead_start, options.hostile, program_ids,
                                        options.history_shape)
        self.leads = LeadStore(self.lead_factory, seed)
        refs = AssetRefs(self.assets.refs("emails"), self.assets.refs("staticLists"), self.assets.refs("programs"),
                         self.assets.refs("smartCampaigns"))
        self.activity_factory = ActivityFactory(seed, options.activities, anchor_ms, activity_start, options.hostile,
                                                self.lead_factory, refs, options.history_shape)
        self.activities = ActivityStore(self.activity_factory, self.leads,
                                        RetentionPolicy(options.activity_retention, options.retention_days), self.now_ms)
        self.members = MemberStore(MemberFactory(self._program_profiles(seed), self.lead_factory, anchor_ms), self.leads)
        self.crm = Crm(seed, options.opportunities, anchor_ms, self.lead_factory, self.leads)
        self.custom_objects = CoStore(CoFactory(seed, CUSTOM_OBJECT_TYPES[:max(0, options.custom_object_types)],
                                                self.lead_factory, anchor_ms, options.hostile), self.leads)
        self.mailings = MailingBook()  # mailings started by ticks, continued by later ticks
        clients = {options.client_id: (options.client_secret, options.api_user),
                   OTHER_CLIENT: ("other-tool-secret", "other.tool@emulator.example")}
        self.tokens = TokenStore(clients, options.token_ttl, seeded_rng(seed, "tokens"))
        self.usage = Usage(clock, options.daily_call_quota, options.daily_export_mb)
        self.rate = RateLimiter(clock, options.rate_limit_calls, options.rate_limit_window_seconds)
        self.inflight = InFlight(options.max_concurrent_calls)
        self._ids = seeded_rng(seed, "export-ids")
        self.jobs = JobManager(options, self.now_ms, self.usage, self.producer_for, self._new_export_id)
        self.faults = FaultSet(seeded_rng(seed, "faults"))
        self.journal = Journal()
        self.request_counter = seeded_rng(seed, "request-ids").randrange(0x1000, 0xFFFF)
        self.ticks = 0
        self.last_event_ms = anchor_ms
        if options.leads and options.history_days:
            seed_history(self, anchor_ms)

    def _program_profiles(self, seed: int) -> dict[int, ProgramProfile]:
        channels = {channel["name"]: channel for channel in self.assets.all("channels")}
        return {program["id"]: ProgramProfile(seed, program, channels[program["channel"]],
                                              self.assets.created_ms("programs", program["id"]),
                                              self.options.program_member_density)
                for program in self.assets.all("programs")}

    def now_ms(self) -> int:
        return to_ms(self.clock.now())

    def next_request_id(self) -> int:
        with self.lock:
            self.request_counter += 1
            return self.request_counter

    def _new_export_id(self) -> str:
        hexes = "%032x" % self._ids.getrandbits(128)
        return f"{hexes[:8]}-{hexes[8:12]}-4{hexes[13:16]}-a{hexes[17:20]}-{hexes[20:]}"

    def producer_for(self, job):
        """Called when a job starts processing: snapshot the data now, write the file later."""
        with self.lock:
            leads = self.leads.snapshot()
            activities = self.activities.snapshot(leads) if job.kind == "activities" else None
            members = self.members.snapshot(leads) if job.kind == "program/members" else None
            objects = self.custom_objects.snapshot(leads) if job.kind.startswith("customobjects/") else None
        request = job.request
        delimiter = DELIMITERS[job.format]
        path = os.path.join(self.export_dir, f"{job.export_id}.{job.format.lower()}")
        headers = request.get("columnHeaderNames") or {}
        if job.kind == "program/members":
            digits = self.options.program_member_export_booleans != "words"

            def produce():
                return export_program_members(path, members, request["filter"], request["fields"], headers, delimiter,
                                              digits)
        elif objects is not None:
            name = job.kind.split("/", 1)[1]

            def produce():
                spec = request["filter"]
                if "updatedAt" in spec:
                    low, high = rest_datetime(spec["updatedAt"]["startMs"]), rest_datetime(spec["updatedAt"]["endMs"])
                    rows = (r for r in objects.all(name) if low <= r["updatedAt"] <= high)
                else:
                    rows = objects.for_leads(name, lead_ids_for(leads, spec))
                types = {f.name: f.data_type for f in objects.types[name].fields}
                return export_records(path, rows, request["fields"], headers, delimiter, types)
        elif job.kind == "leads":
            def produce():
                ids = lead_ids_for(leads, request["filter"])
                return export_leads(path, leads, ids, request["fields"], headers, delimiter)
        else:
            def produce():
                window = request["filter"]["createdAt"]
                query = Query(type_ids=frozenset(request["activityTypeIds"]) if request.get("activityTypeIds") else None,
                              asset_ids=frozenset(request["primaryAttributeValueIds"]) if request.get("primaryAttributeValueIds") else None)
                return export_activities(path, activities, window["startMs"], window["endMs"], query,
                                         request["fields"], headers, delimiter)
        return produce


def lead_ids_for(leads, spec: dict) -> list[int]:
    """Ids selected by the (already validated) lead export filter."""
    if "createdAt" in spec:
        return leads.ids_created_between(spec["createdAt"]["startMs"], spec["createdAt"]["endMs"])
    if "updatedAt" in spec:
        return leads.ids_updated_between(spec["updatedAt"]["startMs"], spec["updatedAt"]["endMs"])
    if "staticListId" in spec:
        return [i for i in leads.live_ids() if leads.in_static_list(spec["staticListId"], i)]
    return [i for i in leads.live_ids() if leads.in_smart_list(spec["smartListId"], i)]
