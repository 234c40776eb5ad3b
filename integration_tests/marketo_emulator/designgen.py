"""Forms, email templates and snippets (EL:forms, EL:email-templates, EL:snippets; marketo-api.md
§5.8), in Marketo's shapes, each with approved and draft versions like emails.

* forms (ids 1000+, so the Webform IDs 1000-1039 of the Fill Out Form activities name real forms,
  with the same names): `folder{type,value,folderName}` in a program or a Design Studio Forms
  folder, lower-case `status`, theme, language/locale, progressiveProfiling, labelPosition,
  fontFamily, fontSize, knownVisitor{type,template}, thankYouList[{followupType, followupValue,
  default, operator?, subjectField?, values?}], buttonLocation, buttonLabel, waitingLabel; their
  fields (`form/{id}/fields.json`) are kept in a private `_fields`;
* email templates (ids 1001+: the `template` ids of the emails, 1001/1002/1005, exist):
  `folder{type,value}` (no folderName, as EL's examples), `status` **capitalised** ("Approved",
  "Draft", as EL's examples; the filter takes approved/draft), `version` 1|2, workspace;
* snippets (ids 101+): `folder{type,value,folderName}` in a Snippets folder, `url` null, lower-case
  `status`, workspace.
Each kind draws from its own random stream, so nothing of the earlier catalogue changes.
"""
from __future__ import annotations

import copy

from . import content as c
from .assetgen import INSTANCE, WORKSPACES
from .hashing import seeded_rng
from .leadgen import DAY_MS
from .timefmt import rest_datetime

NEW_KINDS_VERSIONED = ("forms", "emailTemplates", "snippets")
DRAFT_BESIDE_APPROVED = 0.2  # as for emails: this emulator's choice
DRAFT_ONLY = 0.05
FIRST_FORM_ID, FIRST_TEMPLATE_ID, FIRST_SNIPPET_ID = 1000, 1001, 101
LANGUAGES = [("English", "en_US"), ("English", "en_US"), ("French", "fr_FR"), ("German", "de_DE"), ("Japanese", "ja_JP"),
             ("Spanish", "es_ES")]
BUTTONS = {"English": ("Submit", "Please Wait"), "French": ("Envoyer", "Veuillez patienter"),
           "German": ("Absenden", "Bitte warten"), "Japanese": ("送信", "お待ちください"), "Spanish": ("Enviar", "Espere, por favor")}
EXTRA_FORM_FIELDS = [
    {"id": "Company", "label": "Company Name:", "dataType": "string", "maxLength": 255},
    {"id": "Phone", "label": "Phone Number:", "dataType": "phone", "maxLength": 255},
    {"id": "Country", "label": "Country:", "dataType": "picklist", "fieldMetaData": {"values": [
        {"label": "Select...", "value": "", "isDefault": True, "selected": True}, {"label": "United States", "value": "US"},
        {"label": "Japan", "value": "JP"}, {"label": "Deutschland", "value": "DE"}]}},
    {"id": "Title", "label": "Job Title:", "dataType": "string", "maxLength": 255},
    {"id": "Comments__c", "label": "Comments, questions:", "dataType": "textarea", "maxLength": 2000},
    {"id": "Unsubscribed", "label": "Opt out", "dataType": "single_checkbox"},
    {"id": "utm_source__c", "label": "", "dataType": "hidden", "defaultValue": "newsletter"},
]


def stamp(rng, anchor_ms: int) -> tuple[int, int]:
    created = anchor_ms - rng.randint(2, 700) * DAY_MS - rng.randint(0, 86_399) * 1000
    updated = created if rng.random() < 0.3 else rng.randint(created, anchor_ms - 3_600_000) // 1000 * 1000
    return created, updated


