"""Lazily generated base activities: activity i is a pure function of (seed, i).

Activity dates grow with the index (along a time axis with jitter, `timeaxis.py`), so the
whole history is chronological, "the first activity at or after t" is arithmetic, and ten million
activities cost no memory. Each activity's lead is one created before it (lead creation is also
arithmetic in id), New Lead activities belong to the newest lead, email activities form mailings
that add up (`emailfunnel.py`), and references (emails, lists, programs, campaigns) point at real
assets of the instance.
"""
from __future__ import annotations

from . import content as c
from .activity_types import BY_ID, weighted_table
from .emailfunnel import EMAIL_TYPES, FRAME, SEND, Role, plan_frame
from .hashing import SlotSource
from .leadgen import LeadFactory
from .timeaxis import TimeAxis
from .timefmt import rest_date, rest_datetime

ACTIVITY_ID_BASE = 50_000_000
CAMPAIGN_TYPES = {6, 7, 8, 10, 11, 22, 24, 25, 104}
SCORE_FIELDS = [(73, "Lead Score"), (710, "Product Interest Score")]
CHANGED_FIELDS = [(72, "Lead Status", c.LEAD_STATUSES), (57, "Job Title", c.TITLES), (63, "City", c.CITIES),
                  (701, "Industry Vertical", c.VERTICALS)]


class AssetRefs:
    """Ids and names of assets that activities point at (filled from the asset store)."""

    def __init__(self, emails, lists, programs, campaigns) -> None:
        self.emails = emails or [(1, "Email")]
        self.lists = lists or [(1, "List")]
        self.programs = programs or [(1, "Program")]
        self.campaigns = campaigns or [(1, "Campaign")]


