"""Validation of bulk export create bodies (marketo-api.md §6.2) into a normalised request.

Leads: `fields` required (REST names; unknown or formula -> 1003), exactly one filter among
createdAt | updatedAt | staticListId | staticListName | smartListId | smartListName; updatedAt and
smart-list filters answer 1035 on a subscription without them. Activities: `createdAt` required,
optional `activityTypeIds` (Delete Lead 37 is not exportable), `primaryAttributeValueIds` or
`primaryAttributeValues` (<= 50, need activityTypeIds), optional `fields` among the default columns
and `actionResult`. Program members: `fields` required (program member fields, and lead fields,
which are exported from the lead), filter `programId` or `programIds` (at most 10), optional
`isExhausted`, `nurtureCadence` (paus|pause|norm), `statusNames` (each must be a status of one of
the programs' channels: else 1003 "Invalid Data"), `updatedAt` (1035 when unsupported); ANDed.
Custom objects: `fields` required (the object's fields), exactly one filter of updatedAt |
staticListId | staticListName | smartListId | smartListName (the smart-list ones answer 1035 on a
subscription without them). Date ranges: ISO-8601 without milliseconds, at most 31 days.
"""
from __future__ import annotations

from .activity_types import BY_ID as TYPES, DEFAULT_EXPORT_FIELDS, DELETE_LEAD, OPTIONAL_EXPORT_FIELDS
from .envelope import MarketoError
from .fields import BY_REST_NAME, NOT_EXPORTABLE_TYPES
from .memberfields import BY_NAME as MEMBER_FIELDS
from .timefmt import BadDatetime, parse_input

LEAD_FILTERS = ("createdAt", "updatedAt", "staticListId", "staticListName", "smartListId", "smartListName")
CORONA_FILTERS = ("updatedAt", "smartListId", "smartListName")
MAX_RANGE_MS = 31 * 86_400_000
FORMATS = ("CSV", "TSV", "SSV")


def _window(raw, name: str) -> dict:
    if not isinstance(raw, dict) or not raw.get("startAt") or not raw.get("endAt"):
        raise MarketoError("1003", f"{name} filter requires startAt and endAt")
    try:
        start = parse_input(str(raw["startAt"]), allow_millis=False, allow_date_only=False)
        end = parse_input(str(raw["endAt"]), allow_millis=False, allow_date_only=False)
    except BadDatetime as error:
        raise MarketoError("1003", f"Invalid date format in {name} filter: {error}") from error
    if start > end:
        raise MarketoError("1003", f"{name}.startAt must be before endAt")
    if end - start > MAX_RANGE_MS:
        raise MarketoError("1003", "Date range exceeds the maximum of 31 days")
    return {"startAt": raw["startAt"], "endAt": raw["endAt"], "startMs": start, "endMs": end}


def _common(body) -> tuple[str, dict]:
    if not isinstance(body, dict):
        raise MarketoError("609", "Invalid JSON")
    fmt = str(body.get("format") or "CSV").upper()
    if fmt not in FORMATS:
        raise MarketoError("1003", f"Invalid format: {body.get('format')}")
    headers = body.get("columnHeaderNames") or {}
    if not isinstance(headers, dict):
        raise MarketoError("1003", "columnHeaderNames must be an object")
    filters = body.get("filter")
    if not isinstance(filters, dict):
        raise MarketoError("1003", "filter is required")
    return fmt, {"columnHeaderNames": {str(k): str(v) for k, v in headers.items()}, "rawFilter": filters}