def generate(seed: int, counts: dict[str, int], anchor_ms: int, hostile: bool, programs: list[dict],
             folders: list[dict]) -> dict[str, list[dict]]:
    """Records by kind, versions included (approved before draft under one id)."""
    def containers(folder_type: str) -> list[dict]:
        return [f for f in folders if f["folderType"] == folder_type] or folders[:1]

    out = {
        "forms": [_form(seeded_rng(seed, "forms", i), FIRST_FORM_ID + i, anchor_ms, hostile, programs,
                        containers("Landing Page Form")) for i in range(counts.get("forms", 0))],
        "emailTemplates": [_template(seeded_rng(seed, "emailTemplates", i), FIRST_TEMPLATE_ID + i, anchor_ms, hostile,
                                     containers("Email Template")) for i in range(counts.get("emailTemplates", 0))],
        "snippets": [_snippet(seeded_rng(seed, "snippets", i), FIRST_SNIPPET_ID + i, anchor_ms, hostile,
                              containers("Snippet")) for i in range(counts.get("snippets", 0))],
    }
    for kind in NEW_KINDS_VERSIONED:
        out[kind] = _with_versions(seeded_rng(seed, "versions", kind), kind, out[kind], anchor_ms)
    return out


def _with_versions(rng, kind: str, records: list[dict], anchor_ms: int) -> list[dict]:
    versioned = []
    for record in records:
        roll = rng.random()
        record["status"] = status_word(kind, "draft" if roll < DRAFT_ONLY else "approved")
        versioned.append(record)
        if DRAFT_ONLY <= roll < DRAFT_ONLY + DRAFT_BESIDE_APPROVED:
            edited = rng.randint(record["_updatedMs"] // 1000 + 1, (anchor_ms - 60_000) // 1000) * 1000
            versioned.append(draft_of(kind, record, edited))
    return versioned


def status_word(kind: str, word: str) -> str:
    """Email templates spell their status capitalised (EL:email-templates examples); the others lower case."""
    return word.capitalize() if kind == "emailTemplates" else word


def draft_of(kind: str, approved: dict, at_ms: int) -> dict:
    draft = copy.deepcopy(approved)
    draft["status"] = status_word(kind, "draft")
    edit_draft(kind, draft, at_ms)
    return draft


def edit_draft(kind: str, draft: dict, at_ms: int) -> None:
    """A draft is edited (again): updatedAt moves, the description changes; a form's button label too."""
    draft["_updatedMs"] = at_ms
    draft["description"] = f"Draft edited {rest_datetime(at_ms)}"
    if kind == "forms":
        draft["buttonLabel"] = draft["buttonLabel"].split(" (")[0] + f" ({rest_datetime(at_ms)[:10]})"


def _text(rng, value: str, hostile: bool) -> str:
    return c.hostile_or(value, rng.randrange(256), hostile)


def _optional_text(rng, value: str | None, hostile: bool) -> str | None:
    return None if value is None else _text(rng, value, hostile)


def _form(rng, fid: int, anchor_ms: int, hostile: bool, programs: list[dict], design_folders: list[dict]) -> dict:
    created, updated = stamp(rng, anchor_ms)
    if programs and rng.random() < 0.6:
        program = rng.choice(programs)
        folder = {"type": "Program", "value": program["id"], "folderName": program["name"]}
    else:
        chosen = rng.choice(design_folders)
        folder = {"type": "Folder", "value": chosen["id"], "folderName": chosen["name"]}
    language, locale = rng.choice(LANGUAGES)
    button, waiting = BUTTONS[language]
    return {"id": fid, "name": c.FORM_NAMES[(fid - FIRST_FORM_ID) % len(c.FORM_NAMES)],
            "description": _text(rng, rng.choice(["", "Main site form", "Gated content, \"v2\""]), hostile),
            "createdAt": None, "updatedAt": None, "url": f"{INSTANCE}/#FO{fid}B2", "status": "approved",
            "theme": rng.choice(["simple", "simple", "inset", "glow", "solid", "flat"]), "language": language,
            "locale": locale, "progressiveProfiling": rng.random() < 0.25,
            "labelPosition": rng.choice(["left", "left", "above"]), "fontFamily": rng.choice(["Helvetica", "Arial", "Georgia"]),
            "fontSize": rng.choice(["13px", "13px", "14px"]), "folder": folder,
            "knownVisitor": rng.choice([{"type": "form", "template": None},
                                        {"type": "custom", "template": "<p>Not you? <a href=\"#\">Click here</a></p>"}]),
            "thankYouList": _thank_you(rng), "buttonLocation": rng.choice([120, 120, 96, 0]),
            "buttonLabel": button, "waitingLabel": waiting, "_fields": _form_fields(rng),
            "_createdMs": created, "_updatedMs": updated}


def _thank_you(rng) -> list[dict]:
    default = rng.choice([{"followupType": "none", "followupValue": None, "default": True},
                          {"followupType": "lp", "followupValue": 1201 + rng.randrange(70), "default": True},
                          {"followupType": "url", "followupValue": "https://www.example.com/thanks?src=form", "default": True}])
    rules = []
    if rng.random() < 0.3:
        rules.append({"followupType": "url", "followupValue": "https://www.example.com/partners/thanks",
                      "default": False, "operator": "is", "subjectField": "Company", "values": ["Acme, Inc.", "Initech"]})
    return rules + [default]


def _form_fields(rng) -> list[dict]:
    base = [{"id": "FirstName", "label": "First Name:", "dataType": "text", "maxLength": 255},
            {"id": "LastName", "label": "Last Name:", "dataType": "text", "maxLength": 255},
            {"id": "Email", "label": "Email Address:", "dataType": "email", "required": True}]
    chosen = base + rng.sample(EXTRA_FORM_FIELDS, rng.randint(0, 4))
    out = []
    for row, field in enumerate(chosen):
        item = {"id": field["id"], "label": field.get("label"), "dataType": field["dataType"]}
        if field["dataType"] != "hidden":
            item["validationMessage"] = "This field is required."
        item.update({"rowNumber": row, "columnNumber": 0})
        for key in ("maxLength", "defaultValue", "fieldMetaData"):
            if key in field:
                item[key] = copy.deepcopy(field[key])
        item.update({"required": field.get("required", False), "formPrefill": field["dataType"] != "hidden",
                     "visibilityRules": {"ruleType": "alwaysShow"}})
        out.append(item)
    return out


def _template(rng, tid: int, anchor_ms: int, hostile: bool, folders: list[dict]) -> dict:
    created, updated = stamp(rng, anchor_ms)
    chosen = rng.choice(folders)
    return {"id": tid, "name": rng.choice(["Newsletter", "Event Invite", "Plain Text", "Product Update", "Webinar, 2-col",
                                           "ニュースレター"]) + f" Template {tid}",
            "description": _optional_text(rng, rng.choice(["", "Responsive, v2 editor", None]), hostile),
            "createdAt": None, "updatedAt": None, "url": f"{INSTANCE}/#ET{tid}B2",
            "folder": {"type": "Folder", "value": chosen["id"]}, "status": "Approved",
            "workspace": rng.choice(WORKSPACES), "version": rng.choice([1, 2, 2]),
            "_createdMs": created, "_updatedMs": updated}


def _snippet(rng, sid: int, anchor_ms: int, hostile: bool, folders: list[dict]) -> dict:
    created, updated = stamp(rng, anchor_ms)
    chosen = rng.choice(folders)
    return {"id": sid, "name": rng.choice(["Footer", "Legal Disclaimer", "Social Icons", "Event Banner", "署名",
                                           "Header, dark"]) + f" {sid}",
            "description": _text(rng, rng.choice(["", "Used in every newsletter", "GDPR text, \"EU\""]), hostile),
            "createdAt": None, "updatedAt": None, "url": None,
            "folder": {"type": "Folder", "value": chosen["id"], "folderName": chosen["name"]}, "status": "approved",
            "workspace": rng.choice(WORKSPACES), "_createdMs": created, "_updatedMs": updated}
