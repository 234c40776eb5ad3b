"""metadata.yaml: valid Airbyte connector metadata, and in step with setup.py, the Dockerfile and the spec.

Validated three ways:
- against Airbyte's published metadata models, the pydantic ``ConnectorMetadataDefinitionV0`` of the
  PyPI package ``airbyte-connector-models`` (0.1.12; what Airbyte's metadata service checks files
  with), skipped with its reason where the package is not installed;
- against the JSON Schema shipped in that same package;
- always, against this repository's own schema, ``integration_tests/metadata_schema.json``.
Each validator is also shown to reject broken copies of the file, so a pass means something.
"""

from __future__ import annotations

import ast
import copy
import fnmatch
import importlib.resources
import json
import re
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
METADATA = REPO / "metadata.yaml"
DOCKERFILE = REPO / "Dockerfile"
SETUP_PY = REPO / "setup.py"
MANIFEST = REPO / "source_marketo" / "manifest.yaml"
REPO_SCHEMA = REPO / "integration_tests" / "metadata_schema.json"

# Generated once. Airbyte identifies the connector by it: it must never change.
DEFINITION_ID = "6e7ea4ee-c6f3-4d04-82c2-563666de1277"
BASE_IMAGE_PATTERN = re.compile(r"^docker\.io/airbyte/python-connector-base:(\d+)\.(\d+)\.(\d+)@sha256:[0-9a-f]{64}$")


# --- loading ------------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (plain YAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


@pytest.fixture(scope="module")
def metadata() -> Dict[str, Any]:
    return yaml.load(METADATA.read_text(), Loader=_UniqueKeyLoader)


@pytest.fixture(scope="module")
def data(metadata: Dict[str, Any]) -> Dict[str, Any]:
    return metadata["data"]


