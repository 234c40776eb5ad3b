"""Deterministic asset catalogue: programs, emails, landing pages, segmentations and segments,
smart campaigns, static and smart lists, program tokens — in Marketo's own shapes (marketo-api.md §5).

Shapes worth knowing: datetimes end in `Z+0000`; programs/emails/landing pages/segmentations use
`folder{type,value,folderName}` while static lists, smart lists and smart campaigns use
`folder{id,type}`; landing pages have an upper-case `URL`; header fields of emails are
`{type,value}` objects and may be null.

Emails and landing pages have versions (marketo-api.md §5.3, §5.4): an approved asset being edited
has a draft beside it, under the same id, with a later `updatedAt`; an asset never approved is a
draft only. Browse returns both versions. Each record keeps its times in ms as `_createdMs` and
`_updatedMs` (private keys, never served).
"""
from __future__ import annotations

import copy

from . import content as c
from .hashing import seeded_rng
from .leadgen import DAY_MS
from .timefmt import rest_datetime

INSTANCE = "https://app-emu1.marketo.com"
WORKSPACES = ["Default", "Default", "Default", "EMEA", "North America"]
PROGRAM_TYPES = [("Default", ["", ""]), ("Event", [""]), ("Event with Webinar", [""]), ("Engagement", ["on", "off"]),
                 ("Email", ["locked", "unlocked", "completed"])]
CHANNELS = ["Email Blast", "Webinar", "Nurture", "Tradeshow", "Content", "Online Advertising", "Operational"]
FOLDERS = [(41, "Active Marketing Programs"), (42, "Webinars, 2024"), (43, "Nurture \"Evergreen\""),
           (44, "アーカイブ"), (45, "Operational")]
TOPICS = ["Q3 Webinar", "Product Launch", "Newsletter", "Trade Show", "Onboarding", "Win-back", "Pricing, FAQ",
          "Customer \"Love\" Week", "年末セール", "Partner Summit"]


VERSIONED = ("emails", "landingPages")  # kinds with approved and draft versions
# Shares of emails and landing pages with a draft beside the approved version, and never approved
# (draft only): this emulator's choice, Marketo publishes no figures.
DRAFT_BESIDE_APPROVED = 0.2
DRAFT_ONLY = 0.05


def generate(seed: int, counts: dict[str, int], anchor_ms: int, hostile: bool):
    """Returns (records by kind, tokens by program id)."""
    rng = seeded_rng(seed, "assets")
    times: dict[tuple[str, int], tuple[int, int]] = {}

    def stamp(kind: str, asset_id: int) -> None:
        created = anchor_ms - rng.randint(2, 700) * DAY_MS - rng.randint(0, 86_399) * 1000
        updated = created if rng.random() < 0.3 else rng.randint(created, anchor_ms - 3_600_000) // 1000 * 1000
        times[(kind, asset_id)] = created, updated

    def text(value: str) -> str:
        return c.hostile_or(value, rng.randrange(256), hostile)

    kinds: dict[str, list[dict]] = {}
    kinds["programs"] = [_program(rng, 1001 + i, text, stamp) for i in range(counts["programs"])]
    programs = kinds["programs"] or [{"id": 1001, "name": "Program"}]
    kinds["emails"] = [_email(rng, 4001 + i, programs, text, stamp) for i in range(counts["emails"])]
    kinds["landingPages"] = [_landing_page(rng, 1201 + i, programs, text, stamp) for i in range(counts["landingPages"])]
    kinds["segmentation"] = [_segmentation(rng, 1001 + i, stamp) for i in range(counts["segmentation"])]
    kinds["segments"] = _segments(rng, kinds["segmentation"], stamp)
    kinds["smartCampaigns"] = [_smart_campaign(rng, 1101 + i, programs, text, stamp) for i in range(counts["smartCampaigns"])]
    kinds["staticLists"] = [_list(rng, "staticLists", 1016 + i, programs, text, stamp) for i in range(counts["staticLists"])]
    kinds["smartLists"] = [_list(rng, "smartLists", 3001 + i, programs, text, stamp) for i in range(counts["smartLists"])]
    tokens = {p["id"]: _tokens(rng, p) for p in kinds["programs"]}
    for kind, records in kinds.items():
        for record in records:
            record["_createdMs"], record["_updatedMs"] = times[(kind, record["id"])]
    # Its own random stream: the versions change nothing else of the seeded catalogue.
    _add_versions(seeded_rng(seed, "asset-versions"), kinds, anchor_ms)
    return kinds, tokens


