"""The manifest as a whole: it loads, every custom class resolves, every schema is a valid JSON Schema."""

import importlib
import json
import os

import jsonschema
import yaml

from source_marketo.components.bulk.sync import is_bulk_stream
from source_marketo.source import MANIFEST, SourceMarketo

SCHEMAS = os.path.join(os.path.dirname(MANIFEST), "schemas")


def class_names(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "class_name":
                yield value
            else:
                yield from class_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from class_names(item)


def test_given_the_manifest_when_loaded_then_every_class_name_resolves():
    with open(MANIFEST) as handle:
        manifest = yaml.safe_load(handle)
    names = set(class_names(manifest))
    assert names, "the manifest names no custom component"
    for name in names:
        module, _, attribute = name.rpartition(".")
        assert hasattr(importlib.import_module(module), attribute), name


def resolved(manifest, node):
    """A node, or the node its ``$ref`` ("#/definitions/...") names."""
    if "$ref" not in node:
        return node
    for part in node["$ref"].lstrip("#/").split("/"):
        manifest = manifest[part]
    return manifest


def declared_streams(manifest):
    """(name, primary key columns, schema file) of each stream the manifest lists."""
    for stream in manifest["definitions"]["streams"].values():
        key = stream["primary_key"]
        keys = [key] if isinstance(key, str) else key
        yield stream["name"], keys, os.path.basename(resolved(manifest, stream["schema_loader"])["file_path"])


def test_given_every_schema_file_when_checked_then_it_is_a_valid_json_schema_with_its_stream_key():
    with open(MANIFEST) as handle:
        manifest = yaml.safe_load(handle)
    streams = list(declared_streams(manifest))
    files = set(os.listdir(SCHEMAS))
    declared = {schema for _, _, schema in streams}
    assert declared <= files, "a stream without its schema file"
    assert all(is_bulk_stream(name[: -len(".json")]) for name in files - declared), "a schema file that no stream reads"
    for name in files - declared:  # the bulk streams' (Python, not in the manifest)
        with open(os.path.join(SCHEMAS, name)) as handle:
            jsonschema.Draft7Validator.check_schema(json.load(handle))
    for name, keys, schema_file in streams:
        with open(os.path.join(SCHEMAS, schema_file)) as handle:
            schema = json.load(handle)
        jsonschema.Draft7Validator.check_schema(schema)
        assert set(keys) <= set(schema["properties"]), f"{name}: its primary key is not among its columns"


def test_given_a_source_without_config_when_asked_for_spec_then_the_four_required_settings_come_first():
    spec = SourceMarketo().spec(logger=None).connectionSpecification
    assert spec["required"] == ["munchkin_id", "client_id", "client_secret", "start_date"]
    order = sorted(spec["properties"], key=lambda name: spec["properties"][name]["order"])
    assert order[:4] == spec["required"]
    assert spec["properties"]["client_secret"]["airbyte_secret"] is True
