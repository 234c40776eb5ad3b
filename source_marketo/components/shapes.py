"""Marketo objects -> the documented columns (collections.md), as pure functions.

Marketo's own shapes (marketo-api.md sections 4-5): asset datetimes ``2021-11-23T22:57:24Z+0000``;
``folder`` is ``{type, value, folderName}`` on most assets but ``{id, type}`` on some; email
headers are ``{type, value}`` objects (``subject``, ``fromName``, ...); the landing page's public
address is the upper-case key ``URL``; lead-database lists and campaigns name their workspace
``workspaceName``. Every function returns exactly its stream's columns, missing values as None.

The later asset kinds (marketo-api.md 5.6-5.8) are mostly flat: their columns are Marketo's keys in
snake_case (``Columns``), plus what needs a word of its own: the versioned kinds' ``status``
(email templates write ``Approved``/``Draft``, the others lower case), tag types' bracketed lists
(``"[AMER, EMEA]"``), folders' ``folderId``/``parent`` references and smart campaigns' ``recurrence``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from source_marketo.components.naming import snake_case, type_attribute_id
from source_marketo.components.types import rfc3339, to_boolean, to_integer, to_string

Record = Dict[str, Any]


class BadValue(ValueError):
    """A Marketo value that does not fit its column; names the Marketo field, the value and the type."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        super().__init__(f"field '{field}' has {str(value)[:80]!r}, which is not {expected}")
        self.field, self.value, self.expected = field, value, expected


def integer(item: Mapping[str, Any], key: str) -> Optional[int]:
    return _checked(to_integer, item, key, "a whole number")


def datetime_of(item: Mapping[str, Any], key: str) -> Optional[str]:
    return _checked(rfc3339, item, key, "a datetime")


def _checked(convert, item: Mapping[str, Any], key: str, expected: str) -> Any:
    try:
        return convert(item.get(key))
    except (TypeError, ValueError):
        raise BadValue(key, item.get(key), expected) from None


def folder_columns(folder: Any) -> Record:
    """``{type, value, folderName}`` or ``{id, type}`` -> folder_type, folder_value, folder_name."""
    if not isinstance(folder, Mapping):
        return {"folder_type": None, "folder_value": None, "folder_name": None}
    value = folder.get("value", folder.get("id"))
    return {
        "folder_type": to_string(folder.get("type")),
        "folder_value": to_integer(value) if _is_int_like(value) else None,  # a folder or program id
        "folder_name": to_string(folder.get("folderName")),
    }


def header_value(header: Any) -> Optional[str]:
    """An email header object ``{type, value}`` -> its value (plain strings pass through)."""
    if isinstance(header, Mapping):
        return to_string(header.get("value"))
    return to_string(header)


def timestamps(item: Mapping[str, Any]) -> Record:
    return {"created_at": datetime_of(item, "createdAt"), "updated_at": datetime_of(item, "updatedAt")}


def campaign(item: Mapping[str, Any]) -> Record:
    return {
        "id": integer(item, "id"),
        "name": to_string(item.get("name")),
        "active": _boolean(item.get("active")),
        "type": to_string(item.get("type")),
        "workspace_name": to_string(item.get("workspaceName")),
        **timestamps(item),
    }


def email(item: Mapping[str, Any]) -> Record:
    return {
        "id": integer(item, "id"),
        "name": to_string(item.get("name")),
        "status": to_string(item.get("status")),
        "url": to_string(item.get("url")),
        "description": to_string(item.get("description")),
        "operational": _boolean(item.get("operational")),
        "template": _integer(item.get("template")),
        "text_only": _boolean(item.get("textOnly")),
        "web_view": _boolean(item.get("webView")),
        "workspace": to_string(item.get("workspace")),
        "version": _integer(item.get("version")),
        "subject": header_value(item.get("subject")),
        "from_name": header_value(item.get("fromName")),
        "from_email": header_value(item.get("fromEmail")),
        "reply_email": header_value(item.get("replyEmail")),
        **folder_columns(item.get("folder")),
        **timestamps(item),
    }


