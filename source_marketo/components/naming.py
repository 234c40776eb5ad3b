"""Names: Marketo's camelCase API names to the snake_case columns of the warehouse tables.

Marketo names lead fields in camelCase (``firstName``, ``sfdcLeadId``, ``HTMLSnippet``) and custom
fields often end in ``__c`` (``industry__c``). Column names must be stable across runs, so the
conversion is a pure function, and collisions (``fooBar`` and ``foo_bar``) are resolved by a
deterministic suffix rather than by dropping a field.
"""

from __future__ import annotations

import re
from typing import Dict, Iterable

_ACRONYM_THEN_WORD = re.compile(r"([A-Z]+)([A-Z][a-z])")
_LOWER_THEN_UPPER = re.compile(r"([a-z0-9])([A-Z])")
_NOT_WORD = re.compile(r"[^0-9a-zA-Z_]+")


def snake_case(name: str) -> str:
    """``firstName`` -> ``first_name``; ``HTMLSnippet`` -> ``html_snippet``; ``industry__c`` stays.

    Characters that are not letters, digits or underscores (spaces in display names, dots) become
    one underscore; a leading digit gets an underscore prefix so the result is a valid identifier.
    """
    text = _NOT_WORD.sub("_", name.strip())
    text = _ACRONYM_THEN_WORD.sub(r"\1_\2", text)
    text = _LOWER_THEN_UPPER.sub(r"\1_\2", text)
    text = text.lower().strip("_") or "_"
    return "_" + text if text[0].isdigit() else text


def display_snake_case(name: str) -> str:
    """A display name (words and spaces: ``Merge IDs``, ``Client IP Address``) -> ``merge_ids``,
    ``client_ip_address``: its words lowercased and joined, without camelCase splitting (which would
    make ``IDs`` into ``i_ds``). A name without spaces is an API name: ``snake_case``."""
    if " " not in name.strip():
        return snake_case(name)
    text = _NOT_WORD.sub("_", name.strip()).lower().strip("_") or "_"
    return "_" + text if text[0].isdigit() else text


def column_names(api_names: Iterable[str], reserved: Iterable[str] = (), naming=None) -> Dict[str, str]:
    """Map each API name to a unique snake_case column, in input order.

    The first name to claim a column keeps it; a later one that collides gets ``_2``, ``_3``...
    ``reserved`` columns (ours, like ``deleted_at``) are never handed out.
    """
    taken = set(reserved)
    mapping: Dict[str, str] = {}
    for api_name in api_names:
        base = (naming or snake_case)(api_name)
        column, suffix = base, 2
        while column in taken:
            column, suffix = f"{base}_{suffix}", suffix + 1
        taken.add(column)
        mapping[api_name] = column
    return mapping


def attribute_row_id(activity_id: str, activity_type_id: int, attribute_name: str) -> str:
    """Primary key of a lead_activity_attributes row: ``<activity id>:<type id>:<attribute name>``.

    The activity id (Marketo's ``marketoGUID``) and the type id never contain a colon, so the key
    can be split back unambiguously; the attribute name is kept verbatim (it may contain spaces).
    """
    return f"{activity_id}:{activity_type_id}:{attribute_name}"


def type_attribute_id(activity_type_id: int, attribute_name: str) -> str:
    """Primary key of a lead_activity_type_attributes row: ``<type id>:<attribute name>``."""
    return f"{activity_type_id}:{attribute_name}"