def _add_versions(rng, kinds: dict[str, list[dict]], anchor_ms: int) -> None:
    """Emails and landing pages: most approved, some with a newer draft beside, a few draft only."""
    for kind in VERSIONED:
        records = []
        for record in kinds[kind]:
            roll = rng.random()
            record["status"] = "draft" if roll < DRAFT_ONLY else "approved"
            records.append(record)
            if DRAFT_ONLY <= roll < DRAFT_ONLY + DRAFT_BESIDE_APPROVED:
                edited = rng.randint(record["_updatedMs"] // 1000 + 1, (anchor_ms - 60_000) // 1000) * 1000
                records.append(draft_of(kind, record, edited))
        kinds[kind] = records


def draft_of(kind: str, approved: dict, at_ms: int) -> dict:
    """The draft an edit of an approved email or landing page makes: same id, edited content, newer."""
    draft = copy.deepcopy(approved)
    draft.update(status="draft", _updatedMs=at_ms)
    edit_draft(kind, draft, at_ms)
    return draft


def edit_draft(kind: str, draft: dict, at_ms: int) -> None:
    """A draft is edited (again): its updatedAt moves and its content changes."""
    draft["_updatedMs"] = at_ms
    draft["description"] = f"Draft edited {rest_datetime(at_ms)}"
    if kind == "emails" and draft.get("subject"):
        draft["subject"]["value"] = draft["subject"]["value"].split(" (edited")[0] + f" (edited {rest_datetime(at_ms)[:10]})"
    elif kind == "landingPages":
        draft["title"] = draft["title"].split(" (edited")[0] + f" (edited {rest_datetime(at_ms)[:10]})"


def _folder(rng, programs) -> dict:
    if rng.random() < 0.6 and programs:
        program = rng.choice(programs)
        return {"type": "Program", "value": program["id"], "folderName": program["name"]}
    folder_id, name = rng.choice(FOLDERS)
    return {"type": "Folder", "value": folder_id, "folderName": name}


def _program(rng, pid, text, stamp) -> dict:
    stamp("programs", pid)
    program_type, statuses = rng.choice(PROGRAM_TYPES)
    folder_id, folder_name = rng.choice(FOLDERS)
    record = {"id": pid, "name": f"{rng.choice(TOPICS)} {pid}", "description": text(rng.choice(["", "Sample API Program", "Owner: Marketing, EMEA"])),
              "createdAt": None, "updatedAt": None, "url": f"{INSTANCE}/#PG{pid}A1", "type": program_type,
              "channel": rng.choice(CHANNELS), "folder": {"type": "Folder", "value": folder_id, "folderName": folder_name},
              "status": rng.choice(statuses), "workspace": rng.choice(WORKSPACES)}
    if program_type == "Email":
        record["headStart"] = rng.random() < 0.2
    if rng.random() < 0.35:  # linked to a Salesforce campaign
        record["sfdcId"] = "7015g0000" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(9))
        record["sfdcName"] = record["name"] + " (SFDC)"
    return record


def _email(rng, eid, programs, text, stamp) -> dict:
    stamp("emails", eid)
    folder = _folder(rng, programs)
    from_email = rng.choice([None, "demo@example.com", "marketing@example.org"])
    return {"id": eid, "name": f"{rng.choice(TOPICS)} Email {eid}", "description": text(rng.choice(["", "Invite, wave 1", "Reminder"])),
            "createdAt": None, "updatedAt": None, "url": rng.choice([None, f"{INSTANCE}/#EM{eid}A1"]),
            "subject": {"type": "Text", "value": text(rng.choice(["Don't miss out, {{lead.First Name}}!", "You're invited 🎉", "最新ニュース", "Re: \"pricing\""]))},
            "fromName": {"type": "Text", "value": rng.choice(["Demo Master", "Acme, Marketing"])},
            "fromEmail": {"type": "Text", "value": from_email} if from_email else None,
            "replyEmail": {"type": "Text", "value": from_email} if from_email else None,
            "folder": folder, "operational": rng.random() < 0.1, "textOnly": rng.random() < 0.05,
            "publishToMSI": False, "webView": rng.random() < 0.7,
            "status": rng.choice(["approved", "approved", "draft"]),  # drawn to keep the seeded catalogue; _add_versions decides
            "template": rng.choice([None, 1001, 1002, 1005]), "workspace": rng.choice(WORKSPACES),
            "isOpenTrackingDisabled": False, "version": rng.choice([1, 2, 2]), "autoCopyToText": rng.random() < 0.8,
            "ccFields": [], "preHeader": rng.choice([None, "Preview text, short"])}