def landing_page(item: Mapping[str, Any]) -> Record:
    return {
        "id": integer(item, "id"),
        "name": to_string(item.get("name")),
        "status": to_string(item.get("status")),
        "workspace": to_string(item.get("workspace")),
        "url": to_string(item.get("URL", item.get("url"))),
        "computed_url": to_string(item.get("computedUrl")),
        "mobile_enabled": _boolean(item.get("mobileEnabled")),
        "robots": to_string(item.get("robots")),
        "keywords": to_string(item.get("keywords")),
        "title": to_string(item.get("title")),
        "template": _integer(item.get("template")),
        "custom_head_html": to_string(item.get("customHeadHTML")),
        "description": to_string(item.get("description")),
        "facebook_og_tags": to_string(item.get("facebookOgTags")),
        "form_prefill": _boolean(item.get("formPrefill")),
        **folder_columns(item.get("folder")),
        **timestamps(item),
    }


def static_list(item: Mapping[str, Any]) -> Record:
    return {
        "id": integer(item, "id"),
        "name": to_string(item.get("name")),
        "description": to_string(item.get("description")),
        "program_name": to_string(item.get("programName")),
        "workspace_name": to_string(item.get("workspaceName")),
        **timestamps(item),
    }


def list_member(item: Mapping[str, Any], list_id: Any = None) -> Record:
    """One member of a static list (``lists/{id}/leads.json?fields=id``): the list is the partition's,
    the lead the item's ``id``. Marketo does not date a membership, so neither does the row."""
    return {"list_id": integer({"listId": list_id}, "listId"), "lead_id": integer(item, "id")}


def program(item: Mapping[str, Any]) -> Record:
    return {
        "id": integer(item, "id"),
        "name": to_string(item.get("name")),
        "description": to_string(item.get("description")),
        "url": to_string(item.get("url")),
        "type": to_string(item.get("type")),
        "channel": to_string(item.get("channel")),
        "status": to_string(item.get("status")),
        "workspace": to_string(item.get("workspace")),
        "sfdc_id": to_string(item.get("sfdcId")),
        "sfdc_name": to_string(item.get("sfdcName")),
        **folder_columns(item.get("folder")),
        **timestamps(item),
    }


def segmentation(item: Mapping[str, Any]) -> Record:
    return {
        "id": integer(item, "id"),
        "name": to_string(item.get("name")),
        "url": to_string(item.get("url")),
        "description": to_string(item.get("description")),
        "status": to_string(item.get("status")),
        "workspace": to_string(item.get("workspace")),
        **folder_columns(item.get("folder")),
        **timestamps(item),
    }


def segment(item: Mapping[str, Any], segmentation_id: Any = None) -> Record:
    return {
        "id": integer(item, "id"),
        "name": to_string(item.get("name")),
        "segmentation_id": integer({"segmentationId": segmentation_id, **item}, "segmentationId"),
        "description": to_string(item.get("description")),
        "url": to_string(item.get("url")),
        **timestamps(item),
    }


def activity_type(item: Mapping[str, Any]) -> Record:
    primary = item.get("primaryAttribute") if isinstance(item.get("primaryAttribute"), Mapping) else {}
    return {
        "id": integer(item, "id"),
        "name": to_string(item.get("name")),
        "description": to_string(item.get("description")),
        "primary_attribute_name": to_string(primary.get("name")),
        "primary_attribute_data_type": to_string(primary.get("dataType")),
    }


def activity_type_attributes(item: Mapping[str, Any]) -> List[Record]:
    """One row per attribute of an activity type (the primary attribute is described on the type itself)."""
    type_id = integer(item, "id")
    rows = []
    for attribute in _mappings(item.get("attributes")):
        name = to_string(attribute.get("name"))
        rows.append({
            "id": type_attribute_id(type_id, name),
            "activity_type_id": type_id,
            "name": name,
            "data_type": to_string(attribute.get("dataType")),
        })
    return rows


# --- the later asset kinds: forms, email templates, snippets, smart lists and campaigns, tokens,
# channels, tag types, folders (marketo-api.md 5.6-5.8) --------------------------------------------


