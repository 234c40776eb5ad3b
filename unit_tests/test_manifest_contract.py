"""The manifest as a whole: it loads, every custom class resolves, every schema is a valid JSON Schema."""

import importlib
import json
import os

import jsonschema
import yaml

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


def test_given_every_schema_file_when_checked_then_it_is_a_valid_json_schema_with_an_id():
    files = sorted(os.listdir(SCHEMAS))
    assert len(files) == 11
    for name in files:
        with open(os.path.join(SCHEMAS, name)) as handle:
            schema = json.load(handle)
        jsonschema.Draft7Validator.check_schema(schema)
        assert "id" in schema["properties"], name


def test_given_a_source_without_config_when_asked_for_spec_then_the_four_required_settings_come_first():
    spec = SourceMarketo().spec(logger=None).connectionSpecification
    assert spec["required"] == ["munchkin_id", "client_id", "client_secret", "start_date"]
    order = sorted(spec["properties"], key=lambda name: spec["properties"][name]["order"])
    assert order[:4] == spec["required"]
    assert spec["properties"]["client_secret"]["airbyte_secret"] is True
