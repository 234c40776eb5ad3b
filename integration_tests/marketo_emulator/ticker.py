"""Change over time: a tick moves the clock and creates, updates, deletes and merges leads, adds
activities and edits assets — each change with the activity Marketo would log.

- new lead: New Lead (12) activity at its creation time;
- update: one Change Data Value (13) per changed field (primary attribute = the field);
- delete: the lead disappears; a Delete Lead (37) activity (`deletedleads.json`);
- merge: the loser disappears, its history moves to the winner, the winner is updated and gets a
  Merge Leads (32) activity whose "Merge IDs" attribute names the loser;
- new activities: generated types on live leads; an email stage only continues a mailing that a
  tick started (same lead, same email), so email counts keep adding up (`emailfunnel.py`);
- assets: `updatedAt` moves (and the description changes).
Events are spread over the ticked interval in chronological order, after every earlier event.

The events of kinds added later (`LATER_DEFAULTS`: forms, templates, snippets, channels and folders
edited, ...) draw from a random stream of their own and run after the original ones, so a tick
with the same seed makes exactly the same original changes as before they existed.
"""
from __future__ import annotations

from . import content as c
from .assets import OTHER_TICKED_KINDS, TICKED_KINDS
from .emailfunnel import EMAIL_TYPES, SEND
from .fields import BY_REST_NAME, MUTABLE_FIELDS
from .hashing import seeded_rng
from .timefmt import rest_date, rest_datetime

DEFAULTS = {"new_leads": 3, "updated_leads": 5, "deleted_leads": 1, "merged_leads": 1, "new_activities": 20,
            "asset_updates": 3}
LATER_DEFAULTS = {"other_asset_updates": 2, "program_member_changes": 5, "custom_object_changes": 4,
                  "list_membership_changes": 3}