def _landing_page(rng, lid, programs, text, stamp) -> dict:
    stamp("landingPages", lid)
    slug = f"lp-{lid}"
    return {"id": lid, "name": f"{rng.choice(TOPICS)} LP {lid}", "description": text(rng.choice(["", "Registration page"])),
            "createdAt": None, "updatedAt": None, "folder": _folder(rng, programs), "workspace": rng.choice(WORKSPACES),
            "status": rng.choice(["approved", "draft"]),  # drawn to keep the seeded catalogue; _add_versions decides
            "template": rng.choice([1, 2, 7]),
            "title": text(rng.choice(["Register now", "Webinar: \"Ops, at scale\"", "ダウンロード"])),
            "keywords": rng.choice([None, "marketing, automation"]), "robots": rng.choice(["index, nofollow", "index, follow", "noindex, nofollow"]),
            "formPrefill": rng.random() < 0.5, "mobileEnabled": rng.random() < 0.6,
            "URL": f"https://pages.example.com/{slug}.html", "computedUrl": f"{INSTANCE}/#LP{lid}A1",
            "customHeadHTML": rng.choice([None, "<meta name=\"x\" content=\"a,b\">"]),
            "facebookOgTags": rng.choice([None, "<meta property=\"og:title\" content=\"Hi\">"])}


def _segmentation(rng, sid, stamp) -> dict:
    stamp("segmentation", sid)
    folder_id, name = rng.choice(FOLDERS)
    return {"id": sid, "name": rng.choice(["Industry", "Region", "Persona", "Lifecycle", "Language", "Tier"]) + f" {sid}",
            "description": rng.choice([None, "Used by dynamic content"]), "createdAt": None, "updatedAt": None,
            "url": f"{INSTANCE}/#SG{sid}A1", "folder": {"type": "Folder", "value": folder_id, "folderName": rng.choice([name, None])},
            "status": rng.choice(["approved", "draft"]), "workspace": "Default"}


def _segments(rng, segmentations, stamp) -> list[dict]:
    out, next_id = [], 2001
    for segmentation in segmentations:
        for _ in range(rng.randint(2, 6)):
            stamp("segments", next_id)
            out.append({"id": next_id, "name": rng.choice(["EMEA", "North America", "APAC", "Default", "Tech, Media", "日本"]),
                        "description": None, "createdAt": None, "updatedAt": None, "url": None,
                        "status": segmentation["status"], "segmentationId": segmentation["id"]})
            next_id += 1
    return out


def _smart_campaign(rng, cid, programs, text, stamp) -> dict:
    stamp("smartCampaigns", cid)
    program = rng.choice(programs) if rng.random() < 0.8 else None
    kind = rng.choice(["batch", "trigger", "default"])
    active = kind == "trigger" and rng.random() < 0.6
    record = {"id": cid, "name": f"{rng.choice(TOPICS)} Campaign {cid}", "description": text(rng.choice(["", "Sends the invite"])),
              "createdAt": None, "updatedAt": None,
              "status": "Active" if active else rng.choice(["Inactive", "Single Run", "Never Run", "Recurring Run"]),
              "type": kind, "isSystem": False, "isActive": active, "isRequestable": rng.random() < 0.2,
              "isCommunicationLimitEnabled": False, "recurrence": {"weekdayOnly": False},
              "qualificationRuleType": rng.choice(["once", "any", "interval"]),
              "smartListId": 5000 + cid, "flowId": 6000 + cid,
              "folder": {"id": program["id"], "type": "Program"} if program else {"id": 45, "type": "Folder"},
              "workspace": rng.choice(WORKSPACES), "computedUrl": f"{INSTANCE}/#SC{cid}A1"}
    if record["qualificationRuleType"] == "interval":
        record.update({"qualificationRuleInterval": 1, "qualificationRuleUnit": "day"})
    if program:
        record["parentProgramId"] = program["id"]
    record["_programName"] = program["name"] if program else None
    return record


def _list(rng, kind, lid, programs, text, stamp) -> dict:
    stamp(kind, lid)
    program = rng.choice(programs) if rng.random() < 0.5 else None
    record = {"id": lid, "name": f"{rng.choice(['Imported Leads', 'Event Attendees', 'Newsletter, EN', 'VIP'])} {lid}",
              "description": text(rng.choice(["", "Test", "Uploaded from \"trade show\" scanner"])),
              "createdAt": None, "updatedAt": None,
              "folder": {"id": program["id"], "type": "Program"} if program else {"id": 44, "type": "Folder"},
              "computedUrl": f"{INSTANCE}/#{'ST' if kind == 'staticLists' else 'SL'}{lid}A1",
              "workspace": rng.choice(WORKSPACES)}
    record["_programName"] = program["name"] if program else None
    return record


def _tokens(rng, program) -> list[dict]:
    choices = [("Event Date", "date", "2024-11-05"), ("Speaker", "text", "Dr. Ada \"Countess\" Lovelace"),
               ("Points", "score", "+10"), ("Body", "rich text", "<p>Hello,<br>world</p>"), ("Seats", "number", "250")]
    chosen = rng.sample(choices, rng.randint(0, 4))
    return [{"name": name, "type": kind, "value": value, "computedUrl": f"{INSTANCE}/#ME{program['id']}A1"}
            for name, kind, value in chosen]