def lead_request(body, assets, updated_at_filter: bool) -> tuple[str, dict]:
    fmt, request = _common(body)
    fields = body.get("fields")
    if not isinstance(fields, list) or not fields:
        raise MarketoError("1003", "fields is required")
    bad = [str(f) for f in fields if f not in BY_REST_NAME or BY_REST_NAME[f].data_type in NOT_EXPORTABLE_TYPES]
    if bad:
        raise MarketoError("1003", f"Invalid field(s): {', '.join(bad)}")
    filters = request["rawFilter"]
    chosen = [key for key in filters if key in LEAD_FILTERS]
    unknown = [key for key in filters if key not in LEAD_FILTERS]
    if unknown or len(chosen) != 1:
        raise MarketoError("1003", "Exactly one filter of createdAt, updatedAt, staticListId, staticListName, "
                                   "smartListId, smartListName is required")
    key = chosen[0]
    if key in CORONA_FILTERS and not updated_at_filter:
        raise MarketoError("1035", "Unsupported filter type for target subscription")
    request.update({"fields": list(fields), "filter": {key: _lead_filter(key, filters[key], assets)}})
    return fmt, request


def _lead_filter(key: str, value, assets):
    if key in ("createdAt", "updatedAt"):
        return _window(value, key)
    kind = "staticLists" if key.startswith("static") else "smartLists"
    for item in assets.all(kind):
        if (key.endswith("Id") and str(item["id"]) == str(value)) or (key.endswith("Name") and item["name"] == value):
            return item["id"]
    raise MarketoError("1003", f"{kind[:-1]} not found: {value}")


def normalise_lead_filter(filter_spec: dict) -> dict:
    """staticListName/smartListName were resolved to ids: name the keys after what they hold."""
    key, value = next(iter(filter_spec.items()))
    if key in ("staticListName", "staticListId"):
        return {"staticListId": value}
    if key in ("smartListName", "smartListId"):
        return {"smartListId": value}
    return filter_spec


def activity_request(body, max_types: int = 0) -> tuple[str, dict]:
    fmt, request = _common(body)
    filters = request["rawFilter"]
    if "createdAt" not in filters:
        raise MarketoError("1003", "createdAt filter is required")
    type_ids = filters.get("activityTypeIds")
    if type_ids is not None:
        if not isinstance(type_ids, list) or not all(isinstance(t, int) or str(t).isdigit() for t in type_ids):
            raise MarketoError("1003", "activityTypeIds must be a list of integers")
        type_ids = [int(t) for t in type_ids]
        if DELETE_LEAD in type_ids:
            raise MarketoError("1003", "Activity type 37 (Delete Lead) is not supported, use deletedleads.json")
        unknown = [t for t in type_ids if t not in TYPES]
        if unknown:
            raise MarketoError("1003", f"Invalid activity type id: {unknown[0]}")
        if max_types and len(type_ids) > max_types:
            raise MarketoError("1003", f"Too many activity type ids: {len(type_ids)} given, at most {max_types} allowed")
    ids, values = filters.get("primaryAttributeValueIds"), filters.get("primaryAttributeValues")
    if ids is not None and values is not None:
        raise MarketoError("1003", "primaryAttributeValueIds and primaryAttributeValues are mutually exclusive")
    for given in (ids, values):
        if given is not None and (not type_ids or not isinstance(given, list) or len(given) > 50):
            raise MarketoError("1003", "primaryAttributeValue filters need activityTypeIds and at most 50 values")
    fields = body.get("fields") or list(DEFAULT_EXPORT_FIELDS)
    allowed = set(DEFAULT_EXPORT_FIELDS) | set(OPTIONAL_EXPORT_FIELDS)
    bad = [str(f) for f in fields if f not in allowed]
    if bad:
        raise MarketoError("1003", f"Invalid field(s): {', '.join(bad)}")
    request.update({"fields": list(fields), "filter": {"createdAt": _window(filters["createdAt"], "createdAt")},
                    "activityTypeIds": type_ids, "primaryAttributeValueIds": [int(i) for i in ids] if ids else None})
    return fmt, request


MEMBER_FILTERS = ("programId", "programIds", "isExhausted", "nurtureCadence", "statusNames", "updatedAt")
MAX_PROGRAM_IDS = 10