class Ticker:
    def __init__(self, state) -> None:
        self.state = state

    def tick(self, start_ms: int, end_ms: int, counts: dict, rng, later_rng=None) -> dict:
        """The original events with `rng`; then, when `later_rng` is given, the later kinds with it."""
        summary = {"from": rest_datetime(start_ms), "to": rest_datetime(end_ms), "new_leads": [], "updated_leads": [],
                   "deleted_leads": [], "merged_leads": [], "activities_added": 0,
                   "asset_updates": {kind: [] for kind in TICKED_KINDS + OTHER_TICKED_KINDS}, "program_members": [], "custom_objects": [],
                   "list_memberships": []}
        self._run(DEFAULTS, counts, start_ms, end_ms, rng, summary)
        if later_rng is not None:
            self._run(LATER_DEFAULTS, counts, start_ms, end_ms, later_rng, summary)
        return summary

    def _run(self, defaults: dict, counts: dict, start_ms: int, end_ms: int, rng, summary: dict) -> None:
        chosen = {key: defaults[key] if counts.get(key) is None else int(counts[key]) for key in defaults}
        events = [kind for kind, n in chosen.items() for _ in range(n)]
        rng.shuffle(events)
        low, high = start_ms // 1000 + 1, max(start_ms // 1000 + 1, end_ms // 1000)
        times = sorted(rng.randint(low, high) * 1000 for _ in events)
        for kind, at in zip(events, times):
            getattr(self, "_" + kind)(at, rng, summary)

    # -- lead events -------------------------------------------------------------------------
    def _add(self, at: int, record: dict, summary: dict) -> None:
        record["activityDate"] = rest_datetime(at)
        self.state.activities.add(at, record)
        summary["activities_added"] += 1

    def _new_leads(self, at: int, rng, summary: dict) -> None:
        lead_id = self.state.leads.create(at)
        source = rng.choice(["New lead", "Web form fillout", "Web service API"])
        attributes = [{"name": "Source Type", "value": source}, {"name": "Lead Source", "value": rng.choice(c.LEAD_SOURCES)},
                      {"name": "Created Date", "value": rest_date(at)}]
        if source == "Web form fillout":
            attributes.insert(1, {"name": "Form Name", "value": rng.choice(c.FORM_NAMES)})
        self._add(at, {"leadId": lead_id, "activityDate": None, "activityTypeId": 12, "primaryAttributeValueId": lead_id,
                       "primaryAttributeValue": None, "attributes": attributes}, summary)
        summary["new_leads"].append(lead_id)

    def _updated_leads(self, at: int, rng, summary: dict) -> None:
        lead_id = self._live_lead(rng, at)
        if lead_id is None:
            return
        names = rng.sample(MUTABLE_FIELDS, rng.randint(1, 3))
        changes = {name: self._new_value(name, lead_id, rng) for name in names}
        old = self.state.leads.update(lead_id, changes, at)
        reason, source = rng.choice(c.CHANGE_REASONS), rng.choice(c.CHANGE_SOURCES)
        for name in names:
            field = BY_REST_NAME[name]
            attributes = [{"name": "New Value", "value": _text(changes[name])}]
            if old[name] is not None:
                attributes.append({"name": "Old Value", "value": _text(old[name])})
            attributes += [{"name": "Reason", "value": reason}, {"name": "Source", "value": source}]
            self._add(at, {"leadId": lead_id, "activityDate": None, "activityTypeId": 13, "primaryAttributeValueId": field.id,
                           "primaryAttributeValue": field.display, "attributes": attributes}, summary)
        summary["updated_leads"].append(lead_id)

    def _deleted_leads(self, at: int, rng, summary: dict) -> None:
        lead_id = self._live_lead(rng, at)
        if lead_id is None:
            return
        name = self.state.leads.name_of(lead_id)
        self.state.leads.delete(lead_id, at)
        self._add(at, {"leadId": lead_id, "activityDate": None, "activityTypeId": 37, "primaryAttributeValueId": lead_id,
                       "primaryAttributeValue": name, "attributes": []}, summary)
        summary["deleted_leads"].append(lead_id)

    def _merged_leads(self, at: int, rng, summary: dict) -> None:
        winner, loser = self._live_lead(rng, at), self._live_lead(rng, at)
        if winner is None or loser is None or winner == loser:
            return
        fills = self.state.leads.merge(winner, loser, at)
        attributes = [{"name": "Merge IDs", "value": f"[{loser}]"},
                      {"name": "Merge Source", "value": rng.choice(["Web service API", "Lead Database"])},
                      {"name": "Master Updated", "value": bool(fills)}, {"name": "Merged in Sales", "value": False}]
        self._add(at, {"leadId": winner, "activityDate": None, "activityTypeId": 32, "primaryAttributeValueId": winner,
                       "primaryAttributeValue": self.state.leads.name_of(winner), "attributes": attributes}, summary)
        summary["merged_leads"].append({"winner": winner, "loser": loser})

    def _new_activities(self, at: int, rng, summary: dict) -> None:
        lead_id = self._live_lead(rng, at)
        if lead_id is None:
            return
        factory = self.state.activities.factory
        for _ in range(50):  # a template of a generated type other than New Lead / Change Data Value
            index = rng.randrange(1 << 40)
            template = factory.record(index)
            if template["activityTypeId"] not in (12, 13):
                break
        template, lead_id = self._keep_mailings_whole(index, template, lead_id)
        template.pop("id")
        template.pop("marketoGUID")
        template["leadId"] = lead_id
        self._add(at, template, summary)

    def _keep_mailings_whole(self, index: int, template: dict, lead_id: int) -> tuple[dict, int]:
        """An email stage continues a mailing that a tick started (its lead, its email); else it becomes a send."""
        type_id = template["activityTypeId"]
        if type_id not in EMAIL_TYPES:
            return template, lead_id
        factory, book = self.state.activities.factory, self.state.mailings
        mailing = None if type_id == SEND else book.continuable(type_id, self._current_id)
        if mailing is None:
            book.start(lead_id, index)
            return (template if type_id == SEND else factory.mail_record(index, SEND, index)), lead_id
        mailing.latest = type_id
        return factory.mail_record(index, type_id, mailing.send_index), mailing.lead_id

    def _current_id(self, lead_id: int) -> int | None:
        """The live lead that now owns `lead_id`'s history (after merges), or None if it was deleted."""
        current = self.state.leads.resolve(lead_id)
        return current if self.state.leads.is_live(current) else None

    def _asset_updates(self, at: int, rng, summary: dict, kinds=TICKED_KINDS) -> None:
        kind = rng.choice([k for k in kinds if self.state.assets.count(k)] or [None])
        if kind is None:
            return
        asset_id = self.state.assets.touch(kind, rng.randrange(1 << 30), at, rng)
        summary["asset_updates"][kind].append(asset_id)

    def _other_asset_updates(self, at: int, rng, summary: dict) -> None:
        """A form, email template, snippet, channel or user folder is edited (tag types have no dates)."""
        self._asset_updates(at, rng, summary, OTHER_TICKED_KINDS)

    # -- program members ---------------------------------------------------------------------
    def _program_member_changes(self, at: int, rng, summary: dict) -> None:
        """A lead joins a program (at its channel's first status) or a member moves to a later
        status; either way its updatedAt is now and a Change Status in Progression (104) is logged."""
        members = self.state.members
        if not members.profiles:
            return
        program_id = rng.choice(sorted(members.profiles))
        profile = members.profiles[program_id]
        joined = rng.random() < 0.4
        for _ in range(200):
            lead_id = self._live_lead(rng, at)
            if lead_id is None:
                return
            current = members.record(program_id, lead_id)
            if joined and current is None:
                status = profile.statuses[0][0]
                record = members.new_record(program_id, lead_id, status, at, rng.random() < 0.5)
                old = "Not in Program"
                break
            if not joined and current is not None and profile.step_of(current["statusName"]) < profile.statuses[-1][1]:
                later = [s for s in profile.statuses if s[1] > profile.step_of(current["statusName"])]
                status, _, success = rng.choice(later)
                old, record = current["statusName"], dict(current)
                record.update(statusName=status, updatedAt=rest_datetime(at), statusReason="Changed by Smart Campaign")
                if success and not current["reachedSuccess"]:
                    record.update(reachedSuccess=True, reachedSuccessDate=rest_datetime(at))
                break
        else:
            return
        members.put(program_id, lead_id, record)
        summary["program_members"].append({"programId": program_id, "leadId": lead_id, "from": old, "to": status})
        activity = {"leadId": lead_id, "activityDate": None, "activityTypeId": 104}
        campaign = self._campaign_of(program_id, rng)
        if campaign is not None:
            activity["campaignId"] = campaign
        self._add(at, {**activity, "primaryAttributeValueId": program_id,
                       "primaryAttributeValue": profile.name, "attributes": [
                           {"name": "Acquired By", "value": record["acquiredBy"]},
                           {"name": "New Status ID", "value": profile.status_id(status)},
                           {"name": "New Status", "value": status},
                           {"name": "Old Status ID", "value": profile.status_id(old)},
                           {"name": "Old Status", "value": old},
                           {"name": "Program Member ID", "value": program_id * 10_000_000 + lead_id},
                           {"name": "Reason", "value": "Changed by Smart Campaign"},
                           {"name": "Success", "value": record["reachedSuccess"]}]}, summary)

    def _campaign_of(self, program_id: int, rng) -> int | None:
        """A smart campaign of the program (the one that changed the status), else any."""
        campaigns = self.state.assets.lead_campaigns()
        own = [c["id"] for c in campaigns if c.get("programId") == program_id]
        pool = own or [c["id"] for c in campaigns]
        return rng.choice(pool) if pool else None

    # -- static list membership --------------------------------------------------------------
    def _list_membership_changes(self, at: int, rng, summary: dict) -> None:
        """A live lead is added to a static list (Add to List, 24) or a member removed (Remove from List, 25)."""
        lists = self.state.assets.refs("staticLists")
        if not lists:
            return
        list_id, list_name = rng.choice(lists)
        add = rng.random() < 0.6
        leads = self.state.leads
        for _ in range(200):
            lead_id = self._live_lead(rng, at)
            if lead_id is None:
                return
            if leads.in_static_list(list_id, lead_id) != add:
                break
        else:
            return
        (leads.add_to_list if add else leads.remove_from_list)(list_id, lead_id)
        summary["list_memberships"].append({"listId": list_id, "leadId": lead_id, "action": "added" if add else "removed"})
        activity = {"leadId": lead_id, "activityDate": None, "activityTypeId": 24 if add else 25}
        campaigns = [c["id"] for c in self.state.assets.lead_campaigns()]
        if campaigns:
            activity["campaignId"] = rng.choice(campaigns)
        self._add(at, {**activity, "primaryAttributeValueId": list_id, "primaryAttributeValue": list_name,
                       "attributes": [{"name": "Source", "value": rng.choice(["Smart Campaign", "Web service API"])}]},
                  summary)

    # -- custom objects ----------------------------------------------------------------------
    def _custom_object_changes(self, at: int, rng, summary: dict) -> None:
        """A record is created for a live lead, or an existing one has 1-2 fields changed (updatedAt now)."""
        objects = self.state.custom_objects
        if not objects.types:
            return
        name = rng.choice(sorted(objects.types))
        object_type = objects.types[name]
        if rng.random() < 0.5:
            lead_id = self._live_lead(rng, at)
            record = objects.create(name, lead_id, at) if lead_id is not None else None
            action = "created"
        else:
            record, action = None, "updated"
            for _ in range(200):
                lead_id = self._live_lead(rng, at)
                if lead_id is None or not objects.total(name, lead_id):
                    continue
                ordinal = rng.randrange(objects.total(name, lead_id))
                template = objects.factory.record(name, rng.randint(1, max(1, objects.factory.n_base)), 0)
                changes = {field: template[field] for field in rng.sample(object_type.mutable, rng.randint(1, 2))}
                record = objects.update(name, lead_id, ordinal, changes, at)
                break
        if record is not None:
            summary["custom_objects"].append({"apiName": name, "marketoGUID": record["marketoGUID"],
                                              "leadId": lead_id, "action": action})

    # -- helpers -----------------------------------------------------------------------------
    def _live_lead(self, rng, at: int) -> int | None:
        leads = self.state.leads
        for _ in range(200):
            lead_id = rng.randint(1, max(1, leads.max_id))
            if leads.is_live(lead_id) and leads.created_ms(lead_id) <= at:
                return lead_id
        return None

    def _new_value(self, name: str, lead_id: int, rng):
        factory = self.state.leads.factory
        if name == "email":
            return f"{rng.choice(c.ASCII_FIRST)}.{rng.choice(c.ASCII_LAST)}.{lead_id}.{rng.randint(2, 999)}@{rng.choice(c.DOMAINS)}"
        pool = factory._pools.get(name) or [None]
        for _ in range(10):
            value = rng.choice(pool)
            if value is not None:
                return value
        return value


def seed_history(state, anchor_ms: int) -> None:
    """Deletions and merges in the ten days before the anchor, so a fresh instance already has some."""
    n_leads = state.options.leads
    count = min(50, max(1, n_leads // 100)) if n_leads >= 20 else 0
    if not count:
        return
    rng = seeded_rng(state.options.seed, "history")
    start = anchor_ms - 10 * 86_400_000
    Ticker(state).tick(start, anchor_ms - 3_600_000, {"new_leads": 0, "updated_leads": 0, "deleted_leads": count,
                                                      "merged_leads": count, "new_activities": 0, "asset_updates": 0}, rng)


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


