"""Discover for the bulk streams: leads typed from the instance's describe, activities from files,
one stream per activity type of the instance, typed from ``activities/types.json``, and one per
first-level custom object, typed from its describe (custom_objects.py).

Every REST-readable lead field of ``leads/describe.json`` becomes a snake_case column typed from its
Marketo ``dataType`` (types.py), so users can choose columns in Airbyte; exports then ask only for
the selected ones.
"""

from __future__ import annotations

import json
import pkgutil
from typing import Any, Dict, List

from airbyte_cdk.models import AirbyteStream, SyncMode

from source_marketo.components import metadata
from source_marketo.components.bulk.activities import ACTIVITIES, ATTRIBUTES
from source_marketo.components.bulk.activity_streams import type_streams
from source_marketo.components.bulk.custom_objects import CURSOR as OBJECT_CURSOR, discovered_streams
from source_marketo.components.bulk.leads import LEADS, lead_columns
from source_marketo.components.bulk.program_members import PROGRAM_MEMBERS, member_columns
from source_marketo.components.runtime import MarketoRuntime
from source_marketo.components.types import json_schema_for

DATETIME = json_schema_for("datetime")


def leads_schema(runtime: MarketoRuntime) -> Dict[str, Any]:
    fields = [field for field in metadata.lead_fields(runtime) if field.exportable]
    columns = lead_columns(fields)
    properties: Dict[str, Any] = {"id": {"type": "integer"}}
    for field in fields:
        properties.setdefault(columns[field.api_name], json_schema_for(field.data_type))
    for column in ("email", "first_name", "last_name"):
        properties.setdefault(column, {"type": ["null", "string"]})
    properties["created_at"] = DATETIME
    properties["updated_at"] = DATETIME
    properties["deleted_at"] = DATETIME
    properties["merged_into_lead_id"] = {"type": ["null", "integer"]}  # a merged-away lead's tombstone: the lead it became
    return {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": True, "required": ["id"], "properties": properties}


def program_members_schema(runtime: MarketoRuntime) -> Dict[str, Any]:
    """Every program member field of the instance (custom ones included), typed from its dataType."""
    fields = metadata.program_member_fields(runtime)
    columns = member_columns(fields)
    properties: Dict[str, Any] = {"program_id": {"type": "integer"}, "lead_id": {"type": "integer"}}
    for field in fields:
        properties.setdefault(columns[field.name], json_schema_for(field.data_type))
    properties["updated_at"] = DATETIME
    return {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": True,
            "required": ["program_id", "lead_id"], "properties": properties}


def packaged_schema(stream: str) -> Dict[str, Any]:
    return json.loads(pkgutil.get_data("source_marketo", f"schemas/{stream}.json") or b"{}")


def bulk_catalog_streams(runtime: MarketoRuntime) -> List[AirbyteStream]:
    def stream(name: str, schema: Dict[str, Any], cursor: str, key=(("id",),)) -> AirbyteStream:
        return AirbyteStream(
            name=name,
            json_schema=schema,
            supported_sync_modes=[SyncMode.full_refresh, SyncMode.incremental],
            source_defined_cursor=True,
            default_cursor_field=[cursor],
            source_defined_primary_key=[list(part) for part in key],
            is_resumable=True,
        )

    return [
        stream(LEADS, leads_schema(runtime), "updated_at"),
        stream(ACTIVITIES, packaged_schema(ACTIVITIES), "activity_date"),
        stream(ATTRIBUTES, packaged_schema(ATTRIBUTES), "activity_date"),
        stream(PROGRAM_MEMBERS, program_members_schema(runtime), "updated_at", key=(("program_id",), ("lead_id",))),
    ] + [stream(each.name, each.json_schema(), "activity_date") for each in type_streams(metadata.activity_types(runtime))] \
      + [stream(each.name, each.json_schema(), OBJECT_CURSOR, key=((each.key_column,),)) for each in discovered_streams(runtime)]