@dataclass(frozen=True)
class Columns:
    """Marketo keys -> columns named by their snake_case (after ``prefix``), converted by type:
    strings as text; integers and booleans leniently (a value that is not one becomes None);
    datetimes strictly (RFC 3339, anything else is a BadValue). A missing object gives None columns."""

    strings: Tuple[str, ...] = ()
    integers: Tuple[str, ...] = ()
    booleans: Tuple[str, ...] = ()
    datetimes: Tuple[str, ...] = ()
    prefix: str = ""

    def __call__(self, item: Any) -> Record:
        item = item if isinstance(item, Mapping) else {}
        row: Record = {}
        for keys, convert in ((self.strings, to_string), (self.integers, _integer), (self.booleans, _boolean)):
            for key in keys:
                row[self.prefix + snake_case(key)] = convert(item.get(key))
        for key in self.datetimes:
            row[self.prefix + snake_case(key)] = datetime_of(item, key)
        return row


def version_status(value: Any) -> Optional[str]:
    """The version of a versioned asset, lower case: email templates write ``Approved``/``Draft``
    (marketo-api.md 5.8), forms and snippets ``approved``/``draft``, as the ``status`` filter does."""
    text = to_string(value)
    return text.lower() if text is not None else None


def bracketed_list(value: Any) -> Optional[List[Optional[str]]]:
    """Tag types' lists, written as one string ``"[AMER, EMEA, APAC]"`` -> ``["AMER", "EMEA", "APAC"]``
    (a JSON list passes through; None stays None). Marketo does not escape a comma inside a value."""
    if value is None or isinstance(value, list):
        return _strings(value)
    text = str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [part.strip() for part in text.split(",") if part.strip()]


def _asset(columns: Columns, *, versioned: bool = False, foldered: bool = True, extra=None):
    """The shape of an asset: ``id``, ``columns``, its version's ``status``, ``extra(item)``, the
    folder columns and the timestamps."""

    def shape(item: Mapping[str, Any]) -> Record:
        row = {"id": integer(item, "id"), **columns(item)}
        if versioned:
            row["status"] = version_status(item.get("status"))
        if extra is not None:
            row.update(extra(item))
        if foldered:
            row.update(folder_columns(item.get("folder")))
        return {**row, **timestamps(item)}

    return shape


_KNOWN_VISITOR = Columns(strings=("type", "template"), prefix="known_visitor_")
_THANK_YOU_RULE = Columns(strings=("followupType", "followupValue", "operator", "subjectField"), booleans=("default",))


def _form_extra(item: Mapping[str, Any]) -> Record:
    """``knownVisitor {type, template}`` flattened; ``thankYouList`` as a list of snake_case rules."""
    rules = item.get("thankYouList")
    return {
        **_KNOWN_VISITOR(item.get("knownVisitor")),
        "thank_you_list": [{**_THANK_YOU_RULE(rule), "values": _strings(rule.get("values"))} for rule in _mappings(rules)]
        if isinstance(rules, list) else None,
    }


_RECURRENCE = Columns(strings=("intervalType", "dayOfWeek"), integers=("interval", "dayOfMonth", "weekOfMonth"),
                      booleans=("weekdayOnly",), datetimes=("startAt", "endAt"), prefix="recurrence_")


def _recurrence(item: Mapping[str, Any]) -> Record:
    """A smart campaign's ``recurrence`` (often only ``{"weekdayOnly": false}``) as flat columns."""
    recurrence = item.get("recurrence") if isinstance(item.get("recurrence"), Mapping) else {}
    return {**_RECURRENCE(recurrence), "recurrence_weekday_mask": _strings(recurrence.get("weekdayMask"))}


form = _asset(Columns(strings=("name", "description", "url", "theme", "language", "locale", "labelPosition", "fontFamily",
                               "fontSize", "buttonLabel", "waitingLabel"),
                      integers=("buttonLocation",), booleans=("progressiveProfiling",)), versioned=True, extra=_form_extra)