def program_member_request(body, profiles: dict, updated_at_filter: bool) -> tuple[str, dict]:
    fmt, request = _common(body)
    fields = body.get("fields")
    if not isinstance(fields, list) or not fields:
        raise MarketoError("1003", "fields is required")
    bad = [str(f) for f in fields if f not in MEMBER_FIELDS and (f not in BY_REST_NAME or
                                                                 BY_REST_NAME[f].data_type in NOT_EXPORTABLE_TYPES)]
    if bad:
        raise MarketoError("1003", f"Invalid field(s): {', '.join(bad)}")
    filters = request["rawFilter"]
    unknown = [key for key in filters if key not in MEMBER_FILTERS]
    if unknown:
        raise MarketoError("1003", f"Invalid filter(s): {', '.join(map(str, unknown))}")
    if ("programId" in filters) == ("programIds" in filters):
        raise MarketoError("1003", "Exactly one of programId and programIds is required")
    many = "programIds" in filters
    ids = filters["programIds"] if many else [filters["programId"]]
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) or str(i).isdigit() for i in ids):
        raise MarketoError("1003", "programIds must be a list of program ids")
    ids = [int(i) for i in ids]
    if len(ids) > MAX_PROGRAM_IDS:
        raise MarketoError("1003", f"programIds accepts at most {MAX_PROGRAM_IDS} program ids, {len(ids)} given")
    missing = [i for i in ids if i not in profiles]
    if missing:
        raise MarketoError("1003", f"Program {missing[0]} not found")
    spec: dict = {"programIds": ids, "withProgramColumn": many}
    if "isExhausted" in filters:
        if not isinstance(filters["isExhausted"], bool):
            raise MarketoError("1003", "isExhausted must be a boolean")
        spec["isExhausted"] = filters["isExhausted"]
    if "nurtureCadence" in filters:
        cadence = {"paus": "paus", "pause": "paus", "norm": "norm"}.get(str(filters["nurtureCadence"]).lower())
        if cadence is None:
            raise MarketoError("1003", f"Invalid nurtureCadence: {filters['nurtureCadence']}")
        spec["nurtureCadence"] = cadence
    if "statusNames" in filters:
        names = filters["statusNames"]
        if not isinstance(names, list) or not names:
            raise MarketoError("1003", "statusNames must be a list of status names")
        known = set().union(*(profiles[i].status_names() for i in ids))
        if any(str(name) not in known for name in names):
            raise MarketoError("1003", "Invalid Data")
        spec["statusNames"] = [str(name) for name in names]
    if "updatedAt" in filters:
        if not updated_at_filter:
            raise MarketoError("1035", "Unsupported filter type for target subscription")
        spec["updatedAt"] = _window(filters["updatedAt"], "updatedAt")
    request.update({"fields": list(fields), "filter": spec})
    return fmt, request


CUSTOM_OBJECT_FILTERS = ("updatedAt", "staticListId", "staticListName", "smartListId", "smartListName")


def custom_object_request(body, object_type, assets, smart_list_filters: bool) -> tuple[str, dict]:
    fmt, request = _common(body)
    fields = body.get("fields")
    if not isinstance(fields, list) or not fields:
        raise MarketoError("1003", "fields is required")
    bad = [str(f) for f in fields if f not in object_type.field_names]
    if bad:
        raise MarketoError("1003", f"Invalid field(s): {', '.join(bad)}")
    filters = request["rawFilter"]
    chosen = [key for key in filters if key in CUSTOM_OBJECT_FILTERS]
    if len(chosen) != 1 or len(filters) != 1:
        raise MarketoError("1003", "Exactly one filter of updatedAt, staticListId, staticListName, smartListId, "
                                   "smartListName is required")
    key = chosen[0]
    if key.startswith("smartList") and not smart_list_filters:
        raise MarketoError("1035", "Unsupported filter type for target subscription")
    value = _window(filters[key], key) if key == "updatedAt" else _lead_filter(key, filters[key], assets)
    request.update({"fields": list(fields), "filter": normalise_lead_filter({key: value})})
    return fmt, request
