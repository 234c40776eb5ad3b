"""Instance metadata, fetched at most once per run: activity types and lead fields.

``activities/types.json`` lists the activity types the instance has enabled (ids are standard
across instances; custom types are 100000+), ``leads/describe.json`` lists lead fields with their
``dataType`` and, for fields usable over REST, a ``rest.name`` (marketo-api.md 4.1, 4.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from source_marketo.components.runtime import MarketoRuntime
from source_marketo.components.errors import ConfigError
from source_marketo.components.settings import MarketoSettings

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
    """A program member field of ``programs/members/describe.json`` (marketo-api.md 4.6)."""

    name: str
    data_type: str


def program_member_fields(runtime: MarketoRuntime) -> List[MemberField]:
    described = _result(runtime, "/rest/v1/programs/members/describe.json")
    fields = described[0].get("fields") if described and isinstance(described[0], Mapping) else []
    return [MemberField(str(item["name"]), str(item.get("dataType") or "string")) for item in fields or []
            if isinstance(item, Mapping) and item.get("name") and str(item.get("dataType", "")).lower() not in NOT_EXPORTABLE_TYPES]


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

