"""Marketo objects -> the documented columns (collections.md), as pure functions.

Marketo's own shapes (marketo-api.md sections 4-5): asset datetimes ``2021-11-23T22:57:24Z+0000``;
``folder`` is ``{type, value, folderName}`` on most assets but ``{id, type}`` on some; email
headers are ``{type, value}`` objects (``subject``, ``fromName``, ...); the landing page's public
address is the upper-case key ``URL``; lead-database lists and campaigns name their workspace
``workspaceName``. Every function returns exactly its stream's columns, missing values as None.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional

from source_marketo.components.naming import type_attribute_id
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


SHAPES = {
    "campaigns": campaign,
    "email": email,
    "landing_pages": landing_page,
    "lists": static_list,
    "programs": program,
    "segmentation": segmentation,
    "segments": segment,
    "lead_activity_types": activity_type,
}


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
