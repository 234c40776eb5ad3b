"""Instance metadata, fetched at most once per run: activity types, lead fields, custom objects.

``activities/types.json`` lists the activity types the instance has enabled (ids are standard
across instances; custom types are 100000+), ``leads/describe.json`` lists lead fields with their
``dataType`` and, for fields usable over REST, a ``rest.name`` (marketo-api.md 4.1, 4.4).
``customobjects.json`` lists the custom object types (``name`` is the API name, ``createdAt`` the
type's creation, ``idField``, ``dedupeFields``, ``relationships``); ``customobjects/{apiName}/
describe.json`` adds their ``fields`` (EL:custom-objects).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from source_marketo.components.runtime import MarketoRuntime
from source_marketo.components.errors import ConfigError
from source_marketo.components.settings import MarketoSettings
from source_marketo.components.types import parse_datetime

NEW_LEAD = 12  # Marketo never removes it from the activity log (its data retention policy)
DELETE_LEAD = 37  # served by activities/deletedleads.json, not by bulk export (marketo-api.md 6.2)
NOT_EXPORTABLE_TYPES = frozenset({"formula"})


@dataclass(frozen=True)
class ActivityType:
    id: int
    name: str
    attributes: Tuple[Tuple[str, str], ...]  # (name, dataType)
    primary_attribute: Optional[Tuple[str, str]]


@dataclass(frozen=True)
class LeadField:
    api_name: str
    display_name: str
    data_type: str
    read_only: bool

    @property
    def exportable(self) -> bool:
        return self.data_type.lower() not in NOT_EXPORTABLE_TYPES


@dataclass(frozen=True)
class MemberField:
    """A field of a describe that lists ``fields[{name, dataType}]``: program members
    (``programs/members/describe.json``, marketo-api.md 4.6) and custom objects."""

    name: str
    data_type: str


@dataclass(frozen=True)
class CustomObject:
    """A custom object type, as ``customobjects/{apiName}/describe.json`` describes it."""

    api_name: str
    display_name: str
    created_at: Optional[datetime]  # the type's creation: none of its records is older
    id_field: str  # marketoGUID: the records' own id
    dedupe_fields: Tuple[str, ...]  # the user's key (compound when several)
    fields: Tuple[MemberField, ...]


def program_member_fields(runtime: MarketoRuntime) -> List[MemberField]:
    described = _result(runtime, "/rest/v1/programs/members/describe.json")
    return _described_fields(described[0].get("fields") if described and isinstance(described[0], Mapping) else [])


def custom_object_types(runtime: MarketoRuntime) -> List[Mapping[str, Any]]:
    """The custom object types of ``customobjects.json`` (raises MarketoRequestError when Marketo refuses:
    the feature is off, or the role lacks Read-Only Custom Object)."""
    return [item for item in _result(runtime, "/rest/v1/customobjects.json") if isinstance(item, Mapping) and item.get("name")]


def linked_to_leads(item: Mapping[str, Any]) -> bool:
    """A first-level object linked directly to leads: the only kind Bulk Custom Object Extract exports
    (EL:bulk-custom-object-extract); objects linked to companies or to another custom object are not."""
    return any(isinstance(link, Mapping) and isinstance(link.get("relatedTo"), Mapping)
               and str(link["relatedTo"].get("name", "")).lower() == "lead"
               for link in item.get("relationships") or [])


def describe_custom_object(runtime: MarketoRuntime, item: Mapping[str, Any]) -> CustomObject:
    """``item`` of the listing, with its fields (from the listing when it carries them, else describe)."""
    if not item.get("fields"):
        described = _result(runtime, f"/rest/v1/customobjects/{item['name']}/describe.json")
        item = {**item, **(described[0] if described and isinstance(described[0], Mapping) else {})}
    return CustomObject(
        api_name=str(item["name"]),
        display_name=str(item.get("displayName") or item["name"]),
        created_at=_datetime_or_none(item.get("createdAt")),
        id_field=str(item.get("idField") or "marketoGUID"),
        dedupe_fields=tuple(str(name) for name in item.get("dedupeFields") or []),
        fields=tuple(_described_fields(item.get("fields"))),
    )


def program_ids(runtime: MarketoRuntime) -> List[int]:
    """Every program's id, from the Asset API's browse (200 a page, until Marketo says there are no more)."""
    key = ("program ids",)
    if key not in runtime.replies:
        ids: List[int] = []
        offset = 0
        while True:
            envelope = runtime.client.get("/rest/asset/v1/programs.json", params={"maxReturn": 200, "offset": offset}).envelope
            page = [item for item in (envelope.result if envelope else []) if isinstance(item, Mapping) and isinstance(item.get("id"), int)]
            ids.extend(item["id"] for item in page)
            if envelope is None or envelope.no_assets_found or len(page) < 200:
                break
            offset += 200
        runtime.replies[key] = ids
    return list(runtime.replies[key])


def activity_types(runtime: MarketoRuntime) -> List[ActivityType]:
    return [_activity_type(item) for item in _result(runtime, "/rest/v1/activities/types.json") if isinstance(item, Mapping)]


def lead_fields(runtime: MarketoRuntime) -> List[LeadField]:
    """REST-usable lead fields (describe entries without ``rest`` cannot be read over REST or bulk)."""
    return [field for field in map(_lead_field, _result(runtime, "/rest/v1/leads/describe.json")) if field]


def validate_activity_type_ids(settings: MarketoSettings, types: Sequence[ActivityType]) -> None:
    if settings.activity_type_ids is None:
        return
    known = {activity.id for activity in types} | {DELETE_LEAD}
    unknown = [type_id for type_id in settings.activity_type_ids if type_id not in known]
    if unknown:
        sample = ", ".join(f"{activity.id} {activity.name}" for activity in sorted(types, key=lambda t: t.id)[:12])
        raise ConfigError(
            f"Lead activity type IDs {', '.join(map(str, unknown))} do not exist on this Marketo instance. "
            f"Use ids from Marketo's activity types (for example {sample}), or 'all'."
        )


def validate_custom_lead_fields(settings: MarketoSettings, fields: Sequence[LeadField]) -> None:
    by_name = {field.api_name.lower(): field for field in fields}
    missing = [name for name in settings.custom_lead_fields if name.lower() not in by_name]
    if missing:
        raise ConfigError(
            f"Custom lead fields {', '.join(missing)} do not exist on this Marketo instance (or are not readable over REST). "
            "Use the REST API names from Admin > Field Management > Export Field Names."
        )
    unexportable = [name for name in settings.custom_lead_fields if not by_name[name.lower()].exportable]
    if unexportable:
        raise ConfigError(f"Custom lead fields {', '.join(unexportable)} are formula fields, which Marketo cannot export; remove them.")


def _result(runtime: MarketoRuntime, path: str) -> List[Any]:
    """The reply is asked once per run (runtime.cached_get); parsing it again is cheap."""
    reply = runtime.cached_get(path)
    return list(reply.envelope.result) if reply.envelope else []


def _described_fields(fields: Any) -> List[MemberField]:
    return [MemberField(str(item["name"]), str(item.get("dataType") or "string")) for item in fields or []
            if isinstance(item, Mapping) and item.get("name") and str(item.get("dataType", "")).lower() not in NOT_EXPORTABLE_TYPES]


def _datetime_or_none(value: Any) -> Optional[datetime]:
    try:
        return parse_datetime(str(value)) if value else None
    except ValueError:
        return None


def _activity_type(item: Mapping[str, Any]) -> ActivityType:
    primary = item.get("primaryAttribute")
    attributes = tuple(
        (str(attribute.get("name")), str(attribute.get("dataType") or "string"))
        for attribute in item.get("attributes") or []
        if isinstance(attribute, Mapping) and attribute.get("name")
    )
    return ActivityType(
        id=int(item["id"]),
        name=str(item.get("name") or ""),
        attributes=attributes,
        primary_attribute=(str(primary.get("name")), str(primary.get("dataType") or "string")) if isinstance(primary, Mapping) else None,
    )


def _lead_field(item: Any) -> Optional[LeadField]:
    if not isinstance(item, Mapping) or not isinstance(item.get("rest"), Mapping) or not item["rest"].get("name"):
        return None
    return LeadField(
        api_name=str(item["rest"]["name"]),
        display_name=str(item.get("displayName") or ""),
        data_type=str(item.get("dataType") or "string"),
        read_only=bool(item["rest"].get("readOnly")),
    )

