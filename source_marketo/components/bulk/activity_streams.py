"""One stream per activity type (``activities_<type name>``), fed by the same exports as lead_activities.

``activities/types.json`` describes each type's attributes with a ``dataType`` (marketo-api.md 4.4);
each becomes a typed, snake_case column of the type's stream, beside the columns every activity
has. The rows come from the activity lane's one export per window: the ``attributes`` column of the
export is a JSON object keyed by attribute name (7.3), read once per row whatever number of these
streams is selected, so they cost no extra job and no extra megabyte.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import orjson

from source_marketo.components.metadata import ActivityType
from source_marketo.components.naming import column_names, display_snake_case
from source_marketo.components.types import json_schema_for, rfc3339, schema_kind, to_boolean, to_date, to_integer, to_number

PREFIX = "activities_"

# Every activity's columns: (column, export column, kind).
ACTIVITY_COLUMNS: Tuple[Tuple[str, str, str], ...] = (
    ("id", "marketoGUID", "string"),
    ("activity_id", "", "integer"),  # the legacy numeric id is not in bulk exports; marketoGUID is the key
    ("lead_id", "leadId", "integer"),
    ("campaign_id", "campaignId", "integer"),
    ("primary_attribute_value_id", "primaryAttributeValueId", "integer"),
    ("primary_attribute_value", "primaryAttributeValue", "string"),
    ("activity_type_id", "activityTypeId", "integer"),
    ("activity_date", "activityDate", "datetime"),
)
BASE_SCHEMA: Dict[str, Any] = {
    "id": {"type": "string"},
    **{column: json_schema_for(kind if kind != "string" else None) for column, _, kind in ACTIVITY_COLUMNS[1:]},
}


def attribute_value(value: Any) -> Optional[str]:
    """Attribute values keep their JSON types in the export; a text column gets text. NUL characters
    (JSON-escaped inside the attributes column, so not removed with the file's NUL bytes) are dropped:
    most warehouses refuse them in text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return orjson.dumps(value).decode()


_ATTRIBUTE_CONVERTERS: Dict[str, Callable[[Any], Any]] = {
    "integer": to_integer, "number": to_number, "boolean": to_boolean, "datetime": rfc3339, "date": to_date, "string": attribute_value,
}


# A value the export's JSON already holds in its column's type is kept as is, inline; any other value takes
# the converter (same result, one call): ``{a}`` is the attribute's name, ``{c}`` its converter.
_AS_IS: Dict[Callable[[Any], Any], str] = {
    to_integer: "(v if (v := get({a})).__class__ is int else {c}(v))",
    to_number: "(v if (v := get({a})).__class__ is int or v.__class__ is float else {c}(v))",
    to_boolean: "(v if (v := get({a})).__class__ is bool else {c}(v))",
    rfc3339: "(v if (v := get({a})).__class__ is str and len(v) == 20 and v[19] == 'Z' and v[10] == 'T' else {c}(v))",
    attribute_value: "(v if (v := get({a})).__class__ is str and '\\x00' not in v else {c}(v))",
}


def _compile_record(attributes: Sequence[Tuple[str, str, Callable[[Any], Any]]]) -> Callable[[Dict[str, Any], Mapping[str, Any]], Dict[str, Any]]:
    """One generated function per type stream: the activity's columns, then each attribute's column."""
    namespace: Dict[str, Any] = {}
    body = []
    for index, (name, column, convert) in enumerate(attributes):
        namespace[f"_c{index}"] = convert
        body.append(f"        {column!r}: " + _AS_IS.get(convert, "{c}(get({a}))").format(a=repr(name), c=f"_c{index}") + ",")
    source = "def record(base, attributes):\n    get = attributes.get\n    return {\n        **base,\n" + "\n".join(body) + "\n    }\n"
    exec(compile(source, "<marketo type stream record>", "exec"), namespace)
    return namespace["record"]


@dataclass(frozen=True)
class TypeStream:
    """The stream of one activity type: its name, type id, and (attribute, column, converter) per attribute."""

    name: str
    type_id: int
    type_name: str
    attributes: Tuple[Tuple[str, str, Callable[[Any], Any]], ...]
    schemas: Tuple[Tuple[str, Dict[str, Any]], ...]

    @cached_property
    def _fast(self) -> Callable[[Dict[str, Any], Mapping[str, Any]], Dict[str, Any]]:
        return _compile_record(self.attributes)  # once per stream, when its first record is built

    def json_schema(self) -> Dict[str, Any]:
        properties = {**BASE_SCHEMA, **dict(self.schemas)}
        return {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": True, "required": ["id"], "properties": properties}

    def record(self, base: Dict[str, Any], attributes: Mapping[str, Any]) -> Dict[str, Any]:
        """``base`` (the activity's own columns) with each attribute converted to its column's type: the
        generated function, or, when a value does not convert, the loop below, which names the attribute."""
        try:
            return self._fast(base, attributes)
        except (TypeError, ValueError):
            return self.checked(base, attributes)

    def checked(self, base: Dict[str, Any], attributes: Mapping[str, Any]) -> Dict[str, Any]:
        record = dict(base)
        for name, column, convert in self.attributes:
            value = attributes.get(name)
            try:
                record[column] = convert(value)
            except (TypeError, ValueError):
                raise ValueError(f"attribute '{name}' of activity {base.get('id')} ({self.type_name}) has {str(value)[:80]!r}, "
                                 f"which does not fit its column '{column}'") from None
        return record


def type_streams(types: Sequence[ActivityType]) -> List[TypeStream]:
    """A stream per type, with unique names (a clash of two types' names adds the later one's id)."""
    streams, taken = [], set()
    for activity_type in sorted(types, key=lambda t: t.id):
        name = PREFIX + display_snake_case(activity_type.name or str(activity_type.id))
        if name in taken:
            name = f"{name}_{activity_type.id}"
        taken.add(name)
        streams.append(_type_stream(name, activity_type))
    return streams


def is_type_stream(name: str) -> bool:
    return name.startswith(PREFIX)


def _type_stream(name: str, activity_type: ActivityType) -> TypeStream:
    columns = column_names([attribute for attribute, _ in activity_type.attributes], reserved=BASE_SCHEMA, naming=display_snake_case)
    attributes, schemas = [], []
    for attribute, data_type in activity_type.attributes:
        schema = json_schema_for(data_type)
        attributes.append((attribute, columns[attribute], _ATTRIBUTE_CONVERTERS[schema_kind(schema)]))
        schemas.append((columns[attribute], schema))
    return TypeStream(name, activity_type.id, activity_type.name, tuple(attributes), tuple(schemas))