class ActivityFactory:
    """Base activity records 0..n-1 with ids ACTIVITY_ID_BASE + i."""

    def __init__(self, seed: int, count: int, anchor_ms: int, start_ms: int, hostile: bool,
                 leads: LeadFactory, refs: AssetRefs, shape: str = "uniform") -> None:
        self.count = count
        self.start_ms = start_ms
        self.end_ms = anchor_ms - 60_000
        self.axis = TimeAxis(start_ms, self.end_ms, count, shape)
        self.hostile = hostile
        self._leads = leads
        self._refs = refs
        self._slots = SlotSource(seed, "activity")
        self._types = weighted_table()
        self._frame: tuple | None = None  # the last email frame planned (sequential reads reuse it)

    def digest(self, index: int) -> bytes:
        cached = self._frame  # a sequential read finds most digests already computed by the email frame
        if cached is not None and 0 <= index - cached[0] < FRAME:
            return cached[1][index - cached[0]]
        return self._slots.digest(index)

    def date_ms(self, index: int, digest: bytes | None = None) -> int:
        digest = digest or self._slots.digest(index)
        jitter = (digest[0] | digest[1] << 8) / 65536.0
        return int(self.axis.instant(index + jitter)) // 1000 * 1000

    def base_type(self, digest: bytes) -> int:
        """The type byte's pick: exact for every type but email ones, where it only says "an email activity"."""
        return self._types[digest[2]]

    def type_of(self, index: int, digest: bytes) -> int:
        type_id = self._types[digest[2]]
        return self.email_role(index).type_id if type_id in EMAIL_TYPES else type_id

    def email_role(self, index: int) -> Role:
        """Send, or which stage of which send (emailfunnel.py), for an email activity index."""
        return self._email_frame(index)[2][index]

    def _email_frame(self, index: int) -> tuple[int, list[bytes], dict[int, Role]]:
        """(first index, digests, roles) of the frame holding `index`; the last one is kept for the next call."""
        first = index - index % FRAME
        cached = self._frame  # one read: other threads may replace it meanwhile
        if cached is None or cached[0] != first:
            digests = [self._slots.digest(first + k) for k in range(FRAME)]
            cached = (first, digests, plan_frame(first, digests, self._types))
            self._frame = cached
        return cached

    def first_index_at_or_after(self, ms: int) -> int:
        """Smallest index with date >= ms (count when none)."""
        return self.axis.first_at_or_after(ms, self.date_ms)

    def lead_id(self, index: int, digest: bytes, date: int, type_id: int) -> int:
        # Only leads certainly created before the activity may own it.
        available = self._leads.created_by(date)
        if available <= 0:
            return 1
        if type_id == 12:
            return available
        return 1 + int.from_bytes(digest[3:6], "little") % available

    def record(self, index: int, digest: bytes | None = None) -> dict:
        """The REST shape of base activity `index` (leadId before merges are applied)."""
        digest = digest or self._slots.digest(index)
        type_id = self._types[digest[2]]
        if type_id in EMAIL_TYPES:
            role = self.email_role(index)
            return self.mail_record(index, role.type_id, role.send_index, digest)
        date = self.date_ms(index, digest)
        lead_id = self.lead_id(index, digest, date, type_id)
        campaign = digest[6] if type_id in CAMPAIGN_TYPES or (type_id in (12, 13) and digest[6] < 100) else None
        pav_id, pav, attributes = self._primary_and_attributes(type_id, digest, lead_id, date)
        return self._record(index, lead_id, date, type_id, campaign, pav_id, pav, attributes)

    def mail_record(self, index: int, type_id: int, send_index: int, digest: bytes | None = None) -> dict:
        """Email activity `index` of `type_id` in the mailing that the send at `send_index` began.

        Lead, email, campaign and campaign run come from the send, so the whole mailing belongs to
        one lead and one email (and disappears with the lead, or moves with a merge, as a whole).
        """
        digest = digest or self._slots.digest(index)
        if send_index == index:
            send = digest
        elif send_index // FRAME == index // FRAME:  # base history: the send is in the same frame
            send = self._email_frame(send_index)[1][send_index % FRAME]
        else:  # a tick's stage continuing a tick's send
            send = self._slots.digest(send_index)
        lead_id = self.lead_id(send_index, send, self.date_ms(send_index, send), SEND)
        email_id, email_name = self._refs.emails[(send[7] | send[8] << 8) % len(self._refs.emails)]
        campaign = send[6] if type_id in CAMPAIGN_TYPES else None
        return self._record(index, lead_id, self.date_ms(index, digest), type_id, campaign, email_id, email_name,
                            self._mail_attributes(type_id, digest, send))

    def _record(self, index: int, lead_id: int, date: int, type_id: int, campaign: int | None, pav_id, pav,
                attributes: list) -> dict:
        activity_id = ACTIVITY_ID_BASE + index
        record = {"id": activity_id, "marketoGUID": str(activity_id), "leadId": lead_id,
                  "activityDate": rest_datetime(date), "activityTypeId": type_id}
        if campaign is not None:
            record["campaignId"] = self._refs.campaigns[campaign % len(self._refs.campaigns)][0]
        record["primaryAttributeValueId"] = pav_id
        record["primaryAttributeValue"] = pav
        record["attributes"] = [{"name": n, "value": v} for n, v in attributes if v is not None]
        return record

    def _primary_and_attributes(self, type_id: int, d: bytes, lead_id: int, date: int):
        refs, pick16 = self._refs, (d[7] | d[8] << 8)
        if type_id in (1, 2, 3):
            path = c.PAGE_PATHS[d[7] % len(c.PAGE_PATHS)]
            if type_id == 2:
                form = c.FORM_NAMES[d[8] % len(c.FORM_NAMES)]
                return 1000 + d[8] % 40, f"Form.{form}", self._web_attributes(type_id, d, path)
            return (100 + d[7] % 500 if type_id == 1 else 7000 + pick16 % 900), f"www.example.com{path}", \
                self._web_attributes(type_id, d, path)
        if type_id == 12:
            return lead_id, None, self._new_lead_attributes(d, date)
        if type_id == 13:
            field_id, name, pool = CHANGED_FIELDS[d[7] % len(CHANGED_FIELDS)]
            return field_id, name, [("New Value", self._text(pool[d[9] % len(pool)], d[10])),
                                    ("Old Value", pool[d[11] % len(pool)] if d[11] > 40 else None),
                                    ("Reason", c.CHANGE_REASONS[d[12] % len(c.CHANGE_REASONS)]),
                                    ("Source", c.CHANGE_SOURCES[d[13] % len(c.CHANGE_SOURCES)])]
        if type_id == 22:
            return self._score(d)
        if type_id in (24, 25):
            list_id, name = refs.lists[pick16 % len(refs.lists)]
            return list_id, name, [("Source", "Smart Campaign" if d[9] & 1 else "List import")]
        if type_id == 46:
            moment = ("Web", "Email", "Milestone")[d[7] % 3]
            return None, moment, [("Date", rest_datetime(date)), ("Description", self._text(
                f"Visited {c.PAGE_PATHS[d[9] % len(c.PAGE_PATHS)]}", d[10])), ("Source", "Smart Campaign")]
        if type_id == 104:
            return self._progression(d)
        if type_id == 100001:
            return 5000 + d[7] % 50, f"Webinar {d[7] % 50}: Marketing Ops, \"Live\"", [
                ("Watched Minutes", d[9] % 90), ("Recording Title", self._text("Q&A, part 2", d[10]))]
        return None, None, []

    def _text(self, value: str, slot: int) -> str:
        return c.hostile_or(value, slot, self.hostile)

    def _web_attributes(self, type_id: int, d: bytes, path: str) -> list:
        ip = f"{d[14] % 223 + 1}.{d[15]}.{d[16]}.{d[17] % 254 + 1}"
        common = [("Client IP Address", ip), ("Query Parameters", "utm_source=newsletter&utm_medium=email" if d[18] & 1 else None),
                  ("Referrer URL", "https://www.google.com/" if d[18] & 2 else None),
                  ("User Agent", self._text(c.USER_AGENTS[d[19] % len(c.USER_AGENTS)], d[20]))]
        if type_id == 1:
            return [("Webpage URL", path)] + common + [("Personalized URL", bool(d[21] & 1))]
        if type_id == 2:
            fields = (f'a:3:{{s:9:"FirstName";s:5:"{c.ASCII_FIRST[d[22] % 30]}";s:7:"Company";s:10:"Acme, Inc.";'
                      f's:7:"Comment";s:12:"Hi,\n"there"";}}')
            return [("Form Fields", self._text(fields, d[23])), ("Webpage ID", 100 + d[7] % 500)] + common
        return [("Link", f"https://www.example.com{path}"), ("Webpage ID", 100 + d[7] % 500)] + common

    def _mail_attributes(self, type_id: int, d: bytes, send: bytes) -> list:
        # The mailing's campaign run, choice and step are the send's; the rest is this activity's own.
        base = [("Campaign Run ID", 200 + send[14] % 50), ("Choice Number", send[15] % 3),
                ("Step ID", 10 + send[16] % 5), ("Test Variant", 0)]
        if type_id in (6, 7):
            return base + [("Has Predictive", False)]
        if type_id == 8:
            return base + [("Category", "1"), ("Details", self._text("550 5.1.1 User unknown, \"mailbox\" gone", d[17])),
                           ("Email", f"bounce.{d[18]}@example.com"), ("Subcategory", "2003")]
        if type_id == 9:
            return [("Campaign Run ID", 200 + send[14] % 50), ("Client IP Address", f"10.0.{d[15]}.{d[16] % 254 + 1}"),
                    ("User Agent", c.USER_AGENTS[d[17] % 3])]
        device = [("Device", ("iPhone", "Desktop", "Android")[d[17] % 3]), ("Is Mobile Device", d[17] % 3 != 1),
                  ("Platform", ("iOS", "Windows", "Android")[d[17] % 3]), ("User Agent", c.USER_AGENTS[d[17] % 3])]
        if type_id == 10:
            return base + device + [("Is Bot Activity", d[18] < 10), ("Bot Activity Pattern", "N/A" if d[18] >= 10 else "Proxy")]
        return base + device + [("Link", f"https://www.example.com{c.PAGE_PATHS[d[19] % len(c.PAGE_PATHS)]}")]

    def _new_lead_attributes(self, d: bytes, date: int) -> list:
        source = ("New lead", "Web form fillout", "List import", "Web service API")[d[9] % 4]
        return [("Source Type", source), ("Form Name", c.FORM_NAMES[d[10] % 5] if source == "Web form fillout" else None),
                ("Lead Source", c.LEAD_SOURCES[d[11] % len(c.LEAD_SOURCES)]),
                ("List Name", "Imported Leads, 2024" if source == "List import" else None),
                ("SFDC Type", None), ("Created Date", rest_date(date))]

    def _score(self, d: bytes):
        field_id, name = SCORE_FIELDS[d[7] % 2]
        change = d[9] % 21 - 5
        old = d[10] % 150
        return field_id, name, [("Change Value", f"{change:+d}"), ("New Value", old + change), ("Old Value", old),
                                ("Reason", "Visited pricing page" if change > 0 else "Inactivity decay"),
                                ("Urgency", round(d[11] / 255, 2)), ("Priority", d[12] % 5),
                                ("Relative Score", d[13] % 5), ("Relative Urgency", d[14] % 5)]

    def _progression(self, d: bytes):
        program_id, name = self._refs.programs[(d[7] | d[8] << 8) % len(self._refs.programs)]
        statuses = ["Not in Program", "Member", "Registered", "Attended", "No Show"]
        old, new = d[9] % 4, d[9] % 4 + 1
        return program_id, name, [("Acquired By", bool(d[10] & 1)), ("New Status ID", 20 + new), ("New Status", statuses[new]),
                                  ("Old Status ID", 20 + old), ("Old Status", statuses[old]),
                                  ("Program Member ID", 3_000_000 + (d[11] | d[12] << 8)),
                                  ("Reason", "Changed by Smart Campaign"), ("Success", new == 3)]


def type_name(type_id: int) -> str:
    return BY_ID[type_id].name if type_id in BY_ID else str(type_id)