def dockerfile_instructions() -> List[Tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: List[Tuple[str, str]] = []
    pending = ""
    for raw_line in DOCKERFILE.read_text().splitlines():
        line = raw_line.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        if full:
            keyword, _, rest = full.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def dockerfile_labels() -> Dict[str, str]:
    labels: Dict[str, str] = {}
    for keyword, rest in dockerfile_instructions():
        if keyword == "LABEL":
            for pair in re.findall(r'([\w.\-]+)=("[^"]*"|\S+)', rest):
                labels[pair[0]] = pair[1].strip('"')
    return labels


def setup_keywords() -> Dict[str, Any]:
    """The literal keyword arguments of setup.py's setup(...) call."""
    tree = ast.parse(SETUP_PY.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "setup":
            values: Dict[str, Any] = {}
            for keyword in node.keywords:
                try:
                    values[keyword.arg] = ast.literal_eval(keyword.value)
                except ValueError:
                    pass  # names such as MAIN_REQUIREMENTS: not needed here
            return values
    raise AssertionError("setup.py has no setup(...) call")


# --- validators -----------------------------------------------------------------------------------


def _format_checker() -> jsonschema.FormatChecker:
    """Draft 7's checker plus the two formats the metadata uses that jsonschema leaves unchecked."""
    checker = jsonschema.FormatChecker()

    @checker.checks("uuid", raises=ValueError)
    def _is_uuid(value: object) -> bool:
        return not isinstance(value, str) or str(uuid.UUID(value)) == value.lower()

    @checker.checks("uri")
    def _is_uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc) and not re.search(r"\s", value)

    return checker


def _schema_errors(schema: Dict[str, Any], document: Dict[str, Any]) -> List[str]:
    validator = jsonschema.Draft7Validator(schema, format_checker=_format_checker())
    return [f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}" for error in validator.iter_errors(document)]


def repo_schema_errors(document: Dict[str, Any]) -> List[str]:
    return _schema_errors(json.loads(REPO_SCHEMA.read_text()), document)


def _airbyte_package():
    return pytest.importorskip(
        "airbyte_connector_models.metadata.v0.connector_metadata_definition_v0",
        reason="Airbyte's metadata models are in the PyPI package airbyte-connector-models (0.1.12): pip install airbyte-connector-models==0.1.12",
    )


def airbyte_model_errors(document: Dict[str, Any]) -> List[str]:
    import pydantic

    models = _airbyte_package()
    try:
        models.ConnectorMetadataDefinitionV0.model_validate(document)
    except pydantic.ValidationError as error:
        return [f"{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
    return []


def airbyte_schema_errors(document: Dict[str, Any]) -> List[str]:
    _airbyte_package()
    import airbyte_connector_models.metadata.v0 as package

    schema = json.loads(importlib.resources.files(package).joinpath("ConnectorMetadataDefinitionV0.json").read_text())

    # The generated file nests sub-schemas that keep their own "$id"; they would re-anchor the
    # "#/properties/data/..." references that point at the root. Validate with them removed.
    def without_nested_ids(node: Any, top: bool = True) -> Any:
        if isinstance(node, dict):
            return {k: without_nested_ids(v, False) for k, v in node.items() if top or k not in ("$id", "$schema")}
        if isinstance(node, list):
            return [without_nested_ids(item, False) for item in node]
        return node

    return _schema_errors(without_nested_ids(schema), document)


VALIDATORS: Dict[str, Callable[[Dict[str, Any]], List[str]]] = {
    "airbyte-models": airbyte_model_errors,
    "airbyte-json-schema": airbyte_schema_errors,
    "repo-json-schema": repo_schema_errors,
}


@pytest.mark.parametrize("validator", sorted(VALIDATORS))
def test_metadata_is_valid(validator: str, metadata: Dict[str, Any]) -> None:
    errors = VALIDATORS[validator](metadata)
    assert not errors, "\n".join(errors)


def _set(path: str, value: Any) -> Callable[[Dict[str, Any]], None]:
    def mutate(document: Dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = document
        for key in parents:
            node = node[key]
        node[last] = value

    return mutate


BROKEN_COPIES = {
    "unknown-field": _set("data.dockerImageTags", "0.1.0"),
    "connector-type": _set("data.connectorType", "sauce"),
    "connector-subtype": _set("data.connectorSubtype", "rest"),
    "release-stage": _set("data.releaseStage", "ga"),
    "support-level": _set("data.supportLevel", "gold"),
    "definition-id": _set("data.definitionId", "source-marketo"),
    "documentation-url": _set("data.documentationUrl", "docs/README.md"),
    "ab-internal-sl": _set("data.ab_internal.sl", 150),
    "test-suite": _set("data.connectorTestSuitesOptions", [{"suite": "endToEndTests"}]),
    "pypi-enabled": _set("data.remoteRegistries.pypi.enabled", "sometimes"),
    "registry-override": _set("data.registryOverrides.cloud", {"enabled": True, "colour": "blue"}),
}


@pytest.mark.parametrize("validator", sorted(VALIDATORS))
@pytest.mark.parametrize("broken", sorted(BROKEN_COPIES))
def test_validators_reject_invalid_values(validator: str, broken: str, metadata: Dict[str, Any]) -> None:
    document = copy.deepcopy(metadata)
    BROKEN_COPIES[broken](document)
    assert VALIDATORS[validator](document), f"{validator} accepted a metadata.yaml with a broken {broken}"


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match="duplicate key"):
        yaml.load("data:\n  name: Marketo\n  name: Other\n", Loader=_UniqueKeyLoader)


# --- in step with the rest of the repository ----------------------------------------------------


def test_identity(metadata: Dict[str, Any], data: Dict[str, Any]) -> None:
    assert metadata["metadataSpecVersion"] == "1.0"
    assert data["definitionId"] == DEFINITION_ID
    assert data["name"] == "Marketo"
    assert data["connectorType"] == "source"
    assert data["connectorSubtype"] == "api"
    assert data["dockerRepository"] == "airbyte/source-marketo"
    assert data["githubIssueLabel"] == data["dockerRepository"].split("/", 1)[1]
    assert data["supportLevel"] == "community"
    # Airbyte's internal support level mirrors supportLevel: 100 community, 200 certified.
    assert data["ab_internal"]["sl"] == {"community": 100, "certified": 200, "archived": 0}[data["supportLevel"]]
    assert data["icon"].endswith(".svg")


def test_version_matches_setup_py_and_the_dockerfile_label(data: Dict[str, Any]) -> None:
    setup = setup_keywords()
    assert data["dockerImageTag"] == setup["version"] == "0.1.0"
    labels = dockerfile_labels()
    assert labels["io.airbyte.version"] == data["dockerImageTag"]
    assert labels["io.airbyte.name"] == data["dockerRepository"]


def test_license_matches_setup_py(data: Dict[str, Any]) -> None:
    assert data["license"] == setup_keywords()["license"] == "MIT"


def test_base_image_is_pinned_and_the_dockerfile_default(data: Dict[str, Any]) -> None:
    base_image = data["connectorBuildOptions"]["baseImage"]
    match = BASE_IMAGE_PATTERN.match(base_image)
    assert match, f"baseImage must be Airbyte's python-connector-base pinned by tag and digest: {base_image}"
    # 4.0.x is Python 3.11 (4.1 moved to 3.13); setup.py allows 3.11.
    assert (match.group(1), match.group(2)) == ("4", "0"), base_image
    assert ">=3.11" in setup_keywords()["python_requires"]

    instructions = dockerfile_instructions()
    args_before_from = []
    for keyword, rest in instructions:
        if keyword == "FROM":
            assert rest == "${BASE_IMAGE}", f"FROM must use the BASE_IMAGE argument, not {rest}"
            break
        if keyword == "ARG":
            args_before_from.append(rest)
    defaults = dict(arg.split("=", 1) for arg in args_before_from if "=" in arg)
    assert defaults.get("BASE_IMAGE") == base_image, "the Dockerfile's default BASE_IMAGE differs from connectorBuildOptions.baseImage"


def test_dockerfile_runs_the_console_script_as_airbyte(data: Dict[str, Any]) -> None:
    instructions = dockerfile_instructions()
    console_scripts = setup_keywords()["entry_points"]["console_scripts"]
    script_names = {entry.split("=", 1)[0].strip() for entry in console_scripts}
    entrypoints = [json.loads(rest) for keyword, rest in instructions if keyword == "ENTRYPOINT"]
    assert entrypoints and entrypoints[-1][0] in script_names, entrypoints
    env = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    assert f'AIRBYTE_ENTRYPOINT="{" ".join(entrypoints[-1])}"' in env
    # The base image's user airbyte (uid/gid 1000), by number so that runAsNonRoot can verify it.
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] == "1000:1000"
    # The package is installed with pip from the build context.
    assert any(keyword == "RUN" and re.search(r"pip install [^&;]*\s\.(\s|$)", rest) for keyword, rest in instructions)


def test_dockerfile_needs_only_the_classic_builder() -> None:
    text = DOCKERFILE.read_text()
    assert not re.search(r"^\s*#\s*syntax\s*=", text, re.MULTILINE | re.IGNORECASE), "a syntax directive makes BuildKit pull a frontend"
    for keyword, rest in dockerfile_instructions():
        assert "<<" not in rest, f"heredoc in {keyword}: BuildKit only"
        assert not (keyword in ("COPY", "ADD") and "--chmod" in rest), "COPY --chmod: BuildKit only"
        assert not (keyword == "RUN" and "--mount" in rest), "RUN --mount: BuildKit only"


def test_allowed_hosts_cover_the_spec_examples(data: Dict[str, Any]) -> None:
    hosts = data["allowedHosts"]["hosts"]
    assert hosts == ["*.mktorest.com"]
    spec = yaml.safe_load(MANIFEST.read_text())["spec"]
    examples = spec["connection_specification"]["properties"]["munchkin_id"]["examples"]
    urls = [example for example in examples if "://" in example]
    assert urls, "munchkin_id has no URL example to check allowedHosts against"
    for url in urls:
        host = urlsplit(url).hostname or ""
        assert any(fnmatch.fnmatch(host, pattern) for pattern in hosts), f"{host} is outside allowedHosts"


def test_documentation_url_is_the_specs(data: Dict[str, Any]) -> None:
    spec = yaml.safe_load(MANIFEST.read_text())["spec"]
    assert data["documentationUrl"] == spec["documentation_url"]


def test_tags_and_registries(data: Dict[str, Any]) -> None:
    tags = data["tags"]
    assert all(re.fullmatch(r"[a-z]+:[\w.-]+", tag) for tag in tags), tags
    languages = [tag for tag in tags if tag.startswith("language:")]
    assert languages == ["language:python"]
    assert "cdk:low-code" in tags
    # PyPI publishing is for Python connectors, under Airbyte's "airbyte-<repository name>" form.
    pypi = data["remoteRegistries"]["pypi"]
    assert pypi["enabled"] is True
    assert pypi["packageName"] == "airbyte-" + data["dockerRepository"].split("/", 1)[1]
    assert set(data["registryOverrides"]) == {"cloud", "oss"}
    suites = [options["suite"] for options in data["connectorTestSuitesOptions"]]
    assert len(suites) == len(set(suites)), suites
