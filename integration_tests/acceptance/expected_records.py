"""What a full-refresh read of every stream must return, computed from the emulator's seeded data.

The source of truth is the emulator's ground truth (``emulator.truth``: what the Marketo instance
holds), not a recording of the connector. Records are selected the documented way (README.md,
"Streams") and converted with the connector's documented record shapes, as the repository's REST and
bulk end-to-end tests do (``source_marketo.components.shapes``, ``integration_tests.bulk_expectations``):

* incremental asset and lead-database streams: every item updated at or after ``start_date``;
* ``program_tokens``, ``tags`` (full refresh only: no dates): every token of every program, every tag type;
* ``lead_activity_types``, ``lead_activity_type_attributes``: every activity type of the instance;
* ``leads``: live leads updated at or after ``start_date`` (every discovered column), plus one row with
  ``deleted_at`` for each lead deleted or merged away since the read began (less the lookback), with
  ``merged_into_lead_id`` for a merged one: leads removed before a first read were never emitted and
  get no such row;
* ``lead_activities``, ``lead_activity_attributes``: activities of the configured types since
  ``start_date`` (Delete Lead from ``deletedleads.json``, which keeps 14 days);
* ``activities_<type>``: every activity of the type since ``start_date``, each attribute a column;
* ``program_members``: every member of every program (a first sync takes them all, whatever the start date);
* ``custom_objects_<name>``: every record of the custom object updated since ``start_date``, its fields
  in snake_case.
* ``list_members``: every member of every static list (full refresh only: memberships have no dates).

``tools/generate_expected_records.py`` writes them to the file named by acceptance-test-config.yml.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Dict, Iterable, List, Mapping, Optional

from integration_tests.acceptance.environment import EMITTED_AT
from integration_tests.acceptance.runner import comparable
from integration_tests.asset_truth import ASSET_STREAMS, asset_rows
from integration_tests.bulk_expectations import expected_activities, expected_attributes, expected_leads, expected_per_type
from source_marketo.components.naming import display_snake_case, snake_case
from source_marketo.components import shapes
from source_marketo.components.bulk.sync import SETTLE
from source_marketo.components.types import format_datetime, parse_datetime, rfc3339, to_integer

DELETE_LEAD = 37
DEFAULT_ACTIVITY_TYPE_IDS = "12,13,32,37"


def activity_type_ids(config: Mapping[str, Any]) -> Optional[List[int]]:
    text = str(config.get("activity_type_ids") or DEFAULT_ACTIVITY_TYPE_IDS).strip()
    return None if text.lower() == "all" else [int(part) for part in text.split(",") if part.strip()]


def expected_by_stream(emulator, config: Mapping[str, Any], catalog: Mapping[str, Any]) -> Dict[str, List[Dict[str, Any]]]:
    """Expected records of each stream of ``catalog`` (a discovered catalog), for a full refresh with ``config``."""
    truth = emulator.truth
    start = format_datetime(parse_datetime(config["start_date"]).replace(microsecond=0))
    types = activity_type_ids(config)
    schemas = {stream["name"]: stream["json_schema"] for stream in catalog["streams"]}

    def since_start(rows: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
        return [row for row in rows if (row.get("updated_at") or "") >= start]

    expected: Dict[str, List[Dict[str, Any]]] = {
        "campaigns": since_start(shapes.campaign(item) for item in truth.campaigns()),
        "lists": since_start(shapes.static_list(item) for item in truth.lists()),
        "lead_activity_types": [shapes.activity_type(item) for item in truth.activity_types()],
        "lead_activity_type_attributes": [row for item in truth.activity_types() for row in shapes.activity_type_attributes(item)],
    }
    incremental = {stream["name"] for stream in catalog["streams"] if "incremental" in stream.get("supported_sync_modes", [])}
    for stream in ASSET_STREAMS:
        rows = asset_rows(emulator, stream)
        expected[stream] = since_start(rows) if stream in incremental else rows

    leads = list(expected_leads(emulator, schemas["leads"], since=start).values())
    columns = list(schemas["leads"]["properties"])
    removed = [(item["id"], item["deletedAt"], None) for item in truth.deleted_leads()] + [(item["id"], item["mergedAt"], item["mergedInto"]) for item in truth.merged_leads()]
    lookback = timedelta(minutes=int(config.get("lookback_minutes", 60)))
    first_scan = format_datetime((emulator.clock.now() - SETTLE - lookback).replace(microsecond=0))
    for lead_id, when, winner in removed:
        if rfc3339(when) >= max(start, first_scan):
            leads.append({**{column: None for column in columns}, "id": lead_id, "updated_at": rfc3339(when), "deleted_at": rfc3339(when), "merged_into_lead_id": winner})
    expected["leads"] = leads

    retained = format_datetime(emulator.clock.now().replace(microsecond=0) - timedelta(days=emulator.options.deleted_leads_retention_days))
    deletes = [{
        "id": str(item.get("marketoGUID") or item.get("id")),
        "activity_id": item.get("id") if isinstance(item.get("id"), int) else None,
        "lead_id": to_integer(item.get("leadId")),
        "campaign_id": item.get("campaignId"),
        "primary_attribute_value_id": item.get("primaryAttributeValueId"),
        "primary_attribute_value": item.get("primaryAttributeValue"),
        "activity_type_id": DELETE_LEAD,
        "activity_date": rfc3339(item.get("activityDate")),
    } for item in truth.activities(type_ids=[DELETE_LEAD], since=max(start, retained))]
    expected["lead_activities"] = list(expected_activities(emulator, types, start).values())
    if types is None or DELETE_LEAD in types:
        expected["lead_activities"] += deletes
    expected["lead_activity_attributes"] = list(expected_attributes(emulator, types, start).values())
    for activity_type in truth.activity_types():  # one stream per type: every activity of it, whatever the setting
        stream = "activities_" + display_snake_case(activity_type["name"])
        if activity_type["id"] == DELETE_LEAD:
            expected[stream] = deletes
        else:
            expected[stream] = list(expected_per_type(emulator, activity_type["id"], start).values())
    expected["program_members"] = [{snake_case(key): value for key, value in member.items()} for member in truth.program_members()]
    for name in truth.custom_object_types():
        expected[f"custom_objects_{snake_case(name)}"] = [{snake_case(key): value for key, value in record.items()}
                                                         for record in truth.custom_objects(name) if rfc3339(record["updatedAt"]) >= start]
    expected["list_members"] = [{"list_id": item["id"], "lead_id": lead_id} for item in truth.lists() for lead_id in truth.list_members(item["id"])]
    return {stream: records for stream, records in expected.items() if stream in schemas}


def jsonl(expected: Mapping[str, List[Dict[str, Any]]]) -> str:
    """The expected records as Airbyte's expected_records.jsonl lines (stream, data, emitted_at), nulls left
    out, in a stable order (stream, then id)."""
    lines = []
    for stream in sorted(expected):
        for record in sorted(expected[stream], key=_by_id):
            lines.append(json.dumps({"stream": stream, "data": comparable(record), "emitted_at": EMITTED_AT}, ensure_ascii=False, sort_keys=False))
    return "\n".join(lines) + "\n"


def _by_id(row: Mapping[str, Any]) -> Any:
    value = row.get("id")
    return (0, value, "") if isinstance(value, int) else (1, 0, str(value))