email_template = _asset(Columns(strings=("name", "description", "url", "workspace"), integers=("version",)), versioned=True)
snippet = _asset(Columns(strings=("name", "description", "url", "workspace")), versioned=True)
smart_list = _asset(Columns(strings=("name", "description", "workspace", "computedUrl")))
smart_campaign = _asset(Columns(
    strings=("name", "description", "status", "type", "qualificationRuleType", "qualificationRuleUnit", "workspace", "computedUrl"),
    integers=("qualificationRuleInterval", "maxMembers", "smartListId", "flowId", "parentProgramId"),
    booleans=("isSystem", "isActive", "isRequestable", "isCommunicationLimitEnabled")), extra=_recurrence)
channel = _asset(Columns(strings=("name", "applicableProgramType")), foldered=False)

_TOKEN = Columns(strings=("name", "type", "value", "computedUrl"))
_PROGRESSION_STATUS = Columns(strings=("name", "description", "type"), integers=("step",), booleans=("hidden", "success"))
_FOLDER = Columns(strings=("name", "description", "url", "folderType", "path", "workspace"), integers=("accessZoneId",),
                  booleans=("isArchive", "isSystem"))


def program_token(item: Mapping[str, Any], program_id: Any = None) -> Record:
    """One My Token of a program (``folder/{id}/tokens.json?folderType=Program``); the program is the partition's."""
    return {"program_id": _integer(program_id), **_TOKEN(item)}


def channel_progression_statuses(item: Mapping[str, Any]) -> List[Record]:
    """One row per progression status of a channel, with the channel's id, name and ``updated_at``
    (statuses have no dates of their own)."""
    channel_columns = {"channel_id": integer(item, "id"), "channel_name": to_string(item.get("name")),
                       "updated_at": datetime_of(item, "updatedAt")}
    return [{**channel_columns, **_PROGRESSION_STATUS(status)} for status in _mappings(item.get("progressionStatuses"))]


def tag_type(item: Mapping[str, Any]) -> Record:
    """A tag type (``tagType/byName.json``: the only reply with ``allowableValues``); no id, no dates."""
    return {
        "tag_type": to_string(item.get("tagType")),
        "applicable_program_types": bracketed_list(item.get("applicableProgramTypes")),
        "required": _boolean(item.get("required")),
        "allowable_values": bracketed_list(item.get("allowableValues")),
    }


def folder(item: Mapping[str, Any]) -> Record:
    """A folder or program of the tree: ``folderId {id, type}`` -> ``id``, ``type`` (Folder or Program:
    the two number separately), ``parent {id, type}`` -> ``parent_id``, ``parent_type``."""
    reference = item.get("folderId") if isinstance(item.get("folderId"), Mapping) else {}
    parent = folder_columns(item.get("parent"))
    return {"id": integer({"id": reference.get("id", item.get("id"))}, "id"), "type": to_string(reference.get("type")),
            **_FOLDER(item), "parent_id": parent["folder_value"], "parent_type": parent["folder_type"], **timestamps(item)}


SHAPES = {
    "campaigns": campaign,
    "email": email,
    "landing_pages": landing_page,
    "lists": static_list,
    "list_members": list_member,
    "programs": program,
    "segmentation": segmentation,
    "segments": segment,
    "lead_activity_types": activity_type,
    "forms": form,
    "email_templates": email_template,
    "snippets": snippet,
    "smart_lists": smart_list,
    "smart_campaigns": smart_campaign,
    "program_tokens": program_token,
    "channels": channel,
    "tags": tag_type,
    "folders": folder,
}

# Streams with several records per Marketo object: the object -> its rows.
ROWS = {
    "lead_activity_type_attributes": activity_type_attributes,
    "channel_progression_statuses": channel_progression_statuses,
}


def _strings(value: Any) -> Optional[List[Optional[str]]]:
    return [to_string(part) for part in value] if isinstance(value, list) else None


def _mappings(value: Any) -> Iterable[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _is_int_like(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) or isinstance(value, str) and value.isdigit()


def _integer(value: Any) -> Optional[int]:
    """Lenient: a value that is not a whole number (Marketo sometimes sends "") becomes None."""
    try:
        return to_integer(value)
    except (TypeError, ValueError):
        return None


def _boolean(value: Any) -> Optional[bool]:
    try:
        return to_boolean(value)
    except ValueError:
        return None
