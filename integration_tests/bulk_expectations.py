"""Ground truth of the bulk streams, converted the documented way, for comparison with what a sync emitted."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Mapping, Optional, Set

from source_marketo.components.bulk.activities import attribute_value
from source_marketo.components.naming import snake_case
from source_marketo.components.types import CONVERTERS, rfc3339, schema_kind


def expected_leads(emulator, schema: Mapping[str, Any], since: Optional[str] = None) -> Dict[int, Dict[str, Any]]:
    """Live leads (updated at or after ``since``) as leads rows: snake_case columns, values coerced to the schema."""
    properties = schema["properties"]
    rows = {}
    for lead in emulator.truth.leads():
        if since and (lead.get("updatedAt") or "") < since:
            continue
        by_column = {snake_case(name): value for name, value in lead.items()}
        row = {}
        for column, property_schema in properties.items():
            row[column] = None if column in ("deleted_at", "merged_into_lead_id") else CONVERTERS[schema_kind(property_schema)](by_column.get(column))
        rows[lead["id"]] = row
    return rows


def removed_lead_ids(emulator) -> Set[int]:
    """Deleted leads and merged-away losers: they must show up with deleted_at set."""
    return {item["id"] for item in emulator.truth.deleted_leads()} | {item["id"] for item in emulator.truth.merged_leads()}


def expected_activities(emulator, type_ids: Optional[Iterable[int]], since: str) -> Dict[str, Dict[str, Any]]:
    rows = {}
    for item in emulator.truth.activities(type_ids=list(type_ids) if type_ids else None, since=since):
        if item.get("activityTypeId") == 37:
            continue
        rows[str(item["marketoGUID"])] = {
            "id": str(item["marketoGUID"]),
            "activity_id": None,
            "lead_id": item.get("leadId"),
            "campaign_id": item.get("campaignId"),
            "primary_attribute_value_id": item.get("primaryAttributeValueId"),
            "primary_attribute_value": item.get("primaryAttributeValue"),
            "activity_type_id": item.get("activityTypeId"),
            "activity_date": rfc3339(item.get("activityDate")),
        }
    return rows


def expected_attributes(emulator, type_ids: Optional[Iterable[int]], since: str) -> Dict[str, Dict[str, Any]]:
    rows = {}
    for item in emulator.truth.activities(type_ids=list(type_ids) if type_ids else None, since=since):
        if item.get("activityTypeId") == 37:
            continue
        guid, type_id = str(item["marketoGUID"]), item["activityTypeId"]
        for attribute in item.get("attributes") or []:
            name = attribute["name"]
            row_id = f"{guid}:{type_id}:{name}"
            rows[row_id] = {
                "id": row_id, "activity_id": guid, "activity_type_id": type_id,
                "activity_type_attribute_id": f"{type_id}:{name}", "name": name,
                "value": attribute_value(attribute.get("value")), "activity_date": rfc3339(item.get("activityDate")),
            }
    return rows


def expected_per_type(emulator, type_id, since):
    """The truth for one per-type stream, converted here from the emulator's own types: each attribute a column."""
    kinds = {a["name"]: a.get("dataType", "string") for t in emulator.truth.activity_types() if t["id"] == type_id for a in t.get("attributes", [])}
    convert = {"integer": int, "float": float, "boolean": bool}
    base = expected_activities(emulator, [type_id], since)
    rows = {}
    for item in emulator.truth.activities(type_ids=[type_id], since=since):
        row = dict(base[str(item["marketoGUID"])])
        values = {a["name"]: a["value"] for a in item.get("attributes") or []}
        for name, kind in kinds.items():
            value = values.get(name)
            if value is None:
                row[name.lower().replace(" ", "_")] = None
            elif kind in convert:
                row[name.lower().replace(" ", "_")] = convert[kind](value)
            else:
                row[name.lower().replace(" ", "_")] = ("true" if value else "false") if isinstance(value, bool) else str(value)
        rows[row["id"]] = row
    return rows
