"""Channels (with their progression statuses), tag types and program tags (EL:channels, EL:tags,
EL:programs; marketo-api.md §5.8).

Every `channel` a program names is a channel here (the seven the programs use, ids 1-7, plus
`asset_counts["channels"] - 7` others). A channel's progression statuses are what program members
of a program with that channel can have (`programmembers.py`); steps grow, `success` marks the
success statuses. `applicableProgramType` uses the program-type words of EL:tags (`program`,
`email_batch`, `nurture`, `event`, `webinar`). The seeded programs drew their type and channel
independently, so a program's channel is not always applicable to its type (a choice kept so the
programs stay as they were).

Tag types: `tagTypes.json` items are `{tagType, applicableProgramTypes, required}` with the types
as a bracketed string (EL:tags); `tagType/byName.json` adds `allowableValues` (a bracketed string
too). Programs carry tags (`program/{id}.json` `tags: [{tagType, tagValue}]`): every required
tag type applicable to the program's type, and about half of the optional ones.
"""
from __future__ import annotations

from .assetgen import CHANNELS
from .hashing import seeded_rng
from .leadgen import DAY_MS

PROGRAM_TYPE_WORDS = {"Default": "program", "Email": "email_batch", "Engagement": "nurture", "Event": "event",
                      "Event with Webinar": "webinar"}
ALL_TYPES = "[program,email_batch,nurture,event,webinar]"
# (name, step, success, hidden) per channel; "Not in Program" (step 0) first everywhere.
STATUSES = {
    "Email Blast": [("Member", 10, False, False), ("Engaged", 20, True, False)],
    "Webinar": [("Invited", 10, False, False), ("Registered", 20, False, False), ("Waitlisted", 25, False, False),
                ("No Show", 30, False, False), ("Attended", 40, True, False), ("Attended On-demand", 50, True, False)],
    "Nurture": [("Member", 10, False, False), ("Engaged", 20, True, False)],
    "Tradeshow": [("Invited", 10, False, False), ("Registered", 20, False, False), ("No Show", 30, False, True),
                  ("Visited Booth", 40, True, False), ("Engaged", 50, True, False)],
    "Content": [("Member", 10, False, False), ("Engaged", 20, True, False)],
    "Online Advertising": [("Invited", 10, False, False), ("Registered", 20, False, False), ("No Show", 30, False, False),
                           ("Attended", 40, True, False)],
    "Operational": [("Member", 10, False, False)],
    "Email Send": [("Member", 10, False, False), ("Engaged", 20, True, False)],
    "Blog": [("Invited", 10, False, False), ("Visited Booth", 20, False, False), ("Influenced", 30, True, False)],
    "Field Event": [("Invited", 10, False, False), ("Registered", 20, False, False), ("No Show", 30, False, False),
                    ("Attended", 40, True, False)],
    "Social": [("Member", 10, False, False), ("Clicked", 20, False, False), ("Converted", 30, True, False)],
    "Web Content": [("Viewed", 10, False, False), ("Filled-out Form", 20, True, False)],
    "Direct Mail": [("Sent", 10, False, False), ("Contacted", 20, False, False), ("Converted", 30, True, False)],
}
CHANNEL_TYPES = {"Email Blast": "program", "Webinar": "webinar", "Nurture": "nurture", "Tradeshow": "event",
                 "Content": "program", "Online Advertising": "program", "Operational": "program",
                 "Email Send": "email_batch", "Blog": "program", "Field Event": "event", "Social": "program",
                 "Web Content": "program", "Direct Mail": "program"}
EXTRA_CHANNELS = ["Email Send", "Blog", "Field Event", "Social", "Web Content", "Direct Mail"]
TAG_TYPES = [
    ("Region", ALL_TYPES, True, ["AMER", "EMEA", "APAC", "LATAM"]),
    ("Product Line", ALL_TYPES, False, ["Platform", "Analytics", "Add-ons & Services"]),
    ("Event Format", "[event,webinar]", True, ["In person", "Virtual", "Hybrid"]),
    ("Fiscal Quarter", ALL_TYPES, False, ["FY25 Q1", "FY25 Q2", "FY25 Q3", "FY25 Q4"]),
    ("Campaign Owner", "[program,email_batch,nurture]", False, ["Marketing Ops", "Demand Gen", "Field"]),
    ("Budget Code", ALL_TYPES, False, ["MKT-100", "MKT-200", "MKT-300"]),
]


def channels(seed: int, count: int, anchor_ms: int) -> list[dict]:
    """Channel records (private `_createdMs`/`_updatedMs`), ids 1..; the programs' channels first."""
    rng = seeded_rng(seed, "channels")
    names = list(CHANNELS) + EXTRA_CHANNELS[: max(0, min(count, len(CHANNELS) + len(EXTRA_CHANNELS)) - len(CHANNELS))]
    out = []
    born = anchor_ms - 720 * DAY_MS
    for index, name in enumerate(names):
        updated = born if rng.random() < 0.6 else rng.randint(born, anchor_ms - 86_400_000) // 1000 * 1000
        statuses = [("Not in Program", 0, False, False)] + STATUSES[name]
        out.append({"id": index + 1, "name": name, "applicableProgramType": CHANNEL_TYPES[name],
                    "progressionStatuses": [{"name": s, "step": step, "description": None, "hidden": hidden,
                                             "success": success} for s, step, success, hidden in statuses],
                    "createdAt": None, "updatedAt": None, "_createdMs": born, "_updatedMs": updated})
    return out


def tag_types(count: int) -> list[dict]:
    """Tag type records; `_allowable` holds the values byName shows, `_id` the position (no id in Marketo)."""
    return [{"tagType": name, "applicableProgramTypes": types, "required": required, "_allowable": list(values),
             "_id": index + 1} for index, (name, types, required, values) in enumerate(TAG_TYPES[:count])]


def applies(tag_type: dict, program_type: str) -> bool:
    return PROGRAM_TYPE_WORDS.get(program_type, "program") in tag_type["applicableProgramTypes"].strip("[]").split(",")


def program_tags(seed: int, programs: list[dict], types: list[dict]) -> dict[int, list[dict]]:
    """program id -> [{tagType, tagValue}] (required applicable tags always, optional ones half of the time)."""
    out = {}
    for program in programs:
        rng = seeded_rng(seed, "program-tags", program["id"])
        tags = []
        for tag_type in types:
            if not applies(tag_type, program["type"]):
                continue
            if tag_type["required"] or rng.random() < 0.5:
                tags.append({"tagType": tag_type["tagType"], "tagValue": rng.choice(tag_type["_allowable"])})
        out[program["id"]] = tags
    return out


def bracketed(values: list[str]) -> str:
    return "[" + ", ".join(values) + "]"
